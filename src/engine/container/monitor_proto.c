/* The monitor's protocol and its spawning (monitor.h).  */
#include "engine/container/monitor.h"

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/container/lifecycle.h"
#include "engine/container/record.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
kago_mon_send (int sock, const struct kago_mon_msg *m, const int *fds, int nfds, kago_error_t *err)
{
  /* Only what is used of err[] goes on the wire.  */
  size_t len = offsetof (struct kago_mon_msg, err);
  if (m->type == KAGO_MON_ERROR)
    len += strnlen (m->err, sizeof m->err - 1) + 1;
  struct iovec iov = { .iov_base = (void *) m, .iov_len = len };
  union
  {
    char buf[CMSG_SPACE (3 * sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (nfds > 0)
    {
      memset (&u, 0, sizeof u);
      mh.msg_control = u.buf;
      mh.msg_controllen = CMSG_SPACE ((size_t) nfds * sizeof (int));
      struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN ((size_t) nfds * sizeof (int));
      memcpy (CMSG_DATA (c), fds, (size_t) nfds * sizeof (int));
    }
  ssize_t n;
  do
    n = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return kago_error_set (err, errno, "send to the monitor");
  return 0;
}

int
kago_mon_recv (int sock, struct kago_mon_msg *m, int *fds, int *nfds, kago_error_t *err)
{
  memset (m, 0, sizeof *m);
  struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
  union
  {
    char buf[CMSG_SPACE (3 * sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n;
  do
    n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (nfds)
    *nfds = 0;
  if (n < 0)
    {
      if (errno == ECONNRESET)
        return 0;
      return kago_error_set (err, errno, "receive from the monitor");
    }
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int k = (int) ((c->cmsg_len - CMSG_LEN (0)) / sizeof (int));
        int got[3];
        memcpy (got, CMSG_DATA (c), (size_t) (k > 3 ? 3 : k) * sizeof (int));
        for (int i = 0; i < k && i < 3; i++)
          {
            if (fds && nfds)
              fds[(*nfds)++] = got[i];
            else
              close (got[i]);
          }
      }
  if (n == 0)
    return 0;
  m->err[sizeof m->err - 1] = '\0';
  return 1;
}

int
kago_mon_connect (struct kago_engine *e, const char *id, kago_error_t *err)
{
  cleanup_free char *dir = kago_ctr_path (e, id, NULL);
  cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return kago_error_set (err, 0, "No such container: %s", id);
  int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return kago_error_set (err, errno, "socket");
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/monitor.sock", dfd);
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      int en = errno;
      close (fd);
      return kago_error_set (err, en, "container %.12s has no monitor", id);
    }
  return fd;
}

int
kago_mon_spawn (struct kago_engine *e, const char *id, const struct kago_spawn_opts *o, int *conn, pid_t *pid,
                kago_error_t *err)
{
  int sp[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return kago_error_set (err, errno, "socketpair");
  fflush (NULL);
  pid_t mid = fork ();
  if (mid < 0)
    {
      int en = errno;
      close (sp[0]);
      close (sp[1]);
      return kago_error_set (err, en, "fork the monitor");
    }
  if (mid == 0)
    {
      /* One fork: the monitor starts its own session at once, and when the
         caller exits it is reparented (to init or a subreaper) like any
         orphan; a second fork would only cost time.  */
      close (sp[0]);
      kago_mon_main (e, id, sp[1], o);
    }
  close (sp[1]);
  struct kago_mon_msg m;
  int r = kago_mon_recv (sp[0], &m, NULL, NULL, err);
  if (r < 0)
    {
      close (sp[0]);
      return -1;
    }
  if (r == 0)
    {
      close (sp[0]);
      return kago_error_set (err, 0, "the monitor of %.12s died before the container started", id);
    }
  if (m.type == KAGO_MON_ERROR)
    {
      close (sp[0]);
      return kago_error_set (err, m.a, "%s", m.err);
    }
  if (m.type != KAGO_MON_STARTED)
    {
      close (sp[0]);
      return kago_error_set (err, 0, "the monitor of %.12s answered %d", id, m.type);
    }
  if (pid)
    *pid = m.a;
  if (conn)
    *conn = sp[0];
  else
    close (sp[0]);
  return 0;
}

int
kago_parse_detach_keys (const char *s, unsigned char *out, size_t max, kago_error_t *err)
{
  if (s == NULL)
    s = "ctrl-p,ctrl-q";
  if (*s == '\0')
    return 0;
  size_t n = 0;
  cleanup_free char *copy = xstrdup (s);
  char *save = NULL;
  for (char *k = strtok_r (copy, ",", &save); k; k = strtok_r (NULL, ",", &save))
    {
      if (n == max)
        return kago_error_set (err, EINVAL, "detach keys `%s`: too long", s);
      if (strlen (k) == 1)
        out[n++] = (unsigned char) k[0];
      else if (strncmp (k, "ctrl-", 5) == 0 && strlen (k) == 6)
        {
          int c = tolower ((unsigned char) k[5]);
          if (c >= 'a' && c <= 'z')
            out[n++] = (unsigned char) (c - 'a' + 1);
          else if (c == '@')
            out[n++] = 0;
          else if (c == '[' || c == '\\' || c == ']' || c == '^' || c == '_')
            out[n++] = (unsigned char) (c - '@');
          else
            return kago_error_set (err, EINVAL, "Unknown character: '%s'", k);
        }
      else
        return kago_error_set (err, EINVAL, "Unknown character: '%s'", k);
    }
  return (int) n;
}
