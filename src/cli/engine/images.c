/* `kago images` (`kago image ls`), `kago image inspect` and the `kago image`
   subcommand table.  Output as docker prints it.  */
#include <ctype.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/engine/engine.h"
#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/image/image.h"
#include "engine/image/index.h"
#include "engine/image/reference.h"

struct row
{
  time_t created;
  const char *created_str;
  char *repo, *tag, *digest;
  const char *id;
  uint64_t size;
};

struct list_opts
{
  bool quiet, digests, no_trunc;
  const char *format;
  const char *filter_ref; /* positional REPOSITORY[:TAG] */
  int dangling;           /* -1: no filter */
  struct kago_strv ref_patterns;
};

static void
usage_images (FILE *out)
{
  fputs ("Usage:  kago images [OPTIONS] [REPOSITORY[:TAG]]\n"
         "\n"
         "List images\n"
         "\n"
         "Options:\n"
         "  -a, --all             Show all images (kago keeps no intermediate images)\n"
         "      --digests         Show digests\n"
         "  -f, --filter filter   Filter output: dangling=true|false, reference=PATTERN\n"
         "      --format string   Format output: 'table', 'json', 'table TEMPLATE' or a Go template\n"
         "                        subset ({{.Repository}}, {{.Tag}}, {{.ID}}, {{json .}}, ...)\n"
         "      --no-trunc        Don't truncate output\n"
         "  -q, --quiet           Only show image IDs\n",
         out);
}

/* The digest of REPO among the image's repo digests, or NULL.  */
static char *
digest_for_repo (const char **digests, size_t n, const char *repo_full)
{
  for (size_t i = 0; i < n; i++)
    {
      char *name;
      const char *t, *d;
      if (!kago_ref_split (digests[i], &name, &t, &d))
        continue;
      bool same = repo_full == NULL || strcmp (name, repo_full) == 0;
      free (name);
      if (same && d)
        return xstrdup (d);
    }
  return NULL;
}

static void
add_row (struct row **rows, size_t *n, const struct kago_image_rec *rec, const char *repo, const char *tag,
         const char *digest)
{
  *rows = xrealloc (*rows, (*n + 1) * sizeof **rows);
  struct row *r = &(*rows)[(*n)++];
  r->created_str = rec->created;
  r->created = kago_parse_rfc3339 (rec->created);
  r->repo = xstrdup (repo);
  r->tag = xstrdup (tag);
  r->digest = xstrdup (digest ? digest : "<none>");
  r->id = rec->id;
  r->size = rec->size;
}

static bool
row_matches (const struct row *r, const struct list_opts *o)
{
  if (o->dangling == 1 && strcmp (r->tag, "<none>") != 0)
    return false;
  if (o->dangling == 0 && strcmp (r->tag, "<none>") == 0)
    return false;
  if (o->filter_ref)
    {
      const char *colon = strrchr (o->filter_ref, ':');
      const char *slash = strrchr (o->filter_ref, '/');
      bool has_tag = colon && (!slash || colon > slash);
      cleanup_free char *repo
          = has_tag ? xstrndup (o->filter_ref, (size_t) (colon - o->filter_ref)) : xstrdup (o->filter_ref);
      cleanup_ref struct kago_ref want = { 0 }, have = { 0 };
      kago_error_t e1 = NULL, e2 = NULL;
      bool ok = kago_ref_parse (repo, 0, &want, &e1) == 0 && kago_ref_parse (r->repo, 0, &have, &e2) == 0
                && strcmp (want.domain, have.domain) == 0 && strcmp (want.path, have.path) == 0;
      kago_error_release (&e1);
      kago_error_release (&e2);
      if (!ok || (has_tag && fnmatch (colon + 1, r->tag, 0) != 0))
        return false;
    }
  for (size_t i = 0; i < o->ref_patterns.n; i++)
    {
      cleanup_free char *full = xasprintf ("%s:%s", r->repo, r->tag);
      if (fnmatch (o->ref_patterns.v[i], r->repo, 0) != 0 && fnmatch (o->ref_patterns.v[i], full, 0) != 0)
        return false;
    }
  return true;
}

static int
cmp_rows (const void *a, const void *b)
{
  const struct row *x = a, *y = b;
  if (x->created != y->created)
    return x->created < y->created ? 1 : -1;
  int c = strcmp (x->repo, y->repo);
  return c ? c : strcmp (x->tag, y->tag);
}

static json_value *
row_json (const struct row *r, const struct list_opts *o, time_t now)
{
  char size[32], since[64], at[64] = "";
  kago_human_size (r->size, size, sizeof size);
  kago_human_since (r->created, now, since, sizeof since);
  if (r->created)
    {
      struct tm tm;
      gmtime_r (&r->created, &tm);
      strftime (at, sizeof at, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
    }
  char id[16];
  snprintf (id, sizeof id, "%.12s", kago_digest_hex (r->id));
  json_value *j = json_object_new ();
  json_object_set (j, "Containers", json_string_new ("N/A"));
  json_object_set (j, "CreatedAt", json_string_new (at));
  json_object_set (j, "CreatedSince", json_string_new (since));
  json_object_set (j, "Digest", json_string_new (r->digest));
  json_object_set (j, "ID", json_string_new (o->no_trunc ? r->id : id));
  json_object_set (j, "Repository", json_string_new (r->repo));
  json_object_set (j, "SharedSize", json_string_new ("N/A"));
  json_object_set (j, "Size", json_string_new (size));
  json_object_set (j, "Tag", json_string_new (r->tag));
  json_object_set (j, "UniqueSize", json_string_new ("N/A"));
  json_object_set (j, "VirtualSize", json_string_new (size));
  return j;
}

/* "table {{.Repository}}\t{{.Tag}}": the header from the field names.  */
static char *
table_header (const char *tmpl)
{
  static const char *const names[][2] = {
    { ".Repository", "REPOSITORY" }, { ".Tag", "TAG" },
    { ".ID", "IMAGE ID" },           { ".CreatedSince", "CREATED" },
    { ".CreatedAt", "CREATED AT" },  { ".Size", "SIZE" },
    { ".Digest", "DIGEST" },         { ".VirtualSize", "SIZE" },
    { ".Containers", "CONTAINERS" },
  };
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
      while (*t == ' ')
        t++;
      t[strcspn (t, " ")] = '\0';
      const char *h = NULL;
      for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp (t, names[i][0]) == 0)
          h = names[i][1];
      if (h)
        strbuf_adds (&sb, h);
      else
        for (const char *c = t + (*t == '.'); *c; c++)
          strbuf_addc (&sb, (char) toupper ((unsigned char) *c));
      p = e + 2;
    }
  return strbuf_detach (&sb);
}

static int
print_rows (struct row *rows, size_t n, const struct list_opts *o)
{
  time_t now = time (NULL);
  const char *fmt = o->format;
  if (o->quiet)
    {
      for (size_t i = 0; i < n; i++)
        printf (o->no_trunc ? "%s\n" : "%.12s\n", o->no_trunc ? rows[i].id : kago_digest_hex (rows[i].id));
      return 0;
    }
  if (fmt && strcmp (fmt, "json") == 0)
    {
      for (size_t i = 0; i < n; i++)
        {
          json_value *j = row_json (&rows[i], o, now);
          cleanup_free char *s = json_to_string (j, false);
          json_free (j);
          puts (s);
        }
      return 0;
    }
  if (fmt && strcmp (fmt, "table") != 0 && strncmp (fmt, "table ", 6) != 0)
    {
      for (size_t i = 0; i < n; i++)
        {
          json_value *j = row_json (&rows[i], o, now);
          kago_error_t err = NULL;
          int r = kago_template_render (fmt, j, stdout, &err);
          json_free (j);
          if (r < 0)
            return kago_cli_fail (&err);
        }
      return 0;
    }
  if (fmt && strncmp (fmt, "table ", 6) == 0)
    {
      /* A table of the template's tab-separated cells.  */
      const char *tmpl = fmt + 6;
      cleanup_free char *hdr = table_header (tmpl);
      struct kago_table t;
      size_t ncols = 1;
      for (const char *p = tmpl; (p = strstr (p, "\\t")); p += 2)
        ncols++;
      kago_table_init (&t, ncols);
      for (size_t i = 0; i <= n; i++)
        {
          char *buf = NULL;
          size_t len = 0;
          FILE *f = open_memstream (&buf, &len);
          kago_error_t err = NULL;
          if (i == 0)
            fprintf (f, "%s\n", hdr);
          else
            {
              json_value *j = row_json (&rows[i - 1], o, now);
              int r = kago_template_render (tmpl, j, f, &err);
              json_free (j);
              if (r < 0)
                {
                  fclose (f);
                  free (buf);
                  kago_table_free (&t);
                  return kago_cli_fail (&err);
                }
            }
          fclose (f);
          if (len && buf[len - 1] == '\n')
            buf[len - 1] = '\0';
          /* The header still holds the two characters "\t".  */
          strbuf cells = STRBUF_INIT;
          for (const char *p = buf; *p; p++)
            if (p[0] == '\\' && p[1] == 't')
              {
                strbuf_addc (&cells, '\t');
                p++;
              }
            else
              strbuf_addc (&cells, *p);
          const char **cv = xcalloc (ncols + 1, sizeof *cv);
          char *save = NULL, *s = cells.buf ? cells.buf : (char *) "";
          for (size_t c = 0; c < ncols; c++)
            {
              char *tab = strchr (s, '\t');
              if (tab)
                *tab = '\0';
              cv[c] = s;
              s = tab ? tab + 1 : s + strlen (s);
            }
          (void) save;
          kago_table_add (&t, cv);
          free (cv);
          strbuf_release (&cells);
          free (buf);
        }
      kago_table_print (&t, stdout);
      kago_table_free (&t);
      return 0;
    }
  struct kago_table t;
  kago_table_init (&t, o->digests ? 6 : 5);
  if (o->digests)
    kago_table_add (&t, (const char *[]){ "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE" });
  else
    kago_table_add (&t, (const char *[]){ "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE" });
  for (size_t i = 0; i < n; i++)
    {
      char size[32], since[64], id[80];
      kago_human_size (rows[i].size, size, sizeof size);
      kago_human_since (rows[i].created, now, since, sizeof since);
      snprintf (id, sizeof id, o->no_trunc ? "%s" : "%.12s",
                o->no_trunc ? rows[i].id : kago_digest_hex (rows[i].id));
      if (o->digests)
        kago_table_add (&t, (const char *[]){ rows[i].repo, rows[i].tag, rows[i].digest, id, since, size });
      else
        kago_table_add (&t, (const char *[]){ rows[i].repo, rows[i].tag, id, since, size });
    }
  kago_table_print (&t, stdout);
  kago_table_free (&t);
  return 0;
}

int
kago_cmd_images (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },          { "digests", no_argument, NULL, 'D' },
    { "filter", required_argument, NULL, 'f' }, { "format", required_argument, NULL, 'F' },
    { "no-trunc", no_argument, NULL, 'T' },     { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
  };
  struct list_opts o = { .dangling = -1 };
  int c, ret = 1;
  optind = 0;
  while ((c = getopt_long (argc, argv, "af:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        break;
      case 'D':
        o.digests = true;
        break;
      case 'f':
        if (strcmp (optarg, "dangling=true") == 0)
          o.dangling = 1;
        else if (strcmp (optarg, "dangling=false") == 0)
          o.dangling = 0;
        else if (strncmp (optarg, "reference=", 10) == 0)
          kago_strv_add (&o.ref_patterns, optarg + 10);
        else
          {
            kago_strv_free (&o.ref_patterns);
            return kago_cli_usage_error (argv[0],
                                         "invalid filter '%s' (kago knows dangling=true|false and "
                                         "reference=PATTERN)",
                                         optarg);
          }
        break;
      case 'F':
        o.format = optarg;
        break;
      case 'T':
        o.no_trunc = true;
        break;
      case 'q':
        o.quiet = true;
        break;
      case 'h':
        usage_images (stdout);
        kago_strv_free (&o.ref_patterns);
        return 0;
      default:
        kago_strv_free (&o.ref_patterns);
        return kago_cli_usage_error (argv[0], "unknown flag");
      }
  if (argc - optind > 1)
    {
      kago_strv_free (&o.ref_patterns);
      return kago_cli_usage_error (argv[0], "\"images\" requires at most 1 argument");
    }
  o.filter_ref = optind < argc ? argv[optind] : NULL;

  kago_error_t err = NULL;
  cleanup_store struct kago_store *s = kago_cli_open_store (ctx, &err);
  if (s == NULL)
    return kago_cli_fail (&err);
  cleanup_index struct kago_index idx;
  if (kago_index_load (s, &idx, &err) < 0)
    return kago_cli_fail (&err);

  struct row *rows = NULL;
  size_t n = 0;
  for (size_t i = 0; i < idx.nimages; i++)
    {
      const struct kago_image_rec *rec = &idx.images[i];
      size_t nt, nd;
      cleanup_free const char **tags = kago_index_image_tags (&idx, rec, &nt);
      cleanup_free const char **dgs = kago_index_image_digests (&idx, rec, &nd);
      if (nt == 0 && nd == 0)
        add_row (&rows, &n, rec, "<none>", "<none>", NULL);
      for (size_t j = 0; j < nd && nt == 0; j++)
        {
          char *name;
          const char *t, *d;
          if (!kago_ref_split (dgs[j], &name, &t, &d))
            continue;
          cleanup_free char *fam = kago_familiar_name (name);
          add_row (&rows, &n, rec, fam, "<none>", d);
          free (name);
        }
      for (size_t j = 0; j < nt; j++)
        {
          char *name;
          const char *t, *d;
          if (!kago_ref_split (tags[j], &name, &t, &d))
            continue;
          cleanup_free char *fam = kago_familiar_name (name);
          cleanup_free char *dg = digest_for_repo (dgs, nd, name);
          add_row (&rows, &n, rec, fam, t ? t : "<none>", dg);
          free (name);
        }
    }
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (row_matches (&rows[i], &o))
      rows[k++] = rows[i];
    else
      {
        free (rows[i].repo);
        free (rows[i].tag);
        free (rows[i].digest);
      }
  qsort (rows, k, sizeof *rows, cmp_rows);
  ret = print_rows (rows, k, &o);
  for (size_t i = 0; i < k; i++)
    {
      free (rows[i].repo);
      free (rows[i].tag);
      free (rows[i].digest);
    }
  free (rows);
  kago_strv_free (&o.ref_patterns);
  return ret;
}

int
kago_cmd_image_inspect (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 'h':
        puts ("Usage:  kago image inspect [OPTIONS] IMAGE [IMAGE...]\n\nDisplay detailed information on one "
              "or more images\n\nOptions:\n  -f, --format string   Format output using a Go template subset "
              "({{.Id}}, {{json .Config}}, ...)");
        return 0;
      default:
        return kago_cli_usage_error ("image inspect", "unknown flag");
      }
  if (optind >= argc)
    return kago_cli_usage_error ("image inspect", "\"inspect\" requires at least 1 argument");
  kago_error_t err = NULL;
  cleanup_store struct kago_store *s = kago_cli_open_store (ctx, &err);
  if (s == NULL)
    return kago_cli_fail (&err);
  cleanup_index struct kago_index idx;
  if (kago_index_load (s, &idx, &err) < 0)
    return kago_cli_fail (&err);
  json_value *all = json_array_new ();
  int ret = 0;
  for (int i = optind; i < argc; i++)
    {
      struct kago_image_rec *rec = kago_index_resolve (&idx, argv[i], NULL, &err);
      json_value *o = rec ? kago_image_inspect (s, &idx, rec, &err) : NULL;
      if (o == NULL)
        {
          cleanup_free char *m = kago_error_string (err);
          kago_error_release (&err);
          fprintf (stderr, "Error: %s\n", m);
          ret = 1;
          continue;
        }
      if (format)
        {
          if (kago_template_render (format, o, stdout, &err) < 0)
            {
              json_free (o);
              json_free (all);
              return kago_cli_fail (&err);
            }
          json_free (o);
        }
      else
        json_array_append (all, o);
    }
  if (!format)
    {
      cleanup_free char *text = json_to_string (all, true);
      kago_print_indented4 (text);
    }
  json_free (all);
  return ret;
}

static void
usage_image (FILE *out)
{
  fputs ("Usage:  kago image COMMAND\n"
         "\n"
         "Manage images\n"
         "\n"
         "Commands:\n"
         "  import      Import the contents from a tarball to create a filesystem image\n"
         "  inspect     Display detailed information on one or more images\n"
         "  load        Load an image from a tar archive or STDIN\n"
         "  mount       Make a container root filesystem of an image (overlay, or a copy)\n"
         "  ls          List images\n"
         "  prune       Remove unused images\n"
         "  rm          Remove one or more images\n"
         "  save        Save one or more images to a tar archive (streamed to STDOUT by default)\n"
         "  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n"
         "  unmount     Unmount and remove what `kago image mount` made\n",
         out);
}

int
kago_cmd_image (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*fn) (struct kago_engine_ctx *, int, char **);
  } sub[] = {
    { "ls", kago_cmd_images },
    { "list", kago_cmd_images },
    { "inspect", kago_cmd_image_inspect },
    { "rm", kago_cmd_rmi },
    { "remove", kago_cmd_rmi },
    { "prune", kago_cmd_image_prune },
    { "tag", kago_cmd_tag },
    { "load", kago_cmd_load },
    { "save", kago_cmd_save },
    { "import", kago_cmd_import },
    { "mount", kago_cmd_image_mount },
    { "unmount", kago_cmd_image_unmount },
    { "umount", kago_cmd_image_unmount },
  };
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage_image (argc < 2 ? stderr : stdout);
      return argc < 2 ? 1 : 0;
    }
  for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
    if (strcmp (argv[1], sub[i].name) == 0)
      return sub[i].fn (ctx, argc - 1, argv + 1);
  fprintf (stderr, "kago image: unknown command \"%s\"\n\n", argv[1]);
  usage_image (stderr);
  return 1;
}
