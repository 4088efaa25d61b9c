/* exec: run a process in a running container (runc exec).  */
#include "cli/runtime/verbs.h"

#include "common/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Every --additional-gids value is a number; "1,2" is accepted too.  */
static int
parse_gids (const struct kago_cli_strv *sv, gid_t **out, size_t *n, kago_error_t *err)
{
  *out = NULL;
  *n = 0;
  for (size_t i = 0; i < sv->n; i++)
    {
      char *copy = xstrdup (sv->v[i]);
      char *save = NULL;
      for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
        {
          unsigned int g;
          if (kago_cli_parse_id (tok, "--additional-gids value", &g, err) < 0)
            {
              free (copy);
              free (*out);
              *out = NULL;
              return -1;
            }
          *out = xrealloc (*out, (*n + 1) * sizeof **out);
          (*out)[(*n)++] = (gid_t) g;
        }
      free (copy);
    }
  return 0;
}

/* runc treats an empty path flag as not given.  */
static const char *
nonempty (const char *s)
{
  return s && *s ? s : NULL;
}

int
kago_cmd_exec (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  const struct kago_cli *cli = ctx->cli;
  const char *id = cli->args[0];
  struct kago_exec_options o = {
    .process_file = nonempty (cli->o.process),
    .args = cli->nargs > 1 ? (char **) (cli->args + 1) : NULL,
    .env = (char **) cli->o.env.v,
    .cwd = nonempty (cli->o.cwd),
    .caps = (char **) cli->o.caps.v,
    .no_new_privs = cli->o.no_new_privs,
    .tty = cli->o.tty,
    .console_socket = nonempty (cli->o.console_socket),
    .pid_file = nonempty (cli->o.pid_file),
    .detach = cli->o.detach,
    .preserve_fds = cli->o.preserve_fds,
    .apparmor = cli->o.apparmor,
    .process_label = cli->o.process_label,
  };
  int status = 0;

  /* A failing exec exits 255, as runc: a caller can tell it from the
     process's own exit status 1.  */
  ctx->error_status = 255;

  if (o.process_file == NULL && o.args == NULL)
    return kago_error_set (err, 0, "exec failed: exec args cannot be empty");
  if (cli->o.pidfd_socket)
    return kago_error_set (err, 0, "exec failed: --pidfd-socket is not supported yet");
  if (cli->o.cgroup.n > 0)
    return kago_error_set (err, 0, "exec failed: --cgroup is not supported yet");
  if (cli->o.user && kago_cli_parse_user (cli->o.user, &o.uid, &o.has_gid, &o.gid, err) < 0)
    return kago_error_wrap (err, "exec failed");
  o.has_user = cli->o.user != NULL;
  if (parse_gids (&cli->o.additional_gids, &o.additional_gids, &o.n_additional_gids, err) < 0)
    return kago_error_wrap (err, "exec failed");

  int r = kago_container_exec (&ctx->rt, id, &o, &status, err);
  free (o.additional_gids);
  if (r < 0)
    return kago_error_wrap (err, "exec failed");
  if (o.detach)
    return 0;
  return status & 0xff;
}
