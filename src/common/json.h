/* A small JSON DOM: parse (RFC 8259, UTF-8), build and serialize.
 *
 * Integers are kept exactly: a number token without fraction/exponent that fits
 * int64 or uint64 is available through json_get_int64/json_get_uint64, which is
 * what OCI needs (memory limits of -1, seccomp argument values up to 2^64-1).
 * Objects keep insertion order; duplicate keys: the last one wins on lookup.
 */
#ifndef KAGO_JSON_H
#define KAGO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "strbuf.h"

typedef enum
{
  JSON_NULL,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT,
} json_type;

typedef struct json_value json_value;

struct json_member
{
  char *key;
  json_value *value;
};

struct json_value
{
  json_type type;
  union
  {
    bool boolean;
    struct
    {
      double d;
      int64_t i;    /* valid when is_int */
      uint64_t u;   /* valid when is_uint */
      bool is_int;  /* integer token that fits int64 */
      bool is_uint; /* integer token that fits uint64 (non-negative) */
    } num;
    struct
    {
      char *s; /* NUL-terminated; may contain embedded NULs (len tells) */
      size_t len;
    } str;
    struct
    {
      json_value **items;
      size_t len, cap;
    } arr;
    struct
    {
      struct json_member *members;
      size_t len, cap;
    } obj;
  } u;
};

/* Parse LEN bytes.  On error returns NULL and sets err with a message such as
   "line 3, column 14: expected ',' or '}'".  Max nesting depth 512.  */
json_value *json_parse (const char *buf, size_t len, kago_error_t *err);
/* Read and parse a whole file (error names the file).  */
json_value *json_parse_file (const char *path, kago_error_t *err);
void json_free (json_value *v);

/* Lookups; NULL when absent or V is not an object/array.  */
json_value *json_object_get (const json_value *v, const char *key);
json_value *json_array_at (const json_value *v, size_t i);
static inline size_t
json_array_len (const json_value *v)
{
  return v && v->type == JSON_ARRAY ? v->u.arr.len : 0;
}
static inline size_t
json_object_len (const json_value *v)
{
  return v && v->type == JSON_OBJECT ? v->u.obj.len : 0;
}
const char *json_type_name (json_type t);

/* Typed reads: 0 on success, -1 when the type or range does not fit.  */
int json_get_int64 (const json_value *v, int64_t *out);
int json_get_uint64 (const json_value *v, uint64_t *out);
int json_get_int32 (const json_value *v, int32_t *out);
int json_get_uint32 (const json_value *v, uint32_t *out);
/* NULL unless a string.  */
const char *json_get_string (const json_value *v);

/* Builders.  Ownership of added values passes to the container.  */
json_value *json_null_new (void);
json_value *json_bool_new (bool b);
json_value *json_int_new (int64_t i);
json_value *json_uint_new (uint64_t u);
json_value *json_double_new (double d);
json_value *json_string_new (const char *s);
json_value *json_string_newn (const char *s, size_t len);
json_value *json_array_new (void);
json_value *json_object_new (void);
void json_array_append (json_value *arr, json_value *item);
/* Replace an existing key or append.  */
void json_object_set (json_value *obj, const char *key, json_value *val);
/* Remove and free KEY; returns true if it was present.  */
bool json_object_del (json_value *obj, const char *key);

/* Serialize.  pretty: two-space indentation and "key": value like runc's output.
   Strings are escaped per RFC 8259 (control characters as \u00XX, '/' not escaped). */
void json_serialize (strbuf *sb, const json_value *v, bool pretty);
char *json_to_string (const json_value *v, bool pretty);
/* Append S as a quoted JSON string.  */
void json_write_string (strbuf *sb, const char *s);
void json_write_stringn (strbuf *sb, const char *s, size_t len);

#endif
