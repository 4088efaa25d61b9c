/* A small tar writer: POSIX ustar headers, with a pax extended header when a
   value does not fit (long names or link targets, sizes of 8 GiB and more,
   large ids) or the entry has xattrs (SCHILY.xattr.NAME, as GNU tar and
   libarchive write them).  Output goes to a sink callback.  */
#ifndef KAGO_IMAGE_TAR_WRITER_H
#define KAGO_IMAGE_TAR_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

typedef int (*kago_tar_sink) (void *ctx, const void *buf, size_t len, kago_error_t *err);

struct kago_tar_writer
{
  kago_tar_sink sink;
  void *ctx;
  uint64_t remaining; /* data bytes the current entry still needs */
  uint64_t size;      /* the current entry's size, for padding */
  uint64_t total;     /* bytes written */
};

struct kago_tar_xattr
{
  const char *name;
  const void *value;
  size_t size;
};

struct kago_tar_entry
{
  const char *name;
  mode_t mode; /* type bits (S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO) and permissions */
  uid_t uid;
  gid_t gid;
  uint64_t size; /* regular files */
  int64_t mtime;
  const char *linkname; /* symlink target, or hard link target when hardlink */
  bool hardlink;
  unsigned int devmajor, devminor;
  const struct kago_tar_xattr *xattrs;
  size_t nxattrs;
};

void kago_tar_writer_init (struct kago_tar_writer *w, kago_tar_sink sink, void *ctx);
int kago_tar_write_header (struct kago_tar_writer *w, const struct kago_tar_entry *e, kago_error_t *err);
/* The entry's data, in any number of calls, exactly its size in all.  */
int kago_tar_write_data (struct kago_tar_writer *w, const void *buf, size_t len, kago_error_t *err);
/* The end-of-archive marker (two zero blocks).  */
int kago_tar_write_end (struct kago_tar_writer *w, kago_error_t *err);

/* A sink writing to the fd in CTX (an int *).  */
int kago_tar_fd_sink (void *ctx, const void *buf, size_t len, kago_error_t *err);

#endif
