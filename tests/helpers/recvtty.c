/* recvtty SOCKET-PATH [INPUT]: accept one connection on a unix socket, take
   the pty master sent with SCM_RIGHTS (the console-socket protocol of runc),
   write INPUT to it if given, then copy the master to stdout until EOF.
   Prints "recvtty: ready" on stderr once listening.  Test helper only.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: recvtty SOCKET [INPUT]\n");
      return 2;
    }
  int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
  unlink (argv[1]);
  if (s < 0 || bind (s, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (s, 1) < 0)
    {
      perror ("recvtty: listen");
      return 1;
    }
  fprintf (stderr, "recvtty: ready\n");
  int c = accept4 (s, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    {
      perror ("recvtty: accept");
      return 1;
    }
  char name[4096];
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  ssize_t n = recvmsg (c, &m, 0);
  struct cmsghdr *cm = CMSG_FIRSTHDR (&m);
  if (n < 0 || cm == NULL || cm->cmsg_type != SCM_RIGHTS)
    {
      fprintf (stderr, "recvtty: no fd received\n");
      return 1;
    }
  int master;
  memcpy (&master, CMSG_DATA (cm), sizeof master);
  fprintf (stderr, "recvtty: got pty master\n");
  if (argc > 2)
    {
      ssize_t w = write (master, argv[2], strlen (argv[2]));
      (void) w;
    }
  char buf[4096];
  for (;;)
    {
      ssize_t r = read (master, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break; /* EIO once the last peer fd is closed */
      if (write (1, buf, (size_t) r) < 0)
        break;
    }
  return 0;
}
