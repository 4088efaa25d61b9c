/* JSON serializer: compact, or pretty in the style of Go's MarshalIndent
   (two spaces), as runc prints state.  See json.h.  */
#include "common/json.h"
#include "common/json_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/xalloc.h"

/* ---- Serializer ---- */

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
          size_t n = json_utf8_seq_len (p, end);
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
      const char *e = c == '"'    ? "\\\""
                      : c == '\\' ? "\\\\"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                      : c == '\t' ? "\\t"
                      : c == '\b' ? "\\b"
                      : c == '\f' ? "\\f"
                                  : NULL;
      if (e)
        strbuf_add (sb, e, 2);
      else
        {
          char u[6] = { '\\', 'u', '0', '0', hexdigits[c >> 4], hexdigits[c & 0xF] };
          strbuf_add (sb, u, sizeof u);
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
  static const char zeros[] = "000000000000000000000";
  char digits[24];
  size_t nd = 0;
  const char *p = tmp;
  if (*p == '-')
    strbuf_addc (sb, *p++);
  for (; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9' && nd < sizeof digits - 1)
      digits[nd++] = *p;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';
  int exp = *p == 'e' ? atoi (p + 1) : 0;

  if (exp < -6 || exp >= 21)
    strbuf_addf (sb, "%c%s%s%s%d", digits[0], nd > 1 ? "." : "", digits + 1, exp < 0 ? "e-" : "e+",
                 abs (exp));
  else if (exp < 0)
    strbuf_addf (sb, "0.%.*s%s", -exp - 1, zeros, digits);
  else if (nd <= (size_t) exp + 1)
    strbuf_addf (sb, "%s%.*s", digits, (int) ((size_t) exp + 1 - nd), zeros);
  else
    strbuf_addf (sb, "%.*s.%s", exp + 1, digits, digits + exp + 1);
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
      strbuf_adds (sb, v->u.boolean ? "true" : "false");
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
    case JSON_OBJECT:
      {
        bool is_obj = v->type == JSON_OBJECT;
        size_t n = is_obj ? v->u.obj.len : v->u.arr.len;
        strbuf_addc (sb, is_obj ? '{' : '[');
        for (size_t i = 0; i < n; i++)
          {
            if (i)
              strbuf_addc (sb, ',');
            if (pretty)
              write_indent (sb, level + 1);
            if (is_obj)
              {
                json_write_string (sb, v->u.obj.members[i].key);
                strbuf_add (sb, ": ", pretty ? 2 : 1);
              }
            serialize (sb, is_obj ? v->u.obj.members[i].value : v->u.arr.items[i], pretty, level + 1);
          }
        if (pretty && n)
          write_indent (sb, level);
        strbuf_addc (sb, is_obj ? '}' : ']');
        break;
      }
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
