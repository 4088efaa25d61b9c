/* fd-relative filesystem helpers (see fsutil.h).
 *
 * open_in_root resolves with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)
 * and falls back to a component walk (open_in_root_walk) on kernels without
 * openat2.  The walk keeps a stack of O_PATH fds, one per directory level:
 * ".." pops a level (never above the root), an absolute symlink restarts at
 * the root, every component is opened O_NOFOLLOW so the kernel never follows
 * a link on our behalf.
 */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cleanup.h"
#include "strbuf.h"
#include "syscalls.h"
#include "xalloc.h"

#define MAX_SYMLINKS 40

const char *
proc_fd_path (char *buf, size_t size, int fd)
{
  snprintf (buf, size, "/proc/self/fd/%d", fd);
  return buf;
}

/* Skip leading slashes: inside a root "/a" and "a" are the same path.  */
static const char *
rel_path (const char *path)
{
  while (*path == '/')
    path++;
  return *path ? path : ".";
}

/* ---- the fallback walk ---- */

struct fdstack
{
  int *fds;
  size_t n, cap;
};

static void
fdstack_push (struct fdstack *s, int fd)
{
  if (s->n == s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 16;
      s->fds = xrealloc (s->fds, s->cap * sizeof *s->fds);
    }
  s->fds[s->n++] = fd;
}

/* Pop back to the root (which is never closed: it is the caller's fd).  */
static void
fdstack_truncate (struct fdstack *s, size_t n)
{
  while (s->n > n)
    {
      int fd = s->fds[--s->n];
      if (s->n > 0)
        close (fd);
    }
}

static void
fdstack_release (struct fdstack *s)
{
  fdstack_truncate (s, 1);
  free (s->fds);
}

/* Read the target of the symlink opened O_PATH|O_NOFOLLOW as FD.  */
static char *
read_link_fd (int fd)
{
  size_t size = 256;
  for (;;)
    {
      char *buf = xmalloc (size);
      ssize_t r = readlinkat (fd, "", buf, size);
      if (r < 0)
        {
          free (buf);
          return NULL;
        }
      if ((size_t) r < size)
        {
          buf[r] = '\0';
          return buf;
        }
      free (buf);
      if (size >= PATH_MAX * 4)
        {
          errno = ENAMETOOLONG;
          return NULL;
        }
      size *= 2;
    }
}

/* Replace the unresolved remainder with TARGET + "/" + REST.  */
static char *
splice_link (const char *target, const char *rest)
{
  if (rest == NULL || *rest == '\0')
    return xstrdup (target);
  return xasprintf ("%s/%s", target, rest);
}

int
open_in_root_walk (int rootfd, const char *path, int flags, mode_t mode, kago_error_t *err)
{
  struct fdstack st = { NULL, 0, 0 };
  cleanup_free char *buf = xstrdup (path);
  char *rest = buf;
  int nlinks = 0;
  int ret = -1;

  fdstack_push (&st, rootfd);
  flags |= O_CLOEXEC;

  for (;;)
    {
      /* Next component.  */
      while (*rest == '/')
        rest++;
      char *comp = rest;
      char *slash = strchr (rest, '/');
      if (slash)
        {
          *slash = '\0';
          rest = slash + 1;
        }
      else
        rest = comp + strlen (comp);
      while (*rest == '/')
        rest++;
      bool last = *rest == '\0';
      int cur = st.fds[st.n - 1];

      if (*comp == '\0' || strcmp (comp, ".") == 0 || strcmp (comp, "..") == 0)
        {
          if (strcmp (comp, "..") == 0 && st.n > 1)
            fdstack_truncate (&st, st.n - 1);
          if (!last)
            continue;
          /* The path ends at a directory already on the stack.  */
          cur = st.fds[st.n - 1];
          if ((flags & O_CREAT) && (flags & O_EXCL))
            {
              kago_error_set (err, EEXIST, "create `%s` in root", path);
              goto out;
            }
          int fd = openat (cur, ".", flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW), 0);
          if (fd < 0)
            {
              kago_error_set (err, errno, "open `%s` in root", path);
              goto out;
            }
          ret = fd;
          goto out;
        }

      cleanup_close int fd = openat (cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        {
          if (errno == ENOENT && last && (flags & O_CREAT))
            {
              int nfd = openat (cur, comp, flags | O_NOFOLLOW, mode);
              if (nfd < 0)
                {
                  kago_error_set (err, errno, "create `%s` in root", path);
                  goto out;
                }
              ret = nfd;
              goto out;
            }
          kago_error_set (err, errno, "open `%s` in root", path);
          goto out;
        }
      struct stat sb;
      if (fstat (fd, &sb) < 0)
        {
          kago_error_set (err, errno, "stat `%s` in root", path);
          goto out;
        }

      if (S_ISLNK (sb.st_mode) && !(last && (flags & O_NOFOLLOW)))
        {
          if (++nlinks > MAX_SYMLINKS)
            {
              kago_error_set (err, ELOOP, "open `%s` in root", path);
              goto out;
            }
          cleanup_free char *target = read_link_fd (fd);
          if (target == NULL)
            {
              kago_error_set (err, errno, "readlink in `%s`", path);
              goto out;
            }
          if (last && (flags & O_CREAT) && (flags & O_EXCL))
            {
              kago_error_set (err, EEXIST, "create `%s` in root", path);
              goto out;
            }
          if (target[0] == '/')
            fdstack_truncate (&st, 1);
          char *nbuf = splice_link (target, rest);
          free (buf);
          buf = nbuf;
          rest = buf;
          if (*rest == '\0')
            {
              /* A link to "" is invalid.  */
              kago_error_set (err, ENOENT, "open `%s` in root", path);
              goto out;
            }
          continue;
        }

      if (!last)
        {
          if (!S_ISDIR (sb.st_mode))
            {
              kago_error_set (err, ENOTDIR, "open `%s` in root", path);
              goto out;
            }
          fdstack_push (&st, steal_fd (&fd));
          continue;
        }

      /* The last component, not a symlink to follow.  */
      if ((flags & O_DIRECTORY) && !S_ISDIR (sb.st_mode))
        {
          kago_error_set (err, S_ISLNK (sb.st_mode) ? ELOOP : ENOTDIR, "open `%s` in root", path);
          goto out;
        }
      if ((flags & O_CREAT) && (flags & O_EXCL))
        {
          kago_error_set (err, EEXIST, "create `%s` in root", path);
          goto out;
        }
      if (flags & O_PATH)
        {
          ret = steal_fd (&fd);
          goto out;
        }
      if (S_ISLNK (sb.st_mode))
        {
          kago_error_set (err, ELOOP, "open `%s` in root", path);
          goto out;
        }
      /* Reopen with the wanted flags; O_NOFOLLOW catches a symlink swapped in
         since the check.  */
      int nfd = openat (cur, comp, (flags & ~(O_CREAT | O_EXCL)) | O_NOFOLLOW, mode);
      if (nfd < 0)
        {
          kago_error_set (err, errno, "open `%s` in root", path);
          goto out;
        }
      struct stat sb2;
      if (fstat (nfd, &sb2) < 0 || sb2.st_dev != sb.st_dev || sb2.st_ino != sb.st_ino)
        {
          close (nfd);
          kago_error_set (err, EAGAIN, "open `%s` in root: changed while resolving", path);
          goto out;
        }
      ret = nfd;
      goto out;
    }

out:
  fdstack_release (&st);
  return ret;
}

int
open_in_root (int rootfd, const char *path, int flags, mode_t mode, kago_error_t *err)
{
  struct open_how how = { 0 };
  how.flags = (uint64_t) (flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char *rel = rel_path (path);

  for (int attempt = 0; attempt < 32; attempt++)
    {
      int fd = kago_openat2 (rootfd, rel, &how, sizeof how);
      if (fd >= 0)
        return fd;
      if (errno == EAGAIN || errno == EINTR)
        continue;
      if (errno == ENOSYS || errno == E2BIG)
        return open_in_root_walk (rootfd, path, flags, mode, err);
      return kago_error_set (err, errno, "open `%s` in root", path);
    }
  return kago_error_set (err, EAGAIN, "open `%s` in root", path);
}

/* Split PATH into a vector of components (no empty ones, "." dropped).  */
static char **
split_path (const char *path, size_t *n)
{
  char **v = xcalloc (strlen (path) / 2 + 2, sizeof (char *));
  size_t k = 0;
  const char *p = path;
  while (*p)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      const char *e = strchrnul (p, '/');
      if (!(e - p == 1 && p[0] == '.'))
        v[k++] = xstrndup (p, (size_t) (e - p));
      p = e;
    }
  v[k] = NULL;
  *n = k;
  return v;
}

int
mkdir_p_in_root (int rootfd, const char *path, mode_t mode, kago_error_t *err)
{
  size_t n;
  cleanup_strv char **comps = split_path (path, &n);
  cleanup_close int cur = open_in_root (rootfd, "/", O_PATH | O_DIRECTORY, 0, err);
  if (cur < 0)
    return -1;
  cleanup_strbuf strbuf prefix = STRBUF_INIT;

  for (size_t i = 0; i < n; i++)
    {
      strbuf_addc (&prefix, '/');
      strbuf_adds (&prefix, comps[i]);
      kago_error_t e = NULL;
      int fd = open_in_root (rootfd, prefix.buf, O_PATH | O_DIRECTORY, 0, &e);
      if (fd < 0 && e->errnum == ENOENT && strcmp (comps[i], "..") != 0)
        {
          kago_error_release (&e);
          if (mkdirat (cur, comps[i], mode) < 0 && errno != EEXIST)
            return kago_error_set (err, errno, "mkdir `%s` in root", prefix.buf);
          fd = open_in_root (rootfd, prefix.buf, O_PATH | O_DIRECTORY, 0, &e);
        }
      if (fd < 0)
        {
          int en = e->errnum;
          kago_error_release (&e);
          return kago_error_set (err, en, "mkdir `%s` in root", prefix.buf);
        }
      close (cur);
      cur = fd;
    }
  return steal_fd (&cur);
}

int
create_file_in_root (int rootfd, const char *path, mode_t mode, kago_error_t *err)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');
  if (slash)
    {
      *slash = '\0';
      cleanup_close int dfd = mkdir_p_in_root (rootfd, *dir ? dir : "/", 0755, err);
      if (dfd < 0)
        return -1;
    }
  kago_error_t e = NULL;
  int fd = open_in_root (rootfd, path, O_PATH, 0, &e);
  if (fd < 0 && e->errnum == ENOENT)
    {
      kago_error_release (&e);
      /* O_EXCL: if something appears in between (a fifo or a device node
         swapped in by whoever shares the rootfs), it is never opened for
         writing -- only O_PATH below.  */
      int wfd = open_in_root (rootfd, path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, mode, &e);
      if (wfd >= 0 || (e && e->errnum == EEXIST))
        {
          if (wfd >= 0)
            close (wfd);
          kago_error_release (&e);
          fd = open_in_root (rootfd, path, O_PATH, 0, &e);
        }
    }
  if (fd < 0)
    {
      int en = e->errnum;
      kago_error_release (&e);
      return kago_error_set (err, en, "create file `%s` in root", path);
    }
  struct stat sb;
  if (fstat (fd, &sb) < 0)
    {
      int en = errno;
      close (fd);
      return kago_error_set (err, en, "stat `%s` in root", path);
    }
  if (S_ISDIR (sb.st_mode))
    {
      close (fd);
      return kago_error_set (err, EISDIR, "create file `%s` in root", path);
    }
  return fd;
}

/* ---- read / write ---- */

int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

int
write_file_at (int dirfd, const char *path, const void *data, size_t len, kago_error_t *err)
{
  /* Without O_CREAT first: pseudo filesystems (cgroupfs, procfs) then report
     a missing file as ENOENT rather than EACCES.  */
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    {
      fd = openat (dirfd, path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0 && errno != EROFS && errno != ENOSPC && errno != EDQUOT)
        errno = ENOENT;
    }
  if (fd < 0)
    return kago_error_set (err, errno, "open `%s` for writing", path);
  if (write_all (fd, data, len) < 0)
    return kago_error_set (err, errno, "write `%s`", path);
  int fd2 = steal_fd (&fd);
  if (close (fd2) < 0 && errno != EINTR)
    return kago_error_set (err, errno, "close `%s`", path);
  return 0;
}

int
write_file (const char *path, const void *data, size_t len, kago_error_t *err)
{
  return write_file_at (AT_FDCWD, path, data, len, err);
}

int
write_file_atomic (int dirfd, const char *path, const void *data, size_t len, mode_t mode, kago_error_t *err)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp", path);
  cleanup_close int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return kago_error_set (err, errno, "create `%s`", tmp);
  if (fchmod (fd, mode) < 0 || write_all (fd, data, len) < 0 || fsync (fd) < 0)
    {
      int en = errno;
      unlinkat (dirfd, tmp, 0);
      return kago_error_set (err, en, "write `%s`", tmp);
    }
  int fd2 = steal_fd (&fd);
  if (close (fd2) < 0 && errno != EINTR)
    {
      int en = errno;
      unlinkat (dirfd, tmp, 0);
      return kago_error_set (err, en, "close `%s`", tmp);
    }
  if (renameat (dirfd, tmp, dirfd, path) < 0)
    {
      int en = errno;
      unlinkat (dirfd, tmp, 0);
      return kago_error_set (err, en, "rename `%s` to `%s`", tmp, path);
    }
  return 0;
}

int
read_all_fd (int fd, char **out, size_t *len, kago_error_t *err)
{
  size_t cap = 4096, n = 0;
  char *buf = xmalloc (cap);
  for (;;)
    {
      if (cap - n < 2)
        {
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      ssize_t r = read (fd, buf + n, cap - n - 1);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          int en = errno;
          free (buf);
          return kago_error_set (err, en, "read");
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int
read_file_at (int dirfd, const char *path, char **out, size_t *len, kago_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "open `%s`", path);
  if (read_all_fd (fd, out, len, err) < 0)
    return kago_error_wrap (err, "`%s`", path);
  return 0;
}

int
read_file (const char *path, char **out, size_t *len, kago_error_t *err)
{
  return read_file_at (AT_FDCWD, path, out, len, err);
}

/* ---- host directories ---- */

int
mkdir_p (const char *path, mode_t mode, kago_error_t *err)
{
  cleanup_free char *p = xstrdup (path);
  size_t len = strlen (p);
  while (len > 1 && p[len - 1] == '/')
    p[--len] = '\0';
  for (char *s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return kago_error_set (err, errno, "mkdir `%s`", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0)
    {
      if (errno != EEXIST)
        return kago_error_set (err, errno, "mkdir `%s`", p);
      struct stat sb;
      if (stat (p, &sb) < 0)
        return kago_error_set (err, errno, "stat `%s`", p);
      if (!S_ISDIR (sb.st_mode))
        return kago_error_set (err, ENOTDIR, "mkdir `%s`", p);
    }
  return 0;
}

/* Mount id of DIRFD/NAME (NAME "" means DIRFD itself), or -1.  */
static int
mount_id_at (int dirfd, const char *name, uint64_t *id, bool *is_root)
{
  struct statx stx;
  if (statx (dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | (*name ? 0 : AT_EMPTY_PATH), STATX_MNT_ID,
             &stx)
      < 0)
    return -1;
  *id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
  *is_root
      = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
  return 0;
}

static int
remove_tree_rec (int parent, uint64_t parent_mnt, dev_t parent_dev, const char *name, const char *display,
                 kago_error_t *err)
{
  struct stat sb;
  if (fstatat (parent, name, &sb, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return kago_error_set (err, errno, "stat `%s`", display);
    }
  uint64_t mnt = 0;
  bool is_root = false;
  if (mount_id_at (parent, name, &mnt, &is_root) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return kago_error_set (err, errno, "statx `%s`", display);
    }
  if (sb.st_dev != parent_dev || (mnt && parent_mnt && mnt != parent_mnt) || is_root)
    return kago_error_set (err, EBUSY, "remove `%s`: refusing to cross a mount point", display);

  if (!S_ISDIR (sb.st_mode))
    {
      if (unlinkat (parent, name, 0) < 0 && errno != ENOENT)
        return kago_error_set (err, errno, "unlink `%s`", display);
      return 0;
    }

  int dfd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return kago_error_set (err, errno, "open `%s`", display);
    }
  struct stat sb2;
  if (fstat (dfd, &sb2) < 0 || sb2.st_ino != sb.st_ino || sb2.st_dev != sb.st_dev)
    {
      close (dfd);
      return kago_error_set (err, EBUSY, "remove `%s`: changed while removing", display);
    }
  cleanup_dir DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      int en = errno;
      close (dfd);
      return kago_error_set (err, en, "opendir `%s`", display);
    }
  struct dirent *de;
  errno = 0;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      cleanup_free char *sub = xasprintf ("%s/%s", display, de->d_name);
      if (remove_tree_rec (dirfd (d), mnt, sb.st_dev, de->d_name, sub, err) < 0)
        return -1;
      errno = 0;
    }
  if (errno)
    return kago_error_set (err, errno, "readdir `%s`", display);
  if (unlinkat (parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return kago_error_set (err, errno, "rmdir `%s`", display);
  return 0;
}

int
remove_tree_at (int dirfd, const char *name, kago_error_t *err)
{
  struct stat psb;
  if (fstat (dirfd, &psb) < 0)
    return kago_error_set (err, errno, "remove `%s`: stat parent", name);
  uint64_t pmnt = 0;
  bool proot = false;
  if (mount_id_at (dirfd, "", &pmnt, &proot) < 0)
    return kago_error_set (err, errno, "remove `%s`: statx parent", name);
  return remove_tree_rec (dirfd, pmnt, psb.st_dev, name, name, err);
}

/* ---- copy ---- */

static int copy_entry (int srcdir, int dstdir, const char *name, kago_error_t *err);

static int
copy_dir_content (int srcfd, int dstfd, kago_error_t *err)
{
  int rfd = openat (srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return kago_error_set (err, errno, "open directory to copy");
  cleanup_dir DIR *d = fdopendir (rfd);
  if (d == NULL)
    {
      int en = errno;
      close (rfd);
      return kago_error_set (err, en, "opendir");
    }
  struct dirent *de;
  errno = 0;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (copy_entry (dirfd (d), dstfd, de->d_name, err) < 0)
        return -1;
      errno = 0;
    }
  if (errno)
    return kago_error_set (err, errno, "readdir");
  return 0;
}

static int
copy_entry (int srcdir, int dstdir, const char *name, kago_error_t *err)
{
  struct stat sb;
  if (fstatat (srcdir, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
    return kago_error_set (err, errno, "copy `%s`: stat", name);
  mode_t perm = sb.st_mode & 07777;

  if (S_ISDIR (sb.st_mode))
    {
      if (mkdirat (dstdir, name, 0700) < 0 && errno != EEXIST)
        return kago_error_set (err, errno, "copy `%s`: mkdir", name);
      cleanup_close int s = openat (srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int t = openat (dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || t < 0)
        return kago_error_set (err, errno, "copy `%s`: open", name);
      if (copy_dir_content (s, t, err) < 0)
        return kago_error_wrap (err, "copy `%s`", name);
      if (fchown (t, sb.st_uid, sb.st_gid) < 0 || fchmod (t, perm) < 0)
        return kago_error_set (err, errno, "copy `%s`: set owner/mode", name);
      struct timespec ts[2] = { sb.st_atim, sb.st_mtim };
      futimens (t, ts);
      return 0;
    }
  if (S_ISLNK (sb.st_mode))
    {
      cleanup_free char *target = xmalloc ((size_t) sb.st_size + 1);
      ssize_t r = readlinkat (srcdir, name, target, (size_t) sb.st_size + 1);
      if (r < 0 || r > sb.st_size)
        return kago_error_set (err, r < 0 ? errno : ENAMETOOLONG, "copy `%s`: readlink", name);
      target[r] = '\0';
      if (symlinkat (target, dstdir, name) < 0)
        return kago_error_set (err, errno, "copy `%s`: symlink", name);
      if (fchownat (dstdir, name, sb.st_uid, sb.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return kago_error_set (err, errno, "copy `%s`: chown", name);
      return 0;
    }
  if (S_ISREG (sb.st_mode))
    {
      cleanup_close int s = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0)
        return kago_error_set (err, errno, "copy `%s`: open", name);
      cleanup_close int t = openat (dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (t < 0)
        return kago_error_set (err, errno, "copy `%s`: create", name);
      char buf[65536];
      for (;;)
        {
          ssize_t r = read (s, buf, sizeof buf);
          if (r < 0 && errno == EINTR)
            continue;
          if (r < 0)
            return kago_error_set (err, errno, "copy `%s`: read", name);
          if (r == 0)
            break;
          if (write_all (t, buf, (size_t) r) < 0)
            return kago_error_set (err, errno, "copy `%s`: write", name);
        }
      if (fchown (t, sb.st_uid, sb.st_gid) < 0 || fchmod (t, perm) < 0)
        return kago_error_set (err, errno, "copy `%s`: set owner/mode", name);
      struct timespec ts[2] = { sb.st_atim, sb.st_mtim };
      futimens (t, ts);
      return 0;
    }
  /* fifo, socket, device node */
  if (mknodat (dstdir, name, sb.st_mode, sb.st_rdev) < 0)
    return kago_error_set (err, errno, "copy `%s`: mknod", name);
  if (fchownat (dstdir, name, sb.st_uid, sb.st_gid, AT_SYMLINK_NOFOLLOW) < 0
      || fchmodat (dstdir, name, perm, 0) < 0)
    return kago_error_set (err, errno, "copy `%s`: set owner/mode", name);
  return 0;
}

int
copy_tree_at (int srcfd, int dstfd, kago_error_t *err)
{
  return copy_dir_content (srcfd, dstfd, err);
}

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return x < y ? -1 : x > y;
}

/* close() every fd in [LO, HI], falling back from close_range(2) to a walk
   of /proc/self/fd (or, without procfs, every number up to HI).  */
static int
close_span (unsigned lo, unsigned hi, kago_error_t *err)
{
  if (lo > hi)
    return 0;
  if (kago_close_range (lo, hi, 0) == 0)
    return 0;
  if (errno != ENOSYS && errno != EINVAL)
    return kago_error_set (err, errno, "close_range %u-%u", lo, hi);
  DIR *d = opendir ("/proc/self/fd");
  if (d)
    {
      int self = dirfd (d);
      struct dirent *de;
      while ((de = readdir (d)))
        {
          char *end;
          long fd = strtol (de->d_name, &end, 10);
          if (*end || de->d_name[0] == '.' || fd == self || fd < (long) lo || fd > (long) hi)
            continue;
          close ((int) fd);
        }
      closedir (d);
      return 0;
    }
  long max = sysconf (_SC_OPEN_MAX);
  for (long fd = lo; fd <= (long) hi && fd < (max > 0 ? max : 65536); fd++)
    close ((int) fd);
  return 0;
}

int
kago_close_fds_except (int first, const int *keep, size_t n, kago_error_t *err)
{
  int k[32];
  size_t m = 0;
  for (size_t i = 0; i < n && m < 32; i++)
    if (keep[i] >= first)
      k[m++] = keep[i];
  if (m < n && n > 32)
    return kago_error_set (err, E2BIG, "too many fds to keep");
  qsort (k, m, sizeof k[0], cmp_int);
  unsigned lo = (unsigned) first;
  for (size_t i = 0; i < m; i++)
    {
      if ((unsigned) k[i] > lo && close_span (lo, (unsigned) k[i] - 1, err) < 0)
        return -1;
      lo = (unsigned) k[i] + 1;
    }
  return close_span (lo, ~0U, err);
}
