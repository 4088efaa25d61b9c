/* Layer unpacking: every entry type, whiteouts, compression, and hostile
   archives (each refused, nothing written outside the layer directory).
   The archives are built here with kago's tar writer.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/image/digest.h"
#include "engine/image/tar_writer.h"
#include "engine/image/unpack.h"
#include "tap.h"

static char base[] = "/tmp/kago-unpack-XXXXXX";
static int seq;

/* ---- a tiny tar builder on kago's tar writer, compressed here ---- */

struct tb
{
  struct kago_tar_writer w;
  strbuf buf;
  const char *filter;
  char *path;
};

static int
mem_sink (void *ctx, const void *buf, size_t len, kago_error_t *err)
{
  (void) err;
  strbuf_add (ctx, buf, len);
  return 0;
}

static void
tb_begin (struct tb *t, const char *filter)
{
  memset (t, 0, sizeof *t);
  t->path = xasprintf ("%s/layer%d.tar", base, seq++);
  t->filter = filter;
  kago_tar_writer_init (&t->w, mem_sink, &t->buf);
}

static struct kago_tar_entry
tb_entry (const char *name, mode_t type, mode_t perm)
{
  struct kago_tar_entry e = { .name = name, .mode = type | perm, .mtime = 1000000000 };
  return e;
}

static void
tb_add (struct tb *t, struct kago_tar_entry *e, const char *data)
{
  if (data)
    e->size = strlen (data);
  if (kago_tar_write_header (&t->w, e, NULL) < 0
      || (data && *data && kago_tar_write_data (&t->w, data, strlen (data), NULL) < 0))
    abort ();
}

static void
tb_file (struct tb *t, const char *name, const char *data)
{
  struct kago_tar_entry e = tb_entry (name, S_IFREG, 0644);
  tb_add (t, &e, data);
}

static void
tb_dir (struct tb *t, const char *name)
{
  struct kago_tar_entry e = tb_entry (name, S_IFDIR, 0755);
  tb_add (t, &e, NULL);
}

static void
tb_symlink (struct tb *t, const char *name, const char *target)
{
  struct kago_tar_entry e = tb_entry (name, S_IFLNK, 0777);
  e.linkname = target;
  tb_add (t, &e, NULL);
}

static void
tb_hardlink (struct tb *t, const char *name, const char *target)
{
  struct kago_tar_entry e = tb_entry (name, S_IFREG, 0644);
  e.linkname = target;
  e.hardlink = true;
  tb_add (t, &e, NULL);
}

static char *
tb_end (struct tb *t)
{
  if (kago_tar_write_end (&t->w, NULL) < 0)
    abort ();
  strbuf out = STRBUF_INIT;
  if (t->filter && strcmp (t->filter, "gzip") == 0)
    {
      z_stream z = { 0 };
      if (deflateInit2 (&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort ();
      strbuf_grow (&out, deflateBound (&z, t->buf.len) + 64);
      z.next_in = (unsigned char *) t->buf.buf;
      z.avail_in = (unsigned) t->buf.len;
      z.next_out = (unsigned char *) out.buf;
      z.avail_out = (unsigned) out.cap;
      if (deflate (&z, Z_FINISH) != Z_STREAM_END)
        abort ();
      out.len = z.total_out;
      deflateEnd (&z);
    }
  else if (t->filter && strcmp (t->filter, "zstd") == 0)
    {
      size_t cap = ZSTD_compressBound (t->buf.len);
      strbuf_grow (&out, cap);
      size_t n = ZSTD_compress (out.buf, cap, t->buf.buf, t->buf.len, 3);
      if (ZSTD_isError (n))
        abort ();
      out.len = n;
    }
  else
    strbuf_add (&out, t->buf.buf, t->buf.len);
  if (write_file (t->path, out.buf, out.len, NULL) < 0)
    abort ();
  strbuf_release (&out);
  strbuf_release (&t->buf);
  return t->path;
}

/* ---- helpers ---- */

static char *
new_dest (void)
{
  char *p = xasprintf ("%s/dest%d", base, seq++);
  mkdir (p, 0755);
  return p;
}

/* Unpack FILE into DEST; returns the error message (caller frees) or NULL.  */
static char *
unpack (const char *file, const char *dest, struct kago_unpack_result *res)
{
  struct kago_unpack_result r2;
  if (res == NULL)
    res = &r2;
  cleanup_close int in = open (file, O_RDONLY | O_CLOEXEC);
  cleanup_close int dfd = open (dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  kago_error_t err = NULL;
  if (kago_layer_unpack (in, dfd, res, &err) < 0)
    {
      char *m = kago_error_string (err);
      kago_error_release (&err);
      printf ("# unpack: %s\n", m);
      return m;
    }
  return NULL;
}

static bool
exists (const char *p)
{
  struct stat st;
  return lstat (p, &st) == 0;
}

static char *
sub (const char *dir, const char *rel)
{
  return xasprintf ("%s/%s", dir, rel);
}

static char *
file_digest (const char *path)
{
  cleanup_free char *data = NULL;
  size_t len;
  if (read_file (path, &data, &len, NULL) < 0)
    return NULL;
  char *d = xmalloc (KAGO_DIGEST_SIZE);
  kago_digest_buf (data, len, d);
  return d;
}

/* Count the entries of BASE (the test's whole temp dir), to see that a
   refused archive made nothing beside its destination.  */
static int
count_entries (const char *dir)
{
  cleanup_dir DIR *d = opendir (dir);
  int n = 0;
  struct dirent *de;
  while (d && (de = readdir (d)))
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      n++;
  return n;
}

/* ---- tests ---- */

TEST (whiteout_names)
{
  const char *t;
  CHECK (kago_whiteout_kind ("foo", &t) == KAGO_WHITEOUT_NONE);
  CHECK (kago_whiteout_kind (".wh.foo", &t) == KAGO_WHITEOUT_FILE);
  CHECK_STR (t, "foo");
  CHECK (kago_whiteout_kind (".wh..hidden", &t) == KAGO_WHITEOUT_FILE);
  CHECK_STR (t, ".hidden");
  CHECK (kago_whiteout_kind (".wh..wh..opq", &t) == KAGO_WHITEOUT_OPAQUE);
  CHECK (kago_whiteout_kind (".wh..wh.plnk", &t) == KAGO_WHITEOUT_META);
  CHECK (kago_whiteout_kind (".wh.", &t) == -1);
  CHECK (kago_whiteout_kind (".wh..", &t) == -1);
  CHECK (kago_whiteout_kind (".wh...", &t) == -1);
  CHECK (kago_whiteout_kind (".whfoo", &t) == KAGO_WHITEOUT_NONE);
}

TEST (clean_paths)
{
  char *p;
  CHECK (kago_unpack_clean_path ("./a/./b//c/", &p, NULL) == 0);
  CHECK_STR (p, "a/b/c");
  free (p);
  CHECK (kago_unpack_clean_path ("./", &p, NULL) == 0);
  CHECK_STR (p, "");
  free (p);
  kago_error_t err = NULL;
  CHECK (kago_unpack_clean_path ("/etc/passwd", &p, &err) < 0);
  CHECK_CONTAINS (err->msg, "absolute path");
  kago_error_release (&err);
  CHECK (kago_unpack_clean_path ("a/../../b", &p, &err) < 0);
  CHECK_CONTAINS (err->msg, "`..`");
  kago_error_release (&err);
  CHECK (kago_unpack_clean_path ("a/..", &p, &err) < 0);
  kago_error_release (&err);
  /* ".." inside a name is just a name.  */
  CHECK (kago_unpack_clean_path ("a/..b/c..", &p, NULL) == 0);
  CHECK_STR (p, "a/..b/c..");
  free (p);
}

static char *
full_layer (const char *filter)
{
  static const char cap[]
      = "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
  const struct kago_tar_xattr xa[] = {
    { "security.capability", cap, 20 },
    { "user.note", "hi", 2 },
    { "trusted.overlay.redirect", "/etc", 4 },
  };
  struct tb t;
  tb_begin (&t, filter);
  tb_dir (&t, "./");
  tb_dir (&t, "./bin/");
  struct kago_tar_entry e = tb_entry ("bin/suid", S_IFREG, 04755);
  e.uid = 1000;
  e.gid = 2000;
  e.mtime = 1234567890;
  tb_add (&t, &e, "#!/bin/sh\n");
  e = tb_entry ("bin/ping", S_IFREG, 0755);
  e.xattrs = xa;
  e.nxattrs = 3;
  tb_add (&t, &e, "ping");
  tb_hardlink (&t, "bin/ping2", "bin/ping");
  tb_symlink (&t, "bin/sh", "/bin/busybox");
  tb_symlink (&t, "bin/up", "../..");
  e = tb_entry ("dev/null", S_IFCHR, 0666);
  e.devmajor = 1;
  e.devminor = 3;
  tb_add (&t, &e, NULL);
  e = tb_entry ("dev/sda", S_IFBLK, 0660);
  e.devmajor = 8;
  tb_add (&t, &e, NULL);
  e = tb_entry ("run/fifo", S_IFIFO, 0600);
  tb_add (&t, &e, NULL);
  tb_file (&t, "etc/.wh.gone", "");
  e = tb_entry ("opaque/", S_IFDIR, 0750);
  e.mtime = 1111111111;
  tb_add (&t, &e, NULL);
  tb_file (&t, "opaque/.wh..wh..opq", "");
  tb_file (&t, "opaque/kept", "k");
  tb_file (&t, ".wh..wh.plnk", "");
  /* a name too long for ustar, through pax */
  tb_file (&t,
           "long/"
           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
           "aaaaaaaaaaaaaaaaaaaaaaaaaaa",
           "L");
  return tb_end (&t);
}

TEST (every_entry_type)
{
  cleanup_free char *tar = full_layer (NULL);
  cleanup_free char *d = new_dest ();
  struct kago_unpack_result res;
  cleanup_free char *m = unpack (tar, d, &res);
  CHECK (m == NULL);
  struct stat st;
  cleanup_free char *p = sub (d, "bin/suid");
  CHECK (lstat (p, &st) == 0 && S_ISREG (st.st_mode));
  CHECK ((st.st_mode & 07777) == 04755);
  CHECK (st.st_uid == 1000 && st.st_gid == 2000);
  CHECK (st.st_mtim.tv_sec == 1234567890);
  CHECK (res.entries == 16);
  CHECK (st.st_size == 10);

  cleanup_free char *ping = sub (d, "bin/ping");
  char buf[64];
  CHECK (lgetxattr (ping, "security.capability", buf, sizeof buf) == 20);
  CHECK (lgetxattr (ping, "user.note", buf, sizeof buf) == 2 && memcmp (buf, "hi", 2) == 0);
  CHECK (lgetxattr (ping, "trusted.overlay.redirect", buf, sizeof buf) < 0);
  struct stat st2;
  cleanup_free char *ping2 = sub (d, "bin/ping2");
  CHECK (lstat (ping, &st) == 0 && lstat (ping2, &st2) == 0 && st.st_ino == st2.st_ino && st.st_nlink == 2);

  cleanup_free char *sh = sub (d, "bin/sh");
  ssize_t n = readlink (sh, buf, sizeof buf);
  CHECK (n == 12 && memcmp (buf, "/bin/busybox", 12) == 0);
  cleanup_free char *null = sub (d, "dev/null");
  CHECK (lstat (null, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3));
  CHECK ((st.st_mode & 0777) == 0666);
  cleanup_free char *sda = sub (d, "dev/sda");
  CHECK (lstat (sda, &st) == 0 && S_ISBLK (st.st_mode) && st.st_rdev == makedev (8, 0));
  cleanup_free char *fifo = sub (d, "run/fifo");
  CHECK (lstat (fifo, &st) == 0 && S_ISFIFO (st.st_mode));

  /* Whiteouts: overlayfs' form.  */
  cleanup_free char *gone = sub (d, "etc/gone");
  CHECK (lstat (gone, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0));
  cleanup_free char *whf = sub (d, "etc/.wh.gone");
  CHECK (!exists (whf));
  cleanup_free char *opq = sub (d, "opaque");
  CHECK (lgetxattr (opq, "trusted.overlay.opaque", buf, sizeof buf) == 1 && buf[0] == 'y');
  cleanup_free char *opqf = sub (d, "opaque/.wh..wh..opq");
  CHECK (!exists (opqf));
  cleanup_free char *plnk = sub (d, ".wh..wh.plnk");
  CHECK (!exists (plnk));
  /* Directory times are set after their content was made.  */
  CHECK (lstat (opq, &st) == 0 && st.st_mtim.tv_sec == 1111111111 && (st.st_mode & 07777) == 0750);

  /* The diff ID is the digest of the uncompressed tar.  */
  cleanup_free char *dg = file_digest (tar);
  CHECK_STR (res.diff_id, dg);
  CHECK_STR (res.compression, "none");
  CHECK (res.content_size == 10 + 4 + 1 + 1);
  cleanup_free char *lp = sub (d, "long/"
                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK (exists (lp));
}

TEST (gzip_and_zstd_give_the_same_diff_id)
{
  cleanup_free char *plain = full_layer (NULL);
  cleanup_free char *gz = full_layer ("gzip");
  cleanup_free char *zst = full_layer ("zstd");
  struct kago_unpack_result r1, r2, r3;
  cleanup_free char *d1 = new_dest ();
  cleanup_free char *d2 = new_dest ();
  cleanup_free char *d3 = new_dest ();
  cleanup_free char *m1 = unpack (plain, d1, &r1);
  cleanup_free char *m2 = unpack (gz, d2, &r2);
  cleanup_free char *m3 = unpack (zst, d3, &r3);
  CHECK (m1 == NULL && m2 == NULL && m3 == NULL);
  CHECK_STR (r2.compression, "gzip");
  CHECK_STR (r3.compression, "zstd");
  CHECK_STR (r1.diff_id, r2.diff_id);
  CHECK_STR (r1.diff_id, r3.diff_id);
  cleanup_free char *p = sub (d3, "bin/ping2");
  CHECK (exists (p));
}

TEST (later_entries_replace_earlier_ones)
{
  struct tb t;
  tb_begin (&t, NULL);
  tb_file (&t, "a", "first");
  tb_file (&t, "a", "second");
  tb_dir (&t, "d");
  tb_file (&t, "d/x", "x");
  tb_file (&t, "d", "now a file");
  tb_file (&t, "f", "was a file");
  tb_dir (&t, "f");
  cleanup_free char *tar = tb_end (&t);
  cleanup_free char *d = new_dest ();
  cleanup_free char *m = unpack (tar, d, NULL);
  CHECK (m == NULL);
  cleanup_free char *a = sub (d, "a");
  cleanup_free char *data = NULL;
  size_t len;
  CHECK (read_file (a, &data, &len, NULL) == 0 && strcmp (data, "second") == 0);
  struct stat st;
  cleanup_free char *dd = sub (d, "d");
  CHECK (lstat (dd, &st) == 0 && S_ISREG (st.st_mode));
  cleanup_free char *f = sub (d, "f");
  CHECK (lstat (f, &st) == 0 && S_ISDIR (st.st_mode));
}

/* A hostile archive is refused, and BASE holds nothing new but DEST.  */
#define REFUSED(tar, what)                                                                                   \
  do                                                                                                         \
    {                                                                                                        \
      int before_ = count_entries (base);                                                                    \
      cleanup_free char *d_ = new_dest ();                                                                   \
      cleanup_free char *m_ = unpack (tar, d_, NULL);                                                        \
      CHECK (m_ != NULL);                                                                                    \
      CHECK_CONTAINS (m_, what);                                                                             \
      CHECK (count_entries (base) == before_ + 1);                                                           \
    }                                                                                                        \
  while (0)

TEST (dotdot_is_refused)
{
  struct tb t;
  tb_begin (&t, NULL);
  tb_file (&t, "ok", "fine");
  tb_file (&t, "../../kago-escape-dotdot", "pwned");
  cleanup_free char *tar = tb_end (&t);
  REFUSED (tar, "`..`");
  CHECK (!exists ("/kago-escape-dotdot"));
  CHECK (!exists ("/tmp/kago-escape-dotdot"));

  tb_begin (&t, NULL);
  tb_dir (&t, "a");
  tb_file (&t, "a/../../x", "pwned");
  cleanup_free char *tar2 = tb_end (&t);
  REFUSED (tar2, "`..`");
}

TEST (absolute_path_is_refused)
{
  cleanup_free char *target = xasprintf ("%s/abs-escape", base);
  struct tb t;
  tb_begin (&t, NULL);
  tb_file (&t, target, "pwned");
  cleanup_free char *tar = tb_end (&t);
  REFUSED (tar, "absolute path");
  CHECK (!exists (target));
}

TEST (file_through_planted_symlink_is_refused)
{
  cleanup_free char *target = xasprintf ("%s/sym-escape", base);
  struct tb t;
  /* a symlink to / then a file through it */
  tb_begin (&t, NULL);
  tb_symlink (&t, "evil", "/");
  cleanup_free char *through = xasprintf ("evil%s", target);
  tb_file (&t, through, "pwned");
  cleanup_free char *tar = tb_end (&t);
  REFUSED (tar, "symlink `evil`");
  CHECK (!exists (target));

  /* a relative symlink climbing out, then a directory through it */
  tb_begin (&t, NULL);
  tb_symlink (&t, "up", "../../../../../../..");
  cleanup_free char *through2 = xasprintf ("up%s/newdir/", base);
  tb_dir (&t, through2);
  cleanup_free char *tar2 = tb_end (&t);
  REFUSED (tar2, "symlink `up`");
  cleanup_free char *nd = xasprintf ("%s/newdir", base);
  CHECK (!exists (nd));

  /* a symlink, then a regular file of the same name: the link is replaced,
     not followed */
  cleanup_free char *victim = xasprintf ("%s/victim", base);
  tb_begin (&t, NULL);
  tb_symlink (&t, "over", victim);
  tb_file (&t, "over", "replaced");
  cleanup_free char *tar3 = tb_end (&t);
  cleanup_free char *d = new_dest ();
  cleanup_free char *m = unpack (tar3, d, NULL);
  CHECK (m == NULL);
  CHECK (!exists (victim));
  struct stat st;
  cleanup_free char *over = sub (d, "over");
  CHECK (lstat (over, &st) == 0 && S_ISREG (st.st_mode));
}

TEST (hardlink_outside_is_refused)
{
  struct stat before, after;
  CHECK (stat ("/etc/passwd", &before) == 0);
  struct tb t;
  tb_begin (&t, NULL);
  tb_hardlink (&t, "passwd", "/etc/passwd");
  cleanup_free char *tar = tb_end (&t);
  REFUSED (tar, "absolute path");

  tb_begin (&t, NULL);
  tb_hardlink (&t, "passwd", "../../../../../../../etc/passwd");
  cleanup_free char *tar2 = tb_end (&t);
  REFUSED (tar2, "`..`");

  tb_begin (&t, NULL);
  tb_symlink (&t, "etc", "/etc");
  tb_hardlink (&t, "passwd", "etc/passwd");
  cleanup_free char *tar3 = tb_end (&t);
  REFUSED (tar3, "symlink `etc`");

  tb_begin (&t, NULL);
  tb_hardlink (&t, "dangling", "nothere");
  cleanup_free char *tar4 = tb_end (&t);
  REFUSED (tar4, "hard link");

  CHECK (stat ("/etc/passwd", &after) == 0 && after.st_nlink == before.st_nlink);
}

TEST (bad_streams_are_clear_errors)
{
  cleanup_free char *p = xasprintf ("%s/garbage.gz", base);
  /* a gzip header followed by junk */
  const char junk[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03this is not deflate data at all......";
  CHECK (write_file (p, junk, sizeof junk - 1, NULL) == 0);
  cleanup_free char *d = new_dest ();
  cleanup_free char *m = unpack (p, d, NULL);
  CHECK (m != NULL);

  cleanup_free char *q = xasprintf ("%s/notatar", base);
  CHECK (write_file (q, "hello world, I am not a tar archive\n", 36, NULL) == 0);
  cleanup_free char *d2 = new_dest ();
  cleanup_free char *m2 = unpack (q, d2, NULL);
  CHECK (m2 != NULL);
  CHECK_CONTAINS (m2, "read the layer");

  /* a truncated archive */
  cleanup_free char *tar = full_layer (NULL);
  cleanup_free char *data = NULL;
  size_t len;
  CHECK (read_file (tar, &data, &len, NULL) == 0);
  cleanup_free char *r = xasprintf ("%s/truncated", base);
  CHECK (write_file (r, data, 700, NULL) == 0);
  cleanup_free char *d3 = new_dest ();
  cleanup_free char *m3 = unpack (r, d3, NULL);
  CHECK (m3 != NULL);
}

int
main (void)
{
  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP needs root (owners, device nodes, trusted xattrs)\n");
      return 0;
    }
  if (mkdtemp (base) == NULL)
    return 1;
  RUN (whiteout_names);
  RUN (clean_paths);
  RUN (every_entry_type);
  RUN (gzip_and_zstd_give_the_same_diff_id);
  RUN (later_entries_replace_earlier_ones);
  RUN (dotdot_is_refused);
  RUN (absolute_path_is_refused);
  RUN (file_through_planted_symlink_is_refused);
  RUN (hardlink_outside_is_refused);
  RUN (bad_streams_are_clear_errors);
  kago_error_t err = NULL;
  cleanup_close int tmpfd = open ("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (remove_tree_at (tmpfd, base + 5, &err) < 0)
    kago_error_release (&err);
  return tap_done ();
}
