/* `kago top CONTAINER [ps OPTIONS]`: docker top (engine/container/top.h),
   printed as docker's cli does (tabwriter: minimum width 20, padding 3).  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/engine/engine.h"
#include "common/xalloc.h"
#include "engine/container/container.h"
#include "engine/container/top.h"
#include "runtime/runtime.h"

static void
usage_top (FILE *out)
{
  fputs ("Usage:  kago top CONTAINER [ps OPTIONS]\n"
         "\n"
         "Display the running processes of a container\n"
         "\n"
         "The ps options are those of the host's ps(1) (default -ef).\n",
         out);
}

static void
print_top (const struct kago_top *t, FILE *out)
{
  size_t *w = xcalloc (t->ntitles, sizeof *w);
  for (size_t c = 0; c < t->ntitles; c++)
    {
      w[c] = 20;
      if (strlen (t->titles[c]) + 3 > w[c])
        w[c] = strlen (t->titles[c]) + 3;
      for (size_t r = 0; r < t->nprocs; r++)
        if (strlen (t->procs[r][c]) + 3 > w[c])
          w[c] = strlen (t->procs[r][c]) + 3;
    }
  for (size_t r = 0; r <= t->nprocs; r++)
    {
      char **row = r == 0 ? t->titles : t->procs[r - 1];
      for (size_t c = 0; c < t->ntitles; c++)
        {
          if (c + 1 == t->ntitles)
            fputs (row[c], out);
          else
            fprintf (out, "%-*s", (int) w[c], row[c]);
        }
      fputc ('\n', out);
    }
  free (w);
}

/* As dockerd: a running (or paused) container, its cgroup's pids, ps.  */
static int
top_of (struct kago_engine *e, const char *name, char *const *ps_args, size_t n, struct kago_top *t,
        kago_error_t *err)
{
  struct kago_ctr_info c = { 0 };
  if (kago_ctr_get (e, name, &c, err) < 0)
    return -1;
  enum kago_ctr_status status = c.status;
  char id[KAGO_CTR_ID_LEN + 1];
  memcpy (id, c.id, sizeof id);
  kago_ctr_info_free (&c);
  if (status == KAGO_CTR_RESTARTING)
    return kago_error_set (err, 0, "Container %s is restarting, wait until the container is running", id);
  if (status != KAGO_CTR_RUNNING && status != KAGO_CTR_PAUSED)
    return kago_error_set (err, 0, "container %s is not running", id);
  struct kago_runtime rt = { .root = e->runtime_root };
  pid_t *pids = NULL;
  size_t npids = 0;
  if (kago_container_pids (&rt, id, &pids, &npids, err) < 0)
    return -1;
  int r = kago_top_ps (ps_args, n, pids, npids, t, err);
  free (pids);
  return r;
}

int
kago_cmd_top (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  /* Everything after the container belongs to ps, so no getopt.  */
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      usage_top (stdout);
      return 0;
    }
  if (argc < 2)
    return kago_cli_usage_error (argv[0], "\"top\" requires at least 1 argument.");
  if (argv[1][0] == '-')
    return kago_cli_usage_error (argv[0], "unknown flag: %s", argv[1]);

  kago_error_t err = NULL;
  struct kago_engine e = { 0 };
  if (kago_engine_open (ctx->root, &e, &err) < 0)
    return kago_cli_fail (&err);
  struct kago_top t = { 0 };
  int r = top_of (&e, argv[1], argv + 2, (size_t) (argc - 2), &t, &err);
  kago_engine_close (&e);
  if (r < 0)
    return kago_cli_fail (&err);
  print_top (&t, stdout);
  kago_top_free (&t);
  return 0;
}
