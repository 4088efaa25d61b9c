/* The image store: layout, writer lock, content-addressed blobs, layers
   unpacked once per chain ID, and garbage collection (see store.h).  */
#include "engine/image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "engine/image/index.h"
#include "engine/image/unpack.h"

#define TMP_PREFIX_BLOB "blob-"
#define TMP_PREFIX_LAYER "layer-"

int
kago_fsync_dir (int dirfd, kago_error_t *err)
{
  if (fsync (dirfd) < 0)
    return kago_error_set (err, errno, "fsync a store directory");
  return 0;
}

static int
open_subdir (int dirfd, const char *name, const char *root, kago_error_t *err)
{
  if (mkdirat (dirfd, name, 0700) < 0 && errno != EEXIST)
    return kago_error_set (err, errno, "create `%s/%s`", root, name);
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "open `%s/%s`", root, name);
  return fd;
}

int
kago_store_open (const char *root, struct kago_store **out, kago_error_t *err)
{
  struct kago_store *s = xzalloc (sizeof *s);
  s->dirfd = s->lockfd = s->blobsfd = s->layersfd = s->tmpfd = -1;
  s->root = xasprintf ("%s/image", root);
  cleanup_store struct kago_store *guard = s;
  if (mkdir_p (s->root, 0700, err) < 0)
    return kago_error_wrap (err, "create the image store");
  s->dirfd = open (s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd < 0)
    return kago_error_set (err, errno, "open `%s`", s->root);
  cleanup_close int blobs = open_subdir (s->dirfd, "blobs", s->root, err);
  if (blobs < 0)
    return -1;
  cleanup_free char *broot = xasprintf ("%s/blobs", s->root);
  if ((s->blobsfd = open_subdir (blobs, "sha256", broot, err)) < 0
      || (s->layersfd = open_subdir (s->dirfd, "layers", s->root, err)) < 0
      || (s->tmpfd = open_subdir (s->dirfd, "tmp", s->root, err)) < 0)
    return -1;
  *out = steal_pointer (&guard);
  return 0;
}

void
kago_store_close (struct kago_store *s)
{
  if (s == NULL)
    return;
  kago_store_unlock (s);
  int fds[] = { s->dirfd, s->blobsfd, s->layersfd, s->tmpfd };
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  free (s->root);
  free (s);
}

/* Remove every entry of tmp/, and index.json.tmp (write_file_atomic's
   temporary beside index.json): only the lock holder runs, so whatever is
   there was left by a writer that died.  */
static int
clean_tmp (struct kago_store *s, kago_error_t *err)
{
  if (unlinkat (s->dirfd, "index.json.tmp", 0) < 0 && errno != ENOENT)
    return kago_error_set (err, errno, "remove `%s/index.json.tmp`", s->root);
  int fd = dup (s->tmpfd);
  if (fd < 0)
    return kago_error_set (err, errno, "dup");
  cleanup_dir DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return kago_error_set (err, errno, "read `%s/tmp`", s->root);
    }
  rewinddir (d);
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (remove_tree_at (s->tmpfd, de->d_name, err) < 0)
        return kago_error_wrap (err, "clean `%s/tmp`", s->root);
    }
  return 0;
}

int
kago_store_lock (struct kago_store *s, kago_error_t *err)
{
  if (s->lockfd >= 0)
    return 0;
  int fd = openat (s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return kago_error_set (err, errno, "open `%s/lock`", s->root);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int en = errno;
        close (fd);
        return kago_error_set (err, en, "lock `%s/lock`", s->root);
      }
  s->lockfd = fd;
  if (clean_tmp (s, err) < 0)
    {
      kago_store_unlock (s);
      return -1;
    }
  return 0;
}

void
kago_store_unlock (struct kago_store *s)
{
  if (s->lockfd >= 0)
    {
      close (s->lockfd);
      s->lockfd = -1;
    }
}

/* ---- blobs ---- */

static char *
tmp_name (const char *prefix)
{
  static unsigned seq;
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return xasprintf ("%s%d-%u-%lx", prefix, (int) getpid (), seq++, (unsigned long) ts.tv_nsec);
}

int
kago_blob_writer_open (struct kago_store *s, struct kago_blob_writer *w, kago_error_t *err)
{
  memset (w, 0, sizeof *w);
  w->s = s;
  w->tmpname = tmp_name (TMP_PREFIX_BLOB);
  w->fd = openat (s->tmpfd, w->tmpname, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (w->fd < 0)
    {
      int en = errno;
      free (w->tmpname);
      w->tmpname = NULL;
      return kago_error_set (err, en, "create a blob in `%s/tmp`", s->root);
    }
  kago_digest_init (&w->hash);
  return 0;
}

int
kago_blob_writer_write (struct kago_blob_writer *w, const void *data, size_t len, kago_error_t *err)
{
  if (write_all (w->fd, data, len) < 0)
    return kago_error_set (err, errno, "write a blob");
  kago_digest_update (&w->hash, data, len);
  w->size += len;
  return 0;
}

void
kago_blob_writer_abort (struct kago_blob_writer *w)
{
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
  if (w->tmpname)
    unlinkat (w->s->tmpfd, w->tmpname, 0);
  free (w->tmpname);
  w->tmpname = NULL;
}

int
kago_blob_writer_commit (struct kago_blob_writer *w, const char *expected, char digest[KAGO_DIGEST_SIZE],
                         kago_error_t *err)
{
  kago_digest_final (&w->hash, digest);
  if (expected && strcmp (expected, digest) != 0)
    {
      kago_blob_writer_abort (w);
      return kago_error_set (err, 0, "digest mismatch: expected %s, the content is %s", expected,
                             digest);
    }
  if (fsync (w->fd) < 0)
    {
      int en = errno;
      kago_blob_writer_abort (w);
      return kago_error_set (err, en, "fsync a blob");
    }
  const char *hex = kago_digest_hex (digest);
  struct stat st;
  if (fstatat (w->s->blobsfd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG (st.st_mode)
      && (uint64_t) st.st_size == w->size)
    {
      /* Already stored (blobs are named by their content).  */
      kago_blob_writer_abort (w);
      return 0;
    }
  if (renameat (w->s->tmpfd, w->tmpname, w->s->blobsfd, hex) < 0)
    {
      int en = errno;
      kago_blob_writer_abort (w);
      return kago_error_set (err, en, "store the blob %s", digest);
    }
  free (w->tmpname);
  w->tmpname = NULL;
  kago_blob_writer_abort (w);
  return kago_fsync_dir (w->s->blobsfd, err);
}

int
kago_store_put_blob (struct kago_store *s, const void *data, size_t len, const char *expected,
                     char digest[KAGO_DIGEST_SIZE], kago_error_t *err)
{
  struct kago_blob_writer w;
  if (kago_blob_writer_open (s, &w, err) < 0)
    return -1;
  if (kago_blob_writer_write (&w, data, len, err) < 0)
    {
      kago_blob_writer_abort (&w);
      return -1;
    }
  return kago_blob_writer_commit (&w, expected, digest, err);
}

int
kago_store_put_blob_fd (struct kago_store *s, int fd, const char *expected, char digest[KAGO_DIGEST_SIZE],
                        uint64_t *size, kago_error_t *err)
{
  struct kago_blob_writer w;
  if (kago_blob_writer_open (s, &w, err) < 0)
    return -1;
  cleanup_free char *buf = xmalloc (1 << 20);
  for (;;)
    {
      ssize_t n = read (fd, buf, 1 << 20);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int en = errno;
          kago_blob_writer_abort (&w);
          return kago_error_set (err, en, "read");
        }
      if (n == 0)
        break;
      if (kago_blob_writer_write (&w, buf, (size_t) n, err) < 0)
        {
          kago_blob_writer_abort (&w);
          return -1;
        }
    }
  if (size)
    *size = w.size;
  return kago_blob_writer_commit (&w, expected, digest, err);
}

bool
kago_store_has_blob (struct kago_store *s, const char *digest)
{
  struct stat st;
  return kago_digest_valid (digest)
         && fstatat (s->blobsfd, kago_digest_hex (digest), &st, AT_SYMLINK_NOFOLLOW) == 0
         && S_ISREG (st.st_mode);
}

int64_t
kago_store_blob_size (struct kago_store *s, const char *digest)
{
  struct stat st;
  if (!kago_digest_valid (digest)
      || fstatat (s->blobsfd, kago_digest_hex (digest), &st, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  return st.st_size;
}

int
kago_store_open_blob (struct kago_store *s, const char *digest, kago_error_t *err)
{
  if (kago_digest_check (digest, "blob", err) < 0)
    return -1;
  int fd = openat (s->blobsfd, kago_digest_hex (digest), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return kago_error_set (err, errno, "open the blob %s", digest);
  return fd;
}

int
kago_store_read_blob (struct kago_store *s, const char *digest, char **data, size_t *len, kago_error_t *err)
{
  cleanup_close int fd = kago_store_open_blob (s, digest, err);
  if (fd < 0)
    return -1;
  return read_all_fd (fd, data, len, err) < 0 ? kago_error_wrap (err, "read the blob %s", digest) : 0;
}

json_value *
kago_store_read_json_blob (struct kago_store *s, const char *digest, kago_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len;
  if (kago_store_read_blob (s, digest, &data, &len, err) < 0)
    return NULL;
  json_value *v = json_parse (data, len, err);
  if (v == NULL)
    kago_error_wrap (err, "parse the blob %s", digest);
  return v;
}

/* ---- layers ---- */

char *
kago_store_layer_path (struct kago_store *s, const char *chain_id)
{
  return xasprintf ("%s/layers/%s/diff", s->root, kago_digest_hex (chain_id));
}

static void
copy_digest (char dst[KAGO_DIGEST_SIZE], const char *src)
{
  snprintf (dst, KAGO_DIGEST_SIZE, "%s", src ? src : "");
}

int
kago_store_layer_get (struct kago_store *s, const char *chain_id, struct kago_layer_info *info,
                      kago_error_t *err)
{
  memset (info, 0, sizeof *info);
  if (kago_digest_check (chain_id, "layer", err) < 0)
    return -1;
  cleanup_free char *rel = xasprintf ("%s/layer.json", kago_digest_hex (chain_id));
  cleanup_free char *data = NULL;
  size_t len;
  kago_error_t e2 = NULL;
  if (read_file_at (s->layersfd, rel, &data, &len, &e2) < 0)
    {
      if (e2->errnum == ENOENT)
        {
          kago_error_release (&e2);
          return 0;
        }
      *err = e2;
      return kago_error_wrap (err, "layer %s", chain_id);
    }
  json_value *v = json_parse (data, len, err);
  if (v == NULL)
    return kago_error_wrap (err, "layer %s: layer.json", chain_id);
  copy_digest (info->chain_id, json_get_string (json_object_get (v, "chainId")));
  copy_digest (info->diff_id, json_get_string (json_object_get (v, "diffId")));
  copy_digest (info->parent, json_get_string (json_object_get (v, "parent")));
  copy_digest (info->blob, json_get_string (json_object_get (v, "blob")));
  const char *c = json_get_string (json_object_get (v, "compression"));
  snprintf (info->compression, sizeof info->compression, "%s", c ? c : "none");
  json_get_uint64 (json_object_get (v, "tarSize"), &info->tar_size);
  json_get_uint64 (json_object_get (v, "contentSize"), &info->content_size);
  json_free (v);
  if (strcmp (info->chain_id, chain_id) != 0 || !kago_digest_valid (info->diff_id))
    return kago_error_set (err, EINVAL, "layer %s: layer.json does not describe it", chain_id);
  return 1;
}

static char *
layer_json (const struct kago_layer_info *info)
{
  json_value *o = json_object_new ();
  json_object_set (o, "chainId", json_string_new (info->chain_id));
  json_object_set (o, "diffId", json_string_new (info->diff_id));
  json_object_set (o, "parent", json_string_new (info->parent));
  json_object_set (o, "blob", json_string_new (info->blob));
  json_object_set (o, "compression", json_string_new (info->compression));
  json_object_set (o, "tarSize", json_uint_new (info->tar_size));
  json_object_set (o, "contentSize", json_uint_new (info->content_size));
  char *s = json_to_string (o, true);
  json_free (o);
  return s;
}

/* Write layer.json into tmp/TMP, flush and rename it to layers/HEX.  */
static int
commit_layer (struct kago_store *s, const char *tmp, const struct kago_layer_info *info, kago_error_t *err)
{
  cleanup_free char *js = layer_json (info);
  cleanup_close int tfd = openat (s->tmpfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (tfd < 0)
    return kago_error_set (err, errno, "open `%s/tmp/%s`", s->root, tmp);
  if (write_file_atomic (tfd, "layer.json", js, strlen (js), 0600, err) < 0)
    return -1;
  /* Everything unpacked reaches the disk before the layer gets its name.  */
  if (syncfs (tfd) < 0)
    return kago_error_set (err, errno, "syncfs `%s`", s->root);
  if (renameat (s->tmpfd, tmp, s->layersfd, kago_digest_hex (info->chain_id)) < 0)
    return kago_error_set (err, errno, "store the layer %s", info->chain_id);
  return kago_fsync_dir (s->layersfd, err);
}

int
kago_store_layer_unpack (struct kago_store *s, const char *blob, const char *parent,
                         const char *expected_diff_id, struct kago_layer_info *info, kago_error_t *err)
{
  memset (info, 0, sizeof *info);
  if (expected_diff_id)
    {
      if (kago_digest_check (expected_diff_id, "diff ID", err) < 0)
        return -1;
      char chain[KAGO_DIGEST_SIZE];
      kago_chain_id (parent, expected_diff_id, chain);
      int r = kago_store_layer_get (s, chain, info, err);
      if (r != 0)
        return r < 0 ? -1 : 0; /* already unpacked */
    }

  cleanup_close int in = kago_store_open_blob (s, blob, err);
  if (in < 0)
    return -1;
  cleanup_free char *tmp = tmp_name (TMP_PREFIX_LAYER);
  if (mkdirat (s->tmpfd, tmp, 0700) < 0)
    return kago_error_set (err, errno, "create a layer in `%s/tmp`", s->root);
  cleanup_free char *diffrel = xasprintf ("%s/diff", tmp);
  if (mkdirat (s->tmpfd, diffrel, 0755) < 0)
    return kago_error_set (err, errno, "create a layer in `%s/tmp`", s->root);
  int ret = -1;
  cleanup_close int dfd = openat (s->tmpfd, diffrel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dfd < 0)
    {
      kago_error_set (err, errno, "open `%s/tmp/%s`", s->root, diffrel);
      goto out;
    }
  struct kago_unpack_result res;
  if (kago_layer_unpack (in, dfd, &res, err) < 0)
    {
      kago_error_wrap (err, "unpack the layer %s", blob);
      goto out;
    }
  if (expected_diff_id && strcmp (expected_diff_id, res.diff_id) != 0)
    {
      kago_error_set (err, 0, "layer %s: diff ID mismatch: the image says %s, the content is %s", blob,
                      expected_diff_id, res.diff_id);
      goto out;
    }
  kago_chain_id (parent, res.diff_id, info->chain_id);
  copy_digest (info->diff_id, res.diff_id);
  copy_digest (info->parent, parent);
  copy_digest (info->blob, blob);
  snprintf (info->compression, sizeof info->compression, "%s", res.compression);
  info->tar_size = res.tar_size;
  info->content_size = res.content_size;

  struct kago_layer_info existing;
  int r = kago_store_layer_get (s, info->chain_id, &existing, err);
  if (r < 0)
    goto out;
  if (r == 1)
    {
      /* The same content was there already (an import of a known tar).  */
      *info = existing;
      ret = 0;
      goto out;
    }
  if (commit_layer (s, tmp, info, err) < 0)
    goto out;
  return 0;

out:
  {
    kago_error_t e2 = NULL;
    if (remove_tree_at (s->tmpfd, tmp, &e2) < 0)
      kago_error_release (&e2); /* the next writer cleans tmp/ */
  }
  return ret;
}

/* ---- garbage collection ---- */

static bool
strv_has (char **v, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

static void
strv_push (char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = xstrdup (s);
  (*v)[*n] = NULL;
}

static void
strv_free (char **v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    free (v[i]);
  free (v);
}

/* Add the blobs image REC refers to: manifest, config, layer blobs.  */
static int
image_blobs (struct kago_store *s, const struct kago_image_rec *rec, char ***v, size_t *n, kago_error_t *err)
{
  strv_push (v, n, rec->manifest);
  strv_push (v, n, rec->id);
  json_value *m = kago_store_read_json_blob (s, rec->manifest, err);
  if (m == NULL)
    return kago_error_wrap (err, "image %s", rec->id);
  json_value *layers = json_object_get (m, "layers");
  for (size_t i = 0; i < json_array_len (layers); i++)
    {
      const char *d = json_get_string (json_object_get (json_array_at (layers, i), "digest"));
      if (d)
        strv_push (v, n, d);
    }
  json_free (m);
  for (size_t i = 0; i < rec->nlayers; i++)
    {
      struct kago_layer_info li;
      if (kago_store_layer_get (s, rec->layers[i], &li, err) < 0)
        return -1;
      if (li.blob[0])
        strv_push (v, n, li.blob);
    }
  return 0;
}

static uint64_t
tree_size (int dirfd, const char *name)
{
  uint64_t total = 0;
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return 0;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return 0;
    }
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      struct stat st;
      if (fstatat (fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        total += tree_size (fd, de->d_name);
      else if (S_ISREG (st.st_mode) && st.st_nlink == 1)
        total += (uint64_t) st.st_size;
    }
  closedir (d);
  return total;
}

int
kago_store_gc (struct kago_store *s, const struct kago_index *idx, char ***removed_layers,
               uint64_t *reclaimed, kago_error_t *err)
{
  char **keep_layers = NULL, **keep_blobs = NULL, **removed = NULL;
  size_t nkl = 0, nkb = 0, nrem = 0;
  uint64_t freed = 0;
  int ret = -1;
  for (size_t i = 0; i < idx->nimages; i++)
    {
      const struct kago_image_rec *rec = &idx->images[i];
      for (size_t j = 0; j < rec->nlayers; j++)
        if (!strv_has (keep_layers, nkl, rec->layers[j]))
          strv_push (&keep_layers, &nkl, rec->layers[j]);
      if (image_blobs (s, rec, &keep_blobs, &nkb, err) < 0)
        goto out;
    }

  /* Layers: renamed into tmp/ first, so that layers/ only ever holds whole
     layers even if this is interrupted.  */
  {
    int fd = dup (s->layersfd);
    DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
    if (d == NULL)
      {
        if (fd >= 0)
          close (fd);
        kago_error_set (err, errno, "read `%s/layers`", s->root);
        goto out;
      }
    rewinddir (d);
    struct dirent *de;
    char **names = NULL;
    size_t nn = 0;
    while ((de = readdir (d)))
      if (de->d_name[0] != '.')
        strv_push (&names, &nn, de->d_name);
    closedir (d);
    for (size_t i = 0; i < nn; i++)
      {
        cleanup_free char *chain = xasprintf ("sha256:%s", names[i]);
        if (strv_has (keep_layers, nkl, chain))
          continue;
        cleanup_free char *t = tmp_name ("gc-");
        uint64_t sz = tree_size (s->layersfd, names[i]);
        if (renameat (s->layersfd, names[i], s->tmpfd, t) < 0)
          {
            kago_error_set (err, errno, "remove the layer %s", chain);
            strv_free (names, nn);
            goto out;
          }
        if (remove_tree_at (s->tmpfd, t, err) < 0)
          {
            strv_free (names, nn);
            goto out;
          }
        freed += sz;
        if (kago_digest_valid (chain))
          strv_push (&removed, &nrem, chain);
      }
    strv_free (names, nn);
    if (kago_fsync_dir (s->layersfd, err) < 0)
      goto out;
  }

  /* Blobs.  */
  {
    int fd = dup (s->blobsfd);
    DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
    if (d == NULL)
      {
        if (fd >= 0)
          close (fd);
        kago_error_set (err, errno, "read `%s/blobs`", s->root);
        goto out;
      }
    rewinddir (d);
    struct dirent *de;
    while ((de = readdir (d)))
      {
        if (de->d_name[0] == '.')
          continue;
        cleanup_free char *dg = xasprintf ("sha256:%s", de->d_name);
        if (strv_has (keep_blobs, nkb, dg))
          continue;
        struct stat st;
        if (fstatat (s->blobsfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
          freed += (uint64_t) st.st_size;
        if (unlinkat (s->blobsfd, de->d_name, 0) < 0 && errno != ENOENT)
          {
            kago_error_set (err, errno, "remove the blob %s", dg);
            closedir (d);
            goto out;
          }
      }
    closedir (d);
  }
  ret = 0;
  if (removed_layers)
    {
      *removed_layers = removed;
      removed = NULL;
    }
  if (reclaimed)
    *reclaimed = freed;
out:
  strv_free (keep_layers, nkl);
  strv_free (keep_blobs, nkb);
  strv_free (removed, nrem);
  return ret;
}
