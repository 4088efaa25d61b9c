/* The container's root: propagation, the self-bind, pivot_root, and the
 * finishing touches made from inside (masked and read-only paths,
 * root.readonly, rootfsPropagation).
 *
 * Propagation: during set-up / is rslave (as runc), so nothing we mount
 * reaches the host.  rootfsPropagation "shared"/"rshared" keeps the copies
 * of the host's mounts as peers instead (so that a bind of a shared host
 * mount stays a peer of it); only / itself and the mount holding the rootfs
 * are made private, which pivot_root needs.  The configured propagation is
 * applied to the new / after the pivot.  An "unbindable" / would make the
 * self-bind impossible, so it too waits until after the pivot.
 */
#include "runtime/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/syscalls.h"
#include "common/xalloc.h"
#include "runtime/process_attrs.h"

static int
root_propagation (const oci_spec *s, unsigned long *prop, kago_error_t *err)
{
  *prop = 0;
  if (!s->has_linux || s->linux_.rootfs_propagation == NULL || *s->linux_.rootfs_propagation == '\0')
    return 0;
  if (kago_mount_propagation_parse (s->linux_.rootfs_propagation, prop) < 0)
    return kago_error_set (err, EINVAL, "linux.rootfsPropagation: unknown value `%s`",
                           s->linux_.rootfs_propagation);
  return 0;
}

/* Mount id and whether it is shared, from /proc/self/mountinfo.  */
static int
mount_is_shared (int fd, bool *shared, char **mountpoint, kago_error_t *err)
{
  struct statx stx;
  *shared = false;
  *mountpoint = NULL;
  if (statx (fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
    return kago_error_set (err, errno, "statx rootfs");
  cleanup_free char *mi = NULL;
  if (kago_read_proc_self ("mountinfo", &mi, err) < 0)
    return -1;
  char *save = NULL;
  for (char *line = strtok_r (mi, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct kago_mountinfo e;
      if (kago_mountinfo_parse_line (line, &e) < 0 || e.id != stx.stx_mnt_id)
        continue;
      *shared = strncmp (e.optional, "shared:", 7) == 0 || strstr (e.optional, " shared:") != NULL;
      *mountpoint = xstrdup (e.mountpoint);
      return 0;
    }
  return 0;
}

/* maskedPaths and readonlyPaths MUST be absolute (config-linux.md).  */
static int
check_abs_paths (const oci_strv *v, const char *what, kago_error_t *err)
{
  for (size_t i = 0; i < v->n; i++)
    if (v->v[i] == NULL || v->v[i][0] != '/')
      return kago_error_set (err, EINVAL, "linux.%s[%zu]: `%s` is not an absolute path", what, i,
                             v->v[i] ? v->v[i] : "");
  return 0;
}

int
kago_rootfs_prepare (struct kago_init_ctx *c, kago_error_t *err)
{
  unsigned long prop;
  if (root_propagation (c->spec, &prop, err) < 0)
    return -1;
  if (c->spec->has_linux
      && (check_abs_paths (&c->spec->linux_.masked_paths, "maskedPaths", err) < 0
          || check_abs_paths (&c->spec->linux_.readonly_paths, "readonlyPaths", err) < 0))
    return -1;

  /* The fd the parent opened names the rootfs in the parent's mount
     namespace; ours are copies: reopen, and check it is the same dir.  */
  cleanup_close int rfd = open (c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return kago_error_set (err, errno, "open rootfs `%s`", c->rootfs);
  if (c->rootfs_fd >= 0)
    {
      struct stat a, b;
      if (fstat (rfd, &a) < 0 || fstat (c->rootfs_fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        return kago_error_set (err, EXDEV, "rootfs `%s` changed during create", c->rootfs);
    }

  if (!c->new_mountns)
    {
      /* Someone else's mount namespace: leave its / alone.  */
      if (c->rootfs_fd >= 0)
        close (c->rootfs_fd);
      c->rootfs_fd = steal_fd (&rfd);
      return 0;
    }

  unsigned long setup = MS_SLAVE | MS_REC;
  if (prop & MS_SHARED)
    setup = MS_PRIVATE; /* / only: pivot_root refuses a shared / */
  else if (prop & (MS_PRIVATE | MS_SLAVE))
    setup = prop;
  if (mount (NULL, "/", NULL, setup, NULL) < 0)
    return kago_error_set (err, errno, "make / %s", (setup & MS_SLAVE) ? "rslave" : "private");

  /* The mount holding the rootfs must not be shared either, or the
     self-bind would propagate out (and pivot_root would fail).  */
  bool shared = false;
  cleanup_free char *mp = NULL;
  if (setup != (MS_SLAVE | MS_REC) && mount_is_shared (rfd, &shared, &mp, err) < 0)
    return -1;
  if (shared && mp && mount (NULL, mp, NULL, MS_PRIVATE, NULL) < 0)
    return kago_error_set (err, errno, "make `%s` (holding the rootfs) private", mp);

  /* Bind the rootfs onto itself so it is a mount point (pivot_root); or
     attach the idmapped clone of it the parent made there.  */
  struct kago_mount_where w = { rfd, "/" };
  int mfd = -1;
  if (c->idmap_rootfs && c->n_idmap_fds > 0 && c->idmap_fds[0] >= 0)
    {
      if (move_mount (c->idmap_fds[0], "", rfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return kago_error_set (err, errno, "attach the idmapped rootfs `%s`", c->rootfs);
      mfd = c->idmap_fds[0];
      c->idmap_fds[0] = -1;
    }
  else if (c->idmap_rootfs)
    return kago_error_set (err, 0, "the idmapped rootfs did not arrive from the runtime");
  else if (kago_mount_bind_at (rfd, NULL, rfd, &w, true, 0, 0, 0, 0, &mfd, err) < 0)
    return kago_error_wrap (err, "bind the rootfs `%s` onto itself", c->rootfs);
  if (c->rootfs_fd >= 0)
    {
      /* keep the fd number the rest of the init knows */
      if (dup3 (mfd, c->rootfs_fd, O_CLOEXEC) < 0)
        {
          int en = errno;
          close (mfd);
          return kago_error_set (err, en, "dup rootfs fd");
        }
      close (mfd);
    }
  else
    c->rootfs_fd = mfd;
  return 0;
}

int
kago_rootfs_pivot (struct kago_init_ctx *c, kago_error_t *err)
{
  if (fchdir (c->rootfs_fd) < 0)
    return kago_error_set (err, errno, "chdir to the rootfs");
  if (!c->new_mountns)
    {
      if (chroot (".") < 0)
        return kago_error_set (err, errno, "chroot into the rootfs");
      return chdir ("/") < 0 ? kago_error_set (err, errno, "chdir /") : 0;
    }
  if (c->no_pivot)
    {
      if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
        return kago_error_set (err, errno, "move the rootfs onto / (--no-pivot)");
      if (chroot (".") < 0)
        return kago_error_set (err, errno, "chroot into the rootfs (--no-pivot)");
      return chdir ("/") < 0 ? kago_error_set (err, errno, "chdir /") : 0;
    }

  cleanup_close int oldroot = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (oldroot < 0)
    return kago_error_set (err, errno, "open the old root");
  /* pivot_root(".", "."): the old root ends up mounted over the new one,
     and is detached right away.  */
  if (kago_pivot_root (".", ".") < 0)
    return kago_error_set (err, errno, "pivot_root");
  if (fchdir (oldroot) < 0)
    return kago_error_set (err, errno, "chdir to the old root");
  /* rslave first, so the unmount does not propagate to the host.  */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return kago_error_set (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return kago_error_set (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return kago_error_set (err, errno, "chdir /");
  return 0;
}

/* ---- finalize (after the pivot: / is the container's root) ---- */

static int
readonly_path (struct kago_init_ctx *c, const char *path, kago_error_t *err)
{
  kago_error_t e = NULL;
  cleanup_close int fd = open_in_root (c->rootfs_fd, path, O_PATH, 0, &e);
  if (fd < 0)
    {
      if (e->errnum == ENOENT)
        {
          kago_error_release (&e);
          return 0;
        }
      *err = e;
      return kago_error_wrap (err, "readonlyPaths `%s`", path);
    }
  /* Bind onto itself, then read-only (recursively: nothing writable is
     left below), keeping nosuid/nodev/noexec as they were.  */
  struct kago_mount_where w = { c->rootfs_fd, path };
  if (kago_mount_bind_at (fd, NULL, fd, &w, true, 0, 0, MOUNT_ATTR_RDONLY, 0, NULL, err) < 0)
    return kago_error_wrap (err, "readonlyPaths `%s`", path);
  return 0;
}

/* /dev/null of the container, checked to be the null device (1:3) and not,
   say, a symlink to a host file that masking would then bind read-write
   (CVE-2025-31133).  */
static int
open_dev_null (struct kago_init_ctx *c, kago_error_t *err)
{
  cleanup_close int fd = open_in_root (c->rootfs_fd, "/dev/null", O_PATH | O_NOFOLLOW, 0, err);
  if (fd < 0)
    return kago_error_wrap (err, "maskedPaths");
  struct stat sb;
  if (fstat (fd, &sb) < 0)
    return kago_error_set (err, errno, "maskedPaths: stat /dev/null");
  if (!S_ISCHR (sb.st_mode) || major (sb.st_rdev) != 1 || minor (sb.st_rdev) != 3)
    return kago_error_set (err, EPERM,
                           "maskedPaths: /dev/null in the container is not the null device (1:3)");
  return steal_fd (&fd);
}

static int
mask_path (struct kago_init_ctx *c, const char *path, int *devnull, kago_error_t *err)
{
  kago_error_t e = NULL;
  cleanup_close int fd = open_in_root (c->rootfs_fd, path, O_PATH, 0, &e);
  if (fd < 0)
    {
      if (e->errnum == ENOENT)
        {
          kago_error_release (&e);
          return 0;
        }
      *err = e;
      return kago_error_wrap (err, "maskedPaths `%s`", path);
    }
  struct stat sb;
  if (fstat (fd, &sb) < 0)
    return kago_error_set (err, errno, "maskedPaths `%s`: stat", path);
  struct kago_mount_where w = { c->rootfs_fd, path };
  if (S_ISDIR (sb.st_mode))
    {
      const char *label = c->spec->has_linux ? c->spec->linux_.mount_label : NULL;
      cleanup_free char *data = kago_selinux_mount_data (label, NULL);
      if (kago_mount_fs_at (fd, &w, "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, data,
                            NULL, err)
          < 0)
        return kago_error_wrap (err, "maskedPaths `%s`: mount an empty tmpfs", path);
      return 0;
    }
  if (*devnull < 0)
    {
      *devnull = open_dev_null (c, err);
      if (*devnull < 0)
        return -1;
    }
  if (kago_mount_bind_at (*devnull, NULL, fd, &w, false, 0, 0, 0, 0, NULL, err) < 0)
    return kago_error_wrap (err, "maskedPaths `%s`: bind /dev/null", path);
  return 0;
}

/* /dev mounted read-only by the config was kept writable for the device
   nodes: make it read-only now.  */
static int
dev_late_readonly (struct kago_init_ctx *c, kago_error_t *err)
{
  bool found, bound, ro;
  if (kago_dev_mount_kind (c->spec, &found, &bound, &ro, err) < 0)
    return -1;
  if (!ro)
    return 0;
  cleanup_close int fd = open_in_root (c->rootfs_fd, "/dev", O_PATH | O_DIRECTORY, 0, err);
  if (fd < 0 || kago_mount_setattr_fd (fd, false, MOUNT_ATTR_RDONLY, 0, err) < 0)
    return kago_error_wrap (err, "make /dev read-only");
  return 0;
}

int
kago_rootfs_finalize (struct kago_init_ctx *c, kago_error_t *err)
{
  const oci_spec *s = c->spec;
  if (s->has_linux)
    {
      for (size_t i = 0; i < s->linux_.readonly_paths.n; i++)
        if (readonly_path (c, s->linux_.readonly_paths.v[i], err) < 0)
          return -1;
      cleanup_close int devnull = -1;
      for (size_t i = 0; i < s->linux_.masked_paths.n; i++)
        if (mask_path (c, s->linux_.masked_paths.v[i], &devnull, err) < 0)
          return -1;
    }
  if (dev_late_readonly (c, err) < 0)
    return -1;
  if (s->root_readonly && kago_mount_setattr_fd (c->rootfs_fd, false, MOUNT_ATTR_RDONLY, 0, err) < 0)
    return kago_error_wrap (err, "make the root read-only");

  unsigned long prop;
  if (root_propagation (s, &prop, err) < 0)
    return -1;
  if (prop && c->new_mountns && kago_mount_propagation_fd (c->rootfs_fd, prop, err) < 0)
    return kago_error_wrap (err, "linux.rootfsPropagation `%s`", s->linux_.rootfs_propagation);
  return 0;
}

/* ---- host side ---- */

int
kago_rootfs_cleanup_mounts (const char *rootfs, kago_error_t *err)
{
  for (int round = 0; round < 64; round++)
    {
      cleanup_free char *mi = NULL;
      if (kago_read_proc_self ("mountinfo", &mi, err) < 0)
        return -1;
      /* The deepest (longest) mount point below the rootfs goes first.  */
      cleanup_free char *best = NULL;
      char *save = NULL;
      for (char *line = strtok_r (mi, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          struct kago_mountinfo e;
          if (kago_mountinfo_parse_line (line, &e) < 0)
            continue;
          const char *p = e.mountpoint;
          size_t l = strlen (rootfs);
          while (l > 1 && rootfs[l - 1] == '/')
            l--;
          if (strncmp (p, rootfs, l) != 0 || p[l] != '/')
            continue;
          if (best == NULL || strlen (p) > strlen (best))
            {
              free (best);
              best = xstrdup (p);
            }
        }
      if (best == NULL)
        return 0;
      if (umount2 (best, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
        return kago_error_set (err, errno, "unmount `%s`", best);
    }
  return kago_error_set (err, EBUSY, "unmount everything below `%s`", rootfs);
}
