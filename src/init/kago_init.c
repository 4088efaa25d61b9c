/* kago-init: the small init `kago run --init` puts at /sbin/kago-init in a
   container (docker's /sbin/docker-init, tini, does the same job).
 *
 *   kago-init [--] COMMAND [ARG...]
 *
 * It runs COMMAND as its child, in its own process group (the terminal's
 * foreground group when stdin is a terminal), forwards every signal it can
 * catch to that child, reaps every zombie that ends up with it (it is PID
 * 1, or a child subreaper otherwise), and exits with the child's status:
 * its exit code, or 128 + the signal that killed it.  Linked statically so
 * that it runs in any image.  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Signals that mean a fault in kago-init itself: never waited for.  */
static const int synchronous[] = { SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS };

static int
status_code (int st)
{
  if (WIFEXITED (st))
    return WEXITSTATUS (st);
  if (WIFSIGNALED (st))
    return 128 + WTERMSIG (st);
  return 1;
}

static void
child (char **argv, const sigset_t *old)
{
  /* Own process group, and the terminal's foreground one if there is a
     terminal, so that ^C reaches the command as it would without us.  */
  if (setpgid (0, 0) == 0 && isatty (STDIN_FILENO))
    {
      signal (SIGTTOU, SIG_IGN);
      if (tcsetpgrp (STDIN_FILENO, getpgrp ()) < 0 && errno != ENOTTY && errno != ENXIO)
        fprintf (stderr, "kago-init: tcsetpgrp: %s\n", strerror (errno));
      signal (SIGTTOU, SIG_DFL);
    }
  sigprocmask (SIG_SETMASK, old, NULL);
  execvp (argv[0], argv);
  int e = errno;
  fprintf (stderr, "kago-init: exec %s: %s\n", argv[0], strerror (e));
  _exit (e == ENOENT ? 127 : 126);
}

int
main (int argc, char **argv)
{
  int first = 1;
  if (first < argc && strcmp (argv[first], "--") == 0)
    first++;
  if (first >= argc)
    {
      fprintf (stderr, "usage: %s [--] COMMAND [ARG...]\n", argv[0]);
      return 1;
    }
  if (getpid () != 1 && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    fprintf (stderr, "kago-init: cannot become a subreaper (%s): zombies may not be reaped\n", strerror (errno));

  sigset_t all, old;
  sigfillset (&all);
  for (size_t i = 0; i < sizeof synchronous / sizeof synchronous[0]; i++)
    sigdelset (&all, synchronous[i]);
  if (sigprocmask (SIG_SETMASK, &all, &old) < 0)
    {
      perror ("kago-init: sigprocmask");
      return 1;
    }
  /* Background reads/writes of the terminal must not stop us.  */
  signal (SIGTTIN, SIG_IGN);
  signal (SIGTTOU, SIG_IGN);

  pid_t pid = fork ();
  if (pid < 0)
    {
      perror ("kago-init: fork");
      return 1;
    }
  if (pid == 0)
    {
      signal (SIGTTIN, SIG_DFL);
      signal (SIGTTOU, SIG_DFL);
      child (argv + first, &old);
    }

  int code = -1;
  while (1)
    {
      struct timespec ts = { 1, 0 };
      siginfo_t si;
      int sig = sigtimedwait (&all, &si, &ts);
      if (sig > 0 && sig != SIGCHLD)
        {
          if (kill (pid, sig) < 0 && errno != ESRCH)
            fprintf (stderr, "kago-init: forward signal %d: %s\n", sig, strerror (errno));
        }
      /* Reap everything that has exited, whatever woke us.  */
      while (1)
        {
          int st;
          pid_t r = waitpid (-1, &st, WNOHANG);
          if (r <= 0)
            break;
          if (r == pid)
            code = status_code (st);
        }
      if (code >= 0)
        return code;
    }
}
