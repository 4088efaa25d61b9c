/* The context shared by the container's init steps (mounts, devices, rootfs,
   process attributes).  Built by the parent before clone; the child reads it
   (it is a copy-on-write copy after clone).  */
#ifndef KAGO_INIT_CTX_H
#define KAGO_INIT_CTX_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "oci/spec.h"

struct kago_init_ctx
{
  const oci_spec *spec;
  const char *id;
  const char *bundle;  /* absolute path of the bundle */
  const char *rootfs;  /* absolute host path of the rootfs */
  int rootfs_fd;       /* O_PATH|O_DIRECTORY fd on the rootfs (host view), or -1 */
  bool userns;         /* the container has its own (new or joined) user namespace */
  bool new_mountns;    /* a new mount namespace (the usual case) */
  bool mounts_in_host; /* no mount namespace: mounts go under the rootfs in the host's */
  bool new_cgroupns;   /* a new cgroup namespace */
  bool new_pidns;
  bool new_netns;
  bool no_pivot; /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
  bool no_new_keyring;
  int console_socket_fd; /* connected console socket, or -1 */
  int preserve_fds;      /* fds 3 .. 3+preserve_fds-1 are passed on */
  int procfs_fd;         /* verified procfs handle of the container (after /proc is mounted), or -1 */
  const char *cgroup_path_unified; /* for cgroup mounts on v2, may be NULL */
  /* Idmapped trees from the parent (SYNC_IDMAP): the rootfs's first when
     idmap_rootfs, then one per idmapped mount in order; -1 once used.  */
  int idmap_fds[64];
  size_t n_idmap_fds;
  bool idmap;        /* any idmapped tree at all: the init expects SYNC_IDMAP */
  bool idmap_rootfs;
  /* Called (once) before the first cgroup mount: the init must be in its
     cgroups, and in its new cgroup namespace, by then.  May be NULL.  */
  int (*join_cgroups) (struct kago_init_ctx *c, kago_error_t *err);
};

#endif
