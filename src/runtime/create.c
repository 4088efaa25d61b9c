/* create and run: validate everything first (nothing exists yet), then the
   state dir, the cgroup, the init; on any failure everything made so far is
   removed again.  */
#include "common/phase.h"
#include "runtime/core.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "oci/state_json.h"
#include "runtime/container_internal.h"
#include "runtime/mounts.h"
#include "runtime/process_attrs.h"
#include "runtime/seccomp_notify.h"
#include "seccomp/cache.h"

/* The device nodes every container gets, allowed after the config's rules as
   runc does (so a config that denies everything still has /dev/null): the
   rule set a Docker container has today (security-defaults.md), including
   /dev/console (5:1) and /dev/net/tun (10:200, which runc 1.2 re-added).  */
static const oci_device_cgroup default_allowed[] = {
  { true, 'c', false, false, 0, 0, (char *) "m" },    { true, 'b', false, false, 0, 0, (char *) "m" },
  { true, 'c', true, true, 1, 3, (char *) "rwm" },    { true, 'c', true, true, 1, 5, (char *) "rwm" },
  { true, 'c', true, true, 1, 7, (char *) "rwm" },    { true, 'c', true, true, 1, 8, (char *) "rwm" },
  { true, 'c', true, true, 1, 9, (char *) "rwm" },    { true, 'c', true, true, 5, 0, (char *) "rwm" },
  { true, 'c', true, true, 5, 1, (char *) "rwm" },    { true, 'c', true, true, 5, 2, (char *) "rwm" },
  { true, 'c', true, true, 10, 200, (char *) "rwm" }, { true, 'c', true, false, 136, 0, (char *) "rwm" },
};
#define N_DEFAULT_ALLOWED (sizeof default_allowed / sizeof default_allowed[0])

void
kago_build_free (struct kago_build *b)
{
  if (b->seccomp)
    kago_seccomp_filter_free (b->seccomp);
  free (b->caps);
  if (b->spec)
    oci_spec_free (b->spec);
  free (b->config_text);
  free (b->bundle);
  free (b->rootfs);
  free (b->devices);
  free (b->state_creating);
  kago_ns_plan_close (&b->launch.ns);
  if (b->launch.exec_sock_fd >= 0)
    close (b->launch.exec_sock_fd);
  if (b->launch.sync_fd >= 0)
    close (b->launch.sync_fd);
  if (b->launch.child_sync_fd >= 0)
    close (b->launch.child_sync_fd);
  if (b->launch.ctx.console_socket_fd >= 0)
    close (b->launch.ctx.console_socket_fd);
  if (b->console_peer_fd >= 0)
    close (b->console_peer_fd);
  if (b->launch.ctx.rootfs_fd >= 0)
    close (b->launch.ctx.rootfs_fd);
  if (b->cgroup)
    kago_cgroup_free (b->cgroup);
  if (b->lockfd >= 0)
    close (b->lockfd);
  if (b->dirfd >= 0)
    close (b->dirfd);
  if (b->rootfd >= 0)
    close (b->rootfd);
  free (b->id);
}

/* Undo a failed create: kill the init, remove the cgroup and the state.  */
static void
rollback (struct kago_build *b)
{
  kago_error_t e = NULL;
  bool had_process = b->launch.pid > 0;
  if (b->launch.pid > 0)
    {
      kill (b->launch.pid, SIGKILL);
      waitpid (b->launch.pid, NULL, 0);
      b->launch.pid = 0;
    }
  /* runtime-spec lifecycle: a failed prestart/createRuntime/createContainer
     hook stops the container and continues with the poststop hooks.  */
  if (had_process && b->spec && b->spec->hooks.poststop.n)
    {
      json_value *o
          = kago_state_json_new (KAGO_OCI_VERSION, b->id, "stopped", 0, b->bundle, &b->spec->annotations);
      cleanup_free char *st = json_to_string (o, false);
      json_free (o);
      kago_hooks_run_warn (&b->spec->hooks.poststop, "poststop", st);
    }
  if (b->cgroup && kago_cgroup_destroy (b->cgroup, &e) < 0)
    {
      cleanup_free char *m = kago_error_string (e);
      kago_log_warn ("cleanup: %s", m);
      kago_error_release (&e);
    }
  if (b->host_mounts
      && kago_cleanup_shared_mounts (b->rootfs,
                                     oci_spec_namespace (b->spec, OCI_NS_MOUNT)
                                         ? oci_spec_namespace (b->spec, OCI_NS_MOUNT)->path
                                         : NULL,
                                     &e)
             < 0)
    {
      cleanup_free char *m = kago_error_string (e);
      kago_log_warn ("cleanup: %s", m);
      kago_error_release (&e);
    }
  if (b->made_state_dir && kago_state_dir_remove (b->rootfd, b->id, &e) < 0)
    {
      cleanup_free char *m = kago_error_string (e);
      kago_log_warn ("cleanup: %s", m);
      kago_error_release (&e);
    }
}

static char *
now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, (long) ts.tv_nsec);
}

/* Load and validate the bundle: everything that can be checked without side
   effects is checked here.  */
static int
load_bundle (struct kago_build *b, const struct kago_create_options *o, bool foreground, kago_error_t *err)
{
  char buf[PATH_MAX];
  const char *bundle = o->bundle && o->bundle[0] ? o->bundle : ".";
  if (realpath (bundle, buf) == NULL)
    return kago_error_set (err, errno, "bundle `%s`", bundle);
  b->bundle = xstrdup (buf);
  cleanup_free char *cfg = xasprintf ("%s/config.json", b->bundle);
  size_t len;
  if (read_file (cfg, &b->config_text, &len, err) < 0)
    return -1;
  json_value *root = json_parse (b->config_text, len, err);
  if (root == NULL)
    return kago_error_wrap (err, "config.json");
  b->spec = oci_spec_parse (root, err);
  json_free (root);
  if (b->spec == NULL)
    return kago_error_wrap (err, "config.json");
  const oci_spec *s = b->spec;
  if (s->root_path == NULL)
    return kago_error_set (err, 0, "config.json: root.path: required");
  cleanup_free char *rp
      = s->root_path[0] == '/' ? xstrdup (s->root_path) : xasprintf ("%s/%s", b->bundle, s->root_path);
  struct stat sb;
  if (realpath (rp, buf) == NULL || stat (buf, &sb) < 0)
    return kago_error_set (err, errno, "root.path: rootfs `%s` does not exist", rp);
  if (!S_ISDIR (sb.st_mode))
    return kago_error_set (err, ENOTDIR, "root.path: rootfs `%s`", rp);
  b->rootfs = xstrdup (buf);

  if (s->process)
    {
      if (s->process->terminal && o->console_socket == NULL && !o->has_console_fd && !foreground)
        return kago_error_set (err, 0,
                               "process.terminal: a terminal needs --console-socket when kago-runtime "
                               "does not stay in the foreground");
      if (kago_lsm_check (s, s->process, err) < 0)
        return -1;
      b->caps = xzalloc (sizeof *b->caps);
      if (kago_caps_from_spec (&s->process->capabilities, b->caps, err) < 0)
        return -1;
      if (!s->process->capabilities.present)
        {
          free (b->caps);
          b->caps = NULL;
        }
    }
  else if (foreground)
    return kago_error_set (err, 0, "config.json: process: required to run a container");
  if (s->has_linux)
    {
      const oci_linux *l = &s->linux_;
      if (l->has_intel_rdt)
        return kago_error_set (err, 0, "linux.intelRdt: Intel RDT is not supported by kago");
      if (l->has_resources && kago_cgroup_validate_resources (&l->resources, err) < 0)
        return -1;
      if (l->has_memory_policy)
        return kago_error_set (err, 0, "linux.memoryPolicy: not supported by kago yet");
      if (l->has_net_devices)
        return kago_error_set (err, 0, "linux.netDevices: not supported by kago yet");
      if (l->seccomp && kago_seccomp_compile_cached (b->state_root, l->seccomp, &b->seccomp, NULL, err) < 0)
        return -1;
      /* NOTIFY without an agent to answer would hang the process.  */
      if (l->seccomp
          && kago_seccomp_notify_validate (l->seccomp, kago_seccomp_filter_has_notify (b->seccomp), err) < 0)
        return -1;
    }
  if (kago_ns_plan_build (s, &b->launch.ns, err) < 0)
    return -1;
  if (kago_idmap_validate (s, b->launch.ns.has_ns[OCI_NS_USER], b->launch.ns.new_ns[OCI_NS_MOUNT], err) < 0)
    return -1;
  if (s->has_linux && s->linux_.sysctl.n)
    {
      const oci_namespace *ipc = oci_spec_namespace (s, OCI_NS_IPC);
      const oci_namespace *net = oci_spec_namespace (s, OCI_NS_NETWORK);
      const oci_namespace *uts = oci_spec_namespace (s, OCI_NS_UTS);
      struct kago_ns_flags nsf = {
        .ipc = b->launch.ns.has_ns[OCI_NS_IPC],
        .net = b->launch.ns.has_ns[OCI_NS_NETWORK],
        .uts = b->launch.ns.has_ns[OCI_NS_UTS],
        .user = b->launch.ns.has_ns[OCI_NS_USER],
        .net_path = net ? net->path : NULL,
        .ipc_path = ipc ? ipc->path : NULL,
        .uts_path = uts ? uts->path : NULL,
      };
      if (kago_sysctl_validate (&s->linux_.sysctl, &nsf, err) < 0)
        return -1;
    }
  bool wants_mounts
      = s->n_mounts || (s->has_linux && (s->linux_.masked_paths.n || s->linux_.readonly_paths.n));
  if (!b->launch.ns.new_ns[OCI_NS_MOUNT])
    {
      /* The host's mount namespace, or one joined by path: the mounts go
         under the rootfs there (as runc does) and are detached again at
         delete.  Nothing may touch the mount that holds the rootfs, which is
         not the container's.  */
      if (s->root_readonly)
        return kago_error_set (err, 0,
                               "root.readonly: needs a mount namespace (it would remount the host's "
                               "filesystem)");
      if (s->has_linux && s->linux_.rootfs_propagation)
        return kago_error_set (err, 0, "linux.rootfsPropagation: needs a mount namespace");
      b->host_mounts = wants_mounts;
    }
  return 0;
}

/* linux.resources as applied.  The device list is an allowlist (runtime-
   spec): kago always installs one, starting from deny-all, then the config's
   rules, then the nodes every container gets and the config's linux.devices,
   as runc does.  Without a device list in the config the container would
   otherwise inherit "allow everything" and could open the host's disks.  */
oci_device_cgroup *
kago_effective_devices (const oci_spec *s, size_t *n_out)
{
  static const oci_device_cgroup deny_all = { false, 'a', false, false, 0, 0, (char *) "rwm" };
  const oci_resources *res = s->has_linux && s->linux_.has_resources ? &s->linux_.resources : NULL;
  size_t n_res = res ? res->n_devices : 0;
  size_t n_linux = s->has_linux ? s->linux_.n_devices : 0;
  oci_device_cgroup *d = xcalloc (1 + n_res + N_DEFAULT_ALLOWED + n_linux, sizeof (oci_device_cgroup));
  size_t k = 0;
  d[k++] = deny_all;
  if (n_res)
    memcpy (d + k, res->devices, n_res * sizeof (oci_device_cgroup));
  k += n_res;
  memcpy (d + k, default_allowed, sizeof default_allowed);
  k += N_DEFAULT_ALLOWED;
  for (size_t i = 0; i < n_linux; i++)
    {
      const oci_device *dev = &s->linux_.devices[i];
      if (dev->type == 'p')
        continue;
      d[k++] = (oci_device_cgroup){
        true, dev->type == 'u' ? 'c' : dev->type, true, true, dev->major, dev->minor, (char *) "rwm"
      };
    }
  *n_out = k;
  return d;
}

static const oci_resources *
effective_resources (struct kago_build *b, oci_resources *copy)
{
  const oci_spec *s = b->spec;
  if (s->has_linux && s->linux_.has_resources)
    *copy = s->linux_.resources;
  else
    memset (copy, 0, sizeof *copy);
  size_t n;
  b->devices = kago_effective_devices (s, &n);
  copy->devices = b->devices;
  copy->n_devices = n;
  return copy;
}

static int
run_parent_hooks (struct kago_build *b, kago_error_t *err)
{
  const oci_spec *s = b->spec;
  json_value *o
      = kago_state_json_new (KAGO_OCI_VERSION, b->id, "created", b->launch.pid, b->bundle, &s->annotations);
  cleanup_free char *st = json_to_string (o, false);
  json_free (o);
  if (kago_hooks_run (&s->hooks.prestart, "prestart", st, err) < 0)
    return -1;
  return kago_hooks_run (&s->hooks.create_runtime, "createRuntime", st, err);
}

static int
write_pid_file (const char *path, pid_t pid, kago_error_t *err)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", (int) pid);
  cleanup_free char *abs = NULL;
  if (path[0] != '/')
    {
      char cwd[PATH_MAX];
      if (getcwd (cwd, sizeof cwd) == NULL)
        return kago_error_set (err, errno, "--pid-file: getcwd");
      abs = xasprintf ("%s/%s", cwd, path);
      path = abs;
    }
  if (write_file_atomic (AT_FDCWD, path, buf, (size_t) n, 0644, err) < 0)
    return kago_error_wrap (err, "--pid-file");
  return 0;
}

/* Everything up to "created": the init is blocked waiting for start.  */
int
kago_build_create (struct kago_runtime *rt, const char *id, const struct kago_create_options *o,
                   bool run_mode, struct kago_build *b, kago_error_t *err)
{
  int restore_pid = -1, restore_time = -1;
  memset (b, 0, sizeof *b);
  b->rootfd = b->dirfd = b->lockfd = -1;
  b->launch.sync_fd = b->launch.child_sync_fd = b->launch.exec_sock_fd = -1;
  b->launch.start_conn_fd = -1;
  b->launch.ctx.console_socket_fd = b->launch.ctx.rootfs_fd = -1;
  b->console_peer_fd = -1;
  b->launch.ctx.procfs_fd = -1;
  for (int i = 0; i < OCI_NS_COUNT; i++)
    b->launch.ns.join_fds[i] = -1;
  if (kago_validate_id (id, err) < 0)
    return -1;
  b->id = xstrdup (id);
  b->state_root = rt->root ? rt->root : KAGO_DEFAULT_STATE_ROOT;
  KAGO_PHASE ("create:begin");
  if (load_bundle (b, o, run_mode && !o->detach, err) < 0)
    return -1;
  const oci_spec *s = b->spec;
  KAGO_PHASE ("create:bundle-loaded");

  b->rootfd = kago_state_root_open (rt, true, err);
  if (b->rootfd < 0)
    return -1;
  b->dirfd = kago_state_dir_create (b->rootfd, id, err);
  if (b->dirfd < 0)
    return -1;
  b->made_state_dir = true;
  /* Held until create returns: a concurrent delete --force waits for us
     and then sees a consistent state, never a half-made container.  */
  b->lockfd = kago_state_lock (b->dirfd, err);
  if (b->lockfd < 0)
    goto fail;
  if (write_file_at (b->dirfd, "config.json", b->config_text, strlen (b->config_text), err) < 0)
    goto fail;
  if (!run_mode)
    {
      /* The init waits for `start` on a listening socket in the state dir:
         a socket fd cannot be walked through /proc/self/fd, and the
         connection from `start` carries back any error until execve closes
         it.  Bound through the dir fd, so long state roots fit sun_path. */
      b->launch.exec_sock_fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/exec.sock", b->dirfd);
      if (b->launch.exec_sock_fd < 0 || bind (b->launch.exec_sock_fd, (struct sockaddr *) &sa, sizeof sa) < 0
          || listen (b->launch.exec_sock_fd, 4) < 0)
        {
          kago_error_set (err, errno, "create the exec socket");
          goto fail;
        }
    }

  KAGO_PHASE ("create:state-dir");
  oci_resources res_copy;
  const oci_resources *resources = effective_resources (b, &res_copy);
  struct kago_cgroup_config cgc = {
    .id = id,
    .cgroups_path = s->has_linux ? s->linux_.cgroups_path : NULL,
    .systemd = rt->systemd_cgroup,
    .resources = resources, /* which cgroup2 controllers to enable; applied by create_rest */
    .defer_v1 = true,
  };
  if (kago_cgroup_create (&cgc, &b->cgroup, err) < 0)
    goto fail;
  /* Provisional state (no process yet): if this create is killed, delete
     --force still finds the cgroup to remove.  */
  {
    struct kago_state pst = { .id = b->id, .bundle = b->bundle, .rootfs = b->rootfs, .cgroup = b->cgroup };
    if (kago_state_write (b->dirfd, &pst, err) < 0)
      goto fail;
  }

  KAGO_PHASE ("create:cgroup-unified");
  int sp[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    {
      kago_error_set (err, errno, "socketpair");
      goto fail;
    }
  b->launch.sync_fd = sp[0];
  b->launch.child_sync_fd = sp[1];
  if (o->console_socket)
    {
      b->launch.ctx.console_socket_fd = kago_console_socket_connect (o->console_socket, err);
      if (b->launch.ctx.console_socket_fd < 0)
        goto fail;
    }
  else if (o->has_console_fd && s->process && s->process->terminal)
    {
      b->launch.ctx.console_socket_fd = fcntl (o->console_fd, F_DUPFD_CLOEXEC, 3);
      if (b->launch.ctx.console_socket_fd < 0)
        {
          kago_error_set (err, errno, "duplicate the console socket");
          goto fail;
        }
    }
  else if (s->process && s->process->terminal)
    {
      /* run in the foreground: we are the console socket's other end.  */
      int cp[2];
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cp) < 0)
        {
          kago_error_set (err, errno, "socketpair for the console");
          goto fail;
        }
      b->console_peer_fd = cp[0];
      b->launch.ctx.console_socket_fd = cp[1];
    }

  struct kago_init_ctx *c = &b->launch.ctx;
  c->spec = s;
  c->id = b->id;
  c->bundle = b->bundle;
  c->rootfs = b->rootfs;
  c->rootfs_fd = open (b->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  c->userns = b->launch.ns.has_ns[OCI_NS_USER];
  c->new_mountns = b->launch.ns.new_ns[OCI_NS_MOUNT];
  c->mounts_in_host = b->host_mounts;
  c->new_cgroupns = b->launch.ns.new_ns[OCI_NS_CGROUP];
  c->new_pidns = b->launch.ns.new_ns[OCI_NS_PID];
  c->new_netns = b->launch.ns.new_ns[OCI_NS_NETWORK];
  c->no_pivot = o->no_pivot;
  c->no_new_keyring = o->no_new_keyring;
  c->preserve_fds = o->preserve_fds;
  c->cgroup_path_unified = kago_cgroup_path (b->cgroup, "");
  c->idmap = kago_idmap_wanted (s);
  c->idmap_rootfs = c->idmap && kago_idmap_rootfs_wanted (s);
  for (size_t i = 0; i < sizeof c->idmap_fds / sizeof c->idmap_fds[0]; i++)
    c->idmap_fds[i] = -1;
  b->launch.seccomp = b->seccomp;
  b->launch.caps = b->caps;

  /* pid and time namespaces apply to our children: enter them just for the
     clone and come back.  */
  if (b->launch.ns.join_fds[OCI_NS_PID] >= 0)
    {
      restore_pid = open ("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
      if (restore_pid < 0 || setns (b->launch.ns.join_fds[OCI_NS_PID], CLONE_NEWPID) < 0)
        {
          kago_error_set (err, errno, "join the pid namespace");
          goto fail;
        }
    }
  if (b->launch.ns.join_fds[OCI_NS_TIME] >= 0)
    {
      restore_time = open ("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
      if (restore_time < 0 || setns (b->launch.ns.join_fds[OCI_NS_TIME], CLONE_NEWTIME) < 0)
        {
          kago_error_set (err, errno, "join the time namespace");
          goto fail;
        }
    }
  else if (b->launch.ns.new_ns[OCI_NS_TIME]
           && kago_timens_prepare (&s->linux_.time_offsets, &restore_time, err) < 0)
    goto fail;

  KAGO_PHASE ("create:pre-clone");
  pid_t pid = kago_launch_clone (&b->launch, b->cgroup, err);
  KAGO_PHASE ("create:cloned");
  kago_ns_restore (&restore_pid, CLONE_NEWPID);
  kago_ns_restore (&restore_time, CLONE_NEWTIME);
  if (pid < 0)
    goto fail;
  close (b->launch.child_sync_fd);
  b->launch.child_sync_fd = -1;

  if (b->launch.ns.new_ns[OCI_NS_USER] && kago_userns_write_maps (pid, &s->linux_, err) < 0)
    goto fail;
  if (kago_cgroup_enter_rest (b->cgroup, pid, b->launch.cloned_into_cgroup, true, err) < 0)
    goto fail;
  if (s->process && s->process->has_oom_score_adj)
    {
      cleanup_close int procfd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (kago_oom_score_adj_write (procfd, pid, s->process->oom_score_adj, err) < 0)
        goto fail;
    }
  if (kago_sync_send (b->launch.sync_fd, SYNC_GO, pid, err) < 0)
    goto fail;
  KAGO_PHASE ("create:go-sent");
  if (c->idmap)
    {
      /* The init waits for these before its first mount.  */
      int fds[64];
      size_t n = 0;
      if (kago_idmap_open_trees (s, b->bundle, b->rootfs, pid, fds, 64, &n, err) < 0)
        goto fail;
      int r = kago_sync_send_fds (b->launch.sync_fd, SYNC_IDMAP, fds, n, err);
      for (size_t i = 0; i < n; i++)
        close (fds[i]);
      if (r < 0)
        goto fail;
    }
  /* While the init builds its mounts: the v1 hierarchies and the limits,
     then the fds it joins them through.  */
  {
    int fds[16];
    int n = -1;
    if (kago_cgroup_create_rest (b->cgroup, resources, err) < 0
        || (n = kago_cgroup_open_self_join (b->cgroup, fds, 16, err)) < 0)
      goto fail;
    KAGO_PHASE ("create:cgroups-v1");
    int r = kago_sync_send_fds (b->launch.sync_fd, SYNC_CGROUP, fds, (size_t) n, err);
    for (int i = 0; i < n; i++)
      close (fds[i]);
    if (r < 0)
      {
        /* The init is gone: its own error says why.  */
        kago_error_release (err);
        kago_sync_expect (b->launch.sync_fd, SYNC_READY, NULL, err);
        if (*err == NULL)
          kago_error_set (err, 0, "the container init exited unexpectedly");
        goto fail;
      }
  }
  if (s->hooks.prestart.n || s->hooks.create_runtime.n)
    {
      if (kago_sync_expect (b->launch.sync_fd, SYNC_HOOKS, NULL, err) < 0)
        goto fail;
      if (run_parent_hooks (b, err) < 0)
        {
          kago_sync_send_error (b->launch.sync_fd, *err);
          goto fail;
        }
      if (kago_sync_send (b->launch.sync_fd, SYNC_HOOKS_DONE, 0, err) < 0)
        goto fail;
    }
  /* A notify filter goes on before the init reports ready; its listener
     comes up the sync socket and goes on to the agent.  */
  if (s->process && kago_seccomp_filter_has_notify (b->seccomp)
      && kago_seccomp_notify_relay (
             b->launch.sync_fd, s->linux_.seccomp, pid,
             kago_state_json_new (KAGO_OCI_VERSION, b->id, "creating", pid, b->bundle, &s->annotations), err)
             < 0)
    goto fail;
  if (kago_sync_expect (b->launch.sync_fd, SYNC_READY, NULL, err) < 0)
    goto fail;

  KAGO_PHASE ("create:ready");
  struct kago_state st = {
    .id = b->id,
    .pid = pid,
    .pid_start = kago_pid_starttime (pid, NULL),
    .bundle = b->bundle,
    .rootfs = b->rootfs,
    .created = now_rfc3339 (),
    .owner = (char *) (geteuid () == 0 ? "root" : ""),
    .oci_version = s->oci_version,
    .annotations = s->annotations,
    .cgroup = b->cgroup,
    .has_userns = b->launch.ns.has_ns[OCI_NS_USER],
    .host_mounts = b->host_mounts,
    .mnt_ns_path = b->host_mounts && oci_spec_namespace (s, OCI_NS_MOUNT)
                       ? oci_spec_namespace (s, OCI_NS_MOUNT)->path
                       : NULL,
  };
  int r = kago_state_write (b->dirfd, &st, err);
  free (st.created);
  if (r < 0)
    goto fail;
  if (o->pid_file && write_pid_file (o->pid_file, pid, err) < 0)
    goto fail;
  close (b->lockfd);
  b->lockfd = -1;
  KAGO_PHASE ("create:done");
  return 0;

fail:
  kago_ns_restore (&restore_pid, CLONE_NEWPID);
  kago_ns_restore (&restore_time, CLONE_NEWTIME);
  rollback (b);
  return -1;
}

int
kago_container_create (struct kago_runtime *rt, const char *id, const struct kago_create_options *o,
                       kago_error_t *err)
{
  struct kago_build b;
  int r = kago_build_create (rt, id, o, false, &b, err);
  /* The init now belongs to whoever reaps our orphans.  */
  b.launch.pid = 0;
  kago_build_free (&b);
  return r;
}
