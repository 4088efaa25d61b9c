/* --format for list verbs (stats now; ps can use it too): docker's
   formatter.Context rules on rows given as JSON objects.  */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli/engine/engine.h"
#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

/* The header line of "table TMPL": each {{.Field}} (or {{json .Field}})
   replaced by its header, an unknown field by its name in capitals.  */
static char *
header_of (const char *tmpl, const struct kago_format_header *h, size_t nh)
{
  strbuf sb = STRBUF_INIT;
  for (const char *p = tmpl; *p;)
    {
      const char *b = strstr (p, "{{");
      const char *e = b ? strstr (b, "}}") : NULL;
      if (b == NULL || e == NULL)
        {
          strbuf_adds (&sb, p);
          break;
        }
      strbuf_add (&sb, p, (size_t) (b - p));
      cleanup_free char *f = xstrndup (b + 2, (size_t) (e - b - 2));
      char *t = f;
      while (isspace ((unsigned char) *t))
        t++;
      if (strncmp (t, "json ", 5) == 0)
        for (t += 5; isspace ((unsigned char) *t); t++)
          ;
      t[strcspn (t, " \t")] = '\0';
      const char *name = NULL;
      for (size_t i = 0; i < nh; i++)
        if (strcmp (t, h[i].field) == 0)
          name = h[i].header;
      if (name)
        strbuf_adds (&sb, name);
      else
        for (const char *c = t + (*t == '.'); *c; c++)
          strbuf_addc (&sb, (char) toupper ((unsigned char) *c));
      p = e + 2;
    }
  return strbuf_detach (&sb);
}

/* Split a rendered line at tabs ("\t" typed as two characters too) into a
   table row of NCOLS cells (missing ones empty).  */
static void
add_line (struct kago_table *t, const char *line)
{
  strbuf cells = STRBUF_INIT;
  for (const char *p = line; *p; p++)
    if (p[0] == '\\' && p[1] == 't')
      {
        strbuf_addc (&cells, '\t');
        p++;
      }
    else if (*p != '\n')
      strbuf_addc (&cells, *p);
  const char **cv = xcalloc (t->ncols + 1, sizeof *cv);
  char *s = cells.buf ? cells.buf : (char *) "";
  for (size_t c = 0; c < t->ncols; c++)
    {
      char *tab = c + 1 < t->ncols ? strchr (s, '\t') : NULL;
      if (tab)
        *tab = '\0';
      cv[c] = s;
      s = tab ? tab + 1 : s + strlen (s);
    }
  kago_table_add (t, cv);
  free (cv);
  strbuf_release (&cells);
}

int
kago_cli_format_rows (FILE *out, const char *format, const char *default_table,
                      const struct kago_format_header *headers, size_t nheaders, json_value *const *rows,
                      size_t n, kago_error_t *err)
{
  if (format == NULL || *format == '\0' || strcmp (format, "table") == 0)
    format = default_table;
  if (strcmp (format, "json") == 0)
    format = "{{json .}}";
  if (strncmp (format, "table ", 6) != 0)
    {
      for (size_t i = 0; i < n; i++)
        if (kago_template_render (format, rows[i], out, err) < 0)
          return -1;
      return 0;
    }
  const char *tmpl = format + 6;
  cleanup_free char *hdr = header_of (tmpl, headers, nheaders);
  size_t ncols = 1;
  for (const char *p = tmpl; *p; p++)
    if (*p == '\t')
      ncols++;
    else if (p[0] == '\\' && p[1] == 't')
      ncols++, p++;
  struct kago_table t;
  kago_table_init (&t, ncols);
  add_line (&t, hdr);
  for (size_t i = 0; i < n; i++)
    {
      char *buf = NULL;
      size_t len = 0;
      FILE *f = open_memstream (&buf, &len);
      int r = kago_template_render (tmpl, rows[i], f, err);
      fclose (f);
      if (r < 0)
        {
          free (buf);
          kago_table_free (&t);
          return -1;
        }
      add_line (&t, buf);
      free (buf);
    }
  kago_table_print (&t, out);
  kago_table_free (&t);
  return 0;
}
