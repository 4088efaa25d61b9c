/* A container's root filesystem from an image's layers.
 *
 *   DIR/upper, DIR/work, DIR/merged   overlayfs: the layers as lowerdirs (top
 *                                     first), upper and work per container
 *   DIR/rootfs                        the copy fallback: the layers copied
 *                                     bottom up, whiteouts and opaque
 *                                     directories applied
 *
 * Overlay is mounted with the new mount API (one "lowerdir+" per layer, so
 * no page-size limit on the option string), falling back to mount(2).  The
 * copy is made when overlay cannot be mounted (no overlayfs, a filesystem
 * overlay cannot use as upper) or when asked for.  */
#ifndef KAGO_IMAGE_ROOTFS_H
#define KAGO_IMAGE_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "engine/image/store.h"

enum kago_rootfs_mode
{
  KAGO_ROOTFS_AUTO,    /* overlay, else copy */
  KAGO_ROOTFS_OVERLAY, /* overlay or fail */
  KAGO_ROOTFS_COPY,    /* always copy */
};

struct kago_rootfs
{
  char *path;   /* DIR/merged or DIR/rootfs */
  bool overlay; /* which one */
};

/* Make the root filesystem in DIR (created; it must not exist) from the
   layer directories LAYERS, bottom first.  */
int kago_rootfs_create (const char *const *layers, size_t n, const char *dir, enum kago_rootfs_mode mode,
                        struct kago_rootfs *out, kago_error_t *err);
/* The same from image NAME of store S.  */
int kago_rootfs_create_from_image (struct kago_store *s, const char *name, const char *dir,
                                   enum kago_rootfs_mode mode, struct kago_rootfs *out, kago_error_t *err);
/* Mount the overlay of DIR again (after a reboot or an unmount) with the
   upper and work directories it has; nothing when it is mounted.  */
int kago_rootfs_ensure_mounted (const char *const *layers, size_t n, const char *dir, kago_error_t *err);
/* Unmount DIR/merged if mounted and remove DIR.  */
int kago_rootfs_remove (const char *dir, kago_error_t *err);
void kago_rootfs_release (struct kago_rootfs *r);

/* Copy the layer directory SRCFD onto DSTFD as overlayfs would show it on
   top: whiteouts (0:0 character devices) delete, opaque directories
   (trusted.overlay.opaque=y) hide what was below.  Exported for tests.  */
int kago_rootfs_merge_layer (int srcfd, int dstfd, kago_error_t *err);

#endif
