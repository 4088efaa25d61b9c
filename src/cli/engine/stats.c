/* `kago stats [OPTIONS] [CONTAINER...]`: docker stats.
 *
 * Each round reads every shown container's cgroup statistics, the host's
 * cpu time and its network counters (engine/container/stats_view.h has
 * the rules); a row's CPU % is over the interval since the previous round.
 * Rounds are one second apart, like dockerd's stats collector:
 *   - --no-stream: two rounds, then one table (docker's daemon, asked for
 *     one result, also samples twice so that CPU % is not 0);
 *   - otherwise a table every second until interrupted; on a terminal the
 *     screen is cleared first ("\033[2J\033[H", as docker does), elsewhere
 *     the tables follow each other.
 * With no name every running container is shown (-a: every container),
 * containers that start later join, those that go away leave.  A named
 * container that does not run shows "--".  */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/stats.h"
#include "cli/engine/engine.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/container/container.h"
#include "engine/container/stats_view.h"

#define DEFAULT_TABLE                                                                                        \
  "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

static const struct kago_format_header headers[] = {
  { ".Container", "CONTAINER" },
  { ".Name", "NAME" },
  { ".ID", "CONTAINER ID" },
  { ".CPUPerc", "CPU %" },
  { ".MemUsage", "MEM USAGE / LIMIT" },
  { ".MemPerc", "MEM %" },
  { ".NetIO", "NET I/O" },
  { ".BlockIO", "BLOCK I/O" },
  { ".PIDs", "PIDS" },
};

struct target
{
  char *arg; /* the name or id as the user gave it; NULL when listing */
  char id[KAGO_CTR_ID_LEN + 1];
  char *name;
  bool running;
  pid_t pid;
  bool seen; /* in this round's list */
  bool have_prev;
  struct kago_stats_sample prev;
  struct kago_stats_view view;
};

struct stats_opts
{
  bool all, no_stream, no_trunc;
  const char *format;
};

struct targets
{
  struct target *v;
  size_t n;
};

static void
usage_stats (FILE *out)
{
  fputs ("Usage:  kago stats [OPTIONS] [CONTAINER...]\n"
         "\n"
         "Display a live stream of container(s) resource usage statistics\n"
         "\n"
         "Options:\n"
         "  -a, --all             Show all containers (default shows just running)\n"
         "      --format string   Format output: 'table', 'json', 'table TEMPLATE' or a Go template\n"
         "                        subset ({{.ID}}, {{.Name}}, {{.CPUPerc}}, {{.MemUsage}}, {{.MemPerc}},\n"
         "                        {{.NetIO}}, {{.BlockIO}}, {{.PIDs}}, {{.Container}}, {{json .}})\n"
         "      --no-stream       Disable streaming stats and only pull the first result\n"
         "      --no-trunc        Do not truncate output\n",
         out);
}

static void
target_free (struct target *t)
{
  free (t->arg);
  free (t->name);
}

static void
targets_free (struct targets *ts)
{
  for (size_t i = 0; i < ts->n; i++)
    target_free (&ts->v[i]);
  free (ts->v);
  ts->v = NULL;
  ts->n = 0;
}

static struct target *
targets_add (struct targets *ts)
{
  ts->v = xrealloc (ts->v, (ts->n + 1) * sizeof *ts->v);
  struct target *t = &ts->v[ts->n++];
  memset (t, 0, sizeof *t);
  return t;
}

static void
target_set (struct target *t, const struct kago_ctr_info *c)
{
  memcpy (t->id, c->id, sizeof t->id);
  free (t->name);
  t->name = xstrdup (c->name ? c->name : "");
  t->running = c->status == KAGO_CTR_RUNNING || c->status == KAGO_CTR_PAUSED;
  t->pid = c->pid;
}

/* The containers to show this round.  */
static int
update_targets (struct kago_engine *e, struct targets *ts, bool listing, bool all, kago_error_t *err)
{
  if (!listing)
    {
      for (size_t i = 0; i < ts->n; i++)
        {
          struct kago_ctr_info c = { 0 };
          kago_error_t e2 = NULL;
          /* Gone since (removed): its row shows "--".  */
          if (kago_ctr_get (e, ts->v[i].arg, &c, &e2) < 0)
            {
              kago_error_release (&e2);
              ts->v[i].running = false;
              continue;
            }
          target_set (&ts->v[i], &c);
          kago_ctr_info_free (&c);
        }
      return 0;
    }
  struct kago_ctr_info *list = NULL;
  size_t n = 0;
  if (kago_ctr_list (e, all, &list, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < ts->n; i++)
    ts->v[i].seen = false;
  for (size_t k = 0; k < n; k++)
    {
      struct target *t = NULL;
      for (size_t i = 0; i < ts->n && t == NULL; i++)
        if (strcmp (ts->v[i].id, list[k].id) == 0)
          t = &ts->v[i];
      if (t == NULL)
        t = targets_add (ts);
      target_set (t, &list[k]);
      t->seen = true;
    }
  kago_ctr_infos_free (list, n);
  /* Drop the containers that went away, keeping the others' order.  */
  size_t j = 0;
  for (size_t i = 0; i < ts->n; i++)
    if (ts->v[i].seen)
      ts->v[j++] = ts->v[i];
    else
      target_free (&ts->v[i]);
  ts->n = j;
  return 0;
}

static int
sample_one (struct kago_engine *e, const struct target *t, struct kago_stats_sample *out, kago_error_t *err)
{
  struct kago_cgroup_stats st;
  if (kago_ctr_stats (e, t->id, &st, err) < 0)
    return -1;
  /* The host's counter read right after the container's, as dockerd.  */
  struct kago_stats_host host;
  uint64_t rx = 0, tx = 0;
  int r = kago_stats_read_host (&host, err);
  if (r == 0 && t->pid > 0)
    r = kago_stats_read_net (t->pid, &rx, &tx, err);
  if (r == 0)
    kago_stats_sample_make (&st, &host, rx, tx, out);
  kago_cgroup_stats_clear (&st);
  return r;
}

/* One round: who is shown, and a new sample of each.  */
static int
round_once (struct kago_engine *e, struct targets *ts, bool listing, bool all, kago_error_t *err)
{
  if (update_targets (e, ts, listing, all, err) < 0)
    return -1;
  for (size_t i = 0; i < ts->n; i++)
    {
      struct target *t = &ts->v[i];
      struct kago_stats_sample cur;
      kago_error_t e2 = NULL;
      if (!t->running || sample_one (e, t, &cur, &e2) < 0)
        {
          /* Stopped, or stopped while we read it.  */
          kago_error_release (&e2);
          kago_stats_view_compute (NULL, NULL, &t->view);
          t->have_prev = false;
          continue;
        }
      kago_stats_view_compute (t->have_prev ? &t->prev : NULL, &cur, &t->view);
      t->prev = cur;
      t->have_prev = true;
    }
  return 0;
}

static bool
any_running (const struct targets *ts)
{
  for (size_t i = 0; i < ts->n; i++)
    if (ts->v[i].running)
      return true;
  return false;
}

static int
render (const struct targets *ts, const struct stats_opts *o, kago_error_t *err)
{
  json_value **rows = xcalloc (ts->n + 1, sizeof *rows);
  for (size_t i = 0; i < ts->n; i++)
    {
      const struct target *t = &ts->v[i];
      struct kago_stats_row row;
      kago_stats_view_format (&t->view, &row);
      char short_id[KAGO_CTR_SHORT_ID_LEN + 1];
      snprintf (short_id, sizeof short_id, "%.*s", KAGO_CTR_SHORT_ID_LEN, t->id);
      rows[i]
          = kago_stats_row_json (&row, t->arg ? t->arg : short_id, o->no_trunc ? t->id : short_id, t->name);
    }
  int r = kago_cli_format_rows (stdout, o->format, DEFAULT_TABLE, headers, sizeof headers / sizeof headers[0],
                                rows, ts->n, err);
  for (size_t i = 0; i < ts->n; i++)
    json_free (rows[i]);
  free (rows);
  fflush (stdout);
  return r;
}

static void
sleep_until (struct timespec *next)
{
  next->tv_sec += 1;
  while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
    ;
}

static int
run_stats (struct kago_engine *e, struct targets *ts, bool listing, const struct stats_opts *o)
{
  kago_error_t err = NULL;
  struct timespec next;
  clock_gettime (CLOCK_MONOTONIC, &next);
  if (round_once (e, ts, listing, o->all, &err) < 0)
    return kago_cli_fail (&err);
  if (o->no_stream)
    {
      /* Nothing runs: no CPU % to wait for.  */
      if (any_running (ts))
        {
          sleep_until (&next);
          if (round_once (e, ts, listing, o->all, &err) < 0)
            return kago_cli_fail (&err);
        }
      return render (ts, o, &err) < 0 ? kago_cli_fail (&err) : 0;
    }
  bool tty = isatty (STDOUT_FILENO);
  for (;;)
    {
      sleep_until (&next);
      if (round_once (e, ts, listing, o->all, &err) < 0)
        return kago_cli_fail (&err);
      if (tty)
        fputs ("\033[2J\033[H", stdout);
      if (render (ts, o, &err) < 0)
        return kago_cli_fail (&err);
    }
}

int
kago_cmd_stats (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },      { "no-stream", no_argument, NULL, 'S' },
    { "no-trunc", no_argument, NULL, 'T' }, { "format", required_argument, NULL, 'F' },
    { "help", no_argument, NULL, 'h' },     { NULL, 0, NULL, 0 },
  };
  struct stats_opts o = { 0 };
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "ah", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        o.all = true;
        break;
      case 'S':
        o.no_stream = true;
        break;
      case 'T':
        o.no_trunc = true;
        break;
      case 'F':
        o.format = optarg;
        break;
      case 'h':
        usage_stats (stdout);
        return 0;
      default:
        return kago_cli_usage_error (argv[0], "unknown flag");
      }

  kago_error_t err = NULL;
  struct kago_engine e = { 0 };
  if (kago_engine_open (ctx->root, &e, &err) < 0)
    return kago_cli_fail (&err);
  struct targets ts = { 0 };
  bool listing = optind >= argc;
  int ret = 0;
  /* Every name must exist (docker: one error line per missing one).  */
  for (int i = optind; i < argc; i++)
    {
      bool dup = false;
      for (size_t k = 0; k < ts.n; k++)
        dup |= strcmp (ts.v[k].arg, argv[i]) == 0;
      if (dup)
        continue;
      char id[KAGO_CTR_ID_LEN + 1];
      if (kago_ctr_resolve (&e, argv[i], id, &err) < 0)
        {
          ret = kago_cli_fail (&err);
          continue;
        }
      struct target *t = targets_add (&ts);
      t->arg = xstrdup (argv[i]);
      memcpy (t->id, id, sizeof id);
      t->name = xstrdup ("");
    }
  if (ret == 0)
    ret = run_stats (&e, &ts, listing, &o);
  targets_free (&ts);
  kago_engine_close (&e);
  return ret;
}
