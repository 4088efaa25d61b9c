/* fd-relative filesystem helpers.  Everything that touches a container's
   rootfs goes through a directory fd and resolves paths *inside* it
   (openat2 RESOLVE_IN_ROOT, or an equivalent component walk that treats ".."
   and absolute symlinks as relative to the root), which closes the symlink
   race CVEs (CVE-2021-30465 and friends).  */
#ifndef KAGO_FSUTIL_H
#define KAGO_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Open PATH inside ROOTFD (PATH may be absolute: it is relative to the root).
   Symlinks are followed but never leave the root; magic links are refused.
   FLAGS are open(2) flags (O_CLOEXEC is always added).  */
int open_in_root (int rootfd, const char *path, int flags, mode_t mode, kago_error_t *err);

/* The component walk open_in_root falls back to when openat2 is missing
   (ENOSYS); exported so that tests exercise it directly.  ".." never goes
   above ROOTFD, absolute symlinks restart at ROOTFD, at most 40 symlinks.  */
int open_in_root_walk (int rootfd, const char *path, int flags, mode_t mode, kago_error_t *err);

/* Create every missing directory of PATH inside ROOTFD (mode MODE) and return
   an O_PATH|O_DIRECTORY fd of the last one.  A component that exists and is
   not a directory (after resolving symlinks inside the root) is an error.  */
int mkdir_p_in_root (int rootfd, const char *path, mode_t mode, kago_error_t *err);

/* Make sure PATH exists inside ROOTFD as a regular file (creating parent dirs
   and an empty file when missing) and return an O_PATH fd to it.  */
int create_file_in_root (int rootfd, const char *path, mode_t mode, kago_error_t *err);

/* Plain helpers.  */
int write_file (const char *path, const void *data, size_t len, kago_error_t *err);
int write_file_at (int dirfd, const char *path, const void *data, size_t len, kago_error_t *err);
/* Atomic replace: write PATH.tmp, fsync unless NOSYNC, rename.  */
int write_file_atomic (int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                       kago_error_t *err);
/* Read a whole file; *out is NUL-terminated and owned by the caller.  */
int read_file (const char *path, char **out, size_t *len, kago_error_t *err);
int read_file_at (int dirfd, const char *path, char **out, size_t *len, kago_error_t *err);
/* Read everything from FD.  */
int read_all_fd (int fd, char **out, size_t *len, kago_error_t *err);
/* write() until done, retrying EINTR.  */
int write_all (int fd, const void *buf, size_t len);

/* mkdir -p on the host (no root confinement).  */
int mkdir_p (const char *path, mode_t mode, kago_error_t *err);
/* rm -rf DIRFD/NAME without crossing mount points (a mount point found
   below is an error rather than a walk into it).  */
int remove_tree_at (int dirfd, const char *name, kago_error_t *err);

/* Copy the content of directory SRCFD into directory DSTFD (cp -a of the
   entries: files, dirs, symlinks, fifos and device nodes, with mode, owner
   and times; no xattrs).  Never follows a symlink.  */
int copy_tree_at (int srcfd, int dstfd, kago_error_t *err);

/* "/proc/self/fd/N" into BUF (at least 32 bytes).  */
const char *proc_fd_path (char *buf, size_t size, int fd);

/* Really close (not just mark close-on-exec) every fd >= FIRST except the N
   in KEEP.  An fd left open is reachable through /proc/self/fd/N by any
   path the container controls (args[0], cwd) until execve closes it, so
   O_CLOEXEC alone is not enough (CVE-2024-21626).  */
int kago_close_fds_except (int first, const int *keep, size_t n, kago_error_t *err);

#endif
