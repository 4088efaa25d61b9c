/* The OCI face's verbs (runc's commands).  Each verb takes the parsed command
   line and the runtime context; it returns the process exit status (>= 0), or
   -1 with *err set: dispatch reports the error (stderr and the --log file) and
   exits with ctx->error_status (1, as runc; exec failures 255, as runc).  */
#ifndef KAGO_CLI_RUNTIME_VERBS_H
#define KAGO_CLI_RUNTIME_VERBS_H

#include "cli/args.h"
#include "common/error.h"
#include "runtime/runtime.h"

struct kago_cmd_ctx
{
  const char *prog; /* "kago-runtime" */
  const struct kago_cli *cli;
  struct kago_runtime rt;
  int error_status; /* exit status when the verb fails */
};

/* Run the OCI face on ARGV (argv[0] is the program name).  Returns the exit
   status; prints usage, errors and output.  */
int kago_runtime_main (const char *prog, int argc, char **argv);

/* verbs_lifecycle.c */
int kago_cmd_create (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_start (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_run (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_kill (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_delete (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_pause (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_resume (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_update (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_checkpoint (struct kago_cmd_ctx *ctx, kago_error_t *err);

/* verbs_info.c */
int kago_cmd_state (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_list (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_ps (struct kago_cmd_ctx *ctx, kago_error_t *err);
int kago_cmd_features (struct kago_cmd_ctx *ctx, kago_error_t *err);

/* verbs_events.c */
int kago_cmd_events (struct kago_cmd_ctx *ctx, kago_error_t *err);

/* verbs_exec.c */
int kago_cmd_exec (struct kago_cmd_ctx *ctx, kago_error_t *err);

/* verbs_spec.c */
int kago_cmd_spec (struct kago_cmd_ctx *ctx, kago_error_t *err);

/* Print the version lines (dispatch.c).  */
void kago_print_version (const char *prog);

#endif
