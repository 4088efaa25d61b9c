/* Layer unpacking: libarchive's tar reader over the decompressed stream of
   layer_stream.c, and fd-relative file creation confined to the layer
   directory (see unpack.h for the rules).  */
#include "engine/image/la.h"
#include "engine/image/unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/syscalls.h"
#include "common/xalloc.h"
#include "engine/image/layer_stream.h"

#define WH_PREFIX ".wh."
#define WH_META_PREFIX ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"

struct dirtime
{
  char *path;
  struct timespec ts[2];
};

struct unpack
{
  int root;         /* the layer directory */
  char *cache_path; /* the last parent resolved, and its O_PATH fd */
  int cache_fd;
  struct dirtime *dirs; /* directory times, set last */
  size_t ndirs, capdirs;
  struct kago_unpack_result *res;
};

int
kago_whiteout_kind (const char *base, const char **target)
{
  *target = NULL;
  if (strncmp (base, WH_PREFIX, sizeof WH_PREFIX - 1) != 0)
    return KAGO_WHITEOUT_NONE;
  if (strcmp (base, WH_OPAQUE) == 0)
    return KAGO_WHITEOUT_OPAQUE;
  if (strncmp (base, WH_META_PREFIX, sizeof WH_META_PREFIX - 1) == 0)
    return KAGO_WHITEOUT_META;
  const char *t = base + sizeof WH_PREFIX - 1;
  if (*t == '\0' || strcmp (t, ".") == 0 || strcmp (t, "..") == 0)
    return -1;
  *target = t;
  return KAGO_WHITEOUT_FILE;
}

int
kago_unpack_clean_path (const char *name, char **out, kago_error_t *err)
{
  *out = NULL;
  if (name == NULL)
    return kago_error_set (err, EINVAL, "an entry without a name");
  if (name[0] == '/')
    return kago_error_set (err, 0, "`%s`: absolute path, refusing to unpack it", name);
  strbuf sb = STRBUF_INIT;
  const char *p = name;
  while (*p)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      const char *e = strchrnul (p, '/');
      size_t n = (size_t) (e - p);
      if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          strbuf_release (&sb);
          return kago_error_set (err, 0, "`%s`: path contains `..`, refusing to unpack it", name);
        }
      if (!(n == 1 && p[0] == '.'))
        {
          if (sb.len)
            strbuf_addc (&sb, '/');
          strbuf_add (&sb, p, n);
        }
      p = e;
    }
  *out = strbuf_detach (&sb);
  return 0;
}

/* Split a clean path into its parent ("" for the root) and last component,
   in place.  */
static void
split_parent (char *path, const char **parent, const char **base)
{
  char *s = strrchr (path, '/');
  if (s == NULL)
    {
      *parent = "";
      *base = path;
    }
  else
    {
      *s = '\0';
      *parent = path;
      *base = s + 1;
    }
}

static int
refuse_through (int fd, const char *comp, const char *path, kago_error_t *err)
{
  struct stat st;
  if (fstatat (fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
    return kago_error_set (err, 0, "`%s` goes through the symlink `%s`, refusing to unpack it", path, comp);
  return kago_error_set (err, ENOTDIR, "`%s`: `%s` is not a directory", path, comp);
}

/* Walk PATH from ROOT one component at a time, never following a symlink;
   with CREATE, make missing directories (0755, root's).  Returns an O_PATH
   fd.  */
static int
walk_parent (int root, const char *path, bool create, kago_error_t *err)
{
  cleanup_close int fd = dup (root);
  if (fd < 0)
    return kago_error_set (err, errno, "dup");
  cleanup_free char *copy = xstrdup (path);
  char *save = NULL;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      int n = openat (fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (n < 0 && errno == ENOENT && create)
        {
          if (mkdirat (fd, c, 0755) < 0 && errno != EEXIST)
            return kago_error_set (err, errno, "`%s`: create the directory `%s`", path, c);
          n = openat (fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (n < 0)
        {
          if (errno == ENOTDIR || errno == ELOOP)
            return refuse_through (fd, c, path, err);
          return kago_error_set (err, errno, "`%s`: open `%s`", path, c);
        }
      close (fd);
      fd = n;
    }
  return steal_fd (&fd);
}

/* An O_PATH fd of directory PATH inside ROOT (owned by the caller).  */
static int
open_dir_beneath (int root, const char *path, bool create, kago_error_t *err)
{
  if (*path == '\0')
    {
      int fd = dup (root);
      return fd < 0 ? kago_error_set (err, errno, "dup") : fd;
    }
  struct open_how how = { 0 };
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  int fd;
  do
    fd = kago_openat2 (root, path, &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  if (fd >= 0)
    return fd;
  /* The walk says precisely which component failed, creates missing ones and
     stands in for openat2 on kernels without it.  */
  return walk_parent (root, path, create, err);
}

/* The parent directory of an entry, from the one-entry cache when it is the
   same as the last one's.  Borrowed.  */
static int
parent_fd (struct unpack *u, const char *parent, kago_error_t *err)
{
  if (*parent == '\0')
    return u->root;
  if (u->cache_path && strcmp (u->cache_path, parent) == 0)
    return u->cache_fd;
  int fd = open_dir_beneath (u->root, parent, true, err);
  if (fd < 0)
    return -1;
  free (u->cache_path);
  if (u->cache_fd >= 0)
    close (u->cache_fd);
  u->cache_path = xstrdup (parent);
  u->cache_fd = fd;
  return fd;
}

static void
cache_drop (struct unpack *u)
{
  free (u->cache_path);
  u->cache_path = NULL;
  if (u->cache_fd >= 0)
    close (u->cache_fd);
  u->cache_fd = -1;
}

/* Remove whatever is at PFD/BASE (a directory with its content), so that an
   entry can take its place.  KEEP_DIR: an existing directory stays.  Returns
   1 when a directory was kept.  */
static int
clear_place (struct unpack *u, int pfd, const char *base, const char *path, bool keep_dir, kago_error_t *err)
{
  struct stat st;
  if (fstatat (pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return kago_error_set (err, errno, "`%s`: stat", path);
    }
  if (S_ISDIR (st.st_mode))
    {
      if (keep_dir)
        return 1;
      /* The cached parent may be inside the tree going away.  */
      int r = remove_tree_at (pfd, base, err);
      cache_drop (u);
      return r < 0 ? kago_error_wrap (err, "`%s`: replace the directory", path) : 0;
    }
  if (unlinkat (pfd, base, 0) < 0)
    return kago_error_set (err, errno, "`%s`: replace the existing file", path);
  return 0;
}

static void
entry_times (struct archive_entry *e, struct timespec ts[2])
{
  ts[1].tv_sec = archive_entry_mtime (e);
  ts[1].tv_nsec = archive_entry_mtime_is_set (e) ? archive_entry_mtime_nsec (e) : 0;
  if (archive_entry_atime_is_set (e))
    {
      ts[0].tv_sec = archive_entry_atime (e);
      ts[0].tv_nsec = archive_entry_atime_nsec (e);
    }
  else
    ts[0] = ts[1];
}

static bool
skip_xattr (const char *name)
{
  /* Overlay metadata comes from whiteouts only: an archive must not forge
     redirects, metacopy or opaque markers.  */
  return strncmp (name, "trusted.overlay.", 16) == 0;
}

/* Set the entry's xattrs on FD (a real fd), or on PFD/BASE when FD < 0.  */
static int
apply_xattrs (struct archive_entry *e, int fd, int pfd, const char *base, const char *path, kago_error_t *err)
{
  const char *name;
  const void *value;
  size_t size;
  if (archive_entry_xattr_reset (e) == 0)
    return 0;
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (name == NULL || skip_xattr (name))
        continue;
      int r;
      if (fd >= 0)
        r = fsetxattr (fd, name, value, size, 0);
      else
        {
          char proc[64];
          cleanup_free char *p = xasprintf ("%s/%s", proc_fd_path (proc, sizeof proc, pfd), base);
          r = lsetxattr (p, name, value, size, 0);
        }
      if (r < 0)
        return kago_error_set (err, errno, "`%s`: set the xattr `%s`", path, name);
    }
  return 0;
}

/* Owner, then mode (chown clears setuid/setgid and security.capability),
   then xattrs, on a real fd.  */
static int
apply_meta_fd (struct archive_entry *e, int fd, const char *path, kago_error_t *err)
{
  if (fchown (fd, archive_entry_uid (e), archive_entry_gid (e)) < 0)
    return kago_error_set (err, errno, "`%s`: chown", path);
  if (fchmod (fd, archive_entry_perm (e) & 07777) < 0)
    return kago_error_set (err, errno, "`%s`: chmod", path);
  return apply_xattrs (e, fd, -1, NULL, path, err);
}

static int
write_file_data (struct archive *a, struct archive_entry *e, int fd, const char *path, kago_error_t *err)
{
  const void *buf;
  size_t len;
  la_int64_t off, pos = 0;
  for (;;)
    {
      int r = archive_read_data_block (a, &buf, &len, &off);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        return kago_error_set (err, 0, "`%s`: read: %s", path, archive_error_string (a));
      if (off != pos && lseek (fd, off, SEEK_SET) < 0)
        return kago_error_set (err, errno, "`%s`: seek", path);
      if (len > 0 && write_all (fd, buf, len) < 0)
        return kago_error_set (err, errno, "`%s`: write", path);
      pos = off + (la_int64_t) len;
    }
  la_int64_t size = archive_entry_size (e);
  if (archive_entry_size_is_set (e) && pos < size && ftruncate (fd, size) < 0)
    return kago_error_set (err, errno, "`%s`: truncate", path);
  return 0;
}

static int
make_regular (struct unpack *u, struct archive *a, struct archive_entry *e, int pfd, const char *base,
              const char *path, kago_error_t *err)
{
  cleanup_close int fd = openat (pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return kago_error_set (err, errno, "`%s`: create", path);
  if (write_file_data (a, e, fd, path, err) < 0 || apply_meta_fd (e, fd, path, err) < 0)
    return -1;
  struct timespec ts[2];
  entry_times (e, ts);
  if (futimens (fd, ts) < 0)
    return kago_error_set (err, errno, "`%s`: set times", path);
  u->res->content_size += (uint64_t) archive_entry_size (e);
  return 0;
}

static int
make_dir (struct unpack *u, struct archive_entry *e, int pfd, const char *base, const char *path,
          kago_error_t *err)
{
  if (mkdirat (pfd, base, 0700) < 0 && errno != EEXIST)
    return kago_error_set (err, errno, "`%s`: mkdir", path);
  cleanup_close int fd = openat (pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "`%s`: open the directory", path);
  if (apply_meta_fd (e, fd, path, err) < 0)
    return -1;
  if (u->ndirs == u->capdirs)
    {
      u->capdirs = u->capdirs ? 2 * u->capdirs : 64;
      u->dirs = xrealloc (u->dirs, u->capdirs * sizeof *u->dirs);
    }
  u->dirs[u->ndirs].path = xstrdup (path);
  entry_times (e, u->dirs[u->ndirs].ts);
  u->ndirs++;
  return 0;
}

/* Symlinks, devices, fifos: no fd to work on, so by name under PFD (which
   holds a node this function just created, never a symlink to follow).  */
static int
make_special (struct archive_entry *e, int pfd, const char *base, const char *path, kago_error_t *err)
{
  mode_t type = archive_entry_filetype (e);
  mode_t perm = archive_entry_perm (e) & 07777;
  if (type == AE_IFLNK)
    {
      const char *target = archive_entry_symlink (e);
      if (target == NULL)
        return kago_error_set (err, EINVAL, "`%s`: a symlink without a target", path);
      if (symlinkat (target, pfd, base) < 0)
        return kago_error_set (err, errno, "`%s`: symlink", path);
    }
  else
    {
      dev_t dev = type == AE_IFIFO ? 0 : makedev (archive_entry_rdevmajor (e), archive_entry_rdevminor (e));
      if (mknodat (pfd, base, type | perm, dev) < 0)
        return kago_error_set (err, errno, "`%s`: mknod", path);
    }
  if (fchownat (pfd, base, archive_entry_uid (e), archive_entry_gid (e), AT_SYMLINK_NOFOLLOW) < 0)
    return kago_error_set (err, errno, "`%s`: chown", path);
  if (type != AE_IFLNK)
    {
      if (fchmodat (pfd, base, perm, 0) < 0)
        return kago_error_set (err, errno, "`%s`: chmod", path);
      if (apply_xattrs (e, -1, pfd, base, path, err) < 0)
        return -1;
    }
  struct timespec ts[2];
  entry_times (e, ts);
  if (utimensat (pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return kago_error_set (err, errno, "`%s`: set times", path);
  return 0;
}

static int
make_hardlink (struct unpack *u, struct archive_entry *e, int pfd, const char *base, const char *path,
               kago_error_t *err)
{
  cleanup_free char *target = NULL;
  if (kago_unpack_clean_path (archive_entry_hardlink (e), &target, err) < 0)
    return kago_error_wrap (err, "`%s`: hard link target", path);
  if (*target == '\0')
    return kago_error_set (err, EPERM, "`%s`: a hard link to the layer root", path);
  const char *tparent, *tbase;
  split_parent (target, &tparent, &tbase);
  cleanup_close int tfd = open_dir_beneath (u->root, tparent, false, err);
  if (tfd < 0)
    return kago_error_wrap (err, "`%s`: hard link target `%s`", path, archive_entry_hardlink (e));
  if (linkat (tfd, tbase, pfd, base, 0) < 0)
    return kago_error_set (err, errno, "`%s`: hard link to `%s`", path, archive_entry_hardlink (e));
  return 0;
}

static int
make_whiteout (struct unpack *u, struct archive_entry *e, int pfd, const char *name, const char *path,
               kago_error_t *err)
{
  if (clear_place (u, pfd, name, path, false, err) < 0)
    return -1;
  if (mknodat (pfd, name, S_IFCHR, makedev (0, 0)) < 0)
    return kago_error_set (err, errno, "`%s`: make the whiteout", path);
  if (fchownat (pfd, name, archive_entry_uid (e), archive_entry_gid (e), AT_SYMLINK_NOFOLLOW) < 0)
    return kago_error_set (err, errno, "`%s`: chown the whiteout", path);
  return 0;
}

static int
make_opaque (int pfd, const char *path, kago_error_t *err)
{
  cleanup_close int fd = openat (pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "`%s`: open the directory", path);
  if (fsetxattr (fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
    return kago_error_set (err, errno, "`%s`: set trusted.overlay.opaque", path);
  return 0;
}

static int
unpack_entry (struct unpack *u, struct archive *a, struct archive_entry *e, kago_error_t *err)
{
  const char *name = archive_entry_pathname (e);
  cleanup_free char *path = NULL;
  if (kago_unpack_clean_path (name, &path, err) < 0)
    return -1;
  mode_t type = archive_entry_filetype (e);
  bool hardlink = archive_entry_hardlink (e) != NULL;

  if (*path == '\0')
    {
      /* "./": the layer root's own metadata.  */
      if (type != AE_IFDIR || hardlink)
        return kago_error_set (err, EPERM, "`%s`: the layer root must be a directory", name);
      return apply_meta_fd (e, u->root, name, err);
    }

  cleanup_free char *display = xstrdup (path);
  const char *parent, *base;
  split_parent (path, &parent, &base);
  int pfd = parent_fd (u, parent, err);
  if (pfd < 0)
    return -1;

  const char *target;
  switch (kago_whiteout_kind (base, &target))
    {
    case KAGO_WHITEOUT_NONE:
      break;
    case KAGO_WHITEOUT_FILE:
      return make_whiteout (u, e, pfd, target, display, err);
    case KAGO_WHITEOUT_OPAQUE:
      return make_opaque (pfd, display, err);
    case KAGO_WHITEOUT_META:
      return 0;
    default:
      return kago_error_set (err, EPERM, "`%s`: a whiteout of no name", display);
    }

  if (!hardlink && type == AE_IFSOCK)
    return 0;
  int kept = clear_place (u, pfd, base, display, !hardlink && type == AE_IFDIR, err);
  if (kept < 0)
    return -1;
  /* clear_place may have dropped the cache (and PFD with it).  */
  pfd = parent_fd (u, parent, err);
  if (pfd < 0)
    return -1;

  if (hardlink)
    return make_hardlink (u, e, pfd, base, display, err);
  switch (type)
    {
    case AE_IFREG:
      return make_regular (u, a, e, pfd, base, display, err);
    case AE_IFDIR:
      return make_dir (u, e, pfd, base, display, err);
    case AE_IFLNK:
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      return make_special (e, pfd, base, display, err);
    default:
      return kago_error_set (err, EINVAL, "`%s`: unsupported entry type 0%o", display, (unsigned) type);
    }
}

/* Directory times last: creating entries inside changes them.  A directory
   replaced later in the archive is skipped.  */
static int
apply_dir_times (struct unpack *u, kago_error_t *err)
{
  for (size_t i = u->ndirs; i-- > 0;)
    {
      cleanup_free char *p = xstrdup (u->dirs[i].path);
      const char *parent, *base;
      split_parent (p, &parent, &base);
      kago_error_t e2 = NULL;
      cleanup_close int pfd = open_dir_beneath (u->root, parent, false, &e2);
      if (pfd < 0)
        {
          kago_error_release (&e2);
          continue;
        }
      struct stat st;
      if (fstatat (pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
        continue;
      if (utimensat (pfd, base, u->dirs[i].ts, AT_SYMLINK_NOFOLLOW) < 0)
        return kago_error_set (err, errno, "`%s`: set times", u->dirs[i].path);
    }
  return 0;
}

static la_ssize_t
read_cb (struct archive *a, void *data, const void **buf)
{
  ssize_t n = kago_layer_stream_read (data, buf);
  if (n < 0)
    archive_set_error (a, EIO, "the layer stream failed");
  return n;
}

int
kago_layer_unpack (int in_fd, int dirfd, struct kago_unpack_result *res, kago_error_t *err)
{
  struct unpack u = { .root = dirfd, .cache_fd = -1, .res = res };
  struct kago_layer_stream *s;
  memset (res, 0, sizeof *res);
  if (kago_la_load (err) < 0)
    return -1;
  if (kago_layer_stream_open (in_fd, &s, err) < 0)
    return -1;

  struct archive *a = archive_read_new ();
  archive_read_support_format_tar (a);
  archive_read_support_format_empty (a);
  int ret = 0;
  if (archive_read_open (a, s, NULL, read_cb, NULL) != ARCHIVE_OK)
    ret = kago_error_set (err, 0, "read the layer: %s", archive_error_string (a));
  while (ret == 0)
    {
      struct archive_entry *e;
      int r = archive_read_next_header (a, &e);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        {
          ret = kago_error_set (err, 0, "read the layer: %s", archive_error_string (a));
          break;
        }
      res->entries++;
      ret = unpack_entry (&u, a, e, err);
    }
  archive_read_free (a);
  cache_drop (&u);

  if (ret < 0)
    {
      /* A decompression error shows up as a tar error: say what it was.  */
      kago_error_t e2 = NULL;
      char d[KAGO_DIGEST_SIZE];
      uint64_t n;
      const char *c;
      if (kago_layer_stream_finish (s, d, &n, &c, &e2) < 0)
        {
          kago_error_release (err);
          *err = e2;
        }
    }
  else
    ret = kago_layer_stream_finish (s, res->diff_id, &res->tar_size, &res->compression, err);
  if (ret == 0)
    ret = apply_dir_times (&u, err);
  for (size_t i = 0; i < u.ndirs; i++)
    free (u.dirs[i].path);
  free (u.dirs);
  return ret;
}
