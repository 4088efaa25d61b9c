/* `kago pull`: a registry image into the store (image.h).  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/image/image.h"
#include "engine/image/reference.h"
#include "engine/image/registry.h"

void
kago_pull_result_free (struct kago_pull_result *res)
{
  free (res->ref);
  res->ref = NULL;
}

struct pull_ctx
{
  const struct kago_pull_progress *p;
  const size_t *map; /* download index -> layer index */
};

static void
on_blob (void *ctx, size_t i, enum kago_blob_state st, uint64_t cur, uint64_t total)
{
  struct pull_ctx *c = ctx;
  static const enum kago_pull_state states[] = {
    [KAGO_BLOB_WAITING] = KAGO_PULL_WAITING,   [KAGO_BLOB_DOWNLOADING] = KAGO_PULL_DOWNLOADING,
    [KAGO_BLOB_RETRYING] = KAGO_PULL_RETRYING, [KAGO_BLOB_VERIFYING] = KAGO_PULL_VERIFYING,
    [KAGO_BLOB_DONE] = KAGO_PULL_DOWNLOADED,
  };
  if (c->p && c->p->layer)
    c->p->layer (c->p->ctx, c->map[i], states[st], cur, total);
}

/* The image manifest: NAME's, or the platform's one in NAME's index.  */
static int
fetch_manifest (struct kago_registry *r, const char *reference, const struct kago_platform *plat, char **body,
                size_t *len, char top[KAGO_DIGEST_SIZE], char mdigest[KAGO_DIGEST_SIZE], json_value **out,
                kago_error_t *err)
{
  cleanup_free char *ct = NULL;
  if (kago_registry_get_manifest (r, reference, body, len, &ct, top, err) < 0)
    return -1;
  snprintf (mdigest, KAGO_DIGEST_SIZE, "%s", top);
  json_value *m = json_parse (*body, *len, err);
  if (m == NULL)
    return kago_error_wrap (err, "manifest %s", top);
  enum kago_manifest_kind k = kago_manifest_kind (ct, m);
  if (k == KAGO_MANIFEST_INDEX)
    {
      const json_value *d = kago_index_pick (m, plat, err);
      const char *dd = d ? json_get_string (json_object_get (d, "digest")) : NULL;
      if (d == NULL || kago_digest_check (dd, "manifest list entry", err) < 0)
        {
          json_free (m);
          return -1;
        }
      snprintf (mdigest, KAGO_DIGEST_SIZE, "%s", dd);
      json_free (m);
      free (*body);
      *body = NULL;
      free (ct);
      ct = NULL;
      char again[KAGO_DIGEST_SIZE];
      if (kago_registry_get_manifest (r, mdigest, body, len, &ct, again, err) < 0)
        return -1;
      if ((m = json_parse (*body, *len, err)) == NULL)
        return kago_error_wrap (err, "manifest %s", mdigest);
      k = kago_manifest_kind (ct, m);
    }
  if (k != KAGO_MANIFEST_IMAGE)
    {
      const char *mt = json_get_string (json_object_get (m, "mediaType"));
      kago_error_set (err, 0, "manifest %s: unsupported media type %s (docker schema 1 is not supported)",
                      mdigest,
                      mt   ? mt
                      : ct ? ct
                           : "(none)");
      json_free (m);
      return -1;
    }
  *out = m;
  return 0;
}

static int
pull_locked (struct kago_store *s, struct kago_index *idx, const struct kago_ref *ref,
             struct kago_registry *r, const struct kago_platform *plat, const struct kago_pull_opts *o,
             struct kago_pull_result *res, kago_error_t *err)
{
  cleanup_free char *body = NULL;
  size_t len = 0;
  char mdigest[KAGO_DIGEST_SIZE];
  json_value *mj = NULL;
  if (fetch_manifest (r, ref->digest ? ref->digest : ref->tag, plat, &body, &len, res->digest, mdigest, &mj,
                      err)
      < 0)
    return -1;
  int ret = -1;
  struct kago_manifest m = { 0 };
  json_value *config = NULL;
  struct kago_layer_info *layers = NULL;
  size_t *map = NULL;
  struct kago_descriptor *want = NULL;
  char **short_ids = NULL;
  if (kago_manifest_parse (mj, &m, err) < 0)
    goto out;
  char stored[KAGO_DIGEST_SIZE];
  if (kago_store_put_blob (s, body, len, mdigest, stored, err) < 0)
    goto out;
  res->up_to_date = kago_index_by_manifest (idx, mdigest) != NULL;

  /* The config, then the layers it names.  */
  if (kago_registry_get_blobs (r, s, &m.config, 1, NULL, NULL, err) < 0)
    goto out;
  if ((config = kago_store_read_json_blob (s, m.config.digest, err)) == NULL)
    goto out;
  json_value *diff_ids = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  if (json_array_len (diff_ids) != m.nlayers)
    {
      kago_error_set (err, 0, "image %s: its config lists %zu layers, its manifest %zu", m.config.digest,
                      json_array_len (diff_ids), m.nlayers);
      goto out;
    }
  layers = xcalloc (m.nlayers + 1, sizeof *layers);
  map = xcalloc (m.nlayers + 1, sizeof *map);
  want = xcalloc (m.nlayers + 1, sizeof *want);
  short_ids = xcalloc (m.nlayers + 1, sizeof *short_ids);
  bool *present = xcalloc (m.nlayers + 1, sizeof *present);
  size_t nwant = 0;
  for (size_t i = 0; i < m.nlayers; i++)
    {
      const char *diff = json_get_string (json_array_at (diff_ids, i));
      if (kago_digest_check (diff, "rootfs.diff_ids", err) < 0)
        {
          free (present);
          goto out;
        }
      char chain[KAGO_DIGEST_SIZE];
      kago_chain_id (i ? layers[i - 1].chain_id : NULL, diff, chain);
      short_ids[i] = xstrndup (kago_digest_hex (m.layers[i].digest), 12);
      int have = kago_store_layer_get (s, chain, &layers[i], err);
      snprintf (layers[i].chain_id, sizeof layers[i].chain_id, "%s", chain);
      if (have < 0)
        {
          free (present);
          goto out;
        }
      present[i] = have == 1;
      if (!present[i])
        {
          map[nwant] = i;
          want[nwant] = m.layers[i];
          want[nwant].media_type = NULL; /* borrowed: not freed twice */
          nwant++;
        }
    }
  const struct kago_pull_progress *p = o->progress;
  if (p && p->begin)
    p->begin (p->ctx, m.nlayers, (const char *const *) short_ids);
  for (size_t i = 0; i < m.nlayers; i++)
    if (present[i] && p && p->layer)
      p->layer (p->ctx, i, KAGO_PULL_EXISTS, 0, 0);
  struct pull_ctx pc = { .p = p, .map = map };
  int r2 = kago_registry_get_blobs (r, s, want, nwant, on_blob, &pc, err);
  if (r2 < 0)
    {
      free (present);
      goto out;
    }
  for (size_t i = 0; i < m.nlayers; i++)
    {
      if (present[i])
        continue;
      if (p && p->layer)
        p->layer (p->ctx, i, KAGO_PULL_EXTRACTING, 0, 0);
      const char *diff = json_get_string (json_array_at (diff_ids, i));
      if (kago_store_layer_unpack (s, m.layers[i].digest, i ? layers[i - 1].chain_id : NULL, diff, &layers[i],
                                   err)
          < 0)
        {
          kago_error_wrap (err, "layer %s", m.layers[i].digest);
          free (present);
          goto out;
        }
      if (p && p->layer)
        p->layer (p->ctx, i, KAGO_PULL_COMPLETE, 0, 0);
    }
  free (present);
  struct kago_image_rec *rec = NULL;
  if (kago_image_commit (s, idx, m.config.digest, config, layers, m.nlayers, mdigest, &rec, err) < 0)
    goto out;
  snprintf (res->id, sizeof res->id, "%s", rec->id);
  char *name = kago_ref_name (ref);
  if (ref->tag)
    {
      char *full = xasprintf ("%s:%s", name, ref->tag);
      const char *old = kago_index_tag_get (idx, full);
      if (old == NULL || strcmp (old, mdigest) != 0)
        res->up_to_date = false;
      kago_index_tag_set (idx, full, rec->manifest);
      free (full);
    }
  char *dref = xasprintf ("%s@%s", name, res->digest);
  kago_index_digest_add (idx, dref, rec->manifest);
  free (dref);
  free (name);
  ret = kago_index_save (s, idx, err);
out:
  for (size_t i = 0; short_ids && i < m.nlayers; i++)
    free (short_ids[i]);
  free (short_ids);
  free (want);
  free (map);
  free (layers);
  json_free (config);
  json_free (mj);
  kago_manifest_free (&m);
  return ret;
}

int
kago_image_pull (struct kago_store *s, const char *name, const struct kago_pull_opts *o,
                 struct kago_pull_result *res, kago_error_t *err)
{
  memset (res, 0, sizeof *res);
  cleanup_ref struct kago_ref ref = { 0 };
  if (kago_ref_parse (name, KAGO_REF_DEFAULT_TAG, &ref, err) < 0)
    return -1;
  struct kago_platform plat;
  if (o->platform)
    {
      if (kago_platform_parse (o->platform, &plat, err) < 0)
        return -1;
    }
  else
    kago_platform_host (&plat);
  res->ref = kago_ref_string (&ref);
  struct kago_registry *r = NULL;
  if (kago_registry_open (&ref, o->registry, &r, err) < 0)
    return -1;
  int ret = kago_store_lock (s, err);
  if (ret == 0)
    {
      cleanup_index struct kago_index idx;
      ret = kago_index_load (s, &idx, err);
      if (ret == 0)
        ret = pull_locked (s, &idx, &ref, r, &plat, o, res, err);
      /* Drop what the index does not name: all a failed pull brought.  */
      cleanup_index struct kago_index ondisk;
      kago_error_t e2 = NULL;
      if (kago_index_load (s, &ondisk, &e2) == 0)
        {
          if (kago_store_gc (s, &ondisk, NULL, NULL, &e2) < 0)
            kago_error_release (&e2);
        }
      else
        kago_error_release (&e2);
    }
  kago_registry_close (r);
  return ret;
}
