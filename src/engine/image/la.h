/* libarchive, loaded with dlopen when an image command first needs it.
 *
 * kago is one executable, and the OCI runtime face re-executes itself from a
 * sealed memfd copy at every container start (CVE-2019-5736): every byte of
 * the executable is copied each time.  Linking libarchive (with zstd and
 * zlib) would add ~420 KiB to that copy, and linking it as a shared library
 * would load libxml2, ICU and libstdc++ at every start.  So the image code
 * calls libarchive through this table, filled from libarchive.so.13 on first
 * use; the runtime face never loads it.
 *
 * Include this after <archive.h> and <archive_entry.h>: it redefines the
 * libarchive functions kago uses as calls through the table, so the code
 * reads as ordinary libarchive code.  Call kago_la_load() before the first
 * one.  */
#ifndef KAGO_IMAGE_LA_H
#define KAGO_IMAGE_LA_H

#include <archive.h>
#include <archive_entry.h>

#include "common/error.h"

/* X(name, return type, parameters) for every function used.  */
#define KAGO_LA_FUNCTIONS(X)                                                                                 \
  X (archive_read_new, struct archive *, (void) )                                                            \
  X (archive_read_free, int, (struct archive *) )                                                            \
  X (archive_read_support_filter_gzip, int, (struct archive *) )                                             \
  X (archive_read_support_filter_zstd, int, (struct archive *) )                                             \
  X (archive_read_support_format_empty, int, (struct archive *) )                                            \
  X (archive_read_support_format_raw, int, (struct archive *) )                                              \
  X (archive_read_support_format_tar, int, (struct archive *) )                                              \
  X (archive_read_open, int,                                                                                 \
     (struct archive *, void *, archive_open_callback *, archive_read_callback *,                            \
      archive_close_callback *) )                                                                            \
  X (archive_read_open_fd, int, (struct archive *, int, size_t))                                             \
  X (archive_read_next_header, int, (struct archive *, struct archive_entry **) )                            \
  X (archive_read_data_block, int, (struct archive *, const void **, size_t *, la_int64_t *) )               \
  X (archive_filter_code, int, (struct archive *, int) )                                                     \
  X (archive_error_string, const char *, (struct archive *) )                                                \
  X (archive_set_error, void, (struct archive *, int, const char *, ...))                                    \
  X (archive_entry_pathname, const char *, (struct archive_entry *) )                                        \
  X (archive_entry_hardlink, const char *, (struct archive_entry *) )                                        \
  X (archive_entry_symlink, const char *, (struct archive_entry *) )                                         \
  X (archive_entry_filetype, __LA_MODE_T, (struct archive_entry *) )                                         \
  X (archive_entry_perm, __LA_MODE_T, (struct archive_entry *) )                                             \
  X (archive_entry_uid, la_int64_t, (struct archive_entry *) )                                               \
  X (archive_entry_gid, la_int64_t, (struct archive_entry *) )                                               \
  X (archive_entry_size, la_int64_t, (struct archive_entry *) )                                              \
  X (archive_entry_size_is_set, int, (struct archive_entry *) )                                              \
  X (archive_entry_mtime, time_t, (struct archive_entry *) )                                                 \
  X (archive_entry_mtime_nsec, long, (struct archive_entry *) )                                              \
  X (archive_entry_mtime_is_set, int, (struct archive_entry *) )                                             \
  X (archive_entry_atime, time_t, (struct archive_entry *) )                                                 \
  X (archive_entry_atime_nsec, long, (struct archive_entry *) )                                              \
  X (archive_entry_atime_is_set, int, (struct archive_entry *) )                                             \
  X (archive_entry_rdevmajor, dev_t, (struct archive_entry *) )                                              \
  X (archive_entry_rdevminor, dev_t, (struct archive_entry *) )                                              \
  X (archive_entry_xattr_reset, int, (struct archive_entry *) )                                              \
  X (archive_entry_xattr_next, int, (struct archive_entry *, const char **, const void **, size_t *) )

#define KAGO_LA_FIELD(name, ret, params) ret (*name) params;
struct kago_la
{
  KAGO_LA_FUNCTIONS (KAGO_LA_FIELD)
};
#undef KAGO_LA_FIELD

/* Filled once by kago_la_load (the one process-wide table: a loaded
   library is process-wide too).  */
extern struct kago_la kago_la_table;

/* dlopen libarchive.so.13 and fill the table (once; later calls return at
   once).  Error: "libarchive cannot be loaded (...): install libarchive13".  */
int kago_la_load (kago_error_t *err);

#ifndef KAGO_LA_NO_REDIRECT
#define archive_read_new kago_la_table.archive_read_new
#define archive_read_free kago_la_table.archive_read_free
#define archive_read_support_filter_gzip kago_la_table.archive_read_support_filter_gzip
#define archive_read_support_filter_zstd kago_la_table.archive_read_support_filter_zstd
#define archive_read_support_format_empty kago_la_table.archive_read_support_format_empty
#define archive_read_support_format_raw kago_la_table.archive_read_support_format_raw
#define archive_read_support_format_tar kago_la_table.archive_read_support_format_tar
#define archive_read_open kago_la_table.archive_read_open
#define archive_read_open_fd kago_la_table.archive_read_open_fd
#define archive_read_next_header kago_la_table.archive_read_next_header
#define archive_read_data_block kago_la_table.archive_read_data_block
#define archive_filter_code kago_la_table.archive_filter_code
#define archive_error_string kago_la_table.archive_error_string
#define archive_set_error kago_la_table.archive_set_error
#define archive_entry_pathname kago_la_table.archive_entry_pathname
#define archive_entry_hardlink kago_la_table.archive_entry_hardlink
#define archive_entry_symlink kago_la_table.archive_entry_symlink
#define archive_entry_filetype kago_la_table.archive_entry_filetype
#define archive_entry_perm kago_la_table.archive_entry_perm
#define archive_entry_uid kago_la_table.archive_entry_uid
#define archive_entry_gid kago_la_table.archive_entry_gid
#define archive_entry_size kago_la_table.archive_entry_size
#define archive_entry_size_is_set kago_la_table.archive_entry_size_is_set
#define archive_entry_mtime kago_la_table.archive_entry_mtime
#define archive_entry_mtime_nsec kago_la_table.archive_entry_mtime_nsec
#define archive_entry_mtime_is_set kago_la_table.archive_entry_mtime_is_set
#define archive_entry_atime kago_la_table.archive_entry_atime
#define archive_entry_atime_nsec kago_la_table.archive_entry_atime_nsec
#define archive_entry_atime_is_set kago_la_table.archive_entry_atime_is_set
#define archive_entry_rdevmajor kago_la_table.archive_entry_rdevmajor
#define archive_entry_rdevminor kago_la_table.archive_entry_rdevminor
#define archive_entry_xattr_reset kago_la_table.archive_entry_xattr_reset
#define archive_entry_xattr_next kago_la_table.archive_entry_xattr_next
#endif

#endif
