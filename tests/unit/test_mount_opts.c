/* Mount options -> flags / propagation / recursive attributes / data.  */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/mounts.h"
#include "tap.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static struct kago_mount_opts
parse1 (const char *o)
{
  struct kago_mount_opts r;
  const char *v[1] = { o };
  kago_error_t err = NULL;
  if (kago_mount_opts_parse (v, 1, &r, &err) < 0)
    printf ("# parse %s failed\n", o);
  return r;
}

#define PARSE(...)                                                                                           \
  ({                                                                                                         \
    const char *v_[] = { __VA_ARGS__ };                                                                      \
    struct kago_mount_opts r_;                                                                               \
    kago_error_t e_ = NULL;                                                                                  \
    kago_mount_opts_parse (v_, sizeof v_ / sizeof v_[0], &r_, &e_);                                          \
    r_;                                                                                                      \
  })

struct flag_case
{
  const char *name;
  unsigned long set, clear;
};

TEST (every_flag_option)
{
  static const struct flag_case cases[] = {
    { "ro", MS_RDONLY, 0 },
    { "rw", 0, MS_RDONLY },
    { "nosuid", MS_NOSUID, 0 },
    { "suid", 0, MS_NOSUID },
    { "nodev", MS_NODEV, 0 },
    { "dev", 0, MS_NODEV },
    { "noexec", MS_NOEXEC, 0 },
    { "exec", 0, MS_NOEXEC },
    { "sync", MS_SYNCHRONOUS, 0 },
    { "async", 0, MS_SYNCHRONOUS },
    { "dirsync", MS_DIRSYNC, 0 },
    { "remount", MS_REMOUNT, 0 },
    { "mand", MS_MANDLOCK, 0 },
    { "nomand", 0, MS_MANDLOCK },
    { "atime", 0, MS_NOATIME },
    { "noatime", MS_NOATIME, 0 },
    { "diratime", 0, MS_NODIRATIME },
    { "nodiratime", MS_NODIRATIME, 0 },
    { "relatime", MS_RELATIME, 0 },
    { "norelatime", 0, MS_RELATIME },
    { "strictatime", MS_STRICTATIME, 0 },
    { "nostrictatime", 0, MS_STRICTATIME },
    { "lazytime", MS_LAZYTIME, 0 },
    { "nolazytime", 0, MS_LAZYTIME },
    { "silent", MS_SILENT, 0 },
    { "loud", 0, MS_SILENT },
    { "iversion", MS_I_VERSION, 0 },
    { "noiversion", 0, MS_I_VERSION },
    { "nosymfollow", MS_NOSYMFOLLOW, 0 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct kago_mount_opts o = parse1 (cases[i].name);
      if (o.flags != cases[i].set || o.clear_flags != cases[i].clear || o.data != NULL || o.propagation
          || o.rec_attr_set || o.rec_attr_clr || o.bind)
        {
          printf ("# option %s: flags %#lx clear %#lx\n", cases[i].name, o.flags, o.clear_flags);
          tap_cur_failed = 1;
        }
      kago_mount_opts_clear (&o);
    }
}

TEST (later_options_win)
{
  struct kago_mount_opts o = PARSE ("ro", "rw");
  CHECK (!(o.flags & MS_RDONLY));
  CHECK (o.clear_flags & MS_RDONLY);
  o = PARSE ("rw", "nosuid", "ro");
  CHECK (o.flags == (MS_RDONLY | MS_NOSUID));
  CHECK (o.clear_flags == 0);
}

TEST (propagation)
{
  struct
  {
    const char *n;
    unsigned long v;
  } c[] = {
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
    {
      struct kago_mount_opts o = parse1 (c[i].n);
      CHECK (o.propagation == c[i].v && o.flags == 0 && o.data == NULL);
      unsigned long f = 0;
      CHECK (kago_mount_propagation_parse (c[i].n, &f) == 0 && f == c[i].v);
    }
  unsigned long f = 0;
  CHECK (kago_mount_propagation_parse ("bogus", &f) < 0);
  CHECK (kago_mount_propagation_parse ("ro", &f) < 0);
}

TEST (bind_rbind)
{
  struct kago_mount_opts o = parse1 ("bind");
  CHECK (o.bind && !o.rbind && o.flags == 0 && o.data == NULL);
  o = parse1 ("rbind");
  CHECK (o.bind && o.rbind && o.flags == 0);
  o = PARSE ("rbind", "ro", "rprivate");
  CHECK (o.rbind && o.flags == MS_RDONLY && o.propagation == (MS_PRIVATE | MS_REC));
}

struct rcase
{
  const char *name;
  unsigned long long set, clr;
};

TEST (recursive_attrs)
{
  static const struct rcase c[] = {
    { "rro", MOUNT_ATTR_RDONLY, 0 },
    { "rrw", 0, MOUNT_ATTR_RDONLY },
    { "rnosuid", MOUNT_ATTR_NOSUID, 0 },
    { "rsuid", 0, MOUNT_ATTR_NOSUID },
    { "rnodev", MOUNT_ATTR_NODEV, 0 },
    { "rdev", 0, MOUNT_ATTR_NODEV },
    { "rnoexec", MOUNT_ATTR_NOEXEC, 0 },
    { "rexec", 0, MOUNT_ATTR_NOEXEC },
    { "rnodiratime", MOUNT_ATTR_NODIRATIME, 0 },
    { "rdiratime", 0, MOUNT_ATTR_NODIRATIME },
    { "rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rnorelatime", 0, MOUNT_ATTR__ATIME },
    { "rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
    { "ratime", 0, MOUNT_ATTR__ATIME },
    { "rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
    { "rnostrictatime", 0, MOUNT_ATTR__ATIME },
    { "rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 },
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
    {
      struct kago_mount_opts o = parse1 (c[i].name);
      if (o.rec_attr_set != c[i].set || o.rec_attr_clr != c[i].clr || o.flags || o.clear_flags || o.data)
        {
          printf ("# option %s: set %#llx clr %#llx\n", c[i].name, o.rec_attr_set, o.rec_attr_clr);
          tap_cur_failed = 1;
        }
    }
  /* combinations: the last atime wins, set/clear cancel each other */
  struct kago_mount_opts o = PARSE ("rnoatime", "rstrictatime");
  CHECK (o.rec_attr_set == MOUNT_ATTR_STRICTATIME && o.rec_attr_clr == MOUNT_ATTR__ATIME);
  o = PARSE ("rnoatime", "ratime");
  CHECK (o.rec_attr_set == 0 && o.rec_attr_clr == MOUNT_ATTR__ATIME);
  o = PARSE ("rro", "rnosuid", "rrw");
  CHECK (o.rec_attr_set == MOUNT_ATTR_NOSUID && o.rec_attr_clr == MOUNT_ATTR_RDONLY);
  o = PARSE ("rrw", "rro");
  CHECK (o.rec_attr_set == MOUNT_ATTR_RDONLY && o.rec_attr_clr == 0);
}

TEST (idmap_tmpcopyup)
{
  struct kago_mount_opts o = parse1 ("idmap");
  CHECK (o.idmap && !o.ridmap && o.data == NULL);
  o = parse1 ("ridmap");
  CHECK (o.ridmap && o.idmap);
  o = parse1 ("tmpcopyup");
  CHECK (o.tmpcopyup && o.data == NULL && o.flags == 0);
}

TEST (data_collects_the_rest)
{
  struct kago_mount_opts o
      = PARSE ("nosuid", "mode=755", "strictatime", "size=65536k", "", "newinstance", "gid=5");
  CHECK_STR (o.data, "mode=755,size=65536k,newinstance,gid=5");
  CHECK (o.flags == (MS_NOSUID | MS_STRICTATIME));
  kago_mount_opts_clear (&o);
  CHECK (o.data == NULL);
  o = PARSE ("ro");
  CHECK (o.data == NULL);
  o = PARSE ("context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
  CHECK_STR (o.data, "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
  kago_mount_opts_clear (&o);
  kago_error_t err = NULL;
  CHECK (kago_mount_opts_parse (NULL, 0, &o, &err) == 0 && o.data == NULL && o.flags == 0);
}

TEST (docker_defaults)
{
  struct kago_mount_opts o = PARSE ("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
  CHECK (o.flags == (MS_NOSUID | MS_NOEXEC));
  CHECK_STR (o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  kago_mount_opts_clear (&o);
  o = PARSE ("ro", "nosuid", "noexec", "nodev");
  CHECK (o.flags == (MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV) && o.data == NULL);
}

TEST (flags_to_attr)
{
  CHECK (kago_mount_flags_to_attr (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
         == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  CHECK (kago_mount_flags_to_attr (MS_NOATIME) == MOUNT_ATTR_NOATIME);
  CHECK (kago_mount_flags_to_attr (MS_STRICTATIME) == MOUNT_ATTR_STRICTATIME);
  CHECK (kago_mount_flags_to_attr (MS_RELATIME) == MOUNT_ATTR_RELATIME);
  CHECK (kago_mount_flags_to_attr (MS_NODIRATIME | MS_NOSYMFOLLOW) == (MOUNT_ATTR_NODIRATIME | 0x00200000));
  CHECK (kago_mount_flags_to_attr (MS_SYNCHRONOUS | MS_BIND | MS_REC) == 0);

  unsigned long long set, clr;
  struct kago_mount_opts o = PARSE ("bind", "ro", "nosuid", "dev");
  kago_mount_opts_bind_attrs (&o, &set, &clr);
  CHECK (set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID) && clr == MOUNT_ATTR_NODEV);
  o = PARSE ("bind", "noatime");
  kago_mount_opts_bind_attrs (&o, &set, &clr);
  CHECK (set == MOUNT_ATTR_NOATIME && clr == MOUNT_ATTR__ATIME);
  o = PARSE ("bind", "atime");
  kago_mount_opts_bind_attrs (&o, &set, &clr);
  CHECK (set == 0 && clr == MOUNT_ATTR__ATIME);
  o = PARSE ("bind", "rw");
  kago_mount_opts_bind_attrs (&o, &set, &clr);
  CHECK (set == 0 && clr == MOUNT_ATTR_RDONLY);
}

TEST (path_clean)
{
  static const char *const c[][2] = {
    { "/proc", "/proc" },
    { "/proc/", "/proc" },
    { "//a//b/", "/a/b" },
    { "/a/./b/../c", "/a/c" },
    { "/../../etc", "/etc" },
    { "relative/x", "/relative/x" },
    { "/", "/" },
    { "", "/" },
    { "/a/..", "/" },
    { "/proc/../proc/sys", "/proc/sys" },
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
    {
      char *r = kago_path_clean (c[i][0]);
      CHECK_STR (r, c[i][1]);
      free (r);
    }
}

TEST (mountinfo_line)
{
  struct kago_mountinfo m;
  char l1[] = "36 35 98:0 /mnt1 /mnt\\0402 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue";
  CHECK (kago_mountinfo_parse_line (l1, &m) == 0);
  CHECK (m.id == 36 && m.parent == 35);
  CHECK_STR (m.root, "/mnt1");
  CHECK_STR (m.mountpoint, "/mnt 2");
  CHECK_STR (m.options, "rw,noatime");
  CHECK_STR (m.optional, "master:1 shared:7");
  CHECK_STR (m.fstype, "ext3");
  CHECK_STR (m.source, "/dev/root");
  CHECK_STR (m.super, "rw,errors=continue");

  char l2[] = "75 71 0:32 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory";
  CHECK (kago_mountinfo_parse_line (l2, &m) == 0);
  CHECK_STR (m.optional, "");
  CHECK_STR (m.mountpoint, "/sys/fs/cgroup/memory");
  CHECK_STR (m.fstype, "cgroup");
  CHECK_STR (m.super, "rw,memory");

  char l3[] = "garbage line";
  CHECK (kago_mountinfo_parse_line (l3, &m) < 0);
  char l4[] = "1 2 3:4 / /x rw shared:1";
  CHECK (kago_mountinfo_parse_line (l4, &m) < 0);
}

static int
is_mountpoint (const char *p)
{
  char *mi = NULL;
  kago_error_t err = NULL;
  if (kago_read_proc_self ("mountinfo", &mi, &err) < 0)
    return -1;
  int found = 0;
  char *save = NULL;
  for (char *l = strtok_r (mi, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      struct kago_mountinfo m;
      if (kago_mountinfo_parse_line (l, &m) == 0 && strcmp (m.mountpoint, p) == 0)
        found = 1;
    }
  free (mi);
  return found;
}

/* Root only: in a private mount namespace, mounts below a rootfs go, the
   rootfs's own mount stays.  */
TEST (rootfs_cleanup_mounts)
{
  if (geteuid () != 0)
    {
      printf ("# skipped: not root\n");
      return;
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      char tmpl[] = "/tmp/kago-cleanup-XXXXXX";
      char *d = mkdtemp (tmpl);
      if (!d || unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        _exit (10);
      char rootfs[256], a[300], b[300], sp[300];
      snprintf (rootfs, sizeof rootfs, "%s/root fs", d);
      snprintf (a, sizeof a, "%s/a", rootfs);
      snprintf (b, sizeof b, "%s/a/b", rootfs);
      snprintf (sp, sizeof sp, "%s/root fsx", d); /* a sibling with the same prefix */
      mkdir (rootfs, 0755);
      mkdir (sp, 0755);
      if (mount ("tmpfs", rootfs, "tmpfs", 0, NULL) < 0 || mount ("tmpfs", sp, "tmpfs", 0, NULL) < 0)
        _exit (11);
      mkdir (a, 0755);
      if (mount ("tmpfs", a, "tmpfs", 0, NULL) < 0)
        _exit (12);
      mkdir (b, 0755);
      if (mount ("tmpfs", b, "tmpfs", 0, NULL) < 0 || mount ("tmpfs", b, "tmpfs", 0, NULL) < 0)
        _exit (13);
      kago_error_t err = NULL;
      if (kago_rootfs_cleanup_mounts (rootfs, &err) < 0)
        _exit (14);
      if (is_mountpoint (a) != 0 || is_mountpoint (b) != 0)
        _exit (15);
      if (is_mountpoint (rootfs) != 1 || is_mountpoint (sp) != 1)
        _exit (16);
      if (kago_rootfs_cleanup_mounts (rootfs, &err) < 0) /* idempotent */
        _exit (17);
      umount2 (rootfs, MNT_DETACH);
      umount2 (sp, MNT_DETACH);
      rmdir (rootfs);
      rmdir (sp);
      rmdir (d);
      _exit (0);
    }
  int st = 0;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  if (!WIFEXITED (st) || WEXITSTATUS (st))
    printf ("# child exit %d\n", WEXITSTATUS (st));
}

int
main (void)
{
  RUN (every_flag_option);
  RUN (later_options_win);
  RUN (propagation);
  RUN (bind_rbind);
  RUN (recursive_attrs);
  RUN (idmap_tmpcopyup);
  RUN (data_collects_the_rest);
  RUN (docker_defaults);
  RUN (flags_to_attr);
  RUN (path_clean);
  RUN (mountinfo_line);
  RUN (rootfs_cleanup_mounts);
  return tap_done ();
}
