/* lifecycle: time whole command runs side by side, interleaved.
 *
 *   lifecycle [-n RUNS] [-w WARMUP] [-t TIMEOUT_S] [-r REF] [-R ALSO]... [-f FLOOR]
 *             [-c CMP] [-p ID_PREFIX] [-o RAW.csv] [-T]
 *             -- NAME ARGV... [';;' NAME ARGV...]...
 *
 * Each NAME ARGV... group is one command (e.g. one runtime's `run` of a
 * /bin/true container).  Every "{id}" inside an argument is replaced by a
 * fresh container id per run.  The commands run round-robin (round i runs
 * every command once, starting at a different command each round), so the
 * noise of a shared machine hits all of them alike.  Per run the wall time
 * (CLOCK_MONOTONIC around fork..wait4) and the peak RSS (wait4's ru_maxrss:
 * the largest resident set of the child or any descendant it waited for)
 * are recorded; a run counts only if it exits 0.
 *
 * Prints per command: successful runs, median/p10/p90 wall time (ms), median
 * and max peak RSS (KiB), and the median's ratio to REF's (default: the first
 * command) and to FLOOR's (default: "floor").  Then the targets: REF's median
 * <= 0.5 x CMP's (default "crun"), <= 1.5 x FLOOR's, and REF's peak RSS <=
 * CMP's (-T: no targets; the caller has its own, e.g. bench/engine.sh); and
 * the same targets for each ALSO (-R, repeatable: another configuration of
 * REF, e.g. kago run from a read-only mount).
 * Exit status 0 when every run of every command succeeded, 1 otherwise.
 *
 * Built by bench/run.sh with gcc; not part of the meson build.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cmd
{
  const char *name;
  char **argv; /* template, NULL-terminated */
  int argc;
  double *ms; /* successful runs only */
  long *rss;  /* KiB, successful runs only */
  int n_ok;
  int n_fail;
  int n_tried;
  bool given_up;
  int first_fail_status;
  char first_err[512];
};

static volatile sig_atomic_t timed_out;

static void
on_alarm (int sig)
{
  (void) sig;
  timed_out = 1;
}

static void
die (const char *msg)
{
  perror (msg);
  exit (2);
}

static void *
xcalloc (size_t n, size_t sz)
{
  void *p = calloc (n ? n : 1, sz);
  if (p == NULL)
    die ("calloc");
  return p;
}

/* Replace every "{id}" in s by id.  */
static char *
subst_id (const char *s, const char *id)
{
  size_t idlen = strlen (id), n = 0;
  for (const char *p = s; (p = strstr (p, "{id}")) != NULL; p += 4)
    n++;
  char *out = xcalloc (strlen (s) + n * idlen + 1, 1), *o = out;
  const char *p = s, *q;
  while ((q = strstr (p, "{id}")) != NULL)
    {
      memcpy (o, p, (size_t) (q - p));
      o += q - p;
      memcpy (o, id, idlen);
      o += idlen;
      p = q + 4;
    }
  strcpy (o, p);
  return out;
}

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

/* Run c once with container id `id`.  Returns the wait status (or -1 when
   the run was killed after the timeout); *ms and *rss get its cost.  */
static int
run_once (struct cmd *c, const char *id, int errfd, int timeout_s, double *ms, long *rss)
{
  char **argv = xcalloc ((size_t) c->argc + 1, sizeof (char *));
  for (int i = 0; i < c->argc; i++)
    argv[i] = subst_id (c->argv[i], id);

  if (ftruncate (errfd, 0) < 0 || lseek (errfd, 0, SEEK_SET) < 0)
    die ("truncate stderr file");

  double t0 = now_ms ();
  pid_t pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      setpgid (0, 0);
      int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (devnull < 0)
        _exit (126);
      dup2 (devnull, 0);
      dup2 (devnull, 1);
      dup2 (errfd, 2);
      execvp (argv[0], argv);
      dprintf (2, "exec %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  setpgid (pid, pid);

  int status = 0;
  struct rusage ru;
  memset (&ru, 0, sizeof ru);
  timed_out = 0;
  alarm ((unsigned) timeout_s);
  for (;;)
    {
      pid_t r = wait4 (pid, &status, 0, &ru);
      if (r == pid)
        break;
      if (r < 0 && errno == EINTR)
        {
          if (timed_out)
            {
              kill (-pid, SIGKILL);
              kill (pid, SIGKILL);
            }
          continue;
        }
      die ("wait4");
    }
  alarm (0);
  *ms = now_ms () - t0;
  *rss = ru.ru_maxrss;

  for (int i = 0; i < c->argc; i++)
    free (argv[i]);
  free (argv);
  return timed_out ? -1 : status;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static int
cmp_long (const void *a, const void *b)
{
  long x = *(const long *) a, y = *(const long *) b;
  return (x > y) - (x < y);
}

/* Percentile by linear interpolation between closest ranks; v sorted.  */
static double
pct (const double *v, int n, double p)
{
  if (n == 0)
    return 0;
  double r = p * (n - 1);
  int lo = (int) r;
  if (lo >= n - 1)
    return v[n - 1];
  return v[lo] + (r - lo) * (v[lo + 1] - v[lo]);
}

static double
median_ms (struct cmd *c)
{
  return c->n_ok ? pct (c->ms, c->n_ok, 0.5) : 0;
}

static long
median_rss (struct cmd *c)
{
  return c->n_ok ? c->rss[(c->n_ok - 1) / 2] : 0;
}

static struct cmd *
find_cmd (struct cmd *cmds, int n, const char *name)
{
  for (int i = 0; i < n; i++)
    if (strcmp (cmds[i].name, name) == 0)
      return &cmds[i];
  return NULL;
}

static void
usage (void)
{
  fprintf (stderr, "usage: lifecycle [-n RUNS] [-w WARMUP] [-t TIMEOUT_S] [-r REF] [-R ALSO]... [-f FLOOR] [-c CMP] "
                   "[-p ID_PREFIX] [-o RAW.csv] [-T] -- NAME ARGV... [';;' NAME ARGV...]...\n");
  exit (2);
}

static void
describe_status (int status, char *buf, size_t len)
{
  if (status == -1)
    snprintf (buf, len, "timed out");
  else if (WIFEXITED (status))
    snprintf (buf, len, "exit %d", WEXITSTATUS (status));
  else if (WIFSIGNALED (status))
    snprintf (buf, len, "signal %d", WTERMSIG (status));
  else
    snprintf (buf, len, "status 0x%x", status);
}

/* The targets for command R against CMP and FLOOR_C.  */
static void
print_targets (struct cmd *r, struct cmd *cmp, struct cmd *floor_c)
{
  printf ("\ntargets for %s:\n", r->name);
  if (r->n_ok == 0)
    {
      printf ("  (no successful %s run: targets not measured)\n", r->name);
      return;
    }
  double med = median_ms (r);
  if (cmp && cmp->n_ok)
    {
      double cm = median_ms (cmp);
      printf ("  median <= 0.5 x %s (%.2f <= %.2f ms): %s\n", cmp->name, med, 0.5 * cm,
              med <= 0.5 * cm ? "PASS" : "MISS");
      printf ("  peak RSS <= %s's (%ld <= %ld KiB): %s\n", cmp->name, median_rss (r), median_rss (cmp),
              median_rss (r) <= median_rss (cmp) ? "PASS" : "MISS");
    }
  if (floor_c && floor_c->n_ok)
    {
      double fm = median_ms (floor_c);
      printf ("  median <= 1.5 x %s (%.2f <= %.2f ms): %s\n", floor_c->name, med, 1.5 * fm,
              med <= 1.5 * fm ? "PASS" : "MISS");
    }
}

int
main (int argc, char **argv)
{
  int runs = 50, warmup = 3, timeout_s = 30;
  const char *ref_name = NULL, *floor_name = "floor", *cmp_name = "crun", *raw_path = NULL;
  bool no_targets = false;
  const char *also[8];
  int nalso = 0;
  char prefix[64];
  snprintf (prefix, sizeof prefix, "bench%d", (int) getpid ());

  int opt;
  while ((opt = getopt (argc, argv, "+n:w:t:r:R:f:c:p:o:Th")) != -1)
    switch (opt)
      {
      case 'n':
        runs = atoi (optarg);
        break;
      case 'w':
        warmup = atoi (optarg);
        break;
      case 't':
        timeout_s = atoi (optarg);
        break;
      case 'r':
        ref_name = optarg;
        break;
      case 'R':
        if (nalso < (int) (sizeof also / sizeof also[0]))
          also[nalso++] = optarg;
        break;
      case 'f':
        floor_name = optarg;
        break;
      case 'c':
        cmp_name = optarg;
        break;
      case 'p':
        snprintf (prefix, sizeof prefix, "%s", optarg);
        break;
      case 'o':
        raw_path = optarg;
        break;
      case 'T':
        no_targets = true;
        break;
      default:
        usage ();
      }
  if (runs < 1 || warmup < 0 || timeout_s < 1 || optind >= argc)
    usage ();

  /* Split the rest into commands at ";;".  */
  struct cmd *cmds = xcalloc ((size_t) (argc - optind), sizeof *cmds);
  int ncmds = 0;
  for (int i = optind; i < argc;)
    {
      int j = i;
      while (j < argc && strcmp (argv[j], ";;") != 0)
        j++;
      if (j - i < 2)
        usage ();
      struct cmd *c = &cmds[ncmds++];
      c->name = argv[i];
      c->argv = &argv[i + 1];
      c->argc = j - i - 1;
      c->ms = xcalloc ((size_t) runs, sizeof (double));
      c->rss = xcalloc ((size_t) runs, sizeof (long));
      i = j + 1;
    }
  struct cmd *ref = ref_name ? find_cmd (cmds, ncmds, ref_name) : &cmds[0];
  if (ref == NULL)
    {
      fprintf (stderr, "lifecycle: no command named %s\n", ref_name);
      return 2;
    }
  struct cmd *floor_c = find_cmd (cmds, ncmds, floor_name);
  struct cmd *cmp = find_cmd (cmds, ncmds, cmp_name);

  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: wait4 must return EINTR */
  sigaction (SIGALRM, &sa, NULL);

  char errpath[] = "/tmp/lifecycle-stderr.XXXXXX";
  int errfd = mkstemp (errpath);
  if (errfd < 0)
    die ("mkstemp");
  unlink (errpath);

  FILE *raw = NULL;
  if (raw_path)
    {
      raw = fopen (raw_path, "w");
      if (raw == NULL)
        die (raw_path);
      fprintf (raw, "round,name,ok,ms,maxrss_kib\n");
    }

  int total_rounds = warmup + runs;
  unsigned long seq = 0;
  for (int round = 0; round < total_rounds; round++)
    {
      bool counted = round >= warmup;
      for (int k = 0; k < ncmds; k++)
        {
          struct cmd *c = &cmds[(round + k) % ncmds];
          if (c->given_up)
            continue;
          char id[128];
          snprintf (id, sizeof id, "%s-%s-%lu", prefix, c->name, seq++);
          double ms;
          long rss;
          int status = run_once (c, id, errfd, timeout_s, &ms, &rss);
          bool ok = status == 0;
          if (raw)
            fprintf (raw, "%d,%s,%d,%.3f,%ld\n", round - warmup, c->name, ok, ms, rss);
          c->n_tried++;
          if (ok)
            {
              if (counted)
                {
                  c->ms[c->n_ok] = ms;
                  c->rss[c->n_ok] = rss;
                  c->n_ok++;
                }
              continue;
            }
          if (c->n_fail++ == 0)
            {
              c->first_fail_status = status;
              ssize_t n = pread (errfd, c->first_err, sizeof c->first_err - 1, 0);
              c->first_err[n > 0 ? n : 0] = '\0';
              char *nl = strchr (c->first_err, '\n');
              if (nl && nl[1] == '\0')
                *nl = '\0';
            }
          /* A command that failed every warmup run is broken: stop wasting
             time on it (and on its timeouts).  */
          if ((round == warmup - 1 || warmup == 0) && c->n_fail == c->n_tried)
            c->given_up = true;
        }
    }
  if (raw)
    fclose (raw);

  for (int i = 0; i < ncmds; i++)
    {
      qsort (cmds[i].ms, (size_t) cmds[i].n_ok, sizeof (double), cmp_double);
      qsort (cmds[i].rss, (size_t) cmds[i].n_ok, sizeof (long), cmp_long);
    }

  double ref_med = ref->n_ok ? median_ms (ref) : 0;
  double floor_med = floor_c && floor_c->n_ok ? median_ms (floor_c) : 0;
  printf ("%d runs per command (+%d warmup), interleaved; wall time of the whole command in ms\n", runs,
          warmup);
  printf ("%-14s %7s %9s %9s %9s %10s %10s %9s %9s\n", "command", "ok", "median", "p10", "p90", "rss_med",
          "rss_max", ref->name, floor_c ? floor_c->name : "floor");
  bool all_ok = true;
  for (int i = 0; i < ncmds; i++)
    {
      struct cmd *c = &cmds[i];
      char okcol[32];
      snprintf (okcol, sizeof okcol, "%d/%d", c->n_ok, c->given_up ? c->n_tried : runs);
      if (c->n_fail)
        all_ok = false;
      if (c->n_ok == 0)
        {
          char st[32];
          describe_status (c->first_fail_status, st, sizeof st);
          printf ("%-14s %7s FAILED (%s): %.200s\n", c->name, okcol, st,
                  c->first_err[0] ? c->first_err : "(no stderr)");
          continue;
        }
      double med = median_ms (c);
      char rref[16] = "-", rfloor[16] = "-";
      if (ref_med > 0)
        snprintf (rref, sizeof rref, "%.2fx", med / ref_med);
      if (floor_med > 0)
        snprintf (rfloor, sizeof rfloor, "%.2fx", med / floor_med);
      printf ("%-14s %7s %9.2f %9.2f %9.2f %10ld %10ld %9s %9s\n", c->name, okcol, med,
              pct (c->ms, c->n_ok, 0.1), pct (c->ms, c->n_ok, 0.9), median_rss (c), c->rss[c->n_ok - 1], rref,
              rfloor);
      if (c->n_fail)
        {
          char st[32];
          describe_status (c->first_fail_status, st, sizeof st);
          printf ("%-14s %d failed run(s), first (%s): %.200s\n", "", c->n_fail, st,
                  c->first_err[0] ? c->first_err : "(no stderr)");
        }
    }

  if (no_targets)
    return all_ok ? 0 : 1;
  print_targets (ref, cmp, floor_c);
  for (int i = 0; i < nalso; i++)
    {
      struct cmd *a = find_cmd (cmds, ncmds, also[i]);
      if (a)
        print_targets (a, cmp, floor_c);
    }
  return all_ok ? 0 : 1;
}
