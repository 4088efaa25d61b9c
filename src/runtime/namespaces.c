/* Namespaces: which are created by clone3, which are joined by path, user and
   time namespace set-up written by the parent.  */
#include "runtime/core.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/syscalls.h"
#include "runtime/mounts.h"

#include <sys/wait.h>

int
kago_ns_plan_build (const oci_spec *spec, struct kago_ns_plan *plan, kago_error_t *err)
{
  memset (plan, 0, sizeof *plan);
  for (int i = 0; i < OCI_NS_COUNT; i++)
    plan->join_fds[i] = -1;
  if (!spec->has_linux)
    return 0;
  const oci_linux *l = &spec->linux_;
  for (size_t i = 0; i < l->n_namespaces; i++)
    {
      const oci_namespace *ns = &l->namespaces[i];
      plan->has_ns[ns->type] = true;
      if (ns->path && ns->path[0])
        {
          int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            {
              kago_error_set (err, errno, "linux.namespaces: open %s namespace path `%s`",
                              oci_ns_type_name (ns->type), ns->path);
              kago_ns_plan_close (plan);
              return -1;
            }
          plan->join_fds[ns->type] = fd;
        }
      else
        plan->new_ns[ns->type] = true;
    }
  bool join_user = plan->join_fds[OCI_NS_USER] >= 0;
  for (int t = 0; t < OCI_NS_COUNT; t++)
    {
      if (!plan->new_ns[t])
        continue;
      int flag = oci_ns_clone_flag ((enum oci_ns_type) t);
      /* The time namespace is prepared by the parent (offsets must be written
         before any process enters it).  A cgroup namespace is created by the
         child once it is in its cgroup (v1 cannot clone into a cgroup).  */
      if (t == OCI_NS_TIME || t == OCI_NS_CGROUP)
        continue;
      /* With a joined user namespace, the new ones must be owned by it: the
         child joins first, then unshares them.  */
      if (join_user && t != OCI_NS_USER)
        plan->unshare_flags |= flag;
      else
        plan->clone_flags |= flag;
    }
  /* A new cgroup namespace is unshared by the init once it is in its
     cgroups (kago_init_join_cgroups), so that its root is the container's. */
  if (join_user && (plan->unshare_flags & CLONE_NEWPID))
    return kago_error_set (err, 0,
                           "linux.namespaces: a new pid namespace with a joined user namespace is not "
                           "supported; join a pid namespace too, or create the user namespace");
  /* uid/gid mappings only make sense with a new user namespace.  */
  if ((l->uid_mappings.n || l->gid_mappings.n) && !plan->new_ns[OCI_NS_USER])
    {
      if (!plan->has_ns[OCI_NS_USER])
        return kago_error_set (err, 0,
                               "linux.uidMappings: mappings need a user namespace in linux.namespaces");
    }
  if (plan->new_ns[OCI_NS_USER] && (l->uid_mappings.n == 0 || l->gid_mappings.n == 0))
    return kago_error_set (err, 0, "linux.uidMappings/gidMappings: a new user namespace needs both mappings");
  if ((l->time_offsets.has_monotonic || l->time_offsets.has_boottime) && !plan->new_ns[OCI_NS_TIME])
    return kago_error_set (err, 0, "linux.timeOffsets: offsets need a new time namespace");
  return 0;
}

void
kago_ns_plan_close (struct kago_ns_plan *plan)
{
  for (int i = 0; i < OCI_NS_COUNT; i++)
    if (plan->join_fds[i] >= 0)
      {
        close (plan->join_fds[i]);
        plan->join_fds[i] = -1;
      }
}

int
kago_ns_join_in_child (struct kago_ns_plan *plan, kago_error_t *err)
{
  /* user first (so that the others are joined with its credentials), mount
     last; pid and time were joined by the parent for its children.  */
  static const enum oci_ns_type order[]
      = { OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_CGROUP, OCI_NS_MOUNT };
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    {
      enum oci_ns_type t = order[i];
      if (plan->join_fds[t] < 0)
        continue;
      if (setns (plan->join_fds[t], oci_ns_clone_flag (t)) < 0)
        return kago_error_set (err, errno, "join %s namespace", oci_ns_type_name (t));
      close (plan->join_fds[t]);
      plan->join_fds[t] = -1;
    }
  if (plan->unshare_flags && unshare (plan->unshare_flags) < 0)
    return kago_error_set (err, errno, "unshare namespaces (flags 0x%x)", plan->unshare_flags);
  return 0;
}

static int
write_map (pid_t pid, const char *file, const oci_id_mappings *m, kago_error_t *err)
{
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  char path[64];
  for (size_t i = 0; i < m->n; i++)
    strbuf_addf (&sb, "%u %u %u\n", m->items[i].container_id, m->items[i].host_id, m->items[i].size);
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  if (write_file (path, sb.buf, sb.len, err) < 0)
    return kago_error_wrap (err, "write %s", file);
  return 0;
}

int
kago_userns_write_maps (pid_t pid, const oci_linux *l, kago_error_t *err)
{
  if (write_map (pid, "uid_map", &l->uid_mappings, err) < 0)
    return -1;
  return write_map (pid, "gid_map", &l->gid_mappings, err);
}

int
kago_timens_prepare (const oci_time_offsets *t, int *restore_fd, kago_error_t *err)
{
  cleanup_close int self = open ("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return kago_error_set (err, errno, "open /proc/self/ns/time_for_children");
  if (unshare (CLONE_NEWTIME) < 0)
    return kago_error_set (err, errno, "unshare time namespace");
  char buf[128];
  int n = 0;
  if (t->has_monotonic)
    n += snprintf (buf + n, sizeof buf - (size_t) n, "monotonic %lld %u\n", (long long) t->monotonic_secs,
                   t->monotonic_nsecs);
  if (t->has_boottime)
    n += snprintf (buf + n, sizeof buf - (size_t) n, "boottime %lld %u\n", (long long) t->boottime_secs,
                   t->boottime_nsecs);
  if (n > 0)
    {
      /* One line per write: the kernel parses a single offset per write.  */
      char *line = buf;
      while (*line)
        {
          char *nl = strchr (line, '\n');
          if (write_file ("/proc/self/timens_offsets", line, (size_t) (nl - line + 1), err) < 0)
            {
              setns (self, CLONE_NEWTIME);
              return kago_error_wrap (err, "linux.timeOffsets");
            }
          line = nl + 1;
        }
    }
  *restore_fd = steal_fd (&self);
  return 0;
}

int
kago_cleanup_shared_mounts (const char *rootfs, const char *ns_path, kago_error_t *err)
{
  if (ns_path == NULL)
    return kago_rootfs_cleanup_mounts (rootfs, err);
  cleanup_close int nsfd = open (ns_path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    return 0;
  int pfd[2];
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return kago_error_set (err, errno, "pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (pfd[0]);
      close (pfd[1]);
      return kago_error_set (err, e, "fork");
    }
  if (pid == 0)
    {
      kago_error_t e = NULL;
      struct kago_error_wire w;
      close (pfd[0]);
      if (setns (nsfd, CLONE_NEWNS) < 0)
        kago_error_set (&e, errno, "enter the mount namespace `%s`", ns_path);
      else if (kago_rootfs_cleanup_mounts (rootfs, &e) == 0)
        _exit (0);
      kago_error_to_wire (e, &w);
      write_all (pfd[1], &w, sizeof w);
      _exit (1);
    }
  close (pfd[1]);
  struct kago_error_wire w;
  ssize_t n = read (pfd[0], &w, sizeof w);
  close (pfd[0]);
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (n == (ssize_t) sizeof w)
    return kago_error_from_wire (err, &w);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return kago_error_set (err, 0, "detaching the mounts under `%s` failed", rootfs);
  return 0;
}

void
kago_ns_restore (int *fd, int nstype)
{
  if (*fd < 0)
    return;
  setns (*fd, nstype);
  close (*fd);
  *fd = -1;
}
