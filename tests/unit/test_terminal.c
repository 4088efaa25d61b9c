/* process.terminal: a child sets up a pty with kago_terminal_setup, the
   parent receives the master over the socket, checks the window size and
   talks to the child through it.  Also the fd passing helpers.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/process_attrs.h"
#include "tap.h"

#define MSG(e) ((e) ? (e)->msg : NULL)

/* Read from FD until NEEDLE shows up (or a timeout); returns what was read. */
static char *
read_until (int fd, const char *needle, int timeout_ms)
{
  static char buf[4096];
  size_t len = 0;
  buf[0] = '\0';
  while (len + 1 < sizeof buf && strstr (buf, needle) == NULL)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (poll (&p, 1, timeout_ms) <= 0)
        break;
      ssize_t r = read (fd, buf + len, sizeof buf - 1 - len);
      if (r <= 0)
        break;
      len += (size_t) r;
      buf[len] = '\0';
    }
  return buf;
}

TEST (send_recv_fd)
{
  int sv[2];
  CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  int p[2];
  CHECK (pipe (p) == 0);
  kago_error_t err = NULL;
  CHECK (kago_send_fd (sv[0], p[1], "/dev/ptmx", &err) == 0);
  char *name = NULL;
  int fd = kago_recv_fd (sv[1], &name, &err);
  CHECK (fd >= 0);
  CHECK_STR (name, "/dev/ptmx");
  free (name);
  CHECK (fd >= 0 && (fcntl (fd, F_GETFD) & FD_CLOEXEC));
  CHECK (fd >= 0 && write (fd, "x", 1) == 1);
  char c = 0;
  CHECK (read (p[0], &c, 1) == 1 && c == 'x');
  close (fd);

  /* no name: still one byte of payload, received as "" */
  CHECK (kago_send_fd (sv[0], p[0], NULL, &err) == 0);
  fd = kago_recv_fd (sv[1], &name, &err);
  CHECK (fd >= 0);
  CHECK_STR (name, "");
  free (name);
  close (fd);

  /* a message without an fd is an error */
  CHECK (write (sv[0], "hello", 5) == 5);
  CHECK (kago_recv_fd (sv[1], NULL, &err) < 0);
  CHECK_CONTAINS (MSG (err), "no fd in the message");
  kago_error_release (&err);
  close (p[0]);
  close (p[1]);
  close (sv[0]);
  close (sv[1]);
}

TEST (console_socket_connect)
{
  char dir[] = "/tmp/kago-term-XXXXXX";
  CHECK (mkdtemp (dir) != NULL);
  /* a path longer than sun_path (108) */
  char sub[512];
  snprintf (sub, sizeof sub, "%s/%s", dir,
            "a-very-long-directory-name-to-overflow-sun-path-"
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK (mkdir (sub, 0700) == 0);
  char path[600];
  snprintf (path, sizeof path, "%s/console.sock", sub);
  CHECK (strlen (path) > 108);

  int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  int dfd = open (sub, O_PATH | O_DIRECTORY | O_CLOEXEC);
  snprintf (a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/console.sock", dfd);
  CHECK (bind (l, (struct sockaddr *) &a, sizeof a) == 0);
  CHECK (listen (l, 1) == 0);
  close (dfd);

  kago_error_t err = NULL;
  int c = kago_console_socket_connect (path, &err);
  CHECK (c >= 0);
  CHECK (c >= 0 && (fcntl (c, F_GETFD) & FD_CLOEXEC));
  int s = accept4 (l, NULL, NULL, SOCK_CLOEXEC);
  CHECK (s >= 0);
  if (c >= 0)
    close (c);
  if (s >= 0)
    close (s);

  snprintf (path, sizeof path, "%s/nope.sock", dir);
  CHECK (kago_console_socket_connect (path, &err) < 0);
  CHECK (err && err->errnum == ENOENT);
  CHECK_CONTAINS (MSG (err), "connect to console socket");
  kago_error_release (&err);
  close (l);
  char cmd[700];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK (system (cmd) == 0);
}

TEST (terminal_setup_in_child)
{
  int sv[2];
  CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (sv[0]);
      oci_process p
          = { .terminal = true, .has_console_size = true, .console_height = 40, .console_width = 100 };
      kago_error_t err = NULL;
      if (kago_terminal_setup (sv[1], &p, false, &err) < 0)
        {
          char *s = kago_error_string (err);
          dprintf (sv[1], "setup failed: %s", s);
          _exit (1);
        }
      close (sv[1]);
      /* stdio is the pty now, and it is our controlling terminal */
      struct winsize ws;
      if (ioctl (0, TIOCGWINSZ, &ws) < 0)
        _exit (2);
      pid_t sid = getsid (0);
      pid_t fg = tcgetpgrp (0);
      printf ("ready rows=%u cols=%u session=%d isatty=%d%d%d\n", ws.ws_row, ws.ws_col,
              sid == getpid () && fg == getpgrp (), isatty (0), isatty (1), isatty (2));
      fflush (stdout);
      char line[128];
      if (fgets (line, sizeof line, stdin) == NULL)
        _exit (3);
      line[strcspn (line, "\r\n")] = '\0';
      printf ("got <%s>\n", line);
      fflush (stdout);
      _exit (0);
    }
  close (sv[1]);
  kago_error_t err = NULL;
  char *name = NULL;
  int master = kago_recv_fd (sv[0], &name, &err);
  CHECK (master >= 0);
  if (master < 0)
    printf ("# %s\n", MSG (err));
  CHECK_STR (name, "/dev/ptmx");
  free (name);
  if (master >= 0)
    {
      struct winsize ws;
      CHECK (ioctl (master, TIOCGWINSZ, &ws) == 0);
      CHECK (ws.ws_row == 40 && ws.ws_col == 100);
      char *out = read_until (master, "\n", 5000);
      CHECK_CONTAINS (out, "ready rows=40 cols=100 session=1 isatty=111");
      CHECK (write (master, "echo\n", 5) == 5);
      out = read_until (master, "got <echo>", 5000);
      /* the line discipline echoes the input back, then the child answers */
      CHECK_CONTAINS (out, "echo\r\n");
      CHECK_CONTAINS (out, "got <echo>");
    }
  /* reap before closing the master: its close hangs up the session */
  int st;
  waitpid (pid, &st, 0);
  if (master >= 0)
    close (master);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  close (sv[0]);
}

TEST (terminal_binds_dev_console)
{
  /* In a private mount namespace: put an empty file over /dev/console (as
     the mounts code does in a container), then bind the pty peer onto it.  */
  int sv[2];
  CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (sv[0]);
      char f[] = "/tmp/kago-console-XXXXXX";
      int tfd = mkstemp (f);
      if (tfd < 0 || unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
          || mount (f, "/dev/console", NULL, MS_BIND, NULL) < 0)
        _exit (10);
      kago_error_t err = NULL;
      if (kago_terminal_setup (sv[1], NULL, true, &err) < 0)
        {
          dprintf (2, "# %s\n", kago_error_string (err));
          _exit (11);
        }
      struct stat a, b;
      if (stat ("/dev/console", &a) < 0 || fstat (0, &b) < 0)
        _exit (12);
      umount2 ("/dev/console", MNT_DETACH);
      umount2 ("/dev/console", MNT_DETACH);
      unlink (f);
      _exit (S_ISCHR (a.st_mode) && a.st_rdev == b.st_rdev && major (a.st_rdev) == 136 ? 0 : 13);
    }
  close (sv[1]);
  kago_error_t err = NULL;
  int master = kago_recv_fd (sv[0], NULL, &err);
  CHECK (master >= 0);
  int st;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  if (!WIFEXITED (st) || WEXITSTATUS (st))
    printf ("# status 0x%x\n", st);
  if (master >= 0)
    close (master);
  close (sv[0]);
}

TEST (terminal_refuses_symlinked_console)
{
  int sv[2];
  CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (sv[0]);
      /* /dev/console is a symlink: mount a tmpfs over /dev with one */
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        _exit (10);
      if (mount ("tmpfs", "/dev", "tmpfs", 0, "mode=755") < 0 || symlink ("/etc/hostname", "/dev/console") < 0
          || mkdir ("/dev/pts", 0755) < 0
          || mount ("devpts", "/dev/pts", "devpts", 0, "newinstance,ptmxmode=0666") < 0
          || symlink ("pts/ptmx", "/dev/ptmx") < 0)
        _exit (11);
      kago_error_t err = NULL;
      if (kago_terminal_setup (sv[1], NULL, true, &err) == 0)
        _exit (12);
      _exit (err && strstr (err->msg, "/dev/console is not a regular file") && err->errnum == EINVAL ? 0
                                                                                                     : 13);
    }
  close (sv[1]);
  int st;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  if (!WIFEXITED (st) || WEXITSTATUS (st))
    printf ("# status 0x%x\n", st);
  close (sv[0]);
}

int
main (void)
{
  RUN (send_recv_fd);
  RUN (console_socket_connect);
  RUN (terminal_setup_in_child);
  RUN (terminal_binds_dev_console);
  RUN (terminal_refuses_symlinked_console);
  return tap_done ();
}
