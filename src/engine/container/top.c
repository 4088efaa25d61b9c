/* `kago top`: ps on the host, filtered by a container's pids (top.h).  */
#include "engine/container/top.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

extern char **environ;

void
kago_top_free (struct kago_top *t)
{
  for (size_t i = 0; i < t->ntitles; i++)
    free (t->titles[i]);
  free (t->titles);
  for (size_t r = 0; r < t->nprocs; r++)
    {
      for (size_t i = 0; i < t->ntitles; i++)
        free (t->procs[r][i]);
      free (t->procs[r]);
    }
  free (t->procs);
  memset (t, 0, sizeof *t);
}

static bool
is_space (char c)
{
  /* Go's fieldsASCII: space, \t, \n, \v, \f, \r.  */
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Split LINE (LEN bytes) at ASCII white space.  */
static char **
fields (const char *line, size_t len, size_t *n)
{
  char **v = NULL;
  *n = 0;
  size_t i = 0;
  while (i < len)
    {
      while (i < len && is_space (line[i]))
        i++;
      if (i >= len)
        break;
      size_t s = i;
      while (i < len && !is_space (line[i]))
        i++;
      v = xrealloc (v, (*n + 1) * sizeof *v);
      v[(*n)++] = xstrndup (line + s, i - s);
    }
  return v;
}

static void
strv_free (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

int
kago_top_validate_args (char *const *args, size_t n, kago_error_t *err)
{
  /* dockerd matches \s+([^\s]*)=\s*(PID[^\s]*) on the arguments joined with
     spaces: a word after the first, up to its last '=' followed (maybe
     after spaces) by "PID".  */
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        strbuf_addc (&sb, ' ');
      strbuf_adds (&sb, args[i]);
    }
  const char *s = sb.buf ? sb.buf : "";
  for (size_t i = 1; s[0] && s[i]; i++)
    {
      if (!is_space (s[i - 1]) || is_space (s[i]))
        continue;
      size_t end = i;
      while (s[end] && !is_space (s[end]))
        end++;
      for (size_t eq = end; eq-- > i;)
        {
          if (s[eq] != '=')
            continue;
          size_t v = eq + 1;
          while (s[v] && is_space (s[v]))
            v++;
          if (strncmp (s + v, "PID", 3) != 0)
            continue;
          size_t vend = v;
          while (s[vend] && !is_space (s[vend]))
            vend++;
          if (eq - i != 3 || strncmp (s + i, "pid", 3) != 0)
            return kago_error_set (err, 0, "specifying \"%.*s=%.*s\" is not allowed", (int) (eq - i), s + i,
                                   (int) (vend - v), s + v);
          break;
        }
    }
  return 0;
}

static void
add_proc (struct kago_top *t, char **f, size_t nf)
{
  char **row = xcalloc (t->ntitles, sizeof *row);
  size_t last = t->ntitles - 1;
  for (size_t i = 0; i < last; i++)
    row[i] = xstrdup (i < nf ? f[i] : "");
  strbuf sb = STRBUF_INIT;
  for (size_t i = last; i < nf; i++)
    {
      if (i > last)
        strbuf_addc (&sb, ' ');
      strbuf_adds (&sb, f[i]);
    }
  row[last] = sb.buf ? strbuf_detach (&sb) : xstrdup ("");
  t->procs = xrealloc (t->procs, (t->nprocs + 1) * sizeof *t->procs);
  t->procs[t->nprocs++] = row;
}

int
kago_top_parse_ps (const char *output, const pid_t *pids, size_t npids, struct kago_top *out,
                   kago_error_t *err)
{
  memset (out, 0, sizeof *out);
  const char *nl = strchr (output, '\n');
  size_t hlen = nl ? (size_t) (nl - output) : strlen (output);
  out->titles = fields (output, hlen, &out->ntitles);
  size_t pid_index = SIZE_MAX;
  for (size_t i = 0; i < out->ntitles && pid_index == SIZE_MAX; i++)
    if (strcmp (out->titles[i], "PID") == 0)
      pid_index = i;
  if (pid_index == SIZE_MAX)
    {
      kago_top_free (out);
      return kago_error_set (err, 0, "Couldn't find PID field in ps output");
    }
  bool prev_in = false;
  for (const char *line = nl ? nl + 1 : output + hlen; *line;)
    {
      const char *e = strchr (line, '\n');
      size_t len = e ? (size_t) (e - line) : strlen (line);
      size_t nf;
      char **f = fields (line, len, &nf);
      line += len + (e ? 1 : 0);
      if (nf == 0)
        continue;
      if (nf <= pid_index)
        {
          strv_free (f, nf);
          prev_in = false;
          continue;
        }
      const char *p = f[pid_index];
      if (strcmp (p, "-") == 0)
        {
          if (prev_in)
            add_proc (out, f, nf);
          strv_free (f, nf);
          continue;
        }
      char *end;
      errno = 0;
      long v = strtol (p, &end, 10);
      if (errno != 0 || end == p || *end != '\0')
        {
          kago_error_set (err, 0, "Unexpected pid '%s'", p);
          strv_free (f, nf);
          kago_top_free (out);
          return -1;
        }
      prev_in = false;
      for (size_t i = 0; i < npids && !prev_in; i++)
        prev_in = pids[i] == (pid_t) v;
      if (prev_in)
        add_proc (out, f, nf);
      strv_free (f, nf);
    }
  return 0;
}

/* Run ps ARGV; *OUT its stdout, *ERRLINE the first line of its stderr.
   Returns its exit status (128+signal), or -1 when it could not run.  */
static int
run_ps (char *const *argv, char **out, char **errline, kago_error_t *err)
{
  int po[2], pe[2];
  if (pipe2 (po, O_CLOEXEC) < 0)
    return kago_error_set (err, errno, "pipe");
  if (pipe2 (pe, O_CLOEXEC) < 0)
    {
      int en = errno;
      close (po[0]);
      close (po[1]);
      return kago_error_set (err, en, "pipe");
    }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, po[1], 1);
  posix_spawn_file_actions_adddup2 (&fa, pe[1], 2);
  pid_t child;
  int r = posix_spawnp (&child, "ps", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  close (po[1]);
  close (pe[1]);
  if (r != 0)
    {
      close (po[0]);
      close (pe[0]);
      return kago_error_set (err, r, "ps");
    }
  strbuf so = STRBUF_INIT, se = STRBUF_INIT;
  struct pollfd pf[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
  int open_fds = 2;
  while (open_fds > 0)
    {
      if (poll (pf, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      for (int i = 0; i < 2; i++)
        {
          if (pf[i].fd < 0 || pf[i].revents == 0)
            continue;
          char buf[8192];
          ssize_t k = read (pf[i].fd, buf, sizeof buf);
          if (k < 0 && errno == EINTR)
            continue;
          if (k <= 0)
            {
              close (pf[i].fd);
              pf[i].fd = -1;
              open_fds--;
              continue;
            }
          strbuf_add (i == 0 ? &so : &se, buf, (size_t) k);
        }
    }
  for (int i = 0; i < 2; i++)
    if (pf[i].fd >= 0)
      close (pf[i].fd);
  int wst = 0;
  while (waitpid (child, &wst, 0) < 0 && errno == EINTR)
    ;
  *out = so.buf ? strbuf_detach (&so) : xstrdup ("");
  const char *e = se.buf ? se.buf : "";
  *errline = xstrndup (e, strcspn (e, "\n"));
  strbuf_release (&se);
  return WIFEXITED (wst) ? WEXITSTATUS (wst) : 128 + WTERMSIG (wst);
}

int
kago_top_ps (char *const *ps_args, size_t n, const pid_t *pids, size_t npids, struct kago_top *out,
             kago_error_t *err)
{
  static char *const default_args[] = { (char *) "-ef" };
  memset (out, 0, sizeof *out);
  if (n == 0)
    {
      ps_args = default_args;
      n = 1;
    }
  if (kago_top_validate_args (ps_args, n, err) < 0)
    return -1;

  /* ps ARGS -qPID,PID,...; then ps ARGS.  */
  strbuf q = STRBUF_INIT;
  strbuf_adds (&q, "-q");
  for (size_t i = 0; i < npids; i++)
    strbuf_addf (&q, i ? ",%d" : "%d", (int) pids[i]);
  char **argv = xcalloc (n + 3, sizeof *argv);
  argv[0] = (char *) "ps";
  for (size_t i = 0; i < n; i++)
    argv[i + 1] = ps_args[i];
  argv[n + 1] = q.buf;
  cleanup_free char *text = NULL, *errline = NULL;
  int st = npids ? run_ps (argv, &text, &errline, err) : 1;
  if (st > 0)
    {
      free (text);
      free (errline);
      text = errline = NULL;
      argv[n + 1] = NULL;
      st = run_ps (argv, &text, &errline, err);
    }
  free (argv);
  strbuf_release (&q);
  if (st < 0)
    return -1;
  if (st != 0)
    {
      if (errline && *errline)
        return kago_error_set (err, 0, "ps: %s", errline);
      return kago_error_set (err, 0, "ps: exit status %d", st);
    }
  return kago_top_parse_ps (text, pids, npids, out, err);
}
