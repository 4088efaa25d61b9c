/* process.terminal: a new pty inside the container, handed to the caller over
 * the console socket (runc's protocol: one SCM_RIGHTS message carrying the
 * pty master, with its name as the payload).
 *
 * The peer is obtained with TIOCGPTPEER on the master: never by opening
 * /dev/pts/N, which a container could swap for a symlink (CVE-2025-52565).
 */
#include "runtime/process_attrs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

#define KAGO_FD_NAME_MAX 4096

int
kago_send_fd (int sockfd, int fd, const char *name, kago_error_t *err)
{
  /* A stream socket needs at least one byte of data with the rights.  */
  const char *payload = name && name[0] ? name : "";
  size_t len = name && name[0] ? strlen (name) : 1;
  struct iovec iov = { .iov_base = (void *) payload, .iov_len = len };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  memset (&u, 0, sizeof u);
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = u.buf,
    .msg_controllen = sizeof u.buf,
  };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));

  ssize_t r;
  do
    r = sendmsg (sockfd, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return kago_error_set (err, errno, "send fd over socket");
  if ((size_t) r != len)
    return kago_error_set (err, EIO, "send fd over socket: short write");
  return 0;
}

int
kago_recv_fd (int sockfd, char **name, kago_error_t *err)
{
  cleanup_free char *data = xmalloc (KAGO_FD_NAME_MAX + 1);
  struct iovec iov = { .iov_base = data, .iov_len = KAGO_FD_NAME_MAX };
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * 4)];
    struct cmsghdr align;
  } u;
  memset (&u, 0, sizeof u);
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = u.buf,
    .msg_controllen = sizeof u.buf,
  };
  if (name)
    *name = NULL;

  ssize_t r;
  do
    r = recvmsg (sockfd, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return kago_error_set (err, errno, "receive fd from socket");

  int fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      size_t n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < n; i++)
        {
          int got;
          memcpy (&got, CMSG_DATA (c) + i * sizeof (int), sizeof (int));
          if (fd < 0)
            fd = got;
          else
            close (got); /* only one fd is expected */
        }
    }
  if (fd < 0)
    return kago_error_set (err, r == 0 ? ECONNRESET : EBADMSG,
                           "receive fd from socket: no fd in the message");
  if (msg.msg_flags & MSG_CTRUNC)
    {
      close (fd);
      return kago_error_set (err, EBADMSG, "receive fd from socket: control data truncated");
    }
  if (name)
    {
      data[r] = '\0';
      *name = xstrdup (data);
    }
  return fd;
}

int
kago_console_socket_connect (const char *path, kago_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int dirfd = -1;
  if (path == NULL || path[0] == '\0')
    return kago_error_set (err, EINVAL, "console socket: empty path");

  if (strlen (path) < sizeof addr.sun_path)
    memcpy (addr.sun_path, path, strlen (path) + 1);
  else
    {
      /* Too long for sun_path: connect through the directory's fd.  */
      const char *slash = strrchr (path, '/');
      if (slash == NULL || strlen (slash + 1) + 40 >= sizeof addr.sun_path)
        return kago_error_set (err, ENAMETOOLONG, "console socket \"%s\"", path);
      cleanup_free char *dir = xstrndup (path, slash == path ? 1 : (size_t) (slash - path));
      dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        return kago_error_set (err, errno, "console socket \"%s\": open directory", path);
      snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, slash + 1);
    }

  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return kago_error_set (err, errno, "console socket: socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return kago_error_set (err, errno, "connect to console socket \"%s\"", path);
  return steal_fd (&fd);
}

/* Move FD above the stdio range so that dup2 onto 0..2 cannot clobber it.  */
static int
above_stdio (int *fd, kago_error_t *err)
{
  if (*fd > 2)
    return 0;
  int n = fcntl (*fd, F_DUPFD_CLOEXEC, 3);
  if (n < 0)
    return kago_error_set (err, errno, "fcntl(F_DUPFD_CLOEXEC)");
  close (*fd);
  *fd = n;
  return 0;
}

/* Bind the pty peer onto /dev/console (an empty file the mounts code made).
   Both ends are fds: the target is opened without following symlinks.  */
static int
bind_console (int peer, kago_error_t *err)
{
  cleanup_close int target = open ("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return kago_error_set (err, errno, "open /dev/console");
  struct stat st;
  if (fstat (target, &st) < 0)
    return kago_error_set (err, errno, "stat /dev/console");
  if (!S_ISREG (st.st_mode) && !S_ISCHR (st.st_mode))
    return kago_error_set (err, EINVAL,
                           "/dev/console is not a regular file or a device, refusing to mount on it");

  cleanup_close int tree = open_tree (peer, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree >= 0)
    {
      if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0)
        return 0;
      if (errno != ENOSYS && errno != EINVAL)
        return kago_error_set (err, errno, "bind the console onto /dev/console");
    }
  else if (errno != ENOSYS && errno != EINVAL && errno != EPERM)
    return kago_error_set (err, errno, "open_tree of the console");

  char src[64], dst[64];
  proc_fd_path (src, sizeof src, peer);
  proc_fd_path (dst, sizeof dst, target);
  if (mount (src, dst, NULL, MS_BIND, NULL) < 0)
    return kago_error_set (err, errno, "bind the console onto /dev/console");
  return 0;
}

int
kago_terminal_setup (int sockfd, const oci_process *p, bool bind_dev_console, kago_error_t *err)
{
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return kago_error_set (err, errno, "open /dev/ptmx");
  if (above_stdio (&master, err) < 0)
    return -1;
  if (unlockpt (master) < 0)
    return kago_error_set (err, errno, "unlockpt");

  cleanup_close int peer = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (peer < 0)
    return kago_error_set (err, errno, "ioctl(TIOCGPTPEER)");
  if (above_stdio (&peer, err) < 0)
    return -1;

  if (p && p->has_console_size)
    {
      struct winsize ws = {
        .ws_row = (unsigned short) p->console_height,
        .ws_col = (unsigned short) p->console_width,
      };
      if (ioctl (peer, TIOCSWINSZ, &ws) < 0)
        return kago_error_set (err, errno, "set the console size (%ux%u)", p->console_width,
                               p->console_height);
    }

  if (bind_dev_console && bind_console (peer, err) < 0)
    return -1;

  for (int i = 0; i <= 2; i++)
    if (dup2 (peer, i) < 0)
      return kago_error_set (err, errno, "dup2 the console to fd %d", i);

  if (kago_send_fd (sockfd, master, "/dev/ptmx", err) < 0)
    return kago_error_wrap (err, "console socket");

  /* Only now make the pty our controlling terminal (that needs a session of
     our own): were it our controlling terminal while we still held the only
     master, an error path closing the master would hang up the session and
     kill us with SIGHUP before the error could be reported.  */
  close (steal_fd (&master));
  if (getsid (0) != getpid () && setsid () < 0)
    return kago_error_set (err, errno, "setsid");
  if (ioctl (0, TIOCSCTTY, 0) < 0)
    return kago_error_set (err, errno, "ioctl(TIOCSCTTY)");
  return 0;
}
