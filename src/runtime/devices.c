/* /dev of the container: the default devices, linux.devices, the standard
 * symlinks, /dev/ptmx and the /dev/console mount point.
 *
 * Everything is made through the rootfs fd, and a /dev that is a symlink in
 * the rootfs is refused (CVE-2026-41579: an image's /dev -> /host/path
 * would otherwise redirect the nodes and binds below to wherever it
 * points).  When the config binds something (the host's /dev) over /dev,
 * nothing is created in it.
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
#include "common/xalloc.h"

#ifndef DEVPTS_SUPER_MAGIC
#define DEVPTS_SUPER_MAGIC 0x1cd1
#endif

struct dev_spec
{
  const char *path; /* absolute, in the container */
  char type;        /* 'c' 'b' 'u' 'p' */
  unsigned int major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

static const struct dev_spec default_devices[] = {
  { "/dev/null", 'c', 1, 3, 0666, 0, 0 },    { "/dev/zero", 'c', 1, 5, 0666, 0, 0 },
  { "/dev/full", 'c', 1, 7, 0666, 0, 0 },    { "/dev/random", 'c', 1, 8, 0666, 0, 0 },
  { "/dev/urandom", 'c', 1, 9, 0666, 0, 0 }, { "/dev/tty", 'c', 5, 0, 0666, 0, 0 },
};

static mode_t
type_bits (char t)
{
  switch (t)
    {
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    case 'c':
    case 'u':
    default:
      return S_IFCHR;
    }
}

static int
create_device (struct kago_init_ctx *c, const struct dev_spec *d, kago_error_t *err)
{
  cleanup_free char *clean = kago_path_clean (d->path);
  cleanup_free char *dir = xstrdup (clean);
  char *slash = strrchr (dir, '/');
  const char *base = clean + (slash - dir) + 1;
  *slash = '\0';
  if (*base == '\0')
    return kago_error_set (err, EINVAL, "device `%s`: bad path", d->path);
  cleanup_close int dfd = mkdir_p_in_root (c->rootfs_fd, *dir ? dir : "/", 0755, err);
  if (dfd < 0)
    return kago_error_wrap (err, "device `%s`", d->path);
  mode_t type = type_bits (d->type);
  dev_t rdev = d->type == 'p' ? 0 : makedev (d->major, d->minor);

  if (c->userns)
    {
      /* mknod is not allowed in a user namespace: bind the host's node.  */
      cleanup_close int tfd = create_file_in_root (c->rootfs_fd, clean, 0644, err);
      if (tfd < 0)
        return kago_error_wrap (err, "device `%s`", d->path);
      cleanup_close int sfd = open (d->path, O_PATH | O_CLOEXEC);
      if (sfd < 0)
        return kago_error_set (err, errno, "device `%s`: open the host's node", d->path);
      struct kago_mount_where w = { c->rootfs_fd, clean };
      if (kago_mount_bind_at (sfd, NULL, tfd, &w, false, 0, 0, 0, 0, NULL, err) < 0)
        return kago_error_wrap (err, "device `%s`: bind the host's node", d->path);
      return 0;
    }

  struct stat sb;
  if (fstatat (dfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if ((sb.st_mode & S_IFMT) == type && sb.st_rdev == rdev)
        goto perms;
      /* Whatever is there (a symlink, a file, another device) goes.  */
      if (unlinkat (dfd, base, S_ISDIR (sb.st_mode) ? AT_REMOVEDIR : 0) < 0)
        return kago_error_set (err, errno, "device `%s`: remove what is there", d->path);
    }
  if (mknodat (dfd, base, type | (d->mode & 07777), rdev) < 0)
    return kago_error_set (err, errno, "device `%s`: mknod", d->path);
perms:
  if (fchownat (dfd, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return kago_error_set (err, errno, "device `%s`: chown", d->path);
  /* mknod's mode went through the umask; a node is never a symlink here.  */
  if (fchmodat (dfd, base, d->mode & 07777, 0) < 0)
    return kago_error_set (err, errno, "device `%s`: chmod", d->path);
  return 0;
}

static int
dev_symlink (int devfd, const char *target, const char *name, kago_error_t *err)
{
  if (symlinkat (target, devfd, name) < 0 && errno != EEXIST)
    return kago_error_set (err, errno, "symlink /dev/%s -> %s", name, target);
  return 0;
}

int
kago_devices_setup (struct kago_init_ctx *c, kago_error_t *err)
{
  const oci_spec *s = c->spec;
  bool found, bound, ro;
  if (kago_dev_mount_kind (s, &found, &bound, &ro, err) < 0)
    return -1;
  if (bound)
    return 0;

  /* CVE-2026-41579: /dev itself must not be a symlink.  */
  struct stat sb;
  if (fstatat (c->rootfs_fd, "dev", &sb, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (S_ISLNK (sb.st_mode))
        return kago_error_set (err, ELOOP,
                               "/dev in the rootfs is a symlink: refusing to set up devices through it");
      if (!S_ISDIR (sb.st_mode))
        return kago_error_set (err, ENOTDIR, "/dev in the rootfs is not a directory");
    }
  else if (errno != ENOENT || mkdirat (c->rootfs_fd, "dev", 0755) < 0)
    return kago_error_set (err, errno, "/dev in the rootfs");
  cleanup_close int devfd = openat (c->rootfs_fd, "dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (devfd < 0)
    return kago_error_set (err, errno, "open /dev in the rootfs");

  const oci_linux *l = s->has_linux ? &s->linux_ : NULL;
  size_t nconf = l ? l->n_devices : 0;

  for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++)
    {
      bool listed = false;
      for (size_t k = 0; k < nconf && !listed; k++)
        {
          cleanup_free char *p = kago_path_clean (l->devices[k].path);
          listed = strcmp (p, default_devices[i].path) == 0;
        }
      if (!listed && create_device (c, &default_devices[i], err) < 0)
        return -1;
    }

  for (size_t k = 0; k < nconf; k++)
    {
      const oci_device *od = &l->devices[k];
      if (od->path == NULL)
        return kago_error_set (err, EINVAL, "linux.devices[%zu]: no path", k);
      if (od->major < 0 || od->minor < 0 || od->major > 0xfff || od->minor > 0xfffff)
        return kago_error_set (err, EINVAL, "linux.devices[%zu] `%s`: bad major/minor", k, od->path);
      struct dev_spec d = {
        .path = od->path,
        .type = od->type,
        .major = (unsigned int) od->major,
        .minor = (unsigned int) od->minor,
        .mode = od->has_file_mode ? (mode_t) od->file_mode : 0666,
        .uid = od->has_uid ? od->uid : 0,
        .gid = od->has_gid ? od->gid : 0,
      };
      if (create_device (c, &d, err) < 0)
        return kago_error_wrap (err, "linux.devices[%zu]", k);
    }

  if (dev_symlink (devfd, "/proc/self/fd", "fd", err) < 0
      || dev_symlink (devfd, "/proc/self/fd/0", "stdin", err) < 0
      || dev_symlink (devfd, "/proc/self/fd/1", "stdout", err) < 0
      || dev_symlink (devfd, "/proc/self/fd/2", "stderr", err) < 0)
    return -1;
  if (access ("/proc/kcore", F_OK) == 0 && dev_symlink (devfd, "/proc/kcore", "core", err) < 0)
    return -1;

  /* /dev/ptmx -> pts/ptmx when /dev/pts is a devpts of its own.  */
  kago_error_t e = NULL;
  cleanup_close int ptsfd = open_in_root (c->rootfs_fd, "/dev/pts", O_PATH | O_DIRECTORY, 0, &e);
  kago_error_release (&e);
  struct statfs sf;
  if (ptsfd >= 0 && fstatfs (ptsfd, &sf) == 0 && sf.f_type == DEVPTS_SUPER_MAGIC)
    {
      if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
        return kago_error_set (err, errno, "remove /dev/ptmx");
      if (dev_symlink (devfd, "pts/ptmx", "ptmx", err) < 0)
        return -1;
    }

  /* The terminal code binds the pty peer onto /dev/console later.  */
  if (s->process && s->process->terminal)
    {
      cleanup_close int cfd = create_file_in_root (c->rootfs_fd, "/dev/console", 0600, err);
      if (cfd < 0)
        return kago_error_wrap (err, "create /dev/console");
    }
  return 0;
}
