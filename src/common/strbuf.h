/* Growable string buffer.  */
#ifndef KAGO_STRBUF_H
#define KAGO_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf
{
  char *buf; /* always NUL-terminated once anything was added */
  size_t len;
  size_t cap;
} strbuf;

#define STRBUF_INIT                                                                                          \
  {                                                                                                          \
    NULL, 0, 0                                                                                               \
  }

void strbuf_grow (strbuf *sb, size_t extra);
void strbuf_add (strbuf *sb, const void *data, size_t len);
void strbuf_adds (strbuf *sb, const char *s);
void strbuf_addc (strbuf *sb, char c);
void strbuf_addf (strbuf *sb, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void strbuf_addvf (strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset (strbuf *sb);
/* Returns the buffer (never NULL, "" when empty) and leaves SB empty.  */
char *strbuf_detach (strbuf *sb);
void strbuf_release (strbuf *sb);

static inline void
cleanup_strbufp (strbuf *sb)
{
  strbuf_release (sb);
}
#define cleanup_strbuf __attribute__ ((cleanup (cleanup_strbufp)))

#endif
