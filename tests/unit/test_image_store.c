/* The image store: verified blobs, layers by chain ID, the index and name
   resolution, garbage collection of unshared layers, what a crashed writer
   leaves, and container root filesystems (overlay and copy) over layers
   with whiteouts.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "common/xalloc.h"
#include "engine/image/image.h"
#include "engine/image/index.h"
#include "engine/image/rootfs.h"
#include "engine/image/store.h"
#include "engine/image/tar_writer.h"
#include "tap.h"

static char base[] = "/tmp/kago-store-XXXXXX";
static int seq;

static int
mem_sink (void *ctx, const void *buf, size_t len, kago_error_t *err)
{
  (void) err;
  strbuf_add (ctx, buf, len);
  return 0;
}

/* A layer tar from "PATH=CONTENT" (file), "PATH/" (dir), "PATH=>TARGET"
   (symlink) specs; returns its blob digest in the store.  */
static void
layer_blob (struct kago_store *s, const char *const *specs, char digest[KAGO_DIGEST_SIZE])
{
  strbuf buf = STRBUF_INIT;
  struct kago_tar_writer w;
  kago_tar_writer_init (&w, mem_sink, &buf);
  for (const char *const *p = specs; *p; p++)
    {
      cleanup_free char *spec = xstrdup (*p);
      struct kago_tar_entry e = { .name = spec, .mode = S_IFREG | 0644, .mtime = 1700000000 };
      char *arrow = strstr (spec, "=>");
      char *eq = strchr (spec, '=');
      const char *data = NULL;
      if (arrow)
        {
          *arrow = '\0';
          e.mode = S_IFLNK | 0777;
          e.linkname = arrow + 2;
        }
      else if (eq)
        {
          *eq = '\0';
          data = eq + 1;
          e.size = strlen (data);
        }
      else
        e.mode = S_IFDIR | 0755;
      if (kago_tar_write_header (&w, &e, NULL) < 0
          || (data && *data && kago_tar_write_data (&w, data, e.size, NULL) < 0))
        abort ();
    }
  kago_tar_write_end (&w, NULL);
  if (kago_store_put_blob (s, buf.buf, buf.len, NULL, digest, NULL) < 0)
    abort ();
  strbuf_release (&buf);
}

static int
count_dir (int dirfd, const char *name)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  DIR *d = fdopendir (fd);
  fd = -1;
  int n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

static struct kago_store *
new_store (void)
{
  cleanup_free char *root = xasprintf ("%s/root%d", base, seq++);
  struct kago_store *s = NULL;
  if (kago_store_open (root, &s, NULL) < 0 || kago_store_lock (s, NULL) < 0)
    abort ();
  return s;
}

TEST (blobs_are_verified)
{
  cleanup_store struct kago_store *s = new_store ();
  char d[KAGO_DIGEST_SIZE];
  kago_error_t err = NULL;
  const char *wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
  CHECK (kago_store_put_blob (s, "hello", 5, wrong, d, &err) < 0);
  CHECK (err && strstr (err->msg, "digest mismatch"));
  kago_error_release (&err);
  CHECK (!kago_store_has_blob (s, wrong));
  CHECK (count_dir (s->dirfd, "blobs/sha256") == 0);
  CHECK (count_dir (s->dirfd, "tmp") == 0);

  CHECK (kago_store_put_blob (s, "hello", 5, NULL, d, NULL) == 0);
  CHECK_STR (d, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  CHECK (kago_store_put_blob (s, "hello", 5, d, d, NULL) == 0); /* again: no change */
  cleanup_free char *data = NULL;
  size_t len;
  CHECK (kago_store_read_blob (s, d, &data, &len, NULL) == 0 && len == 5 && memcmp (data, "hello", 5) == 0);
  CHECK (count_dir (s->dirfd, "blobs/sha256") == 1);
}

TEST (layers_by_chain_id_and_diff_id_mismatch)
{
  cleanup_store struct kago_store *s = new_store ();
  char blob[KAGO_DIGEST_SIZE];
  layer_blob (s, (const char *[]){ "etc/", "etc/hostname=x", NULL }, blob);
  struct kago_layer_info li;
  kago_error_t err = NULL;
  const char *wrong = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  CHECK (kago_store_layer_unpack (s, blob, NULL, wrong, &li, &err) < 0);
  CHECK (err && strstr (err->msg, "diff ID mismatch"));
  kago_error_release (&err);
  CHECK (count_dir (s->dirfd, "layers") == 0);
  CHECK (count_dir (s->dirfd, "tmp") == 0);

  CHECK (kago_store_layer_unpack (s, blob, NULL, NULL, &li, NULL) == 0);
  /* The bottom layer's chain ID is its diff ID; the blob is uncompressed,
     so the diff ID is the blob's digest.  */
  CHECK_STR (li.chain_id, li.diff_id);
  CHECK_STR (li.diff_id, blob);
  struct kago_layer_info again;
  CHECK (kago_store_layer_get (s, li.chain_id, &again, NULL) == 1);
  CHECK (again.content_size == 1);
  /* With the diff ID known, a present layer is not unpacked again.  */
  CHECK (kago_store_layer_unpack (s, blob, NULL, li.diff_id, &again, NULL) == 0);
  CHECK (count_dir (s->dirfd, "layers") == 1);
  cleanup_free char *p = kago_store_layer_path (s, li.chain_id);
  cleanup_free char *f = xasprintf ("%s/etc/hostname", p);
  struct stat st;
  CHECK (stat (f, &st) == 0 && st.st_size == 1);

  /* The same diff on top of it is another chain ID.  */
  char blob2[KAGO_DIGEST_SIZE];
  layer_blob (s, (const char *[]){ "usr/", NULL }, blob2);
  struct kago_layer_info top;
  CHECK (kago_store_layer_unpack (s, blob2, li.chain_id, NULL, &top, NULL) == 0);
  char want[KAGO_DIGEST_SIZE];
  kago_chain_id (li.chain_id, top.diff_id, want);
  CHECK_STR (top.chain_id, want);
  CHECK_STR (top.parent, li.chain_id);
}

/* Build an image of layer blobs (bottom first) into IDX with tag REF.  */
static struct kago_image_rec *
make_image (struct kago_store *s, struct kago_index *idx, const char *const *blobs, size_t n, const char *ref)
{
  struct kago_layer_info *li = xcalloc (n, sizeof *li);
  json_value *config = json_object_new ();
  json_value *rootfs = json_object_new ();
  json_value *diffs = json_array_new ();
  for (size_t i = 0; i < n; i++)
    {
      if (kago_store_layer_unpack (s, blobs[i], i ? li[i - 1].chain_id : NULL, NULL, &li[i], NULL) < 0)
        abort ();
      json_array_append (diffs, json_string_new (li[i].diff_id));
    }
  json_object_set (rootfs, "type", json_string_new ("layers"));
  json_object_set (rootfs, "diff_ids", diffs);
  json_object_set (config, "rootfs", rootfs);
  json_object_set (config, "created", json_string_new (ref));
  cleanup_free char *text = json_to_string (config, false);
  char cd[KAGO_DIGEST_SIZE];
  struct kago_image_rec *rec;
  if (kago_store_put_blob (s, text, strlen (text), NULL, cd, NULL) < 0
      || kago_image_commit (s, idx, cd, config, li, n, NULL, &rec, NULL) < 0)
    abort ();
  kago_index_tag_set (idx, ref, rec->manifest);
  json_free (config);
  free (li);
  return rec;
}

TEST (index_round_trip_and_resolution)
{
  cleanup_store struct kago_store *s = new_store ();
  char b1[KAGO_DIGEST_SIZE];
  layer_blob (s, (const char *[]){ "a=1", NULL }, b1);
  struct kago_index idx = { 0 };
  struct kago_image_rec *rec
      = make_image (s, &idx, (const char *[]){ b1 }, 1, "docker.io/library/busybox:latest");
  char id[KAGO_DIGEST_SIZE];
  snprintf (id, sizeof id, "%s", rec->id);
  kago_index_digest_add (&idx,
                         "docker.io/library/busybox@sha256:"
                         "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                         rec->manifest);
  CHECK (kago_index_save (s, &idx, NULL) == 0);
  kago_index_free (&idx);

  cleanup_index struct kago_index l;
  CHECK (kago_index_load (s, &l, NULL) == 0);
  CHECK (l.nimages == 1 && l.ntags == 1 && l.ndigests == 1);
  const char *names[] = { "busybox", "busybox:latest", "docker.io/library/busybox", id, id + 7, NULL };
  for (const char **n = names; *n; n++)
    {
      struct kago_image_rec *r = kago_index_resolve (&l, *n, NULL, NULL);
      CHECK (r && strcmp (r->id, id) == 0);
    }
  char shortid[13];
  memcpy (shortid, id + 7, 12);
  shortid[12] = 0;
  CHECK (kago_index_resolve (&l, shortid, NULL, NULL) != NULL);
  cleanup_free char *by_digest = NULL;
  CHECK (kago_index_resolve (
             &l, "busybox@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
             &by_digest, NULL)
         != NULL);
  CHECK_STR (
      by_digest,
      "docker.io/library/busybox@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  kago_error_t err = NULL;
  CHECK (kago_index_resolve (&l, "busybox:other", NULL, &err) == NULL);
  CHECK (err && strcmp (err->msg, "No such image: busybox:other") == 0);
  kago_error_release (&err);
  CHECK (kago_index_resolve (&l, "localhost:5000/nope", NULL, &err) == NULL);
  CHECK (err && strcmp (err->msg, "No such image: localhost:5000/nope:latest") == 0);
  kago_error_release (&err);
  CHECK (kago_index_resolve (&l, "Bad:Name:x", NULL, &err) == NULL);
  kago_error_release (&err);
}

TEST (removal_keeps_shared_layers)
{
  cleanup_store struct kago_store *s = new_store ();
  char base_l[KAGO_DIGEST_SIZE], a_l[KAGO_DIGEST_SIZE], b_l[KAGO_DIGEST_SIZE];
  layer_blob (s, (const char *[]){ "bin/", "bin/sh=sh", NULL }, base_l);
  layer_blob (s, (const char *[]){ "a=a", NULL }, a_l);
  layer_blob (s, (const char *[]){ "b=b", NULL }, b_l);
  struct kago_index idx = { 0 };
  make_image (s, &idx, (const char *[]){ base_l, a_l }, 2, "docker.io/library/a:latest");
  struct kago_image_rec *rb
      = make_image (s, &idx, (const char *[]){ base_l, b_l }, 2, "docker.io/library/b:latest");
  char b_top[KAGO_DIGEST_SIZE];
  snprintf (b_top, sizeof b_top, "%s", rb->layers[1]);
  CHECK (kago_index_save (s, &idx, NULL) == 0);
  kago_index_free (&idx);
  CHECK (count_dir (s->dirfd, "layers") == 3);
  kago_store_unlock (s);

  struct kago_strv ev = { 0 };
  CHECK (kago_image_remove (s, "b", false, NULL, &ev, NULL) == 0);
  CHECK (ev.n == 3); /* Untagged, Deleted image, Deleted its own layer */
  CHECK_STR (ev.v[0], "Untagged: b:latest");
  cleanup_free char *want = xasprintf ("Deleted: %s", b_top);
  CHECK_STR (ev.v[2], want);
  kago_strv_free (&ev);
  kago_store_unlock (s);
  CHECK (count_dir (s->dirfd, "layers") == 2);
  CHECK (count_dir (s->dirfd, "blobs/sha256") == 4); /* a: its 2 layers, config, manifest */

  CHECK (kago_image_remove (s, "a", false, NULL, &ev, NULL) == 0);
  kago_strv_free (&ev);
  kago_store_unlock (s);
  CHECK (count_dir (s->dirfd, "layers") == 0);
  CHECK (count_dir (s->dirfd, "blobs/sha256") == 0);
}

static int
in_use_by_c1 (void *ctx, const char *id, char **by, kago_error_t *err)
{
  (void) ctx;
  (void) id;
  (void) err;
  *by = xstrdup ("c1");
  return 1;
}

TEST (users_hook_refuses_removal_even_forced)
{
  cleanup_store struct kago_store *s = new_store ();
  char l[KAGO_DIGEST_SIZE];
  layer_blob (s, (const char *[]){ "x=1", NULL }, l);
  struct kago_index idx = { 0 };
  make_image (s, &idx, (const char *[]){ l }, 1, "docker.io/library/x:latest");
  CHECK (kago_index_save (s, &idx, NULL) == 0);
  kago_index_free (&idx);
  kago_store_unlock (s);
  struct kago_image_users users = { in_use_by_c1, NULL };
  struct kago_strv ev = { 0 };
  kago_error_t err = NULL;
  CHECK (kago_image_remove (s, "x", false, &users, &ev, &err) < 0);
  CHECK (err && strstr (err->msg, "being used by container c1"));
  kago_error_release (&err);
  kago_store_unlock (s);
  /* A container's rootfs stands on the layers: not even -f.  */
  CHECK (kago_image_remove (s, "x", true, &users, &ev, &err) < 0);
  CHECK (err && strstr (err->msg, "cannot be forced"));
  kago_error_release (&err);
  kago_store_unlock (s);
  /* Nobody uses it: removed.  */
  CHECK (kago_image_remove (s, "x", false, NULL, &ev, NULL) == 0);
  kago_strv_free (&ev);
  kago_store_unlock (s);
}

TEST (a_crashed_writer_leaves_nothing_visible)
{
  cleanup_store struct kago_store *s = new_store ();
  char l[KAGO_DIGEST_SIZE];
  layer_blob (s, (const char *[]){ "x=1", NULL }, l);
  struct kago_index idx = { 0 };
  make_image (s, &idx, (const char *[]){ l }, 1, "docker.io/library/x:latest");
  CHECK (kago_index_save (s, &idx, NULL) == 0);
  kago_index_free (&idx);
  kago_store_unlock (s);
  /* What a writer killed half-way leaves: temp files and a half layer in
     tmp/, a half-written index.json.tmp, an unreferenced blob and layer.  */
  CHECK (mkdirat (s->tmpfd, "layer-123-0-0", 0700) == 0);
  CHECK (write_file_at (s->tmpfd, "blob-123-1-0", "partial", 7, NULL) == 0);
  CHECK (write_file_at (s->dirfd, "index.json.tmp", "{\"images\": [", 12, NULL) == 0);
  char orphan[KAGO_DIGEST_SIZE];
  layer_blob (s, (const char *[]){ "orphan=1", NULL }, orphan);
  CHECK (mkdirat (s->layersfd, kago_digest_hex (orphan), 0700) == 0);

  cleanup_index struct kago_index l2;
  CHECK (kago_index_load (s, &l2, NULL) == 0 && l2.nimages == 1);
  /* The next writer empties tmp/; garbage collection drops the orphans.  */
  CHECK (kago_store_lock (s, NULL) == 0);
  CHECK (count_dir (s->dirfd, "tmp") == 0);
  CHECK (faccessat (s->dirfd, "index.json.tmp", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
  CHECK (kago_store_gc (s, &l2, NULL, NULL, NULL) == 0);
  CHECK (count_dir (s->dirfd, "layers") == 1);
  CHECK (!kago_store_has_blob (s, orphan));
  kago_store_unlock (s);
}

static bool
exists_at (const char *root, const char *rel)
{
  cleanup_free char *p = xasprintf ("%s/%s", root, rel);
  struct stat st;
  return lstat (p, &st) == 0;
}

static char *
slurp (const char *root, const char *rel)
{
  cleanup_free char *p = xasprintf ("%s/%s", root, rel);
  char *data = NULL;
  size_t len;
  if (read_file (p, &data, &len, NULL) < 0)
    return NULL;
  return data;
}

static void
check_merged (const char *r)
{
  cleanup_free char *ax = slurp (r, "a/x");
  CHECK_STR (ax, "upper");
  cleanup_free char *ay = slurp (r, "a/y");
  CHECK_STR (ay, "lower");
  CHECK (!exists_at (r, "b"));     /* whited out */
  CHECK (!exists_at (r, "c/old")); /* hidden by the opaque dir */
  CHECK (exists_at (r, "c/new"));
  CHECK (!exists_at (r, "d/gone")); /* a whiteout inside a dir */
  CHECK (exists_at (r, "d/kept"));
  cleanup_free char *link = xasprintf ("%s/l", r);
  char buf[16];
  CHECK (readlink (link, buf, sizeof buf) == 2 && memcmp (buf, "/a", 2) == 0);
}

TEST (rootfs_overlay_and_copy_agree)
{
  cleanup_store struct kago_store *s = new_store ();
  char lower[KAGO_DIGEST_SIZE], upper[KAGO_DIGEST_SIZE];
  layer_blob (s,
              (const char *[]){ "a/", "a/x=lower", "a/y=lower", "b=lower", "c/", "c/old=1", "d/", "d/gone=1",
                                "d/kept=1", NULL },
              lower);
  layer_blob (s,
              (const char *[]){ "a/", "a/x=upper", ".wh.b=", "c/", "c/.wh..wh..opq=", "c/new=1", "d/",
                                "d/.wh.gone=", "l=>/a", NULL },
              upper);
  struct kago_index idx = { 0 };
  make_image (s, &idx, (const char *[]){ lower, upper }, 2, "docker.io/library/w:latest");
  CHECK (kago_index_save (s, &idx, NULL) == 0);
  kago_index_free (&idx);
  kago_store_unlock (s);

  cleanup_free char *copydir = xasprintf ("%s/c-copy", base);
  struct kago_rootfs rc;
  kago_error_t err = NULL;
  CHECK (kago_rootfs_create_from_image (s, "w", copydir, KAGO_ROOTFS_COPY, &rc, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  CHECK (!rc.overlay);
  check_merged (rc.path);
  CHECK (kago_rootfs_remove (copydir, NULL) == 0);
  CHECK (!exists_at (copydir, ""));
  kago_rootfs_release (&rc);

  cleanup_free char *ovdir = xasprintf ("%s/c-ov", base);
  struct kago_rootfs ro;
  if (kago_rootfs_create_from_image (s, "w", ovdir, KAGO_ROOTFS_OVERLAY, &ro, &err) < 0)
    {
      printf ("# overlay not available here: %s\n", err->msg);
      kago_error_release (&err);
      return;
    }
  CHECK (ro.overlay);
  check_merged (ro.path);
  /* Writes go to the container's upper dir, never to the shared layers.  */
  cleanup_free char *nf = xasprintf ("%s/a/x", ro.path);
  CHECK (write_file (nf, "changed", 7, NULL) == 0);
  cleanup_free char *up = slurp (ovdir, "upper/a/x");
  CHECK_STR (up, "changed");
  cleanup_free char *lp = kago_store_layer_path (s, lower);
  cleanup_free char *still = slurp (lp, "a/x");
  CHECK_STR (still, "lower");
  CHECK (kago_rootfs_remove (ovdir, NULL) == 0);
  CHECK (!exists_at (ovdir, ""));
  kago_rootfs_release (&ro);
}

int
main (void)
{
  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP needs root (owners, whiteout devices, overlay)\n");
      return 0;
    }
  if (mkdtemp (base) == NULL)
    return 1;
  RUN (blobs_are_verified);
  RUN (layers_by_chain_id_and_diff_id_mismatch);
  RUN (index_round_trip_and_resolution);
  RUN (removal_keeps_shared_layers);
  RUN (users_hook_refuses_removal_even_forced);
  RUN (a_crashed_writer_leaves_nothing_visible);
  RUN (rootfs_overlay_and_copy_agree);
  kago_error_t err = NULL;
  cleanup_close int fd = open ("/tmp", O_RDONLY | O_DIRECTORY);
  if (remove_tree_at (fd, base + 5, &err) < 0)
    kago_error_release (&err);
  return tap_done ();
}
