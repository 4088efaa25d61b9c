/* The container init: the cloned child runs these steps in order, reporting
   any failure to the parent over the sync socket, then execs the process.
   It stays non-dumpable until execve (CVE-2016-9962) and dies with its parent
   until the container is created.  */
#include "common/phase.h"
#include "runtime/core.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/syscalls.h"
#include "common/xalloc.h"
#include "oci/state_json.h"
#include "runtime/mounts.h"
#include "runtime/process_attrs.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* Restore default dispositions and an empty mask: the runtime blocks signals
   to forward them, the container must not inherit that.  */
void
kago_init_reset_signals (void)
{
  sigset_t none;
  sigemptyset (&none);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal (s, SIG_DFL);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

static const char *
env_path (char *const *env)
{
  if (env)
    for (char *const *e = env; *e; e++)
      if (strncmp (*e, "PATH=", 5) == 0)
        return *e + 5;
  return default_path;
}

/* Resolve args[0] in the container's PATH (from the process env, not ours). */
/* An exec error worded as runc's (Go's lower-case errno texts): docker
   turns "no such file or directory" and "executable file not found" into
   exit status 127 and "permission denied" into 126 by matching them.  */
int
kago_init_exec_error (kago_error_t *err, const char *name, const char *what, int errnum)
{
  char buf[128];
  snprintf (buf, sizeof buf, "%s", strerror (errnum));
  buf[0] = (char) tolower ((unsigned char) buf[0]);
  if (what)
    return kago_error_set (err, 0, "exec: \"%s\": %s %s: %s", name, what, name, buf);
  return kago_error_set (err, 0, "exec: \"%s\": %s", name, buf);
}

char *
kago_init_find_executable (const char *name, char *const *env, kago_error_t *err)
{
  if (strchr (name, '/'))
    {
      struct stat sb;
      if (stat (name, &sb) < 0)
        return kago_init_exec_error (err, name, "stat", errno), NULL;
      /* As runc: a directory or a file without execute permission is
         refused now, at create, not at start.  */
      if (S_ISDIR (sb.st_mode) || access (name, X_OK) < 0)
        return kago_init_exec_error (err, name, NULL, EACCES), NULL;
      return xstrdup (name);
    }
  const char *path = env_path (env);
  int last = ENOENT;
  while (*path)
    {
      const char *end = strchrnul (path, ':');
      size_t dl = (size_t) (end - path);
      cleanup_free char *cand = xasprintf ("%.*s/%s", (int) (dl ? dl : 1), dl ? path : ".", name);
      struct stat sb;
      if (stat (cand, &sb) == 0 && S_ISREG (sb.st_mode))
        {
          if (access (cand, X_OK) == 0)
            return steal_pointer (&cand);
          last = EACCES;
        }
      path = *end ? end + 1 : end;
    }
  if (last == EACCES)
    kago_init_exec_error (err, name, NULL, EACCES);
  else
    kago_error_set (err, 0, "exec: \"%s\": executable file not found in $PATH", name);
  return NULL;
}

/* The container's own /proc (verified to be procfs), for the few procfs
   writes the init does, or -1 when the container has none.  Never the
   host's: any fd still open when the container's paths (args[0], cwd) are
   resolved is reachable through /proc/self/fd.  */
int
kago_init_open_procfs (struct kago_launch *l, kago_error_t *err)
{
  (void) l;
  (void) err;
  int fd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  struct statfs sfs;
  if (fd >= 0 && fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC)
    return fd;
  if (fd >= 0)
    close (fd);
  return -1;
}

static void child_fail (struct kago_launch *l, kago_error_t *err) __attribute__ ((noreturn));
static void
child_fail (struct kago_launch *l, kago_error_t *err)
{
  /* After start, the create process is gone: `start` hears it instead. */
  if (l->start_conn_fd >= 0)
    kago_sync_send_error (l->start_conn_fd, *err);
  else
    kago_sync_send_error (l->child_sync_fd, *err);
  _exit (1);
}

static int
set_hostname (const oci_spec *spec, const struct kago_ns_plan *ns, kago_error_t *err)
{
  if (spec->hostname && spec->hostname[0])
    {
      if (!ns->has_ns[OCI_NS_UTS])
        return kago_error_set (err, 0, "hostname: cannot set the hostname without a private UTS namespace");
      if (sethostname (spec->hostname, strlen (spec->hostname)) < 0)
        return kago_error_set (err, errno, "sethostname \"%s\"", spec->hostname);
    }
  if (spec->domainname && spec->domainname[0])
    {
      if (!ns->has_ns[OCI_NS_UTS])
        return kago_error_set (err, 0,
                               "domainname: cannot set the domainname without a private UTS namespace");
      if (setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
        return kago_error_set (err, errno, "setdomainname \"%s\"", spec->domainname);
    }
  return 0;
}

static int
run_child_hooks (const oci_hooks_list *h, const char *kind, const char *status, struct kago_launch *l,
                 kago_error_t *err)
{
  if (h->n == 0)
    return 0;
  const oci_spec *spec = l->ctx.spec;
  json_value *o
      = kago_state_json_new (KAGO_OCI_VERSION, l->ctx.id, status, l->pid, l->ctx.bundle, &spec->annotations);
  cleanup_free char *s = json_to_string (o, false);
  json_free (o);
  return kago_hooks_run (h, kind, s, err);
}

/* Wait for `start`: the create path accepts its connection on the exec
   socket (the connection stays open, close-on-exec, to carry an error back
   or to close at execve); `run` gets a message instead.  */
static int
wait_for_start (struct kago_launch *l, kago_error_t *err)
{
  if (l->exec_sock_fd < 0)
    return kago_sync_expect (l->child_sync_fd, SYNC_START, NULL, err);
  int c;
  do
    c = accept4 (l->exec_sock_fd, NULL, NULL, SOCK_CLOEXEC);
  while (c < 0 && errno == EINTR);
  if (c < 0)
    return kago_error_set (err, errno, "wait for start (accept)");
  l->start_conn_fd = c;
  close (l->exec_sock_fd);
  l->exec_sock_fd = -1;
  return kago_sync_expect (c, SYNC_START, NULL, err);
}

/* CVE-2024-21626: the working directory must be inside the container's root. */
static int
enter_cwd (const char *cwd, kago_error_t *err)
{
  if (chdir (cwd) < 0)
    return kago_error_set (err, errno, "process.cwd: chdir to `%s`", cwd);
  char buf[4096];
  if (getcwd (buf, sizeof buf) == NULL)
    return kago_error_set (err, errno, "process.cwd: `%s` is outside the container's root", cwd);
  return 0;
}

/* Install the filter once; a notify listener goes up the sync socket to the
   runtime, which hands it to the agent (seccomp_notify.c).  */
static int
install_seccomp (struct kago_launch *l, kago_error_t *err)
{
  if (l->seccomp_installed)
    return 0;
  cleanup_close int lfd = -1;
  if (kago_seccomp_install (l->seccomp, &lfd, err) < 0)
    return -1;
  l->seccomp_installed = true;
  if (lfd >= 0 && kago_sync_send_fds (l->child_sync_fd, SYNC_SECCOMP, &lfd, 1, err) < 0)
    return kago_error_wrap (err, "send the seccomp listener to the runtime");
  return 0;
}

/* Everything that can fail is done before the container is reported
   created (as runc does), so that the error reaches `create`: once `start`
   has released the init nobody is left to hear it.  Privileged work first,
   then the identity switch; no_new_privs is set here too.  */
int
kago_init_prepare_process (struct kago_launch *l, const oci_process *p, int procfd, kago_error_t *err)
{
  const oci_spec *spec = l->ctx.spec;
  const char *cwd = p->cwd ? p->cwd : "/";
  /* CVE-2024-21626: check the cwd lands inside the root before any seccomp
     filter could refuse getcwd; it is entered again below as the final user,
     for its permissions.  */
  if (enter_cwd (cwd, err) < 0)
    return -1;
  if (p->n_rlimits && kago_rlimits_apply (p->rlimits, p->n_rlimits, err) < 0)
    return -1;
  if (spec->has_linux && spec->linux_.has_personality && kago_personality_apply (&spec->linux_, err) < 0)
    return -1;
  if (p->has_io_priority && kago_io_priority_apply (p, err) < 0)
    return -1;
  if (p->has_scheduler && kago_scheduler_apply (p, err) < 0)
    return -1;
  if (p->exec_cpu_affinity_final && kago_cpu_affinity_apply (p->exec_cpu_affinity_final, err) < 0)
    return -1;
  if (p->apparmor_profile || p->selinux_label)
    {
      if (procfd < 0)
        return kago_error_set (err, 0,
                               "process: an LSM label needs the container's /proc to be written through");
      if (kago_lsm_apply_exec (procfd, p->apparmor_profile, p->selinux_label, err) < 0)
        return -1;
    }
  /* Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: do it
     while the init still has it.  */
  if (l->seccomp && !p->no_new_privileges && install_seccomp (l, err) < 0)
    return -1;
  if (l->caps && kago_caps_prepare (l->caps, err) < 0)
    return -1;
  if (kago_user_apply (&p->user, l->ctx.userns, err) < 0)
    return -1;
  /* A uid change resets dumpable to fs.suid_dumpable: keep it off until
     execve (CVE-2016-9962).  */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (l->caps && kago_caps_apply (l->caps, err) < 0)
    return -1;
  if (chdir (cwd) < 0)
    return kago_error_set (err, errno, "process.cwd: chdir to `%s` as the process user", cwd);
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return kago_error_set (err, errno, "process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS)");
  /* A notify filter's listener must reach the agent through the runtime,
     which waits only until "created" (as runc, it goes on before the wait
     for start; the calls the init makes until execve must pass it).  */
  if (l->seccomp && p->no_new_privileges && kago_seccomp_filter_has_notify (l->seccomp)
      && install_seccomp (l, err) < 0)
    return -1;
  return 0;
}

/* With no_new_privs the filter goes on as close to execve as possible, so
   that the runtime's own last syscalls need not be allowed by it.  */
int
kago_init_final_seccomp (struct kago_launch *l, const oci_process *p, kago_error_t *err)
{
  if (l->seccomp && p->no_new_privileges && install_seccomp (l, err) < 0)
    return -1;
  return 0;
}

/* Into the container's cgroups: the runtime makes the v1 hierarchies while
   the init sets up its mounts, then sends their "tasks" fds; a thread that
   moves itself skips the global cgroup lock (kago_cgroup_open_self_join).
   Then the new cgroup namespace, rooted at the container's cgroup.  Runs
   before the first cgroup mount, or after all mounts when there is none. */
static int
init_join_cgroups (struct kago_init_ctx *c, kago_error_t *err)
{
  struct kago_launch *l = (struct kago_launch *) c; /* ctx is its first member */
  if (l->cgroups_joined)
    return 0;
  int fds[16];
  size_t n = 0;
  if (kago_sync_expect_fds (l->child_sync_fd, SYNC_CGROUP, fds, 16, &n, err) < 0)
    return -1;
  int r = kago_cgroup_self_join (fds, n, err);
  for (size_t i = 0; i < n; i++)
    close (fds[i]);
  if (r < 0)
    return -1;
  if (c->new_cgroupns && unshare (CLONE_NEWCGROUP) < 0)
    return kago_error_set (err, errno, "unshare the cgroup namespace");
  l->cgroups_joined = true;
  return 0;
}

void
kago_init_main (struct kago_launch *l)
{
  kago_error_t err = NULL;
  struct kago_init_ctx *c = &l->ctx;
  const oci_spec *spec = c->spec;
  const oci_process *p = spec->process;

  KAGO_PHASE_RESET ();
  KAGO_PHASE ("init:start");
  close (l->sync_fd);
  l->sync_fd = -1;
  /* The init reports through the sync socket only: its copy of the log fd
     is closed with the others before exec.  */
  kago_log_detach ();
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);

  struct kago_sync_msg go;
  if (kago_sync_expect (l->child_sync_fd, SYNC_GO, &go, &err) < 0)
    _exit (1);
  l->pid = go.pid;
  KAGO_PHASE ("init:go");

  if (kago_ns_join_in_child (&l->ns, &err) < 0)
    child_fail (l, &err);
  if (l->ns.new_ns[OCI_NS_USER])
    {
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        {
          kago_error_set (&err, errno, "become root in the new user namespace (check linux.uidMappings)");
          child_fail (l, &err);
        }
    }
  if (set_hostname (spec, &l->ns, &err) < 0)
    child_fail (l, &err);

  if (c->idmap)
    {
      size_t n = 0;
      if (kago_sync_expect_fds (l->child_sync_fd, SYNC_IDMAP, c->idmap_fds, 64, &n, &err) < 0)
        child_fail (l, &err);
      c->n_idmap_fds = n;
    }
  c->join_cgroups = init_join_cgroups;
  if (c->new_mountns || c->mounts_in_host)
    {
      if (kago_rootfs_prepare (c, &err) < 0 || kago_mounts_setup (c, &err) < 0
          || kago_devices_setup (c, &err) < 0)
        child_fail (l, &err);
    }
  KAGO_PHASE ("init:mounts");
  if (init_join_cgroups (c, &err) < 0)
    child_fail (l, &err);
  KAGO_PHASE ("init:joined");

  /* prestart and createRuntime run in the runtime namespace: the parent's.  */
  if (spec->hooks.prestart.n || spec->hooks.create_runtime.n)
    {
      if (kago_sync_send (l->child_sync_fd, SYNC_HOOKS, 0, &err) < 0
          || kago_sync_expect (l->child_sync_fd, SYNC_HOOKS_DONE, NULL, &err) < 0)
        child_fail (l, &err);
    }
  if (run_child_hooks (&spec->hooks.create_container, "createContainer", "created", l, &err) < 0)
    child_fail (l, &err);

  if (c->new_mountns || c->mounts_in_host)
    {
      if (kago_rootfs_pivot (c, &err) < 0)
        child_fail (l, &err);
    }
  else if (chroot (c->rootfs) < 0 || chdir ("/") < 0)
    {
      kago_error_set (&err, errno, "chroot into `%s`", c->rootfs);
      child_fail (l, &err);
    }

  KAGO_PHASE ("init:pivot");
  /* sysctls before readonlyPaths makes /proc/sys read-only.  */
  cleanup_close int procfd = kago_init_open_procfs (l, &err);
  if (spec->has_linux && spec->linux_.sysctl.n)
    {
      if (procfd < 0)
        {
          kago_error_set (&err, 0, "linux.sysctl: the container has no /proc to write them through");
          child_fail (l, &err);
        }
      if (kago_sysctl_apply (procfd, &spec->linux_.sysctl, &err) < 0)
        child_fail (l, &err);
    }
  if ((c->new_mountns || c->mounts_in_host) && kago_rootfs_finalize (c, &err) < 0)
    child_fail (l, &err);

  KAGO_PHASE ("init:finalize");
  if (p && p->terminal)
    {
      if (kago_terminal_setup (c->console_socket_fd, p, c->new_mountns, &err) < 0)
        child_fail (l, &err);
      close (c->console_socket_fd);
      c->console_socket_fd = -1;
    }
  if (!c->no_new_keyring)
    {
      /* A fresh session keyring, so the container cannot see the host's. */
      if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS && errno != EACCES
          && errno != EPERM)
        {
          kago_error_set (&err, errno, "join a new session keyring");
          child_fail (l, &err);
        }
    }

  /* From here on the container's own paths (args[0], cwd) are resolved:
     every fd but stdio, the preserved ones and the few the init still needs
     is closed for real first (CVE-2024-21626), and before any seccomp
     filter could refuse close_range.  */
  {
    const int keep[] = { l->child_sync_fd, l->exec_sock_fd, procfd };
    if (kago_close_fds_except (3 + c->preserve_fds, keep, 3, &err) < 0)
      child_fail (l, &err);
    c->rootfs_fd = -1;
  }

  cleanup_free char *exe = NULL;
  if (p)
    {
      exe = kago_init_find_executable (p->args.v[0], p->env.v, &err);
      if (exe == NULL || kago_init_prepare_process (l, p, procfd, &err) < 0)
        child_fail (l, &err);
    }

  KAGO_PHASE ("init:prepared");
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (kago_sync_send (l->child_sync_fd, SYNC_READY, 0, &err) < 0)
    _exit (1);

  if (wait_for_start (l, &err) < 0)
    child_fail (l, &err);
  KAGO_PHASE ("init:started");
  if (p == NULL)
    _exit (0);
  if (run_child_hooks (&spec->hooks.start_container, "startContainer", "created", l, &err) < 0)
    child_fail (l, &err);

  /* Signals first: after the filter only execve may be needed.  */
  kago_init_reset_signals ();
  if (kago_init_final_seccomp (l, p, &err) < 0)
    child_fail (l, &err);
  KAGO_PHASE ("init:execve");
  KAGO_PHASE_DUMP ();
  execve (exe, p->args.v, p->env.v ? p->env.v : (char *[]){ NULL });
  kago_init_exec_error (&err, exe, NULL, errno);
  child_fail (l, &err);
}
