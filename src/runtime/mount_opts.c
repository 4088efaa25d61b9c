/* Mount options of config.json "mounts[].options" -> flags, propagation,
 * recursive attributes and the data string (runtime-spec config.md "Mounts",
 * mount(8) names, runc's extensions: r* recursive attributes, tmpcopyup).
 * Later options win over earlier ones ("ro,rw" is rw).
 */
#include "runtime/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

enum opt_kind
{
  OPT_SET,    /* set an MS_* flag */
  OPT_CLEAR,  /* clear an MS_* flag */
  OPT_PROP,   /* propagation */
  OPT_RSET,   /* recursive attribute set */
  OPT_RCLEAR, /* recursive attribute clear */
};

struct opt_def
{
  const char *name;
  enum opt_kind kind;
  unsigned long long value;
};

static const struct opt_def opt_table[] = {
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "silent", OPT_SET, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },

  { "private", OPT_PROP, MS_PRIVATE },
  { "rprivate", OPT_PROP, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROP, MS_SHARED },
  { "rshared", OPT_PROP, MS_SHARED | MS_REC },
  { "slave", OPT_PROP, MS_SLAVE },
  { "rslave", OPT_PROP, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROP, MS_UNBINDABLE },
  { "runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC },

  { "rro", OPT_RSET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_RCLEAR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_RSET, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_RCLEAR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_RSET, MOUNT_ATTR_NODEV },
  { "rdev", OPT_RCLEAR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_RSET, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_RCLEAR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_RSET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_RCLEAR, MOUNT_ATTR_NODIRATIME },
  { "rrelatime", OPT_RSET, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_RCLEAR, MOUNT_ATTR_RELATIME },
  { "rnoatime", OPT_RSET, MOUNT_ATTR_NOATIME },
  { "ratime", OPT_RCLEAR, MOUNT_ATTR_NOATIME },
  { "rstrictatime", OPT_RSET, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_RCLEAR, MOUNT_ATTR_STRICTATIME },
  { "rnosymfollow", OPT_RSET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_RCLEAR, MOUNT_ATTR_NOSYMFOLLOW },
};

/* The atime attributes are one field (MOUNT_ATTR__ATIME), not bits: setting
   one means "clear the field, then set this value"; clearing one means "back
   to the default" (relatime, value 0).  The kernel wants the whole field in
   attr_clr whenever it is touched.  */
static bool
is_atime_attr (const struct opt_def *d)
{
  return strcmp (d->name + 1, "relatime") == 0 || strcmp (d->name + 1, "norelatime") == 0
         || strcmp (d->name + 1, "noatime") == 0 || strcmp (d->name + 1, "atime") == 0
         || strcmp (d->name + 1, "strictatime") == 0 || strcmp (d->name + 1, "nostrictatime") == 0;
}

int
kago_mount_propagation_parse (const char *name, unsigned long *flags)
{
  for (size_t i = 0; i < sizeof opt_table / sizeof opt_table[0]; i++)
    if (opt_table[i].kind == OPT_PROP && strcmp (opt_table[i].name, name) == 0)
      {
        *flags = (unsigned long) opt_table[i].value;
        return 0;
      }
  return -1;
}

int
kago_mount_opts_parse (const char *const *options, size_t n, struct kago_mount_opts *out, kago_error_t *err)
{
  (void) err;
  cleanup_strbuf strbuf data = STRBUF_INIT;
  memset (out, 0, sizeof *out);

  for (size_t i = 0; i < n; i++)
    {
      const char *o = options[i];
      if (o == NULL || *o == '\0')
        continue;
      const struct opt_def *d = NULL;
      for (size_t k = 0; k < sizeof opt_table / sizeof opt_table[0]; k++)
        if (strcmp (opt_table[k].name, o) == 0)
          {
            d = &opt_table[k];
            break;
          }
      if (d)
        {
          switch (d->kind)
            {
            case OPT_SET:
              out->flags |= (unsigned long) d->value;
              out->clear_flags &= ~(unsigned long) d->value;
              break;
            case OPT_CLEAR:
              out->flags &= ~(unsigned long) d->value;
              out->clear_flags |= (unsigned long) d->value;
              break;
            case OPT_PROP:
              out->propagation = (unsigned long) d->value;
              break;
            case OPT_RSET:
              if (is_atime_attr (d))
                {
                  out->rec_attr_set
                      = (out->rec_attr_set & ~(unsigned long long) MOUNT_ATTR__ATIME) | d->value;
                  out->rec_attr_clr |= MOUNT_ATTR__ATIME;
                }
              else
                {
                  out->rec_attr_set |= d->value;
                  out->rec_attr_clr &= ~d->value;
                }
              break;
            case OPT_RCLEAR:
              if (is_atime_attr (d))
                {
                  /* Only undo the value named; the field goes back to relatime. */
                  if ((out->rec_attr_set & MOUNT_ATTR__ATIME) == d->value || d->value == MOUNT_ATTR_RELATIME)
                    out->rec_attr_set &= ~(unsigned long long) MOUNT_ATTR__ATIME;
                  out->rec_attr_clr |= MOUNT_ATTR__ATIME;
                }
              else
                {
                  out->rec_attr_set &= ~d->value;
                  out->rec_attr_clr |= d->value;
                }
              break;
            default:
              break;
            }
          continue;
        }
      if (strcmp (o, "bind") == 0)
        out->bind = true;
      else if (strcmp (o, "rbind") == 0)
        out->bind = out->rbind = true;
      else if (strcmp (o, "idmap") == 0)
        out->idmap = true;
      else if (strcmp (o, "ridmap") == 0)
        out->idmap = out->ridmap = true;
      else if (strcmp (o, "tmpcopyup") == 0)
        out->tmpcopyup = true;
      else
        {
          if (data.len)
            strbuf_addc (&data, ',');
          strbuf_adds (&data, o);
        }
    }
  out->data = data.len ? strbuf_detach (&data) : NULL;
  return 0;
}

void
kago_mount_opts_clear (struct kago_mount_opts *o)
{
  free (o->data);
  o->data = NULL;
}

unsigned long long
kago_mount_flags_to_attr (unsigned long flags)
{
  unsigned long long a = 0;
  if (flags & MS_RDONLY)
    a |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOSYMFOLLOW)
    a |= MOUNT_ATTR_NOSYMFOLLOW;
  if (flags & MS_NOATIME)
    a |= MOUNT_ATTR_NOATIME;
  else if (flags & MS_STRICTATIME)
    a |= MOUNT_ATTR_STRICTATIME;
  return a;
}

void
kago_mount_opts_bind_attrs (const struct kago_mount_opts *o, unsigned long long *set, unsigned long long *clr)
{
  unsigned long atime = MS_NOATIME | MS_STRICTATIME | MS_RELATIME;
  *set = kago_mount_flags_to_attr (o->flags & ~atime);
  *clr = kago_mount_flags_to_attr (o->clear_flags & ~atime);
  if (o->flags & atime)
    {
      *set |= kago_mount_flags_to_attr (o->flags & atime);
      *clr |= MOUNT_ATTR__ATIME;
    }
  else if (o->clear_flags & atime)
    *clr |= MOUNT_ATTR__ATIME; /* back to relatime */
}

/* ---- fd-based mount primitives ----
 *
 * Every mount kago makes lands on an fd that was resolved inside the rootfs:
 * the new mount API (fsopen/fsmount, open_tree/move_mount, mount_setattr)
 * needs no path at all; on kernels without it (ENOSYS) mount(2) is given
 * "/proc/self/fd/N", which names the same (mount, dentry) pair.
 */

#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif

/* Append the fs_context error log of FSFD (lines "e tmpfs: Bad value ...") to
   the message in *err.  */
static void
add_fs_log (int fsfd, kago_error_t *err)
{
  char buf[512];
  for (int i = 0; i < 8; i++)
    {
      ssize_t n = read (fsfd, buf, sizeof buf - 1);
      if (n <= 0)
        break;
      buf[n] = '\0';
      if (n > 2 && buf[1] == ' ')
        kago_error_wrap (err, "%s", buf + 2);
    }
}

/* Split mount data into options, respecting double quotes (context="a,b").  */
static char **
split_data (const char *data)
{
  size_t cap = 8, n = 0;
  char **v = xcalloc (cap, sizeof (char *));
  const char *p = data;
  while (p && *p)
    {
      const char *s = p;
      bool q = false;
      while (*p && (q || *p != ','))
        {
          if (*p == '"')
            q = !q;
          p++;
        }
      if (p > s)
        {
          if (n + 2 > cap)
            {
              cap *= 2;
              v = xrealloc (v, cap * sizeof (char *));
            }
          v[n++] = xstrndup (s, (size_t) (p - s));
          v[n] = NULL;
        }
      if (*p == ',')
        p++;
    }
  return v;
}

static int
fsconfig_data (int fsfd, const char *fstype, const char *data, kago_error_t *err)
{
  cleanup_strv char **opts = split_data (data);
  for (char **o = opts; *o; o++)
    {
      char *eq = strchr (*o, '=');
      int r;
      if (eq)
        {
          *eq = '\0';
          char *val = eq + 1;
          size_t vl = strlen (val);
          if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"')
            {
              val[vl - 1] = '\0';
              val++;
            }
          r = fsconfig (fsfd, FSCONFIG_SET_STRING, *o, val, 0);
        }
      else
        r = fsconfig (fsfd, FSCONFIG_SET_FLAG, *o, NULL, 0);
      if (r < 0)
        {
          int en = errno;
          kago_error_set (err, en, "%s: option `%s%s%s`", fstype, *o, eq ? "=" : "", eq ? eq + 1 : "");
          add_fs_log (fsfd, err);
          return -1;
        }
    }
  return 0;
}

/* Superblock flags of mount(2) that have an fsconfig name.  */
static int
fsconfig_sb_flags (int fsfd, unsigned long flags, kago_error_t *err)
{
  static const struct
  {
    unsigned long f;
    const char *name;
  } sb[] = {
    { MS_RDONLY, "ro" },         { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" },
    { MS_LAZYTIME, "lazytime" }, { MS_MANDLOCK, "mand" },
  };
  for (size_t i = 0; i < sizeof sb / sizeof sb[0]; i++)
    if ((flags & sb[i].f) && fsconfig (fsfd, FSCONFIG_SET_FLAG, sb[i].name, NULL, 0) < 0)
      {
        kago_error_set (err, errno, "fsconfig `%s`", sb[i].name);
        add_fs_log (fsfd, err);
        return -1;
      }
  return 0;
}

/* Legacy kernels: mount(2) on "/proc/self/fd/N" mounts on top of the fd's
   dentry, but the magic link keeps naming the dentry below; the new mount is
   found again by resolving WHERE inside ROOTFD.  */
static int
legacy_reopen (const struct kago_mount_where *w, int *mntfd_out, kago_error_t *err)
{
  if (mntfd_out == NULL)
    return 0;
  if (w == NULL)
    return kago_error_set (err, ENOSYS, "mount API missing and no path to find the new mount");
  *mntfd_out = open_in_root (w->rootfd, w->path, O_PATH, 0, err);
  return *mntfd_out < 0 ? -1 : 0;
}

int
kago_mount_fs_at (int dstfd, const struct kago_mount_where *w, const char *fstype, const char *source,
                  unsigned long flags, const char *data, int *mntfd_out, kago_error_t *err)
{
  if (mntfd_out)
    *mntfd_out = -1;
  cleanup_close int fsfd = fsopen (fstype, FSOPEN_CLOEXEC);
  if (fsfd < 0 && errno == ENOSYS)
    {
      char p[64];
      if (mount (source ? source : fstype, proc_fd_path (p, sizeof p, dstfd), fstype,
                 flags & ~(MS_BIND | MS_REC | MS_REMOUNT | MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE),
                 data)
          < 0)
        return kago_error_set (err, errno, "mount");
      return legacy_reopen (w, mntfd_out, err);
    }
  if (fsfd < 0)
    return kago_error_set (err, errno, "fsopen `%s`", fstype);
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "source", source ? source : fstype, 0) < 0)
    {
      kago_error_set (err, errno, "%s: source `%s`", fstype, source ? source : fstype);
      add_fs_log (fsfd, err);
      return -1;
    }
  if (fsconfig_sb_flags (fsfd, flags, err) < 0 || fsconfig_data (fsfd, fstype, data, err) < 0)
    return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    {
      kago_error_set (err, errno, "create a `%s` filesystem", fstype);
      add_fs_log (fsfd, err);
      return -1;
    }
  cleanup_close int mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned int) kago_mount_flags_to_attr (flags));
  if (mfd < 0)
    {
      kago_error_set (err, errno, "fsmount `%s`", fstype);
      add_fs_log (fsfd, err);
      return -1;
    }
  if (move_mount (mfd, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return kago_error_set (err, errno, "move_mount");
  if (mntfd_out)
    *mntfd_out = steal_fd (&mfd);
  return 0;
}

int
kago_mount_setattr_fd (int mntfd, bool recursive, unsigned long long set, unsigned long long clr,
                       kago_error_t *err)
{
  if (set == 0 && clr == 0)
    return 0;
  struct mount_attr a = { 0 };
  a.attr_set = set;
  a.attr_clr = clr;
  if (mount_setattr (mntfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a) == 0)
    return 0;
  if (errno != ENOSYS)
    return kago_error_set (err, errno, "mount_setattr");
  if (recursive)
    return kago_error_set (err, ENOSYS, "recursive mount attributes need mount_setattr (Linux 5.12)");
  /* MS_BIND|MS_REMOUNT sets every per-mount flag: start from the current ones. */
  struct statfs sf;
  if (fstatfs (mntfd, &sf) < 0)
    return kago_error_set (err, errno, "statfs");
  unsigned long f = MS_BIND | MS_REMOUNT;
  static const struct
  {
    unsigned long st, ms;
    unsigned long long attr;
  } m[] = {
    { ST_RDONLY, MS_RDONLY, MOUNT_ATTR_RDONLY },
    { ST_NOSUID, MS_NOSUID, MOUNT_ATTR_NOSUID },
    { ST_NODEV, MS_NODEV, MOUNT_ATTR_NODEV },
    { ST_NOEXEC, MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { ST_NODIRATIME, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
  };
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
    if (((unsigned long) sf.f_flags & m[i].st) && !(clr & m[i].attr))
      f |= m[i].ms;
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
    if (set & m[i].attr)
      f |= m[i].ms;
  if (!(clr & MOUNT_ATTR__ATIME))
    {
      if (sf.f_flags & ST_NOATIME)
        f |= MS_NOATIME;
      if (sf.f_flags & ST_RELATIME)
        f |= MS_RELATIME;
    }
  else if ((set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME)
    f |= MS_NOATIME;
  else if ((set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME)
    f |= MS_STRICTATIME;
  char p[64];
  if (mount (NULL, proc_fd_path (p, sizeof p, mntfd), NULL, f, NULL) < 0)
    return kago_error_set (err, errno, "remount");
  return 0;
}

int
kago_mount_propagation_fd (int mntfd, unsigned long prop, kago_error_t *err)
{
  if (prop == 0)
    return 0;
  struct mount_attr a = { 0 };
  a.propagation = prop & ~(unsigned long) MS_REC;
  if (mount_setattr (mntfd, "", AT_EMPTY_PATH | ((prop & MS_REC) ? AT_RECURSIVE : 0), &a, sizeof a) == 0)
    return 0;
  if (errno != ENOSYS)
    return kago_error_set (err, errno, "set propagation");
  char p[64];
  if (mount (NULL, proc_fd_path (p, sizeof p, mntfd), NULL, prop, NULL) < 0)
    return kago_error_set (err, errno, "set propagation");
  return 0;
}

int
kago_mount_bind_at (int srcfd, const char *srcpath, int dstfd, const struct kago_mount_where *w,
                    bool recursive, unsigned long long set, unsigned long long clr, unsigned long long rset,
                    unsigned long long rclr, int *mntfd_out, kago_error_t *err)
{
  if (mntfd_out)
    *mntfd_out = -1;
  unsigned int of = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  if (srcpath == NULL || *srcpath == '\0')
    of |= AT_EMPTY_PATH;
  cleanup_close int tfd = open_tree (srcfd, srcpath ? srcpath : "", of);
  if (tfd < 0 && errno == ENOSYS)
    {
      char s[64], d[64];
      cleanup_close int sfd = -1;
      if (srcpath && *srcpath)
        {
          sfd = openat (srcfd, srcpath, O_PATH | O_CLOEXEC);
          if (sfd < 0)
            return kago_error_set (err, errno, "open bind source");
          srcfd = sfd;
        }
      if (mount (proc_fd_path (s, sizeof s, srcfd), proc_fd_path (d, sizeof d, dstfd), NULL,
                 MS_BIND | (recursive ? MS_REC : 0), NULL)
          < 0)
        return kago_error_set (err, errno, "bind mount");
      if (set || clr || rset || rclr || mntfd_out)
        {
          cleanup_close int nfd = -1;
          if (legacy_reopen (w, &nfd, err) < 0)
            return -1;
          if (kago_mount_setattr_fd (nfd, false, set, clr, err) < 0
              || kago_mount_setattr_fd (nfd, true, rset, rclr, err) < 0)
            return -1;
          if (mntfd_out)
            *mntfd_out = steal_fd (&nfd);
        }
      return 0;
    }
  if (tfd < 0)
    return kago_error_set (err, errno, "open_tree (bind source)");
  if (kago_mount_setattr_fd (tfd, true, rset, rclr, err) < 0
      || kago_mount_setattr_fd (tfd, false, set, clr, err) < 0)
    return -1;
  if (move_mount (tfd, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return kago_error_set (err, errno, "move_mount");
  if (mntfd_out)
    *mntfd_out = steal_fd (&tfd);
  return 0;
}

int
kago_dev_mount_kind (const oci_spec *s, bool *found, bool *bound, bool *readonly, kago_error_t *err)
{
  *found = *bound = *readonly = false;
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      const oci_mount *m = &s->mounts[i];
      if (m->destination == NULL)
        continue;
      cleanup_free char *d = kago_path_clean (m->destination);
      if (strcmp (d, "/dev") != 0)
        continue;
      struct kago_mount_opts o;
      if (kago_mount_opts_parse ((const char *const *) m->options.v, m->options.n, &o, err) < 0)
        return kago_error_wrap (err, "mounts[%zu]", i);
      *found = true;
      *bound = o.bind || (m->type && strcmp (m->type, "bind") == 0);
      *readonly = (o.flags & MS_RDONLY) && !*bound;
      kago_mount_opts_clear (&o);
    }
  return 0;
}
