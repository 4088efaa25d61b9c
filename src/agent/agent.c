/* kago seccomp-agent: the service loop and the helpers that act for the
 * container.
 *
 * One poll loop over the signalfd (SIGTERM/SIGINT end it), the listening
 * socket, connections still sending their container process state, and the
 * seccomp listener fds received so far.  A notification is answered before
 * the next is read:
 *
 *   - the syscall is named from (arch, nr) with libseccomp;
 *   - the target's /proc/TID entries are opened, then
 *     SECCOMP_IOCTL_NOTIF_ID_VALID proves TID was still the notifying
 *     thread when they were opened (not a recycled pid);
 *   - its memory is read through /proc/TID/mem, and ID_VALID is checked
 *     again: the strings were read while the call was still pending.  The
 *     agent acts on its own copy, never re-reading the target's memory, and
 *     never answers CONTINUE after looking at memory (the kernel would
 *     re-read it, and another thread may have changed it since);
 *   - the operation runs in a forked helper that joins the target's mount
 *     namespace (and, for mount, its user namespace), chroots to its root,
 *     enters its cwd (or the mknodat dirfd), checks that the cwd is inside
 *     the root, takes the caller's filesystem identity and acts; its exit
 *     status is the errno the call returns.  A helper that hangs is killed.
 *
 * A dead target (ENOENT from RECV or SEND), a filter with no users left
 * (POLLHUP) or a bad message only drops that target or connection.
 */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/syscalls.h"
#include "common/xalloc.h"

#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif
#ifndef SECCOMP_GET_NOTIF_SIZES
#define SECCOMP_GET_NOTIF_SIZES 3
#endif

#define MAX_CONNS 64
#define MAX_HELLO (1 << 20)
#define MAX_STR 4096 /* PATH_MAX, and the kernel's page-sized copies */

struct conn
{
  int fd;
  strbuf data;
  int fds[8];
  size_t nfds;
  bool dropped_fds;
};

struct target
{
  int fd;
  pid_t pid;
  char *id;
};

struct agent
{
  const struct kago_agent_options *o;
  int sigfd, lfd;
  struct stat sock_st;
  struct conn *conns;
  size_t nconns;
  struct target *targets;
  size_t ntargets;
  struct seccomp_notif *req;
  struct seccomp_notif_resp *resp;
  size_t req_size, resp_size;
  struct stat self_userns;
};

static void alog (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static void
alog (const char *fmt, ...)
{
  char ts[32];
  struct timespec now;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &now);
  gmtime_r (&now.tv_sec, &tm);
  strftime (ts, sizeof ts, "%H:%M:%S", &tm);
  strbuf sb = STRBUF_INIT;
  strbuf_addf (&sb, "%s.%03ld kago seccomp-agent: ", ts, now.tv_nsec / 1000000);
  va_list ap;
  va_start (ap, fmt);
  strbuf_addvf (&sb, fmt, ap);
  va_end (ap);
  strbuf_addc (&sb, '\n');
  write_all (2, sb.buf, sb.len);
  strbuf_release (&sb);
}

/* ---- the target ---- */

/* What one notification is about, with the fds of the target's /proc entries
   opened before the first ID_VALID check.  */
struct call
{
  struct agent *a;
  struct target *t;
  pid_t tid;
  int procfd, memfd;
  int mntns, userns; /* userns: -1 when the target shares ours */
  int rootfd, cwdfd;
  struct kago_agent_creds creds;
  char *uid_map, *gid_map;
  /* the operation */
  char path[MAX_STR];
  mode_t mode;
  dev_t dev;
  char fstype[MAX_STR], source[MAX_STR], data[MAX_STR];
  bool has_source, has_data;
  unsigned int attrs;
  bool rdonly;
  uint32_t ns_uid, ns_gid;
};

static void
call_close (struct call *c)
{
  int *fds[] = { &c->procfd, &c->memfd, &c->mntns, &c->userns, &c->rootfd, &c->cwdfd };
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (*fds[i] >= 0)
      {
        close (*fds[i]);
        *fds[i] = -1;
      }
  free (c->uid_map);
  free (c->gid_map);
  c->uid_map = c->gid_map = NULL;
}

static bool
id_valid (struct call *c)
{
  __u64 id = c->a->req->id;
  return ioctl (c->t->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static int
read_at (int dirfd, const char *name, char **out)
{
  kago_error_t err = NULL;
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC);
  size_t len;
  if (fd < 0)
    return -errno;
  if (read_all_fd (fd, out, &len, &err) < 0)
    {
      int e = err && err->errnum ? err->errnum : EIO;
      kago_error_release (&err);
      return -e;
    }
  return 0;
}

/* Open what the helpers need from /proc/TID; DIRFD_ARG is the dirfd of
   mknodat (AT_FDCWD otherwise).  Returns 0 or -errno; -ESRCH when the
   notification is no longer valid.  */
static int
open_target (struct call *c, int dirfd_arg, bool want_maps)
{
  char buf[64];
  snprintf (buf, sizeof buf, "/proc/%d", (int) c->tid);
  c->procfd = open (buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->procfd < 0)
    return -ESRCH;
  c->memfd = openat (c->procfd, "mem", O_RDONLY | O_CLOEXEC);
  c->mntns = openat (c->procfd, "ns/mnt", O_RDONLY | O_CLOEXEC);
  int userns = openat (c->procfd, "ns/user", O_RDONLY | O_CLOEXEC);
  c->rootfd = openat (c->procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd_arg == AT_FDCWD)
    c->cwdfd = openat (c->procfd, "cwd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  else
    {
      snprintf (buf, sizeof buf, "fd/%d", dirfd_arg);
      c->cwdfd = openat (c->procfd, buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
  int cwd_errno = errno;
  cleanup_free char *status = NULL;
  int r = read_at (c->procfd, "status", &status);
  if (r == 0 && want_maps)
    r = read_at (c->procfd, "uid_map", &c->uid_map);
  if (r == 0 && want_maps)
    r = read_at (c->procfd, "gid_map", &c->gid_map);
  /* Everything above belonged to the notifying thread only if the
     notification is still pending now.  */
  if (!id_valid (c))
    {
      if (userns >= 0)
        close (userns);
      return -ESRCH;
    }
  struct stat st;
  if (userns >= 0 && fstat (userns, &st) == 0 && st.st_dev == c->a->self_userns.st_dev
      && st.st_ino == c->a->self_userns.st_ino)
    {
      close (userns);
      userns = -1;
    }
  c->userns = userns;
  if (c->memfd < 0 || c->mntns < 0 || c->rootfd < 0 || r < 0)
    return r < 0 ? r : -EPERM;
  if (c->cwdfd < 0)
    return dirfd_arg == AT_FDCWD ? -EPERM : (cwd_errno == ENOENT ? -EBADF : -cwd_errno);
  kago_error_t err = NULL;
  if (kago_agent_parse_status (status, &c->creds, &err) < 0)
    {
      kago_error_release (&err);
      return -EPERM;
    }
  return 0;
}

/* Copy a NUL-terminated string of at most MAX_STR bytes from the target.  */
static int
read_string (struct call *c, uint64_t addr, char *buf)
{
  if (addr == 0)
    return -EFAULT;
  size_t got = 0;
  while (got < MAX_STR)
    {
      uint64_t a = addr + got;
      if (a > (uint64_t) INT64_MAX)
        return -EFAULT;
      size_t chunk = 4096 - (size_t) (a % 4096);
      if (chunk > MAX_STR - got)
        chunk = MAX_STR - got;
      ssize_t n = pread (c->memfd, buf + got, chunk, (off_t) a);
      if (n <= 0)
        return -EFAULT;
      if (memchr (buf + got, '\0', (size_t) n))
        return 0;
      got += (size_t) n;
    }
  buf[MAX_STR - 1] = '\0';
  return -ENAMETOOLONG;
}

/* ---- helpers (forked children) ---- */

/* Into the target's namespaces, root and cwd.  Returns 0 or an errno.  */
static int
enter_target (struct call *c, bool join_userns)
{
  if (join_userns && c->userns >= 0 && setns (c->userns, CLONE_NEWUSER) < 0)
    return errno;
  if (setns (c->mntns, CLONE_NEWNS) < 0)
    return errno;
  if (fchdir (c->rootfd) < 0 || chroot (".") < 0)
    return errno;
  if (fchdir (c->cwdfd) < 0)
    return errno;
  /* The cwd (or dirfd) must lie inside the root: the kernel reports a cwd
     outside it as "(unreachable)", which is not an absolute path.  */
  char buf[PATH_MAX];
  long n = syscall (SYS_getcwd, buf, sizeof buf);
  if (n <= 0 || buf[0] != '/')
    return EPERM;
  return 0;
}

static int
keep_only_cap (int cap)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct d[2];
  memset (d, 0, sizeof d);
  d[cap / 32].effective = d[cap / 32].permitted = 1U << (cap % 32);
  return (int) syscall (SYS_capset, &h, d);
}

static int
helper_mknod (struct call *c)
{
  int e = enter_target (c, false);
  if (e)
    return e;
  /* The caller's identity for the directory's permission checks and the
     node's owner; of our privileges only CAP_MKNOD remains.  */
  gid_t groups[64];
  for (size_t i = 0; i < c->creds.n_groups; i++)
    groups[i] = c->creds.groups[i];
  if (setgroups (c->creds.n_groups, groups) < 0)
    return errno;
  setfsgid (c->creds.fsgid);
  setfsuid (c->creds.fsuid);
  if ((uid_t) setfsuid ((uid_t) -1) != c->creds.fsuid || (gid_t) setfsgid ((gid_t) -1) != c->creds.fsgid)
    return EPERM;
  if (keep_only_cap (CAP_MKNOD) < 0)
    return errno;
  umask (c->creds.umask);
  if (mknod (c->path, c->mode, c->dev) < 0)
    return errno;
  return 0;
}

/* "size=1m,mode=755,noswap" -> fsconfig calls.  */
static int
configure_fs (int fsfd, char *data)
{
  char *save = NULL;
  for (char *opt = strtok_r (data, ",", &save); opt; opt = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (opt, '=');
      int r;
      if (eq)
        {
          *eq = '\0';
          r = fsconfig (fsfd, FSCONFIG_SET_STRING, opt, eq + 1, 0);
        }
      else
        r = fsconfig (fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
      if (r < 0)
        return errno;
    }
  return 0;
}

static int
helper_mount (struct call *c)
{
  int e = enter_target (c, true);
  if (e)
    return e;
  /* The new superblock belongs to the user namespace we are now in (the
     container's), and its root directory to the caller: tmpfs takes the
     owner from the fsuid/fsgid at fsopen.  */
  setfsgid (c->ns_gid);
  setfsuid (c->ns_uid);
  cleanup_close int fsfd = fsopen (c->fstype, FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return errno;
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "source", c->has_source ? c->source : "none", 0) < 0)
    return errno;
  if (c->has_data && (e = configure_fs (fsfd, c->data)) != 0)
    return e;
  if (c->rdonly && fsconfig (fsfd, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0)
    return errno;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return errno;
  cleanup_close int mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, c->attrs);
  if (mfd < 0)
    return errno;
  if (move_mount (mfd, "", AT_FDCWD, c->path, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) < 0)
    return errno;
  return 0;
}

/* Run FN in a child; its exit status is the errno (0: done).  */
static int
run_helper (struct call *c, int (*fn) (struct call *))
{
  pid_t pid = fork ();
  if (pid < 0)
    return errno;
  if (pid == 0)
    {
      /* Our fds (the other containers' listeners) are not the helper's
         business; the ones it needs are above.  */
      _exit (fn (c) & 0xff);
    }
  int timeout = c->a->o->helper_timeout_ms > 0 ? c->a->o->helper_timeout_ms : 10000;
  cleanup_close int pidfd = kago_pidfd_open (pid, 0);
  bool timed_out = false;
  if (pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      int r;
      do
        r = poll (&p, 1, timeout);
      while (r < 0 && errno == EINTR);
      if (r == 0)
        {
          kill (pid, SIGKILL);
          timed_out = true;
        }
    }
  int st = 0;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (timed_out)
    return ETIMEDOUT;
  if (WIFEXITED (st))
    return WEXITSTATUS (st);
  return EIO;
}

/* ---- decisions ---- */

enum verdict
{
  V_REPLY,    /* answer with error E (0: success) */
  V_CONTINUE, /* let the kernel run it with the caller's own privileges */
  V_GONE,     /* the notification is no longer valid: nothing to answer */
};

static const char *
dev_type_name (mode_t type)
{
  return type == S_IFCHR ? "c" : "b";
}

static enum verdict
do_mknod (struct call *c, int dirfd, uint64_t path_addr, uint64_t mode_arg, uint64_t dev_arg, int *e)
{
  struct target *t = c->t;
  mode_t mode = (mode_t) (uint16_t) mode_arg;
  mode_t type = mode & S_IFMT;
  if (type == 0 || type == S_IFREG || type == S_IFIFO || type == S_IFSOCK)
    {
      /* Not a device: the kernel allows these to anyone with write access
         to the directory.  Decided from registers only, so CONTINUE cannot
         be raced: the call gets nothing beyond the caller's own rights.  */
      alog ("[%s pid %d] mknod of a non-device (mode 0%o): continue", t->id, (int) c->tid, (unsigned) mode);
      return V_CONTINUE;
    }
  if (type != S_IFCHR && type != S_IFBLK)
    {
      *e = EINVAL;
      return V_REPLY;
    }
  uint32_t major, minor;
  kago_agent_decode_dev (dev_arg, &major, &minor);
  char tc = type == S_IFCHR ? 'c' : 'b';
  if (!kago_agent_policy_allows_device (c->a->o->policy, tc, major, minor))
    {
      alog ("[%s pid %d] mknod %s %u:%u: denied (not in the allow list)", t->id, (int) c->tid,
            dev_type_name (type), major, minor);
      *e = EPERM;
      return V_REPLY;
    }
  int r = open_target (c, dirfd, false);
  if (r == -ESRCH)
    return V_GONE;
  if (r == 0)
    r = read_string (c, path_addr, c->path);
  if (!id_valid (c))
    return V_GONE;
  if (r < 0)
    {
      *e = -r;
      return V_REPLY;
    }
  /* The caller must hold CAP_MKNOD in its own user namespace: what it
     lacks is only the kernel's rule that device nodes need CAP_MKNOD in the
     initial one.  */
  if (!(c->creds.cap_eff & (1ULL << CAP_MKNOD)))
    {
      alog ("[%s pid %d] mknod \"%s\" %s %u:%u: denied (the caller has no CAP_MKNOD)", t->id, (int) c->tid,
            c->path, dev_type_name (type), major, minor);
      *e = EPERM;
      return V_REPLY;
    }
  c->mode = mode;
  c->dev = makedev (major, minor);
  *e = run_helper (c, helper_mknod);
  alog ("[%s pid %d] mknod \"%s\" %s %u:%u mode 0%o as %u:%u: %s", t->id, (int) c->tid, c->path,
        dev_type_name (type), major, minor, (unsigned) (mode & 07777), c->creds.fsuid, c->creds.fsgid,
        *e ? strerror (*e) : "created");
  return V_REPLY;
}

static enum verdict
do_mount (struct call *c, const uint64_t *args, int *e)
{
  struct target *t = c->t;
  unsigned long bad = 0;
  int r = open_target (c, AT_FDCWD, true);
  if (r == -ESRCH)
    return V_GONE;
  if (r == 0)
    r = read_string (c, args[2], c->fstype);
  if (r == -EFAULT && args[2] == 0)
    {
      /* No type: a bind, move, remount or propagation change.  */
      snprintf (c->fstype, sizeof c->fstype, "(none)");
      r = 0;
    }
  if (r == 0)
    r = read_string (c, args[1], c->path);
  c->has_source = args[0] != 0;
  if (r == 0 && c->has_source)
    r = read_string (c, args[0], c->source);
  c->has_data = args[4] != 0;
  if (r == 0 && c->has_data)
    r = read_string (c, args[4], c->data);
  if (!id_valid (c))
    return V_GONE;
  if (r < 0)
    {
      *e = -r;
      return V_REPLY;
    }
  if (!kago_agent_policy_allows_fstype (c->a->o->policy, c->fstype))
    {
      alog ("[%s pid %d] mount -t %s on \"%s\": denied (type not in the allow list)", t->id, (int) c->tid,
            c->fstype, c->path);
      *e = EPERM;
      return V_REPLY;
    }
  if (kago_agent_mount_attrs ((unsigned long) args[3], &c->attrs, &c->rdonly, &bad) < 0)
    {
      alog ("[%s pid %d] mount -t %s on \"%s\": denied (flags 0x%lx are not a plain new mount)", t->id,
            (int) c->tid, c->fstype, c->path, bad);
      *e = EPERM;
      return V_REPLY;
    }
  /* Only the container's root may mount: a tmpfs over a directory is a way
     to replace what other users of the container trust (/etc).  */
  c->ns_uid = c->creds.fsuid;
  c->ns_gid = c->creds.fsgid;
  if (c->userns >= 0
      && (kago_agent_map_to_ns (c->uid_map, c->creds.fsuid, &c->ns_uid) < 0
          || kago_agent_map_to_ns (c->gid_map, c->creds.fsgid, &c->ns_gid) < 0))
    {
      *e = EPERM;
      return V_REPLY;
    }
  if (c->ns_uid != 0)
    {
      alog ("[%s pid %d] mount -t %s on \"%s\": denied (the caller is uid %u, not root, in its user "
            "namespace)",
            t->id, (int) c->tid, c->fstype, c->path, c->ns_uid);
      *e = EPERM;
      return V_REPLY;
    }
  *e = run_helper (c, helper_mount);
  alog ("[%s pid %d] mount -t %s %s on \"%s\"%s%s: %s", t->id, (int) c->tid, c->fstype,
        c->has_source ? c->source : "none", c->path, c->has_data ? " -o " : "", c->has_data ? c->data : "",
        *e ? strerror (*e) : "mounted");
  return V_REPLY;
}

/* Read one notification from T and answer it.  Returns -1 when T is to be
   dropped (its listener failed).  */
static int
serve (struct agent *a, struct target *t)
{
  memset (a->req, 0, a->req_size);
  if (ioctl (t->fd, SECCOMP_IOCTL_NOTIF_RECV, a->req) < 0)
    {
      /* ENOENT: the target was killed or interrupted before we got it.  */
      if (errno == EINTR || errno == ENOENT || errno == EAGAIN)
        return 0;
      alog ("[%s] receive a notification: %s; dropping this listener", t->id, strerror (errno));
      return -1;
    }
  struct seccomp_notif *req = a->req;
  struct call c = {
    .a = a,
    .t = t,
    .tid = (pid_t) req->pid,
    .procfd = -1,
    .memfd = -1,
    .mntns = -1,
    .userns = -1,
    .rootfd = -1,
    .cwdfd = -1,
  };
  uint64_t args[6];
  for (int i = 0; i < 6; i++)
    args[i] = req->data.args[i];
  cleanup_free char *name = seccomp_syscall_resolve_num_arch (req->data.arch, req->data.nr);
  enum verdict v = V_REPLY;
  int e = EPERM;
  if (name && strcmp (name, "mknod") == 0)
    v = do_mknod (&c, AT_FDCWD, args[0], args[1], args[2], &e);
  else if (name && strcmp (name, "mknodat") == 0)
    v = do_mknod (&c, (int) (int32_t) args[0], args[1], args[2], args[3], &e);
  else if (name && strcmp (name, "mount") == 0)
    v = do_mount (&c, args, &e);
  else
    alog ("[%s pid %d] %s: denied (the agent does not handle it)", t->id, (int) c.tid,
          name ? name : "unknown syscall");
  call_close (&c);
  if (v == V_GONE)
    {
      alog ("[%s pid %d] %s: the caller went away", t->id, (int) c.tid, name ? name : "?");
      return 0;
    }
  memset (a->resp, 0, a->resp_size);
  a->resp->id = req->id;
  if (v == V_CONTINUE)
    a->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  else
    a->resp->error = e ? -e : 0;
  if (ioctl (t->fd, SECCOMP_IOCTL_NOTIF_SEND, a->resp) < 0 && errno != ENOENT)
    alog ("[%s pid %d] answer: %s", t->id, (int) c.tid, strerror (errno));
  return 0;
}

/* ---- connections from the runtime ---- */

static void
conn_free (struct conn *cn)
{
  close (cn->fd);
  for (size_t i = 0; i < cn->nfds; i++)
    close (cn->fds[i]);
  strbuf_release (&cn->data);
}

static void
conn_finish (struct agent *a, struct conn *cn)
{
  struct kago_agent_hello h;
  kago_error_t err = NULL;
  if (cn->dropped_fds
      || kago_agent_parse_hello (cn->data.buf ? cn->data.buf : "", cn->data.len, cn->nfds, &h, &err) < 0)
    {
      cleanup_free char *m = err ? kago_error_string (err) : xstrdup ("too many descriptors");
      kago_error_release (&err);
      alog ("connection refused: %s", m);
      return;
    }
  int fd = cn->fds[h.seccomp_fd_index];
  cn->fds[h.seccomp_fd_index] = -1;
  /* Is it a seccomp listener?  ID_VALID of id 0 answers ENOENT on one and
     ENOTTY (or EINVAL) on anything else.  */
  __u64 zero = 0;
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &zero) == 0 || errno != ENOENT)
    {
      alog ("connection refused: container %s: seccompFd is not a seccomp listener", h.id);
      close (fd);
      kago_agent_hello_clear (&h);
      return;
    }
  a->targets = xrealloc (a->targets, (a->ntargets + 1) * sizeof *a->targets);
  a->targets[a->ntargets++] = (struct target){ .fd = fd, .pid = h.pid, .id = steal_pointer (&h.id) };
  alog ("container %s (pid %d) connected%s%s", a->targets[a->ntargets - 1].id, (int) h.pid,
        h.metadata ? ", metadata: " : "", h.metadata ? h.metadata : "");
  kago_agent_hello_clear (&h);
}

/* Read what is there.  Returns 1 when the connection is done (EOF, error or
   too much), 0 to keep reading.  */
static int
conn_read (struct agent *a, struct conn *cn)
{
  char buf[16384];
  union
  {
    char b[CMSG_SPACE (sizeof (int) * 8)];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
  struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b };
  ssize_t n = recvmsg (cn->fd, &h, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n < 0)
    return errno == EAGAIN || errno == EINTR ? 0 : 1;
  if (h.msg_flags & MSG_CTRUNC)
    cn->dropped_fds = true;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&h); c; c = CMSG_NXTHDR (&h, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        size_t k = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        for (size_t i = 0; i < k; i++)
          {
            int fd;
            memcpy (&fd, CMSG_DATA (c) + i * sizeof (int), sizeof fd);
            if (cn->nfds < sizeof cn->fds / sizeof cn->fds[0])
              cn->fds[cn->nfds++] = fd;
            else
              {
                close (fd);
                cn->dropped_fds = true;
              }
          }
      }
  if (n == 0)
    {
      conn_finish (a, cn);
      return 1;
    }
  strbuf_add (&cn->data, buf, (size_t) n);
  if (cn->data.len > MAX_HELLO)
    {
      alog ("connection refused: more than %d bytes", MAX_HELLO);
      return 1;
    }
  return 0;
}

static void
accept_conns (struct agent *a)
{
  for (;;)
    {
      int fd = accept4 (a->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0)
        return;
      struct ucred cr;
      socklen_t len = sizeof cr;
      if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != geteuid ())
        {
          alog ("connection refused: the peer (uid %d) is not uid %d", (int) cr.uid, (int) geteuid ());
          close (fd);
          continue;
        }
      if (a->nconns >= MAX_CONNS)
        {
          alog ("connection refused: %d connections are already pending", MAX_CONNS);
          close (fd);
          continue;
        }
      a->conns = xrealloc (a->conns, (a->nconns + 1) * sizeof *a->conns);
      a->conns[a->nconns++] = (struct conn){ .fd = fd, .data = STRBUF_INIT };
    }
}

/* ---- setup ---- */

static int
listen_on (struct agent *a, const char *path, kago_error_t *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof sa.sun_path)
    return kago_error_set (err, ENAMETOOLONG, "--socket `%s`: longer than %zu bytes", path,
                           sizeof sa.sun_path - 1);
  memcpy (sa.sun_path, path, strlen (path) + 1);
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return kago_error_set (err, errno, "socket");
  mode_t old = umask (0177);
  int r = bind (fd, (struct sockaddr *) &sa, sizeof sa);
  if (r < 0 && errno == EADDRINUSE)
    {
      /* A socket nobody listens on is a leftover: replace it.  */
      struct stat st;
      cleanup_close int probe = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (lstat (path, &st) == 0 && S_ISSOCK (st.st_mode) && probe >= 0
          && connect (probe, (struct sockaddr *) &sa, sizeof sa) < 0 && errno == ECONNREFUSED)
        {
          unlink (path);
          r = bind (fd, (struct sockaddr *) &sa, sizeof sa);
        }
      else
        errno = EADDRINUSE;
    }
  int e = errno;
  umask (old);
  if (r < 0)
    return kago_error_set (err, e, "--socket `%s`: bind", path);
  if (listen (fd, MAX_CONNS) < 0 || stat (path, &a->sock_st) < 0)
    return kago_error_set (err, errno, "--socket `%s`: listen", path);
  a->lfd = steal_fd (&fd);
  return 0;
}

static int
notif_buffers (struct agent *a, kago_error_t *err)
{
  struct seccomp_notif_sizes sz;
  if (syscall (__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
    return kago_error_set (err, errno, "seccomp(SECCOMP_GET_NOTIF_SIZES): this kernel has no seccomp notify");
  a->req_size = sz.seccomp_notif > sizeof *a->req ? sz.seccomp_notif : sizeof *a->req;
  a->resp_size = sz.seccomp_notif_resp > sizeof *a->resp ? sz.seccomp_notif_resp : sizeof *a->resp;
  a->req = xzalloc (a->req_size);
  a->resp = xzalloc (a->resp_size);
  return 0;
}

static void
agent_free (struct agent *a)
{
  for (size_t i = 0; i < a->nconns; i++)
    conn_free (&a->conns[i]);
  free (a->conns);
  for (size_t i = 0; i < a->ntargets; i++)
    {
      close (a->targets[i].fd);
      free (a->targets[i].id);
    }
  free (a->targets);
  free (a->req);
  free (a->resp);
  if (a->sigfd >= 0)
    close (a->sigfd);
  if (a->lfd >= 0)
    {
      /* Remove the socket if it is still ours.  */
      struct stat st;
      if (stat (a->o->socket_path, &st) == 0 && st.st_ino == a->sock_st.st_ino
          && st.st_dev == a->sock_st.st_dev)
        unlink (a->o->socket_path);
      close (a->lfd);
    }
}

int
kago_agent_run (const struct kago_agent_options *o, kago_error_t *err)
{
  struct agent a = { .o = o, .sigfd = -1, .lfd = -1 };
  int ret = -1;
  sigset_t mask, old;
  sigemptyset (&mask);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGHUP);
  signal (SIGPIPE, SIG_IGN);
  sigprocmask (SIG_BLOCK, &mask, &old);
  a.sigfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (a.sigfd < 0)
    {
      kago_error_set (err, errno, "signalfd");
      goto out;
    }
  if (stat ("/proc/self/ns/user", &a.self_userns) < 0)
    {
      kago_error_set (err, errno, "/proc/self/ns/user");
      goto out;
    }
  if (notif_buffers (&a, err) < 0 || listen_on (&a, o->socket_path, err) < 0)
    goto out;
  alog ("listening on %s (mknod: %zu devices, mount: %zu filesystem types)", o->socket_path,
        o->policy->n_devices, o->policy->n_fstypes);

  for (;;)
    {
      size_t n = 2 + a.nconns + a.ntargets;
      cleanup_free struct pollfd *p = xcalloc (n, sizeof *p);
      p[0] = (struct pollfd){ .fd = a.sigfd, .events = POLLIN };
      p[1] = (struct pollfd){ .fd = a.lfd, .events = POLLIN };
      for (size_t i = 0; i < a.nconns; i++)
        p[2 + i] = (struct pollfd){ .fd = a.conns[i].fd, .events = POLLIN };
      for (size_t i = 0; i < a.ntargets; i++)
        p[2 + a.nconns + i] = (struct pollfd){ .fd = a.targets[i].fd, .events = POLLIN };
      if (poll (p, n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          kago_error_set (err, errno, "poll");
          goto out;
        }
      if (p[0].revents)
        {
          struct signalfd_siginfo si;
          if (read (a.sigfd, &si, sizeof si) == (ssize_t) sizeof si)
            {
              alog ("signal %u: exiting (%zu containers connected)", si.ssi_signo, a.ntargets);
              ret = 0;
              goto out;
            }
        }
      /* Targets first (indexes into P are stable until the end).  */
      size_t nt = a.ntargets, nc = a.nconns;
      bool *drop_t = xcalloc (nt + 1, sizeof (bool));
      bool *drop_c = xcalloc (nc + 1, sizeof (bool));
      for (size_t i = 0; i < nt; i++)
        {
          short re = p[2 + nc + i].revents;
          if (re & POLLIN)
            drop_t[i] = serve (&a, &a.targets[i]) < 0;
          else if (re & (POLLHUP | POLLERR | POLLNVAL))
            {
              alog ("container %s (pid %d): no process uses the filter any more", a.targets[i].id,
                    (int) a.targets[i].pid);
              drop_t[i] = true;
            }
        }
      for (size_t i = 0; i < nc; i++)
        if (p[2 + i].revents)
          drop_c[i] = conn_read (&a, &a.conns[i]) != 0;
      size_t k = 0;
      for (size_t i = 0; i < nt; i++)
        if (drop_t[i])
          {
            close (a.targets[i].fd);
            free (a.targets[i].id);
          }
        else
          a.targets[k++] = a.targets[i];
      /* conn_finish may have appended targets beyond NT.  */
      for (size_t i = nt; i < a.ntargets; i++)
        a.targets[k++] = a.targets[i];
      a.ntargets = k;
      k = 0;
      for (size_t i = 0; i < nc; i++)
        if (drop_c[i])
          conn_free (&a.conns[i]);
        else
          a.conns[k++] = a.conns[i];
      a.nconns = k;
      free (drop_t);
      free (drop_c);
      if (p[1].revents & POLLIN)
        accept_conns (&a);
    }
out:
  agent_free (&a);
  sigprocmask (SIG_SETMASK, &old, NULL);
  return ret;
}
