/* A small JSON DOM: RFC 8259 parser, builders and serializer.
 *
 * The parser works directly on the input buffer (which need not be
 * NUL-terminated), keeps integers exact and validates UTF-8 in strings.  The
 * line and column of an error are computed only when an error happens, so the
 * hot path does no bookkeeping per character.
 */
#include "json.h"
#include "json_internal.h"

#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 512

/* ---- Parser ---- */

struct parser
{
  const char *start;
  const char *p;
  const char *end;
  int depth;
  kago_error_t *err;
};

static void
position_of (const char *start, const char *pos, unsigned *line, unsigned *col)
{
  unsigned l = 1, c = 1;
  for (const char *s = start; s < pos; s++)
    {
      unsigned char ch = (unsigned char) *s;
      if (ch == '\n')
        {
          l++;
          c = 1;
        }
      else if ((ch & 0xC0) != 0x80) /* count characters, not UTF-8 continuation bytes */
        c++;
    }
  *line = l;
  *col = c;
}

static json_value *parse_error_at (struct parser *ps, const char *pos, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static json_value *
parse_error_at (struct parser *ps, const char *pos, const char *fmt, ...)
{
  unsigned line, col;
  char *msg;
  va_list ap;

  position_of (ps->start, pos, &line, &col);
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  kago_error_set (ps->err, 0, "line %u, column %u: %s", line, col, msg ? msg : "parse error");
  free (msg);
  return NULL;
}

/* Describe the byte at P for "unexpected ..." messages.  */
static json_value *
unexpected (struct parser *ps, const char *pos, const char *what)
{
  if (pos >= ps->end)
    return parse_error_at (ps, pos, "unexpected end of input%s%s", what ? ", " : "", what ? what : "");
  unsigned char c = (unsigned char) *pos;
  if (c >= 0x21 && c < 0x7f)
    return parse_error_at (ps, pos, "unexpected character '%c'%s%s", c, what ? ", " : "", what ? what : "");
  return parse_error_at (ps, pos, "unexpected byte 0x%02x%s%s", c, what ? ", " : "", what ? what : "");
}

/* Character classes, one table load per input byte.  */
#define CC_PLAIN 1 /* may appear unescaped in a string and needs no UTF-8 check */
#define CC_WS 2    /* insignificant whitespace */
static const unsigned char char_class[256] = {
  ['\t'] = CC_WS,
  ['\n'] = CC_WS,
  ['\r'] = CC_WS,
  [' '] = CC_WS | CC_PLAIN,
  ['!'] = CC_PLAIN,
  ['#' ... '['] = CC_PLAIN,
  [']' ... 0x7f] = CC_PLAIN, /* all but '"' and '\\' */
};

static inline void
skip_ws (struct parser *ps)
{
  const char *p = ps->p, *end = ps->end;
  while (p < end && (char_class[(unsigned char) *p] & CC_WS))
    p++;
  ps->p = p;
}

static json_value *
value_new (json_type t)
{
  json_value *v = xzalloc (sizeof *v);
  v->type = t;
  return v;
}

/* 4 hex digits at P (the caller checked there are 4 bytes), or -1.  */
static int
read_hex4 (const unsigned char *p)
{
  int r = 0;
  for (int i = 0; i < 4; i++)
    {
      unsigned char c = p[i], l = c | 0x20; /* L: lower case for letters */
      int h = c >= '0' && c <= '9' ? c - '0' : l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
      if (h < 0)
        return -1;
      r = (r << 4) | h;
    }
  return r;
}

/* Length of the valid UTF-8 sequence starting at P (first byte >= 0x80), or 0.  */
size_t
json_utf8_seq_len (const unsigned char *p, const unsigned char *end)
{
  unsigned char c = p[0];
  size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0 || (size_t) (end - p) < n)
    return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xC0) != 0x80)
      return 0;
  /* Overlong 3- and 4-byte forms, UTF-16 surrogates, beyond U+10FFFF.  */
  if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90)
      || (c == 0xF4 && p[1] > 0x8F))
    return 0;
  return n;
}

static size_t
utf8_encode (uint32_t cp, char *out)
{
  if (cp < 0x80)
    {
      out[0] = (char) cp;
      return 1;
    }
  size_t n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  static const unsigned char lead[] = { 0, 0, 0xC0, 0xE0, 0xF0 };
  for (size_t i = n - 1; i > 0; i--, cp >>= 6)
    out[i] = (char) (0x80 | (cp & 0x3F));
  out[0] = (char) (lead[n] | cp);
  return n;
}

/* Decoded value of the one-character escapes ('\0' = not one).  */
static const char simple_escapes[128] = {
  ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
  ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t',
};

static inline bool
plain_ascii (unsigned char c)
{
  return char_class[c] & CC_PLAIN;
}

/* A \uXXXX escape (with its low surrogate when it is a high one) at Q:
   stores the code point and returns the bytes consumed, or 0 with an error.  */
static size_t
parse_u_escape (struct parser *ps, const unsigned char *q, const unsigned char *end, uint32_t *cp)
{
  int hi = end - q >= 6 ? read_hex4 (q + 2) : -1, lo = -1;
  if (hi < 0)
    {
      parse_error_at (ps, (const char *) q, "invalid \\u escape in string (expected 4 hex digits)");
      return 0;
    }
  if (hi < 0xD800 || hi > 0xDFFF)
    {
      *cp = (uint32_t) hi;
      return 6;
    }
  if (hi <= 0xDBFF && end - q >= 12 && q[6] == '\\' && q[7] == 'u')
    lo = read_hex4 (q + 8);
  if (lo < 0xDC00 || lo > 0xDFFF)
    {
      parse_error_at (ps, (const char *) q, "unpaired UTF-16 surrogate in \\u escape");
      return 0;
    }
  *cp = 0x10000 + (((uint32_t) hi - 0xD800) << 10) + ((uint32_t) lo - 0xDC00);
  return 12;
}

/* Parse a string token at ps->p (which points at the opening quote).  On
   success returns a heap block of HEAD bytes followed by the NUL-terminated
   string (so that a string value and its node are one allocation), and its
   length in *OUTLEN.  NULL on error.  */
static char *
parse_string_raw (struct parser *ps, size_t head, size_t *outlen)
{
  const unsigned char *s = (const unsigned char *) ps->p + 1;
  const unsigned char *end = (const unsigned char *) ps->end;
  const unsigned char *q = s;

  /* Fast path: plain ASCII without escapes, copied at once.  Otherwise the
     slow path below decodes into a buffer that grows as needed.  */
  while (q < end && plain_ascii (*q))
    q++;
  size_t len = (size_t) (q - s), cap = len + (q < end && *q == '"' ? 1 : 32);
  char *base = xmalloc (head + cap), *buf = base + head;
  memcpy (buf, s, len);

  while (q < end && *q != '"')
    {
      unsigned char c = *q;
      size_t n = 1;
      if (len + 5 > cap) /* room for any escape and the final NUL */
        {
          base = xrealloc (base, head + (cap *= 2));
          buf = base + head;
        }
      if (c == '\\')
        {
          if (q + 1 >= end)
            break;
          char e = q[1] < 128 ? simple_escapes[q[1]] : 0;
          uint32_t cp;
          if (e)
            {
              buf[len++] = e;
              q += 2;
            }
          else if (q[1] == 'u')
            {
              size_t used = parse_u_escape (ps, q, end, &cp);
              if (used == 0)
                goto fail;
              len += utf8_encode (cp, buf + len);
              q += used;
            }
          else
            {
              if (q[1] >= 0x21 && q[1] < 0x7f)
                parse_error_at (ps, (const char *) q, "invalid escape '\\%c' in string", q[1]);
              else
                parse_error_at (ps, (const char *) q, "invalid escape in string");
              goto fail;
            }
          continue;
        }
      if (plain_ascii (c))
        while (q + n < end && plain_ascii (q[n]))
          n++;
      else if (c < 0x20)
        {
          parse_error_at (ps, (const char *) q, "control character 0x%02x in string (must be escaped)", c);
          goto fail;
        }
      else if ((n = json_utf8_seq_len (q, end)) == 0)
        {
          parse_error_at (ps, (const char *) q, "invalid UTF-8 in string");
          goto fail;
        }
      if (len + n + 5 > cap)
        {
          while (len + n + 5 > cap)
            cap *= 2;
          base = xrealloc (base, head + cap);
          buf = base + head;
        }
      memcpy (buf + len, q, n);
      len += n;
      q += n;
    }
  if (q >= end || *q != '"')
    {
      parse_error_at (ps, (const char *) end, "unexpected end of input in string");
      goto fail;
    }
  buf[len] = '\0';
  *outlen = len;
  ps->p = (const char *) q + 1;
  return base;

fail:
  free (base);
  return NULL;
}

static inline const char *
digits_end (const char *q, const char *end)
{
  while (q < end && *q >= '0' && *q <= '9')
    q++;
  return q;
}

static json_value *
parse_number (struct parser *ps)
{
  const char *s = ps->p, *q = s, *end = ps->end;
  bool neg = false, integer = true, overflow = false;
  uint64_t mag = 0;

  if (*q == '-')
    {
      neg = true;
      q++;
    }
  if (q >= end || *q < '0' || *q > '9')
    return parse_error_at (ps, s, "invalid number");
  if (*q == '0')
    {
      q++;
      if (q < end && *q >= '0' && *q <= '9')
        return parse_error_at (ps, s, "invalid number (leading zero)");
    }
  else
    {
      while (q < end && *q >= '0' && *q <= '9')
        {
          unsigned d = (unsigned) (*q - '0');
          if (mag > (UINT64_MAX - d) / 10)
            overflow = true;
          else
            mag = mag * 10 + d;
          q++;
        }
    }
  if (q < end && *q == '.')
    {
      integer = false;
      const char *d = digits_end (++q, end);
      if (d == q)
        return parse_error_at (ps, s, "invalid number (digit expected after '.')");
      q = d;
    }
  if (q < end && (*q == 'e' || *q == 'E'))
    {
      integer = false;
      q++;
      if (q < end && (*q == '+' || *q == '-'))
        q++;
      const char *d = digits_end (q, end);
      if (d == q)
        return parse_error_at (ps, s, "invalid number (digit expected in exponent)");
      q = d;
    }

  json_value *v = value_new (JSON_NUMBER);
  if (integer && !overflow)
    {
      v->u.num.is_int = mag <= (uint64_t) INT64_MAX || (neg && mag == (uint64_t) INT64_MAX + 1);
      if (v->u.num.is_int)
        v->u.num.i = !neg ? (int64_t) mag : mag == 0 ? 0 : -(int64_t) (mag - 1) - 1;
      v->u.num.is_uint = !neg || mag == 0; /* "-0" is zero */
      v->u.num.u = v->u.num.is_uint ? mag : 0;
      v->u.num.d = neg ? -(double) mag : (double) mag;
    }
  else
    {
      /* strtod needs a NUL-terminated copy with the locale's decimal point.  */
      size_t n = (size_t) (q - s);
      char small[64];
      cleanup_free char *big = NULL;
      char *tmp = n < sizeof small ? small : (big = xmalloc (n + 1));
      memcpy (tmp, s, n);
      tmp[n] = '\0';
      const char *dp = localeconv ()->decimal_point;
      if (dp && dp[0] && dp[0] != '.' && dp[1] == '\0')
        {
          char *dot = strchr (tmp, '.');
          if (dot)
            *dot = dp[0];
        }
      v->u.num.d = strtod (tmp, NULL);
    }
  ps->p = q;
  return v;
}

static json_value *parse_value (struct parser *ps);

static void
member_push (json_value *obj, char *key, json_value *val)
{
  if (obj->u.obj.len == obj->u.obj.cap)
    {
      obj->u.obj.cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 8;
      obj->u.obj.members = xrealloc (obj->u.obj.members, obj->u.obj.cap * sizeof *obj->u.obj.members);
    }
  obj->u.obj.members[obj->u.obj.len].key = key;
  obj->u.obj.members[obj->u.obj.len].value = val;
  obj->u.obj.len++;
}

/* Consume C if it is the next byte.  */
static inline bool
eat (struct parser *ps, char c)
{
  bool r = ps->p < ps->end && *ps->p == c;
  ps->p += r;
  return r;
}

/* An array or an object; ps->p points at '[' or '{'.  */
static json_value *
parse_container (struct parser *ps)
{
  bool is_obj = *ps->p == '{';
  char close = is_obj ? '}' : ']';
  if (++ps->depth > JSON_MAX_DEPTH)
    return parse_error_at (ps, ps->p, "nesting deeper than %d levels", JSON_MAX_DEPTH);
  ps->p++;
  json_value *c = value_new (is_obj ? JSON_OBJECT : JSON_ARRAY);
  skip_ws (ps);
  if (eat (ps, close))
    {
      ps->depth--;
      return c;
    }
  for (;;)
    {
      cleanup_free char *key = NULL;
      size_t keylen;
      if (is_obj)
        {
          if (ps->p >= ps->end || *ps->p != '"')
            {
              unexpected (ps, ps->p, c->u.obj.len ? "expected a string key" : "expected a string key or '}'");
              goto fail;
            }
          if ((key = parse_string_raw (ps, 0, &keylen)) == NULL)
            goto fail;
          skip_ws (ps);
          if (!eat (ps, ':'))
            {
              unexpected (ps, ps->p, "expected ':' after object key");
              goto fail;
            }
          skip_ws (ps);
        }
      json_value *item = parse_value (ps);
      if (item == NULL)
        goto fail;
      if (is_obj)
        member_push (c, steal_pointer (&key), item);
      else
        json_array_append (c, item);
      skip_ws (ps);
      if (eat (ps, ','))
        {
          skip_ws (ps);
          continue;
        }
      if (eat (ps, close))
        break;
      unexpected (ps, ps->p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
      goto fail;
    }
  ps->depth--;
  return c;

fail:
  json_free (c);
  return NULL;
}

static json_value *
parse_literal (struct parser *ps, const char *word, size_t n, json_value *v)
{
  if ((size_t) (ps->end - ps->p) < n || memcmp (ps->p, word, n) != 0)
    {
      json_free (v);
      return parse_error_at (ps, ps->p, "invalid literal (expected '%s')", word);
    }
  ps->p += n;
  return v;
}

/* ps->p points at the first character of a value (whitespace skipped).  */
static json_value *
parse_value (struct parser *ps)
{
  if (ps->p >= ps->end)
    return unexpected (ps, ps->p, "expected a value");
  switch (*ps->p)
    {
    case '{':
    case '[':
      return parse_container (ps);
    case '"':
      {
        size_t len;
        json_value *v = (json_value *) parse_string_raw (ps, sizeof (json_value), &len);
        if (v == NULL)
          return NULL;
        memset (v, 0, sizeof *v);
        v->type = JSON_STRING;
        v->u.str.s = (char *) (v + 1);
        v->u.str.len = len;
        return v;
      }
    case 't':
      return parse_literal (ps, "true", 4, json_bool_new (true));
    case 'f':
      return parse_literal (ps, "false", 5, json_bool_new (false));
    case 'n':
      return parse_literal (ps, "null", 4, json_null_new ());
    default:
      if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
        return parse_number (ps);
      return unexpected (ps, ps->p, "expected a value");
    }
}

json_value *
json_parse (const char *buf, size_t len, kago_error_t *err)
{
  struct parser ps = { .start = buf, .p = buf, .end = buf + len, .depth = 0, .err = err };
  skip_ws (&ps);
  json_value *v = parse_value (&ps);
  if (v == NULL)
    return NULL;
  skip_ws (&ps);
  if (ps.p != ps.end)
    {
      json_free (v);
      return unexpected (&ps, ps.p, "expected end of input after the JSON value");
    }
  return v;
}

json_value *
json_parse_file (const char *path, kago_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  if (read_file (path, &buf, &len, err) < 0)
    return NULL;
  json_value *v = json_parse (buf, len, err);
  if (v == NULL)
    kago_error_wrap (err, "%s", path);
  return v;
}

void
json_free (json_value *v)
{
  if (v == NULL)
    return;
  switch (v->type)
    {
    case JSON_STRING:
      if (v->u.str.s != (char *) (v + 1)) /* parsed strings live in the node */
        free (v->u.str.s);
      break;
    case JSON_ARRAY:
      for (size_t i = 0; i < v->u.arr.len; i++)
        json_free (v->u.arr.items[i]);
      free (v->u.arr.items);
      break;
    case JSON_OBJECT:
      for (size_t i = 0; i < v->u.obj.len; i++)
        {
          free (v->u.obj.members[i].key);
          json_free (v->u.obj.members[i].value);
        }
      free (v->u.obj.members);
      break;
    default: /* scalars own nothing */
      break;
    }
  free (v);
}

/* ---- Lookups and typed reads ---- */

/* The last member named KEY (duplicates: the last one wins), or NULL.  */
static struct json_member *
find_member (const json_value *v, const char *key)
{
  if (v == NULL || v->type != JSON_OBJECT)
    return NULL;
  for (size_t i = v->u.obj.len; i > 0; i--)
    if (strcmp (v->u.obj.members[i - 1].key, key) == 0)
      return &v->u.obj.members[i - 1];
  return NULL;
}

json_value *
json_object_get (const json_value *v, const char *key)
{
  struct json_member *m = find_member (v, key);
  return m ? m->value : NULL;
}

json_value *
json_array_at (const json_value *v, size_t i)
{
  if (v == NULL || v->type != JSON_ARRAY || i >= v->u.arr.len)
    return NULL;
  return v->u.arr.items[i];
}

const char *
json_type_name (json_type t)
{
  static const char *const names[] = { "null", "boolean", "number", "string", "array", "object" };
  return (unsigned) t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

int
json_get_int64 (const json_value *v, int64_t *out)
{
  if (v == NULL || v->type != JSON_NUMBER || !v->u.num.is_int)
    return -1;
  *out = v->u.num.i;
  return 0;
}

int
json_get_uint64 (const json_value *v, uint64_t *out)
{
  if (v == NULL || v->type != JSON_NUMBER || !v->u.num.is_uint)
    return -1;
  *out = v->u.num.u;
  return 0;
}

int
json_get_int32 (const json_value *v, int32_t *out)
{
  int64_t i;
  if (json_get_int64 (v, &i) < 0 || i < INT32_MIN || i > INT32_MAX)
    return -1;
  *out = (int32_t) i;
  return 0;
}

int
json_get_uint32 (const json_value *v, uint32_t *out)
{
  uint64_t u;
  if (json_get_uint64 (v, &u) < 0 || u > UINT32_MAX)
    return -1;
  *out = (uint32_t) u;
  return 0;
}

const char *
json_get_string (const json_value *v)
{
  return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

/* ---- Builders ---- */

json_value *
json_null_new (void)
{
  return value_new (JSON_NULL);
}

json_value *
json_bool_new (bool b)
{
  json_value *v = value_new (JSON_BOOL);
  v->u.boolean = b;
  return v;
}

json_value *
json_uint_new (uint64_t u)
{
  json_value *v = value_new (JSON_NUMBER);
  v->u.num.u = u;
  v->u.num.is_uint = true;
  v->u.num.is_int = u <= (uint64_t) INT64_MAX;
  v->u.num.i = v->u.num.is_int ? (int64_t) u : 0;
  v->u.num.d = (double) u;
  return v;
}

json_value *
json_int_new (int64_t i)
{
  if (i >= 0)
    return json_uint_new ((uint64_t) i);
  json_value *v = value_new (JSON_NUMBER);
  v->u.num.i = i;
  v->u.num.is_int = true;
  v->u.num.d = (double) i;
  return v;
}

json_value *
json_double_new (double d)
{
  json_value *v = value_new (JSON_NUMBER);
  v->u.num.d = d;
  return v;
}

json_value *
json_string_newn (const char *s, size_t len)
{
  json_value *v = value_new (JSON_STRING);
  v->u.str.s = xmalloc (len + 1);
  memcpy (v->u.str.s, s, len);
  v->u.str.s[len] = '\0';
  v->u.str.len = len;
  return v;
}

json_value *
json_string_new (const char *s)
{
  if (s == NULL)
    return json_null_new ();
  return json_string_newn (s, strlen (s));
}

json_value *
json_array_new (void)
{
  return value_new (JSON_ARRAY);
}

json_value *
json_object_new (void)
{
  return value_new (JSON_OBJECT);
}

void
json_array_append (json_value *arr, json_value *item)
{
  if (arr == NULL || arr->type != JSON_ARRAY)
    {
      json_free (item);
      return;
    }
  if (arr->u.arr.len == arr->u.arr.cap)
    {
      arr->u.arr.cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 8;
      arr->u.arr.items = xrealloc (arr->u.arr.items, arr->u.arr.cap * sizeof *arr->u.arr.items);
    }
  arr->u.arr.items[arr->u.arr.len++] = item;
}

void
json_object_set (json_value *obj, const char *key, json_value *val)
{
  if (obj == NULL || obj->type != JSON_OBJECT)
    {
      json_free (val);
      return;
    }
  struct json_member *m = find_member (obj, key);
  if (m)
    {
      json_free (m->value);
      m->value = val;
      return;
    }
  member_push (obj, xstrdup (key), val);
}

bool
json_object_del (json_value *obj, const char *key)
{
  bool found = false;
  if (obj == NULL || obj->type != JSON_OBJECT)
    return false;
  /* Remove every member with that key (duplicates from parsed input too).  */
  size_t j = 0;
  for (size_t i = 0; i < obj->u.obj.len; i++)
    {
      struct json_member *m = &obj->u.obj.members[i];
      if (strcmp (m->key, key) == 0)
        {
          free (m->key);
          json_free (m->value);
          found = true;
          continue;
        }
      obj->u.obj.members[j++] = *m;
    }
  obj->u.obj.len = j;
  return found;
}
