/* create, start, run, kill, delete, pause, resume; and the verbs that are not
   available (update, events until the cgroups work; checkpoint, restore).  */
#include "cli/runtime/verbs.h"

#include "common/log.h"

#include <signal.h>

/* runc treats an empty path flag as not given.  */
static const char *
nonempty (const char *s)
{
  return s && *s ? s : NULL;
}

static void
create_options_from_cli (const struct kago_cli *cli, struct kago_create_options *o)
{
  *o = (struct kago_create_options){
    .bundle = nonempty (cli->o.bundle),
    .pid_file = nonempty (cli->o.pid_file),
    .console_socket = nonempty (cli->o.console_socket),
    .preserve_fds = cli->o.preserve_fds,
    .no_pivot = cli->o.no_pivot,
    .no_new_keyring = cli->o.no_new_keyring,
    .detach = cli->o.detach,
  };
}

int
kago_cmd_create (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  struct kago_create_options o;
  create_options_from_cli (ctx->cli, &o);
  if (kago_container_create (&ctx->rt, ctx->cli->args[0], &o, err) < 0)
    return -1;
  return 0;
}

int
kago_cmd_start (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  if (kago_container_start (&ctx->rt, ctx->cli->args[0], err) < 0)
    return -1;
  return 0;
}

int
kago_cmd_run (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  struct kago_create_options o;
  int status = 0;
  if (ctx->cli->o.keep)
    return kago_error_set (err, 0,
                           "run --keep is not supported yet: use create and start to keep the container");
  create_options_from_cli (ctx->cli, &o);
  if (kago_container_run (&ctx->rt, ctx->cli->args[0], &o, &status, err) < 0)
    return -1;
  /* Foreground: exit with the container's status, so that a supervisor sees
     it (128+N for a signal N, as a shell reports it).  */
  if (o.detach)
    return 0;
  return status & 0xff;
}

int
kago_cmd_kill (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  const struct kago_cli *cli = ctx->cli;
  const char *sigstr = cli->nargs > 1 ? cli->args[1] : "SIGTERM";
  int sig;
  if (kago_parse_signal (sigstr, &sig, err) < 0)
    return -1;
  if (kago_container_kill (&ctx->rt, cli->args[0], sig, cli->o.all, err) < 0)
    return -1;
  return 0;
}

int
kago_cmd_delete (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  if (kago_container_delete (&ctx->rt, ctx->cli->args[0], ctx->cli->o.force, err) < 0)
    return -1;
  return 0;
}

int
kago_cmd_pause (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  if (kago_container_pause (&ctx->rt, ctx->cli->args[0], err) < 0)
    return -1;
  return 0;
}

int
kago_cmd_resume (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  if (kago_container_resume (&ctx->rt, ctx->cli->args[0], err) < 0)
    return -1;
  return 0;
}

int
kago_cmd_update (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  (void) ctx;
  return kago_error_set (err, 0,
                         "\"update\" is not available yet (resource updates arrive with the cgroups work)");
}

int
kago_cmd_events (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  (void) ctx;
  return kago_error_set (
      err, 0, "\"events\" is not available yet (statistics and OOM events arrive with the cgroups work)");
}

int
kago_cmd_checkpoint (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  return kago_error_set (err, 0,
                         "\"%s\" is not supported: kago-runtime does not implement checkpoint/restore "
                         "(CRIU does not work on this kernel)",
                         kago_verb_name (ctx->cli->verb));
}
