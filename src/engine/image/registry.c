/* The registry client (registry.h).  */
#include "engine/image/registry.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/image/image.h"

/* ================================================================ pure parts */

void
kago_www_auth_free (struct kago_www_auth *a)
{
  free (a->scheme);
  free (a->realm);
  free (a->service);
  free (a->scope);
  free (a->error);
  memset (a, 0, sizeof *a);
}

int
kago_www_auth_parse (const char *h, struct kago_www_auth *out, kago_error_t *err)
{
  memset (out, 0, sizeof *out);
  while (*h == ' ' || *h == '\t')
    h++;
  size_t sl = strcspn (h, " \t");
  if (sl == 0)
    return kago_error_set (err, 0, "WWW-Authenticate: no scheme in `%s`", h);
  out->scheme = xstrndup (h, sl);
  const char *p = h + sl;
  for (;;)
    {
      while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
      if (*p == '\0')
        break;
      size_t kl = strcspn (p, "= \t,");
      if (kl == 0 || p[kl] != '=')
        {
          kago_www_auth_free (out);
          return kago_error_set (err, 0, "WWW-Authenticate: expected KEY=VALUE at `%s`", p);
        }
      cleanup_free char *key = xstrndup (p, kl);
      p += kl + 1;
      strbuf v = { 0 };
      if (*p == '"')
        {
          p++;
          while (*p && *p != '"')
            {
              if (*p == '\\' && p[1])
                p++;
              strbuf_addc (&v, *p++);
            }
          if (*p != '"')
            {
              strbuf_release (&v);
              kago_www_auth_free (out);
              return kago_error_set (err, 0, "WWW-Authenticate: unterminated quoted value of `%s`", key);
            }
          p++;
        }
      else
        {
          size_t vl = strcspn (p, ", \t");
          strbuf_add (&v, p, vl);
          p += vl;
        }
      char *val = strbuf_detach (&v);
      char **slot = NULL;
      if (strcasecmp (key, "realm") == 0)
        slot = &out->realm;
      else if (strcasecmp (key, "service") == 0)
        slot = &out->service;
      else if (strcasecmp (key, "scope") == 0)
        slot = &out->scope;
      else if (strcasecmp (key, "error") == 0)
        slot = &out->error;
      if (slot)
        {
          free (*slot);
          *slot = val;
        }
      else
        free (val);
    }
  if (strcasecmp (out->scheme, "Bearer") == 0 && out->realm == NULL)
    {
      kago_www_auth_free (out);
      return kago_error_set (err, 0, "WWW-Authenticate: a Bearer challenge without realm");
    }
  return 0;
}

static void
copy_field (char *dst, size_t len, const char *s, size_t n)
{
  if (n >= len)
    n = len - 1;
  memcpy (dst, s, n);
  dst[n] = '\0';
}

static void
normalize_platform (struct kago_platform *p)
{
  for (char *c = p->os; *c; c++)
    *c = (char) tolower ((unsigned char) *c);
  for (char *c = p->arch; *c; c++)
    *c = (char) tolower ((unsigned char) *c);
  if (strcmp (p->arch, "x86_64") == 0 || strcmp (p->arch, "x86-64") == 0)
    snprintf (p->arch, sizeof p->arch, "amd64");
  else if (strcmp (p->arch, "aarch64") == 0)
    snprintf (p->arch, sizeof p->arch, "arm64");
  else if (strcmp (p->arch, "armhf") == 0)
    {
      snprintf (p->arch, sizeof p->arch, "arm");
      if (!*p->variant)
        snprintf (p->variant, sizeof p->variant, "v7");
    }
  else if (strcmp (p->arch, "armel") == 0)
    {
      snprintf (p->arch, sizeof p->arch, "arm");
      if (!*p->variant)
        snprintf (p->variant, sizeof p->variant, "v6");
    }
  else if (strcmp (p->arch, "i386") == 0)
    snprintf (p->arch, sizeof p->arch, "386");
}

int
kago_platform_parse (const char *s, struct kago_platform *p, kago_error_t *err)
{
  memset (p, 0, sizeof *p);
  const char *a = strchr (s, '/');
  const char *v = a ? strchr (a + 1, '/') : NULL;
  if (a == NULL || a == s || a[1] == '\0' || a[1] == '/' || (v && (v[1] == '\0' || strchr (v + 1, '/'))))
    return kago_error_set (err, 0, "invalid platform `%s`: expected os/arch[/variant]", s);
  if ((size_t) (a - s) >= sizeof p->os || (size_t) ((v ? v : a + strlen (a)) - a - 1) >= sizeof p->arch
      || (v && strlen (v + 1) >= sizeof p->variant))
    return kago_error_set (err, 0, "invalid platform `%s`: a part is too long", s);
  copy_field (p->os, sizeof p->os, s, (size_t) (a - s));
  copy_field (p->arch, sizeof p->arch, a + 1, v ? (size_t) (v - a - 1) : strlen (a + 1));
  if (v)
    copy_field (p->variant, sizeof p->variant, v + 1, strlen (v + 1));
  normalize_platform (p);
  return 0;
}

void
kago_platform_host (struct kago_platform *p)
{
  memset (p, 0, sizeof *p);
  snprintf (p->os, sizeof p->os, "linux");
  snprintf (p->arch, sizeof p->arch, "%s", kago_host_arch ());
  if (strcmp (p->arch, "arm64") == 0)
    snprintf (p->variant, sizeof p->variant, "v8");
  else if (strcmp (p->arch, "arm") == 0)
    snprintf (p->variant, sizeof p->variant, "v7");
}

bool
kago_platform_match (const struct kago_platform *want, const json_value *plat)
{
  const char *os = json_get_string (json_object_get (plat, "os"));
  const char *arch = json_get_string (json_object_get (plat, "architecture"));
  const char *variant = json_get_string (json_object_get (plat, "variant"));
  if (os == NULL || arch == NULL)
    return false;
  struct kago_platform got = { 0 };
  snprintf (got.os, sizeof got.os, "%s", os);
  snprintf (got.arch, sizeof got.arch, "%s", arch);
  snprintf (got.variant, sizeof got.variant, "%s", variant ? variant : "");
  normalize_platform (&got);
  if (strcmp (got.os, want->os) != 0 || strcmp (got.arch, want->arch) != 0)
    return false;
  if (!*want->variant || !*got.variant)
    /* arm64 images rarely say v8; 32-bit arm ones always say which.  */
    return strcmp (want->arch, "arm") != 0 || !*want->variant || !*got.variant
           || strcmp (want->variant, got.variant) == 0;
  return strcmp (want->variant, got.variant) == 0;
}

void
kago_platform_string (const struct kago_platform *p, char *buf, size_t len)
{
  snprintf (buf, len, "%s/%s%s%s", p->os, p->arch, *p->variant ? "/" : "", p->variant);
}

enum kago_manifest_kind
kago_manifest_kind (const char *ct, const json_value *m)
{
  const char *mt = json_get_string (json_object_get (m, "mediaType"));
  for (int pass = 0; pass < 2; pass++)
    {
      const char *t = pass ? mt : ct;
      if (t == NULL)
        continue;
      size_t l = strcspn (t, "; ");
      if ((l == strlen (MT_DOCKER_MANIFEST) && strncmp (t, MT_DOCKER_MANIFEST, l) == 0)
          || (l == strlen (MT_OCI_MANIFEST_V1) && strncmp (t, MT_OCI_MANIFEST_V1, l) == 0))
        return KAGO_MANIFEST_IMAGE;
      if ((l == strlen (MT_DOCKER_MANIFEST_LIST) && strncmp (t, MT_DOCKER_MANIFEST_LIST, l) == 0)
          || (l == strlen (MT_OCI_INDEX_V1) && strncmp (t, MT_OCI_INDEX_V1, l) == 0))
        return KAGO_MANIFEST_INDEX;
    }
  /* OCI allows mediaType to be absent: tell by shape.  */
  json_value *sv = json_object_get (m, "schemaVersion");
  int64_t v = 0;
  if (json_get_int64 (sv, &v) < 0 || v != 2)
    return KAGO_MANIFEST_UNKNOWN;
  if (json_object_get (m, "manifests") && !json_object_get (m, "config"))
    return KAGO_MANIFEST_INDEX;
  if (json_object_get (m, "config") && json_object_get (m, "layers"))
    return KAGO_MANIFEST_IMAGE;
  return KAGO_MANIFEST_UNKNOWN;
}

const json_value *
kago_index_pick (const json_value *index, const struct kago_platform *want, kago_error_t *err)
{
  json_value *ms = json_object_get (index, "manifests");
  for (size_t i = 0; i < json_array_len (ms); i++)
    {
      json_value *d = json_array_at (ms, i);
      if (kago_platform_match (want, json_object_get (d, "platform")))
        return d;
    }
  strbuf have = { 0 };
  for (size_t i = 0; i < json_array_len (ms); i++)
    {
      json_value *pl = json_object_get (json_array_at (ms, i), "platform");
      const char *os = json_get_string (json_object_get (pl, "os"));
      const char *arch = json_get_string (json_object_get (pl, "architecture"));
      const char *var = json_get_string (json_object_get (pl, "variant"));
      if (os == NULL || arch == NULL)
        continue;
      strbuf_addf (&have, "%s%s/%s%s%s", have.len ? ", " : "", os, arch, var ? "/" : "", var ? var : "");
    }
  char w[96];
  kago_platform_string (want, w, sizeof w);
  kago_error_set (err, 0, "no matching manifest for %s in the manifest list entries (%s)", w,
                  have.len ? have.buf : "none");
  strbuf_release (&have);
  return NULL;
}

static int
parse_descriptor (const json_value *d, const char *what, struct kago_descriptor *out, kago_error_t *err)
{
  const char *digest = json_get_string (json_object_get (d, "digest"));
  if (kago_digest_check (digest, what, err) < 0)
    return -1;
  snprintf (out->digest, sizeof out->digest, "%s", digest);
  const char *mt = json_get_string (json_object_get (d, "mediaType"));
  out->media_type = mt ? xstrdup (mt) : NULL;
  int64_t size = -1;
  json_value *sv = json_object_get (d, "size");
  if (sv && (json_get_int64 (sv, &size) < 0 || size < 0))
    return kago_error_set (err, 0, "%s: bad size", what);
  out->size = sv ? size : -1;
  return 0;
}

void
kago_manifest_free (struct kago_manifest *m)
{
  free (m->config.media_type);
  for (size_t i = 0; i < m->nlayers; i++)
    free (m->layers[i].media_type);
  free (m->layers);
  memset (m, 0, sizeof *m);
}

static bool
layer_type_ok (const char *mt)
{
  static const char *const ok[] = {
    "application/vnd.oci.image.layer.v1.tar",       "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",  "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar",
  };
  if (mt == NULL)
    return true;
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if (strcmp (mt, ok[i]) == 0)
      return true;
  return false;
}

int
kago_manifest_parse (const json_value *m, struct kago_manifest *out, kago_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (parse_descriptor (json_object_get (m, "config"), "manifest config", &out->config, err) < 0)
    goto fail;
  json_value *ls = json_object_get (m, "layers");
  if (ls == NULL || ls->type != JSON_ARRAY)
    {
      kago_error_set (err, 0, "the manifest has no layers array");
      goto fail;
    }
  out->layers = xcalloc (json_array_len (ls) + 1, sizeof *out->layers);
  for (size_t i = 0; i < json_array_len (ls); i++)
    {
      if (parse_descriptor (json_array_at (ls, i), "manifest layer", &out->layers[i], err) < 0)
        goto fail;
      out->nlayers++;
      const char *mt = out->layers[i].media_type;
      if (!layer_type_ok (mt))
        {
          kago_error_set (err, 0, "layer %s: unsupported media type `%s`%s", out->layers[i].digest, mt,
                          strstr (mt, "foreign") ? " (foreign layers are not pulled)" : "");
          goto fail;
        }
    }
  return 0;
fail:
  kago_manifest_free (out);
  return -1;
}

enum kago_resume
kago_resume_decide (uint64_t have, long status, const char *cr)
{
  if (status == 200)
    return KAGO_RESUME_RESTART;
  if (status != 206 || cr == NULL)
    return KAGO_RESUME_FAIL;
  while (*cr == ' ')
    cr++;
  if (strncasecmp (cr, "bytes ", 6) != 0)
    return KAGO_RESUME_FAIL;
  char *end;
  errno = 0;
  unsigned long long start = strtoull (cr + 6, &end, 10);
  if (errno || end == cr + 6 || *end != '-')
    return KAGO_RESUME_FAIL;
  if (have == 0 && start == 0)
    return KAGO_RESUME_APPEND;
  return start == have ? KAGO_RESUME_APPEND : KAGO_RESUME_FAIL;
}
