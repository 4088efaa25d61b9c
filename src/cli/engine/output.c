/* Output helpers of the engine verbs: errors, docker's human units, tables
   and the --format template subset.  */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/engine/engine.h"
#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

int
kago_cli_fail (kago_error_t *err)
{
  cleanup_free char *m = kago_error_string (*err);
  fprintf (stderr, "kago: %s\n", m);
  kago_error_release (err);
  return 1;
}

int
kago_cli_usage_error (const char *verb, const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "kago %s: ", verb);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\nSee 'kago %s --help'.\n", verb);
  return 1;
}

struct kago_store *
kago_cli_open_store (struct kago_engine_ctx *ctx, kago_error_t *err)
{
  struct kago_store *s = NULL;
  if (kago_store_open (ctx->root, &s, err) < 0)
    return NULL;
  return s;
}

void
kago_human_size (uint64_t bytes, char *buf, size_t len)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
  double size = (double) bytes;
  size_t i = 0;
  while (size >= 1000.0 && i + 1 < sizeof units / sizeof units[0])
    {
      size /= 1000.0;
      i++;
    }
  snprintf (buf, len, "%.3g%s", size, units[i]);
}

/* Go's MarshalIndent with four spaces, from kago's two.  */
void
kago_print_indented4 (const char *text)
{
  for (const char *p = text; *p;)
    {
      const char *e = strchrnul (p, '\n');
      size_t sp = strspn (p, " ");
      for (size_t i = 0; i < sp * 2; i++)
        putchar (' ');
      fwrite (p + sp, 1, (size_t) (e - p) - sp, stdout);
      putchar ('\n');
      p = *e ? e + 1 : e;
    }
}

void
kago_human_since (time_t t, time_t now, char *buf, size_t len)
{
  if (t == 0)
    {
      snprintf (buf, len, "N/A");
      return;
    }
  char d[64];
  kago_human_duration (difftime (now, t), d, sizeof d);
  snprintf (buf, len, "%s ago", d);
}

void
kago_human_duration (double d, char *buf, size_t len)
{
  if (d < 0)
    d = 0;
  long seconds = (long) d;
  long minutes = (long) (d / 60);
  long hours = (long) (d / 3600 + 0.5);
  const char *s;
  char tmp[64];
  if (seconds < 1)
    s = "Less than a second";
  else if (seconds == 1)
    s = "1 second";
  else if (seconds < 60)
    s = (snprintf (tmp, sizeof tmp, "%ld seconds", seconds), tmp);
  else if (minutes == 1)
    s = "About a minute";
  else if (minutes < 60)
    s = (snprintf (tmp, sizeof tmp, "%ld minutes", minutes), tmp);
  else if (hours == 1)
    s = "About an hour";
  else if (hours < 48)
    s = (snprintf (tmp, sizeof tmp, "%ld hours", hours), tmp);
  else if (hours < 24 * 7 * 2)
    s = (snprintf (tmp, sizeof tmp, "%ld days", hours / 24), tmp);
  else if (hours < 24 * 30 * 2)
    s = (snprintf (tmp, sizeof tmp, "%ld weeks", hours / 24 / 7), tmp);
  else if (hours < 24 * 365 * 2)
    s = (snprintf (tmp, sizeof tmp, "%ld months", hours / 24 / 30), tmp);
  else
    s = (snprintf (tmp, sizeof tmp, "%ld years", (long) (d / 3600 / 24 / 365)), tmp);
  snprintf (buf, len, "%s", s);
}

time_t
kago_parse_rfc3339 (const char *s)
{
  if (s == NULL)
    return 0;
  struct tm tm = { 0 };
  const char *p = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (p == NULL)
    return 0;
  if (*p == '.')
    for (p++; isdigit ((unsigned char) *p); p++)
      ;
  long off = 0;
  if (*p == '+' || *p == '-')
    {
      int h = 0, m = 0;
      if (sscanf (p + 1, "%2d:%2d", &h, &m) != 2)
        return 0;
      off = (h * 3600L + m * 60L) * (*p == '-' ? -1 : 1);
    }
  else if (*p != 'Z' && *p != 'z')
    return 0;
  return timegm (&tm) - off;
}

void
kago_table_init (struct kago_table *t, size_t ncols)
{
  memset (t, 0, sizeof *t);
  t->ncols = ncols;
}

void
kago_table_add (struct kago_table *t, const char *const *cells)
{
  t->rows = xrealloc (t->rows, (t->nrows + 1) * sizeof *t->rows);
  char **row = xcalloc (t->ncols, sizeof *row);
  for (size_t i = 0; i < t->ncols; i++)
    row[i] = xstrdup (cells[i] ? cells[i] : "");
  t->rows[t->nrows++] = row;
}

void
kago_table_print (struct kago_table *t, FILE *out)
{
  size_t *w = xcalloc (t->ncols, sizeof *w);
  for (size_t r = 0; r < t->nrows; r++)
    for (size_t c = 0; c < t->ncols; c++)
      {
        size_t l = strlen (t->rows[r][c]) + 3;
        if (l < 10)
          l = 10;
        if (l > w[c])
          w[c] = l;
      }
  for (size_t r = 0; r < t->nrows; r++)
    {
      for (size_t c = 0; c < t->ncols; c++)
        {
          if (c + 1 == t->ncols)
            fputs (t->rows[r][c], out);
          else
            fprintf (out, "%-*s", (int) w[c], t->rows[r][c]);
        }
      fputc ('\n', out);
    }
  free (w);
}

void
kago_table_free (struct kago_table *t)
{
  for (size_t r = 0; r < t->nrows; r++)
    {
      for (size_t c = 0; c < t->ncols; c++)
        free (t->rows[r][c]);
      free (t->rows[r]);
    }
  free (t->rows);
  memset (t, 0, sizeof *t);
}

/* Go's fmt %v of a JSON value: strings raw, arrays [a b], objects map[k:v].  */
static void
print_value (const json_value *v, strbuf *sb)
{
  if (v == NULL)
    {
      strbuf_adds (sb, "<no value>");
      return;
    }
  switch (v->type)
    {
    case JSON_STRING:
      strbuf_add (sb, v->u.str.s, v->u.str.len);
      break;
    case JSON_ARRAY:
      strbuf_addc (sb, '[');
      for (size_t i = 0; i < v->u.arr.len; i++)
        {
          if (i)
            strbuf_addc (sb, ' ');
          print_value (v->u.arr.items[i], sb);
        }
      strbuf_addc (sb, ']');
      break;
    case JSON_OBJECT:
      strbuf_adds (sb, "map[");
      for (size_t i = 0; i < v->u.obj.len; i++)
        {
          if (i)
            strbuf_addc (sb, ' ');
          strbuf_adds (sb, v->u.obj.members[i].key);
          strbuf_addc (sb, ':');
          print_value (v->u.obj.members[i].value, sb);
        }
      strbuf_addc (sb, ']');
      break;
    case JSON_NULL:
      strbuf_adds (sb, "<nil>");
      break;
    case JSON_BOOL:
    case JSON_NUMBER:
    default:
      json_serialize (sb, v, false);
      break;
    }
}

static const json_value *
lookup (const json_value *v, const char *path, bool *missing)
{
  *missing = false;
  if (strcmp (path, ".") == 0)
    return v;
  const char *p = path + 1;
  while (*p)
    {
      size_t n = strcspn (p, ".");
      cleanup_free char *key = xstrndup (p, n);
      if (v == NULL || v->type != JSON_OBJECT || (v = json_object_get (v, key)) == NULL)
        {
          *missing = true;
          return NULL;
        }
      p += n;
      if (*p == '.')
        p++;
    }
  return v;
}

int
kago_template_render (const char *tmpl, const json_value *v, FILE *out, kago_error_t *err)
{
  strbuf sb = STRBUF_INIT;
  const char *p = tmpl;
  while (*p)
    {
      if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n'))
        {
          strbuf_addc (&sb, p[1] == 't' ? '\t' : '\n');
          p += 2;
          continue;
        }
      if (strncmp (p, "{{", 2) != 0)
        {
          strbuf_addc (&sb, *p++);
          continue;
        }
      const char *end = strstr (p, "}}");
      if (end == NULL)
        {
          strbuf_release (&sb);
          return kago_error_set (err, 0, "template: unclosed action in `%s`", tmpl);
        }
      cleanup_free char *action = xstrndup (p + 2, (size_t) (end - p - 2));
      char *a = action;
      while (isspace ((unsigned char) *a))
        a++;
      for (size_t l = strlen (a); l && isspace ((unsigned char) a[l - 1]); l--)
        a[l - 1] = '\0';
      bool json = strncmp (a, "json ", 5) == 0;
      if (json)
        for (a += 5; isspace ((unsigned char) *a); a++)
          ;
      if (a[0] != '.')
        {
          strbuf_release (&sb);
          return kago_error_set (err, 0,
                                 "template: unsupported action `{{%s}}` (kago knows {{.Field}} and "
                                 "{{json .Field}})",
                                 action);
        }
      bool missing;
      const json_value *x = lookup (v, a, &missing);
      if (missing && !json)
        {
          strbuf_release (&sb);
          return kago_error_set (err, 0, "template: can't evaluate field %s", a + 1);
        }
      if (json)
        {
          if (x)
            json_serialize (&sb, x, false);
          else
            strbuf_adds (&sb, "null");
        }
      else
        print_value (x, &sb);
      p = end + 2;
    }
  fputs (sb.buf ? sb.buf : "", out);
  fputc ('\n', out);
  strbuf_release (&sb);
  return 0;
}
