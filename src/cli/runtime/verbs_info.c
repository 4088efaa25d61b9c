/* state, list, ps, features: read-only verbs and their output formats (runc's). */
#include "cli/runtime/verbs.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "cli/kago_commit.h"
#include "oci/features.h"
#include "runtime/mounts.h"
#include "runtime/process_attrs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <seccomp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifndef KAGO_VERSION
#define KAGO_VERSION "0.0.0"
#endif

static void
json_value_freep (json_value **v)
{
  if (*v)
    json_free (*v);
}
#define cleanup_json __attribute__ ((cleanup (json_value_freep)))

/* ---- state ---- */

int
kago_cmd_state (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  cleanup_json json_value *st = NULL;
  if (kago_container_state (&ctx->rt, ctx->cli->args[0], &st, err) < 0)
    return -1;
  cleanup_free char *s = json_to_string (st, true);
  printf ("%s\n", s);
  return 0;
}

/* ---- list ---- */

/* Go's text/tabwriter as runc's list uses it: NewWriter(out, minwidth 12,
   tabwidth 1, padding 3, ' ', 0).  Every cell that a tab ends is padded to its
   column's width (widest cell + padding, at least minwidth); the text after
   the last tab of a line is not.  */
struct table
{
  char ***rows; /* rows[i][j], ncols cells each */
  size_t nrows, ncols;
};

static void
table_add (struct table *t, char **cells)
{
  t->rows = xrealloc (t->rows, (t->nrows + 1) * sizeof *t->rows);
  t->rows[t->nrows] = xcalloc (t->ncols, sizeof (char *));
  for (size_t j = 0; j < t->ncols; j++)
    t->rows[t->nrows][j] = cells[j];
  t->nrows++;
}

static void
table_print (struct table *t, size_t minwidth, size_t padding)
{
  size_t *w = xcalloc (t->ncols, sizeof *w);
  for (size_t i = 0; i < t->nrows; i++)
    for (size_t j = 0; j < t->ncols; j++)
      if (strlen (t->rows[i][j]) > w[j])
        w[j] = strlen (t->rows[i][j]);
  for (size_t j = 0; j < t->ncols; j++)
    {
      w[j] += padding;
      if (w[j] < minwidth)
        w[j] = minwidth;
    }
  for (size_t i = 0; i < t->nrows; i++)
    {
      for (size_t j = 0; j < t->ncols; j++)
        {
          if (j + 1 < t->ncols)
            printf ("%-*s", (int) w[j], t->rows[i][j]);
          else
            printf ("%s\n", t->rows[i][j]);
          free (t->rows[i][j]);
        }
      free (t->rows[i]);
    }
  free (t->rows);
  free (w);
  t->rows = NULL;
  t->nrows = 0;
}

static const char *
str_field (const json_value *o, const char *key)
{
  const char *s = json_get_string (json_object_get (o, key));
  return s ? s : "";
}

/* The owner of <root>/<id>, as runc's list shows it: the user name, or #UID. */
static char *
state_dir_owner (const char *root, const char *id)
{
  struct stat stbuf;
  cleanup_free char *path = xasprintf ("%s/%s", root, id);
  if (stat (path, &stbuf) < 0)
    return xstrdup ("");
  struct passwd pw, *res = NULL;
  char buf[4096];
  if (getpwuid_r (stbuf.st_uid, &pw, buf, sizeof buf, &res) == 0 && res)
    return xstrdup (res->pw_name);
  return xasprintf ("#%u", (unsigned) stbuf.st_uid);
}

int
kago_cmd_list (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  const struct kago_cli *cli = ctx->cli;
  cleanup_json json_value *list = NULL;
  if (kago_container_list (&ctx->rt, &list, err) < 0)
    return -1;
  size_t n = json_array_len (list);

  if (cli->o.quiet)
    {
      for (size_t i = 0; i < n; i++)
        printf ("%s\n", str_field (json_array_at (list, i), "id"));
      return 0;
    }
  if (strcmp (cli->o.format, "json") == 0)
    {
      if (list == NULL || list->type != JSON_ARRAY)
        {
          printf ("[]\n");
          return 0;
        }
      cleanup_free char *s = json_to_string (list, false);
      printf ("%s\n", s);
      return 0;
    }

  struct table t = { NULL, 0, 6 };
  char *hdr[6] = { xstrdup ("ID"),     xstrdup ("PID"),     xstrdup ("STATUS"),
                   xstrdup ("BUNDLE"), xstrdup ("CREATED"), xstrdup ("OWNER") };
  table_add (&t, hdr);
  for (size_t i = 0; i < n; i++)
    {
      const json_value *st = json_array_at (list, i);
      const char *id = str_field (st, "id");
      const char *status = str_field (st, "status");
      int64_t pid = 0;
      if (json_get_int64 (json_object_get (st, "pid"), &pid) < 0 || strcmp (status, "stopped") == 0)
        pid = 0;
      const char *owner = str_field (st, "owner");
      char *row[6] = {
        xstrdup (id),
        xasprintf ("%" PRId64, pid),
        xstrdup (status),
        xstrdup (str_field (st, "bundle")),
        xstrdup (str_field (st, "created")),
        owner[0] ? xstrdup (owner) : state_dir_owner (ctx->rt.root, id),
      };
      table_add (&t, row);
    }
  table_print (&t, 12, 3);
  return 0;
}

/* ---- ps ---- */

static bool
pid_in (pid_t p, const pid_t *pids, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == p)
      return true;
  return false;
}

static char *
read_small_file (const char *path, size_t *len_out)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  strbuf sb = STRBUF_INIT;
  char buf[4096];
  for (;;)
    {
      ssize_t r = read (fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      strbuf_add (&sb, buf, (size_t) r);
    }
  if (len_out)
    *len_out = sb.len;
  return strbuf_detach (&sb);
}

static long
boot_time (void)
{
  cleanup_free char *s = read_small_file ("/proc/stat", NULL);
  const char *p = s ? strstr (s, "\nbtime ") : NULL;
  return p ? strtol (p + 7, NULL, 10) : 0;
}

static double
uptime_seconds (void)
{
  cleanup_free char *s = read_small_file ("/proc/uptime", NULL);
  return s ? strtod (s, NULL) : 0;
}

static char *
tty_name (unsigned long tty_nr)
{
  unsigned major = (unsigned) ((tty_nr >> 8) & 0xfff);
  unsigned minor = (unsigned) ((tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
  if (tty_nr == 0)
    return xstrdup ("?");
  if (major >= 136 && major <= 143)
    return xasprintf ("pts/%u", minor + (major - 136) * 256);
  if (major == 4)
    return minor < 64 ? xasprintf ("tty%u", minor) : xasprintf ("ttyS%u", minor - 64);
  if (major == 5 && minor == 1)
    return xstrdup ("console");
  return xasprintf ("%u,%u", major, minor);
}

/* One `ps -ef` row for PID from /proc, or NULL when it is gone.  */
static char **
proc_row (pid_t pid, long btime, double uptime, long hz, time_t now)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  cleanup_free char *stat = read_small_file (path, NULL);
  if (stat == NULL)
    return NULL;
  char *rp = strrchr (stat, ')');
  char *lp = strchr (stat, '(');
  if (rp == NULL || lp == NULL || rp < lp)
    return NULL;
  cleanup_free char *comm = xstrndup (lp + 1, (size_t) (rp - lp - 1));
  /* Fields after ")": 3 state, 4 ppid, ..., 7 tty_nr, 14 utime, 15 stime, 22 starttime.  */
  char state;
  int ppid;
  unsigned long tty_nr = 0, utime = 0, stime = 0;
  unsigned long long starttime = 0;
  if (sscanf (rp + 2, "%c %d %*d %*d %lu %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d %llu",
              &state, &ppid, &tty_nr, &utime, &stime, &starttime)
      != 6)
    return NULL;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  cleanup_free char *status = read_small_file (path, NULL);
  unsigned long euid = 0;
  const char *u = status ? strstr (status, "\nUid:") : NULL;
  if (u)
    sscanf (u + 5, "%*u %lu", &euid);

  snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
  size_t clen = 0;
  char *cmd = read_small_file (path, &clen);
  if (cmd == NULL || clen == 0)
    {
      free (cmd);
      cmd = xasprintf ("[%s]", comm);
    }
  else
    {
      while (clen > 0 && cmd[clen - 1] == '\0')
        clen--;
      for (size_t i = 0; i < clen; i++)
        if (cmd[i] == '\0')
          cmd[i] = ' ';
      cmd[clen] = '\0';
    }

  char **row = xcalloc (8, sizeof *row);
  struct passwd pw, *res = NULL;
  char buf[4096];
  if (getpwuid_r ((uid_t) euid, &pw, buf, sizeof buf, &res) == 0 && res && strlen (res->pw_name) <= 8)
    row[0] = xstrdup (res->pw_name);
  else
    row[0] = xasprintf ("%lu", euid);
  row[1] = xasprintf ("%d", (int) pid);
  row[2] = xasprintf ("%d", ppid);

  double cpu_secs = (double) (utime + stime) / (double) hz;
  double elapsed = uptime - (double) starttime / (double) hz;
  long pcpu = elapsed > 0 ? (long) (cpu_secs * 100.0 / elapsed) : 0;
  if (pcpu > 99)
    pcpu = 99;
  row[3] = xasprintf ("%ld", pcpu);

  time_t start = (time_t) (btime + (long) (starttime / (unsigned long long) hz));
  struct tm tm;
  char tbuf[32];
  localtime_r (&start, &tm);
  if (now - start > 365L * 24 * 3600)
    strftime (tbuf, sizeof tbuf, "%Y", &tm);
  else if (now - start > 24 * 3600)
    strftime (tbuf, sizeof tbuf, "%b%d", &tm);
  else
    strftime (tbuf, sizeof tbuf, "%H:%M", &tm);
  row[4] = xstrdup (tbuf);
  row[5] = tty_name (tty_nr);

  unsigned long total = (unsigned long) cpu_secs;
  unsigned long days = total / 86400;
  if (days)
    row[6]
        = xasprintf ("%lu-%02lu:%02lu:%02lu", days, (total % 86400) / 3600, (total % 3600) / 60, total % 60);
  else
    row[6] = xasprintf ("%02lu:%02lu:%02lu", total / 3600, (total % 3600) / 60, total % 60);
  row[7] = cmd;
  return row;
}

/* procps sizes the PID columns by the digits of kernel.pid_max.  */
static int
pid_width (void)
{
  cleanup_free char *s = read_small_file ("/proc/sys/kernel/pid_max", NULL);
  long max = s ? strtol (s, NULL, 10) : 0;
  int w = 0;
  for (long m = max - 1; m > 0; m /= 10)
    w++;
  return w >= 5 ? w : 5;
}

static void
print_ps_row (char *const *c, int pw)
{
  printf ("%-8s %*s %*s %2s %-5s %-8s %8s %s\n", c[0], pw, c[1], pw, c[2], c[3], c[4], c[5], c[6], c[7]);
}

static int
ps_table_from_proc (const pid_t *pids, size_t n)
{
  static char *const hdr[8] = { "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD" };
  long btime = boot_time ();
  double up = uptime_seconds ();
  long hz = sysconf (_SC_CLK_TCK);
  if (hz <= 0)
    hz = 100;
  time_t now = time (NULL);
  int pw = pid_width ();
  print_ps_row (hdr, pw);
  for (size_t i = 0; i < n; i++)
    {
      char **row = proc_row (pids[i], btime, up, hz, now);
      if (row == NULL)
        continue; /* exited meanwhile */
      print_ps_row (row, pw);
      for (int j = 0; j < 8; j++)
        free (row[j]);
      free (row);
    }
  return 0;
}

/* Run ps(1) with ARGS, keep its header and the rows of the container's pids. */
static int
ps_external (const char *const *args, int nargs, const pid_t *pids, size_t n, kago_error_t *err)
{
  int pfd[2];
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return kago_error_set (err, errno, "pipe");
  const char **argv = xcalloc ((size_t) nargs + 2, sizeof *argv);
  argv[0] = "ps";
  for (int i = 0; i < nargs; i++)
    argv[i + 1] = args[i];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, pfd[1], 1);
  posix_spawn_file_actions_adddup2 (&fa, pfd[1], 2);
  pid_t child;
  int r = posix_spawnp (&child, "ps", &fa, NULL, (char *const *) argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  free (argv);
  close (pfd[1]);
  if (r != 0)
    {
      close (pfd[0]);
      return kago_error_set (err, r, "run ps");
    }
  cleanup_strbuf strbuf out = STRBUF_INIT;
  char buf[8192];
  for (;;)
    {
      ssize_t k = read (pfd[0], buf, sizeof buf);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0)
        break;
      strbuf_add (&out, buf, (size_t) k);
    }
  close (pfd[0]);
  int wst;
  while (waitpid (child, &wst, 0) < 0 && errno == EINTR)
    ;
  const char *text = out.buf ? out.buf : "";
  if (!WIFEXITED (wst) || WEXITSTATUS (wst) != 0)
    return kago_error_set (err, 0, "ps: exit status %d: %s",
                           WIFEXITED (wst) ? WEXITSTATUS (wst) : 128 + WTERMSIG (wst), text);

  /* Header: find the PID column.  */
  const char *nl = strchr (text, '\n');
  size_t hlen = nl ? (size_t) (nl - text) : strlen (text);
  cleanup_free char *header = xstrndup (text, hlen);
  int pid_index = -1, idx = 0;
  char *save = NULL;
  cleanup_free char *hcopy = xstrdup (header);
  for (char *tok = strtok_r (hcopy, " \t", &save); tok; tok = strtok_r (NULL, " \t", &save), idx++)
    if (strcmp (tok, "PID") == 0)
      {
        pid_index = idx;
        break;
      }
  if (pid_index < 0)
    return kago_error_set (err, 0, "couldn't find PID field in ps output");

  printf ("%s\n", header);
  const char *line = nl ? nl + 1 : text + hlen;
  while (*line)
    {
      const char *e = strchr (line, '\n');
      size_t llen = e ? (size_t) (e - line) : strlen (line);
      if (llen > 0)
        {
          cleanup_free char *l = xstrndup (line, llen);
          cleanup_free char *lc = xstrdup (l);
          char *tok = NULL;
          save = NULL;
          tok = strtok_r (lc, " \t", &save);
          for (int i = 0; tok && i < pid_index; i++)
            tok = strtok_r (NULL, " \t", &save);
          char *end;
          long p = tok ? strtol (tok, &end, 10) : 0;
          if (tok == NULL || *end != '\0')
            return kago_error_set (err, 0, "unable to parse pid from ps output line \"%s\"", l);
          if (pid_in ((pid_t) p, pids, n))
            printf ("%s\n", l);
        }
      line += llen;
      if (*line == '\n')
        line++;
    }
  return 0;
}

int
kago_cmd_ps (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  const struct kago_cli *cli = ctx->cli;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (kago_container_pids (&ctx->rt, cli->args[0], &pids, &n, err) < 0)
    return -1;
  if (strcmp (cli->o.format, "json") == 0)
    {
      cleanup_strbuf strbuf sb = STRBUF_INIT;
      strbuf_addc (&sb, '[');
      for (size_t i = 0; i < n; i++)
        strbuf_addf (&sb, "%s%d", i ? "," : "", (int) pids[i]);
      strbuf_adds (&sb, "]\n");
      fputs (sb.buf, stdout);
      return 0;
    }
  if (cli->nargs > 1)
    return ps_external (cli->args + 1, cli->nargs - 1, pids, n, err) < 0 ? -1 : 0;
  return ps_table_from_proc (pids, n);
}

/* ---- features ---- */

/* Mount options kago may know; each is offered to the mount options parser
   and listed only when the parser takes it as a flag (not as filesystem data). */
static const char *const mount_option_candidates[] = {
  "async",
  "atime",
  "bind",
  "defaults",
  "dev",
  "diratime",
  "dirsync",
  "exec",
  "iversion",
  "lazytime",
  "loud",
  "mand",
  "noatime",
  "nodev",
  "nodiratime",
  "noexec",
  "noiversion",
  "nolazytime",
  "nomand",
  "norelatime",
  "nostrictatime",
  "nosuid",
  "nosymfollow",
  "private",
  "ratime",
  "rbind",
  "rdev",
  "rdiratime",
  "relatime",
  "remount",
  "rexec",
  "rnoatime",
  "rnodev",
  "rnodiratime",
  "rnoexec",
  "rnorelatime",
  "rnostrictatime",
  "rnosuid",
  "rnosymfollow",
  "ro",
  "rprivate",
  "rrelatime",
  "rro",
  "rrw",
  "rshared",
  "rslave",
  "rstrictatime",
  "rsuid",
  "rsymfollow",
  "runbindable",
  "rw",
  "shared",
  "silent",
  "slave",
  "strictatime",
  "suid",
  "symfollow",
  "sync",
  "tmpcopyup",
  "unbindable",
  "idmap",
  "ridmap",
};

/* The hooks, namespaces and seccomp names the runtime implements (seccomp.c's
   tables; the arch list follows libseccomp's, as seccomp.c does).  */
static const char *const feature_hooks[]
    = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL };
static const char *const feature_namespaces[]
    = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };
static const char *const feature_seccomp_actions[] = {
  "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_LOG",   "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",         NULL
};
static const char *const feature_seccomp_operators[]
    = { "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
        "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };
static const char *const feature_seccomp_archs[] = {
  "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_ARM",
  "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_RISCV64",
  "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",
  "SCMP_ARCH_X32",
  "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",
#ifdef SCMP_ARCH_LOONGARCH64
  "SCMP_ARCH_LOONGARCH64",
#endif
#ifdef SCMP_ARCH_M68K
  "SCMP_ARCH_M68K",
#endif
#ifdef SCMP_ARCH_SH
  "SCMP_ARCH_SH",
  "SCMP_ARCH_SHEB",
#endif
  NULL,
};
static const struct
{
  const char *name;
  unsigned int flag;
} feature_seccomp_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", 1U << 0 },
  { "SECCOMP_FILTER_FLAG_LOG", 1U << 1 },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1U << 2 },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1U << 5 },
};

/* Does the running kernel take this filter flag?  With a NULL program,
   seccomp(2) answers EFAULT for valid flags and EINVAL otherwise; the same
   probe the runtime makes before using a flag.  */
static bool
kernel_has_seccomp_flag (unsigned int flag)
{
  return syscall (__NR_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flag, NULL) < 0 && errno == EFAULT;
}

static bool
mount_option_supported (const char *opt)
{
  struct kago_mount_opts mo;
  kago_error_t err = NULL;
  memset (&mo, 0, sizeof mo);
  if (kago_mount_opts_parse (&opt, 1, &mo, &err) < 0)
    {
      kago_error_release (&err);
      return false;
    }
  bool ok = mo.data == NULL || mo.data[0] == '\0';
  kago_mount_opts_clear (&mo);
  return ok;
}

int
kago_cmd_features (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  (void) ctx;
  (void) err;
  struct kago_features_input in;
  memset (&in, 0, sizeof in);

  in.hooks = feature_hooks;

  const size_t nmo = sizeof mount_option_candidates / sizeof mount_option_candidates[0];
  cleanup_free const char **mount_opts = xcalloc (nmo + 1, sizeof *mount_opts);
  bool idmap = false;
  for (size_t i = 0, k = 0; i < nmo; i++)
    if (mount_option_supported (mount_option_candidates[i]))
      {
        mount_opts[k++] = mount_option_candidates[i];
        if (strcmp (mount_option_candidates[i], "idmap") == 0)
          idmap = true;
      }
  in.mount_options = mount_opts;

  in.linux_present = true;
  in.namespaces = feature_namespaces;

  int ncap = 0;
  while (kago_cap_name (ncap))
    ncap++;
  cleanup_free const char **caps = xcalloc ((size_t) ncap + 1, sizeof *caps);
  for (int i = 0; i < ncap; i++)
    caps[i] = kago_cap_name (i);
  in.capabilities = caps;

  in.cgroup_present = true;
  in.cgroup_v1 = KAGO_FEATURE_YES;
  in.cgroup_v2 = KAGO_FEATURE_YES;
  in.cgroup_systemd = KAGO_FEATURE_NO;
  in.cgroup_systemd_user = KAGO_FEATURE_NO;
  in.cgroup_rdma = KAGO_FEATURE_NO;

  in.seccomp_present = true;
  in.seccomp_enabled = KAGO_FEATURE_YES;
  in.seccomp_actions = feature_seccomp_actions;
  in.seccomp_operators = feature_seccomp_operators;
  in.seccomp_archs = feature_seccomp_archs;
  const size_t nflags = sizeof feature_seccomp_flags / sizeof feature_seccomp_flags[0];
  const char *known[sizeof feature_seccomp_flags / sizeof feature_seccomp_flags[0] + 1] = { NULL };
  const char *supported[sizeof feature_seccomp_flags / sizeof feature_seccomp_flags[0] + 1] = { NULL };
  for (size_t i = 0, k = 0; i < nflags; i++)
    {
      known[i] = feature_seccomp_flags[i].name;
      if (kernel_has_seccomp_flag (feature_seccomp_flags[i].flag))
        supported[k++] = feature_seccomp_flags[i].name;
    }
  in.seccomp_known_flags = known;
  in.seccomp_supported_flags = supported;

  in.apparmor_enabled = kago_apparmor_enabled () ? KAGO_FEATURE_YES : KAGO_FEATURE_NO;
  in.selinux_enabled = kago_selinux_enabled () ? KAGO_FEATURE_YES : KAGO_FEATURE_NO;
  in.intel_rdt_enabled = KAGO_FEATURE_NO;
  in.idmap_mounts = idmap ? KAGO_FEATURE_YES : KAGO_FEATURE_NO;
  in.net_devices = KAGO_FEATURE_NO;

  const struct scmp_version *sv = seccomp_version ();
  cleanup_free char *seccomp_ver
      = sv ? xasprintf ("%u.%u.%u", sv->major, sv->minor, sv->micro) : xstrdup ("");
  oci_kv ann_items[] = {
    { (char *) "io.github.seccomp.libseccomp.version", seccomp_ver },
    { (char *) "org.kago.checkpoint.enabled", (char *) "false" },
    { (char *) "org.kago.commit", (char *) KAGO_GIT_COMMIT },
    { (char *) "org.kago.version", (char *) KAGO_VERSION },
  };
  oci_map ann = { ann_items, sizeof ann_items / sizeof ann_items[0] };
  in.annotations = &ann;

  cleanup_free char *s = kago_features_json (&in);
  printf ("%s\n", s);
  return 0;
}
