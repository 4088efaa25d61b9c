/* Unpacking one image layer (a tar stream: gzip, zstd or uncompressed) into a
 * directory, as an overlayfs lower layer.
 *
 * Entries: regular files (sparse ones too), directories, symlinks, hard
 * links, character and block devices, fifos (sockets are skipped), with
 * owner, mode (setuid/setgid/sticky included), mtime/atime and xattrs
 * (security.capability included; trusted.overlay.* from the archive is
 * dropped: only the whiteout rules below make overlay metadata).
 *
 * Whiteouts (OCI image-spec / Docker):
 *   DIR/.wh.NAME        -> DIR/NAME as a 0:0 character device (overlayfs)
 *   DIR/.wh..wh..opq    -> trusted.overlay.opaque="y" on DIR
 *   DIR/.wh..wh.OTHER   -> ignored (aufs bookkeeping)
 *
 * Confinement: an entry name (and a hard link's target) is made relative by
 * dropping "./" and "." components; an absolute name or a ".." component is
 * refused.  Parents are resolved inside the directory with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV) (or an
 * O_NOFOLLOW walk without openat2): a path through a symlink, whether the
 * archive planted it or not, is refused.  The final component is never
 * followed: an existing node there is replaced.  Nothing is written outside
 * the directory.  */
#ifndef KAGO_IMAGE_UNPACK_H
#define KAGO_IMAGE_UNPACK_H

#include <stdint.h>

#include "common/error.h"
#include "engine/image/digest.h"

struct kago_unpack_result
{
  char diff_id[KAGO_DIGEST_SIZE]; /* sha256 of the uncompressed tar stream */
  uint64_t tar_size;              /* its length */
  uint64_t content_size;          /* the sum of the regular files' sizes */
  uint64_t entries;
  const char *compression; /* "gzip", "zstd", "none" (static string) */
};

/* Unpack the layer read from IN_FD into the directory DIRFD.  */
int kago_layer_unpack (int in_fd, int dirfd, struct kago_unpack_result *res, kago_error_t *err);

enum kago_whiteout
{
  KAGO_WHITEOUT_NONE,   /* an ordinary name */
  KAGO_WHITEOUT_FILE,   /* .wh.NAME: *target is NAME */
  KAGO_WHITEOUT_OPAQUE, /* .wh..wh..opq */
  KAGO_WHITEOUT_META,   /* another .wh..wh. name: ignored */
};
/* Classify the last component BASE of an entry name.  A whiteout of "", "."
   or ".." is an error (-1).  */
int kago_whiteout_kind (const char *base, const char **target);

/* Normalize an entry name: drop leading "/"-free "./" and "." components and
   repeated slashes.  "" is the layer root.  Refuses absolute names and ".."
   components.  Caller frees *out.  */
int kago_unpack_clean_path (const char *name, char **out, kago_error_t *err);

#endif
