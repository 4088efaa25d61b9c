/* The OCI face's argument parser: global flags, the verb, its flags and
   arguments, into plain structs (see args.h).  No I/O, no exit.  */
#include "cli/args.h"

#include "common/strbuf.h"
#include "common/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_ROOT "/run/kago-runtime"

enum flag_kind
{
  F_BOOL,
  F_STRING,
  F_INT,
  F_STRV,
};

struct flag_def
{
  const char *name;  /* long name, used with one or two dashes */
  const char *alias; /* short alias ("b"), or NULL */
  enum flag_kind kind;
  size_t off;          /* into kago_global_opts or kago_verb_opts */
  const char *metavar; /* for usage: "value" */
  const char *help;
};

#define G(field) offsetof (struct kago_global_opts, field)
#define V(field) offsetof (struct kago_verb_opts, field)

static const struct flag_def global_flags[] = {
  { "debug", NULL, F_BOOL, G (debug), NULL, "enable debug logging" },
  { "log", NULL, F_STRING, G (log), "value",
    "set the log file to write kago-runtime logs to (default is '/dev/stderr')" },
  { "log-format", NULL, F_STRING, G (log_format), "value",
    "set the log format ('text' (default), or 'json')" },
  { "root", NULL, F_STRING, G (root), "value",
    "root directory for storage of container state (this should be located in tmpfs) (default: "
    "\"" DEFAULT_ROOT "\")" },
  { "criu", NULL, F_STRING, G (criu), "value",
    "accepted for runc compatibility; checkpointing is not supported" },
  { "systemd-cgroup", NULL, F_BOOL, G (systemd_cgroup), NULL,
    "enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\"" },
  { "rootless", NULL, F_STRING, G (rootless), "value",
    "ignore cgroup permission errors ('true', 'false', or 'auto') (accepted for runc compatibility)" },
  { "help", "h", F_BOOL, G (help), NULL, "show help" },
  { "version", "v", F_BOOL, G (version), NULL, "print the version" },
};

#define HELP_FLAG                                                                                            \
  {                                                                                                          \
    "help", "h", F_BOOL, V (help), NULL, "show help"                                                         \
  }

#define CREATE_FLAGS                                                                                         \
  { "bundle",   "b",     F_STRING,                                                                           \
    V (bundle), "value", "path to the root of the bundle directory, defaults to the current directory" },    \
      { "console-socket",                                                                                    \
        NULL,                                                                                                \
        F_STRING,                                                                                            \
        V (console_socket),                                                                                  \
        "value",                                                                                             \
        "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the "  \
        "console's pseudoterminal" },                                                                        \
      { "pid-file", NULL, F_STRING, V (pid_file), "value", "specify the file to write the process id to" },  \
      { "no-pivot",                                                                                          \
        NULL,                                                                                                \
        F_BOOL,                                                                                              \
        V (no_pivot),                                                                                        \
        NULL,                                                                                                \
        "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is "  \
        "on top of a ramdisk" },                                                                             \
      { "no-new-keyring",                                                                                    \
        NULL,                                                                                                \
        F_BOOL,                                                                                              \
        V (no_new_keyring),                                                                                  \
        NULL,                                                                                                \
        "do not create a new session keyring for the container.  This will cause the container to inherit "  \
        "the calling processes session key" },                                                               \
  {                                                                                                          \
    "preserve-fds", NULL, F_INT, V (preserve_fds), "value",                                                  \
        "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)"             \
  }

static const struct flag_def create_flags[] = { CREATE_FLAGS, HELP_FLAG };

static const struct flag_def run_flags[] = {
  CREATE_FLAGS,
  { "detach", "d", F_BOOL, V (detach), NULL, "detach from the container's process" },
  { "keep", NULL, F_BOOL, V (keep), NULL, "do not delete the container after it exits" },
  { "no-subreaper", NULL, F_BOOL, V (no_subreaper), NULL, "accepted for runc compatibility" },
  HELP_FLAG,
};

static const struct flag_def help_only_flags[] = { HELP_FLAG };

static const struct flag_def kill_flags[] = {
  { "all", "a", F_BOOL, V (all), NULL, "send the specified signal to all processes inside the container" },
  HELP_FLAG,
};

static const struct flag_def delete_flags[] = {
  { "force", "f", F_BOOL, V (force), NULL,
    "Forcibly deletes the container if it is still running (uses SIGKILL)" },
  HELP_FLAG,
};

static const struct flag_def exec_flags[] = {
  { "console-socket", NULL, F_STRING, V (console_socket), "value",
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the "
    "console's "
    "pseudoterminal" },
  { "pidfd-socket", NULL, F_STRING, V (pidfd_socket), "value",
    "accepted for runc compatibility (not supported)" },
  { "cwd", NULL, F_STRING, V (cwd), "value", "current working directory in the container" },
  { "env", "e", F_STRV, V (env), "value", "set environment variables (repeatable)" },
  { "tty", "t", F_BOOL, V (tty), NULL, "allocate a pseudo-TTY" },
  { "user", "u", F_STRING, V (user), "value", "UID (format: <uid>[:<gid>])" },
  { "additional-gids", "g", F_STRV, V (additional_gids), "value", "additional gids (repeatable)" },
  { "process", "p", F_STRING, V (process), "value", "path to the process.json" },
  { "detach", "d", F_BOOL, V (detach), NULL, "detach from the container's process" },
  { "pid-file", NULL, F_STRING, V (pid_file), "value", "specify the file to write the process id to" },
  { "process-label", NULL, F_STRING, V (process_label), "value",
    "set the asm process label for the process commonly used with selinux" },
  { "apparmor", NULL, F_STRING, V (apparmor), "value", "set the apparmor profile for the process" },
  { "no-new-privs", NULL, F_BOOL, V (no_new_privs), NULL, "set the no new privileges value for the process" },
  { "cap", "c", F_STRV, V (caps), "value",
    "add a capability to the bounding set for the process (repeatable)" },
  { "preserve-fds", NULL, F_INT, V (preserve_fds), "value",
    "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)" },
  { "cgroup", NULL, F_STRV, V (cgroup), "value", "accepted for runc compatibility (not supported yet)" },
  { "ignore-paused", NULL, F_BOOL, V (ignore_paused), NULL, "accepted for runc compatibility" },
  HELP_FLAG,
};

static const struct flag_def format_flags[] = {
  { "format", "f", F_STRING, V (format), "value", "select one of: table or json (default: \"table\")" },
  HELP_FLAG,
};

static const struct flag_def list_flags[] = {
  { "format", "f", F_STRING, V (format), "value", "select one of: table or json (default: \"table\")" },
  { "quiet", "q", F_BOOL, V (quiet), NULL, "display only container IDs" },
  HELP_FLAG,
};

static const struct flag_def spec_flags[] = {
  { "bundle", "b", F_STRING, V (bundle), "value", "path to the root of the bundle directory" },
  { "rootless", NULL, F_BOOL, V (rootless), NULL, "generate a configuration for a rootless container" },
  HELP_FLAG,
};

static const struct flag_def events_flags[] = {
  { "interval", NULL, F_STRING, V (interval), "value", "set the stats collection interval (default: 5s)" },
  { "stats", NULL, F_BOOL, V (stats), NULL, "display the container's stats then exit" },
  HELP_FLAG,
};

const char *const kago_update_flag_names[16] = {
  "blkio-weight",  "cpu-period",        "cpu-quota",       "cpu-share",
  "cpu-rt-period", "cpu-rt-runtime",    "cpuset-cpus",     "cpuset-mems",
  "kernel-memory", "kernel-memory-tcp", "memory",          "memory-reservation",
  "memory-swap",   "pids-limit",        "l3-cache-schema", "mem-bw-schema",
};

static const struct flag_def update_flags[] = {
  { "resources", "r", F_STRING, V (resources), "value",
    "path to the file containing the resources to update or '-' to read from the standard input" },
  { "blkio-weight", NULL, F_STRING, V (update_values[0]), "value",
    "Specifies per cgroup weight, range is from 10 to 1000" },
  { "cpu-period", NULL, F_STRING, V (update_values[1]), "value",
    "CPU CFS period to be used for hardcapping (in usecs)" },
  { "cpu-quota", NULL, F_STRING, V (update_values[2]), "value", "CPU CFS hardcap limit (in usecs)" },
  { "cpu-share", NULL, F_STRING, V (update_values[3]), "value",
    "CPU shares (relative weight vs. other containers)" },
  { "cpu-rt-period", NULL, F_STRING, V (update_values[4]), "value",
    "CPU realtime period to be used for hardcapping (in usecs)" },
  { "cpu-rt-runtime", NULL, F_STRING, V (update_values[5]), "value",
    "CPU realtime hardcap limit (in usecs)" },
  { "cpuset-cpus", NULL, F_STRING, V (update_values[6]), "value", "CPU(s) to use" },
  { "cpuset-mems", NULL, F_STRING, V (update_values[7]), "value", "Memory node(s) to use" },
  { "kernel-memory", NULL, F_STRING, V (update_values[8]), "value", "(obsoleted; do not use)" },
  { "kernel-memory-tcp", NULL, F_STRING, V (update_values[9]), "value", "(obsoleted; do not use)" },
  { "memory", NULL, F_STRING, V (update_values[10]), "value", "Memory limit (in bytes)" },
  { "memory-reservation", NULL, F_STRING, V (update_values[11]), "value",
    "Memory reservation or soft_limit (in bytes)" },
  { "memory-swap", NULL, F_STRING, V (update_values[12]), "value",
    "Total memory usage (memory + swap); set '-1' to enable unlimited swap" },
  { "pids-limit", NULL, F_STRING, V (update_values[13]), "value",
    "Maximum number of pids allowed in the container" },
  { "l3-cache-schema", NULL, F_STRING, V (update_values[14]), "value",
    "The string of Intel RDT/CAT L3 cache schema" },
  { "mem-bw-schema", NULL, F_STRING, V (update_values[15]), "value",
    "The string of Intel RDT/MBA memory bandwidth schema" },
  HELP_FLAG,
};

enum arg_check
{
  ARGS_EXACT,
  ARGS_MIN,
  ARGS_RANGE, /* min..max */
  ARGS_ANY,
};

struct verb_def
{
  enum kago_verb verb;
  const char *name;
  const char *args_usage;
  const char *summary;
  const struct flag_def *flags;
  size_t nflags;
  enum arg_check check;
  int min_args, max_args;
  bool stop_at_first_arg; /* exec, ps: flags end at the container id */
  bool skip_flags;        /* checkpoint, restore: everything is accepted (unsupported verbs) */
};

#define FLAGS(a) a, sizeof (a) / sizeof ((a)[0])

static const struct verb_def verbs[] = {
  { KAGO_VERB_CHECKPOINT, "checkpoint", "<container-id>", "checkpoint a running container (not supported)",
    FLAGS (help_only_flags), ARGS_ANY, 0, 0, false, true },
  { KAGO_VERB_CREATE, "create", "<container-id>", "create a container", FLAGS (create_flags), ARGS_EXACT, 1,
    1, false, false },
  { KAGO_VERB_DELETE, "delete", "<container-id>",
    "delete any resources held by the container often used with detached container", FLAGS (delete_flags),
    ARGS_EXACT, 1, 1, false, false },
  { KAGO_VERB_EVENTS, "events", "<container-id>",
    "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
    FLAGS (events_flags), ARGS_EXACT, 1, 1, false, false },
  { KAGO_VERB_EXEC, "exec", "<container-id> <command> [command options]  || -p process.json <container-id>",
    "execute new process inside the container", FLAGS (exec_flags), ARGS_MIN, 1, 0, true, false },
  { KAGO_VERB_FEATURES, "features", "", "show the enabled features", FLAGS (help_only_flags), ARGS_EXACT, 0,
    0, false, false },
  { KAGO_VERB_KILL, "kill", "<container-id> [signal]",
    "kill sends the specified signal (default: SIGTERM) to the container's init process", FLAGS (kill_flags),
    ARGS_RANGE, 1, 2, false, false },
  { KAGO_VERB_LIST, "list", "", "lists containers started by kago-runtime with the given root",
    FLAGS (list_flags), ARGS_EXACT, 0, 0, false, false },
  { KAGO_VERB_PAUSE, "pause", "<container-id>", "pause suspends all processes inside the container",
    FLAGS (help_only_flags), ARGS_EXACT, 1, 1, false, false },
  { KAGO_VERB_PS, "ps", "<container-id> [ps options]", "ps displays the processes running inside a container",
    FLAGS (format_flags), ARGS_MIN, 1, 0, true, false },
  { KAGO_VERB_RESTORE, "restore", "<container-id>",
    "restore a container from a previous checkpoint (not supported)", FLAGS (help_only_flags), ARGS_ANY, 0, 0,
    false, true },
  { KAGO_VERB_RESUME, "resume", "<container-id>", "resumes all processes that have been previously paused",
    FLAGS (help_only_flags), ARGS_EXACT, 1, 1, false, false },
  { KAGO_VERB_RUN, "run", "<container-id>", "create and run a container", FLAGS (run_flags), ARGS_EXACT, 1, 1,
    false, false },
  { KAGO_VERB_SPEC, "spec", "", "create a new specification file", FLAGS (spec_flags), ARGS_EXACT, 0, 0,
    false, false },
  { KAGO_VERB_START, "start", "<container-id>", "executes the user defined process in a created container",
    FLAGS (help_only_flags), ARGS_EXACT, 1, 1, false, false },
  { KAGO_VERB_STATE, "state", "<container-id>", "output the state of a container", FLAGS (help_only_flags),
    ARGS_EXACT, 1, 1, false, false },
  { KAGO_VERB_UPDATE, "update", "<container-id>", "update container resource constraints",
    FLAGS (update_flags), ARGS_EXACT, 1, 1, false, false },
  { KAGO_VERB_HELP, "help", "[command]", "Shows a list of commands or help for one command",
    FLAGS (help_only_flags), ARGS_RANGE, 0, 1, false, false },
};

static const struct verb_def *
find_verb (const char *name)
{
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp (verbs[i].name, name) == 0)
      return &verbs[i];
  /* urfave/cli alias of help */
  if (strcmp (name, "h") == 0)
    return find_verb ("help");
  return NULL;
}

static const struct verb_def *
verb_def_of (enum kago_verb v)
{
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (verbs[i].verb == v)
      return &verbs[i];
  return NULL;
}

const char *
kago_verb_name (enum kago_verb verb)
{
  const struct verb_def *d = verb_def_of (verb);
  return d ? d->name : "";
}

static void
strv_push (struct kago_cli_strv *sv, const char *s)
{
  sv->v = xrealloc (sv->v, (sv->n + 2) * sizeof *sv->v);
  sv->v[sv->n++] = s;
  sv->v[sv->n] = NULL;
}

/* Go's strconv.ParseBool.  */
static int
parse_bool (const char *s, bool *out)
{
  static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
  static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
  for (size_t i = 0; i < 6; i++)
    {
      if (strcmp (s, t[i]) == 0)
        {
          *out = true;
          return 0;
        }
      if (strcmp (s, f[i]) == 0)
        {
          *out = false;
          return 0;
        }
    }
  return -1;
}

static const struct flag_def *
find_flag (const struct flag_def *flags, size_t n, const char *name, size_t len)
{
  for (size_t i = 0; i < n; i++)
    {
      if (strlen (flags[i].name) == len && strncmp (flags[i].name, name, len) == 0)
        return &flags[i];
      if (flags[i].alias && strlen (flags[i].alias) == len && strncmp (flags[i].alias, name, len) == 0)
        return &flags[i];
    }
  return NULL;
}

/* Parse the flag at argv[*i] (which starts with '-' and is not "-" or "--").
   BASE is the struct the offsets point into.  */
static int
parse_flag (int argc, char **argv, int *i, const struct flag_def *flags, size_t nflags, void *base,
            const char *verb_name, kago_error_t *err)
{
  const char *arg = argv[*i];
  const char *name = arg + 1;
  if (*name == '-')
    name++;
  if (*name == '-' || *name == '=' || *name == '\0')
    return kago_error_set (err, 0, "bad flag syntax: %s", arg);
  const char *eq = strchr (name, '=');
  size_t len = eq ? (size_t) (eq - name) : strlen (name);
  const struct flag_def *f = find_flag (flags, nflags, name, len);
  if (f == NULL)
    {
      int shown = (int) (eq ? (size_t) (eq - arg) : strlen (arg));
      if (verb_name)
        return kago_error_set (err, 0, "unknown flag \"%.*s\" for \"%s\"", shown, arg, verb_name);
      return kago_error_set (err, 0, "unknown global flag \"%.*s\" (global flags go before the command)",
                             shown, arg);
    }
  char *field = (char *) base + f->off;
  const char *value = eq ? eq + 1 : NULL;
  if (f->kind == F_BOOL)
    {
      bool b = true;
      if (value && parse_bool (value, &b) < 0)
        return kago_error_set (err, 0, "invalid boolean value \"%s\" for flag --%s", value, f->name);
      *(bool *) field = b;
      return 0;
    }
  if (value == NULL)
    {
      if (*i + 1 >= argc)
        return kago_error_set (err, 0, "flag needs an argument: --%s", f->name);
      value = argv[++*i];
    }
  switch (f->kind)
    {
    case F_STRING:
      *(const char **) field = value;
      return 0;
    case F_STRV:
      strv_push ((struct kago_cli_strv *) field, value);
      return 0;
    case F_INT:
      {
        char *end;
        errno = 0;
        long l = strtol (value, &end, 0);
        if (errno || *value == '\0' || *end != '\0' || l < INT_MIN || l > INT_MAX)
          return kago_error_set (err, 0, "invalid value \"%s\" for flag --%s: not an integer", value,
                                 f->name);
        *(int *) field = (int) l;
        return 0;
      }
    case F_BOOL:
    default:
      return kago_error_set (err, 0, "internal error: flag --%s", f->name);
    }
}

static bool
is_flag_arg (const char *a)
{
  return a[0] == '-' && a[1] != '\0';
}

static int
check_choice (const char *flag, const char *value, const char *const *allowed, const char *allowed_text,
              kago_error_t *err)
{
  for (size_t i = 0; allowed[i]; i++)
    if (strcmp (value, allowed[i]) == 0)
      return 0;
  return kago_error_set (err, 0, "invalid value \"%s\" for flag --%s: allowed values are %s", value, flag,
                         allowed_text);
}

static int
check_args (const struct verb_def *d, int n, kago_error_t *err)
{
  switch (d->check)
    {
    case ARGS_EXACT:
      if (n != d->min_args)
        return kago_error_set (err, 0, "\"%s\" requires exactly %d argument(s)", d->name, d->min_args);
      return 0;
    case ARGS_MIN:
      if (n < d->min_args)
        return kago_error_set (err, 0, "\"%s\" requires a minimum of %d argument(s)", d->name, d->min_args);
      return 0;
    case ARGS_RANGE:
      if (n < d->min_args)
        return kago_error_set (err, 0, "\"%s\" requires a minimum of %d argument(s)", d->name, d->min_args);
      if (n > d->max_args)
        return kago_error_set (err, 0, "\"%s\" requires a maximum of %d argument(s)", d->name, d->max_args);
      return 0;
    case ARGS_ANY:
    default:
      return 0;
    }
}

static void
push_arg (struct kago_cli *cli, const char *a)
{
  cli->args = xrealloc (cli->args, (cli->nargs + 2) * sizeof *cli->args);
  cli->args[cli->nargs++] = a;
  cli->args[cli->nargs] = NULL;
}

int
kago_cli_parse (int argc, char **argv, struct kago_cli *cli, kago_error_t *err)
{
  memset (cli, 0, sizeof *cli);
  cli->args = xzalloc (sizeof *cli->args);
  int i = 1;

  /* Global flags, up to the verb.  */
  for (; i < argc; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--") == 0)
        {
          i++;
          break;
        }
      if (!is_flag_arg (a))
        break;
      if (parse_flag (argc, argv, &i, global_flags, sizeof global_flags / sizeof global_flags[0], &cli->g,
                      NULL, err)
          < 0)
        return -1;
    }

  cli->g.root_set = cli->g.root != NULL;
  if (cli->g.root == NULL)
    cli->g.root = DEFAULT_ROOT;
  if (cli->g.root[0] == '\0')
    return kago_error_set (err, 0, "invalid value \"\" for flag --root: must not be empty");
  if (cli->g.log_format == NULL)
    cli->g.log_format = "text";
  static const char *const log_formats[] = { "text", "json", NULL };
  if (check_choice ("log-format", cli->g.log_format, log_formats, "\"text\" and \"json\"", err) < 0)
    return -1;
  cli->g.log_json = strcmp (cli->g.log_format, "json") == 0;
  if (cli->g.rootless)
    {
      static const char *const rl[] = { "true", "false", "auto", NULL };
      if (check_choice ("rootless", cli->g.rootless, rl, "\"true\", \"false\" and \"auto\"", err) < 0)
        return -1;
    }

  if (i >= argc)
    return 0; /* no verb: the caller shows usage (or the version) */

  cli->verb_name = argv[i];
  const struct verb_def *d = find_verb (argv[i]);
  if (d == NULL)
    return kago_error_set (err, 0, "unknown command \"%s\"", argv[i]);
  cli->verb = d->verb;
  i++;

  if (d->skip_flags)
    {
      for (; i < argc; i++)
        {
          if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
            cli->o.help = true;
          else
            push_arg (cli, argv[i]);
        }
      return 0;
    }

  for (; i < argc; i++)
    {
      const char *a = argv[i];
      if (d->stop_at_first_arg && cli->nargs >= 1)
        {
          /* "exec ID -- CMD...": the separator is not part of the command. */
          if (!(cli->nargs == 1 && d->verb == KAGO_VERB_EXEC && strcmp (a, "--") == 0))
            push_arg (cli, a);
          continue;
        }
      if (strcmp (a, "--") == 0)
        {
          for (i++; i < argc; i++)
            push_arg (cli, argv[i]);
          break;
        }
      if (!is_flag_arg (a))
        {
          push_arg (cli, a);
          continue;
        }
      if (parse_flag (argc, argv, &i, d->flags, d->nflags, &cli->o, d->name, err) < 0)
        return -1;
    }

  if (cli->o.help)
    return 0;

  if (d->verb == KAGO_VERB_PS || d->verb == KAGO_VERB_LIST)
    {
      static const char *const formats[] = { "table", "json", NULL };
      if (cli->o.format == NULL)
        cli->o.format = "table";
      if (check_choice ("format", cli->o.format, formats, "\"table\" and \"json\"", err) < 0)
        return -1;
    }
  if (cli->o.preserve_fds < 0)
    return kago_error_set (err, 0, "invalid value \"%d\" for flag --preserve-fds: must not be negative",
                           cli->o.preserve_fds);

  return check_args (d, cli->nargs, err);
}

void
kago_cli_free (struct kago_cli *cli)
{
  free (cli->args);
  free (cli->o.env.v);
  free (cli->o.additional_gids.v);
  free (cli->o.caps.v);
  free (cli->o.cgroup.v);
  memset (cli, 0, sizeof *cli);
}

static void
usage_flags (strbuf *sb, const struct flag_def *flags, size_t n)
{
  size_t width = 0;
  char **lefts = xcalloc (n, sizeof *lefts);
  for (size_t i = 0; i < n; i++)
    {
      const struct flag_def *f = &flags[i];
      const char *mv = f->kind == F_BOOL ? "" : " value";
      if (f->alias)
        lefts[i] = xasprintf ("--%s%s, -%s%s", f->name, mv, f->alias, mv);
      else
        lefts[i] = xasprintf ("--%s%s", f->name, mv);
      if (strlen (lefts[i]) > width)
        width = strlen (lefts[i]);
    }
  for (size_t i = 0; i < n; i++)
    {
      strbuf_addf (sb, "   %-*s  %s\n", (int) width, lefts[i], flags[i].help);
      free (lefts[i]);
    }
  free (lefts);
}

char *
kago_cli_usage (enum kago_verb verb, const char *prog)
{
  strbuf sb = STRBUF_INIT;
  const struct verb_def *d = verb_def_of (verb);
  if (d == NULL)
    {
      strbuf_addf (
          &sb,
          "%s - Open Container Initiative runtime (kago)\n\n"
          "kago-runtime is a command line client for running applications packaged according to the\n"
          "Open Container Initiative (OCI) format; its command line is runc's.\n\n"
          "Usage: %s [global options] command [command options] [arguments...]\n\nCommands:\n",
          prog, prog);
      for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        strbuf_addf (&sb, "   %-11s %s\n", verbs[i].name, verbs[i].summary);
      strbuf_adds (&sb, "\nGlobal options:\n");
      usage_flags (&sb, global_flags, sizeof global_flags / sizeof global_flags[0]);
      return strbuf_detach (&sb);
    }
  strbuf_addf (&sb, "Usage: %s %s [command options] %s\n\n%s\n", prog, d->name, d->args_usage, d->summary);
  if (d->verb == KAGO_VERB_KILL)
    strbuf_adds (&sb, "\nThe signal is a name (KILL, SIGKILL) or a number (9); the default is SIGTERM.\n");
  else if (d->verb == KAGO_VERB_PS)
    strbuf_adds (
        &sb,
        "\nWith ps options after the id, ps(1) is run with them and only the container's rows are kept.\n");
  strbuf_adds (&sb, "\nOptions:\n");
  usage_flags (&sb, d->flags, d->nflags);
  return strbuf_detach (&sb);
}

int
kago_cli_parse_id (const char *s, const char *what, unsigned int *out, kago_error_t *err)
{
  char *end;
  if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
    return kago_error_set (err, 0, "invalid %s \"%s\": not a non-negative number", what, s ? s : "");
  errno = 0;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno || *end != '\0' || v >= UINT32_MAX)
    return kago_error_set (err, 0, "invalid %s \"%s\": not a non-negative number", what, s);
  *out = (unsigned int) v;
  return 0;
}

int
kago_cli_parse_user (const char *s, uid_t *uid, bool *has_gid, gid_t *gid, kago_error_t *err)
{
  const char *colon = strchr (s, ':');
  unsigned int u, g;
  *has_gid = false;
  if (colon == NULL)
    {
      if (kago_cli_parse_id (s, "user", &u, NULL) < 0)
        return kago_error_set (err, 0, "invalid --user \"%s\": expected <uid>[:<gid>] with numeric ids", s);
      *uid = u;
      return 0;
    }
  char *us = xstrndup (s, (size_t) (colon - s));
  int r = kago_cli_parse_id (us, "user", &u, NULL);
  free (us);
  if (r < 0 || kago_cli_parse_id (colon + 1, "group", &g, NULL) < 0)
    return kago_error_set (err, 0, "invalid --user \"%s\": expected <uid>[:<gid>] with numeric ids", s);
  *uid = u;
  *gid = g;
  *has_gid = true;
  return 0;
}
