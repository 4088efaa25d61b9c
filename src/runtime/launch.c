/* Process model: the parent clones the container init with clone3 (the new
   namespaces, and CLONE_INTO_CGROUP where the hierarchy allows), and the two
   talk over a SOCK_SEQPACKET pair.  A failure in the child travels back as
   {errno, message}, so the user sees one clear line.  */
#include "runtime/core.h"

#include <errno.h>
#include <stddef.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/syscalls.h"

static size_t
msg_size (int type)
{
  return type == SYNC_ERROR ? sizeof (struct kago_sync_msg) : offsetof (struct kago_sync_msg, err);
}

int
kago_sync_send (int fd, int type, int pid, kago_error_t *err)
{
  struct kago_sync_msg m;
  m.type = type;
  m.pid = pid;
  ssize_t r;
  do
    r = send (fd, &m, msg_size (type), MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return kago_error_set (err, errno, "sync: send");
  return 0;
}

int
kago_sync_send_error (int fd, const kago_error_t e)
{
  struct kago_sync_msg m;
  m.type = SYNC_ERROR;
  m.pid = 0;
  kago_error_to_wire (e, &m.err);
  ssize_t r;
  do
    r = send (fd, &m, sizeof m, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int
kago_sync_expect (int fd, int want, struct kago_sync_msg *out, kago_error_t *err)
{
  struct kago_sync_msg m;
  ssize_t r;
  do
    r = recv (fd, &m, sizeof m, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return kago_error_set (err, errno, "sync: receive");
  if (r == 0)
    return kago_error_set (err, 0, "the container init exited unexpectedly");
  if (m.type == SYNC_ERROR)
    return kago_error_from_wire (err, &m.err);
  if (m.type != want)
    return kago_error_set (err, 0, "sync: unexpected message %d (wanted %d)", m.type, want);
  if (out)
    *out = m;
  return 0;
}

int
kago_sync_send_fds (int fd, int type, const int *fds, size_t n, kago_error_t *err)
{
  struct kago_sync_msg m;
  memset (&m, 0, offsetof (struct kago_sync_msg, err));
  m.type = type;
  struct iovec iov = { .iov_base = &m, .iov_len = msg_size (type) };
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * KAGO_SYNC_MAX_FDS)];
    struct cmsghdr align;
  } u;
  struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (n > KAGO_SYNC_MAX_FDS)
    return kago_error_set (err, E2BIG, "sync: too many fds");
  if (n)
    {
      memset (&u, 0, sizeof u);
      h.msg_control = u.buf;
      h.msg_controllen = CMSG_SPACE (sizeof (int) * n);
      struct cmsghdr *c = CMSG_FIRSTHDR (&h);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int) * n);
      memcpy (CMSG_DATA (c), fds, sizeof (int) * n);
    }
  ssize_t r;
  do
    r = sendmsg (fd, &h, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return kago_error_set (err, errno, "sync: send");
  return 0;
}

int
kago_sync_recv_any (int fd, struct kago_sync_msg *m, int *fds, size_t max, size_t *n, kago_error_t *err)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * KAGO_SYNC_MAX_FDS)];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
  struct msghdr h
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  *n = 0;
  ssize_t r;
  do
    r = recvmsg (fd, &h, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return kago_error_set (err, errno, "sync: receive");
  if (r == 0)
    return 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&h); c; c = CMSG_NXTHDR (&h, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        size_t k = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        for (size_t i = 0; i < k; i++)
          {
            int got;
            memcpy (&got, CMSG_DATA (c) + i * sizeof (int), sizeof got);
            if (*n < max)
              fds[(*n)++] = got;
            else
              close (got);
          }
      }
  return 1;
}

int
kago_sync_expect_fds (int fd, int want, int *fds, size_t max, size_t *n, kago_error_t *err)
{
  struct kago_sync_msg m;
  int r = kago_sync_recv_any (fd, &m, fds, max, n, err);
  if (r < 0)
    return -1;
  if (r == 0)
    return kago_error_set (err, 0, "the container runtime went away during create");
  if (m.type == SYNC_ERROR || m.type != want)
    {
      for (size_t i = 0; i < *n; i++)
        close (fds[i]);
      *n = 0;
      if (m.type == SYNC_ERROR)
        return kago_error_from_wire (err, &m.err);
      return kago_error_set (err, 0, "sync: unexpected message %d (wanted %d)", m.type, want);
    }
  return 0;
}

pid_t
kago_launch_clone (struct kago_launch *l, struct kago_cgroup *cg, kago_error_t *err)
{
  struct kago_clone_args a;
  memset (&a, 0, sizeof a);
  a.flags = (uint64_t) (unsigned) l->ns.clone_flags;
  a.exit_signal = SIGCHLD;
  int cgfd = cg ? kago_cgroup_clone_fd (cg) : -1;
  if (cgfd >= 0)
    {
      a.flags |= CLONE_INTO_CGROUP;
      a.cgroup = (uint64_t) cgfd;
    }
  long pid = kago_clone3 (&a, sizeof a);
  l->cloned_into_cgroup = pid >= 0 && cgfd >= 0;
  if (pid < 0
      && (errno == ENOSYS || errno == E2BIG || (cgfd >= 0 && (errno == EOPNOTSUPP || errno == EBUSY))))
    {
      /* Old kernel, or the cgroup refuses CLONE_INTO_CGROUP: plain clone; the
         parent moves the child into the cgroup afterwards (kago_cgroup_enter
         is idempotent).  */
      pid = syscall (SYS_clone, (unsigned long) l->ns.clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
    }
  if (pid < 0)
    return kago_error_set (err, errno, "clone the container init (namespace flags 0x%x)", l->ns.clone_flags);
  if (pid == 0)
    kago_init_main (l);
  l->pid = (pid_t) pid;
  return (pid_t) pid;
}
