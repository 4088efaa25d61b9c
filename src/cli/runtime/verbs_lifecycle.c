/* create, start, run, kill, delete, pause, resume, update; and the verbs that
   are not available (checkpoint, restore).  */
#include "cli/runtime/verbs.h"

#include "common/log.h"
#include "common/json.h"
#include "common/fsutil.h"
#include "common/cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
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

/* runc's units.RAMInBytes: "1024", "256m", "1g", "512KiB" (binary
   multiples, case-insensitive), or -1 for unlimited.  */
static int
parse_size (const char *flag, const char *text, int64_t *out, kago_error_t *err)
{
  char *end;
  errno = 0;
  long long v = strtoll (text, &end, 10);
  if (errno || end == text)
    return kago_error_set (err, 0, "--%s: invalid size \"%s\" (a number of bytes, with b, k, m, g, t or p)",
                           flag, text);
  if (v == -1 && *end == '\0')
    {
      *out = -1;
      return 0;
    }
  static const char units[] = "bkmgtp";
  int64_t mult = 1;
  if (*end)
    {
      const char *u = strchr (units, tolower ((unsigned char) *end));
      if (u == NULL || v < 0)
        return kago_error_set (err, 0, "--%s: invalid size \"%s\"", flag, text);
      for (const char *q = units; q < u; q++)
        mult *= 1024;
      end++;
      if (tolower ((unsigned char) *end) == 'i')
        end++;
      if (tolower ((unsigned char) *end) == 'b')
        end++;
      if (*end)
        return kago_error_set (err, 0, "--%s: invalid size \"%s\"", flag, text);
    }
  if (v < 0)
    return kago_error_set (err, 0, "--%s: invalid size \"%s\" (bytes, or -1 for unlimited)", flag, text);
  if (v > INT64_MAX / mult)
    return kago_error_set (err, 0, "--%s: size \"%s\" out of range", flag, text);
  *out = v * mult;
  return 0;
}

static int
parse_int (const char *flag, const char *text, int64_t *out, kago_error_t *err)
{
  char *end;
  errno = 0;
  long long v = strtoll (text, &end, 10);
  if (errno || end == text || *end)
    return kago_error_set (err, 0, "--%s: invalid number \"%s\"", flag, text);
  *out = v;
  return 0;
}

static json_value *
obj_at (json_value *root, const char *key)
{
  json_value *o = json_object_get (root, key);
  if (o == NULL || o->type != JSON_OBJECT)
    {
      o = json_object_new ();
      json_object_set (root, key, o);
    }
  return o;
}

/* runc's update flags over the --resources object.  */
static int
apply_update_flags (const struct kago_cli *cli, json_value *res, kago_error_t *err)
{
  static const struct
  {
    const char *section, *key;
    enum
    {
      U_SIZE,
      U_INT,
      U_STRING,
      U_REFUSED
    } kind;
  } map[16] = {
    { "blockIO", "weight", U_INT },     { "cpu", "period", U_INT },
    { "cpu", "quota", U_INT },          { "cpu", "shares", U_INT },
    { "cpu", "realtimePeriod", U_INT }, { "cpu", "realtimeRuntime", U_INT },
    { "cpu", "cpus", U_STRING },        { "cpu", "mems", U_STRING },
    { "memory", "kernel", U_SIZE },     { "memory", "kernelTCP", U_SIZE },
    { "memory", "limit", U_SIZE },      { "memory", "reservation", U_SIZE },
    { "memory", "swap", U_SIZE },       { "pids", "limit", U_INT },
    { NULL, NULL, U_REFUSED },          { NULL, NULL, U_REFUSED },
  };
  for (size_t i = 0; i < 16; i++)
    {
      const char *v = cli->o.update_values[i];
      if (v == NULL)
        continue;
      const char *flag = kago_update_flag_names[i];
      int64_t n = 0;
      switch (map[i].kind)
        {
        case U_REFUSED:
          return kago_error_set (err, 0, "--%s: Intel RDT is not supported by kago", flag);
        case U_STRING:
          json_object_set (obj_at (res, map[i].section), map[i].key, json_string_new (v));
          continue;
        case U_SIZE:
          if (parse_size (flag, v, &n, err) < 0)
            return -1;
          break;
        case U_INT:
        default:
          if (parse_int (flag, v, &n, err) < 0)
            return -1;
          break;
        }
      json_object_set (obj_at (res, map[i].section), map[i].key, json_int_new (n));
    }
  return 0;
}

int
kago_cmd_update (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  const struct kago_cli *cli = ctx->cli;
  json_value *res = NULL;
  if (cli->o.resources)
    {
      if (strcmp (cli->o.resources, "-") == 0)
        {
          cleanup_free char *text = NULL;
          size_t len;
          if (read_all_fd (0, &text, &len, err) < 0)
            return kago_error_wrap (err, "--resources -");
          res = json_parse (text, len, err);
        }
      else
        res = json_parse_file (cli->o.resources, err);
      if (res == NULL)
        return kago_error_wrap (err, "--resources");
      if (res->type != JSON_OBJECT)
        {
          json_free (res);
          return kago_error_set (err, 0, "--resources: expected a JSON object (linux.resources)");
        }
    }
  else
    res = json_object_new ();
  int r = apply_update_flags (cli, res, err);
  if (r == 0)
    r = kago_container_update (&ctx->rt, cli->args[0], res, err);
  json_free (res);
  return r;
}

int
kago_cmd_checkpoint (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  return kago_error_set (err, 0,
                         "\"%s\" is not supported: kago-runtime does not implement checkpoint/restore "
                         "(CRIU does not work on this kernel)",
                         kago_verb_name (ctx->cli->verb));
}
