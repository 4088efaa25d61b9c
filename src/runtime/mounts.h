/* Mounts, the rootfs and /dev, inside the container's new mount namespace.
 * Called by the init (the child) in this order:
 *
 *   kago_rootfs_prepare   propagation of / (rootfsPropagation, default rslave
 *                         during setup then rprivate), bind the rootfs onto itself
 *   kago_mounts_setup     every config mount in order, targets resolved inside
 *                         the rootfs by fd; /proc and /sys targets verified
 *   kago_devices_setup    default devices (null zero full random urandom tty),
 *                         configured devices (mknod, or bind from the host inside
 *                         a user namespace), /dev/fd,stdin,stdout,stderr,
 *                         /dev/ptmx -> pts/ptmx, /dev/core when /proc/kcore
 *   (createContainer hooks run here, before pivot_root)
 *   kago_rootfs_pivot     pivot_root (or MS_MOVE + chroot for --no-pivot),
 *                         old root detached
 *   kago_rootfs_finalize  maskedPaths, readonlyPaths, root.readonly, final
 *                         rootfsPropagation
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

/* Parsed mount options (exported for unit tests).  */
struct kago_mount_opts
{
  unsigned long flags;          /* MS_* to set */
  unsigned long clear_flags;    /* MS_* explicitly cleared (rw, suid, ...) */
  unsigned long propagation;    /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (|MS_REC) */
  unsigned long long rec_attr_set;  /* MOUNT_ATTR_* for r* options (mount_setattr AT_RECURSIVE) */
  unsigned long long rec_attr_clr;
  bool bind, rbind;
  bool idmap, ridmap;
  bool tmpcopyup;
  char *data;                   /* the rest, comma-joined, for mount(2) data; may be NULL */
};
int kago_mount_opts_parse (const char *const *options, size_t n, struct kago_mount_opts *out, kago_error_t *err);
void kago_mount_opts_clear (struct kago_mount_opts *o);

#endif
