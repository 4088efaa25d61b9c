/* exec: run another process in a running container.  The parent enters the
   container's pid (and time) namespace for its children, clones the process
   into the container's cgroup, and the child joins the other namespaces at
   once with setns(pidfd), then goes through the same final steps as the init
   (rlimits, LSM, capabilities, user, no_new_privs, seccomp).  */
#include "runtime/container_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/syscalls.h"
#include "common/xalloc.h"
#include "runtime/process_attrs.h"
#include "runtime/seccomp_notify.h"
#include "seccomp/cache.h"

static json_value *
strv_json (char **v)
{
  json_value *a = json_array_new ();
  for (; v && *v; v++)
    json_array_append (a, json_string_new (*v));
  return a;
}

/* The process to run.  With --process FILE, the file's fields over the
   container's process (what the file omits -- capabilities, AppArmor or
   SELinux labels, no_new_privs, rlimits -- stays as confined as the
   container, as runc does); otherwise the container's process with the
   command line's changes.  */
static oci_process *
build_process (struct kago_opened *c, const struct kago_exec_options *o, kago_error_t *err)
{
  if (o->process_file)
    {
      json_value *v = json_parse_file (o->process_file, err);
      if (v == NULL)
        return NULL;
      if (v->type != JSON_OBJECT)
        {
          json_free (v);
          return kago_error_set (err, 0, "--process `%s`: not a JSON object", o->process_file), NULL;
        }
      cleanup_free char *text = NULL;
      size_t len;
      json_value *cfg = NULL;
      if (read_file_at (c->dirfd, "config.json", &text, &len, err) < 0
          || (cfg = json_parse (text, len, err)) == NULL)
        {
          json_free (v);
          return NULL;
        }
      json_value *base = json_object_get (cfg, "process");
      json_value *merged = json_object_new ();
      if (base && base->type == JSON_OBJECT)
        for (size_t i = 0; i < base->u.obj.len; i++)
          {
            json_object_set (merged, base->u.obj.members[i].key, base->u.obj.members[i].value);
            base->u.obj.members[i].value = json_null_new ();
          }
      /* The container's terminal settings do not carry over.  */
      json_object_del (merged, "terminal");
      json_object_del (merged, "consoleSize");
      for (size_t i = 0; i < v->u.obj.len; i++)
        {
          json_object_set (merged, v->u.obj.members[i].key, v->u.obj.members[i].value);
          v->u.obj.members[i].value = json_null_new ();
        }
      oci_process *p = oci_process_parse (merged, "process", err);
      json_free (merged);
      json_free (cfg);
      json_free (v);
      if (p == NULL)
        kago_error_wrap (err, "--process `%s`", o->process_file);
      return p;
    }
  if (o->args == NULL || o->args[0] == NULL)
    return kago_error_set (err, 0, "exec: a command (or --process) is required"), NULL;
  cleanup_free char *text = NULL;
  size_t len;
  if (read_file_at (c->dirfd, "config.json", &text, &len, err) < 0)
    return NULL;
  json_value *cfg = json_parse (text, len, err);
  if (cfg == NULL)
    return NULL;
  json_value *base = json_object_get (cfg, "process");
  json_value *p = json_object_new ();
  if (base && base->type == JSON_OBJECT)
    {
      /* Steal the base's members into P.  */
      for (size_t i = 0; i < base->u.obj.len; i++)
        {
          json_object_set (p, base->u.obj.members[i].key, base->u.obj.members[i].value);
          base->u.obj.members[i].value = json_null_new ();
        }
    }
  json_object_set (p, "args", strv_json (o->args));
  json_object_set (p, "terminal", json_bool_new (o->tty));
  json_object_del (p, "consoleSize");
  if (o->env)
    {
      json_value *env = json_object_get (p, "env");
      if (env == NULL || env->type != JSON_ARRAY)
        {
          env = json_array_new ();
          json_object_set (p, "env", env);
        }
      for (char **e = o->env; *e; e++)
        json_array_append (env, json_string_new (*e));
    }
  if (o->cwd)
    json_object_set (p, "cwd", json_string_new (o->cwd));
  else if (json_object_get (p, "cwd") == NULL)
    json_object_set (p, "cwd", json_string_new ("/"));
  if (o->has_user || o->n_additional_gids)
    {
      json_value *u = json_object_get (p, "user");
      if (u == NULL || u->type != JSON_OBJECT)
        {
          u = json_object_new ();
          json_object_set (u, "uid", json_int_new (0));
          json_object_set (u, "gid", json_int_new (0));
          json_object_set (p, "user", u);
        }
      if (o->has_user)
        {
          json_object_set (u, "uid", json_uint_new (o->uid));
          json_object_set (u, "gid", json_uint_new (o->has_gid ? o->gid : 0));
        }
      if (o->n_additional_gids)
        {
          json_value *g = json_array_new ();
          for (size_t i = 0; i < o->n_additional_gids; i++)
            json_array_append (g, json_uint_new (o->additional_gids[i]));
          json_object_set (u, "additionalGids", g);
        }
    }
  if (o->caps && o->caps[0])
    {
      json_value *caps = json_object_get (p, "capabilities");
      if (caps == NULL || caps->type != JSON_OBJECT)
        {
          caps = json_object_new ();
          json_object_set (p, "capabilities", caps);
        }
      static const char *const sets[] = { "bounding", "effective", "permitted" };
      for (size_t i = 0; i < 3; i++)
        {
          json_value *s = json_object_get (caps, sets[i]);
          if (s == NULL || s->type != JSON_ARRAY)
            {
              s = json_array_new ();
              json_object_set (caps, sets[i], s);
            }
          for (char **cap = o->caps; *cap; cap++)
            json_array_append (s, json_string_new (*cap));
        }
    }
  if (o->no_new_privs)
    json_object_set (p, "noNewPrivileges", json_bool_new (true));
  if (o->apparmor)
    json_object_set (p, "apparmorProfile", json_string_new (o->apparmor));
  if (o->process_label)
    json_object_set (p, "selinuxLabel", json_string_new (o->process_label));
  oci_process *r = oci_process_parse (p, "process", err);
  json_free (p);
  json_free (cfg);
  return r;
}

/* Child: join the container and exec.  ROOTFD is the init's root
   (/proc/PID/root, opened by the parent): with a mount namespace setns
   already puts us there; without one (the init chrooted into its rootfs)
   it is the only way in.  */
static void __attribute__ ((noreturn)) exec_child (struct kago_launch *l, int pidfd, int nsflags, int rootfd)
{
  kago_error_t err = NULL;
  const oci_process *p = l->ctx.spec->process;
  close (l->sync_fd);
  kago_log_detach ();
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (kago_cgroup_self_join (l->cg_join_fds, l->n_cg_join, &err) < 0)
    goto fail;
  for (size_t i = 0; i < l->n_cg_join; i++)
    close (l->cg_join_fds[i]);
  if (kago_sync_expect (l->child_sync_fd, SYNC_GO, NULL, &err) < 0)
    _exit (1);
  if (nsflags && setns (pidfd, nsflags) < 0)
    {
      kago_error_set (&err, errno, "join the container's namespaces");
      goto fail;
    }
  close (pidfd);
  if (fchdir (rootfd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    {
      kago_error_set (&err, errno, "enter the container's root");
      goto fail;
    }
  close (rootfd);
  if (l->ctx.userns && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    {
      kago_error_set (&err, errno, "become root in the container's user namespace");
      goto fail;
    }
  {
    cleanup_close int procfd = kago_init_open_procfs (l, &err);
    if (p->terminal && kago_terminal_setup (l->ctx.console_socket_fd, p, false, &err) < 0)
      goto fail;
    /* Only stdio, the preserved fds and what we still need survive before
       the container's paths are resolved (CVE-2024-21626).  */
    const int keep[] = { l->child_sync_fd, procfd };
    if (kago_close_fds_except (3 + l->ctx.preserve_fds, keep, 2, &err) < 0)
      goto fail;
    cleanup_free char *exe = kago_init_find_executable (p->args.v[0], p->env.v, &err);
    if (exe == NULL || kago_init_prepare_process (l, p, procfd, &err) < 0)
      goto fail;
    kago_init_reset_signals ();
    if (kago_init_final_seccomp (l, p, &err) < 0)
      goto fail;
    execve (exe, p->args.v, p->env.v ? p->env.v : (char *[]){ NULL });
    kago_init_exec_error (&err, exe, NULL, errno);
  }
fail:
  kago_sync_send_error (l->child_sync_fd, err);
  _exit (1);
}

int
kago_container_exec (struct kago_runtime *rt, const char *id, const struct kago_exec_options *o, int *status,
                     kago_error_t *err)
{
  struct kago_opened c;
  if (kago_open_container (rt, id, &c, err) < 0)
    return -1;
  int ret = -1;
  oci_spec *spec = NULL;
  oci_process *proc = NULL;
  struct kago_caps caps;
  struct kago_seccomp_filter *filter = NULL;
  struct kago_launch l;
  int pidfd = -1, restore_pid = -1, restore_time = -1, rootfd = -1, sp[2] = { -1, -1 }, console_peer = -1;
  pid_t pid = -1;
  sigset_t fwd, old;
  kago_forward_sigset (&fwd);
  memset (&l, 0, sizeof l);
  l.exec_sock_fd = l.start_conn_fd = l.sync_fd = l.child_sync_fd = -1;
  l.ctx.console_socket_fd = l.ctx.rootfs_fd = l.ctx.procfs_fd = -1;

  if (c.status == KAGO_STATUS_STOPPED)
    {
      kago_error_set (err, 0, "cannot exec in a stopped container");
      goto out;
    }
  if (c.status == KAGO_STATUS_PAUSED)
    {
      kago_error_set (err, 0, "cannot exec in a paused container");
      goto out;
    }
  spec = kago_opened_spec (&c, err);
  if (spec == NULL)
    goto out;
  proc = build_process (&c, o, err);
  if (proc == NULL)
    goto out;
  if (proc->terminal && o->console_socket == NULL && o->detach)
    {
      kago_error_set (err, 0, "exec --tty --detach needs --console-socket");
      goto out;
    }
  if (kago_lsm_check (spec, proc, err) < 0)
    goto out;
  if (proc->capabilities.present && kago_caps_from_spec (&proc->capabilities, &caps, err) < 0)
    goto out;
  if (spec->has_linux && spec->linux_.seccomp
      && (kago_seccomp_compile_cached (rt->root ? rt->root : KAGO_DEFAULT_STATE_ROOT, spec->linux_.seccomp,
                                       &filter, NULL, err)
              < 0
          || kago_seccomp_notify_validate (spec->linux_.seccomp, kago_seccomp_filter_has_notify (filter), err)
                 < 0))
    goto out;

  oci_spec es = *spec;
  es.process = proc;
  l.ctx.spec = &es;
  l.ctx.id = id;
  l.ctx.preserve_fds = o->preserve_fds;
  l.seccomp = filter;
  l.caps = proc->capabilities.present ? &caps : NULL;
  if (o->console_socket)
    {
      l.ctx.console_socket_fd = kago_console_socket_connect (o->console_socket, err);
      if (l.ctx.console_socket_fd < 0)
        goto out;
    }
  else if (proc->terminal)
    {
      /* In the foreground: we are the console socket's other end and
         proxy the terminal to our stdio, as run does.  */
      int cp[2];
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cp) < 0)
        {
          kago_error_set (err, errno, "socketpair for the console");
          goto out;
        }
      console_peer = cp[0];
      l.ctx.console_socket_fd = cp[1];
    }

  int nsflags = 0;
  for (size_t i = 0; spec->has_linux && i < spec->linux_.n_namespaces; i++)
    {
      enum oci_ns_type t = spec->linux_.namespaces[i].type;
      if (t == OCI_NS_USER)
        l.ctx.userns = true;
      nsflags |= oci_ns_clone_flag (t);
    }
  pidfd = kago_pidfd_open (c.st.pid, 0);
  if (pidfd >= 0)
    {
      char rp[64];
      snprintf (rp, sizeof rp, "/proc/%d/root", (int) c.st.pid);
      rootfd = open (rp, O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
  /* Checked after both opens: they name the recorded init, not a reused pid. */
  if (pidfd < 0 || rootfd < 0 || !kago_state_pid_alive (&c.st))
    {
      kago_error_set (err, 0, "container \"%s\" is not running", id);
      goto out;
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    {
      kago_error_set (err, errno, "socketpair");
      goto out;
    }
  l.sync_fd = sp[0];
  l.child_sync_fd = sp[1];

  /* pid and time namespaces take effect for children: enter them for the
     clone only.  */
  int child_flags = nsflags & (CLONE_NEWPID | CLONE_NEWTIME);
  if (child_flags)
    {
      restore_pid = open ("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
      restore_time = open ("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
      if (restore_pid < 0 || restore_time < 0 || setns (pidfd, child_flags) < 0)
        {
          kago_error_set (err, errno, "enter the container's pid namespace");
          goto out;
        }
    }
  /* The child is born in the container's pid namespace: it must not be
     ptraceable or have its /proc/PID/fd opened by the container before it
     has joined and closed our fds (it inherits this from us).  */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (!o->detach)
    sigprocmask (SIG_BLOCK, &fwd, &old);
  {
    struct kago_clone_args a;
    memset (&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    int cgfd = c.st.cgroup ? kago_cgroup_clone_fd (c.st.cgroup) : -1;
    if (cgfd >= 0)
      {
        a.flags |= CLONE_INTO_CGROUP;
        a.cgroup = (uint64_t) cgfd;
      }
    int n = c.st.cgroup ? kago_cgroup_open_self_join (c.st.cgroup, l.cg_join_fds, 16, err) : 0;
    if (n < 0)
      goto out_unblock;
    l.n_cg_join = (size_t) n;
    pid = (pid_t) kago_clone3 (&a, sizeof a);
    l.cloned_into_cgroup = pid >= 0 && cgfd >= 0;
    if (pid < 0 && (errno == ENOSYS || errno == E2BIG))
      pid = fork ();
    if (pid != 0)
      for (size_t i = 0; i < l.n_cg_join; i++)
        close (l.cg_join_fds[i]);
  }
  if (pid == 0)
    exec_child (&l, pidfd, nsflags & ~(CLONE_NEWPID | CLONE_NEWTIME), rootfd);
  kago_ns_restore (&restore_pid, CLONE_NEWPID);
  kago_ns_restore (&restore_time, CLONE_NEWTIME);
  if (pid < 0)
    {
      kago_error_set (err, errno, "clone the exec process");
      goto out_unblock;
    }
  close (l.child_sync_fd);
  l.child_sync_fd = -1;
  if (c.st.cgroup && kago_cgroup_enter_rest (c.st.cgroup, pid, l.cloned_into_cgroup, true, err) < 0)
    goto kill_child;
  if (kago_sync_send (l.sync_fd, SYNC_GO, pid, err) < 0)
    goto kill_child;
  /* Until execve closes the socket: the seccomp listener when the profile
     notifies (for the agent, as at create), or an error.  */
  for (;;)
    {
      struct kago_sync_msg m;
      int fds[1];
      size_t nfds = 0;
      kago_error_t rerr = NULL;
      int r = kago_sync_recv_any (l.sync_fd, &m, fds, 1, &nfds, &rerr);
      kago_error_release (&rerr);
      if (r <= 0)
        break;
      if (m.type == SYNC_SECCOMP && nfds == 1)
        {
          json_value *state = kago_state_to_oci_json (&c.st, c.status);
          if (kago_seccomp_notify_handoff (spec->linux_.seccomp, fds[0], pid, state, err) < 0)
            goto kill_child;
          continue;
        }
      for (size_t i = 0; i < nfds; i++)
        close (fds[i]);
      if (m.type == SYNC_ERROR)
        {
          kago_error_from_wire (err, &m.err);
          waitpid (pid, NULL, 0);
          pid = -1;
          goto out_unblock;
        }
    }
  if (o->pid_file)
    {
      char buf[32];
      int k = snprintf (buf, sizeof buf, "%d", (int) pid);
      cleanup_free char *abs = NULL;
      const char *path = o->pid_file;
      char cwd[PATH_MAX];
      if (path[0] != '/' && getcwd (cwd, sizeof cwd))
        path = abs = xasprintf ("%s/%s", cwd, o->pid_file);
      if (write_file_atomic (AT_FDCWD, path, buf, (size_t) k, 0644, err) < 0)
        goto kill_child;
    }
  if (o->detach)
    {
      ret = 0;
      goto out;
    }
  {
    /* The process runs: other verbs (state, kill, delete, another exec)
       must not wait for it behind our lock.  */
    if (c.lockfd >= 0)
      {
        close (c.lockfd);
        c.lockfd = -1;
      }
    int ws = 0;
    if (console_peer >= 0)
      {
        if (l.ctx.console_socket_fd >= 0)
          {
            close (l.ctx.console_socket_fd);
            l.ctx.console_socket_fd = -1;
          }
        cleanup_close int master = kago_recv_fd (console_peer, NULL, err);
        if (master < 0 || kago_tty_proxy_wait (pid, master, &fwd, &ws, err) < 0)
          goto kill_child;
      }
    else if (kago_wait_forwarding (pid, &fwd, &ws, err) < 0)
      goto kill_child;
    *status = kago_exit_code (ws);
    ret = 0;
    goto out_unblock;
  }
kill_child:
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
out_unblock:
  if (!o->detach)
    sigprocmask (SIG_SETMASK, &old, NULL);
out:
  kago_ns_restore (&restore_pid, CLONE_NEWPID);
  kago_ns_restore (&restore_time, CLONE_NEWTIME);
  if (rootfd >= 0)
    close (rootfd);
  if (pidfd >= 0)
    close (pidfd);
  if (l.sync_fd >= 0)
    close (l.sync_fd);
  if (l.child_sync_fd >= 0)
    close (l.child_sync_fd);
  if (l.ctx.console_socket_fd >= 0)
    close (l.ctx.console_socket_fd);
  if (console_peer >= 0)
    close (console_peer);
  if (filter)
    kago_seccomp_filter_free (filter);
  if (proc)
    oci_process_free (proc);
  if (spec)
    oci_spec_free (spec);
  kago_opened_close (&c);
  return ret;
}
