/* The OCI face: parse runc's command line, set up logging, run one verb.  */
#include "common/phase.h"
#include "cli/runtime/verbs.h"

#include "cli/kago_commit.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "oci/spec.h"
#include "runtime/core.h"

#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KAGO_VERSION
#define KAGO_VERSION "0.0.0"
#endif

void
kago_print_version (const char *prog)
{
  printf ("%s version %s\n", prog, KAGO_VERSION);
  printf ("commit: %s\n", KAGO_GIT_COMMIT);
  printf ("spec: %s\n", KAGO_OCI_VERSION);
  const struct scmp_version *v = seccomp_version ();
  if (v)
    printf ("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
}

typedef int (*verb_fn) (struct kago_cmd_ctx *ctx, kago_error_t *err);

static verb_fn
verb_handler (enum kago_verb v)
{
  switch (v)
    {
    case KAGO_VERB_CREATE:
      return kago_cmd_create;
    case KAGO_VERB_START:
      return kago_cmd_start;
    case KAGO_VERB_RUN:
      return kago_cmd_run;
    case KAGO_VERB_STATE:
      return kago_cmd_state;
    case KAGO_VERB_KILL:
      return kago_cmd_kill;
    case KAGO_VERB_DELETE:
      return kago_cmd_delete;
    case KAGO_VERB_EXEC:
      return kago_cmd_exec;
    case KAGO_VERB_PS:
      return kago_cmd_ps;
    case KAGO_VERB_LIST:
      return kago_cmd_list;
    case KAGO_VERB_PAUSE:
      return kago_cmd_pause;
    case KAGO_VERB_RESUME:
      return kago_cmd_resume;
    case KAGO_VERB_SPEC:
      return kago_cmd_spec;
    case KAGO_VERB_FEATURES:
      return kago_cmd_features;
    case KAGO_VERB_EVENTS:
      return kago_cmd_events;
    case KAGO_VERB_UPDATE:
      return kago_cmd_update;
    case KAGO_VERB_CHECKPOINT:
    case KAGO_VERB_RESTORE:
      return kago_cmd_checkpoint;
    case KAGO_VERB_HELP:
    case KAGO_VERB_NONE:
    default:
      return NULL;
    }
}

static void
print_usage (FILE *out, enum kago_verb verb, const char *usage_prog)
{
  char *u = kago_cli_usage (verb, usage_prog);
  fputs (u, out);
  free (u);
}

/* `help [command]`.  */
static int
do_help (const struct kago_cli *cli, const char *prog, const char *usage_prog)
{
  if (cli->nargs == 0)
    {
      print_usage (stdout, KAGO_VERB_NONE, usage_prog);
      return 0;
    }
  const char *name = cli->args[0];
  for (int v = KAGO_VERB_CREATE; v <= KAGO_VERB_HELP; v++)
    if (strcmp (kago_verb_name ((enum kago_verb) v), name) == 0)
      {
        print_usage (stdout, (enum kago_verb) v, usage_prog);
        return 0;
      }
  fprintf (stderr, "%s: no help topic for \"%s\"\n", prog, name);
  return 1;
}

int
kago_runtime_main (const char *usage_prog, int argc, char **argv)
{
  const char *prog = "kago-runtime";
  struct kago_cli cli;
  kago_error_t err = NULL;
  int status;

  if (kago_cli_parse (argc, argv, &cli, &err) < 0)
    {
      /* Once the global flags are good, the error also goes to --log (docker
         and ctr show the user the last line of that file).  */
      struct kago_log_config lc
          = { .file = cli.g.log, .json = cli.g.log_json, .debug = cli.g.debug, .stderr_too = 1 };
      kago_error_t lerr = NULL;
      if (cli.verb != KAGO_VERB_NONE && kago_log_init (&lc, &lerr) == 0)
        kago_log_report_error (prog, err);
      else
        {
          char *m = kago_error_string (err);
          fprintf (stderr, "%s: %s\n", prog, m);
          free (m);
        }
      kago_error_release (&lerr);
      fprintf (stderr, "Incorrect Usage.\n\n");
      print_usage (stderr, cli.verb, usage_prog);
      kago_error_release (&err);
      kago_cli_free (&cli);
      return 1;
    }

  if (cli.g.version)
    {
      kago_print_version (prog);
      kago_cli_free (&cli);
      return 0;
    }
  if (cli.verb == KAGO_VERB_NONE || cli.g.help)
    {
      print_usage (stdout, KAGO_VERB_NONE, usage_prog);
      kago_cli_free (&cli);
      return 0;
    }
  if (cli.o.help)
    {
      print_usage (stdout, cli.verb, usage_prog);
      kago_cli_free (&cli);
      return 0;
    }
  if (cli.verb == KAGO_VERB_HELP)
    {
      status = do_help (&cli, prog, usage_prog);
      kago_cli_free (&cli);
      return status;
    }

  struct kago_log_config lc
      = { .file = cli.g.log, .json = cli.g.log_json, .debug = cli.g.debug, .stderr_too = 1 };
  if (kago_log_init (&lc, &err) < 0)
    {
      char *m = kago_error_string (err);
      fprintf (stderr, "%s: %s\n", prog, m);
      free (m);
      kago_error_release (&err);
      kago_cli_free (&cli);
      return 1;
    }

  /* CVE-2019-5736: the verbs that put a process into a container run from a
     sealed copy of the executable (a cheap check when already sealed).  */
  if (cli.verb == KAGO_VERB_CREATE || cli.verb == KAGO_VERB_RUN || cli.verb == KAGO_VERB_EXEC)
    {
      char **nargv = xcalloc ((size_t) argc + 1, sizeof *nargv);
      nargv[0] = (char *) "kago-runtime";
      for (int i = 1; i < argc; i++)
        nargv[i] = argv[i];
      if (kago_selfexe_ensure_sealed (nargv, &err) < 0)
        {
          kago_log_report_error (prog, err);
          kago_error_release (&err);
          free (nargv);
          kago_cli_free (&cli);
          return 1;
        }
      free (nargv);
    }

  struct kago_cmd_ctx ctx = {
    .prog = prog,
    .cli = &cli,
    .rt = { .root = cli.g.root, .systemd_cgroup = cli.g.systemd_cgroup, .debug = cli.g.debug },
    .error_status = 1,
  };
  kago_log_debug ("%s %s: root %s", prog, cli.verb_name, cli.g.root);

  verb_fn fn = verb_handler (cli.verb);
  status = fn ? fn (&ctx, &err)
              : kago_error_set (&err, 0, "internal error: no handler for \"%s\"", cli.verb_name);
  if (status < 0)
    {
      kago_log_report_error (prog, err);
      kago_error_release (&err);
      status = ctx.error_status;
    }
  kago_cli_free (&cli);
  fflush (stdout);
  KAGO_PHASE ("main:return");
  KAGO_PHASE_DUMP ();
  return status;
}
