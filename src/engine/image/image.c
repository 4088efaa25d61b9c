/* Image operations on the index: commit (shared by load and import), tag,
   remove, prune, inspect.  */
#include "engine/image/image.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/image/reference.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"

void
kago_strv_add (struct kago_strv *s, const char *str)
{
  s->v = xrealloc (s->v, (s->n + 2) * sizeof *s->v);
  s->v[s->n++] = xstrdup (str);
  s->v[s->n] = NULL;
}

void
kago_strv_addf (struct kago_strv *s, const char *fmt, ...)
{
  va_list ap;
  strbuf sb = STRBUF_INIT;
  va_start (ap, fmt);
  strbuf_addvf (&sb, fmt, ap);
  va_end (ap);
  kago_strv_add (s, sb.buf ? sb.buf : "");
  strbuf_release (&sb);
}

void
kago_strv_free (struct kago_strv *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->v[i]);
  free (s->v);
  s->v = NULL;
  s->n = 0;
}

const char *
kago_host_arch (void)
{
  struct utsname u;
  if (uname (&u) < 0)
    return "amd64";
  if (strcmp (u.machine, "x86_64") == 0)
    return "amd64";
  if (strcmp (u.machine, "aarch64") == 0)
    return "arm64";
  if (strncmp (u.machine, "armv", 4) == 0)
    return "arm";
  if (strcmp (u.machine, "i686") == 0 || strcmp (u.machine, "i386") == 0)
    return "386";
  static const char *const same[] = { "ppc64le", "s390x", "riscv64", "mips64le" };
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
    if (strcmp (u.machine, same[i]) == 0)
      return same[i];
  return "amd64";
}

char *
kago_now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

static const char *
layer_media_type (const char *compression)
{
  if (strcmp (compression, "gzip") == 0)
    return MT_OCI_LAYER "+gzip";
  if (strcmp (compression, "zstd") == 0)
    return MT_OCI_LAYER "+zstd";
  return MT_OCI_LAYER;
}

static json_value *
descriptor (const char *media_type, const char *digest, int64_t size)
{
  json_value *d = json_object_new ();
  json_object_set (d, "mediaType", json_string_new (media_type));
  json_object_set (d, "digest", json_string_new (digest));
  json_object_set (d, "size", json_int_new (size));
  return d;
}

int
kago_image_commit (struct kago_store *s, struct kago_index *idx, const char *config_digest,
                   const json_value *config, const struct kago_layer_info *layers, size_t nlayers,
                   const char *manifest_digest, struct kago_image_rec **out, kago_error_t *err)
{
  struct kago_image_rec *existing = kago_index_find_id (idx, config_digest);
  if (existing)
    {
      *out = existing;
      return 0;
    }
  char mdigest[KAGO_DIGEST_SIZE];
  if (manifest_digest)
    snprintf (mdigest, sizeof mdigest, "%s", manifest_digest);
  else
    {
      /* An OCI manifest for an image that came without one (docker-save
         archives, import): its layers are the blobs the store keeps.  */
      json_value *m = json_object_new ();
      json_object_set (m, "schemaVersion", json_int_new (2));
      json_object_set (m, "mediaType", json_string_new (MT_OCI_MANIFEST));
      json_object_set (m, "config",
                       descriptor (MT_OCI_CONFIG, config_digest, kago_store_blob_size (s, config_digest)));
      json_value *ls = json_array_new ();
      for (size_t i = 0; i < nlayers; i++)
        json_array_append (ls, descriptor (layer_media_type (layers[i].compression), layers[i].blob,
                                           kago_store_blob_size (s, layers[i].blob)));
      json_object_set (m, "layers", ls);
      cleanup_free char *text = json_to_string (m, false);
      json_free (m);
      if (kago_store_put_blob (s, text, strlen (text), NULL, mdigest, err) < 0)
        return kago_error_wrap (err, "store the manifest");
    }
  struct kago_image_rec rec = { 0 };
  snprintf (rec.id, sizeof rec.id, "%s", config_digest);
  snprintf (rec.manifest, sizeof rec.manifest, "%s", mdigest);
  rec.layers = xcalloc (nlayers + 1, sizeof (char *));
  for (size_t i = 0; i < nlayers; i++)
    {
      rec.layers[i] = xstrdup (layers[i].chain_id);
      rec.size += layers[i].content_size;
    }
  rec.nlayers = nlayers;
  const char *created = json_get_string (json_object_get (config, "created"));
  rec.created = created ? xstrdup (created) : NULL;
  rec.added = kago_now_rfc3339 ();
  *out = kago_index_add_image (idx, &rec);
  kago_image_rec_clear (&rec);
  return 0;
}

/* "docker.io/library/busybox:latest" -> "busybox:latest"; the same for
   "NAME@DIGEST".  */
static char *
familiar_ref (const char *ref)
{
  char *name;
  const char *tag, *dg;
  if (!kago_ref_split (ref, &name, &tag, &dg))
    return kago_familiar_name (ref);
  cleanup_free char *f = kago_familiar_name (name);
  char *out = xasprintf ("%s%s%s", f, tag ? ":" : "@", tag ? tag : dg);
  free (name);
  return out;
}

int
kago_image_tag (struct kago_store *s, const char *src, const char *dst, kago_error_t *err)
{
  cleanup_ref struct kago_ref ref = { 0 };
  if (kago_ref_parse (dst, KAGO_REF_DEFAULT_TAG, &ref, err) < 0)
    return -1;
  if (ref.digest)
    return kago_error_set (err, 0, "refusing to create a tag with a digest reference");
  if (kago_store_lock (s, err) < 0)
    return -1;
  cleanup_index struct kago_index idx;
  if (kago_index_load (s, &idx, err) < 0)
    return -1;
  struct kago_image_rec *rec = kago_index_resolve (&idx, src, NULL, err);
  if (rec == NULL)
    return -1;
  cleanup_free char *full = kago_ref_string (&ref);
  kago_index_tag_set (&idx, full, rec->manifest);
  return kago_index_save (s, &idx, err);
}

static int
check_users (const struct kago_image_users *users, const struct kago_image_rec *rec, bool force,
             kago_error_t *err)
{
  if (users == NULL || users->in_use == NULL)
    return 0;
  cleanup_free char *by = NULL;
  int r = users->in_use (users->ctx, rec->id, &by, err);
  if (r < 0)
    return -1;
  /* Even forced: a container's rootfs stands on the image's layers, which
     removing the image would collect.  */
  if (r > 0)
    return kago_error_set (err, 0,
                           "conflict: unable to delete %.12s (%s) - image is being used by container %.12s",
                           kago_digest_hex (rec->id), force ? "cannot be forced" : "must be forced",
                           by ? by : "?");
  return 0;
}

/* Drop REC from IDX, save, and collect the garbage.  */
static int
delete_image (struct kago_store *s, struct kago_index *idx, const char *id, struct kago_strv *events,
              uint64_t *reclaimed, kago_error_t *err)
{
  char saved[KAGO_DIGEST_SIZE];
  snprintf (saved, sizeof saved, "%s", id);
  kago_index_remove_image (idx, saved);
  if (kago_index_save (s, idx, err) < 0)
    return -1;
  kago_strv_addf (events, "Deleted: %s", saved);
  char **removed = NULL;
  if (kago_store_gc (s, idx, &removed, reclaimed, err) < 0)
    return kago_error_wrap (err, "image %s deleted, but not all of its data", saved);
  for (char **r = removed; r && *r; r++)
    {
      kago_strv_addf (events, "Deleted: %s", *r);
      free (*r);
    }
  free (removed);
  return 0;
}

static void
untag_all (struct kago_index *idx, const struct kago_image_rec *rec, struct kago_strv *events)
{
  size_t n;
  cleanup_free const char **tags = kago_index_image_tags (idx, rec, &n);
  struct kago_strv copy = { 0 };
  for (size_t i = 0; i < n; i++)
    kago_strv_add (&copy, tags[i]);
  for (size_t i = 0; i < copy.n; i++)
    {
      cleanup_free char *f = familiar_ref (copy.v[i]);
      kago_strv_addf (events, "Untagged: %s", f);
      kago_index_tag_del (idx, copy.v[i]);
    }
  kago_strv_free (&copy);
  cleanup_free const char **dgs = kago_index_image_digests (idx, rec, &n);
  for (size_t i = 0; i < n; i++)
    kago_strv_add (&copy, dgs[i]);
  for (size_t i = 0; i < copy.n; i++)
    {
      cleanup_free char *f = familiar_ref (copy.v[i]);
      kago_strv_addf (events, "Untagged: %s", f);
      kago_index_digest_del (idx, copy.v[i]);
    }
  kago_strv_free (&copy);
}

/* The number of distinct repositories among REC's tags.  */
static size_t
repositories (const struct kago_index *idx, const struct kago_image_rec *rec)
{
  size_t n, count = 0;
  cleanup_free const char **tags = kago_index_image_tags (idx, rec, &n);
  struct kago_strv seen = { 0 };
  for (size_t i = 0; i < n; i++)
    {
      char *name;
      const char *t, *d;
      if (!kago_ref_split (tags[i], &name, &t, &d))
        continue;
      bool dup = false;
      for (size_t j = 0; j < seen.n; j++)
        dup = dup || strcmp (seen.v[j], name) == 0;
      if (!dup)
        {
          kago_strv_add (&seen, name);
          count++;
        }
      free (name);
    }
  kago_strv_free (&seen);
  return count;
}

int
kago_image_remove (struct kago_store *s, const char *name, bool force, const struct kago_image_users *users,
                   struct kago_strv *events, kago_error_t *err)
{
  if (kago_store_lock (s, err) < 0)
    return -1;
  cleanup_index struct kago_index idx;
  if (kago_index_load (s, &idx, err) < 0)
    return -1;
  cleanup_free char *matched = NULL;
  struct kago_image_rec *rec = kago_index_resolve (&idx, name, &matched, err);
  if (rec == NULL)
    return -1;
  char id[KAGO_DIGEST_SIZE];
  snprintf (id, sizeof id, "%s", rec->id);
  size_t ntags, ndigests;
  free (kago_index_image_tags (&idx, rec, &ntags));
  free (kago_index_image_digests (&idx, rec, &ndigests));

  if (matched && strchr (matched, '@') == NULL && ntags > 1)
    {
      /* One tag of several: just untag.  */
      cleanup_free char *f = familiar_ref (matched);
      kago_index_tag_del (&idx, matched);
      kago_strv_addf (events, "Untagged: %s", f);
      return kago_index_save (s, &idx, err);
    }
  if (matched == NULL && !force && repositories (&idx, rec) > 1)
    return kago_error_set (err, 0,
                           "conflict: unable to delete %.12s (must be forced) - image is referenced in "
                           "multiple repositories",
                           kago_digest_hex (id));
  if (check_users (users, rec, force, err) < 0)
    return -1;
  untag_all (&idx, rec, events);
  return delete_image (s, &idx, id, events, NULL, err);
}

int
kago_image_prune (struct kago_store *s, bool all, const struct kago_image_users *users,
                  struct kago_strv *deleted, uint64_t *reclaimed, kago_error_t *err)
{
  *reclaimed = 0;
  if (kago_store_lock (s, err) < 0)
    return -1;
  cleanup_index struct kago_index idx;
  if (kago_index_load (s, &idx, err) < 0)
    return -1;
  struct kago_strv victims = { 0 };
  for (size_t i = 0; i < idx.nimages; i++)
    {
      size_t ntags;
      free (kago_index_image_tags (&idx, &idx.images[i], &ntags));
      if (ntags > 0 && !all)
        continue;
      if (users && users->in_use)
        {
          cleanup_free char *by = NULL;
          int r = users->in_use (users->ctx, idx.images[i].id, &by, err);
          if (r < 0)
            {
              kago_strv_free (&victims);
              return -1;
            }
          if (r > 0)
            continue;
        }
      kago_strv_add (&victims, idx.images[i].id);
    }
  int ret = 0;
  for (size_t i = 0; i < victims.n && ret == 0; i++)
    {
      struct kago_image_rec *rec = kago_index_find_id (&idx, victims.v[i]);
      struct kago_strv events = { 0 };
      untag_all (&idx, rec, &events);
      for (size_t j = 0; j < events.n; j++)
        if (strncmp (events.v[j], "Untagged: ", 10) == 0)
          kago_strv_addf (deleted, "untagged: %s", events.v[j] + 10);
      kago_strv_free (&events);
      kago_index_remove_image (&idx, victims.v[i]);
      kago_strv_addf (deleted, "deleted: %s", victims.v[i]);
    }
  kago_strv_free (&victims);
  if (kago_index_save (s, &idx, err) < 0)
    return -1;
  char **removed = NULL;
  if (kago_store_gc (s, &idx, &removed, reclaimed, err) < 0)
    return -1;
  for (char **r = removed; r && *r; r++)
    {
      kago_strv_addf (deleted, "deleted: %s", *r);
      free (*r);
    }
  free (removed);
  return ret;
}

static json_value *
string_or_empty (const json_value *config, const char *key)
{
  const char *v = json_get_string (json_object_get (config, key));
  return json_string_new (v ? v : "");
}

static json_value *
clone (const json_value *v)
{
  if (v == NULL)
    return json_null_new ();
  cleanup_free char *s = json_to_string (v, false);
  json_value *c = json_parse (s, strlen (s), NULL);
  return c ? c : json_null_new ();
}

json_value *
kago_image_inspect (struct kago_store *s, const struct kago_index *idx, const struct kago_image_rec *rec,
                    kago_error_t *err)
{
  json_value *config = kago_store_read_json_blob (s, rec->id, err);
  if (config == NULL)
    return NULL;
  json_value *o = json_object_new ();
  json_object_set (o, "Id", json_string_new (rec->id));
  size_t n;
  json_value *tags = json_array_new ();
  cleanup_free const char **tv = kago_index_image_tags (idx, rec, &n);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *f = familiar_ref (tv[i]);
      json_array_append (tags, json_string_new (f));
    }
  json_object_set (o, "RepoTags", tags);
  json_value *dgs = json_array_new ();
  cleanup_free const char **dv = kago_index_image_digests (idx, rec, &n);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *f = familiar_ref (dv[i]);
      json_array_append (dgs, json_string_new (f));
    }
  json_object_set (o, "RepoDigests", dgs);
  json_object_set (o, "Parent", json_string_new (""));
  json_object_set (o, "Comment", string_or_empty (config, "comment"));
  json_object_set (o, "Created", string_or_empty (config, "created"));
  json_object_set (o, "DockerVersion", string_or_empty (config, "docker_version"));
  json_object_set (o, "Author", string_or_empty (config, "author"));
  json_value *cc = json_object_get (config, "config");
  json_object_set (o, "Config", cc ? clone (cc) : json_object_new ());
  json_object_set (o, "Architecture", string_or_empty (config, "architecture"));
  const char *variant = json_get_string (json_object_get (config, "variant"));
  if (variant)
    json_object_set (o, "Variant", json_string_new (variant));
  json_object_set (o, "Os", string_or_empty (config, "os"));
  json_object_set (o, "Size", json_uint_new (rec->size));
  json_value *gd = json_object_new ();
  json_value *data = json_object_new ();
  strbuf lower = STRBUF_INIT;
  for (size_t i = rec->nlayers; i-- > 0;)
    {
      cleanup_free char *p = kago_store_layer_path (s, rec->layers[i]);
      if (lower.len)
        strbuf_addc (&lower, ':');
      strbuf_adds (&lower, p);
    }
  json_object_set (data, "LowerDir", json_string_new (lower.buf ? lower.buf : ""));
  strbuf_release (&lower);
  json_object_set (gd, "Data", data);
  json_object_set (gd, "Name", json_string_new ("overlay"));
  json_object_set (o, "GraphDriver", gd);
  json_value *rootfs = json_object_new ();
  json_object_set (rootfs, "Type", json_string_new ("layers"));
  json_value *diff_ids = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  json_object_set (rootfs, "Layers", diff_ids ? clone (diff_ids) : json_array_new ());
  json_object_set (o, "RootFS", rootfs);
  json_value *meta = json_object_new ();
  json_object_set (meta, "LastTagTime", json_string_new (rec->added ? rec->added : ""));
  json_object_set (o, "Metadata", meta);
  json_free (config);
  return o;
}
