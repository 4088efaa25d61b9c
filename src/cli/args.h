/* The OCI face's command line (runc's interface), parsed without side effects.
 *
 *   kago-runtime [global flags] VERB [verb flags] ARGS...
 *
 * Flags follow Go's flag package as urfave/cli uses it in runc: "-name" and
 * "--name" are the same flag, short aliases too ("-b", "--b"); values are given
 * as "--name value" or "--name=value"; boolean flags take no separate value but
 * accept "--name=true|false"; "--" ends the flags.  Global flags come before
 * the verb.  For most verbs, flags may also follow positional arguments (as
 * urfave/cli v1 reorders them); for exec and ps, flags stop at the container id
 * so that the command (or ps options) can carry its own flags.
 */
#ifndef KAGO_CLI_ARGS_H
#define KAGO_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

enum kago_verb
{
  KAGO_VERB_NONE = 0,
  KAGO_VERB_CREATE,
  KAGO_VERB_START,
  KAGO_VERB_RUN,
  KAGO_VERB_STATE,
  KAGO_VERB_KILL,
  KAGO_VERB_DELETE,
  KAGO_VERB_EXEC,
  KAGO_VERB_PS,
  KAGO_VERB_LIST,
  KAGO_VERB_PAUSE,
  KAGO_VERB_RESUME,
  KAGO_VERB_SPEC,
  KAGO_VERB_FEATURES,
  KAGO_VERB_EVENTS,
  KAGO_VERB_UPDATE,
  KAGO_VERB_CHECKPOINT,
  KAGO_VERB_RESTORE,
  KAGO_VERB_HELP,
};

/* A growable NULL-terminated vector of borrowed strings (pointers into argv). */
struct kago_cli_strv
{
  const char **v; /* NULL-terminated, or NULL when empty */
  size_t n;
};

struct kago_global_opts
{
  const char *root; /* default KAGO_DEFAULT_STATE_ROOT */
  bool root_set;
  const char *log;
  const char *log_format; /* "text" (default) or "json" */
  bool log_json;
  bool debug;
  bool systemd_cgroup;
  bool version;
  bool help;
  const char *criu;     /* accepted, ignored */
  const char *rootless; /* accepted, ignored: true|false|auto */
};

/* Every verb's flags in one struct: a verb only sets its own.  */
struct kago_verb_opts
{
  bool help;
  /* create, run (and restore) */
  const char *bundle;
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool detach;       /* run -d, exec -d */
  bool keep;         /* run --keep: accepted */
  bool no_subreaper; /* run --no-subreaper: accepted */
  /* spec */
  bool rootless;
  /* kill */
  bool all;
  /* delete */
  bool force;
  /* exec */
  const char *process;
  bool tty;
  struct kago_cli_strv env;
  const char *cwd;
  const char *user;
  struct kago_cli_strv additional_gids;
  struct kago_cli_strv caps;
  bool no_new_privs;
  const char *apparmor;
  const char *process_label;
  const char *pidfd_socket;
  struct kago_cli_strv cgroup;
  bool ignore_paused;
  /* ps, list */
  const char *format; /* "table" (default) or "json" */
  bool quiet;
  /* events */
  const char *interval;
  bool stats;
  /* update: --resources FILE|- and the single-value flags, kept as text */
  const char *resources;
  const char *update_values[16];
};

/* Indexes into update_values, in the order of kago_update_flag_names.  */
extern const char *const kago_update_flag_names[16];

struct kago_cli
{
  struct kago_global_opts g;
  enum kago_verb verb;
  const char *verb_name; /* as given */
  struct kago_verb_opts o;
  const char **args; /* positional arguments after the verb (borrowed), NULL-terminated */
  int nargs;
};

/* Parse argv (argv[0] is the program name and is skipped).  Strings point into
   argv.  On a usage error, returns -1 with *err set; cli->verb tells which verb's
   usage to show (KAGO_VERB_NONE: the global one).  With --help/--version or no
   verb, returns 0 and leaves the decision to the caller.  Release with
   kago_cli_free.  */
int kago_cli_parse (int argc, char **argv, struct kago_cli *cli, kago_error_t *err);
void kago_cli_free (struct kago_cli *cli);

/* Usage text for a verb (KAGO_VERB_NONE: the global usage).  PROG is the
   program name shown ("kago-runtime").  Caller frees.  */
char *kago_cli_usage (enum kago_verb verb, const char *prog);
const char *kago_verb_name (enum kago_verb verb);

/* "1000" -> uid 1000; "1000:100" -> uid and gid.  Numeric only.  */
int kago_cli_parse_user (const char *s, uid_t *uid, bool *has_gid, gid_t *gid, kago_error_t *err);
/* A decimal (or 0x hex) non-negative number fitting 32 bits, as a gid.  */
int kago_cli_parse_id (const char *s, const char *what, unsigned int *out, kago_error_t *err);

#endif
