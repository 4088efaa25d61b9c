/* The embedded resolver over TCP (RFC 1035 4.2.2, RFC 7766): each message
 * preceded by its length in two bytes.  Clients' connections (several
 * queries each, answered in any order) and, for a query that came over
 * TCP, the exchange with the upstream over TCP too: a client falls back to
 * TCP for an answer too large for UDP, which the upstream would truncate
 * again over UDP.  */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/network/dns_internal.h"

void
dns_tcp_conn_close (struct tcp_conn *c)
{
  if (c->fd >= 0)
    close (c->fd);
  c->fd = -1;
  free (c->in);
  free (c->out);
  c->in = c->out = NULL;
  c->have = c->out_len = c->out_off = 0;
}

void
dns_tcp_accept (struct kago_dns_server *s)
{
  for (int k = 0; k < DNS_MAX_TCP; k++)
    {
      int fd = accept4 (s->tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        return;
      struct tcp_conn *c = NULL;
      for (size_t i = 0; i < DNS_MAX_TCP && c == NULL; i++)
        if (s->conns[i].fd < 0)
          c = &s->conns[i];
      if (c == NULL)
        {
          close (fd); /* the client tries again, or over UDP */
          continue;
        }
      c->fd = fd;
      c->gen = ++s->next_gen;
      c->in = xmalloc (2 + DNS_TCP_QUERY_MAX);
      c->have = 0;
      c->deadline = dns_now_ms () + DNS_TCP_IDLE_MS;
    }
}

/* Send what is queued.  Returns -1 when the connection is to be closed.  */
static int
flush (struct tcp_conn *c)
{
  while (c->out_off < c->out_len)
    {
      ssize_t n = send (c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
      c->out_off += (size_t) n;
    }
  c->out_off = c->out_len = 0;
  return 0;
}

void
dns_tcp_send (struct kago_dns_server *s, const struct peer *to, const uint8_t *p, size_t n)
{
  struct tcp_conn *c = &s->conns[to->conn];
  if (c->fd < 0 || c->gen != to->gen || n > 65535)
    return; /* the client went away */
  if (c->out_len + 2 + n > DNS_TCP_OUT_MAX)
    {
      dns_tcp_conn_close (c); /* it does not read its answers */
      return;
    }
  c->out = xrealloc (c->out, c->out_len + 2 + n);
  c->out[c->out_len] = (uint8_t) (n >> 8);
  c->out[c->out_len + 1] = (uint8_t) n;
  memcpy (c->out + c->out_len + 2, p, n);
  c->out_len += 2 + n;
  c->deadline = dns_now_ms () + DNS_TCP_IDLE_MS;
  if (flush (c) < 0)
    dns_tcp_conn_close (c);
}

void
dns_tcp_conn_io (struct kago_dns_server *s, struct tcp_conn *c, short revents)
{
  if ((revents & POLLOUT) && flush (c) < 0)
    {
      dns_tcp_conn_close (c);
      return;
    }
  if (!(revents & (POLLIN | POLLHUP | POLLERR)))
    return;
  ssize_t n = recv (c->fd, c->in + c->have, 2 + DNS_TCP_QUERY_MAX - c->have, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    {
      /* The end (or an error).  Answers still to come for it are dropped:
         a client closes once it has what it asked.  */
      dns_tcp_conn_close (c);
      return;
    }
  c->have += (size_t) n;
  c->deadline = dns_now_ms () + DNS_TCP_IDLE_MS;
  uint32_t gen = c->gen;
  size_t idx = (size_t) (c - s->conns);
  size_t off = 0;
  while (c->fd >= 0 && c->gen == gen && c->have - off >= 2)
    {
      size_t len = (size_t) c->in[off] << 8 | c->in[off + 1];
      if (len > DNS_TCP_QUERY_MAX)
        {
          dns_tcp_conn_close (c);
          return;
        }
      if (c->have - off < 2 + len)
        break;
      struct peer from = { .conn = (int) idx, .gen = gen };
      /* May answer at once, and an answer may close C (its queue full).  */
      dns_query (s, c->in + off + 2, len, &from);
      off += 2 + len;
    }
  if (c->fd < 0 || c->gen != gen)
    return;
  memmove (c->in, c->in + off, c->have - off);
  c->have -= off;
}

int
dns_tcp_upstream_connect (struct kago_dns_server *s, struct pending *p)
{
  const struct kago_dns_upstream *u = &s->upstreams[p->upstream];
  struct sockaddr_in sa = { .sin_family = AF_INET,
                            .sin_port = htons (u->port ? u->port : KAGO_DNS_PORT),
                            .sin_addr.s_addr = htonl (u->addr) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0 && errno != EINPROGRESS)
    {
      close (fd);
      return -1;
    }
  p->fd = fd;
  p->state = UP_TCP_CONNECTING;
  p->done = 0;
  return 0;
}

int
dns_tcp_upstream_io (struct pending *p, short revents)
{
  if (p->state == UP_TCP_CONNECTING)
    {
      int e = 0;
      socklen_t l = sizeof e;
      if (getsockopt (p->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e != 0)
        return -1; /* refused, unreachable */
      p->state = UP_TCP_WRITING;
    }
  if (p->state == UP_TCP_WRITING)
    {
      /* The length and the query, from where the last write stopped.  */
      uint8_t len[2] = { (uint8_t) (p->len >> 8), (uint8_t) p->len };
      struct iovec iov[2]
          = { { len + (p->done < 2 ? p->done : 2), p->done < 2 ? 2 - p->done : 0 },
              { p->query + (p->done > 2 ? p->done - 2 : 0), p->len - (p->done > 2 ? p->done - 2 : 0) } };
      struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
      ssize_t n = sendmsg (p->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
      p->done += (size_t) n;
      if (p->done < 2 + p->len)
        return 0;
      p->state = UP_TCP_READING;
      p->done = 0;
      p->answer = xmalloc (2);
      return 0;
    }
  if (!(revents & (POLLIN | POLLHUP | POLLERR)))
    return 0;
  /* The length first, then the answer whole.  */
  size_t want = p->done < 2 ? 2 : 2 + ((size_t) p->answer[0] << 8 | p->answer[1]);
  ssize_t n = recv (p->fd, p->answer + p->done, want - p->done, MSG_DONTWAIT);
  if (n < 0)
    return errno == EAGAIN || errno == EINTR ? 0 : -1;
  if (n == 0)
    return -1; /* closed before the whole answer */
  p->done += (size_t) n;
  if (p->done == 2)
    {
      size_t len = (size_t) p->answer[0] << 8 | p->answer[1];
      if (len < 12)
        return -1;
      p->answer = xrealloc (p->answer, 2 + len);
      return 0;
    }
  return p->done == want ? 1 : 0;
}
