/* fsutil: resolution inside a root (openat2 and the fallback walk), mkdir -p
   and file creation inside a root, remove_tree_at never crossing a mount.  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "tap.h"

static char tmpl[] = "/tmp/kago-fsutil-XXXXXX";
static char *base; /* the temp dir */
static int rootfd = -1;

typedef int (*open_fn) (int, const char *, int, mode_t, kago_error_t *);

static void
mk (const char *rel)
{
  char *p = xasprintf ("%s/%s", base, rel);
  mkdir_p (p, 0755, NULL);
  free (p);
}

static void
touch (const char *rel, const char *content)
{
  char *p = xasprintf ("%s/%s", base, rel);
  write_file (p, content, strlen (content), NULL);
  free (p);
}

static void
ln (const char *target, const char *rel)
{
  char *p = xasprintf ("%s/%s", base, rel);
  unlink (p);
  if (symlink (target, p) < 0)
    perror ("symlink");
  free (p);
}

/* Same inode as BASE/REL?  */
static int
is_same (int fd, const char *rel)
{
  struct stat a, b;
  char *p = xasprintf ("%s/%s", base, rel);
  int r = fstat (fd, &a) == 0 && lstat (p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  free (p);
  return r;
}

static int
is_host (int fd, const char *host_path)
{
  struct stat a, b;
  return fstat (fd, &a) == 0 && stat (host_path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void
setup_tree (void)
{
  base = mkdtemp (tmpl);
  /* root/ is the fake rootfs; outside/ is beside it.  */
  mk ("root/etc");
  mk ("root/a/b/c");
  mk ("outside");
  touch ("root/etc/passwd", "inside\n");
  touch ("outside/secret", "secret\n");
  touch ("root/a/b/c/file", "x");
  ln ("/etc", "root/abs_etc");               /* absolute: must stay inside */
  ln ("../../../../../../etc", "root/a/up"); /* ../ escape */
  ln ("../../outside", "root/a/b/esc");
  ln ("/", "root/toroot");
  ln ("loop2", "root/loop1");
  ln ("loop1", "root/loop2");
  ln ("/nonexistent/x", "root/dangling");
  ln ("c", "root/a/b/rel");             /* relative, inside */
  ln ("/proc/self/root", "root/magic"); /* absolute link to a magic path */
  char *r = xasprintf ("%s/root", base);
  rootfd = open (r, O_PATH | O_DIRECTORY | O_CLOEXEC);
  free (r);
}

static void
check_resolution (open_fn fn)
{
  kago_error_t err = NULL;
  int fd;

  fd = fn (rootfd, "/abs_etc/passwd", O_RDONLY, 0, &err);
  CHECK (fd >= 0);
  CHECK (is_same (fd, "root/etc/passwd"));
  if (fd >= 0)
    {
      char buf[32] = { 0 };
      CHECK (read (fd, buf, sizeof buf - 1) > 0);
      CHECK_STR (buf, "inside\n");
      close (fd);
    }

  fd = fn (rootfd, "a/up/passwd", O_PATH, 0, &err);
  CHECK (fd >= 0);
  CHECK (is_same (fd, "root/etc/passwd"));
  close (fd);

  fd = fn (rootfd, "/../../../etc/passwd", O_PATH, 0, &err);
  CHECK (fd >= 0);
  CHECK (is_same (fd, "root/etc/passwd"));
  close (fd);

  /* ../../outside from root/a/b is clamped at the root: root/outside missing */
  fd = fn (rootfd, "a/b/esc/secret", O_PATH, 0, &err);
  CHECK (fd < 0);
  CHECK (err && err->errnum == ENOENT);
  kago_error_release (&err);

  fd = fn (rootfd, "toroot", O_PATH | O_DIRECTORY, 0, &err);
  CHECK (fd >= 0);
  CHECK (is_same (fd, "root"));
  CHECK (!is_host (fd, "/"));
  close (fd);

  fd = fn (rootfd, "toroot/etc/passwd", O_PATH, 0, &err);
  CHECK (fd >= 0 && is_same (fd, "root/etc/passwd"));
  close (fd);

  fd = fn (rootfd, "loop1", O_PATH, 0, &err);
  CHECK (fd < 0);
  CHECK (err && err->errnum == ELOOP);
  kago_error_release (&err);

  fd = fn (rootfd, "dangling", O_PATH, 0, &err);
  CHECK (fd < 0 && err && err->errnum == ENOENT);
  kago_error_release (&err);

  /* O_NOFOLLOW on the last component gives the link itself (O_PATH).  */
  fd = fn (rootfd, "abs_etc", O_PATH | O_NOFOLLOW, 0, &err);
  CHECK (fd >= 0);
  CHECK (is_same (fd, "root/abs_etc"));
  close (fd);

  fd = fn (rootfd, "a/b/rel/file", O_PATH, 0, &err);
  CHECK (fd >= 0 && is_same (fd, "root/a/b/c/file"));
  close (fd);

  fd = fn (rootfd, "/", O_PATH | O_DIRECTORY, 0, &err);
  CHECK (fd >= 0 && is_same (fd, "root"));
  close (fd);

  fd = fn (rootfd, "a/b/c/file/x", O_PATH, 0, &err);
  CHECK (fd < 0 && err && err->errnum == ENOTDIR);
  kago_error_release (&err);

  fd = fn (rootfd, "a/b/c/file", O_PATH | O_DIRECTORY, 0, &err);
  CHECK (fd < 0 && err && err->errnum == ENOTDIR);
  kago_error_release (&err);

  /* /proc/self/root inside the root is root/proc/self/root: missing.  */
  fd = fn (rootfd, "magic", O_PATH, 0, &err);
  CHECK (fd < 0);
  kago_error_release (&err);

  /* O_CREAT through an absolute dangling symlink stays inside.  */
  ln ("/etc/created-through-link", "root/newlink");
  fd = fn (rootfd, "newlink", O_CREAT | O_WRONLY, 0644, &err);
  CHECK (fd >= 0);
  CHECK (is_same (fd, "root/etc/created-through-link"));
  CHECK (access ("/etc/created-through-link", F_OK) != 0);
  close (fd);
  char *p = xasprintf ("%s/root/etc/created-through-link", base);
  unlink (p);
  free (p);
  kago_error_release (&err);
}

TEST (open_in_root_openat2) { check_resolution (open_in_root); }

TEST (open_in_root_fallback_walk) { check_resolution (open_in_root_walk); }

TEST (open_in_root_magic_link_refused)
{
  /* A magic link inside the root path (fd symlink) is refused by openat2.  */
  kago_error_t err = NULL;
  int procfd = open ("/proc", O_PATH | O_DIRECTORY);
  int fd = open_in_root (procfd, "self/root", O_PATH, 0, &err);
  CHECK (fd < 0);
  CHECK (err && err->errnum == ELOOP);
  kago_error_release (&err);
  close (procfd);
}

TEST (mkdir_p_in_root_stays_inside)
{
  kago_error_t err = NULL;
  int fd = mkdir_p_in_root (rootfd, "/abs_etc/new/dir", 0755, &err);
  CHECK (fd >= 0);
  CHECK (is_same (fd, "root/etc/new/dir"));
  CHECK (access ("/etc/new", F_OK) != 0);
  close (fd);

  fd = mkdir_p_in_root (rootfd, "a/up/made", 0755, &err);
  CHECK (fd >= 0 && is_same (fd, "root/etc/made"));
  close (fd);

  fd = mkdir_p_in_root (rootfd, "toroot/x/../y", 0755, &err);
  CHECK (fd >= 0 && is_same (fd, "root/y"));
  close (fd);

  fd = mkdir_p_in_root (rootfd, "a/b/c/file/sub", 0755, &err);
  CHECK (fd < 0 && err && err->errnum == ENOTDIR);
  kago_error_release (&err);

  fd = mkdir_p_in_root (rootfd, "loop1/sub", 0755, &err);
  CHECK (fd < 0 && err && err->errnum == ELOOP);
  kago_error_release (&err);

  fd = mkdir_p_in_root (rootfd, "/", 0755, &err);
  CHECK (fd >= 0 && is_same (fd, "root"));
  close (fd);
}

TEST (create_file_in_root)
{
  kago_error_t err = NULL;
  int fd = create_file_in_root (rootfd, "/abs_etc/sub/hosts", 0644, &err);
  CHECK (fd >= 0 && is_same (fd, "root/etc/sub/hosts"));
  CHECK (access ("/etc/sub/hosts", F_OK) != 0);
  close (fd);
  /* existing file is kept */
  fd = create_file_in_root (rootfd, "/etc/passwd", 0644, &err);
  CHECK (fd >= 0 && is_same (fd, "root/etc/passwd"));
  close (fd);
  fd = create_file_in_root (rootfd, "/etc", 0644, &err);
  CHECK (fd < 0 && err && err->errnum == EISDIR);
  kago_error_release (&err);
}

TEST (read_write_atomic)
{
  kago_error_t err = NULL;
  int dfd = open (base, O_DIRECTORY | O_RDONLY);
  CHECK (write_file_atomic (dfd, "state.json", "{\"a\":1}", 7, 0600, &err) == 0);
  CHECK (write_file_atomic (dfd, "state.json", "{\"b\":2}", 7, 0600, &err) == 0);
  char *out = NULL;
  size_t len = 0;
  CHECK (read_file_at (dfd, "state.json", &out, &len, &err) == 0);
  CHECK_STR (out, "{\"b\":2}");
  CHECK (len == 7);
  free (out);
  struct stat sb;
  CHECK (fstatat (dfd, "state.json", &sb, 0) == 0 && (sb.st_mode & 0777) == 0600);
  CHECK (faccessat (dfd, "state.json.tmp", F_OK, 0) != 0);
  CHECK (read_file_at (dfd, "missing", &out, &len, &err) < 0 && err->errnum == ENOENT);
  kago_error_release (&err);
  close (dfd);
}

TEST (mkdir_p_host)
{
  kago_error_t err = NULL;
  char *p = xasprintf ("%s/h/i/j/", base);
  CHECK (mkdir_p (p, 0755, &err) == 0);
  CHECK (mkdir_p (p, 0755, &err) == 0);
  free (p);
  p = xasprintf ("%s/root/etc/passwd/x", base);
  CHECK (mkdir_p (p, 0755, &err) < 0);
  kago_error_release (&err);
  free (p);
}

TEST (copy_tree)
{
  kago_error_t err = NULL;
  mk ("copysrc/d");
  touch ("copysrc/d/f", "data");
  ln ("d/f", "copysrc/l");
  mk ("copydst");
  char *s = xasprintf ("%s/copysrc", base), *d = xasprintf ("%s/copydst", base);
  int sfd = open (s, O_PATH | O_DIRECTORY), dfd = open (d, O_PATH | O_DIRECTORY);
  CHECK (copy_tree_at (sfd, dfd, &err) == 0);
  char *out = NULL;
  CHECK (read_file_at (dfd, "d/f", &out, NULL, &err) == 0);
  CHECK_STR (out, "data");
  free (out);
  char buf[16] = { 0 };
  CHECK (readlinkat (dfd, "l", buf, sizeof buf) == 3);
  CHECK_STR (buf, "d/f");
  close (sfd);
  close (dfd);
  free (s);
  free (d);
}

TEST (remove_tree_plain)
{
  kago_error_t err = NULL;
  mk ("rm/a/b/c");
  touch ("rm/a/f", "x");
  ln ("/etc", "rm/a/b/link"); /* removed as a link, /etc untouched */
  int dfd = open (base, O_DIRECTORY | O_RDONLY);
  CHECK (remove_tree_at (dfd, "rm", &err) == 0);
  CHECK (faccessat (dfd, "rm", F_OK, 0) != 0);
  CHECK (access ("/etc/passwd", F_OK) == 0);
  CHECK (remove_tree_at (dfd, "rm", &err) == 0); /* missing is fine */
  close (dfd);
}

/* Needs root: a tmpfs (and a bind of the same fs) mounted in the tree must
   stop the removal, and nothing inside them may be removed.  Run in a
   private mount namespace in a child so nothing leaks to the host.  */
TEST (remove_tree_refuses_mount_points)
{
  if (geteuid () != 0)
    {
      printf ("# skipped: not root\n");
      return;
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      kago_error_t err = NULL;
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        _exit (10);
      mk ("mnt/a/tmp");
      mk ("mnt/a/bind");
      mk ("mnt/keep");
      char *t = xasprintf ("%s/mnt/a/tmp", base);
      if (mount ("tmpfs", t, "tmpfs", 0, NULL) < 0)
        _exit (11);
      touch ("mnt/a/tmp/precious", "x");
      int dfd = open (base, O_DIRECTORY | O_RDONLY);
      if (remove_tree_at (dfd, "mnt", &err) == 0 || err->errnum != EBUSY)
        _exit (12);
      kago_error_release (&err);
      if (faccessat (dfd, "mnt/a/tmp/precious", F_OK, 0) != 0)
        _exit (13);
      umount2 (t, MNT_DETACH);
      /* bind mount of the same filesystem (same st_dev) */
      char *src = xasprintf ("%s/mnt/keep", base), *b = xasprintf ("%s/mnt/a/bind", base);
      touch ("mnt/keep/precious", "x");
      if (mount (src, b, NULL, MS_BIND, NULL) < 0)
        _exit (14);
      if (remove_tree_at (dfd, "mnt/a", &err) == 0 || err->errnum != EBUSY)
        _exit (15);
      kago_error_release (&err);
      if (faccessat (dfd, "mnt/keep/precious", F_OK, 0) != 0)
        _exit (16);
      /* the top itself a mount point */
      if (remove_tree_at (dfd, "mnt/a/bind", &err) == 0)
        _exit (17);
      kago_error_release (&err);
      umount2 (b, MNT_DETACH);
      if (remove_tree_at (dfd, "mnt", &err) != 0)
        _exit (18);
      _exit (0);
    }
  int st = 0;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
    printf ("# child status %d\n", WEXITSTATUS (st));
}

TEST (proc_fd_path)
{
  char buf[32];
  CHECK_STR (proc_fd_path (buf, sizeof buf, 7), "/proc/self/fd/7");
}

int
main (void)
{
  setup_tree ();
  RUN (open_in_root_openat2);
  RUN (open_in_root_fallback_walk);
  RUN (open_in_root_magic_link_refused);
  RUN (mkdir_p_in_root_stays_inside);
  RUN (create_file_in_root);
  RUN (read_write_atomic);
  RUN (mkdir_p_host);
  RUN (copy_tree);
  RUN (remove_tree_plain);
  RUN (remove_tree_refuses_mount_points);
  RUN (proc_fd_path);
  int dfd = open ("/tmp", O_DIRECTORY | O_RDONLY);
  remove_tree_at (dfd, base + 5, NULL);
  close (dfd);
  return tap_done ();
}
