/* kago exec, update, and the `kago container SUBCOMMAND` aliases.  */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/engine/engine.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "engine/container/lifecycle.h"
#include "engine/container/record.h"
#include "engine/container/runopts.h"
#include "engine/container/spec_internal.h"
#include "engine/image/image.h"
#include "runtime/process_attrs.h"
#include "runtime/runtime.h"

/* -u NAME|UID[:GROUP|GID] against the container's /etc/passwd and
   /etc/group, as run resolves it (spec_user.c), through /proc/PID/root.  */
static int
parse_user (pid_t pid, const char *spec, struct kago_exec_options *o, kago_error_t *err)
{
  char root[64];
  snprintf (root, sizeof root, "/proc/%d/root", (int) pid);
  struct spec_user u;
  if (spec_user_resolve (root, spec, NULL, &u, err) < 0)
    return -1;
  o->has_user = o->has_gid = true;
  o->uid = u.uid;
  o->gid = u.gid;
  /* The supplementary groups too (the primary gid and /etc/group's), as
     docker exec sets them: the exec'd process must not keep root's.  */
  o->additional_gids = steal_pointer (&u.gids);
  o->n_additional_gids = u.ngids;
  u.ngids = 0;
  spec_user_clear (&u);
  return 0;
}

/* exec --privileged: every capability the kernel knows.  */
static char **
all_caps (void)
{
  int last = kago_cap_last_cap ();
  char **v = xcalloc ((size_t) last + 2, sizeof *v);
  size_t n = 0;
  for (int c = 0; c <= last; c++)
    if (kago_cap_name (c))
      v[n++] = (char *) kago_cap_name (c);
  return v;
}

int
kago_cmd_ctr_exec (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "detach", no_argument, NULL, 'd' },      { "interactive", no_argument, NULL, 'i' },
    { "tty", no_argument, NULL, 't' },         { "user", required_argument, NULL, 'u' },
    { "workdir", required_argument, NULL, 'w' }, { "env", required_argument, NULL, 'e' },
    { "env-file", required_argument, NULL, 'E' }, { "privileged", no_argument, NULL, 'P' },
    { "detach-keys", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct kago_exec_options o = { 0 };
  bool privileged = false, interactive = false;
  const char *user = NULL;
  struct kago_strv env = { 0 };
  kago_error_t err = NULL;
  int c, ret = 126;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+ditu:w:e:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'd': o.detach = true; break;
      case 'i': interactive = true; break;
      case 't': o.tty = true; break;
      case 'u': user = optarg; break;
      case 'w': o.cwd = optarg; break;
      case 'P': privileged = true; break;
      case 'k': break;
      case 'e':
        if (strchr (optarg, '='))
          kago_strv_add (&env, optarg);
        else if (getenv (optarg))
          kago_strv_addf (&env, "%s=%s", optarg, getenv (optarg));
        break;
      case 'E':
        {
          cleanup_free char *buf = NULL;
          size_t len;
          if (read_file (optarg, &buf, &len, &err) < 0)
            {
              ret = kago_cli_ctr_fail (&err, 1);
              goto out;
            }
          for (char *l = strtok (buf, "\n"); l; l = strtok (NULL, "\n"))
            if (*l && *l != '#')
              kago_strv_add (&env, l);
          break;
        }
      case 'h':
        puts ("Usage:  kago exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nExecute a command in a running container\n\n"
              "Options:\n  -d, --detach               Detached mode: run command in the background\n"
              "  -e, --env list             Set environment variables\n"
              "      --env-file list        Read in a file of environment variables\n"
              "  -i, --interactive          Keep STDIN open even if not attached\n"
              "      --privileged           Give extended privileges to the command\n"
              "  -t, --tty                  Allocate a pseudo-TTY\n"
              "  -u, --user string          Username or UID (format: \"<name|uid>[:<group|gid>]\")\n"
              "  -w, --workdir string       Working directory inside the container");
        ret = 0;
        goto out;
      default:
        fprintf (stderr, "See 'kago exec --help'.\n");
        ret = 1;
        goto out;
      }
  (void) interactive; /* stdin is the caller's in the foreground */
  if (argc - optind < 2)
    {
      fprintf (stderr, "kago: \"exec\" requires at least 2 arguments.\nSee 'kago exec --help'.\n");
      ret = 1;
      goto out;
    }
  if (o.tty && !o.detach && !isatty (0))
    {
      fprintf (stderr, "kago: the input device is not a TTY\n");
      ret = 1;
      goto out;
    }
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    {
      ret = kago_cli_ctr_fail (&err, 1);
      goto out;
    }
  struct kago_ctr_info ci;
  if (kago_ctr_get (&e, argv[optind], &ci, &err) < 0)
    {
      kago_engine_close (&e);
      ret = kago_cli_ctr_fail (&err, 1);
      goto out;
    }
  if (ci.status == KAGO_CTR_PAUSED)
    {
      fprintf (stderr, "kago: Container %s is paused, unpause the container before exec\n", ci.id);
      ret = 1;
    }
  else if (ci.status != KAGO_CTR_RUNNING)
    {
      fprintf (stderr, "kago: container %s is not running\n", ci.id);
      ret = 1;
    }
  else if (user && parse_user (ci.pid, user, &o, &err) < 0)
    ret = kago_cli_ctr_fail (&err, 126);
  else
    {
      struct kago_runtime rt = { .root = e.runtime_root };
      o.args = argv + optind + 1;
      o.env = env.v;
      if (privileged)
        o.caps = all_caps ();
      int status = 0;
      if (kago_container_exec (&rt, ci.id, &o, &status, &err) < 0)
        ret = kago_cli_ctr_fail (&err, kago_ctr_exec_error_code (err) == 125 ? 126 : kago_ctr_exec_error_code (err));
      else
        ret = o.detach ? 0 : status;
      free (o.caps);
    }
  free (o.additional_gids);
  kago_ctr_info_free (&ci);
  kago_engine_close (&e);
out:
  kago_strv_free (&env);
  return ret;
}

/* ---- update ---- */

static int
update_one (struct kago_engine *e, const char *id, const struct kago_update_opts *u, kago_error_t *err)
{
  cleanup_close int lk = kago_ctr_lock (e, id, err);
  if (lk < 0)
    return -1;
  json_value *rec = kago_ctr_record_load (e, id, err);
  if (rec == NULL)
    return -1;
  cleanup_free char *cfg_path = kago_ctr_path (e, id, "config.json");
  json_value *oci = json_parse_file (cfg_path, err);
  int ret = -1;
  json_value *res = NULL;
  if (oci == NULL)
    goto out;
  if (kago_update_apply (u, json_object_get (rec, "HostConfig"), oci, &res, err) < 0)
    goto out;
  const char *st = kago_rec_str (rec, "State", "Status");
  bool live = st && (strcmp (st, "running") == 0 || strcmp (st, "paused") == 0);
  if (live && res)
    {
      struct kago_runtime rt = { .root = e->runtime_root };
      if (kago_container_update (&rt, id, res, err) < 0)
        goto out;
    }
  {
    cleanup_free char *text = json_to_string (oci, true);
    cleanup_free char *dir = kago_ctr_path (e, id, NULL);
    cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || write_file_atomic (dfd, "config.json", text, strlen (text), 0600, err) < 0)
      {
        if (dfd < 0)
          kago_error_set (err, errno, "open `%s`", dir);
        goto out;
      }
  }
  ret = kago_ctr_record_save (e, id, rec, err);
out:
  json_free (res);
  json_free (oci);
  json_free (rec);
  return ret;
}

int
kago_cmd_ctr_update (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  struct kago_update_opts u;
  memset (&u, 0, sizeof u);
  kago_error_t err = NULL;
  if (kago_update_opts_parse (argc, argv, &u, &err) < 0)
    {
      cleanup_free char *m = kago_error_string (err);
      kago_error_release (&err);
      fprintf (stderr, "kago: %s\nSee 'kago update --help'.\n", m);
      kago_update_opts_free (&u);
      return 1;
    }
  if (u.help)
    {
      kago_update_usage (stdout);
      kago_update_opts_free (&u);
      return 0;
    }
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    {
      kago_update_opts_free (&u);
      return kago_cli_ctr_fail (&err, 1);
    }
  int ret = 0;
  for (size_t i = 0; i < u.nnames; i++)
    {
      char id[KAGO_CTR_ID_LEN + 1];
      if (kago_ctr_resolve (&e, u.names[i], id, &err) < 0 || update_one (&e, id, &u, &err) < 0)
        {
          cleanup_free char *m = kago_error_string (err);
          kago_error_release (&err);
          fprintf (stderr, "Error response from daemon: Cannot update container %s: %s\n", u.names[i], m);
          ret = 1;
          continue;
        }
      printf ("%s\n", u.names[i]);
    }
  kago_engine_close (&e);
  kago_update_opts_free (&u);
  return ret;
}

/* ---- kago container SUBCOMMAND ---- */

int
kago_cmd_ctr_container (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*fn) (struct kago_engine_ctx *, int, char **);
  } subs[] = {
    { "ls", kago_cmd_ctr_ps },         { "list", kago_cmd_ctr_ps },       { "ps", kago_cmd_ctr_ps },
    { "run", kago_cmd_ctr_run },       { "create", kago_cmd_ctr_create }, { "start", kago_cmd_ctr_start },
    { "stop", kago_cmd_ctr_stop },     { "restart", kago_cmd_ctr_restart }, { "kill", kago_cmd_ctr_kill },
    { "rm", kago_cmd_ctr_rm },         { "remove", kago_cmd_ctr_rm },     { "logs", kago_cmd_ctr_logs },
    { "exec", kago_cmd_ctr_exec },     { "attach", kago_cmd_ctr_attach }, { "wait", kago_cmd_ctr_wait },
    { "pause", kago_cmd_ctr_pause },   { "unpause", kago_cmd_ctr_unpause }, { "rename", kago_cmd_ctr_rename },
    { "port", kago_cmd_ctr_port },     { "update", kago_cmd_ctr_update }, { "stats", kago_cmd_stats },
    { "top", kago_cmd_top },       { "inspect", kago_cmd_ctr_inspect },
  };
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      FILE *out = argc < 2 ? stderr : stdout;
      fputs ("Usage:  kago container COMMAND\n\nManage containers\n\nCommands:\n", out);
      for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
        fprintf (out, "  %s\n", subs[i].name);
      return argc < 2 ? 1 : 0;
    }
  for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
    if (strcmp (argv[1], subs[i].name) == 0)
      {
        if (subs[i].fn == kago_cmd_ctr_inspect)
          {
            /* container inspect: containers only.  */
            char **v = xcalloc ((size_t) argc + 2, sizeof *v);
            v[0] = argv[1];
            v[1] = (char *) "--type=container";
            for (int k = 2; k < argc; k++)
              v[k] = argv[k];
            int r = kago_cmd_ctr_inspect (ctx, argc, v);
            free (v);
            return r;
          }
        return subs[i].fn (ctx, argc - 1, argv + 1);
      }
  fprintf (stderr, "kago: 'container %s' is not a kago command.\nSee 'kago container --help'\n", argv[1]);
  return 1;
}
