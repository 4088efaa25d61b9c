/* Lifecycle operations on an existing container: start, run, state, list,
   kill, delete, pause, resume, pids.  */
#include "common/phase.h"
#include "runtime/container_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/syscalls.h"
#include "common/xalloc.h"
#include "runtime/mounts.h"
#include "runtime/process_attrs.h"

int
kago_open_container (struct kago_runtime *rt, const char *id, struct kago_opened *c, kago_error_t *err)
{
  memset (c, 0, sizeof *c);
  c->rootfd = c->dirfd = c->lockfd = -1;
  if (kago_validate_id (id, err) < 0)
    return -1;
  c->rootfd = kago_state_root_open (rt, false, err);
  if (c->rootfd < 0)
    {
      if ((*err)->errnum == ENOENT)
        {
          kago_error_release (err);
          return kago_error_set (err, 0, "container \"%s\" does not exist", id);
        }
      return -1;
    }
  c->dirfd = kago_state_dir_open (c->rootfd, id, err);
  if (c->dirfd < 0)
    goto fail;
  c->lockfd = kago_state_lock (c->dirfd, err);
  if (c->lockfd < 0)
    goto fail;
  if (kago_state_read (c->dirfd, &c->st, err) < 0)
    goto fail;
  c->status = kago_state_status (c->dirfd, &c->st);
  return 0;
fail:
  kago_opened_close (c);
  return -1;
}

void
kago_opened_close (struct kago_opened *c)
{
  kago_state_clear (&c->st);
  if (c->lockfd >= 0)
    close (c->lockfd);
  if (c->dirfd >= 0)
    close (c->dirfd);
  if (c->rootfd >= 0)
    close (c->rootfd);
  c->lockfd = c->dirfd = c->rootfd = -1;
}

oci_spec *
kago_opened_spec (struct kago_opened *c, kago_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;
  if (read_file_at (c->dirfd, "config.json", &text, &len, err) < 0)
    return NULL;
  json_value *root = json_parse (text, len, err);
  if (root == NULL)
    return NULL;
  oci_spec *s = oci_spec_parse (root, err);
  json_free (root);
  return s;
}

bool
kago_wait_pid_gone (pid_t pid, unsigned long long start, int timeout_ms)
{
  for (int waited = 0;; waited += 5)
    {
      bool zombie;
      unsigned long long s = kago_pid_starttime (pid, &zombie);
      if (s == 0 || s != start || zombie)
        return true;
      if (waited >= timeout_ms)
        return false;
      usleep (5000);
    }
}

int
kago_exit_code (int wstatus)
{
  if (WIFEXITED (wstatus))
    return WEXITSTATUS (wstatus);
  if (WIFSIGNALED (wstatus))
    return 128 + WTERMSIG (wstatus);
  return 255;
}

void
kago_forward_sigset (sigset_t *s)
{
  sigfillset (s);
  sigdelset (s, SIGKILL);
  sigdelset (s, SIGSTOP);
  sigdelset (s, SIGSEGV);
  sigdelset (s, SIGBUS);
  sigdelset (s, SIGILL);
  sigdelset (s, SIGFPE);
  sigdelset (s, SIGABRT);
  sigdelset (s, SIGTRAP);
  sigdelset (s, SIGSYS);
  sigdelset (s, SIGTTIN);
  sigdelset (s, SIGTTOU);
  sigdelset (s, SIGTSTP);
}

int
kago_wait_forwarding (pid_t pid, const sigset_t *fwd, int *status, kago_error_t *err)
{
  for (;;)
    {
      int ws;
      pid_t w = waitpid (pid, &ws, WNOHANG);
      if (w == pid)
        {
          *status = ws;
          return 0;
        }
      if (w < 0 && errno != EINTR)
        return kago_error_set (err, errno, "waitpid");
      siginfo_t si;
      int sig = sigwaitinfo (fwd, &si);
      if (sig < 0)
        {
          if (errno == EINTR)
            continue;
          return kago_error_set (err, errno, "sigwaitinfo");
        }
      if (sig == SIGCHLD || sig == SIGPIPE)
        continue;
      kill (pid, sig);
    }
}

int
kago_container_start (struct kago_runtime *rt, const char *id, kago_error_t *err)
{
  struct kago_opened c;
  if (kago_open_container (rt, id, &c, err) < 0)
    return -1;
  int ret = -1;
  oci_spec *spec = NULL;
  switch (c.status)
    {
    case KAGO_STATUS_CREATED:
      break;
    case KAGO_STATUS_STOPPED:
      kago_error_set (err, 0, "cannot start a container that has stopped");
      goto out;
    case KAGO_STATUS_PAUSED:
      kago_error_set (err, 0, "cannot start a paused container");
      goto out;
    case KAGO_STATUS_RUNNING:
    case KAGO_STATUS_CREATING:
    default:
      kago_error_set (err, 0, "cannot start an already running container");
      goto out;
    }
  spec = kago_opened_spec (&c, err);
  if (spec == NULL)
    goto out;
  if (spec->process == NULL)
    {
      kago_error_set (err, 0, "cannot start container \"%s\": its config.json has no process", id);
      goto out;
    }
  {
    /* Connect to the init's exec socket: it runs startContainer hooks and
       the last steps, and the connection closes exactly at execve (EOF);
       anything it sends is the error that stopped it.  */
    cleanup_close int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/exec.sock", c.dirfd);
    if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
      {
        kago_error_set (err, errno, "container \"%s\": the init cannot be reached to start it", id);
        goto out;
      }
    if (kago_sync_send (fd, SYNC_START, 0, err) < 0)
      goto out;
    struct kago_sync_msg m;
    ssize_t n;
    do
      n = recv (fd, &m, sizeof m, 0);
    while (n < 0 && errno == EINTR);
    unlinkat (c.dirfd, "exec.sock", 0);
    if (n > 0 && m.type == SYNC_ERROR)
      {
        kago_error_from_wire (err, &m.err);
        goto out;
      }
  }
  if (spec->hooks.poststart.n)
    {
      json_value *o = kago_state_to_oci_json (&c.st, KAGO_STATUS_RUNNING);
      cleanup_free char *s = json_to_string (o, false);
      json_free (o);
      kago_hooks_run_warn (&spec->hooks.poststart, "poststart", s);
    }
  ret = 0;
out:
  if (spec)
    oci_spec_free (spec);
  kago_opened_close (&c);
  return ret;
}

/* Tear down a stopped container: mounts left in a shared namespace, the
   cgroup, the state dir, then the poststop hooks (SPEC may be NULL).  */
static int
teardown (int rootfd, const char *id, const struct kago_state *st, const oci_spec *spec, kago_error_t *err)
{
  if (st->host_mounts && kago_cleanup_shared_mounts (st->rootfs, st->mnt_ns_path, err) < 0)
    return kago_error_wrap (err, "detach the container's mounts under its rootfs");
  if (st->cgroup && kago_cgroup_destroy (st->cgroup, err) < 0)
    return -1;
  if (kago_state_dir_remove (rootfd, id, err) < 0)
    return -1;
  if (spec && spec->hooks.poststop.n)
    {
      json_value *o = kago_state_to_oci_json (st, KAGO_STATUS_STOPPED);
      cleanup_free char *s = json_to_string (o, false);
      json_free (o);
      kago_hooks_run_warn (&spec->hooks.poststop, "poststop", s);
    }
  return 0;
}

static int
destroy_stopped (struct kago_opened *c, const char *id, kago_error_t *err)
{
  kago_error_t e = NULL;
  oci_spec *spec = kago_opened_spec (c, &e);
  if (spec == NULL)
    {
      cleanup_free char *m = kago_error_string (e);
      kago_log_warn ("container \"%s\": cannot read its config for poststop hooks: %s", id, m);
      kago_error_release (&e);
    }
  int r = teardown (c->rootfd, id, &c->st, spec, err);
  if (spec)
    oci_spec_free (spec);
  return r;
}

/* After a foreground run: the same teardown from what run still holds,
   without reading the state back -- unless another process deleted the
   container meanwhile (then the state dir is no longer ours).  */
static int
destroy_after_run (struct kago_build *b, kago_error_t *err)
{
  cleanup_close int lock = kago_state_lock (b->dirfd, err);
  if (lock < 0)
    return -1;
  struct stat mine, now;
  if (fstat (b->dirfd, &mine) < 0 || fstatat (b->rootfd, b->id, &now, AT_SYMLINK_NOFOLLOW) < 0
      || mine.st_ino != now.st_ino || mine.st_dev != now.st_dev)
    return 0;
  const oci_namespace *mns = oci_spec_namespace (b->spec, OCI_NS_MOUNT);
  struct kago_state st = {
    .id = b->id,
    .bundle = b->bundle,
    .rootfs = b->rootfs,
    .annotations = b->spec->annotations,
    .cgroup = b->cgroup,
    .host_mounts = b->host_mounts,
    .mnt_ns_path = b->host_mounts && mns ? mns->path : NULL,
  };
  return teardown (b->rootfd, b->id, &st, b->spec, err);
}

static int
kill_everything (struct kago_opened *c, kago_error_t *err)
{
  if (c->st.cgroup)
    {
      if (kago_cgroup_kill_all (c->st.cgroup, SIGKILL, err) < 0)
        return -1;
    }
  else if (c->st.pid > 0)
    kill (c->st.pid, SIGKILL);
  if (!kago_wait_pid_gone (c->st.pid, c->st.pid_start, 10000))
    return kago_error_set (err, 0, "container init %d did not exit after SIGKILL", (int) c->st.pid);
  return 0;
}

int
kago_container_delete (struct kago_runtime *rt, const char *id, bool force, kago_error_t *err)
{
  struct kago_opened c;
  if (kago_open_container (rt, id, &c, err) < 0)
    {
      if (!force)
        return -1;
      /* delete --force of a container that is gone (or whose create died
         half-way) succeeds, removing whatever state is left.  */
      kago_error_release (err);
      int rootfd = kago_state_root_open (rt, false, err);
      if (rootfd < 0)
        {
          kago_error_release (err);
          return 0;
        }
      struct stat sb;
      int r = 0;
      if (kago_validate_id (id, err) == 0 && fstatat (rootfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0)
        r = kago_state_dir_remove (rootfd, id, err);
      else
        kago_error_release (err);
      close (rootfd);
      return r;
    }
  int ret = -1;
  if (c.status != KAGO_STATUS_STOPPED)
    {
      if (!force)
        {
          kago_error_set (err, 0, "cannot delete container \"%s\" that is not stopped: %s", id,
                          kago_status_name (c.status));
          goto out;
        }
      if (kill_everything (&c, err) < 0)
        goto out;
    }
  /* A stopped container: without a pid namespace the init's children may
     outlive it -- destroying the cgroup kills whatever it still finds
     (an rmdir that meets processes).  */

  ret = destroy_stopped (&c, id, err);
out:
  kago_opened_close (&c);
  return ret;
}

int
kago_container_run (struct kago_runtime *rt, const char *id, const struct kago_create_options *o, int *status,
                    kago_error_t *err)
{
  sigset_t fwd, old;
  kago_forward_sigset (&fwd);
  if (!o->detach)
    sigprocmask (SIG_BLOCK, &fwd, &old);
  struct kago_build b;
  int ret = -1;
  if (kago_build_create (rt, id, o, true, &b, err) < 0)
    goto out;
  if (kago_sync_send (b.launch.sync_fd, SYNC_START, 0, err) < 0)
    goto fail;
  /* The sync socket closes at execve (CLOEXEC); a message is an error. */
  {
    struct kago_sync_msg m;
    ssize_t n;
    do
      n = recv (b.launch.sync_fd, &m, sizeof m, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0 && m.type == SYNC_ERROR)
      {
        kago_error_from_wire (err, &m.err);
        goto fail;
      }
  }
  KAGO_PHASE ("run:started");
  pid_t pid = b.launch.pid;
  if (b.spec->hooks.poststart.n)
    {
      struct kago_state st = {
        .id = b.id, .pid = pid, .bundle = b.bundle, .rootfs = b.rootfs, .annotations = b.spec->annotations
      };
      json_value *j = kago_state_to_oci_json (&st, KAGO_STATUS_RUNNING);
      cleanup_free char *s = json_to_string (j, false);
      json_free (j);
      kago_hooks_run_warn (&b.spec->hooks.poststart, "poststart", s);
    }
  if (o->detach)
    {
      b.launch.pid = 0;
      ret = 0;
      goto out;
    }
  int ws = 0;
  if (b.console_peer_fd >= 0)
    {
      /* The init sent the pty master during create (before READY).  */
      cleanup_close int master = kago_recv_fd (b.console_peer_fd, NULL, err);
      if (master < 0 || kago_tty_proxy_wait (pid, master, &fwd, &ws, err) < 0)
        goto fail;
    }
  else if (kago_wait_forwarding (pid, &fwd, &ws, err) < 0)
    goto fail;
  b.launch.pid = 0;
  KAGO_PHASE ("run:exited");
  *status = kago_exit_code (ws);
  /* Delete while the forwarded signals are still blocked: a pending SIGINT
     must not kill us half-way and leave the container behind.  */
  ret = destroy_after_run (&b, err);
  KAGO_PHASE ("run:destroyed");
  kago_build_free (&b);
  sigprocmask (SIG_SETMASK, &old, NULL);
  return ret;

fail:
  if (b.launch.pid > 0)
    {
      kill (b.launch.pid, SIGKILL);
      waitpid (b.launch.pid, NULL, 0);
      b.launch.pid = 0;
    }
  if (b.host_mounts)
    {
      kago_error_t e = NULL;
      const oci_namespace *mns = oci_spec_namespace (b.spec, OCI_NS_MOUNT);
      if (kago_cleanup_shared_mounts (b.rootfs, mns ? mns->path : NULL, &e) < 0)
        kago_error_release (&e);
    }
  if (b.cgroup)
    {
      kago_error_t e = NULL;
      if (kago_cgroup_destroy (b.cgroup, &e) < 0)
        kago_error_release (&e);
    }
  if (b.made_state_dir)
    {
      kago_error_t e = NULL;
      if (kago_state_dir_remove (b.rootfd, b.id, &e) < 0)
        kago_error_release (&e);
    }
out:
  kago_build_free (&b);
  if (!o->detach)
    sigprocmask (SIG_SETMASK, &old, NULL);
  return ret;
}

int
kago_container_state (struct kago_runtime *rt, const char *id, json_value **out, kago_error_t *err)
{
  struct kago_opened c;
  if (kago_open_container (rt, id, &c, err) < 0)
    return -1;
  *out = kago_state_to_oci_json (&c.st, c.status);
  kago_opened_close (&c);
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
kago_container_list (struct kago_runtime *rt, json_value **out, kago_error_t *err)
{
  *out = json_array_new ();
  int rootfd = kago_state_root_open (rt, false, err);
  if (rootfd < 0)
    {
      if ((*err)->errnum == ENOENT)
        {
          kago_error_release (err);
          return 0;
        }
      json_free (*out);
      *out = NULL;
      return -1;
    }
  DIR *d = fdopendir (rootfd);
  if (d == NULL)
    {
      close (rootfd);
      return 0;
    }
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
        continue;
      names = xrealloc (names, (n + 1) * sizeof *names);
      names[n++] = xstrdup (de->d_name);
    }
  closedir (d);
  if (n > 1)
    qsort (names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++)
    {
      json_value *st;
      kago_error_t e = NULL;
      if (kago_container_state (rt, names[i], &st, &e) == 0)
        json_array_append (*out, st);
      else
        kago_error_release (&e);
      free (names[i]);
    }
  free (names);
  return 0;
}

int
kago_container_kill (struct kago_runtime *rt, const char *id, int sig, bool all, kago_error_t *err)
{
  struct kago_opened c;
  if (kago_open_container (rt, id, &c, err) < 0)
    return -1;
  int ret = -1;
  if (c.status == KAGO_STATUS_STOPPED)
    {
      kago_error_set (err, 0, "container \"%s\" is not running", id);
      goto out;
    }
  if (all)
    {
      if (c.st.cgroup == NULL)
        kago_error_set (err, 0, "kill --all: container \"%s\" has no cgroup", id);
      else
        ret = kago_cgroup_kill_all (c.st.cgroup, sig, err);
      goto out;
    }
  {
    /* Signal through a pidfd checked against the recorded start time, so a
       recycled pid is never signalled.  */
    cleanup_close int pidfd = kago_pidfd_open (c.st.pid, 0);
    if (pidfd < 0 || !kago_state_pid_alive (&c.st))
      {
        kago_error_set (err, 0, "container \"%s\" is not running", id);
        goto out;
      }
    if (kago_pidfd_send_signal (pidfd, sig, NULL, 0) < 0)
      {
        kago_error_set (err, errno, "signal %d to container \"%s\"", sig, id);
        goto out;
      }
  }
  ret = 0;
out:
  kago_opened_close (&c);
  return ret;
}

static int
set_frozen (struct kago_runtime *rt, const char *id, bool freeze, kago_error_t *err)
{
  struct kago_opened c;
  if (kago_open_container (rt, id, &c, err) < 0)
    return -1;
  int ret = -1;
  enum kago_status want = freeze ? KAGO_STATUS_RUNNING : KAGO_STATUS_PAUSED;
  if (c.status != want && !(freeze && c.status == KAGO_STATUS_CREATED))
    kago_error_set (err, 0, "container \"%s\" is %s, not %s", id, kago_status_name (c.status),
                    kago_status_name (want));
  else if (c.st.cgroup == NULL)
    kago_error_set (err, 0, "container \"%s\" has no cgroup to freeze", id);
  else
    ret = kago_cgroup_freeze (c.st.cgroup, freeze, err);
  kago_opened_close (&c);
  return ret;
}

int
kago_container_pause (struct kago_runtime *rt, const char *id, kago_error_t *err)
{
  return set_frozen (rt, id, true, err);
}

int
kago_container_resume (struct kago_runtime *rt, const char *id, kago_error_t *err)
{
  return set_frozen (rt, id, false, err);
}

int
kago_container_pids (struct kago_runtime *rt, const char *id, pid_t **pids, size_t *n, kago_error_t *err)
{
  struct kago_opened c;
  if (kago_open_container (rt, id, &c, err) < 0)
    return -1;
  int ret;
  if (c.st.cgroup)
    ret = kago_cgroup_pids (c.st.cgroup, pids, n, err);
  else
    {
      *pids = NULL;
      *n = 0;
      if (c.status != KAGO_STATUS_STOPPED)
        {
          *pids = xmalloc (sizeof (pid_t));
          (*pids)[0] = c.st.pid;
          *n = 1;
        }
      ret = 0;
    }
  kago_opened_close (&c);
  return ret;
}

/* Device rules added by `update`, in the state dir on top of what create
   installed: [{"allow":false,"type":"c","major":1,"minor":8,"access":"rwm"}].  */
#define DEVICES_UPDATE_FILE "devices.json"

static json_value *
device_rules_json (const oci_device_cgroup *d, size_t n, json_value *arr)
{
  for (size_t i = 0; i < n; i++)
    {
      json_value *o = json_object_new ();
      json_object_set (o, "allow", json_bool_new (d[i].allow));
      char t[2] = { d[i].type ? d[i].type : 'a', '\0' };
      json_object_set (o, "type", json_string_new (t));
      if (d[i].has_major && d[i].major >= 0)
        json_object_set (o, "major", json_int_new (d[i].major));
      if (d[i].has_minor && d[i].minor >= 0)
        json_object_set (o, "minor", json_int_new (d[i].minor));
      json_object_set (o, "access", json_string_new (d[i].access ? d[i].access : "rwm"));
      json_array_append (arr, o);
    }
  return arr;
}

/* The rules earlier updates added (an empty list when there were none):
   parsed into PRIOR (whose devices own the strings), the JSON into *ARR.  */
static int
load_device_updates (int dirfd, oci_resources *prior, json_value **arr, kago_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;
  kago_error_t e = NULL;
  if (read_file_at (dirfd, DEVICES_UPDATE_FILE, &text, &len, &e) < 0)
    {
      if (e->errnum != ENOENT)
        {
          *err = e;
          return -1;
        }
      kago_error_release (&e);
      *arr = json_array_new ();
      return 0;
    }
  json_value *a = json_parse (text, len, err);
  if (a == NULL)
    return kago_error_wrap (err, "%s in the state dir", DEVICES_UPDATE_FILE);
  json_value *o = json_object_new ();
  json_object_set (o, "devices", a);
  int r = oci_resources_parse (o, DEVICES_UPDATE_FILE, prior, err);
  if (r == 0)
    {
      /* Keep the array, drop the wrapper.  */
      json_value *keep = json_array_new ();
      device_rules_json (prior->devices, prior->n_devices, keep);
      *arr = keep;
    }
  json_free (o);
  return r;
}

int
kago_container_update (struct kago_runtime *rt, const char *id, const json_value *resources,
                       kago_error_t *err)
{
  oci_resources r, prior;
  memset (&r, 0, sizeof r);
  memset (&prior, 0, sizeof prior);
  oci_spec *spec = NULL;
  json_value *updates = NULL;
  oci_device_cgroup *all = NULL;
  size_t n_all = 0;
  if (oci_resources_parse (resources, "resources", &r, err) < 0)
    return -1;
  struct kago_opened c;
  int ret = -1;
  if (kago_open_container (rt, id, &c, err) < 0)
    goto out_res;
  if (c.status == KAGO_STATUS_STOPPED)
    {
      kago_error_set (err, 0, "cannot update container \"%s\": it is stopped", id);
      goto out;
    }
  if (c.st.cgroup == NULL)
    {
      kago_error_set (err, 0, "cannot update container \"%s\": it has no cgroup", id);
      goto out;
    }
  if (r.n_devices)
    {
      /* The whole list after this update: what create installed, what
         earlier updates added, then these rules (last match wins).  */
      spec = kago_opened_spec (&c, err);
      if (spec == NULL || load_device_updates (c.dirfd, &prior, &updates, err) < 0)
        goto out;
      size_t n_base;
      cleanup_free oci_device_cgroup *base = kago_effective_devices (spec, &n_base);
      n_all = n_base + prior.n_devices + r.n_devices;
      all = xcalloc (n_all, sizeof *all);
      memcpy (all, base, n_base * sizeof *all);
      memcpy (all + n_base, prior.devices, prior.n_devices * sizeof *all);
      memcpy (all + n_base + prior.n_devices, r.devices, r.n_devices * sizeof *all);
    }
  if (kago_cgroup_update (c.st.cgroup, &r, all, n_all, err) < 0)
    goto out;
  if (r.n_devices)
    {
      device_rules_json (r.devices, r.n_devices, updates);
      cleanup_free char *text = json_to_string (updates, false);
      if (write_file_atomic (c.dirfd, DEVICES_UPDATE_FILE, text, strlen (text), 0600, err) < 0)
        {
          kago_error_wrap (err, "the device rules are applied, but recording them failed");
          goto out;
        }
    }
  ret = 0;
out:
  kago_opened_close (&c);
out_res:
  free (all);
  json_free (updates);
  if (spec)
    oci_spec_free (spec);
  oci_resources_clear (&prior);
  oci_resources_clear (&r);
  return ret;
}
