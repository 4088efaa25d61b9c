/* The OCI face's argument parser on every command line real clients send
   (shared/design/clients.md) and on runc's flag conventions.  */
#include "tap.h"

/* The CLI is not part of libkago: compile the parser into the test.  */
#include "cli/args.c"

#include <stdarg.h>

#define MAXARGS 64

/* Parse a NULL-terminated list of arguments (argv[0] is added).  */
static int
parse (struct kago_cli *cli, kago_error_t *err, ...)
{
  static char *argv[MAXARGS];
  int argc = 0;
  va_list ap;
  argv[argc++] = (char *) "kago-runtime";
  va_start (ap, err);
  for (const char *a; (a = va_arg (ap, const char *)) != NULL && argc < MAXARGS - 1;)
    argv[argc++] = (char *) a;
  va_end (ap);
  argv[argc] = NULL;
  return kago_cli_parse (argc, argv, cli, err);
}

static char *
errmsg (kago_error_t err)
{
  static char buf[512];
  char *m = kago_error_string (err);
  snprintf (buf, sizeof buf, "%s", m);
  free (m);
  return buf;
}

TEST (podman_create)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "--log-format=json", "--log", "/run/RD/oci-log", "create", "--bundle", "/UD",
                "--pid-file", "/run/RD/pidfile", "--console-socket", "/tmp/conmon-term.X", "ctr1", NULL)
         == 0);
  CHECK (err == NULL);
  CHECK (c.verb == KAGO_VERB_CREATE);
  CHECK (c.g.log_json);
  CHECK_STR (c.g.log, "/run/RD/oci-log");
  CHECK_STR (c.g.root, "/run/kago-runtime");
  CHECK (!c.g.root_set);
  CHECK_STR (c.o.bundle, "/UD");
  CHECK_STR (c.o.pid_file, "/run/RD/pidfile");
  CHECK_STR (c.o.console_socket, "/tmp/conmon-term.X");
  CHECK (c.nargs == 1);
  CHECK_STR (c.args[0], "ctr1");
  CHECK (c.args[1] == NULL);
  kago_cli_free (&c);
}

TEST (podman_start_pause_resume)
{
  static const char *const verbs_[] = { "start", "pause", "resume" };
  static const enum kago_verb ids[] = { KAGO_VERB_START, KAGO_VERB_PAUSE, KAGO_VERB_RESUME };
  for (int i = 0; i < 3; i++)
    {
      struct kago_cli c;
      kago_error_t err = NULL;
      CHECK (parse (&c, &err, verbs_[i], "abc", NULL) == 0);
      CHECK (c.verb == ids[i]);
      CHECK (c.nargs == 1 && strcmp (c.args[0], "abc") == 0);
      kago_cli_free (&c);
    }
}

TEST (podman_exec)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "--log-format=json", "--log", "/UD/EXEC/oci-log", "exec", "--pid-file",
                "/UD/EXEC/exec_pid", "--process", "/UD/EXEC/exec-process-1", "--detach", "--tty",
                "--console-socket", "/tmp/conmon-term.Y", "ctr1", NULL)
         == 0);
  CHECK (err == NULL);
  CHECK (c.verb == KAGO_VERB_EXEC);
  CHECK_STR (c.o.pid_file, "/UD/EXEC/exec_pid");
  CHECK_STR (c.o.process, "/UD/EXEC/exec-process-1");
  CHECK (c.o.detach);
  CHECK (c.o.tty);
  CHECK_STR (c.o.console_socket, "/tmp/conmon-term.Y");
  CHECK (c.nargs == 1);
  CHECK_STR (c.args[0], "ctr1");
  kago_cli_free (&c);
}

TEST (podman_update_kill_delete_version)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "update", "--resources=/var/tmp/podman1", "ctr1", NULL) == 0);
  CHECK (c.verb == KAGO_VERB_UPDATE);
  CHECK_STR (c.o.resources, "/var/tmp/podman1");
  CHECK_STR (c.args[0], "ctr1");
  kago_cli_free (&c);

  static const char *const sigs[] = { "10", "15", "9" };
  for (int i = 0; i < 3; i++)
    {
      CHECK (parse (&c, &err, "kill", "ctr1", sigs[i], NULL) == 0);
      CHECK (c.verb == KAGO_VERB_KILL);
      CHECK (!c.o.all);
      CHECK (c.nargs == 2);
      CHECK_STR (c.args[1], sigs[i]);
      kago_cli_free (&c);
    }

  CHECK (parse (&c, &err, "delete", "--force", "ctr1", NULL) == 0);
  CHECK (c.verb == KAGO_VERB_DELETE);
  CHECK (c.o.force);
  CHECK_STR (c.args[0], "ctr1");
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "--version", NULL) == 0);
  CHECK (c.g.version);
  CHECK (c.verb == KAGO_VERB_NONE);
  kago_cli_free (&c);
  CHECK (err == NULL);
}

TEST (podman_checkpoint_parses)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "checkpoint", "--image-path", "/UD/checkpoint", "--work-path", "/UD", "ctr1", NULL)
         == 0);
  CHECK (c.verb == KAGO_VERB_CHECKPOINT);
  kago_cli_free (&c);
}

TEST (docker_create_and_friends)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "--root", "/var/run/docker/runtime-runc/moby", "--log", "/B/log.json",
                "--log-format", "json", "create", "--bundle", "/B", "--pid-file", "/B/init.pid",
                "--console-socket", "/tmp/pty1/pty.sock", "abc123", NULL)
         == 0);
  CHECK (err == NULL);
  CHECK (c.verb == KAGO_VERB_CREATE);
  CHECK_STR (c.g.root, "/var/run/docker/runtime-runc/moby");
  CHECK (c.g.root_set);
  CHECK_STR (c.g.log, "/B/log.json");
  CHECK (c.g.log_json);
  CHECK_STR (c.o.bundle, "/B");
  CHECK_STR (c.o.pid_file, "/B/init.pid");
  CHECK_STR (c.o.console_socket, "/tmp/pty1/pty.sock");
  CHECK_STR (c.args[0], "abc123");
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "--root", "/R", "--log", "/B/log.json", "--log-format", "json", "exec", "--process",
                "/tmp/runc-process1", "--console-socket", "/tmp/s.sock", "--detach", "--pid-file",
                "/B/EXEC.pid", "abc123", NULL)
         == 0);
  CHECK (c.verb == KAGO_VERB_EXEC);
  CHECK_STR (c.o.process, "/tmp/runc-process1");
  CHECK (c.o.detach);
  CHECK (!c.o.tty);
  CHECK_STR (c.o.pid_file, "/B/EXEC.pid");
  CHECK (c.nargs == 1);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "--root", "/R", "--log", "/B/log.json", "--log-format", "json", "update",
                "--resources", "-", "abc123", NULL)
         == 0);
  CHECK (c.verb == KAGO_VERB_UPDATE);
  CHECK_STR (c.o.resources, "-");
  CHECK_STR (c.args[0], "abc123");
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "--root", "/R", "--log", "/B/log.json", "--log-format", "json", "ps", "--format",
                "json", "abc123", NULL)
         == 0);
  CHECK (c.verb == KAGO_VERB_PS);
  CHECK_STR (c.o.format, "json");
  CHECK (c.nargs == 1);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "--root", "/R", "--log", "/B/log.json", "--log-format", "json", "kill", "--all",
                "abc123", "9", NULL)
         == 0);
  CHECK (c.verb == KAGO_VERB_KILL);
  CHECK (c.o.all);
  CHECK (c.nargs == 2);
  CHECK_STR (c.args[0], "abc123");
  CHECK_STR (c.args[1], "9");
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "--root", "/R", "delete", "abc123", NULL) == 0);
  CHECK (c.verb == KAGO_VERB_DELETE && !c.o.force);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "--root", "/R", "--systemd-cgroup", "--log", "/B/log.json", "--log-format", "json",
                "create", "--bundle", "/B", "--pid-file", "/B/init.pid", "abc123", NULL)
         == 0);
  CHECK (c.g.systemd_cgroup);
  CHECK (c.verb == KAGO_VERB_CREATE);
  kago_cli_free (&c);
  CHECK (err == NULL);
}

TEST (unknown_flag)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "create", "--foo", "x", NULL) < 0);
  CHECK_STR (errmsg (err), "unknown flag \"--foo\" for \"create\"");
  CHECK (c.verb == KAGO_VERB_CREATE);
  kago_error_release (&err);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "create", "--foo=bar", "x", NULL) < 0);
  CHECK_STR (errmsg (err), "unknown flag \"--foo\" for \"create\"");
  kago_error_release (&err);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "--nope", "list", NULL) < 0);
  CHECK_CONTAINS (errmsg (err), "\"--nope\"");
  CHECK (c.verb == KAGO_VERB_NONE);
  kago_error_release (&err);
  kago_cli_free (&c);

  /* Global flags go before the verb, as in runc.  */
  CHECK (parse (&c, &err, "list", "--root", "/x", NULL) < 0);
  CHECK_STR (errmsg (err), "unknown flag \"--root\" for \"list\"");
  kago_error_release (&err);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "frobnicate", "x", NULL) < 0);
  CHECK_CONTAINS (errmsg (err), "unknown command \"frobnicate\"");
  kago_error_release (&err);
  kago_cli_free (&c);
}

TEST (log_format_values)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "--log-format", "xml", "list", NULL) < 0);
  CHECK_CONTAINS (errmsg (err), "--log-format");
  CHECK_CONTAINS (errmsg (err), "\"text\" and \"json\"");
  kago_error_release (&err);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "--log-format", "text", "list", NULL) == 0);
  CHECK (!c.g.log_json);
  kago_cli_free (&c);
  CHECK (parse (&c, &err, "list", NULL) == 0);
  CHECK_STR (c.g.log_format, "text");
  CHECK_STR (c.o.format, "table");
  kago_cli_free (&c);
}

TEST (go_flag_forms)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  /* single-dash long names, --x=v, short aliases with two dashes */
  CHECK (parse (&c, &err, "-root", "/r", "-log-format=json", "-debug", "create", "-bundle=/b", "--b", "/b2",
                "-pid-file", "/p", "x", NULL)
         == 0);
  CHECK (err == NULL);
  CHECK_STR (c.g.root, "/r");
  CHECK (c.g.log_json);
  CHECK (c.g.debug);
  CHECK_STR (c.o.bundle, "/b2");
  CHECK_STR (c.o.pid_file, "/p");
  kago_cli_free (&c);

  /* booleans: --x=true/false, Go's spellings */
  CHECK (parse (&c, &err, "--systemd-cgroup=false", "--debug=1", "delete", "--force=true", "x", NULL) == 0);
  CHECK (!c.g.systemd_cgroup);
  CHECK (c.g.debug);
  CHECK (c.o.force);
  kago_cli_free (&c);
  CHECK (parse (&c, &err, "delete", "-f=False", "x", NULL) == 0);
  CHECK (!c.o.force);
  kago_cli_free (&c);
  CHECK (parse (&c, &err, "delete", "--force=maybe", "x", NULL) < 0);
  CHECK_CONTAINS (errmsg (err), "invalid boolean value \"maybe\"");
  kago_error_release (&err);
  kago_cli_free (&c);

  /* flags after positional arguments (urfave/cli reorders them) */
  CHECK (parse (&c, &err, "delete", "x", "--force", NULL) == 0);
  CHECK (c.o.force);
  CHECK (c.nargs == 1);
  kago_cli_free (&c);

  /* a missing value */
  CHECK (parse (&c, &err, "create", "x", "--bundle", NULL) < 0);
  CHECK_STR (errmsg (err), "flag needs an argument: --bundle");
  kago_error_release (&err);
  kago_cli_free (&c);

  /* runc's ignored globals */
  CHECK (parse (&c, &err, "--criu", "/usr/sbin/criu", "--rootless", "auto", "state", "x", NULL) == 0);
  CHECK_STR (c.g.rootless, "auto");
  kago_cli_free (&c);
  CHECK (parse (&c, &err, "--rootless=sometimes", "state", "x", NULL) < 0);
  kago_error_release (&err);
  kago_cli_free (&c);

  /* -- ends the flags */
  CHECK (parse (&c, &err, "kill", "--", "x", "KILL", NULL) == 0);
  CHECK (c.nargs == 2);
  CHECK_STR (c.args[1], "KILL");
  kago_cli_free (&c);
}

TEST (exec_command_and_flags)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "exec", "-t", "-e", "A=1", "--env", "B=2", "-u", "1:2", "-g", "10",
                "--additional-gids", "11", "-c", "CAP_NET_ADMIN", "--cap=CAP_SYS_TIME", "--cwd", "/tmp",
                "--no-new-privs", "--preserve-fds", "2", "--apparmor", "prof", "--process-label", "lbl",
                "ctr", "sh", "-c", "echo --foo", NULL)
         == 0);
  CHECK (err == NULL);
  CHECK (c.verb == KAGO_VERB_EXEC);
  CHECK (c.o.tty);
  CHECK (c.o.env.n == 2);
  CHECK_STR (c.o.env.v[0], "A=1");
  CHECK_STR (c.o.env.v[1], "B=2");
  CHECK (c.o.env.v[2] == NULL);
  CHECK_STR (c.o.user, "1:2");
  CHECK (c.o.additional_gids.n == 2);
  CHECK (c.o.caps.n == 2);
  CHECK_STR (c.o.caps.v[1], "CAP_SYS_TIME");
  CHECK_STR (c.o.cwd, "/tmp");
  CHECK (c.o.no_new_privs);
  CHECK (c.o.preserve_fds == 2);
  CHECK_STR (c.o.apparmor, "prof");
  CHECK_STR (c.o.process_label, "lbl");
  /* flags end at the container id: the command keeps its own */
  CHECK (c.nargs == 4);
  CHECK_STR (c.args[0], "ctr");
  CHECK_STR (c.args[1], "sh");
  CHECK_STR (c.args[2], "-c");
  CHECK_STR (c.args[3], "echo --foo");
  CHECK (c.args[4] == NULL);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "exec", "ctr", "--", "ls", "--", "-l", NULL) == 0);
  CHECK (c.nargs == 4);
  CHECK_STR (c.args[1], "ls");
  CHECK_STR (c.args[2], "--");
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "exec", NULL) < 0);
  CHECK_STR (errmsg (err), "\"exec\" requires a minimum of 1 argument(s)");
  kago_error_release (&err);
  kago_cli_free (&c);
}

TEST (ps_list_formats)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "ps", "ctr", "-o", "pid,comm", NULL) == 0);
  CHECK_STR (c.o.format, "table");
  CHECK (c.nargs == 3);
  CHECK_STR (c.args[1], "-o");
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "ps", "-f", "yaml", "ctr", NULL) < 0);
  CHECK_CONTAINS (errmsg (err), "\"table\" and \"json\"");
  CHECK (c.verb == KAGO_VERB_PS);
  kago_error_release (&err);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "list", "-q", NULL) == 0);
  CHECK (c.o.quiet);
  kago_cli_free (&c);
  CHECK (parse (&c, &err, "list", "--format=json", NULL) == 0);
  CHECK_STR (c.o.format, "json");
  kago_cli_free (&c);
  CHECK (parse (&c, &err, "list", "extra", NULL) < 0);
  CHECK_STR (errmsg (err), "\"list\" requires exactly 0 argument(s)");
  kago_error_release (&err);
  kago_cli_free (&c);
}

TEST (arg_counts_and_help)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "create", NULL) < 0);
  CHECK_STR (errmsg (err), "\"create\" requires exactly 1 argument(s)");
  kago_error_release (&err);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "delete", "a", "b", NULL) < 0);
  kago_error_release (&err);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "kill", "a", "b", "c", NULL) < 0);
  CHECK_STR (errmsg (err), "\"kill\" requires a maximum of 2 argument(s)");
  kago_error_release (&err);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "create", "--help", NULL) == 0);
  CHECK (c.o.help);
  CHECK (c.verb == KAGO_VERB_CREATE);
  kago_cli_free (&c);
  CHECK (parse (&c, &err, "kill", "-h", NULL) == 0);
  CHECK (c.o.help);
  kago_cli_free (&c);
  CHECK (parse (&c, &err, "-h", NULL) == 0);
  CHECK (c.g.help);
  kago_cli_free (&c);
  CHECK (parse (&c, &err, NULL) == 0);
  CHECK (c.verb == KAGO_VERB_NONE);
  kago_cli_free (&c);

  char *u = kago_cli_usage (KAGO_VERB_CREATE, "kago-runtime");
  CHECK_CONTAINS (u, "Usage: kago-runtime create [command options] <container-id>");
  CHECK_CONTAINS (u, "--bundle value, -b value");
  CHECK_CONTAINS (u, "--preserve-fds value");
  free (u);
  u = kago_cli_usage (KAGO_VERB_NONE, "kago-runtime");
  CHECK_CONTAINS (u, "--log-format value");
  CHECK_CONTAINS (u, "features");
  free (u);
}

TEST (run_spec_flags)
{
  struct kago_cli c;
  kago_error_t err = NULL;
  CHECK (parse (&c, &err, "run", "-d", "--bundle", "/b", "--preserve-fds=3", "--no-pivot", "--no-new-keyring",
                "x", NULL)
         == 0);
  CHECK (c.verb == KAGO_VERB_RUN);
  CHECK (c.o.detach && c.o.no_pivot && c.o.no_new_keyring);
  CHECK (c.o.preserve_fds == 3);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "run", "--preserve-fds", "three", "x", NULL) < 0);
  CHECK_CONTAINS (errmsg (err), "--preserve-fds");
  kago_error_release (&err);
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "spec", "--rootless", "-b", "/bundle", NULL) == 0);
  CHECK (c.verb == KAGO_VERB_SPEC);
  CHECK (c.o.rootless);
  CHECK_STR (c.o.bundle, "/bundle");
  kago_cli_free (&c);

  CHECK (parse (&c, &err, "features", NULL) == 0);
  CHECK (c.verb == KAGO_VERB_FEATURES);
  kago_cli_free (&c);
}

TEST (user_parsing)
{
  uid_t u = 99;
  gid_t g = 99;
  bool has_gid = true;
  kago_error_t err = NULL;
  CHECK (kago_cli_parse_user ("1", &u, &has_gid, &g, &err) == 0);
  CHECK (u == 1 && !has_gid);
  CHECK (kago_cli_parse_user ("1000:2000", &u, &has_gid, &g, &err) == 0);
  CHECK (u == 1000 && has_gid && g == 2000);
  CHECK (kago_cli_parse_user ("0:0", &u, &has_gid, &g, &err) == 0);
  CHECK (u == 0 && g == 0);
  CHECK (err == NULL);
  static const char *const bad[] = { "root", "1:wheel", ":1", "1:", "-1", "", "1:2:3", "4294967296" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      CHECK (kago_cli_parse_user (bad[i], &u, &has_gid, &g, &err) < 0);
      CHECK_CONTAINS (errmsg (err), "numeric");
      kago_error_release (&err);
    }
}

int
main (void)
{
  RUN (podman_create);
  RUN (podman_start_pause_resume);
  RUN (podman_exec);
  RUN (podman_update_kill_delete_version);
  RUN (podman_checkpoint_parses);
  RUN (docker_create_and_friends);
  RUN (unknown_flag);
  RUN (log_format_values);
  RUN (go_flag_forms);
  RUN (exec_command_and_flags);
  RUN (ps_list_formats);
  RUN (arg_counts_and_help);
  RUN (run_spec_flags);
  RUN (user_parsing);
  return tap_done ();
}
