/* The reference index: index.json in memory, its atomic replacement, and
   name resolution as docker does it (see index.h).  */
#include "engine/image/index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "engine/image/reference.h"
#include "engine/image/store.h"

#define INDEX_FILE "index.json"

void
kago_image_rec_clear (struct kago_image_rec *rec)
{
  for (size_t i = 0; i < rec->nlayers; i++)
    free (rec->layers[i]);
  free (rec->layers);
  free (rec->created);
  free (rec->added);
  memset (rec, 0, sizeof *rec);
}

void
kago_index_free (struct kago_index *idx)
{
  for (size_t i = 0; i < idx->nimages; i++)
    kago_image_rec_clear (&idx->images[i]);
  for (size_t i = 0; i < idx->ntags; i++)
    free (idx->tags[i].ref);
  for (size_t i = 0; i < idx->ndigests; i++)
    free (idx->digests[i].ref);
  free (idx->images);
  free (idx->tags);
  free (idx->digests);
  memset (idx, 0, sizeof *idx);
}

static void
copy_rec (struct kago_image_rec *dst, const struct kago_image_rec *src)
{
  memset (dst, 0, sizeof *dst);
  memcpy (dst->id, src->id, sizeof dst->id);
  memcpy (dst->manifest, src->manifest, sizeof dst->manifest);
  dst->layers = xcalloc (src->nlayers + 1, sizeof (char *));
  for (size_t i = 0; i < src->nlayers; i++)
    dst->layers[i] = xstrdup (src->layers[i]);
  dst->nlayers = src->nlayers;
  dst->created = src->created ? xstrdup (src->created) : NULL;
  dst->added = src->added ? xstrdup (src->added) : NULL;
  dst->size = src->size;
}

struct kago_image_rec *
kago_index_find_id (const struct kago_index *idx, const char *id)
{
  for (size_t i = 0; i < idx->nimages; i++)
    if (strcmp (idx->images[i].id, id) == 0)
      return &idx->images[i];
  return NULL;
}

struct kago_image_rec *
kago_index_by_manifest (const struct kago_index *idx, const char *manifest)
{
  for (size_t i = 0; i < idx->nimages; i++)
    if (strcmp (idx->images[i].manifest, manifest) == 0)
      return &idx->images[i];
  return NULL;
}

struct kago_image_rec *
kago_index_add_image (struct kago_index *idx, const struct kago_image_rec *rec)
{
  struct kago_image_rec *r = kago_index_find_id (idx, rec->id);
  if (r)
    return r;
  if (idx->nimages == idx->capimages)
    {
      idx->capimages = idx->capimages ? 2 * idx->capimages : 8;
      idx->images = xrealloc (idx->images, idx->capimages * sizeof *idx->images);
    }
  copy_rec (&idx->images[idx->nimages], rec);
  return &idx->images[idx->nimages++];
}

static void
refs_drop_manifest (struct kago_ref_entry *v, size_t *n, const char *manifest)
{
  size_t k = 0;
  for (size_t i = 0; i < *n; i++)
    {
      if (strcmp (v[i].manifest, manifest) == 0)
        free (v[i].ref);
      else
        v[k++] = v[i];
    }
  *n = k;
}

void
kago_index_remove_image (struct kago_index *idx, const char *id)
{
  for (size_t i = 0; i < idx->nimages; i++)
    if (strcmp (idx->images[i].id, id) == 0)
      {
        refs_drop_manifest (idx->tags, &idx->ntags, idx->images[i].manifest);
        refs_drop_manifest (idx->digests, &idx->ndigests, idx->images[i].manifest);
        kago_image_rec_clear (&idx->images[i]);
        memmove (&idx->images[i], &idx->images[i + 1], (idx->nimages - i - 1) * sizeof *idx->images);
        idx->nimages--;
        return;
      }
}

static struct kago_ref_entry *
refs_find (struct kago_ref_entry *v, size_t n, const char *ref)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (v[i].ref, ref) == 0)
      return &v[i];
  return NULL;
}

static void
refs_set (struct kago_ref_entry **v, size_t *n, size_t *cap, const char *ref, const char *manifest)
{
  struct kago_ref_entry *e = refs_find (*v, *n, ref);
  if (e == NULL)
    {
      if (*n == *cap)
        {
          *cap = *cap ? 2 * *cap : 8;
          *v = xrealloc (*v, *cap * sizeof **v);
        }
      e = &(*v)[(*n)++];
      e->ref = xstrdup (ref);
    }
  snprintf (e->manifest, sizeof e->manifest, "%s", manifest);
}

static bool
refs_del (struct kago_ref_entry *v, size_t *n, const char *ref)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp (v[i].ref, ref) == 0)
      {
        free (v[i].ref);
        memmove (&v[i], &v[i + 1], (*n - i - 1) * sizeof *v);
        (*n)--;
        return true;
      }
  return false;
}

const char *
kago_index_tag_get (const struct kago_index *idx, const char *ref)
{
  struct kago_ref_entry *e = refs_find (idx->tags, idx->ntags, ref);
  return e ? e->manifest : NULL;
}

void
kago_index_tag_set (struct kago_index *idx, const char *ref, const char *manifest)
{
  refs_set (&idx->tags, &idx->ntags, &idx->captags, ref, manifest);
}

bool
kago_index_tag_del (struct kago_index *idx, const char *ref)
{
  return refs_del (idx->tags, &idx->ntags, ref);
}

void
kago_index_digest_add (struct kago_index *idx, const char *ref, const char *manifest)
{
  refs_set (&idx->digests, &idx->ndigests, &idx->capdigests, ref, manifest);
}

bool
kago_index_digest_del (struct kago_index *idx, const char *ref)
{
  return refs_del (idx->digests, &idx->ndigests, ref);
}

static const char **
refs_of (const struct kago_ref_entry *v, size_t nv, const struct kago_image_rec *rec, size_t *n)
{
  const char **out = xcalloc (nv + 1, sizeof *out);
  size_t k = 0;
  for (size_t i = 0; i < nv; i++)
    if (strcmp (v[i].manifest, rec->manifest) == 0)
      out[k++] = v[i].ref;
  if (n)
    *n = k;
  return out;
}

const char **
kago_index_image_tags (const struct kago_index *idx, const struct kago_image_rec *rec, size_t *n)
{
  return refs_of (idx->tags, idx->ntags, rec, n);
}

const char **
kago_index_image_digests (const struct kago_index *idx, const struct kago_image_rec *rec, size_t *n)
{
  return refs_of (idx->digests, idx->ndigests, rec, n);
}

/* ---- load / save ---- */

static int
load_refs (json_value *obj, const char *what, struct kago_ref_entry **v, size_t *n, size_t *cap,
           kago_error_t *err)
{
  if (obj == NULL)
    return 0;
  if (obj->type != JSON_OBJECT)
    return kago_error_set (err, EINVAL, "index.json: `%s` is not an object", what);
  for (size_t i = 0; i < obj->u.obj.len; i++)
    {
      const char *m = json_get_string (obj->u.obj.members[i].value);
      if (kago_digest_check (m, what, err) < 0)
        return kago_error_wrap (err, "index.json");
      refs_set (v, n, cap, obj->u.obj.members[i].key, m);
    }
  return 0;
}

int
kago_index_load (struct kago_store *s, struct kago_index *idx, kago_error_t *err)
{
  memset (idx, 0, sizeof *idx);
  cleanup_free char *data = NULL;
  size_t len;
  kago_error_t e2 = NULL;
  if (read_file_at (s->dirfd, INDEX_FILE, &data, &len, &e2) < 0)
    {
      if (e2->errnum == ENOENT)
        {
          kago_error_release (&e2);
          return 0;
        }
      *err = e2;
      return -1;
    }
  json_value *v = json_parse (data, len, err);
  if (v == NULL)
    return kago_error_wrap (err, "`%s/%s`", s->root, INDEX_FILE);
  int ret = -1;
  json_value *images = json_object_get (v, "images");
  for (size_t i = 0; i < json_array_len (images); i++)
    {
      json_value *o = json_array_at (images, i);
      const char *id = json_get_string (json_object_get (o, "id"));
      const char *m = json_get_string (json_object_get (o, "manifest"));
      if (kago_digest_check (id, "image id", err) < 0 || kago_digest_check (m, "manifest", err) < 0)
        {
          kago_error_wrap (err, "`%s/%s`", s->root, INDEX_FILE);
          goto out;
        }
      struct kago_image_rec rec = { 0 };
      snprintf (rec.id, sizeof rec.id, "%s", id);
      snprintf (rec.manifest, sizeof rec.manifest, "%s", m);
      json_value *layers = json_object_get (o, "layers");
      rec.layers = xcalloc (json_array_len (layers) + 1, sizeof (char *));
      for (size_t j = 0; j < json_array_len (layers); j++)
        {
          const char *l = json_get_string (json_array_at (layers, j));
          if (kago_digest_check (l, "layer", err) < 0)
            {
              kago_image_rec_clear (&rec);
              kago_error_wrap (err, "`%s/%s`", s->root, INDEX_FILE);
              goto out;
            }
          rec.layers[rec.nlayers++] = xstrdup (l);
        }
      const char *c = json_get_string (json_object_get (o, "created"));
      const char *a = json_get_string (json_object_get (o, "added"));
      rec.created = c ? xstrdup (c) : NULL;
      rec.added = a ? xstrdup (a) : NULL;
      json_get_uint64 (json_object_get (o, "size"), &rec.size);
      kago_index_add_image (idx, &rec);
      kago_image_rec_clear (&rec);
    }
  if (load_refs (json_object_get (v, "tags"), "tags", &idx->tags, &idx->ntags, &idx->captags, err) < 0
      || load_refs (json_object_get (v, "repoDigests"), "repoDigests", &idx->digests, &idx->ndigests,
                    &idx->capdigests, err)
             < 0)
    goto out;
  ret = 0;
out:
  json_free (v);
  if (ret < 0)
    kago_index_free (idx);
  return ret;
}

int
kago_index_save (struct kago_store *s, const struct kago_index *idx, kago_error_t *err)
{
  json_value *root = json_object_new ();
  json_object_set (root, "version", json_int_new (1));
  json_value *images = json_array_new ();
  for (size_t i = 0; i < idx->nimages; i++)
    {
      const struct kago_image_rec *r = &idx->images[i];
      json_value *o = json_object_new ();
      json_object_set (o, "id", json_string_new (r->id));
      json_object_set (o, "manifest", json_string_new (r->manifest));
      json_value *l = json_array_new ();
      for (size_t j = 0; j < r->nlayers; j++)
        json_array_append (l, json_string_new (r->layers[j]));
      json_object_set (o, "layers", l);
      if (r->created)
        json_object_set (o, "created", json_string_new (r->created));
      if (r->added)
        json_object_set (o, "added", json_string_new (r->added));
      json_object_set (o, "size", json_uint_new (r->size));
      json_array_append (images, o);
    }
  json_object_set (root, "images", images);
  json_value *tags = json_object_new ();
  for (size_t i = 0; i < idx->ntags; i++)
    json_object_set (tags, idx->tags[i].ref, json_string_new (idx->tags[i].manifest));
  json_object_set (root, "tags", tags);
  json_value *dg = json_object_new ();
  for (size_t i = 0; i < idx->ndigests; i++)
    json_object_set (dg, idx->digests[i].ref, json_string_new (idx->digests[i].manifest));
  json_object_set (root, "repoDigests", dg);
  cleanup_free char *text = json_to_string (root, true);
  json_free (root);
  if (write_file_atomic (s->dirfd, INDEX_FILE, text, strlen (text), 0600, err) < 0)
    return kago_error_wrap (err, "save the image index");
  return kago_fsync_dir (s->dirfd, err);
}

/* ---- resolution ---- */

static bool
is_hex (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

/* The image whose ID starts with HEX; NULL with an error when none or more
   than one.  */
static struct kago_image_rec *
by_id_prefix (const struct kago_index *idx, const char *name, const char *hex, kago_error_t *err)
{
  struct kago_image_rec *found = NULL;
  size_t n = strlen (hex);
  for (size_t i = 0; i < idx->nimages; i++)
    if (strncmp (kago_digest_hex (idx->images[i].id), hex, n) == 0)
      {
        if (found)
          {
            kago_error_set (err, 0, "image ID prefix `%s` is ambiguous", name);
            return NULL;
          }
        found = &idx->images[i];
      }
  if (found == NULL)
    kago_error_set (err, 0, "No such image: %s", name);
  return found;
}

struct kago_image_rec *
kago_index_resolve (const struct kago_index *idx, const char *name, char **matched, kago_error_t *err)
{
  if (matched)
    *matched = NULL;
  if (strncmp (name, "sha256:", 7) == 0 && is_hex (name + 7))
    return by_id_prefix (idx, name, name + 7, err);

  cleanup_ref struct kago_ref ref = { 0 };
  kago_error_t perr = NULL;
  if (kago_ref_parse (name, KAGO_REF_DEFAULT_TAG, &ref, &perr) == 0)
    {
      cleanup_free char *full = kago_ref_string (&ref);
      const char *m = NULL;
      if (ref.digest)
        {
          /* name@digest: a repo digest, or the manifest of a tagged image of
             that repository.  */
          cleanup_free char *dref = xasprintf ("%s/%s@%s", ref.domain, ref.path, ref.digest);
          struct kago_ref_entry *e = refs_find (idx->digests, idx->ndigests, dref);
          if (e)
            m = e->manifest;
          else if (kago_index_by_manifest (idx, ref.digest))
            m = ref.digest;
          if (m && matched)
            *matched = xstrdup (dref);
        }
      else
        {
          m = kago_index_tag_get (idx, full);
          if (m && matched)
            *matched = xstrdup (full);
        }
      if (m)
        {
          struct kago_image_rec *r = kago_index_by_manifest (idx, m);
          if (r)
            return r;
        }
    }
  /* A short ID that is not a known reference.  */
  if (is_hex (name))
    {
      kago_error_release (&perr);
      return by_id_prefix (idx, name, name, err);
    }
  if (perr)
    {
      *err = perr;
      return NULL;
    }
  /* docker names what it looked for: "No such image: busybox:latest".  */
  cleanup_free char *fam = kago_ref_familiar_name (&ref);
  kago_error_set (err, 0, "No such image: %s%s%s", fam, ref.tag ? ":" : "@", ref.tag ? ref.tag : ref.digest);
  return NULL;
}
