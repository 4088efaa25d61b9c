/* config.json "mounts", in order, inside the container's mount namespace.
 *
 * Every destination is resolved inside the rootfs by fd (openat2
 * RESOLVE_IN_ROOT, see fsutil.c): a symlink in the image can redirect a
 * mount only to another place inside the rootfs, never to the host
 * (CVE-2021-30465).  Mounts are made on that fd with the new mount API.
 * /proc and /sys targets must be real directories, and what gets mounted
 * there is checked with statfs afterwards (CVE-2019-16884); nothing but
 * procfs (and a few lxcfs-style file binds) may be mounted over /proc
 * (CVE-2019-19921).
 */
#include "runtime/core.h"
#include "runtime/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/syscalls.h"
#include "common/xalloc.h"
#include "runtime/process_attrs.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef SYSFS_MAGIC
#define SYSFS_MAGIC 0x62656572
#endif
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CGROUP_MOUNT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* One config mount being set up.  */
struct mnt
{
  struct kago_init_ctx *c;
  size_t index;
  const oci_mount *m;
  const char *type; /* never NULL ("bind" for a bind without a type) */
  char *dest;       /* cleaned, absolute, inside the container */
  char *source;     /* for binds: absolute host path */
  struct kago_mount_opts o;
  const char *label; /* linux.mountLabel or NULL */
  int idmap_fd;      /* the parent's idmapped tree for this mount, or -1 */
  size_t idmap_slot; /* its index in c->idmap_fds */
};

static void
mnt_clear (struct mnt *x)
{
  free (x->dest);
  free (x->source);
  kago_mount_opts_clear (&x->o);
}

char *
kago_path_clean (const char *path)
{
  size_t n;
  char **comps = xcalloc (strlen (path) + 2, sizeof (char *));
  n = 0;
  cleanup_free char *dup = xstrdup (path);
  char *save = NULL;
  for (char *t = strtok_r (dup, "/", &save); t; t = strtok_r (NULL, "/", &save))
    {
      if (strcmp (t, ".") == 0)
        continue;
      if (strcmp (t, "..") == 0)
        {
          if (n > 0)
            n--;
          continue;
        }
      comps[n++] = t;
    }
  strbuf sb = STRBUF_INIT;
  for (size_t i = 0; i < n; i++)
    {
      strbuf_addc (&sb, '/');
      strbuf_adds (&sb, comps[i]);
    }
  free (comps);
  if (sb.len == 0)
    strbuf_addc (&sb, '/');
  return strbuf_detach (&sb);
}

static bool
path_is_or_under (const char *p, const char *dir)
{
  size_t l = strlen (dir);
  return strncmp (p, dir, l) == 0 && (p[l] == '\0' || p[l] == '/');
}

int
kago_read_proc_self (const char *name, char **out, kago_error_t *err)
{
  /* /proc must be a procfs, and nothing mounted over a file in it is
     followed (CVE-2025-52881: racing mounts redirecting procfs access).  */
  cleanup_close int pfd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct statfs sf;
  if (pfd < 0 || fstatfs (pfd, &sf) < 0)
    return kago_error_set (err, errno, "open /proc");
  if (sf.f_type != PROC_SUPER_MAGIC)
    return kago_error_set (err, EINVAL, "/proc is not a procfs");
  cleanup_free char *rel = xasprintf ("self/%s", name);
  struct open_how how = { .flags = O_RDONLY | O_CLOEXEC,
                          .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH };
  cleanup_close int fd = kago_openat2 (pfd, rel, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS)
    fd = openat (pfd, rel, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstatfs (fd, &sf) < 0)
    return kago_error_set (err, errno, "open /proc/%s", rel);
  if (sf.f_type != PROC_SUPER_MAGIC)
    return kago_error_set (err, EINVAL, "/proc/%s is not on procfs", rel);
  if (read_all_fd (fd, out, NULL, err) < 0)
    return kago_error_wrap (err, "/proc/%s", rel);
  return 0;
}

static int
fail (struct mnt *x, kago_error_t *err)
{
  return kago_error_wrap (err, "mount `%s` on `%s`", x->m->source ? x->m->source : x->type, x->dest);
}

static int
fail_msg (struct mnt *x, int errnum, const char *msg, kago_error_t *err)
{
  return kago_error_set (err, errnum, "mount `%s` on `%s`: %s", x->m->source ? x->m->source : x->type,
                         x->dest, msg);
}

/* ---- checks ---- */

/* Files lxcfs (and similar) bind over procfs files: allowed as runc does. */
static const char *const proc_bind_allowed[] = {
  "/proc/cpuinfo",
  "/proc/diskstats",
  "/proc/meminfo",
  "/proc/stat",
  "/proc/swaps",
  "/proc/uptime",
  "/proc/loadavg",
  "/proc/slabinfo",
  "/proc/net/dev",
  "/proc/sys/kernel/ns_last_pid",
  NULL,
};

/* CVE-2019-19921: nothing but procfs over /proc.  */
static int
check_proc_mount (struct mnt *x, kago_error_t *err)
{
  if (!path_is_or_under (x->dest, "/proc"))
    return 0;
  if (strcmp (x->dest, "/proc") == 0 && strcmp (x->type, "proc") == 0)
    return 0;
  if (x->o.bind && x->source)
    {
      struct statfs sf;
      if (statfs (x->source, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
        return 0;
      for (const char *const *a = proc_bind_allowed; *a; a++)
        if (strcmp (*a, x->dest) == 0)
          return 0;
    }
  return fail_msg (x, EPERM, "only procfs (or a bind of a procfs file) may be mounted over /proc", err);
}

/* ---- target resolution ---- */

/* Resolve (creating when missing) the destination inside the rootfs: a
   directory, or for a bind of a non-directory a file.  For proc and sysfs
   the last component must be a real directory: not a symlink, which could
   point at a fake /proc elsewhere in the rootfs (CVE-2019-16884).  */
static int
open_target (struct mnt *x, bool want_dir, kago_error_t *err)
{
  int rootfd = x->c->rootfs_fd;
  if (strcmp (x->type, "proc") == 0 || strcmp (x->type, "sysfs") == 0)
    {
      cleanup_free char *parent = xstrdup (x->dest);
      char *slash = strrchr (parent, '/');
      const char *base = slash + 1;
      *slash = '\0';
      if (*base == '\0')
        return fail_msg (x, EINVAL, "cannot mount over the root", err);
      cleanup_close int pfd = mkdir_p_in_root (rootfd, *parent ? parent : "/", 0755, err);
      if (pfd < 0)
        return fail (x, err);
      struct stat sb;
      if (fstatat (pfd, base, &sb, AT_SYMLINK_NOFOLLOW) < 0)
        {
          if (errno != ENOENT)
            return fail_msg (x, errno, "stat target", err);
          if (mkdirat (pfd, base, 0755) < 0 && errno != EEXIST)
            return fail_msg (x, errno, "mkdir target", err);
        }
      else if (!S_ISDIR (sb.st_mode))
        return fail_msg (x, ENOTDIR,
                         S_ISLNK (sb.st_mode) ? "the target is a symlink, not a directory"
                                              : "the target is not a directory",
                         err);
      int fd = openat (pfd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return fail_msg (x, errno, "open target", err);
      return fd;
    }
  int fd = want_dir ? mkdir_p_in_root (rootfd, x->dest, 0755, err)
                    : create_file_in_root (rootfd, x->dest, 0644, err);
  if (fd < 0)
    return fail (x, err);
  /* CVE-2019-19921 through a symlink: a destination that is not under
     /proc by its name but resolves into the container's procfs (an image
     link such as /data -> /proc) would hide or replace /proc.  The names
     under /proc were checked by check_proc_mount.  */
  struct statfs sf;
  if (!path_is_or_under (x->dest, "/proc") && fstatfs (fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
    {
      close (fd);
      return fail_msg (x, EPERM, "the destination resolves into /proc (through a symlink in the rootfs)",
                       err);
    }
  return fd;
}

/* ---- binds ---- */

/* Attach the idmapped tree the parent made for this mount.  */
static int
attach_idmapped (struct mnt *x, kago_error_t *err)
{
  struct stat sb;
  if (fstat (x->idmap_fd, &sb) < 0)
    return fail_msg (x, errno, "stat the idmapped source", err);
  cleanup_close int dfd = open_target (x, S_ISDIR (sb.st_mode), err);
  if (dfd < 0)
    return -1;
  unsigned long long set, clr;
  kago_mount_opts_bind_attrs (&x->o, &set, &clr);
  if (kago_mount_setattr_fd (x->idmap_fd, true, x->o.rec_attr_set, x->o.rec_attr_clr, err) < 0
      || kago_mount_setattr_fd (x->idmap_fd, false, set, clr, err) < 0)
    return fail (x, err);
  if (move_mount (x->idmap_fd, "", dfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return fail_msg (x, errno, "attach the idmapped mount", err);
  if (kago_mount_propagation_fd (x->idmap_fd, x->o.propagation, err) < 0)
    return fail (x, err);
  close (x->idmap_fd);
  x->c->idmap_fds[x->idmap_slot] = -1;
  x->idmap_fd = -1;
  return 0;
}

static int
do_bind (struct mnt *x, const char *srcpath, bool recursive, int *mntfd_out, kago_error_t *err)
{
  cleanup_close int sfd = open (srcpath, O_PATH | O_CLOEXEC);
  if (sfd < 0)
    return fail_msg (x, errno, "open the source", err);
  struct stat sb;
  if (fstat (sfd, &sb) < 0)
    return fail_msg (x, errno, "stat the source", err);
  cleanup_close int dfd = open_target (x, S_ISDIR (sb.st_mode), err);
  if (dfd < 0)
    return -1;
  unsigned long long set, clr;
  kago_mount_opts_bind_attrs (&x->o, &set, &clr);
  struct kago_mount_where w = { x->c->rootfs_fd, x->dest };
  cleanup_close int mfd = -1;
  if (kago_mount_bind_at (sfd, NULL, dfd, &w, recursive, set, clr, x->o.rec_attr_set, x->o.rec_attr_clr, &mfd,
                          err)
      < 0)
    return fail (x, err);
  if (kago_mount_propagation_fd (mfd, x->o.propagation, err) < 0)
    return fail (x, err);
  if (mntfd_out)
    *mntfd_out = steal_fd (&mfd);
  return 0;
}

/* ---- new filesystems ---- */

static bool
label_applies (const char *type)
{
  static const char *const no_label[] = { "proc", "sysfs", "cgroup", "cgroup2", "mqueue", "bind", NULL };
  for (const char *const *t = no_label; *t; t++)
    if (strcmp (*t, type) == 0)
      return false;
  return true;
}

/* tmpcopyup: copy what the directory held before the tmpfs went over it.  */
static int
tmpfs_copyup (struct mnt *x, int underfd, int mntfd, kago_error_t *err)
{
  if (copy_tree_at (underfd, mntfd, err) < 0)
    {
      kago_error_wrap (err, "tmpcopyup");
      return fail (x, err);
    }
  return 0;
}

static int
do_fs_mount (struct mnt *x, int *mntfd_out, kago_error_t *err)
{
  bool is_tmpfs = strcmp (x->type, "tmpfs") == 0;
  bool is_dev = strcmp (x->dest, "/dev") == 0;
  unsigned long flags = x->o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  /* A read-only tmpfs is filled first (tmpcopyup, /dev's nodes, a mode
     from the directory below) and made read-only after; /dev in finalize. */
  bool late_ro = (is_tmpfs || is_dev) && (flags & MS_RDONLY);
  if (late_ro)
    flags &= ~(unsigned long) MS_RDONLY;

  bool existed = false;
  if (is_tmpfs)
    {
      int probe = open_in_root (x->c->rootfs_fd, x->dest, O_PATH, 0, NULL);
      existed = probe >= 0;
      if (probe >= 0)
        close (probe);
    }
  cleanup_close int dfd = open_target (x, true, err);
  if (dfd < 0)
    return -1;
  struct stat under;
  if (fstat (dfd, &under) < 0)
    return fail_msg (x, errno, "stat target", err);

  cleanup_free char *data = NULL;
  if (x->label && label_applies (x->type))
    data = kago_selinux_mount_data (x->label, x->o.data);
  if (data == NULL && x->o.data)
    data = xstrdup (x->o.data);

  struct kago_mount_where w = { x->c->rootfs_fd, x->dest };
  cleanup_close int mfd = -1;
  const char *source = x->m->source && *x->m->source ? x->m->source : x->type;
  if (kago_mount_fs_at (dfd, &w, x->type, source, flags, data, &mfd, err) < 0)
    return fail (x, err);

  if (is_tmpfs)
    {
      if (x->o.tmpcopyup && tmpfs_copyup (x, dfd, mfd, err) < 0)
        return -1;
      if (existed && (x->o.data == NULL || strstr (x->o.data, "mode=") == NULL))
        {
          /* Keep the mode of the directory the tmpfs covers, as runc.  */
          cleanup_close int rfd = openat (mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (rfd < 0 || fchmod (rfd, under.st_mode & 07777) < 0)
            return fail_msg (x, errno, "chmod the tmpfs root", err);
        }
      if (late_ro && !is_dev && kago_mount_setattr_fd (mfd, false, MOUNT_ATTR_RDONLY, 0, err) < 0)
        return fail (x, err);
    }
  if (kago_mount_setattr_fd (mfd, true, x->o.rec_attr_set, x->o.rec_attr_clr, err) < 0)
    return fail (x, err);
  if (kago_mount_propagation_fd (mfd, x->o.propagation, err) < 0)
    return fail (x, err);
  if (mntfd_out)
    *mntfd_out = steal_fd (&mfd);
  return 0;
}

static int
mount_proc (struct mnt *x, kago_error_t *err)
{
  cleanup_close int mfd = -1;
  if (do_fs_mount (x, &mfd, err) < 0)
    return -1;
  struct statfs sf;
  if (fstatfs (mfd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
    return fail_msg (x, EINVAL, "the mounted filesystem is not procfs", err);
  if (strcmp (x->dest, "/proc") == 0)
    {
      int pfd = openat (mfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (pfd < 0)
        return fail_msg (x, errno, "open the new procfs", err);
      if (x->c->procfs_fd >= 0)
        close (x->c->procfs_fd);
      x->c->procfs_fd = pfd;
    }
  return 0;
}

static int
mount_sysfs (struct mnt *x, kago_error_t *err)
{
  cleanup_close int mfd = -1;
  kago_error_t e = NULL;
  if (do_fs_mount (x, &mfd, &e) < 0)
    {
      /* In a user namespace without its own network namespace sysfs cannot
         be mounted: bind the host's /sys instead, as runc does.  */
      if (e->errnum != EPERM)
        {
          *err = e;
          return -1;
        }
      kago_error_release (&e);
      if (x->o.flags & MS_RDONLY)
        x->o.rec_attr_set |= MOUNT_ATTR_RDONLY; /* host submounts too */
      if (do_bind (x, "/sys", true, &mfd, err) < 0)
        return -1;
    }
  struct statfs sf;
  if (fstatfs (mfd, &sf) < 0 || sf.f_type != SYSFS_MAGIC)
    return fail_msg (x, EINVAL, "the mounted filesystem is not sysfs", err);
  return 0;
}

static int
mount_mqueue (struct mnt *x, kago_error_t *err)
{
  kago_error_t e = NULL;
  if (do_fs_mount (x, NULL, &e) == 0)
    return 0;
  /* In a user namespace without its own ipc namespace: bind the host's
     /dev/mqueue when it has one.  */
  struct statfs sf;
  if (e->errnum != EPERM || !x->c->userns || statfs ("/dev/mqueue", &sf) < 0 || sf.f_type != MQUEUE_MAGIC)
    {
      *err = e;
      return -1;
    }
  kago_error_release (&e);
  return do_bind (x, "/dev/mqueue", false, NULL, err);
}

/* ---- cgroup ---- */

struct cg_line
{
  char *controllers; /* "cpu,cpuacct", "name=systemd", "" (v2) */
  char *path;
};

static void
cg_lines_free (struct cg_line *l, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (l[i].controllers);
      free (l[i].path);
    }
  free (l);
}

/* /proc/self/cgroup of the init (already in its cgroups).  */
static struct cg_line *
read_self_cgroup (size_t *n)
{
  cleanup_free char *buf = NULL;
  *n = 0;
  if (kago_read_proc_self ("cgroup", &buf, NULL) < 0)
    return NULL;
  struct cg_line *v = NULL;
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (!c2)
        continue;
      *c2 = '\0';
      v = xrealloc (v, (*n + 1) * sizeof *v);
      v[*n].controllers = xstrdup (c1 + 1);
      v[*n].path = xstrdup (c2 + 1);
      (*n)++;
    }
  return v;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place.  */
static void
unescape_octal (char *s)
{
  char *o = s;
  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
          s += 3;
        }
      else
        *o++ = *s;
    }
  *o = '\0';
}

static char *
next_field (char **p)
{
  char *s = *p;
  if (s == NULL)
    return NULL;
  char *e = strchr (s, ' ');
  if (e)
    {
      *e = '\0';
      *p = e + 1;
    }
  else
    *p = NULL;
  return s;
}

int
kago_mountinfo_parse_line (char *line, struct kago_mountinfo *mi)
{
  char *p = line;
  char *id = next_field (&p), *parent = next_field (&p), *devno = next_field (&p);
  mi->root = next_field (&p);
  mi->mountpoint = next_field (&p);
  mi->options = next_field (&p);
  if (!id || !parent || !devno || !mi->options || p == NULL)
    return -1;
  /* optional fields up to a lone "-" */
  mi->optional = p;
  char *sep;
  if (strncmp (p, "- ", 2) == 0)
    {
      mi->optional = (char *) "";
      sep = p;
    }
  else
    {
      sep = strstr (p, " - ");
      if (sep == NULL)
        return -1;
      *sep++ = '\0';
    }
  p = sep + 2;
  mi->fstype = next_field (&p);
  mi->source = next_field (&p);
  mi->super = p ? p : (char *) "";
  if (!mi->fstype || !mi->source)
    return -1;
  mi->id = strtoull (id, NULL, 10);
  mi->parent = strtoull (parent, NULL, 10);
  unescape_octal (mi->root);
  unescape_octal (mi->mountpoint);
  unescape_octal (mi->source);
  return 0;
}

/* Does the controller list A (comma separated, from /proc/self/cgroup)
   name the same set as the super options SUPER ("rw,cpu,cpuacct")?  */
static bool
cg_same_controllers (const char *a, const char *super)
{
  cleanup_free char *dup = xstrdup (a);
  char *save = NULL;
  size_t na = 0;
  for (char *t = strtok_r (dup, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      na++;
      size_t l = strlen (t);
      const char *p = super;
      bool found = false;
      while (p && *p)
        {
          if (strncmp (p, t, l) == 0 && (p[l] == ',' || p[l] == '\0'))
            {
              found = true;
              break;
            }
          p = strchr (p, ',');
          if (p)
            p++;
        }
      if (!found)
        return false;
    }
  return na > 0;
}

/* The controllers of a v1 super-option string, as fsconfig flags.  */
static int
cg_v1_fsconfig_data (const char *super, strbuf *data)
{
  cleanup_free char *dup = xstrdup (super);
  char *save = NULL;
  static const char *const skip[]
      = { "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", NULL };
  for (char *t = strtok_r (dup, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      bool s = strncmp (t, "release_agent=", 14) == 0;
      for (const char *const *k = skip; *k && !s; k++)
        s = strcmp (*k, t) == 0;
      if (s)
        continue;
      if (data->len)
        strbuf_addc (data, ',');
      strbuf_adds (data, t);
    }
  return 0;
}

/* cgroup v1 / hybrid: a tmpfs at the destination, and in it one directory
   per hierarchy holding the container's own cgroup (a bind of the host
   directory, or a fresh mount in a cgroup namespace), as runc does.  */
static int
mount_cgroup_v1 (struct mnt *x, kago_error_t *err)
{
  struct kago_init_ctx *c = x->c;
  bool ro = (x->o.flags & MS_RDONLY) != 0;
  cleanup_close int dfd = open_target (x, true, err);
  if (dfd < 0)
    return -1;
  struct kago_mount_where w = { c->rootfs_fd, x->dest };
  cleanup_free char *tdata = x->label ? kago_selinux_mount_data (x->label, "mode=755") : xstrdup ("mode=755");
  cleanup_close int tfd = -1;
  if (kago_mount_fs_at (dfd, &w, "tmpfs", "tmpfs", CGROUP_MOUNT_FLAGS, tdata, &tfd, err) < 0)
    return fail (x, err);

  size_t ncg = 0;
  struct cg_line *cgs = read_self_cgroup (&ncg);
  cleanup_free char *mi = NULL;
  if (kago_read_proc_self ("mountinfo", &mi, err) < 0)
    {
      cg_lines_free (cgs, ncg);
      return fail (x, err);
    }
  int ret = 0;
  char *save = NULL;
  for (char *line = strtok_r (mi, "\n", &save); line && ret == 0; line = strtok_r (NULL, "\n", &save))
    {
      struct kago_mountinfo e;
      if (kago_mountinfo_parse_line (line, &e) < 0)
        continue;
      bool v2 = strcmp (e.fstype, "cgroup2") == 0;
      if (strcmp (e.fstype, "cgroup") != 0 && !v2)
        continue;
      char *root = e.root, *mp = e.mountpoint, *super = e.super;
      if (path_is_or_under (mp, c->rootfs) || !path_is_or_under (mp, "/sys/fs/cgroup")
          || strcmp (mp, "/sys/fs/cgroup") == 0)
        continue;
      const char *name = strrchr (mp, '/') + 1;
      if (*name == '\0')
        continue;
      const char *cgpath = NULL;
      for (size_t i = 0; i < ncg && !cgpath; i++)
        if (v2 ? cgs[i].controllers[0] == '\0' : cg_same_controllers (cgs[i].controllers, super))
          cgpath = cgs[i].path;

      if (mkdirat (tfd, name, 0755) < 0 && errno != EEXIST)
        {
          ret = fail_msg (x, errno, "mkdir in the cgroup tmpfs", err);
          break;
        }
      cleanup_close int sub = openat (tfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        {
          ret = fail_msg (x, errno, "open in the cgroup tmpfs", err);
          break;
        }
      cleanup_free char *wpath = xasprintf ("%s/%s", x->dest, name);
      struct kago_mount_where sw = { c->rootfs_fd, wpath };
      unsigned long fl = CGROUP_MOUNT_FLAGS | (ro ? MS_RDONLY : 0);
      if (c->new_cgroupns)
        {
          strbuf d = STRBUF_INIT;
          if (!v2)
            cg_v1_fsconfig_data (super, &d);
          ret = kago_mount_fs_at (sub, &sw, v2 ? "cgroup2" : "cgroup", v2 ? "cgroup2" : "cgroup", fl, d.buf,
                                  NULL, err);
          strbuf_release (&d);
        }
      else
        {
          /* The container's own directory in this hierarchy.  */
          cleanup_free char *host = NULL;
          if (cgpath && strcmp (root, "/") == 0)
            host = xasprintf ("%s%s", mp, strcmp (cgpath, "/") == 0 ? "" : cgpath);
          else if (cgpath && path_is_or_under (cgpath, root))
            host = xasprintf ("%s%s", mp, cgpath + strlen (root));
          else
            host = xstrdup (mp);
          unsigned long long set
              = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | (ro ? MOUNT_ATTR_RDONLY : 0);
          ret = kago_mount_bind_at (AT_FDCWD, host, sub, &sw, true, set, 0, 0, 0, NULL, err);
        }
      if (ret < 0)
        {
          kago_error_wrap (err, "cgroup hierarchy `%s`", name);
          fail (x, err);
          break;
        }
      /* "cpu,cpuacct" is also reachable as "cpu" and "cpuacct".  */
      if (strchr (name, ','))
        {
          cleanup_free char *dup = xstrdup (name);
          char *s2 = NULL;
          for (char *t = strtok_r (dup, ",", &s2); t; t = strtok_r (NULL, ",", &s2))
            if (symlinkat (name, tfd, t) < 0 && errno != EEXIST)
              {
                ret = fail_msg (x, errno, "symlink a co-mounted controller", err);
                break;
              }
        }
    }
  cg_lines_free (cgs, ncg);
  if (ret < 0)
    return -1;
  if (ro && kago_mount_setattr_fd (tfd, false, MOUNT_ATTR_RDONLY, 0, err) < 0)
    return fail (x, err);
  return kago_mount_propagation_fd (tfd, x->o.propagation, err) < 0 ? fail (x, err) : 0;
}

static int
mount_cgroup (struct mnt *x, kago_error_t *err)
{
  if (x->c->join_cgroups && x->c->join_cgroups (x->c, err) < 0)
    return -1;
  struct statfs sf;
  if (statfs ("/sys/fs/cgroup", &sf) < 0)
    return fail_msg (x, errno, "statfs /sys/fs/cgroup", err);
  if (sf.f_type != CGROUP2_SUPER_MAGIC)
    return mount_cgroup_v1 (x, err);

  /* cgroup v2: a cgroup2 mount (rooted at the container's cgroup in a
     cgroup namespace); where that is refused, a bind of the container's
     cgroup directory (or of the whole hierarchy, as runc).  */
  const char *saved = x->type;
  x->type = "cgroup2";
  kago_error_t e = NULL;
  int r = do_fs_mount (x, NULL, &e);
  x->type = saved;
  if (r == 0)
    return 0;
  if (e->errnum != EPERM && e->errnum != EBUSY)
    {
      *err = e;
      return -1;
    }
  kago_error_release (&e);
  const char *src = "/sys/fs/cgroup";
  struct statfs cf;
  if (x->c->cgroup_path_unified && statfs (x->c->cgroup_path_unified, &cf) == 0
      && cf.f_type == CGROUP2_SUPER_MAGIC)
    src = x->c->cgroup_path_unified;
  x->o.flags |= CGROUP_MOUNT_FLAGS;
  return do_bind (x, src, true, NULL, err);
}

/* ---- one mount ---- */

static int
mount_one (struct mnt *x, kago_error_t *err)
{
  if (x->o.bind)
    {
      if (check_proc_mount (x, err) < 0)
        return -1;
      if (x->idmap_fd >= 0)
        return attach_idmapped (x, err);
      return do_bind (x, x->source, x->o.rbind, NULL, err);
    }
  if (check_proc_mount (x, err) < 0)
    return -1;
  if (x->o.flags & MS_REMOUNT)
    {
      /* A remount of what is already mounted there.  */
      cleanup_close int fd = open_in_root (x->c->rootfs_fd, x->dest, O_PATH, 0, err);
      if (fd < 0)
        return fail (x, err);
      unsigned long long set, clr;
      kago_mount_opts_bind_attrs (&x->o, &set, &clr);
      if (kago_mount_setattr_fd (fd, false, set, clr, err) < 0
          || kago_mount_propagation_fd (fd, x->o.propagation, err) < 0)
        return fail (x, err);
      return 0;
    }
  if (strcmp (x->type, "proc") == 0)
    return mount_proc (x, err);
  if (strcmp (x->type, "sysfs") == 0)
    return mount_sysfs (x, err);
  if (strcmp (x->type, "mqueue") == 0)
    return mount_mqueue (x, err);
  if (strcmp (x->type, "cgroup") == 0)
    return mount_cgroup (x, err);
  return do_fs_mount (x, NULL, err);
}

static int
mnt_init (struct kago_init_ctx *c, size_t i, struct mnt *x, kago_error_t *err)
{
  const oci_mount *m = &c->spec->mounts[i];
  memset (x, 0, sizeof *x);
  x->c = c;
  x->index = i;
  x->m = m;
  if (c->spec->has_linux && c->spec->linux_.mount_label && *c->spec->linux_.mount_label)
    x->label = c->spec->linux_.mount_label;
  if (m->destination == NULL || *m->destination == '\0')
    return kago_error_set (err, EINVAL, "mounts[%zu]: no destination", i);
  x->dest = kago_path_clean (m->destination);
  if (kago_mount_opts_parse ((const char *const *) m->options.v, m->options.n, &x->o, err) < 0)
    return kago_error_wrap (err, "mounts[%zu]", i);
  x->idmap_fd = -1;
  if (kago_idmap_mount_wanted (m))
    {
      /* The parent's idmapped trees come in mount order, after the rootfs. */
      size_t k = c->idmap_rootfs ? 1 : 0;
      for (size_t j = 0; j < i; j++)
        k += kago_idmap_mount_wanted (&c->spec->mounts[j]);
      if (k >= c->n_idmap_fds)
        return kago_error_set (err, 0, "mounts[%zu]: the idmapped tree did not arrive from the runtime", i);
      x->idmap_slot = k;
      x->idmap_fd = c->idmap_fds[k];
    }
  const char *t = m->type && *m->type ? m->type : NULL;
  if (t && strcmp (t, "bind") == 0)
    x->o.bind = true;
  if (x->o.bind)
    {
      x->type = t ? t : "bind";
      if (m->source == NULL || *m->source == '\0')
        return kago_error_set (err, EINVAL, "mounts[%zu]: a bind mount needs a source", i);
      x->source = m->source[0] == '/' || c->bundle == NULL ? xstrdup (m->source)
                                                           : xasprintf ("%s/%s", c->bundle, m->source);
      return 0;
    }
  if (t == NULL)
    return kago_error_set (err, EINVAL, "mounts[%zu] (`%s`): no type and not a bind mount", i, x->dest);
  x->type = t;
  return 0;
}

int
kago_mounts_setup (struct kago_init_ctx *c, kago_error_t *err)
{
  const oci_spec *s = c->spec;
  /* Validate everything first, so a bad entry leaves nothing mounted.  */
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      struct mnt x;
      int r = mnt_init (c, i, &x, err);
      mnt_clear (&x);
      if (r < 0)
        return -1;
    }
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      struct mnt x;
      int r = mnt_init (c, i, &x, err);
      if (r == 0)
        r = mount_one (&x, err);
      mnt_clear (&x);
      if (r < 0)
        return -1;
    }
  return 0;
}
