/* kago ps, logs, exec.  */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/engine/engine.h"
#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/container/ctr_ports.h"
#include "engine/container/lifecycle.h"
#include "engine/container/logs.h"
#include "engine/container/record.h"
#include "runtime/runtime.h"


static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* ---- ps ---- */

struct ps_filter
{
  char *key, *value;
};

static bool
label_match (const json_value *labels, const char *want)
{
  const char *eq = strchr (want, '=');
  cleanup_free char *k = eq ? xstrndup (want, (size_t) (eq - want)) : xstrdup (want);
  const json_value *v = json_object_get (labels, k);
  if (v == NULL)
    return false;
  return eq == NULL || (json_get_string (v) && strcmp (json_get_string (v), eq + 1) == 0);
}

static bool
filter_match (const struct kago_ctr_info *c, const struct ps_filter *f, size_t nf)
{
  /* Values of one key OR together; keys AND (docker's rule).  */
  for (size_t i = 0; i < nf; i++)
    {
      bool any = false, seen = false;
      for (size_t j = 0; j < nf; j++)
        {
          if (strcmp (f[j].key, f[i].key) != 0)
            continue;
          seen = true;
          const char *k = f[j].key, *v = f[j].value;
          if (strcmp (k, "status") == 0)
            any |= strcmp (kago_ctr_status_name (c->status), v) == 0;
          else if (strcmp (k, "name") == 0)
            any |= strstr (c->name, v) != NULL;
          else if (strcmp (k, "id") == 0)
            any |= strncmp (c->id, v, strlen (v)) == 0;
          else if (strcmp (k, "label") == 0)
            any |= label_match (c->labels, v);
          else if (strcmp (k, "ancestor") == 0)
            any |= strcmp (c->image, v) == 0 || strncmp (c->image_id, v, strlen (v)) == 0
                   || (strncmp (v, "sha256:", 7) != 0 && strncmp (c->image_id + 7, v, strlen (v)) == 0)
                   || (strchr (v, ':') == NULL && strncmp (c->image, v, strlen (v)) == 0
                       && strcmp (c->image + strlen (v), ":latest") == 0)
                   || (strchr (c->image, ':') == NULL && strncmp (v, c->image, strlen (c->image)) == 0
                       && strcmp (v + strlen (c->image), ":latest") == 0);
          else if (strcmp (k, "exited") == 0)
            any |= c->status == KAGO_CTR_EXITED && c->exit_code == atoi (v);
        }
      if (seen && !any)
        return false;
    }
  return true;
}

static void
status_text (const struct kago_ctr_info *c, time_t now, char *buf, size_t len)
{
  char d[64];
  switch (c->status)
    {
    case KAGO_CTR_RUNNING:
    case KAGO_CTR_PAUSED:
      kago_human_duration (difftime (now, kago_parse_rfc3339 (c->started_at)), d, sizeof d);
      snprintf (buf, len, "Up %s%s", d, c->status == KAGO_CTR_PAUSED ? " (Paused)" : "");
      break;
    case KAGO_CTR_RESTARTING:
      kago_human_duration (difftime (now, kago_parse_rfc3339 (c->finished_at)), d, sizeof d);
      snprintf (buf, len, "Restarting (%d) %s ago", c->exit_code, d);
      break;
    case KAGO_CTR_EXITED:
      kago_human_duration (difftime (now, kago_parse_rfc3339 (c->finished_at)), d, sizeof d);
      snprintf (buf, len, "Exited (%d) %s ago", c->exit_code, d);
      break;
    case KAGO_CTR_CREATED:
      snprintf (buf, len, "Created");
      break;
    case KAGO_CTR_DEAD:
    case KAGO_CTR_REMOVING:
    default:
      snprintf (buf, len, "%s", kago_ctr_status_name (c->status));
      break;
    }
}

static char *
labels_text (const json_value *labels)
{
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  for (size_t i = 0; labels && labels->type == JSON_OBJECT && i < labels->u.obj.len; i++)
    {
      const char *v = json_get_string (labels->u.obj.members[i].value);
      strbuf_addf (&sb, "%s%s=%s", i ? "," : "", labels->u.obj.members[i].key, v ? v : "");
    }
  return sb.buf ? strbuf_detach (&sb) : xstrdup ("");
}

static json_value *
ps_object (const struct kago_ctr_info *c, bool no_trunc, time_t now)
{
  json_value *o = json_object_new ();
  char st[128], since[64];
  status_text (c, now, st, sizeof st);
  kago_human_since (kago_parse_rfc3339 (c->created), now, since, sizeof since);
  cleanup_free char *cmd = NULL;
  if (no_trunc || strlen (c->command) <= 20)
    cmd = xasprintf ("\"%s\"", c->command);
  else
    cmd = xasprintf ("\"%.19s…\"", c->command);
  char created[64];
  time_t ct = kago_parse_rfc3339 (c->created);
  struct tm tm;
  localtime_r (&ct, &tm);
  strftime (created, sizeof created, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  cleanup_free char *labels = labels_text (c->labels);
  json_object_set (o, "Command", json_string_new (cmd));
  json_object_set (o, "CreatedAt", json_string_new (created));
  char sid[KAGO_CTR_SHORT_ID_LEN + 1];
  memcpy (sid, c->id, KAGO_CTR_SHORT_ID_LEN);
  sid[KAGO_CTR_SHORT_ID_LEN] = 0;
  json_object_set (o, "ID", json_string_new (no_trunc ? c->id : sid));
  json_object_set (o, "Image", json_string_new (c->image));
  json_object_set (o, "Labels", json_string_new (labels));
  json_object_set (o, "LocalVolumes", json_string_new ("0"));
  json_object_set (o, "Mounts", json_string_new (""));
  json_object_set (o, "Names", json_string_new (c->name));
  /* Docker's: the names of the networks it is connected to, else the
     mode (host, none, container:X, kago's default).  */
  const char *net = kago_rec_str (c->record, "HostConfig", "NetworkMode");
  const json_value *nets = json_object_get (json_object_get (c->record, "NetworkSettings"), "Networks");
  size_t nn = nets && nets->type == JSON_OBJECT ? json_object_len (nets) : 0;
  const char **names = xcalloc (nn + 1, sizeof *names);
  for (size_t i = 0; i < nn; i++)
    names[i] = nets->u.obj.members[i].key;
  qsort (names, nn, sizeof *names, cmp_str);
  cleanup_strbuf strbuf nb = STRBUF_INIT;
  for (size_t i = 0; i < nn; i++)
    strbuf_addf (&nb, "%s%s", i ? "," : "", names[i]);
  free (names);
  json_object_set (o, "Networks", json_string_new (nb.len ? nb.buf : net ? net : ""));
  cleanup_free char *ports = kago_ctr_ports_summary (json_object_get (json_object_get (c->record, "NetworkSettings"), "Ports"));
  json_object_set (o, "Ports", json_string_new (ports));
  /* "5 seconds ago" without " ago" is RunningFor.  */
  char *ago = strstr (since, " ago");
  if (ago)
    *ago = '\0';
  json_object_set (o, "RunningFor", json_string_new (since));
  json_object_set (o, "Size", json_string_new ("0B"));
  json_object_set (o, "State", json_string_new (kago_ctr_status_name (c->status)));
  json_object_set (o, "Status", json_string_new (st));
  return o;
}

int
kago_cmd_ctr_ps (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },         { "quiet", no_argument, NULL, 'q' },
    { "last", required_argument, NULL, 'n' },  { "latest", no_argument, NULL, 'l' },
    { "no-trunc", no_argument, NULL, 'T' },    { "filter", required_argument, NULL, 'f' },
    { "format", required_argument, NULL, 'F' }, { "size", no_argument, NULL, 's' },
    { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
  };
  bool all = false, quiet = false, no_trunc = false;
  long last = -1;
  const char *format = NULL;
  struct ps_filter filters[32];
  size_t nf = 0;
  int c, ret = 1;
  optind = 0;
  while ((c = getopt_long (argc, argv, "aqn:lf:sh", opts, NULL)) != -1)
    switch (c)
      {
      case 'a': all = true; break;
      case 'q': quiet = true; break;
      case 'n':
        {
          char *end;
          last = strtol (optarg, &end, 10);
          if (*optarg == '\0' || *end)
            {
              fprintf (stderr, "kago: invalid argument \"%s\" for \"-n, --last\" flag: invalid syntax\n", optarg);
              goto out;
            }
          break;
        }
      case 'l': last = 1; break;
      case 'T': no_trunc = true; break;
      case 's': break;
      case 'F': format = optarg; break;
      case 'f':
        {
          const char *eq = strchr (optarg, '=');
          static const char *const keys[] = { "status", "name", "id", "label", "ancestor", "exited" };
          bool known = false;
          for (size_t k = 0; eq && k < sizeof keys / sizeof *keys; k++)
            known |= strlen (keys[k]) == (size_t) (eq - optarg) && strncmp (keys[k], optarg, strlen (keys[k])) == 0;
          if (!known)
            {
              fprintf (stderr, "kago: invalid filter '%s'\n", optarg);
              goto out;
            }
          if (nf == sizeof filters / sizeof *filters)
            {
              fprintf (stderr, "kago: too many filters\n");
              goto out;
            }
          filters[nf].key = xstrndup (optarg, (size_t) (eq - optarg));
          filters[nf++].value = xstrdup (eq + 1);
          if (strcmp (filters[nf - 1].key, "status") == 0)
            {
              static const char *const sts[] = { "created", "restarting", "running", "removing", "paused", "exited",
                                                 "dead" };
              bool ok = false;
              for (size_t k = 0; k < sizeof sts / sizeof *sts; k++)
                ok |= strcmp (sts[k], eq + 1) == 0;
              if (!ok)
                {
                  fprintf (stderr, "kago: invalid filter 'status=%s'\n", eq + 1);
                  goto out;
                }
            }
          break;
        }
      case 'h':
        puts ("Usage:  kago ps [OPTIONS]\n\nList containers\n\nOptions:\n"
              "  -a, --all             Show all containers (default shows just running)\n"
              "  -f, --filter filter   Filter output based on conditions provided (status, name, id, label, "
              "ancestor, exited)\n"
              "      --format string   Format output: table, json, or a Go template subset\n"
              "  -n, --last int        Show n last created containers (includes all states) (default -1)\n"
              "  -l, --latest          Show the latest created container (includes all states)\n"
              "      --no-trunc        Don't truncate output\n"
              "  -q, --quiet           Only display container IDs");
        ret = 0;
        goto out;
      default:
        fprintf (stderr, "See 'kago ps --help'.\n");
        goto out;
      }
  {
    kago_error_t err = NULL;
    struct kago_engine e;
    if (kago_cli_open_engine (ctx, &e, &err) < 0)
      {
        ret = kago_cli_ctr_fail (&err, 1);
        goto out;
      }
    struct kago_ctr_info *v;
    size_t n;
    /* Docker: -n/-l and a status or exited filter look at every
       container; otherwise only live ones.  */
    for (size_t k = 0; k < nf; k++)
      all |= strcmp (filters[k].key, "status") == 0 || strcmp (filters[k].key, "exited") == 0;
    if (last >= 0)
      all = true;
    if (kago_ctr_list (&e, all, &v, &n, &err) < 0)
      {
        kago_engine_close (&e);
        ret = kago_cli_ctr_fail (&err, 1);
        goto out;
      }
    time_t now = time (NULL);
    struct kago_table t;
    bool table = format == NULL || strncmp (format, "table", 5) == 0;
    bool json = format && strcmp (format, "json") == 0;
    const char *tmpl = json ? "{{json .}}" : (format && !table ? format : NULL);
    kago_table_init (&t, 7);
    if (table && !quiet)
      kago_table_add (&t, (const char *const[]){ "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS",
                                                  "NAMES" });
    ret = 0;
    long shown = 0;
    for (size_t i = 0; i < n; i++)
      {
        if (!filter_match (&v[i], filters, nf))
          continue;
        if (last >= 0 && shown >= last)
          break;
        shown++;
        if (quiet)
          {
            printf ("%.*s\n", no_trunc ? KAGO_CTR_ID_LEN : KAGO_CTR_SHORT_ID_LEN, v[i].id);
            continue;
          }
        json_value *o = ps_object (&v[i], no_trunc, now);
        if (tmpl)
          {
            if (kago_template_render (tmpl, o, stdout, &err) < 0)
              {
                json_free (o);
                ret = kago_cli_ctr_fail (&err, 1);
                break;
              }
            putchar ('\n');
          }
        else
          {
            char since[64];
            kago_human_since (kago_parse_rfc3339 (v[i].created), now, since, sizeof since);
            const char *cells[] = {
              json_get_string (json_object_get (o, "ID")), v[i].image,
              json_get_string (json_object_get (o, "Command")), since,
              json_get_string (json_object_get (o, "Status")), json_get_string (json_object_get (o, "Ports")),
              v[i].name,
            };
            kago_table_add (&t, cells);
          }
        json_free (o);
      }
    if (!quiet && !tmpl)
      kago_table_print (&t, stdout);
    kago_table_free (&t);
    kago_ctr_infos_free (v, n);
    kago_engine_close (&e);
  }
out:
  for (size_t i = 0; i < nf; i++)
    {
      free (filters[i].key);
      free (filters[i].value);
    }
  return ret;
}

/* ---- logs ---- */

struct logs_out
{
  bool timestamps;
};

static int
print_entry (const struct kago_log_entry *e, void *arg)
{
  struct logs_out *o = arg;
  FILE *f = e->stream == KAGO_LOG_STDERR ? stderr : stdout;
  if (o->timestamps)
    fprintf (f, "%s ", e->time);
  fwrite (e->text, 1, e->len, f);
  fflush (f);
  return 0;
}

int
kago_cmd_ctr_logs (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "follow", no_argument, NULL, 'f' },      { "tail", required_argument, NULL, 'n' },
    { "timestamps", no_argument, NULL, 't' },  { "since", required_argument, NULL, 'S' },
    { "until", required_argument, NULL, 'U' }, { "details", no_argument, NULL, 'd' },
    { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
  };
  bool follow = false;
  struct logs_out lo = { 0 };
  struct kago_log_read_opts ro = { .tail = -1 };
  const char *since = NULL, *until = NULL;
  kago_error_t err = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+fn:th", opts, NULL)) != -1)
    switch (c)
      {
      case 'f': follow = true; break;
      case 't': lo.timestamps = true; break;
      case 'd': break;
      case 'S': since = optarg; break;
      case 'U': until = optarg; break;
      case 'n':
        if (strcmp (optarg, "all") == 0)
          ro.tail = -1;
        else
          {
            char *end;
            ro.tail = strtol (optarg, &end, 10);
            if (*optarg == '\0' || *end)
              {
                fprintf (stderr, "kago: invalid argument \"%s\" for \"-n, --tail\" flag\n", optarg);
                return 1;
              }
          }
        break;
      case 'h':
        puts ("Usage:  kago logs [OPTIONS] CONTAINER\n\nFetch the logs of a container\n\nOptions:\n"
              "  -f, --follow         Follow log output\n"
              "      --since string   Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
              "\"42m\" for 42 minutes)\n"
              "  -n, --tail string    Number of lines to show from the end of the logs (default \"all\")\n"
              "  -t, --timestamps     Show timestamps\n"
              "      --until string   Show logs before a timestamp or relative");
        return 0;
      default:
        fprintf (stderr, "See 'kago logs --help'.\n");
        return 1;
      }
  if (argc - optind != 1)
    {
      fprintf (stderr, "kago: \"logs\" requires exactly 1 argument.\nSee 'kago logs --help'.\n");
      return 1;
    }
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  int64_t now_ns = (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec;
  if (kago_log_parse_time (since, now_ns, &ro.since_ns, &err) < 0
      || kago_log_parse_time (until, now_ns, &ro.until_ns, &err) < 0)
    return kago_cli_ctr_fail (&err, 1);
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    return kago_cli_ctr_fail (&err, 1);
  struct kago_ctr_info ci;
  int ret = 0;
  if (kago_ctr_get (&e, argv[optind], &ci, &err) < 0)
    {
      kago_engine_close (&e);
      return kago_cli_ctr_fail (&err, 1);
    }
  const char *path = kago_rec_str (ci.record, "LogPath", NULL);
  const json_value *lc = json_object_get (json_object_get (json_object_get (ci.record, "HostConfig"), "LogConfig"),
                                          "Config");
  const char *mf = json_get_string (json_object_get (lc, "max-file"));
  int max_file = mf && atoi (mf) > 0 ? atoi (mf) : 1;
  uint64_t pos = 0, ino = 0;
  if (path && kago_log_read (path, max_file, &ro, print_entry, &lo, &pos, &err) < 0)
    ret = kago_cli_ctr_fail (&err, 1);
  char id[KAGO_CTR_ID_LEN + 1];
  memcpy (id, ci.id, sizeof id);
  kago_ctr_info_free (&ci);
  while (ret == 0 && follow && path)
    {
      struct kago_ctr_info cur;
      if (kago_ctr_get (&e, id, &cur, &err) < 0)
        {
          kago_error_release (&err);
          break;
        }
      bool live = cur.status == KAGO_CTR_RUNNING || cur.status == KAGO_CTR_PAUSED
                  || cur.status == KAGO_CTR_RESTARTING;
      kago_ctr_info_free (&cur);
      if (kago_log_read_from (path, &pos, &ino, print_entry, &lo, &err) < 0)
        {
          ret = kago_cli_ctr_fail (&err, 1);
          break;
        }
      if (!live)
        break;
      poll (NULL, 0, 100);
    }
  kago_engine_close (&e);
  return ret;
}
