/* Container root filesystems: overlayfs over the image's layers, or a copy
   of them (see rootfs.h).  */
#include "engine/image/rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/syscalls.h"
#include "common/xalloc.h"
#include "engine/image/index.h"

#define OPAQUE_XATTR "trusted.overlay.opaque"

void
kago_rootfs_release (struct kago_rootfs *r)
{
  free (r->path);
  r->path = NULL;
}

/* ---- overlay ---- */

static int
fsconfig_str (int fd, const char *key, const char *value)
{
  return fsconfig (fd, FSCONFIG_SET_STRING, key, value, 0);
}

/* The new mount API, one lowerdir+ per layer (Linux 6.8+).  */
static int
mount_overlay_fsopen (const char *const *layers, size_t n, const char *upper, const char *work,
                      const char *target)
{
  cleanup_close int fs = fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fs < 0)
    return -1;
  for (size_t i = n; i-- > 0;)
    if (fsconfig_str (fs, "lowerdir+", layers[i]) < 0)
      return -1;
  if (fsconfig_str (fs, "upperdir", upper) < 0 || fsconfig_str (fs, "workdir", work) < 0)
    return -1;
  /* Layers are shared by many mounts: no inode index tying a lower to one
     upper (what docker's overlay2 does too).  Best effort.  */
  fsconfig_str (fs, "index", "off");
  if (fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  cleanup_close int mfd = fsmount (fs, FSMOUNT_CLOEXEC, 0);
  if (mfd < 0)
    return -1;
  return move_mount (mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
}

static int
mount_overlay_legacy (const char *const *layers, size_t n, const char *upper, const char *work,
                      const char *target)
{
  strbuf sb = STRBUF_INIT;
  strbuf_adds (&sb, "lowerdir=");
  for (size_t i = n; i-- > 0;)
    {
      strbuf_adds (&sb, layers[i]);
      if (i)
        strbuf_addc (&sb, ':');
    }
  strbuf_addf (&sb, ",upperdir=%s,workdir=%s,index=off", upper, work);
  int r = mount ("overlay", target, "overlay", 0, sb.buf);
  if (r < 0 && errno == EINVAL)
    {
      /* A kernel without the index option.  */
      sb.len -= strlen (",index=off");
      sb.buf[sb.len] = '\0';
      r = mount ("overlay", target, "overlay", 0, sb.buf);
    }
  int en = errno;
  strbuf_release (&sb);
  errno = en;
  return r;
}

static int
mount_overlay (const char *const *layers, size_t n, const char *dir, char **merged, kago_error_t *err)
{
  cleanup_free char *upper = xasprintf ("%s/upper", dir);
  cleanup_free char *work = xasprintf ("%s/work", dir);
  cleanup_free char *target = xasprintf ("%s/merged", dir);
  if ((mkdir (upper, 0755) < 0 && errno != EEXIST) || (mkdir (work, 0700) < 0 && errno != EEXIST)
      || (mkdir (target, 0755) < 0 && errno != EEXIST))
    return kago_error_set (err, errno, "create the overlay directories in `%s`", dir);
  if (n == 0)
    return kago_error_set (err, EINVAL, "an image without layers cannot be mounted with overlay");
  int r = mount_overlay_fsopen (layers, n, upper, work, target);
  if (r < 0 && (errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
    r = mount_overlay_legacy (layers, n, upper, work, target);
  if (r < 0)
    return kago_error_set (err, errno, "mount overlay on `%s`", target);
  *merged = steal_pointer (&target);
  return 0;
}

/* ---- copy ---- */

struct inode_map
{
  struct
  {
    dev_t dev;
    ino_t ino;
    int dirfd; /* not owned: the path is relative to the merge root */
    char *path;
  } * v;
  size_t n;
};

static int merge_dir (int srcfd, int dstfd, const char *rel, struct inode_map *links, int rootfd,
                      kago_error_t *err);

static int
copy_xattrs (int src, int dst, const char *what, kago_error_t *err)
{
  char names[4096];
  ssize_t len = flistxattr (src, names, sizeof names);
  if (len < 0)
    return (errno == ENOTSUP || errno == ERANGE) ? 0
                                                 : kago_error_set (err, errno, "list xattrs of `%s`", what);
  for (char *name = names; name < names + len; name += strlen (name) + 1)
    {
      if (strncmp (name, "trusted.overlay.", 16) == 0)
        continue;
      char value[4096];
      ssize_t vl = fgetxattr (src, name, value, sizeof value);
      if (vl < 0)
        continue;
      if (fsetxattr (dst, name, value, (size_t) vl, 0) < 0)
        return kago_error_set (err, errno, "set the xattr `%s` on `%s`", name, what);
    }
  return 0;
}

static int
copy_meta (int src, int dst, const struct stat *st, const char *what, kago_error_t *err)
{
  if (fchown (dst, st->st_uid, st->st_gid) < 0 || fchmod (dst, st->st_mode & 07777) < 0)
    return kago_error_set (err, errno, "set the owner and mode of `%s`", what);
  return copy_xattrs (src, dst, what, err);
}

static int
copy_regular (int srcdir, int dstdir, const char *name, const struct stat *st, const char *what,
              kago_error_t *err)
{
  cleanup_close int in = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return kago_error_set (err, errno, "open `%s`", what);
  cleanup_close int out = openat (dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return kago_error_set (err, errno, "create `%s`", what);
  off_t left = st->st_size;
  while (left > 0)
    {
      ssize_t n = copy_file_range (in, NULL, out, NULL, (size_t) left, 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
        n = sendfile (out, in, NULL, (size_t) left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return kago_error_set (err, n < 0 ? errno : EIO, "copy `%s`", what);
      left -= n;
    }
  if (copy_meta (in, out, st, what, err) < 0)
    return -1;
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  if (futimens (out, ts) < 0)
    return kago_error_set (err, errno, "set the times of `%s`", what);
  return 0;
}

static int
copy_special (int srcdir, int dstdir, const char *name, const struct stat *st, const char *what,
              kago_error_t *err)
{
  if (S_ISLNK (st->st_mode))
    {
      char target[PATH_MAX + 1];
      ssize_t n = readlinkat (srcdir, name, target, PATH_MAX);
      if (n < 0)
        return kago_error_set (err, errno, "readlink `%s`", what);
      target[n] = '\0';
      if (symlinkat (target, dstdir, name) < 0)
        return kago_error_set (err, errno, "symlink `%s`", what);
    }
  else if (mknodat (dstdir, name, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0)
    return kago_error_set (err, errno, "mknod `%s`", what);
  if (fchownat (dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return kago_error_set (err, errno, "chown `%s`", what);
  if (!S_ISLNK (st->st_mode) && fchmodat (dstdir, name, st->st_mode & 07777, 0) < 0)
    return kago_error_set (err, errno, "chmod `%s`", what);
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  if (utimensat (dstdir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return kago_error_set (err, errno, "set the times of `%s`", what);
  return 0;
}

/* Make the place DSTDIR/NAME free, or keep an existing directory when
   KEEP_DIR.  Returns 1 when a directory was kept.  */
static int
clear_dst (int dstdir, const char *name, bool keep_dir, const char *what, kago_error_t *err)
{
  struct stat st;
  if (fstatat (dstdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : kago_error_set (err, errno, "stat `%s`", what);
  if (S_ISDIR (st.st_mode))
    {
      if (keep_dir)
        return 1;
      return remove_tree_at (dstdir, name, err);
    }
  if (unlinkat (dstdir, name, 0) < 0)
    return kago_error_set (err, errno, "remove `%s`", what);
  return 0;
}

static int
empty_dir (int dirfd, const char *what, kago_error_t *err)
{
  int fd = dup (dirfd);
  if (fd < 0)
    return kago_error_set (err, errno, "dup");
  cleanup_dir DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return kago_error_set (err, errno, "read `%s`", what);
    }
  rewinddir (d);
  struct dirent *de;
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, "..") && remove_tree_at (dirfd, de->d_name, err) < 0)
      return -1;
  return 0;
}

static int
merge_entry (int srcfd, int dstfd, const char *name, const char *rel, struct inode_map *links, int rootfd,
             kago_error_t *err)
{
  cleanup_free char *what = *rel ? xasprintf ("%s/%s", rel, name) : xstrdup (name);
  struct stat st;
  if (fstatat (srcfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return kago_error_set (err, errno, "stat `%s`", what);
  if (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
    return clear_dst (dstfd, name, false, what, err) < 0 ? -1 : 0; /* a whiteout */

  if (S_ISDIR (st.st_mode))
    {
      int kept = clear_dst (dstfd, name, true, what, err);
      if (kept < 0)
        return -1;
      if (!kept && mkdirat (dstfd, name, 0700) < 0)
        return kago_error_set (err, errno, "mkdir `%s`", what);
      cleanup_close int s = openat (srcfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int d = openat (dstfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || d < 0)
        return kago_error_set (err, errno, "open `%s`", what);
      char v;
      if (kept && fgetxattr (s, OPAQUE_XATTR, &v, 1) == 1 && v == 'y' && empty_dir (d, what, err) < 0)
        return -1;
      if (copy_meta (s, d, &st, what, err) < 0 || merge_dir (s, d, what, links, rootfd, err) < 0)
        return -1;
      struct timespec ts[2] = { st.st_atim, st.st_mtim };
      if (futimens (d, ts) < 0)
        return kago_error_set (err, errno, "set the times of `%s`", what);
      return 0;
    }

  if (clear_dst (dstfd, name, false, what, err) < 0)
    return -1;
  if (S_ISREG (st.st_mode) && st.st_nlink > 1)
    {
      /* Hard links stay hard links (within one layer).  */
      for (size_t i = 0; i < links->n; i++)
        if (links->v[i].dev == st.st_dev && links->v[i].ino == st.st_ino)
          {
            if (linkat (rootfd, links->v[i].path, dstfd, name, 0) == 0)
              return 0;
            break;
          }
      links->v = xrealloc (links->v, (links->n + 1) * sizeof *links->v);
      links->v[links->n].dev = st.st_dev;
      links->v[links->n].ino = st.st_ino;
      links->v[links->n].path = xstrdup (what);
      links->n++;
    }
  if (S_ISREG (st.st_mode))
    return copy_regular (srcfd, dstfd, name, &st, what, err);
  if (S_ISSOCK (st.st_mode))
    return 0;
  return copy_special (srcfd, dstfd, name, &st, what, err);
}

static int
merge_dir (int srcfd, int dstfd, const char *rel, struct inode_map *links, int rootfd, kago_error_t *err)
{
  int fd = dup (srcfd);
  if (fd < 0)
    return kago_error_set (err, errno, "dup");
  cleanup_dir DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return kago_error_set (err, errno, "read `%s`", rel);
    }
  rewinddir (d);
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (merge_entry (srcfd, dstfd, de->d_name, rel, links, rootfd, err) < 0)
        return -1;
    }
  return 0;
}

int
kago_rootfs_merge_layer (int srcfd, int dstfd, kago_error_t *err)
{
  struct inode_map links = { 0 };
  char v;
  int ret = 0;
  if (fgetxattr (srcfd, OPAQUE_XATTR, &v, 1) == 1 && v == 'y')
    ret = empty_dir (dstfd, "/", err);
  if (ret == 0)
    ret = merge_dir (srcfd, dstfd, "", &links, dstfd, err);
  for (size_t i = 0; i < links.n; i++)
    free (links.v[i].path);
  free (links.v);
  return ret;
}

static int
copy_layers (const char *const *layers, size_t n, const char *dir, char **out, kago_error_t *err)
{
  cleanup_free char *target = xasprintf ("%s/rootfs", dir);
  if (mkdir (target, 0755) < 0)
    return kago_error_set (err, errno, "create `%s`", target);
  cleanup_close int dst = open (target, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dst < 0)
    return kago_error_set (err, errno, "open `%s`", target);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_close int src = open (layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (src < 0)
        return kago_error_set (err, errno, "open the layer `%s`", layers[i]);
      if (kago_rootfs_merge_layer (src, dst, err) < 0)
        return kago_error_wrap (err, "copy the layer `%s`", layers[i]);
    }
  *out = steal_pointer (&target);
  return 0;
}

int
kago_rootfs_create (const char *const *layers, size_t n, const char *dir, enum kago_rootfs_mode mode,
                    struct kago_rootfs *out, kago_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (mkdir (dir, 0700) < 0)
    return kago_error_set (err, errno, "create `%s`", dir);
  if (mode != KAGO_ROOTFS_COPY)
    {
      kago_error_t oerr = NULL;
      if (mount_overlay (layers, n, dir, &out->path, &oerr) == 0)
        {
          out->overlay = true;
          return 0;
        }
      if (mode == KAGO_ROOTFS_OVERLAY)
        {
          *err = oerr;
          goto fail;
        }
      kago_error_release (&oerr);
      /* Leave only what the copy needs.  */
      kago_error_t e2 = NULL;
      cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      const char *sub[] = { "upper", "work", "merged" };
      for (size_t i = 0; dfd >= 0 && i < 3; i++)
        if (remove_tree_at (dfd, sub[i], &e2) < 0)
          kago_error_release (&e2);
    }
  if (copy_layers (layers, n, dir, &out->path, err) == 0)
    return 0;
fail:
  {
    kago_error_t e2 = NULL;
    if (kago_rootfs_remove (dir, &e2) < 0)
      kago_error_release (&e2);
  }
  return -1;
}

int
kago_rootfs_create_from_image (struct kago_store *s, const char *name, const char *dir,
                               enum kago_rootfs_mode mode, struct kago_rootfs *out, kago_error_t *err)
{
  cleanup_index struct kago_index idx;
  if (kago_index_load (s, &idx, err) < 0)
    return -1;
  struct kago_image_rec *rec = kago_index_resolve (&idx, name, NULL, err);
  if (rec == NULL)
    return -1;
  char **paths = xcalloc (rec->nlayers + 1, sizeof *paths);
  for (size_t i = 0; i < rec->nlayers; i++)
    paths[i] = kago_store_layer_path (s, rec->layers[i]);
  int r = kago_rootfs_create ((const char *const *) paths, rec->nlayers, dir, mode, out, err);
  for (size_t i = 0; i < rec->nlayers; i++)
    free (paths[i]);
  free (paths);
  return r;
}

static bool
is_mountpoint (const char *path)
{
  struct stat a, b;
  cleanup_free char *parent = xasprintf ("%s/..", path);
  if (lstat (path, &a) < 0 || lstat (parent, &b) < 0)
    return false;
  if (a.st_dev != b.st_dev)
    return true;
  /* A bind or overlay on the same device: compare mount IDs.  */
  struct statx sa, sb;
  if (statx (AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sa) == 0
      && statx (AT_FDCWD, parent, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sb) == 0
      && (sa.stx_mask & STATX_MNT_ID))
    return sa.stx_mnt_id != sb.stx_mnt_id;
  return false;
}

int
kago_rootfs_ensure_mounted (const char *const *layers, size_t n, const char *dir, kago_error_t *err)
{
  cleanup_free char *merged = xasprintf ("%s/merged", dir);
  if (is_mountpoint (merged))
    return 0;
  cleanup_free char *target = NULL;
  return mount_overlay (layers, n, dir, &target, err);
}

int
kago_rootfs_remove (const char *dir, kago_error_t *err)
{
  cleanup_free char *merged = xasprintf ("%s/merged", dir);
  while (is_mountpoint (merged))
    if (umount2 (merged, UMOUNT_NOFOLLOW) < 0)
      {
        if (errno != EBUSY)
          return kago_error_set (err, errno, "unmount `%s`", merged);
        if (umount2 (merged, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
          return kago_error_set (err, errno, "unmount `%s`", merged);
      }
  struct stat st;
  if (lstat (dir, &st) < 0 && errno == ENOENT)
    return 0;
  cleanup_free char *copy = xstrdup (dir);
  char *slash = strrchr (copy, '/');
  while (slash && slash[1] == '\0' && slash > copy)
    {
      *slash = '\0';
      slash = strrchr (copy, '/');
    }
  const char *parent = slash == NULL ? "." : slash == copy ? "/" : copy;
  const char *base = slash ? slash + 1 : copy;
  if (slash && slash != copy)
    *slash = '\0';
  cleanup_close int pfd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0)
    return kago_error_set (err, errno, "open `%s`", parent);
  return remove_tree_at (pfd, base, err);
}
