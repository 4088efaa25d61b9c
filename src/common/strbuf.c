#include "strbuf.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
strbuf_grow (strbuf *sb, size_t extra)
{
  size_t need = sb->len + extra + 1;
  if (need <= sb->cap)
    return;
  size_t cap = sb->cap ? sb->cap : 64;
  while (cap < need)
    cap *= 2;
  sb->buf = xrealloc (sb->buf, cap);
  sb->cap = cap;
}

void
strbuf_add (strbuf *sb, const void *data, size_t len)
{
  strbuf_grow (sb, len);
  memcpy (sb->buf + sb->len, data, len);
  sb->len += len;
  sb->buf[sb->len] = '\0';
}

void
strbuf_adds (strbuf *sb, const char *s)
{
  strbuf_add (sb, s, strlen (s));
}

void
strbuf_addc (strbuf *sb, char c)
{
  strbuf_grow (sb, 1);
  sb->buf[sb->len++] = c;
  sb->buf[sb->len] = '\0';
}

void
strbuf_addvf (strbuf *sb, const char *fmt, va_list ap)
{
  va_list ap2;
  va_copy (ap2, ap);
  strbuf_grow (sb, 64);
  int n = vsnprintf (sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
  if (n >= 0 && (size_t) n >= sb->cap - sb->len)
    {
      strbuf_grow (sb, (size_t) n);
      vsnprintf (sb->buf + sb->len, sb->cap - sb->len, fmt, ap2);
    }
  va_end (ap2);
  if (n > 0)
    sb->len += (size_t) n;
}

void
strbuf_addf (strbuf *sb, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  strbuf_addvf (sb, fmt, ap);
  va_end (ap);
}

void
strbuf_reset (strbuf *sb)
{
  sb->len = 0;
  if (sb->buf)
    sb->buf[0] = '\0';
}

char *
strbuf_detach (strbuf *sb)
{
  char *r = sb->buf ? sb->buf : xstrdup ("");
  sb->buf = NULL;
  sb->len = sb->cap = 0;
  return r;
}

void
strbuf_release (strbuf *sb)
{
  free (sb->buf);
  sb->buf = NULL;
  sb->len = sb->cap = 0;
}
