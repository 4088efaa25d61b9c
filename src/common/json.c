/* A small JSON DOM: RFC 8259 parser, builders and serializer.
 *
 * The parser works directly on the input buffer (which need not be
 * NUL-terminated), keeps integers exact and validates UTF-8 in strings.  The
 * line and column of an error are computed only when an error happens, so the
 * hot path does no bookkeeping per character.
 */
#include "json.h"

#include "cleanup.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JSON_MAX_DEPTH 512

/* ------------------------------------------------------------------------ */
/* Parser                                                                    */
/* ------------------------------------------------------------------------ */

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

static inline void
skip_ws (struct parser *ps)
{
  const char *p = ps->p, *end = ps->end;
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
    p++;
  ps->p = p;
}

static json_value *
value_new (json_type t)
{
  json_value *v = xmalloc (sizeof *v);
  memset (v, 0, sizeof *v);
  v->type = t;
  return v;
}

static inline int
hexval (unsigned char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Read 4 hex digits at P (P + 4 <= END checked by the caller).  */
static int
read_hex4 (const unsigned char *p)
{
  int r = 0;
  for (int i = 0; i < 4; i++)
    {
      int h = hexval (p[i]);
      if (h < 0)
        return -1;
      r = (r << 4) | h;
    }
  return r;
}

/* Length of the valid UTF-8 sequence starting at P (first byte >= 0x80), or 0.  */
static size_t
utf8_valid_seq (const unsigned char *p, const unsigned char *end)
{
  unsigned char c = p[0];
  size_t avail = (size_t) (end - p);
  if (c >= 0xC2 && c <= 0xDF)
    return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF)
    {
      if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
        return 0;
      if (c == 0xE0 && p[1] < 0xA0)
        return 0; /* overlong */
      if (c == 0xED && p[1] > 0x9F)
        return 0; /* UTF-16 surrogate */
      return 3;
    }
  if (c >= 0xF0 && c <= 0xF4)
    {
      if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
        return 0;
      if (c == 0xF0 && p[1] < 0x90)
        return 0; /* overlong */
      if (c == 0xF4 && p[1] > 0x8F)
        return 0; /* > U+10FFFF */
      return 4;
    }
  return 0;
}

static size_t
utf8_encode (uint32_t cp, char *out)
{
  if (cp < 0x80)
    {
      out[0] = (char) cp;
      return 1;
    }
  if (cp < 0x800)
    {
      out[0] = (char) (0xC0 | (cp >> 6));
      out[1] = (char) (0x80 | (cp & 0x3F));
      return 2;
    }
  if (cp < 0x10000)
    {
      out[0] = (char) (0xE0 | (cp >> 12));
      out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
      out[2] = (char) (0x80 | (cp & 0x3F));
      return 3;
    }
  out[0] = (char) (0xF0 | (cp >> 18));
  out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char) (0x80 | (cp & 0x3F));
  return 4;
}

/* Parse a string token at ps->p (which points at the opening quote).  On
   success stores a heap copy in *OUT and its length in *OUTLEN.  */
static int
parse_string_raw (struct parser *ps, char **out, size_t *outlen)
{
  const unsigned char *s = (const unsigned char *) ps->p + 1;
  const unsigned char *end = (const unsigned char *) ps->end;
  const unsigned char *q = s;

  /* Fast path: plain ASCII without escapes.  */
  while (q < end && *q != '"' && *q != '\\' && *q >= 0x20 && *q < 0x80)
    q++;
  if (q < end && *q == '"')
    {
      size_t n = (size_t) (q - s);
      char *r = xmalloc (n + 1);
      memcpy (r, s, n);
      r[n] = '\0';
      *out = r;
      *outlen = n;
      ps->p = (const char *) q + 1;
      return 0;
    }

  /* Slow path.  Output is never longer than the input it comes from.  */
  size_t cap = (size_t) (q - s) + 32, len = (size_t) (q - s);
  char *buf = xmalloc (cap);
  memcpy (buf, s, len);

  for (;;)
    {
      if (q >= end)
        {
          free (buf);
          parse_error_at (ps, (const char *) q, "unexpected end of input in string");
          return -1;
        }
      unsigned char c = *q;
      if (len + 5 > cap)
        {
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      if (c == '"')
        break;
      if (c == '\\')
        {
          if (q + 1 >= end)
            {
              free (buf);
              parse_error_at (ps, (const char *) q + 1, "unexpected end of input in string");
              return -1;
            }
          unsigned char e = q[1];
          switch (e)
            {
            case '"':
            case '\\':
            case '/':
              buf[len++] = (char) e;
              q += 2;
              break;
            case 'b':
              buf[len++] = '\b';
              q += 2;
              break;
            case 'f':
              buf[len++] = '\f';
              q += 2;
              break;
            case 'n':
              buf[len++] = '\n';
              q += 2;
              break;
            case 'r':
              buf[len++] = '\r';
              q += 2;
              break;
            case 't':
              buf[len++] = '\t';
              q += 2;
              break;
            case 'u':
              {
                int cp = end - q >= 6 ? read_hex4 (q + 2) : -1;
                if (cp < 0)
                  {
                    free (buf);
                    parse_error_at (ps, (const char *) q, "invalid \\u escape in string (expected 4 hex digits)");
                    return -1;
                  }
                uint32_t code = (uint32_t) cp;
                if (code >= 0xD800 && code <= 0xDBFF)
                  {
                    int lo = -1;
                    if (end - q >= 12 && q[6] == '\\' && q[7] == 'u')
                      lo = read_hex4 (q + 8);
                    if (lo < 0xDC00 || lo > 0xDFFF)
                      {
                        free (buf);
                        parse_error_at (ps, (const char *) q, "unpaired UTF-16 surrogate in \\u escape");
                        return -1;
                      }
                    code = 0x10000 + ((code - 0xD800) << 10) + ((uint32_t) lo - 0xDC00);
                    q += 12;
                  }
                else if (code >= 0xDC00 && code <= 0xDFFF)
                  {
                    free (buf);
                    parse_error_at (ps, (const char *) q, "unpaired UTF-16 surrogate in \\u escape");
                    return -1;
                  }
                else
                  q += 6;
                len += utf8_encode (code, buf + len);
                break;
              }
            default:
              free (buf);
              if (e >= 0x21 && e < 0x7f)
                parse_error_at (ps, (const char *) q, "invalid escape '\\%c' in string", e);
              else
                parse_error_at (ps, (const char *) q, "invalid escape in string");
              return -1;
            }
          continue;
        }
      if (c < 0x20)
        {
          free (buf);
          parse_error_at (ps, (const char *) q, "control character 0x%02x in string (must be escaped)", c);
          return -1;
        }
      if (c < 0x80)
        {
          /* Copy a run of plain ASCII at once.  */
          const unsigned char *r = q;
          while (r < end && *r != '"' && *r != '\\' && *r >= 0x20 && *r < 0x80)
            r++;
          size_t n = (size_t) (r - q);
          if (len + n + 5 > cap)
            {
              while (len + n + 5 > cap)
                cap *= 2;
              buf = xrealloc (buf, cap);
            }
          memcpy (buf + len, q, n);
          len += n;
          q = r;
          continue;
        }
      size_t n = utf8_valid_seq (q, end);
      if (n == 0)
        {
          free (buf);
          parse_error_at (ps, (const char *) q, "invalid UTF-8 in string");
          return -1;
        }
      memcpy (buf + len, q, n);
      len += n;
      q += n;
    }

  buf[len] = '\0';
  *out = buf;
  *outlen = len;
  ps->p = (const char *) q + 1;
  return 0;
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
      q++;
      if (q >= end || *q < '0' || *q > '9')
        return parse_error_at (ps, s, "invalid number (digit expected after '.')");
      while (q < end && *q >= '0' && *q <= '9')
        q++;
    }
  if (q < end && (*q == 'e' || *q == 'E'))
    {
      integer = false;
      q++;
      if (q < end && (*q == '+' || *q == '-'))
        q++;
      if (q >= end || *q < '0' || *q > '9')
        return parse_error_at (ps, s, "invalid number (digit expected in exponent)");
      while (q < end && *q >= '0' && *q <= '9')
        q++;
    }

  json_value *v = value_new (JSON_NUMBER);
  if (integer && !overflow)
    {
      if (!neg)
        {
          v->u.num.u = mag;
          v->u.num.is_uint = true;
          if (mag <= (uint64_t) INT64_MAX)
            {
              v->u.num.i = (int64_t) mag;
              v->u.num.is_int = true;
            }
          v->u.num.d = (double) mag;
        }
      else
        {
          if (mag <= (uint64_t) INT64_MAX)
            {
              v->u.num.i = -(int64_t) mag;
              v->u.num.is_int = true;
            }
          else if (mag == (uint64_t) INT64_MAX + 1)
            {
              v->u.num.i = INT64_MIN;
              v->u.num.is_int = true;
            }
          if (mag == 0)
            v->u.num.is_uint = true; /* "-0" */
          v->u.num.d = -(double) mag;
        }
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

static json_value *
parse_array (struct parser *ps)
{
  if (++ps->depth > JSON_MAX_DEPTH)
    return parse_error_at (ps, ps->p, "nesting deeper than %d levels", JSON_MAX_DEPTH);
  ps->p++; /* '[' */
  json_value *arr = value_new (JSON_ARRAY);
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == ']')
    {
      ps->p++;
      ps->depth--;
      return arr;
    }
  for (;;)
    {
      json_value *item = parse_value (ps);
      if (item == NULL)
        goto fail;
      json_array_append (arr, item);
      skip_ws (ps);
      if (ps->p < ps->end && *ps->p == ',')
        {
          ps->p++;
          skip_ws (ps);
          continue;
        }
      if (ps->p < ps->end && *ps->p == ']')
        {
          ps->p++;
          break;
        }
      unexpected (ps, ps->p, "expected ',' or ']'");
      goto fail;
    }
  ps->depth--;
  return arr;

fail:
  json_free (arr);
  return NULL;
}

static json_value *
parse_object (struct parser *ps)
{
  if (++ps->depth > JSON_MAX_DEPTH)
    return parse_error_at (ps, ps->p, "nesting deeper than %d levels", JSON_MAX_DEPTH);
  ps->p++; /* '{' */
  json_value *obj = value_new (JSON_OBJECT);
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == '}')
    {
      ps->p++;
      ps->depth--;
      return obj;
    }
  for (;;)
    {
      char *key;
      size_t keylen;
      if (ps->p >= ps->end || *ps->p != '"')
        {
          unexpected (ps, ps->p, obj->u.obj.len ? "expected a string key" : "expected a string key or '}'");
          goto fail;
        }
      if (parse_string_raw (ps, &key, &keylen) < 0)
        goto fail;
      skip_ws (ps);
      if (ps->p >= ps->end || *ps->p != ':')
        {
          free (key);
          unexpected (ps, ps->p, "expected ':' after object key");
          goto fail;
        }
      ps->p++;
      skip_ws (ps);
      json_value *val = parse_value (ps);
      if (val == NULL)
        {
          free (key);
          goto fail;
        }
      struct json_member *m;
      if (obj->u.obj.len == obj->u.obj.cap)
        {
          obj->u.obj.cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 8;
          obj->u.obj.members = xrealloc (obj->u.obj.members, obj->u.obj.cap * sizeof *obj->u.obj.members);
        }
      m = &obj->u.obj.members[obj->u.obj.len++];
      m->key = key;
      m->value = val;
      skip_ws (ps);
      if (ps->p < ps->end && *ps->p == ',')
        {
          ps->p++;
          skip_ws (ps);
          continue;
        }
      if (ps->p < ps->end && *ps->p == '}')
        {
          ps->p++;
          break;
        }
      unexpected (ps, ps->p, "expected ',' or '}'");
      goto fail;
    }
  ps->depth--;
  return obj;

fail:
  json_free (obj);
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
      return parse_object (ps);
    case '[':
      return parse_array (ps);
    case '"':
      {
        char *s;
        size_t len;
        if (parse_string_raw (ps, &s, &len) < 0)
          return NULL;
        json_value *v = value_new (JSON_STRING);
        v->u.str.s = s;
        v->u.str.len = len;
        return v;
      }
    case 't':
      {
        json_value *v = value_new (JSON_BOOL);
        v->u.boolean = true;
        return parse_literal (ps, "true", 4, v);
      }
    case 'f':
      return parse_literal (ps, "false", 5, value_new (JSON_BOOL));
    case 'n':
      return parse_literal (ps, "null", 4, value_new (JSON_NULL));
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
      return parse_number (ps);
    default:
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
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      kago_error_set (err, errno, "open %s", path);
      return NULL;
    }
  struct stat st;
  size_t cap = 4096;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0)
    cap = (size_t) st.st_size + 1;
  cleanup_free char *buf = xmalloc (cap);
  size_t len = 0;
  for (;;)
    {
      if (len == cap)
        {
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      ssize_t r = read (fd, buf + len, cap - len);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          kago_error_set (err, errno, "read %s", path);
          return NULL;
        }
      if (r == 0)
        break;
      len += (size_t) r;
    }
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
    case JSON_NULL:
    case JSON_BOOL:
    case JSON_NUMBER:
    default:
      break;
    }
  free (v);
}

/* ------------------------------------------------------------------------ */
/* Lookups and typed reads                                                   */
/* ------------------------------------------------------------------------ */

json_value *
json_object_get (const json_value *v, const char *key)
{
  if (v == NULL || v->type != JSON_OBJECT)
    return NULL;
  for (size_t i = v->u.obj.len; i > 0; i--)
    {
      const struct json_member *m = &v->u.obj.members[i - 1];
      if (m->key[0] == key[0] && strcmp (m->key, key) == 0)
        return m->value;
    }
  return NULL;
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
  switch (t)
    {
    case JSON_NULL:
      return "null";
    case JSON_BOOL:
      return "boolean";
    case JSON_NUMBER:
      return "number";
    case JSON_STRING:
      return "string";
    case JSON_ARRAY:
      return "array";
    case JSON_OBJECT:
      return "object";
    default:
      return "unknown";
    }
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

/* ------------------------------------------------------------------------ */
/* Builders                                                                  */
/* ------------------------------------------------------------------------ */

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
json_int_new (int64_t i)
{
  json_value *v = value_new (JSON_NUMBER);
  v->u.num.i = i;
  v->u.num.is_int = true;
  if (i >= 0)
    {
      v->u.num.u = (uint64_t) i;
      v->u.num.is_uint = true;
    }
  v->u.num.d = (double) i;
  return v;
}

json_value *
json_uint_new (uint64_t u)
{
  json_value *v = value_new (JSON_NUMBER);
  v->u.num.u = u;
  v->u.num.is_uint = true;
  if (u <= (uint64_t) INT64_MAX)
    {
      v->u.num.i = (int64_t) u;
      v->u.num.is_int = true;
    }
  v->u.num.d = (double) u;
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
  for (size_t i = obj->u.obj.len; i > 0; i--)
    {
      struct json_member *m = &obj->u.obj.members[i - 1];
      if (strcmp (m->key, key) == 0)
        {
          json_free (m->value);
          m->value = val;
          return;
        }
    }
  if (obj->u.obj.len == obj->u.obj.cap)
    {
      obj->u.obj.cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 8;
      obj->u.obj.members = xrealloc (obj->u.obj.members, obj->u.obj.cap * sizeof *obj->u.obj.members);
    }
  obj->u.obj.members[obj->u.obj.len].key = xstrdup (key);
  obj->u.obj.members[obj->u.obj.len].value = val;
  obj->u.obj.len++;
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

/* ------------------------------------------------------------------------ */
/* Serializer                                                                */
/* ------------------------------------------------------------------------ */

static const char hexdigits[] = "0123456789abcdef";

void
json_write_stringn (strbuf *sb, const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s, *end = p + len;
  strbuf_grow (sb, len + 2);
  strbuf_addc (sb, '"');
  while (p < end)
    {
      const unsigned char *run = p;
      while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
        p++;
      if (p > run)
        strbuf_add (sb, run, (size_t) (p - run));
      if (p >= end)
        break;
      unsigned char c = *p;
      if (c >= 0x80)
        {
          size_t n = utf8_valid_seq (p, end);
          if (n == 0)
            {
              /* Invalid UTF-8 cannot be represented: U+FFFD, as Go does.  */
              strbuf_adds (sb, "\\ufffd");
              p++;
            }
          else if (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
            {
              /* U+2028 / U+2029: valid JSON but break JavaScript; escape like Go.  */
              strbuf_adds (sb, p[2] == 0xA8 ? "\\u2028" : "\\u2029");
              p += 3;
            }
          else
            {
              strbuf_add (sb, p, n);
              p += n;
            }
          continue;
        }
      p++;
      switch (c)
        {
        case '"':
          strbuf_add (sb, "\\\"", 2);
          break;
        case '\\':
          strbuf_add (sb, "\\\\", 2);
          break;
        case '\n':
          strbuf_add (sb, "\\n", 2);
          break;
        case '\r':
          strbuf_add (sb, "\\r", 2);
          break;
        case '\t':
          strbuf_add (sb, "\\t", 2);
          break;
        case '\b':
          strbuf_add (sb, "\\b", 2);
          break;
        case '\f':
          strbuf_add (sb, "\\f", 2);
          break;
        default:
          {
            char e[6] = { '\\', 'u', '0', '0', hexdigits[c >> 4], hexdigits[c & 0xF] };
            strbuf_add (sb, e, sizeof e);
            break;
          }
        }
    }
  strbuf_addc (sb, '"');
}

void
json_write_string (strbuf *sb, const char *s)
{
  json_write_stringn (sb, s ? s : "", s ? strlen (s) : 0);
}

/* The shortest decimal that reads back as D, formatted like Go's encoding/json:
   fixed notation for 1e-6 <= |d| < 1e21, exponent notation otherwise.  */
static void
write_double (strbuf *sb, double d)
{
  if (!isfinite (d))
    {
      strbuf_adds (sb, "null");
      return;
    }
  if (d == 0)
    {
      strbuf_adds (sb, signbit (d) ? "-0" : "0");
      return;
    }
  char tmp[40];
  for (int prec = 0; prec <= 16; prec++)
    {
      snprintf (tmp, sizeof tmp, "%.*e", prec, d);
      if (strtod (tmp, NULL) == d)
        break;
    }
  /* tmp = [-]D[.DDD]e[+-]XX (the locale may use another decimal point) */
  char digits[24];
  size_t nd = 0;
  const char *p = tmp;
  bool neg = false;
  if (*p == '-')
    {
      neg = true;
      p++;
    }
  while (*p && *p != 'e')
    {
      if (*p >= '0' && *p <= '9' && nd < sizeof digits - 1)
        digits[nd++] = *p;
      p++;
    }
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';
  int exp = *p == 'e' ? atoi (p + 1) : 0;

  if (neg)
    strbuf_addc (sb, '-');
  if (exp < -6 || exp >= 21)
    {
      strbuf_addc (sb, digits[0]);
      if (nd > 1)
        {
          strbuf_addc (sb, '.');
          strbuf_add (sb, digits + 1, nd - 1);
        }
      if (exp < 0)
        strbuf_addf (sb, "e-%d", -exp);
      else
        strbuf_addf (sb, "e+%02d", exp);
      return;
    }
  if (exp >= 0)
    {
      size_t intlen = (size_t) exp + 1;
      if (nd <= intlen)
        {
          strbuf_add (sb, digits, nd);
          for (size_t i = nd; i < intlen; i++)
            strbuf_addc (sb, '0');
        }
      else
        {
          strbuf_add (sb, digits, intlen);
          strbuf_addc (sb, '.');
          strbuf_add (sb, digits + intlen, nd - intlen);
        }
      return;
    }
  strbuf_adds (sb, "0.");
  for (int i = 0; i < -exp - 1; i++)
    strbuf_addc (sb, '0');
  strbuf_add (sb, digits, nd);
}

static void
write_indent (strbuf *sb, int level)
{
  strbuf_grow (sb, (size_t) level * 2 + 1);
  sb->buf[sb->len++] = '\n';
  for (int i = 0; i < level; i++)
    {
      sb->buf[sb->len++] = ' ';
      sb->buf[sb->len++] = ' ';
    }
  sb->buf[sb->len] = '\0';
}

static void
serialize (strbuf *sb, const json_value *v, bool pretty, int level)
{
  if (v == NULL)
    {
      strbuf_add (sb, "null", 4);
      return;
    }
  switch (v->type)
    {
    case JSON_NULL:
      strbuf_add (sb, "null", 4);
      break;
    case JSON_BOOL:
      if (v->u.boolean)
        strbuf_add (sb, "true", 4);
      else
        strbuf_add (sb, "false", 5);
      break;
    case JSON_NUMBER:
      if (v->u.num.is_int)
        strbuf_addf (sb, "%" PRId64, v->u.num.i);
      else if (v->u.num.is_uint)
        strbuf_addf (sb, "%" PRIu64, v->u.num.u);
      else
        write_double (sb, v->u.num.d);
      break;
    case JSON_STRING:
      json_write_stringn (sb, v->u.str.s, v->u.str.len);
      break;
    case JSON_ARRAY:
      if (v->u.arr.len == 0)
        {
          strbuf_add (sb, "[]", 2);
          break;
        }
      strbuf_addc (sb, '[');
      for (size_t i = 0; i < v->u.arr.len; i++)
        {
          if (i)
            strbuf_addc (sb, ',');
          if (pretty)
            write_indent (sb, level + 1);
          serialize (sb, v->u.arr.items[i], pretty, level + 1);
        }
      if (pretty)
        write_indent (sb, level);
      strbuf_addc (sb, ']');
      break;
    case JSON_OBJECT:
      if (v->u.obj.len == 0)
        {
          strbuf_add (sb, "{}", 2);
          break;
        }
      strbuf_addc (sb, '{');
      for (size_t i = 0; i < v->u.obj.len; i++)
        {
          if (i)
            strbuf_addc (sb, ',');
          if (pretty)
            write_indent (sb, level + 1);
          json_write_string (sb, v->u.obj.members[i].key);
          if (pretty)
            strbuf_add (sb, ": ", 2);
          else
            strbuf_addc (sb, ':');
          serialize (sb, v->u.obj.members[i].value, pretty, level + 1);
        }
      if (pretty)
        write_indent (sb, level);
      strbuf_addc (sb, '}');
      break;
    default:
      strbuf_add (sb, "null", 4);
      break;
    }
}

void
json_serialize (strbuf *sb, const json_value *v, bool pretty)
{
  serialize (sb, v, pretty, 0);
}

char *
json_to_string (const json_value *v, bool pretty)
{
  strbuf sb = STRBUF_INIT;
  serialize (&sb, v, pretty, 0);
  return strbuf_detach (&sb);
}
