#include "error.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
kago_error_setv (kago_error_t *err, int errnum, const char *fmt, va_list ap)
{
  if (err == NULL)
    return -1;
  if (*err)
    kago_error_release (err);
  struct kago_error *e = xzalloc (sizeof *e);
  e->errnum = errnum;
  if (vasprintf (&e->msg, fmt, ap) < 0)
    e->msg = xstrdup ("(error formatting message)");
  *err = e;
  return -1;
}

int
kago_error_set (kago_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  kago_error_setv (err, errnum, fmt, ap);
  va_end (ap);
  return -1;
}

int
kago_error_wrap (kago_error_t *err, const char *fmt, ...)
{
  char *ctx;
  va_list ap;
  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end (ap);
  if (ctx)
    {
      char *m = xasprintf ("%s: %s", ctx, (*err)->msg);
      free (ctx);
      free ((*err)->msg);
      (*err)->msg = m;
    }
  return -1;
}

char *
kago_error_string (const kago_error_t err)
{
  if (err == NULL)
    return xstrdup ("unknown error");
  if (err->errnum)
    return xasprintf ("%s: %s", err->msg, strerror (err->errnum));
  return xstrdup (err->msg);
}

void
kago_error_release (kago_error_t *err)
{
  if (err && *err)
    {
      free ((*err)->msg);
      free (*err);
      *err = NULL;
    }
}

void
kago_error_to_wire (const kago_error_t err, struct kago_error_wire *w)
{
  memset (w, 0, sizeof *w);
  if (err == NULL)
    {
      w->errnum = 0;
      snprintf (w->msg, sizeof w->msg, "unknown error");
      return;
    }
  w->errnum = err->errnum;
  snprintf (w->msg, sizeof w->msg, "%s", err->msg ? err->msg : "");
}

int
kago_error_from_wire (kago_error_t *err, const struct kago_error_wire *w)
{
  char buf[sizeof w->msg];
  memcpy (buf, w->msg, sizeof buf);
  buf[sizeof buf - 1] = '\0';
  return kago_error_set (err, w->errnum, "%s", buf);
}
