/* config.json: top level (ociVersion, root, mounts, hooks, annotations), the
 * typed getters with JSON-path errors shared by spec_*.c, and small helpers.
 */
#include "oci/spec.h"
#include "oci/spec_internal.h"

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON paths and errors ---- */

static void
render (strbuf *sb, const spath *p)
{
  if (p == NULL)
    return;
  render (sb, p->up);
  if (p->key == NULL)
    strbuf_addf (sb, "[%zu]", p->idx);
  else if (p->mapkey)
    {
      strbuf_addc (sb, '[');
      json_write_string (sb, p->key);
      strbuf_addc (sb, ']');
    }
  else if (p->key[0])
    {
      if (sb->len)
        strbuf_addc (sb, '.');
      strbuf_adds (sb, p->key);
    }
}

char *
sp_render (const spath *p)
{
  strbuf sb = STRBUF_INIT;
  render (&sb, p);
  return strbuf_detach (&sb);
}

int
sp_error (kago_error_t *err, const spath *p, const char *fmt, ...)
{
  strbuf sb = STRBUF_INIT;
  va_list ap;
  render (&sb, p);
  if (sb.len)
    strbuf_adds (&sb, ": ");
  va_start (ap, fmt);
  strbuf_addvf (&sb, fmt, ap);
  va_end (ap);
  kago_error_set (err, 0, "%s", sb.buf);
  strbuf_release (&sb);
  return -1;
}

static const char *
type_with_article (json_type t)
{
  switch (t)
    {
    case JSON_NULL:
      return "null";
    case JSON_BOOL:
      return "a boolean";
    case JSON_NUMBER:
      return "a number";
    case JSON_STRING:
      return "a string";
    case JSON_ARRAY:
      return "an array";
    case JSON_OBJECT:
      return "an object";
    default:
      return "a value";
    }
}

int
sp_expect (const json_value *v, json_type t, const spath *p, kago_error_t *err)
{
  if (v->type != t)
    return sp_error (err, p, "expected %s, got %s", type_with_article (t), json_type_name (v->type));
  return 0;
}

/* ---- Typed conversions ---- */

int
sp_str (const json_value *v, const spath *p, char **out, kago_error_t *err)
{
  if (sp_expect (v, JSON_STRING, p, err) < 0)
    return -1;
  size_t len = v->u.str.len;
  if (memchr (v->u.str.s, '\0', len) != NULL)
    return sp_error (err, p, "must not contain a NUL character");
  free (*out);
  *out = xmalloc (len + 1);
  memcpy (*out, v->u.str.s, len + 1);
  return 0;
}

int
sp_bool (const json_value *v, const spath *p, bool *out, kago_error_t *err)
{
  if (sp_expect (v, JSON_BOOL, p, err) < 0)
    return -1;
  *out = v->u.boolean;
  return 0;
}

/* Integer view of a number: exact integer tokens, or integral values written
   with a fraction/exponent that a double holds exactly (1.0, 1e3).  Returns
   0 for a non-integer, 1 for a value in *I (negative) / *U (non-negative),
   2 for an integer too large for 64 bits.  */
static int
int_view (const json_value *v, bool *neg, int64_t *i, uint64_t *u)
{
  if (v->u.num.is_uint)
    {
      *neg = false;
      *u = v->u.num.u;
      return 1;
    }
  if (v->u.num.is_int)
    {
      *neg = true;
      *i = v->u.num.i;
      return 1;
    }
  double d = v->u.num.d;
  if (!isfinite (d) || d != floor (d))
    return 0;
  if (fabs (d) > 9007199254740992.0) /* 2^53 */
    return fabs (d) >= 9223372036854775808.0 ? 2 : 0;
  if (d < 0)
    {
      *neg = true;
      *i = (int64_t) d;
    }
  else
    {
      *neg = false;
      *u = (uint64_t) d;
    }
  return 1;
}

static int
not_integer (const json_value *v, const spath *p, kago_error_t *err)
{
  if (v->type != JSON_NUMBER)
    return sp_error (err, p, "expected an integer, got %s", json_type_name (v->type));
  return sp_error (err, p, "expected an integer, got %g", v->u.num.d);
}

static int
out_of_range (const json_value *v, const spath *p, const char *range, kago_error_t *err)
{
  if (v->u.num.is_int)
    return sp_error (err, p, "%" PRId64 " is out of range (%s)", v->u.num.i, range);
  if (v->u.num.is_uint)
    return sp_error (err, p, "%" PRIu64 " is out of range (%s)", v->u.num.u, range);
  return sp_error (err, p, "%g is out of range (%s)", v->u.num.d, range);
}

int
sp_u64 (const json_value *v, const spath *p, uint64_t max, uint64_t *out, kago_error_t *err)
{
  bool neg = false;
  int64_t i = 0;
  uint64_t u = 0;
  int r = v->type == JSON_NUMBER ? int_view (v, &neg, &i, &u) : 0;
  if (r == 0)
    return not_integer (v, p, err);
  if (r == 2 || neg || u > max)
    {
      char range[64];
      snprintf (range, sizeof range, "0 to %" PRIu64, max);
      return out_of_range (v, p, range, err);
    }
  *out = u;
  return 0;
}

int
sp_i64 (const json_value *v, const spath *p, int64_t min, int64_t max, int64_t *out, kago_error_t *err)
{
  bool neg = false;
  int64_t i = 0;
  uint64_t u = 0;
  int r = v->type == JSON_NUMBER ? int_view (v, &neg, &i, &u) : 0;
  if (r == 0)
    return not_integer (v, p, err);
  if (!neg)
    {
      if (u > (uint64_t) INT64_MAX)
        r = 2;
      else
        i = (int64_t) u;
    }
  if (r == 2 || i < min || i > max)
    {
      char range[64];
      snprintf (range, sizeof range, "%" PRId64 " to %" PRId64, min, max);
      return out_of_range (v, p, range, err);
    }
  *out = i;
  return 0;
}

void
sp_strv_clear (oci_strv *v)
{
  if (v->v)
    {
      for (size_t i = 0; i < v->n; i++)
        free (v->v[i]);
      free (v->v);
    }
  v->v = NULL;
  v->n = 0;
}

int
sp_strv (const json_value *v, const spath *p, oci_strv *out, kago_error_t *err)
{
  if (sp_expect (v, JSON_ARRAY, p, err) < 0)
    return -1;
  sp_strv_clear (out);
  size_t n = v->u.arr.len;
  out->v = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      spath e = SP_IDX (p, i);
      if (sp_str (v->u.arr.items[i], &e, &out->v[i], err) < 0)
        {
          out->n = i;
          sp_strv_clear (out);
          return -1;
        }
    }
  out->n = n;
  return 0;
}

void
sp_map_clear (oci_map *m)
{
  for (size_t i = 0; i < m->n; i++)
    {
      free (m->items[i].key);
      free (m->items[i].value);
    }
  free (m->items);
  m->items = NULL;
  m->n = 0;
}

int
sp_map (const json_value *v, const spath *p, oci_map *out, kago_error_t *err)
{
  if (sp_expect (v, JSON_OBJECT, p, err) < 0)
    return -1;
  sp_map_clear (out);
  if (v->u.obj.len == 0)
    return 0;
  out->items = xcalloc (v->u.obj.len, sizeof *out->items);
  for (size_t i = 0; i < v->u.obj.len; i++)
    {
      const struct json_member *m = &v->u.obj.members[i];
      spath e = SP_MAPKEY (p, m->key);
      char *val = NULL;
      if (sp_str (m->value, &e, &val, err) < 0)
        {
          sp_map_clear (out);
          return -1;
        }
      /* A duplicate key: the last value wins, as on lookup.  */
      size_t j;
      for (j = 0; j < out->n; j++)
        if (strcmp (out->items[j].key, m->key) == 0)
          break;
      if (j < out->n)
        {
          free (out->items[j].value);
          out->items[j].value = val;
        }
      else
        {
          out->items[out->n].key = xstrdup (m->key);
          out->items[out->n].value = val;
          out->n++;
        }
    }
  return 0;
}

int
sp_idmaps (const json_value *v, const spath *p, oci_id_mappings *out, kago_error_t *err)
{
  if (sp_expect (v, JSON_ARRAY, p, err) < 0)
    return -1;
  free (out->items);
  out->items = NULL;
  out->n = 0;
  if (v->u.arr.len == 0)
    return 0;
  out->items = xcalloc (v->u.arr.len, sizeof *out->items);
  for (size_t i = 0; i < v->u.arr.len; i++)
    {
      const json_value *m = v->u.arr.items[i];
      spath e = SP_IDX (p, i);
      oci_id_mapping *o = &out->items[i];
      if (sp_expect (m, JSON_OBJECT, &e, err) < 0
          || sp_get_u32 (m, "containerID", &e, true, &o->container_id, err) < 0
          || sp_get_u32 (m, "hostID", &e, true, &o->host_id, err) < 0
          || sp_get_u32 (m, "size", &e, true, &o->size, err) < 0)
        {
          free (out->items);
          out->items = NULL;
          return -1;
        }
      out->n++;
    }
  return 0;
}

int
sp_check_abs (const char *s, const spath *p, kago_error_t *err)
{
  if (s == NULL || s[0] != '/')
    return sp_error (err, p, "must be an absolute path, got \"%s\"", s ? s : "");
  return 0;
}

/* ---- Member getters ---- */

static int
absent (bool required, const char *key, const spath *p, kago_error_t *err)
{
  if (!required)
    return 0;
  spath c = SP_KEY (p, key);
  return sp_error (err, &c, "required");
}

int
sp_get_str (const json_value *obj, const char *key, const spath *p, bool required, char **out,
            kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  if (v == NULL)
    return absent (required, key, p, err);
  spath c = SP_KEY (p, key);
  return sp_str (v, &c, out, err) < 0 ? -1 : 1;
}

int
sp_get_bool (const json_value *obj, const char *key, const spath *p, bool *out, kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  if (v == NULL)
    return 0;
  spath c = SP_KEY (p, key);
  return sp_bool (v, &c, out, err) < 0 ? -1 : 1;
}

int
sp_get_u64 (const json_value *obj, const char *key, const spath *p, bool required, uint64_t *out,
            kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  if (v == NULL)
    return absent (required, key, p, err);
  spath c = SP_KEY (p, key);
  return sp_u64 (v, &c, UINT64_MAX, out, err) < 0 ? -1 : 1;
}

int
sp_get_i64 (const json_value *obj, const char *key, const spath *p, bool required, int64_t *out,
            kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  if (v == NULL)
    return absent (required, key, p, err);
  spath c = SP_KEY (p, key);
  return sp_i64 (v, &c, INT64_MIN, INT64_MAX, out, err) < 0 ? -1 : 1;
}

int
sp_get_u32 (const json_value *obj, const char *key, const spath *p, bool required, uint32_t *out,
            kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  uint64_t u;
  if (v == NULL)
    return absent (required, key, p, err);
  spath c = SP_KEY (p, key);
  if (sp_u64 (v, &c, UINT32_MAX, &u, err) < 0)
    return -1;
  *out = (uint32_t) u;
  return 1;
}

int
sp_get_i32 (const json_value *obj, const char *key, const spath *p, bool required, int32_t *out,
            kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  int64_t i;
  if (v == NULL)
    return absent (required, key, p, err);
  spath c = SP_KEY (p, key);
  if (sp_i64 (v, &c, INT32_MIN, INT32_MAX, &i, err) < 0)
    return -1;
  *out = (int32_t) i;
  return 1;
}

int
sp_get_u16 (const json_value *obj, const char *key, const spath *p, uint16_t *out, kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  uint64_t u;
  if (v == NULL)
    return 0;
  spath c = SP_KEY (p, key);
  if (sp_u64 (v, &c, UINT16_MAX, &u, err) < 0)
    return -1;
  *out = (uint16_t) u;
  return 1;
}

int
sp_get_strv (const json_value *obj, const char *key, const spath *p, oci_strv *out, kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  if (v == NULL)
    return 0;
  spath c = SP_KEY (p, key);
  return sp_strv (v, &c, out, err) < 0 ? -1 : 1;
}

int
sp_get_map (const json_value *obj, const char *key, const spath *p, oci_map *out, kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  if (v == NULL)
    return 0;
  spath c = SP_KEY (p, key);
  return sp_map (v, &c, out, err) < 0 ? -1 : 1;
}

int
sp_get_idmaps (const json_value *obj, const char *key, const spath *p, oci_id_mappings *out,
               kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  if (v == NULL)
    return 0;
  spath c = SP_KEY (p, key);
  return sp_idmaps (v, &c, out, err) < 0 ? -1 : 1;
}

static int
get_typed (const json_value *obj, const char *key, const spath *p, json_type t, const json_value **out,
           kago_error_t *err)
{
  const json_value *v = sp_member (obj, key);
  *out = NULL;
  if (v == NULL)
    return 0;
  spath c = SP_KEY (p, key);
  if (sp_expect (v, t, &c, err) < 0)
    return -1;
  *out = v;
  return 1;
}

int
sp_get_obj (const json_value *obj, const char *key, const spath *p, const json_value **out, kago_error_t *err)
{
  return get_typed (obj, key, p, JSON_OBJECT, out, err);
}

int
sp_get_arr (const json_value *obj, const char *key, const spath *p, const json_value **out, kago_error_t *err)
{
  return get_typed (obj, key, p, JSON_ARRAY, out, err);
}

/* ---- ociVersion ---- */

/* A SemVer numeric identifier: digits, no leading zero.  */
static const char *
semver_num (const char *s, unsigned long *out)
{
  if (*s < '0' || *s > '9')
    return NULL;
  if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
    return NULL;
  unsigned long v = 0;
  while (*s >= '0' && *s <= '9')
    {
      if (v > 100000)
        return NULL;
      v = v * 10 + (unsigned long) (*s - '0');
      s++;
    }
  *out = v;
  return s;
}

/* Dot-separated non-empty identifiers of [0-9A-Za-z-].  */
static bool
semver_idents (const char **sp)
{
  const char *s = *sp;
  for (;;)
    {
      size_t n = 0;
      while ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '-')
        {
          n++;
          s++;
        }
      if (n == 0)
        return false;
      if (*s != '.')
        break;
      s++;
    }
  *sp = s;
  return true;
}

/* Optional -PRERELEASE then optional +BUILD, and nothing else.  */
static bool
semver_suffix_ok (const char *s)
{
  if (*s == '-')
    {
      s++;
      if (!semver_idents (&s))
        return false;
    }
  if (*s == '+')
    {
      s++;
      if (!semver_idents (&s))
        return false;
    }
  return *s == '\0';
}

int
oci_version_check (const char *version, kago_error_t *err)
{
  unsigned long major, minor, patch;
  const char *s = version;
  if (s)
    s = semver_num (s, &major);
  if (s && *s == '.')
    s = semver_num (s + 1, &minor);
  else
    s = NULL;
  if (s && *s == '.')
    s = semver_num (s + 1, &patch);
  else
    s = NULL;
  if (s == NULL || !semver_suffix_ok (s) || major != 1 || minor > 3)
    return kago_error_set (err, 0,
                           "ociVersion: unsupported version \"%s\" (kago supports 1.0.0 through 1.3.x)",
                           version ? version : "");
  (void) patch;
  return 0;
}

/* ---- Mounts ---- */

static void
mount_clear (oci_mount *m)
{
  free (m->destination);
  free (m->type);
  free (m->source);
  sp_strv_clear (&m->options);
  free (m->uid_mappings.items);
  free (m->gid_mappings.items);
}

static int
parse_mounts (const json_value *arr, const spath *p, oci_spec *s, kago_error_t *err)
{
  if (arr->u.arr.len == 0)
    return 0;
  s->mounts = xcalloc (arr->u.arr.len, sizeof *s->mounts);
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *v = arr->u.arr.items[i];
      spath e = SP_IDX (p, i);
      oci_mount *m = &s->mounts[i];
      s->n_mounts = i + 1;
      if (sp_expect (v, JSON_OBJECT, &e, err) < 0
          || sp_get_str (v, "destination", &e, true, &m->destination, err) < 0
          || sp_get_str (v, "type", &e, false, &m->type, err) < 0
          || sp_get_str (v, "source", &e, false, &m->source, err) < 0
          || sp_get_strv (v, "options", &e, &m->options, err) < 0
          || sp_get_idmaps (v, "uidMappings", &e, &m->uid_mappings, err) < 0
          || sp_get_idmaps (v, "gidMappings", &e, &m->gid_mappings, err) < 0)
        return -1;
      if (m->destination[0] == '\0')
        {
          spath d = SP_KEY (&e, "destination");
          return sp_error (err, &d, "must not be empty");
        }
    }
  return 0;
}

/* ---- The whole config ---- */

static int
parse_spec (const json_value *root, oci_spec *s, kago_error_t *err)
{
  const json_value *v;
  int r;

  if (root == NULL || root->type != JSON_OBJECT)
    return kago_error_set (err, 0, "the configuration must be a JSON object, got %s",
                           root ? json_type_name (root->type) : "nothing");

  if (sp_get_str (root, "ociVersion", NULL, true, &s->oci_version, err) < 0
      || oci_version_check (s->oci_version, err) < 0)
    return -1;

  spath rp = SP_KEY (NULL, "root");
  r = sp_get_obj (root, "root", NULL, &v, err);
  if (r < 0)
    return -1;
  if (r == 0)
    return sp_error (err, &rp, "required");
  if (sp_get_str (v, "path", &rp, true, &s->root_path, err) < 0
      || sp_get_bool (v, "readonly", &rp, &s->root_readonly, err) < 0)
    return -1;
  if (s->root_path[0] == '\0')
    {
      spath pp = SP_KEY (&rp, "path");
      return sp_error (err, &pp, "must not be empty");
    }

  if (sp_get_str (root, "hostname", NULL, false, &s->hostname, err) < 0
      || sp_get_str (root, "domainname", NULL, false, &s->domainname, err) < 0)
    return -1;

  r = sp_get_arr (root, "mounts", NULL, &v, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      spath mp = SP_KEY (NULL, "mounts");
      if (parse_mounts (v, &mp, s, err) < 0)
        return -1;
    }

  v = sp_member (root, "process");
  if (v)
    {
      s->process = oci_process_parse (v, "process", err);
      if (s->process == NULL)
        return -1;
    }

  r = sp_get_obj (root, "hooks", NULL, &v, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      spath hp = SP_KEY (NULL, "hooks");
      if (spec_hooks_parse (v, &hp, &s->hooks, err) < 0)
        return -1;
    }

  if (sp_get_map (root, "annotations", NULL, &s->annotations, err) < 0)
    return -1;

  r = sp_get_obj (root, "linux", NULL, &v, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      spath lp = SP_KEY (NULL, "linux");
      s->has_linux = true;
      if (spec_linux_parse (v, &lp, &s->linux_, err) < 0)
        return -1;
    }
  return 0;
}

oci_spec *
oci_spec_parse (const json_value *root, kago_error_t *err)
{
  oci_spec *s = xzalloc (sizeof *s);
  if (parse_spec (root, s, err) < 0)
    {
      oci_spec_free (s);
      return NULL;
    }
  return s;
}

oci_spec *
oci_spec_load (const char *config_path, kago_error_t *err)
{
  json_value *root = json_parse_file (config_path, err);
  if (root == NULL)
    return NULL;
  oci_spec *s = oci_spec_parse (root, err);
  json_free (root);
  if (s == NULL)
    kago_error_wrap (err, "%s", config_path);
  return s;
}

void
oci_spec_free (oci_spec *s)
{
  if (s == NULL)
    return;
  free (s->oci_version);
  free (s->root_path);
  free (s->hostname);
  free (s->domainname);
  for (size_t i = 0; i < s->n_mounts; i++)
    mount_clear (&s->mounts[i]);
  free (s->mounts);
  oci_process_free (s->process);
  spec_hooks_clear (&s->hooks);
  sp_map_clear (&s->annotations);
  spec_linux_clear (&s->linux_);
  free (s);
}

/* ---- Helpers ---- */

const char *
oci_map_get (const oci_map *m, const char *key)
{
  if (m == NULL)
    return NULL;
  for (size_t i = m->n; i > 0; i--)
    if (strcmp (m->items[i - 1].key, key) == 0)
      return m->items[i - 1].value;
  return NULL;
}
