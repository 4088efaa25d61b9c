/* Internal helpers shared by the config.json parser files (spec*.c).
 *
 * JSON paths for error messages are kept as a chain of stack-allocated
 * segments and rendered only when an error is reported, so a successful
 * parse never formats a path.
 *
 *   spath c = SP_KEY (p, "args");           -> "process.args"
 *   spath e = SP_IDX (&c, 0);               -> "process.args[0]"
 *   spath m = SP_MAPKEY (p, "net.ipv4.x");  -> "linux.sysctl[\"net.ipv4.x\"]"
 *
 * Getters return 1 when the member was present and stored, 0 when it is
 * absent (or JSON null, which the spec treats as absent) and -1 on error.
 */
#ifndef KAGO_OCI_SPEC_INTERNAL_H
#define KAGO_OCI_SPEC_INTERNAL_H

#include "oci/spec.h"

typedef struct spath
{
  const struct spath *up;
  const char *key; /* member name; NULL for an array index */
  size_t idx;
  bool mapkey; /* render as ["key"] (map keys may contain dots) */
} spath;

#define SP_KEY(parent, k) ((spath){ .up = (parent), .key = (k), .idx = 0, .mapkey = false })
#define SP_IDX(parent, i) ((spath){ .up = (parent), .key = NULL, .idx = (i), .mapkey = false })
#define SP_MAPKEY(parent, k) ((spath){ .up = (parent), .key = (k), .idx = 0, .mapkey = true })

/* "PATH: MESSAGE" (just MESSAGE at the root).  Returns -1.  */
int sp_error (kago_error_t *err, const spath *p, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* The rendered path (heap).  */
char *sp_render (const spath *p);

/* Member KEY of OBJ, NULL when absent or null.  */
static inline const json_value *
sp_member (const json_value *obj, const char *key)
{
  const json_value *v = json_object_get (obj, key);
  return v && v->type != JSON_NULL ? v : NULL;
}

/* Type check V (non-NULL) against T.  */
int sp_expect (const json_value *v, json_type t, const spath *p, kago_error_t *err);

/* Conversions of a present value.  */
int sp_str (const json_value *v, const spath *p, char **out, kago_error_t *err);
int sp_bool (const json_value *v, const spath *p, bool *out, kago_error_t *err);
int sp_u64 (const json_value *v, const spath *p, uint64_t max, uint64_t *out, kago_error_t *err);
int sp_i64 (const json_value *v, const spath *p, int64_t min, int64_t max, int64_t *out, kago_error_t *err);
int sp_strv (const json_value *v, const spath *p, oci_strv *out, kago_error_t *err);
int sp_map (const json_value *v, const spath *p, oci_map *out, kago_error_t *err);
int sp_idmaps (const json_value *v, const spath *p, oci_id_mappings *out, kago_error_t *err);

/* Members of OBJ (1 present / 0 absent / -1 error).  REQUIRED turns absence
   into the error "PATH.KEY: required".  */
int sp_get_str (const json_value *obj, const char *key, const spath *p, bool required, char **out,
                kago_error_t *err);
int sp_get_bool (const json_value *obj, const char *key, const spath *p, bool *out, kago_error_t *err);
int sp_get_u64 (const json_value *obj, const char *key, const spath *p, bool required, uint64_t *out,
                kago_error_t *err);
int sp_get_i64 (const json_value *obj, const char *key, const spath *p, bool required, int64_t *out,
                kago_error_t *err);
int sp_get_u32 (const json_value *obj, const char *key, const spath *p, bool required, uint32_t *out,
                kago_error_t *err);
int sp_get_i32 (const json_value *obj, const char *key, const spath *p, bool required, int32_t *out,
                kago_error_t *err);
int sp_get_u16 (const json_value *obj, const char *key, const spath *p, uint16_t *out, kago_error_t *err);
int sp_get_strv (const json_value *obj, const char *key, const spath *p, oci_strv *out, kago_error_t *err);
int sp_get_map (const json_value *obj, const char *key, const spath *p, oci_map *out, kago_error_t *err);
int sp_get_idmaps (const json_value *obj, const char *key, const spath *p, oci_id_mappings *out,
                   kago_error_t *err);
/* An object member: 1 and *OUT set when present, 0 when absent, -1 (with
   "expected an object") when it has another type.  */
int sp_get_obj (const json_value *obj, const char *key, const spath *p, const json_value **out,
                kago_error_t *err);
/* An array member, likewise.  */
int sp_get_arr (const json_value *obj, const char *key, const spath *p, const json_value **out,
                kago_error_t *err);

/* "must be an absolute path" check for a string already read.  */
int sp_check_abs (const char *s, const spath *p, kago_error_t *err);

/* Release helpers.  */
void sp_strv_clear (oci_strv *v);
void sp_map_clear (oci_map *m);

/* Parts implemented in spec_process.c and spec_linux.c.  */
int spec_hooks_parse (const json_value *hooks, const spath *p, oci_hooks *h, kago_error_t *err);
void spec_hooks_clear (oci_hooks *h);
int spec_linux_parse (const json_value *v, const spath *p, oci_linux *out, kago_error_t *err);
void spec_linux_clear (oci_linux *l);

#endif
