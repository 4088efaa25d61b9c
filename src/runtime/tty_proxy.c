/* `kago-runtime run` with process.terminal and no --console-socket (what
   `runc run` does in the foreground): the runtime keeps the pty master and
   copies between it and its own stdio until the container exits.  When stdin
   is a terminal it is put in raw mode (restored on every exit path) and its
   window size follows SIGWINCH; other signals are forwarded to the init.  */
#include "runtime/container_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"

static void
copy_winsize (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
    ioctl (to, TIOCSWINSZ, &ws);
}

/* Read what is there from IN and write it all to OUT.  Returns false at
   EOF or error on IN.  */
static bool
pump (int in, int out)
{
  char buf[8192];
  ssize_t n = read (in, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  return write_all (out, buf, (size_t) n) == 0;
}

int
kago_tty_proxy_wait (pid_t pid, int master, const sigset_t *fwd, int *status, kago_error_t *err)
{
  cleanup_close int sfd = signalfd (-1, fwd, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    return kago_error_set (err, errno, "signalfd");
  struct termios saved;
  bool raw = isatty (0) && tcgetattr (0, &saved) == 0;
  if (raw)
    {
      struct termios t = saved;
      cfmakeraw (&t);
      tcsetattr (0, TCSANOW, &t);
      copy_winsize (0, master);
    }
  int fl = fcntl (master, F_GETFL);
  fcntl (master, F_SETFL, fl | O_NONBLOCK);

  bool in_open = true, master_open = true, exited = false;
  int ws = 0, ret = 0;
  while (!exited || master_open)
    {
      struct pollfd p[3] = {
        { .fd = in_open ? 0 : -1, .events = POLLIN },
        { .fd = master_open ? master : -1, .events = POLLIN },
        { .fd = sfd, .events = POLLIN },
      };
      /* Once the process is gone, only drain what the pty still holds. */
      int r = poll (p, 3, exited ? 100 : -1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          ret = kago_error_set (err, errno, "poll");
          break;
        }
      if (r == 0)
        break;
      if (p[0].revents && !pump (0, master))
        in_open = false;
      if (p[1].revents && !pump (master, 1))
        master_open = false;
      if (p[2].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (sfd, &si, sizeof si) == (ssize_t) sizeof si)
            {
              if (si.ssi_signo == SIGWINCH && raw)
                copy_winsize (0, master);
              else if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGPIPE)
                kill (pid, (int) si.ssi_signo);
            }
          if (!exited && waitpid (pid, &ws, WNOHANG) == pid)
            exited = true;
        }
    }
  if (!exited)
    while (waitpid (pid, &ws, 0) < 0 && errno == EINTR)
      ;
  if (raw)
    tcsetattr (0, TCSANOW, &saved);
  *status = ws;
  return ret;
}
