/* OCI hooks: each hook is executed with the container state on stdin, its
   args and env, and an optional timeout after which it is killed.  */
#include "runtime/core.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/syscalls.h"

static char *empty_env[] = { NULL };

static int
run_one (const oci_hook *h, const char *kind, size_t idx, const char *state_json, kago_error_t *err)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return kago_error_set (err, errno, "%s hook %zu: pipe", kind, idx);
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (pipefd[0]);
      close (pipefd[1]);
      return kago_error_set (err, e, "%s hook %zu: fork", kind, idx);
    }
  if (pid == 0)
    {
      sigset_t all;
      sigemptyset (&all);
      sigprocmask (SIG_SETMASK, &all, NULL);
      if (dup2 (pipefd[0], 0) < 0)
        _exit (127);
      /* stdout of a hook goes to our stderr, as runc does, so it never
         corrupts the output of verbs like `state`.  */
      dup2 (2, 1);
      kago_close_range (3, ~0U, 0);
      char *fallback_args[] = { h->path, NULL };
      char **args = h->args.v && h->args.n ? h->args.v : fallback_args;
      execve (h->path, args, h->env.v ? h->env.v : empty_env);
      _exit (127);
    }
  close (pipefd[0]);
  /* A hook that does not read stdin must not kill us (EPIPE instead of
     SIGPIPE), and must not inherit an ignored SIGPIPE either.  */
  struct sigaction ign = { .sa_handler = SIG_IGN }, prev;
  sigaction (SIGPIPE, &ign, &prev);
  write_all (pipefd[1], state_json, strlen (state_json));
  sigaction (SIGPIPE, &prev, NULL);
  close (pipefd[1]);

  int status = 0;
  if (h->has_timeout)
    {
      int pidfd = kago_pidfd_open (pid, 0);
      if (pidfd >= 0)
        {
          struct pollfd p = { .fd = pidfd, .events = POLLIN };
          int r;
          do
            r = poll (&p, 1, h->timeout * 1000);
          while (r < 0 && errno == EINTR);
          close (pidfd);
          if (r == 0)
            {
              kill (pid, SIGKILL);
              waitpid (pid, &status, 0);
              return kago_error_set (err, 0, "%s hook %zu (`%s`) timed out after %d s", kind, idx, h->path,
                                     h->timeout);
            }
        }
      else
        {
          /* No pidfd: poll waitpid with a deadline.  */
          struct timespec start, now;
          clock_gettime (CLOCK_MONOTONIC, &start);
          for (;;)
            {
              pid_t w = waitpid (pid, &status, WNOHANG);
              if (w == pid)
                goto done;
              clock_gettime (CLOCK_MONOTONIC, &now);
              if (now.tv_sec - start.tv_sec >= h->timeout)
                {
                  kill (pid, SIGKILL);
                  waitpid (pid, &status, 0);
                  return kago_error_set (err, 0, "%s hook %zu (`%s`) timed out after %d s", kind, idx,
                                         h->path, h->timeout);
                }
              usleep (2000);
            }
        }
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return kago_error_set (err, errno, "%s hook %zu: waitpid", kind, idx);
done:
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return kago_error_set (err, 0, "%s hook %zu (`%s`) could not be executed (exit status 127)", kind, idx,
                           h->path);
  if (WIFEXITED (status))
    return kago_error_set (err, 0, "%s hook %zu (`%s`) failed with exit status %d", kind, idx, h->path,
                           WEXITSTATUS (status));
  return kago_error_set (err, 0, "%s hook %zu (`%s`) killed by signal %d", kind, idx, h->path,
                         WTERMSIG (status));
}

int
kago_hooks_run (const oci_hooks_list *hooks, const char *kind, const char *state_json, kago_error_t *err)
{
  for (size_t i = 0; i < hooks->n; i++)
    if (run_one (&hooks->items[i], kind, i, state_json, err) < 0)
      return -1;
  return 0;
}

void
kago_hooks_run_warn (const oci_hooks_list *hooks, const char *kind, const char *state_json)
{
  for (size_t i = 0; i < hooks->n; i++)
    {
      kago_error_t e = NULL;
      if (run_one (&hooks->items[i], kind, i, state_json, &e) < 0)
        {
          cleanup_free char *m = kago_error_string (e);
          kago_log_warn ("%s", m);
          kago_error_release (&e);
        }
    }
}
