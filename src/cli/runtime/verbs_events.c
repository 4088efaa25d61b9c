/* events [--stats] [--interval DURATION] ID: one JSON object per line, as
   runc prints them ({"type":"stats","id":ID,"data":{...}} and
   {"type":"oom","id":ID}).  */
#include "cli/runtime/verbs.h"

#include <errno.h>
#include <stdio.h>

#include "common/cleanup.h"
#include "common/strbuf.h"

static int
print_event (const json_value *event, void *arg, kago_error_t *err)
{
  (void) arg;
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  json_serialize (&sb, event, false);
  strbuf_addc (&sb, '\n');
  /* One line per event, flushed: a reader (a file, a pipe) sees each event
     as it happens.  */
  if (fwrite (sb.buf, 1, sb.len, stdout) != sb.len || fflush (stdout) != 0)
    return kago_error_set (err, errno, "write an event to stdout");
  return 0;
}

int
kago_cmd_events (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  const struct kago_cli *cli = ctx->cli;
  struct kago_events_options o = { .stats_only = cli->o.stats, .interval_ns = 5000000000LL };
  if (cli->o.interval)
    {
      if (kago_parse_duration (cli->o.interval, &o.interval_ns, err) < 0)
        return kago_error_wrap (err, "--interval");
      if (o.interval_ns <= 0)
        return kago_error_set (err, 0, "--interval: the interval must be greater than 0 (got \"%s\")",
                               cli->o.interval);
    }
  if (kago_container_events (&ctx->rt, cli->args[0], &o, print_event, NULL, err) < 0)
    return -1;
  return 0;
}
