/* `kago save`: docker-save archives, the layout `docker load` and
 * `podman load` read:
 *
 *   manifest.json      [{"Config": "HEX.json", "RepoTags": [...], "Layers": ["DIFFHEX/layer.tar", ...]}]
 *   repositories       {"busybox": {"latest": "TOP-DIFFHEX"}}
 *   HEX.json           the config blob, byte for byte (so the image ID stays)
 *   DIFFHEX/layer.tar  each layer uncompressed (its digest is the diff ID)
 *   DIFFHEX/VERSION, DIFFHEX/json   the legacy per-layer files
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/image/la.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/image/image.h"
#include "engine/image/reference.h"
#include "engine/image/tar_writer.h"

struct saved_image
{
  struct kago_image_rec *rec;
  struct kago_strv tags; /* familiar "name:tag" */
};

static int
add_bytes (struct kago_tar_writer *w, const char *name, const void *data, size_t len, kago_error_t *err)
{
  struct kago_tar_entry e = { .name = name, .mode = S_IFREG | 0644, .size = len };
  if (kago_tar_write_header (w, &e, err) < 0)
    return -1;
  return len ? kago_tar_write_data (w, data, len, err) : 0;
}

static int
add_dir (struct kago_tar_writer *w, const char *name, kago_error_t *err)
{
  struct kago_tar_entry e = { .name = name, .mode = S_IFDIR | 0755 };
  return kago_tar_write_header (w, &e, err);
}

/* The layer's uncompressed tar, from its blob.  */
static int
add_layer (struct kago_store *s, struct kago_tar_writer *w, const char *name,
           const struct kago_layer_info *li, kago_error_t *err)
{
  struct kago_tar_entry e = { .name = name, .mode = S_IFREG | 0644, .size = li->tar_size };
  if (kago_la_load (err) < 0 || kago_tar_write_header (w, &e, err) < 0)
    return -1;
  cleanup_close int fd = kago_store_open_blob (s, li->blob, err);
  if (fd < 0)
    return -1;
  struct archive *a = archive_read_new ();
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_format_raw (a);
  archive_read_support_format_empty (a);
  struct archive_entry *ae;
  int ret = 0;
  uint64_t total = 0;
  kago_digester h;
  kago_digest_init (&h);
  if (archive_read_open_fd (a, fd, 1 << 20) != ARCHIVE_OK || archive_read_next_header (a, &ae) < ARCHIVE_WARN)
    ret = kago_error_set (err, 0, "read the layer %s: %s", li->chain_id, archive_error_string (a));
  while (ret == 0)
    {
      const void *buf;
      size_t len;
      la_int64_t off;
      int r = archive_read_data_block (a, &buf, &len, &off);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        {
          ret = kago_error_set (err, 0, "read the layer %s: %s", li->chain_id, archive_error_string (a));
          break;
        }
      if (total + len > li->tar_size)
        {
          ret = kago_error_set (err, 0, "the layer %s is longer than recorded", li->chain_id);
          break;
        }
      kago_digest_update (&h, buf, len);
      total += len;
      ret = kago_tar_write_data (w, buf, len, err);
    }
  archive_read_free (a);
  if (ret == 0)
    {
      char d[KAGO_DIGEST_SIZE];
      kago_digest_final (&h, d);
      if (total != li->tar_size || strcmp (d, li->diff_id) != 0)
        ret = kago_error_set (err, 0, "the layer %s does not match its diff ID %s: the store is damaged",
                              li->chain_id, li->diff_id);
    }
  return ret;
}

/* The images NAMES mean, with the tags each contributes: a tagged reference
   gives that tag, a repository name all its tags, an ID none.  */
static int
select_images (const struct kago_index *idx, const char *const *names, size_t n, struct saved_image **out,
               size_t *nout, kago_error_t *err)
{
  struct saved_image *v = xcalloc (n + 1, sizeof *v);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *matched = NULL;
      struct kago_image_rec *rec = kago_index_resolve (idx, names[i], &matched, err);
      if (rec == NULL)
        {
          for (size_t j = 0; j < k; j++)
            kago_strv_free (&v[j].tags);
          free (v);
          return -1;
        }
      struct saved_image *si = NULL;
      for (size_t j = 0; j < k; j++)
        if (v[j].rec == rec)
          si = &v[j];
      if (si == NULL)
        {
          si = &v[k++];
          si->rec = rec;
        }
      if (matched == NULL || strchr (matched, '@'))
        continue;
      /* A bare repository name ("busybox") saves all its tags.  */
      cleanup_ref struct kago_ref given = { 0 };
      kago_error_t e2 = NULL;
      bool bare = kago_ref_parse (names[i], 0, &given, &e2) == 0 && given.tag == NULL && given.digest == NULL;
      kago_error_release (&e2);
      cleanup_free char *repo = bare ? kago_ref_name (&given) : NULL;
      for (size_t t = 0; t < idx->ntags; t++)
        {
          const char *ref = idx->tags[t].ref;
          char *name;
          const char *tag, *dg;
          if (!kago_ref_split (ref, &name, &tag, &dg) || tag == NULL)
            continue;
          bool take = bare ? strcmp (name, repo) == 0 : strcmp (ref, matched) == 0;
          struct kago_image_rec *r2 = kago_index_by_manifest (idx, idx->tags[t].manifest);
          if (take && r2)
            {
              struct saved_image *target = NULL;
              for (size_t j = 0; j < k; j++)
                if (v[j].rec == r2)
                  target = &v[j];
              if (target == NULL)
                {
                  target = &v[k++];
                  v = xrealloc (v, (k + n + 1) * sizeof *v);
                  target = &v[k - 1];
                  memset (target, 0, sizeof *target);
                  target->rec = r2;
                }
              cleanup_free char *fam = kago_familiar_name (name);
              cleanup_free char *full = xasprintf ("%s:%s", fam, tag);
              bool dup = false;
              for (size_t j = 0; j < target->tags.n; j++)
                dup = dup || strcmp (target->tags.v[j], full) == 0;
              if (!dup)
                kago_strv_add (&target->tags, full);
            }
          free (name);
        }
    }
  *out = v;
  *nout = k;
  return 0;
}

static int
write_archive (struct kago_store *s, struct kago_tar_writer *w, struct saved_image *imgs, size_t nimgs,
               kago_error_t *err)
{
  json_value *manifest = json_array_new ();
  json_value *repos = json_object_new ();
  struct kago_strv written = { 0 };
  int ret = -1;
  for (size_t i = 0; i < nimgs; i++)
    {
      const struct kago_image_rec *rec = imgs[i].rec;
      cleanup_free char *cfgname = xasprintf ("%s.json", kago_digest_hex (rec->id));
      cleanup_free char *cfg = NULL;
      size_t cfglen;
      if (kago_store_read_blob (s, rec->id, &cfg, &cfglen, err) < 0
          || add_bytes (w, cfgname, cfg, cfglen, err) < 0)
        goto out;
      json_value *layers = json_array_new ();
      const char *top = NULL;
      for (size_t j = 0; j < rec->nlayers; j++)
        {
          struct kago_layer_info li;
          int r = kago_store_layer_get (s, rec->layers[j], &li, err);
          if (r <= 0)
            {
              if (r == 0)
                kago_error_set (err, 0, "image %s: its layer %s is missing", rec->id, rec->layers[j]);
              json_free (layers);
              goto out;
            }
          const char *hex = kago_digest_hex (li.diff_id);
          cleanup_free char *dir = xasprintf ("%s/", hex);
          cleanup_free char *tarname = xasprintf ("%s/layer.tar", hex);
          json_array_append (layers, json_string_new (tarname));
          top = json_get_string (json_array_at (layers, j));
          bool dup = false;
          for (size_t k = 0; k < written.n; k++)
            dup = dup || strcmp (written.v[k], hex) == 0;
          if (dup)
            continue;
          kago_strv_add (&written, hex);
          cleanup_free char *version = xasprintf ("%s/VERSION", hex);
          cleanup_free char *legacy = xasprintf ("%s/json", hex);
          cleanup_free char *legacy_json = xasprintf ("{\"id\":\"%s\"}", hex);
          if (add_dir (w, dir, err) < 0 || add_bytes (w, version, "1.0", 3, err) < 0
              || add_bytes (w, legacy, legacy_json, strlen (legacy_json), err) < 0
              || add_layer (s, w, tarname, &li, err) < 0)
            {
              json_free (layers);
              goto out;
            }
        }
      json_value *item = json_object_new ();
      json_object_set (item, "Config", json_string_new (cfgname));
      json_value *tags = imgs[i].tags.n ? json_array_new () : json_null_new ();
      for (size_t t = 0; t < imgs[i].tags.n; t++)
        {
          json_array_append (tags, json_string_new (imgs[i].tags.v[t]));
          char *colon = strrchr (imgs[i].tags.v[t], ':');
          cleanup_free char *repo = xstrndup (imgs[i].tags.v[t], (size_t) (colon - imgs[i].tags.v[t]));
          json_value *r = json_object_get (repos, repo);
          if (r == NULL)
            {
              r = json_object_new ();
              json_object_set (repos, repo, r);
            }
          if (top)
            {
              cleanup_free char *topdir = xstrndup (top, strlen (top) - strlen ("/layer.tar"));
              json_object_set (r, colon + 1, json_string_new (topdir));
            }
        }
      json_object_set (item, "RepoTags", tags);
      json_object_set (item, "Layers", layers);
      json_array_append (manifest, item);
    }
  {
    cleanup_free char *mtext = json_to_string (manifest, false);
    cleanup_free char *rtext = json_to_string (repos, false);
    if (add_bytes (w, "manifest.json", mtext, strlen (mtext), err) < 0
        || (json_object_len (repos) && add_bytes (w, "repositories", rtext, strlen (rtext), err) < 0)
        || kago_tar_write_end (w, err) < 0)
      goto out;
  }
  ret = 0;
out:
  kago_strv_free (&written);
  json_free (manifest);
  json_free (repos);
  return ret;
}

int
kago_image_save (struct kago_store *s, const char *const *names, size_t n, int out_fd, kago_error_t *err)
{
  if (n == 0)
    return kago_error_set (err, 0, "no image to save");
  /* A writer could remove a layer while it is read: hold the lock.  */
  if (kago_store_lock (s, err) < 0)
    return -1;
  cleanup_index struct kago_index idx;
  if (kago_index_load (s, &idx, err) < 0)
    return -1;
  struct saved_image *imgs;
  size_t nimgs;
  if (select_images (&idx, names, n, &imgs, &nimgs, err) < 0)
    return -1;
  struct kago_tar_writer w;
  kago_tar_writer_init (&w, kago_tar_fd_sink, &out_fd);
  int ret = write_archive (s, &w, imgs, nimgs, err);
  for (size_t i = 0; i < nimgs; i++)
    kago_strv_free (&imgs[i].tags);
  free (imgs);
  return ret;
}
