/* `kago load`: docker-save archives and OCI image layouts.
 *
 * The archive is read once, as a stream: every regular file in it becomes a
 * blob (hashed while it is written; a file named blobs/sha256/HEX must hash
 * to HEX), symlinks and hard links are remembered as aliases.  Then the
 * manifests are read from the blobs, the layers unpacked (each checked
 * against the config's diff ID) and the images added to the index in one
 * atomic write.  On any error the index is left as it was and what was
 * stored on the way is garbage-collected.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/image/la.h"
#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/image/image.h"
#include "engine/image/reference.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

struct member
{
  char *path;
  char digest[KAGO_DIGEST_SIZE]; /* regular files */
  char *alias;                   /* symlinks and hard links: the member they stand for */
};

struct archive_members
{
  struct member *v;
  size_t n, cap;
};

static void
members_free (struct archive_members *m)
{
  for (size_t i = 0; i < m->n; i++)
    {
      free (m->v[i].path);
      free (m->v[i].alias);
    }
  free (m->v);
}

/* Lexical normalization inside the archive's namespace: "." dropped, ".."
   pops (never above the top), absolute means from the top.  */
static char *
normalize (const char *dir, const char *path)
{
  struct kago_strv parts = { 0 };
  strbuf sb = STRBUF_INIT;
  if (path[0] != '/' && dir)
    {
      strbuf_adds (&sb, dir);
      strbuf_addc (&sb, '/');
    }
  strbuf_adds (&sb, path);
  char *save = NULL;
  for (char *c = strtok_r (sb.buf, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          if (parts.n)
            {
              free (parts.v[--parts.n]);
              parts.v[parts.n] = NULL;
            }
          continue;
        }
      kago_strv_add (&parts, c);
    }
  strbuf out = STRBUF_INIT;
  for (size_t i = 0; i < parts.n; i++)
    {
      if (i)
        strbuf_addc (&out, '/');
      strbuf_adds (&out, parts.v[i]);
    }
  kago_strv_free (&parts);
  strbuf_release (&sb);
  return strbuf_detach (&out);
}

static struct member *
members_add (struct archive_members *m, const char *path)
{
  if (m->n == m->cap)
    {
      m->cap = m->cap ? 2 * m->cap : 32;
      m->v = xrealloc (m->v, m->cap * sizeof *m->v);
    }
  struct member *e = &m->v[m->n++];
  memset (e, 0, sizeof *e);
  e->path = normalize (NULL, path);
  return e;
}

/* The blob digest of archive member PATH, following aliases.  */
static const char *
members_digest (const struct archive_members *m, const char *path, kago_error_t *err)
{
  cleanup_free char *p = normalize (NULL, path);
  for (int hops = 0; hops < 16; hops++)
    {
      const struct member *found = NULL;
      for (size_t i = m->n; i-- > 0;)
        if (strcmp (m->v[i].path, p) == 0)
          {
            found = &m->v[i];
            break;
          }
      if (found == NULL)
        break;
      if (found->alias == NULL)
        return found->digest;
      free (p);
      p = xstrdup (found->alias);
    }
  kago_error_set (err, 0, "the archive has no file `%s`", path);
  return NULL;
}

static bool
blob_path_digest (const char *path, char out[KAGO_DIGEST_SIZE])
{
  static const char pfx[] = "blobs/sha256/";
  if (strncmp (path, pfx, sizeof pfx - 1) != 0)
    return false;
  snprintf (out, KAGO_DIGEST_SIZE, "sha256:%s", path + sizeof pfx - 1);
  return kago_digest_valid (out);
}

static int
store_member (struct kago_store *s, struct archive *a, struct member *e, kago_error_t *err)
{
  struct kago_blob_writer w;
  if (kago_blob_writer_open (s, &w, err) < 0)
    return -1;
  for (;;)
    {
      const void *buf;
      size_t len;
      la_int64_t off;
      int r = archive_read_data_block (a, &buf, &len, &off);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        {
          kago_blob_writer_abort (&w);
          return kago_error_set (err, 0, "read `%s` from the archive: %s", e->path, archive_error_string (a));
        }
      if ((uint64_t) off != w.size)
        {
          kago_blob_writer_abort (&w);
          return kago_error_set (err, 0, "`%s` in the archive is sparse", e->path);
        }
      if (kago_blob_writer_write (&w, buf, len, err) < 0)
        {
          kago_blob_writer_abort (&w);
          return -1;
        }
    }
  char expected[KAGO_DIGEST_SIZE];
  bool named = blob_path_digest (e->path, expected);
  if (kago_blob_writer_commit (&w, named ? expected : NULL, e->digest, err) < 0)
    return kago_error_wrap (err, "`%s` in the archive", e->path);
  return 0;
}

/* Read the whole archive into blobs.  */
static int
read_archive (struct kago_store *s, int fd, struct archive_members *m, kago_error_t *err)
{
  if (kago_la_load (err) < 0)
    return -1;
  struct archive *a = archive_read_new ();
  archive_read_support_format_tar (a);
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  int ret = 0;
  if (archive_read_open_fd (a, fd, 1 << 20) != ARCHIVE_OK)
    ret = kago_error_set (err, 0, "read the archive: %s", archive_error_string (a));
  while (ret == 0)
    {
      struct archive_entry *e;
      int r = archive_read_next_header (a, &e);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        {
          ret = kago_error_set (err, 0, "read the archive: %s", archive_error_string (a));
          break;
        }
      const char *name = archive_entry_pathname (e);
      if (name == NULL)
        continue;
      if (archive_entry_hardlink (e))
        {
          struct member *mm = members_add (m, name);
          mm->alias = normalize (NULL, archive_entry_hardlink (e));
        }
      else if (archive_entry_filetype (e) == AE_IFLNK && archive_entry_symlink (e))
        {
          struct member *mm = members_add (m, name);
          cleanup_free char *dir = xstrdup (mm->path);
          char *slash = strrchr (dir, '/');
          if (slash)
            *slash = '\0';
          mm->alias = normalize (slash ? dir : NULL, archive_entry_symlink (e));
        }
      else if (archive_entry_filetype (e) == AE_IFREG)
        ret = store_member (s, a, members_add (m, name), err);
    }
  archive_read_free (a);
  if (ret == 0 && m->n == 0)
    ret = kago_error_set (err, 0, "the archive is empty");
  return ret;
}

static json_value *
member_json (struct kago_store *s, const struct archive_members *m, const char *path, kago_error_t *err)
{
  const char *d = members_digest (m, path, err);
  if (d == NULL)
    return NULL;
  json_value *v = kago_store_read_json_blob (s, d, err);
  if (v == NULL)
    kago_error_wrap (err, "`%s`", path);
  return v;
}

/* Unpack the layers BLOBS[i] against the config's diff IDs and commit the
   image.  */
static int
add_image (struct kago_store *s, struct kago_index *idx, const char *config_digest, const char *const *blobs,
           size_t nblobs, const char *manifest_digest, struct kago_image_rec **out, kago_error_t *err)
{
  json_value *config = kago_store_read_json_blob (s, config_digest, err);
  if (config == NULL)
    return kago_error_wrap (err, "the image config");
  int ret = -1;
  json_value *diff_ids = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  struct kago_layer_info *layers = xcalloc (nblobs + 1, sizeof *layers);
  if (json_array_len (diff_ids) != nblobs)
    {
      kago_error_set (err, 0, "image %s: its config lists %zu layers, its manifest %zu", config_digest,
                      json_array_len (diff_ids), nblobs);
      goto out;
    }
  for (size_t i = 0; i < nblobs; i++)
    {
      const char *diff = json_get_string (json_array_at (diff_ids, i));
      if (kago_digest_check (diff, "rootfs.diff_ids", err) < 0)
        goto out;
      if (kago_store_layer_unpack (s, blobs[i], i ? layers[i - 1].chain_id : NULL, diff, &layers[i], err) < 0)
        {
          kago_error_wrap (err, "image %s, layer %zu", config_digest, i + 1);
          goto out;
        }
    }
  ret = kago_image_commit (s, idx, config_digest, config, layers, nblobs, manifest_digest, out, err);
out:
  free (layers);
  json_free (config);
  return ret;
}

static void
add_tag (struct kago_index *idx, const struct kago_image_rec *rec, const struct kago_ref *ref,
         struct kago_strv *loaded)
{
  cleanup_free char *full = kago_ref_string (ref);
  cleanup_free char *fam = kago_ref_familiar_name (ref);
  kago_index_tag_set (idx, full, rec->manifest);
  kago_strv_addf (loaded, "%s:%s", fam, ref->tag);
}

static int
load_docker (struct kago_store *s, struct kago_index *idx, const struct archive_members *m,
             struct kago_strv *loaded, struct kago_strv *ids_only, kago_error_t *err)
{
  json_value *manifest = member_json (s, m, "manifest.json", err);
  if (manifest == NULL)
    return -1;
  int ret = -1;
  if (manifest->type != JSON_ARRAY)
    {
      kago_error_set (err, 0, "manifest.json is not an array");
      goto out;
    }
  for (size_t i = 0; i < json_array_len (manifest); i++)
    {
      json_value *item = json_array_at (manifest, i);
      const char *cfg = json_get_string (json_object_get (item, "Config"));
      json_value *lv = json_object_get (item, "Layers");
      if (cfg == NULL || (lv && lv->type != JSON_ARRAY))
        {
          kago_error_set (err, 0, "manifest.json: entry %zu has no Config or bad Layers", i);
          goto out;
        }
      const char *cd = members_digest (m, cfg, err);
      if (cd == NULL)
        goto out;
      char config_digest[KAGO_DIGEST_SIZE];
      snprintf (config_digest, sizeof config_digest, "%s", cd);
      size_t n = json_array_len (lv);
      const char **blobs = xcalloc (n + 1, sizeof *blobs);
      for (size_t j = 0; j < n; j++)
        {
          const char *p = json_get_string (json_array_at (lv, j));
          if (p == NULL || (blobs[j] = members_digest (m, p, err)) == NULL)
            {
              if (p == NULL)
                kago_error_set (err, 0, "manifest.json: a layer path is not a string");
              free (blobs);
              goto out;
            }
        }
      /* Check the tags before anything is unpacked.  */
      json_value *tags = json_object_get (item, "RepoTags");
      struct kago_ref *refs = xcalloc (json_array_len (tags) + 1, sizeof *refs);
      size_t nrefs = 0;
      int r = 0;
      for (size_t j = 0; j < json_array_len (tags) && r == 0; j++)
        {
          const char *t = json_get_string (json_array_at (tags, j));
          r = kago_ref_parse (t ? t : "", KAGO_REF_DEFAULT_TAG, &refs[nrefs], err);
          if (r == 0 && refs[nrefs].tag == NULL)
            r = kago_error_set (err, 0, "`%s`: a RepoTag without a tag", t);
          if (r == 0)
            nrefs++;
          else
            kago_error_wrap (err, "manifest.json: RepoTags");
        }
      struct kago_image_rec *rec = NULL;
      if (r == 0)
        r = add_image (s, idx, config_digest, blobs, n, NULL, &rec, err);
      free (blobs);
      for (size_t j = 0; j < nrefs; j++)
        {
          if (r == 0)
            add_tag (idx, rec, &refs[j], loaded);
          kago_ref_free (&refs[j]);
        }
      free (refs);
      if (r < 0)
        goto out;
      if (nrefs == 0)
        kago_strv_add (ids_only, rec->id);
    }
  ret = 0;
out:
  json_free (manifest);
  return ret;
}

/* The image manifest for this host in an OCI index or docker manifest list
   (or the only one).  */
static const json_value *
pick_platform (const json_value *list)
{
  json_value *ms = json_object_get (list, "manifests");
  const json_value *first = NULL;
  for (size_t i = 0; i < json_array_len (ms); i++)
    {
      json_value *d = json_array_at (ms, i);
      json_value *p = json_object_get (d, "platform");
      const char *os = json_get_string (json_object_get (p, "os"));
      const char *arch = json_get_string (json_object_get (p, "architecture"));
      if (first == NULL)
        first = d;
      if (os && arch && strcmp (os, "linux") == 0 && strcmp (arch, kago_host_arch ()) == 0)
        return d;
    }
  return json_array_len (ms) == 1 ? first : NULL;
}

static int
load_oci_one (struct kago_store *s, struct kago_index *idx, const json_value *desc, struct kago_strv *loaded,
              struct kago_strv *ids_only, kago_error_t *err)
{
  const char *mt = json_get_string (json_object_get (desc, "mediaType"));
  const char *md = json_get_string (json_object_get (desc, "digest"));
  if (kago_digest_check (md, "index.json", err) < 0)
    return -1;
  json_value *annotations = json_object_get (desc, "annotations");
  json_value *m = kago_store_read_json_blob (s, md, err);
  if (m == NULL)
    return kago_error_wrap (err, "index.json names a manifest the archive does not have");
  int ret = -1;
  char mdigest[KAGO_DIGEST_SIZE];
  snprintf (mdigest, sizeof mdigest, "%s", md);
  if ((mt && (strcmp (mt, MT_OCI_INDEX) == 0 || strcmp (mt, MT_DOCKER_LIST) == 0))
      || json_object_get (m, "manifests"))
    {
      const json_value *d = pick_platform (m);
      const char *d2 = d ? json_get_string (json_object_get (d, "digest")) : NULL;
      if (kago_digest_check (d2, "image index", err) < 0)
        {
          kago_error_wrap (err, "no linux/%s image in %s", kago_host_arch (), md);
          goto out;
        }
      snprintf (mdigest, sizeof mdigest, "%s", d2);
      json_free (m);
      if ((m = kago_store_read_json_blob (s, mdigest, err)) == NULL)
        return -1;
    }
  const char *cd = json_get_string (json_object_get (json_object_get (m, "config"), "digest"));
  if (kago_digest_check (cd, "manifest config", err) < 0)
    goto out;
  char config_digest[KAGO_DIGEST_SIZE];
  snprintf (config_digest, sizeof config_digest, "%s", cd);
  json_value *lv = json_object_get (m, "layers");
  size_t n = json_array_len (lv);
  const char **blobs = xcalloc (n + 1, sizeof *blobs);
  for (size_t j = 0; j < n; j++)
    {
      blobs[j] = json_get_string (json_object_get (json_array_at (lv, j), "digest"));
      if (kago_digest_check (blobs[j], "manifest layer", err) < 0)
        {
          free (blobs);
          goto out;
        }
    }
  struct kago_image_rec *rec = NULL;
  int r = add_image (s, idx, config_digest, blobs, n, mdigest, &rec, err);
  free (blobs);
  if (r < 0)
    goto out;

  /* The name: containerd's annotation, else an OCI ref.name that is a whole
     reference (a bare tag names nothing).  */
  const char *name = json_get_string (json_object_get (annotations, "io.containerd.image.name"));
  const char *refname = json_get_string (json_object_get (annotations, "org.opencontainers.image.ref.name"));
  if (name == NULL && refname && (strchr (refname, ':') || strchr (refname, '/')))
    name = refname;
  cleanup_ref struct kago_ref ref = { 0 };
  kago_error_t perr = NULL;
  if (name && kago_ref_parse (name, KAGO_REF_DEFAULT_TAG, &ref, &perr) == 0 && ref.tag)
    add_tag (idx, rec, &ref, loaded);
  else
    kago_strv_add (ids_only, rec->id);
  kago_error_release (&perr);
  ret = 0;
out:
  json_free (m);
  return ret;
}

static int
load_oci (struct kago_store *s, struct kago_index *idx, const struct archive_members *m,
          struct kago_strv *loaded, struct kago_strv *ids_only, kago_error_t *err)
{
  json_value *index = member_json (s, m, "index.json", err);
  if (index == NULL)
    return -1;
  int ret = 0;
  json_value *ms = json_object_get (index, "manifests");
  if (json_array_len (ms) == 0)
    ret = kago_error_set (err, 0, "index.json lists no manifests");
  for (size_t i = 0; i < json_array_len (ms) && ret == 0; i++)
    ret = load_oci_one (s, idx, json_array_at (ms, i), loaded, ids_only, err);
  json_free (index);
  return ret;
}

static bool
has_member (const struct archive_members *m, const char *path)
{
  for (size_t i = 0; i < m->n; i++)
    if (strcmp (m->v[i].path, path) == 0)
      return true;
  return false;
}

int
kago_image_load (struct kago_store *s, int fd, struct kago_strv *loaded, struct kago_strv *ids_only,
                 kago_error_t *err)
{
  if (kago_store_lock (s, err) < 0)
    return -1;
  cleanup_index struct kago_index idx;
  if (kago_index_load (s, &idx, err) < 0)
    return -1;
  struct archive_members m = { 0 };
  int ret = read_archive (s, fd, &m, err);
  if (ret == 0)
    {
      if (has_member (&m, "manifest.json"))
        ret = load_docker (s, &idx, &m, loaded, ids_only, err);
      else if (has_member (&m, "index.json"))
        ret = load_oci (s, &idx, &m, loaded, ids_only, err);
      else
        ret = kago_error_set (err, 0,
                              "not a docker-save archive nor an OCI image layout: no manifest.json or "
                              "index.json in it");
    }
  if (ret == 0)
    ret = kago_index_save (s, &idx, err);
  members_free (&m);
  /* Drop what is not referenced: the archive's other files, or all it
     brought when it failed.  */
  cleanup_index struct kago_index ondisk;
  kago_error_t e2 = NULL;
  if (kago_index_load (s, &ondisk, &e2) == 0)
    {
      if (kago_store_gc (s, &ondisk, NULL, NULL, &e2) < 0)
        kago_error_release (&e2);
    }
  else
    kago_error_release (&e2);
  if (ret < 0)
    {
      kago_strv_free (loaded);
      kago_strv_free (ids_only);
    }
  return ret;
}
