/* Mounts, the rootfs and /dev, inside the container's new mount namespace.
 * Called by the init (the child) in this order:
 *
 *   kago_rootfs_prepare   propagation of / (rslave during setup, as runc;
 *                         rootfsPropagation is applied to / after the pivot),
 *                         bind the rootfs onto itself (c->rootfs_fd then
 *                         points at the bind)
 *   kago_mounts_setup     every config mount in order, targets resolved inside
 *                         the rootfs by fd; /proc and /sys targets verified
 *   kago_devices_setup    default devices (null zero full random urandom tty),
 *                         configured devices (mknod, or bind from the host inside
 *                         a user namespace), /dev/fd,stdin,stdout,stderr,
 *                         /dev/ptmx -> pts/ptmx, /dev/core when /proc/kcore
 *   (createContainer hooks run here, before pivot_root)
 *   kago_rootfs_pivot     pivot_root (or MS_MOVE + chroot for --no-pivot),
 *                         old root detached
 *   kago_rootfs_finalize  readonlyPaths, maskedPaths, a read-only /dev
 *                         tmpfs, root.readonly, final rootfsPropagation
 *
 * Without a new mount namespace (the container joins an existing one, e.g.
 * the host's), / is left alone, nothing is bound over the rootfs and the
 * pivot is a chroot; the mounts made under the rootfs then live in that
 * namespace: delete must call kago_rootfs_cleanup_mounts() so that none is
 * left under the bundle.
 */
#ifndef KAGO_MOUNTS_H
#define KAGO_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "runtime/init_ctx.h"

int kago_rootfs_prepare (struct kago_init_ctx *c, kago_error_t *err);
int kago_mounts_setup (struct kago_init_ctx *c, kago_error_t *err);
int kago_devices_setup (struct kago_init_ctx *c, kago_error_t *err);
int kago_rootfs_pivot (struct kago_init_ctx *c, kago_error_t *err);
int kago_rootfs_finalize (struct kago_init_ctx *c, kago_error_t *err);

/* Host side, for delete of a container that had no mount namespace of its
   own: detach (MNT_DETACH) every mount strictly below ROOTFS in the caller's
   mount namespace, deepest first.  Mounts *at* ROOTFS (an engine's overlay)
   are kept.  Idempotent.  */
int kago_rootfs_cleanup_mounts (const char *rootfs, kago_error_t *err);

/* Parsed mount options (exported for unit tests).  */
struct kago_mount_opts
{
  unsigned long flags;             /* MS_* to set */
  unsigned long clear_flags;       /* MS_* explicitly cleared (rw, suid, ...) */
  unsigned long propagation;       /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (|MS_REC) */
  unsigned long long rec_attr_set; /* MOUNT_ATTR_* for r* options (mount_setattr AT_RECURSIVE) */
  unsigned long long rec_attr_clr;
  bool bind, rbind;
  bool idmap, ridmap;
  bool tmpcopyup;
  char *data; /* the rest, comma-joined, for mount(2) data; may be NULL */
};
int kago_mount_opts_parse (const char *const *options, size_t n, struct kago_mount_opts *out,
                           kago_error_t *err);
void kago_mount_opts_clear (struct kago_mount_opts *o);
/* "rprivate" -> MS_PRIVATE|MS_REC ... (the 8 propagation names); -1 when unknown. */
int kago_mount_propagation_parse (const char *name, unsigned long *flags);
/* Per-mount MS_* flags -> MOUNT_ATTR_* (rdonly nosuid nodev noexec
   nodiratime nosymfollow and the atime field).  */
unsigned long long kago_mount_flags_to_attr (unsigned long flags);
/* The mount_setattr set/clear pair that makes a bind mount's top mount
   carry the flags named in O (ro, nosuid, noatime, ...): what a
   MS_BIND|MS_REMOUNT does, without touching flags that were not named.  */
void kago_mount_opts_bind_attrs (const struct kago_mount_opts *o, unsigned long long *set,
                                 unsigned long long *clr);

/* Lexically clean an absolute path inside the container ("/a/./b/../c//"
   -> "/a/c"; ".." stops at "/").  Caller frees.  */
char *kago_path_clean (const char *path);
/* The config's topmost mount on /dev, if any: is it a bind (someone else's
   /dev, which kago must not populate) and is it a read-only new fs?  *FOUND
   is false when the config mounts nothing on /dev.  */
int kago_dev_mount_kind (const oci_spec *s, bool *found, bool *bound, bool *readonly, kago_error_t *err);

/* Read /proc/self/NAME through a checked procfs (no symlink out, no
   overmount followed).  *OUT is NUL-terminated, caller frees.  */
int kago_read_proc_self (const char *name, char **out, kago_error_t *err);

/* One line of /proc/self/mountinfo, parsed in place (octal escapes of the
   paths undone).  Returns -1 on a malformed line.  */
struct kago_mountinfo
{
  unsigned long long id, parent;
  char *root, *mountpoint, *options;
  char *optional; /* "shared:1 master:2" or "" */
  char *fstype, *source, *super;
};
int kago_mountinfo_parse_line (char *line, struct kago_mountinfo *mi);

/* ---- fd-based mount primitives (mount_opts.c), shared by mounts.c,
   rootfs.c and devices.c.  Targets are fds resolved inside the rootfs; the
   new mount API is used (no path is ever resolved), with mount(2) on
   /proc/self/fd/N as the fallback on kernels without it, where W (the same
   target as rootfs fd + in-root path) is used to find the new mount.  Each
   returns < 0 with a short message the caller wraps with the mount's name. */
struct kago_mount_where
{
  int rootfd;
  const char *path;
};
/* A new filesystem on DSTFD; MS_* FLAGS (superblock and per-mount), DATA
   as for mount(2).  *MNTFD_OUT (may be NULL) gets an fd of the new mount.  */
int kago_mount_fs_at (int dstfd, const struct kago_mount_where *w, const char *fstype, const char *source,
                      unsigned long flags, const char *data, int *mntfd_out, kago_error_t *err);
/* Bind SRCFD/SRCPATH (SRCPATH NULL or "": SRCFD itself) onto DSTFD, with
   mount attributes SET/CLR on the top mount and RSET/RCLR recursively, all
   applied before the mount is attached.  */
int kago_mount_bind_at (int srcfd, const char *srcpath, int dstfd, const struct kago_mount_where *w,
                        bool recursive, unsigned long long set, unsigned long long clr,
                        unsigned long long rset, unsigned long long rclr, int *mntfd_out, kago_error_t *err);
/* mount_setattr on the mount MNTFD is the root of (fallback: MS_REMOUNT
   keeping the flags not named).  */
int kago_mount_setattr_fd (int mntfd, bool recursive, unsigned long long set, unsigned long long clr,
                           kago_error_t *err);
/* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (|MS_REC) on MNTFD.  */
int kago_mount_propagation_fd (int mntfd, unsigned long prop, kago_error_t *err);

#endif
