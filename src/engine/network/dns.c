/* The embedded DNS resolver (see dns.h): wire format after RFC 1035, a
 * poll loop in a thread of its own, forwarding with a table of queries in
 * flight.  */
#include "engine/network/dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/network/dns_internal.h"
#include "engine/network/netlink.h"

#define HDR 12
#define UDP_MAX 512 /* RFC 1035 4.2.1: our own answers stay within it */
#define STACK_SIZE (128 * 1024)

enum
{
  RCODE_NOERROR = 0,
  RCODE_FORMERR = 1,
  RCODE_SERVFAIL = 2,
  RCODE_NOTIMP = 4,
  RCODE_REFUSED = 5,
};

enum
{
  TYPE_A = 1,
  TYPE_PTR = 12,
  TYPE_ANY = 255,
  CLASS_IN = 1,
};

/* Flags, second and third bytes of the header.  */
#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080

struct question
{
  char name[256]; /* lowercase, dots between labels, no trailing dot */
  bool plain;     /* every label printable ASCII without '.': fit for the lookup */
  uint16_t qtype, qclass;
  size_t end; /* offset just past the question */
};

uint64_t
dns_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

static void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

static void
put32 (uint8_t *p, uint32_t v)
{
  put16 (p, (uint16_t) (v >> 16));
  put16 (p + 2, (uint16_t) v);
}

static char
lower (uint8_t c)
{
  return (char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* Parsing.  */

enum
{
  PARSE_OK = 0,
  PARSE_DROP = -1,
};

/* Parse the query P (N bytes) into Q.  Returns PARSE_OK, PARSE_DROP, or
   the rcode to answer with (FORMERR, NOTIMP).  */
static int
parse_query (const uint8_t *p, size_t n, struct question *q)
{
  if (n < HDR)
    return PARSE_DROP;
  uint16_t flags = get16 (p + 2);
  if (flags & F_QR)
    return PARSE_DROP; /* a response: answering it could loop between two resolvers */
  if (((flags >> 11) & 0xf) != 0)
    return RCODE_NOTIMP;
  if (get16 (p + 4) != 1)
    return RCODE_FORMERR;

  size_t off = HDR, wire = 1, t = 0;
  q->plain = true;
  for (;;)
    {
      if (off >= n)
        return RCODE_FORMERR;
      uint8_t l = p[off++];
      if (l == 0)
        break;
      /* 0xc0: a compression pointer, 0x40 and 0x80: reserved (RFC 6891
         retired the extended label types).  */
      if (l & 0xc0)
        return RCODE_FORMERR;
      if (l > n - off)
        return RCODE_FORMERR;
      wire += (size_t) l + 1;
      if (wire > 255)
        return RCODE_FORMERR;
      if (t > 0)
        q->name[t++] = '.';
      for (size_t i = 0; i < l; i++)
        {
          uint8_t c = p[off + i];
          if (c == '.' || c <= ' ' || c >= 0x7f)
            q->plain = false;
          q->name[t++] = lower (c);
        }
      off += l;
    }
  q->name[t] = '\0'; /* wire <= 255 bounds t at 253 */
  if (t == 0)
    q->plain = false; /* the root */
  if (n - off < 4)
    return RCODE_FORMERR;
  q->qtype = get16 (p + off);
  q->qclass = get16 (p + off + 2);
  q->end = off + 4;
  return PARSE_OK;
}

/* "D.C.B.A.in-addr.arpa" (lowercase) into the address A.B.C.D, host byte
   order.  Strict: four decimal labels without leading zeros.  */
static bool
parse_reverse (const char *name, uint32_t *addr)
{
  static const char suffix[] = ".in-addr.arpa";
  size_t n = strlen (name), sl = sizeof suffix - 1;
  if (n <= sl || strcmp (name + n - sl, suffix) != 0)
    return false;
  const char *s = name, *end = name + n - sl;
  uint32_t a = 0;
  for (int i = 0; i < 4; i++)
    {
      unsigned v = 0;
      const char *d = s;
      while (s < end && *s >= '0' && *s <= '9' && s - d < 3)
        v = v * 10 + (unsigned) (*s++ - '0');
      if (s == d || v > 255 || (*d == '0' && s - d > 1))
        return false;
      a |= v << (8 * i);
      if (i < 3)
        {
          if (s >= end || *s != '.')
            return false;
          s++;
        }
    }
  if (s != end)
    return false;
  *addr = a;
  return true;
}

/* Answers.  */

/* The header of an answer to QUERY with RCODE and the counts given, into
   OUT.  */
static void
put_header (uint8_t *out, const uint8_t *query, uint16_t extra_flags, int rcode, uint16_t qd, uint16_t an)
{
  uint16_t qflags = get16 (query + 2);
  memcpy (out, query, 2); /* the id */
  put16 (out + 2, (uint16_t) (F_QR | (qflags & (0x7800 | F_RD)) | extra_flags | (rcode & 0xf)));
  put16 (out + 4, qd);
  put16 (out + 6, an);
  put16 (out + 8, 0);
  put16 (out + 10, 0);
}

static void
respond (struct kago_dns_server *s, const struct peer *to, const uint8_t *p, size_t n)
{
  if (to->conn >= 0)
    {
      dns_tcp_send (s, to, p, n);
      return;
    }
  /* From the address the query went to, whatever the socket's own source
     address is: a socket bound to 127.0.0.11 before `lo` was up sends from
     127.0.0.1, and a client that asked 127.0.0.11 drops that.  */
  union
  {
    char buf[CMSG_SPACE (sizeof (struct in_pktinfo))];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct iovec iov = { .iov_base = (void *) p, .iov_len = n };
  struct msghdr m
      = { .msg_name = (void *) &to->addr, .msg_namelen = sizeof to->addr, .msg_iov = &iov, .msg_iovlen = 1 };
  if (to->local.s_addr != 0)
    {
      m.msg_control = ctl.buf;
      m.msg_controllen = sizeof ctl.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR (&m);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN (sizeof (struct in_pktinfo));
      struct in_pktinfo pi = { .ipi_spec_dst = to->local };
      memcpy (CMSG_DATA (c), &pi, sizeof pi);
    }
  /* A client that cannot take it now is one that will ask again.  */
  (void) sendmsg (s->udp_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* An answer with no records: RCODE, the question echoed when QEND > 0.  */
static void
reply_empty (struct kago_dns_server *s, const uint8_t *query, size_t qend, int rcode, uint16_t extra_flags,
             const struct peer *to)
{
  uint8_t out[UDP_MAX];
  if (qend > sizeof out)
    qend = 0;
  put_header (out, query, extra_flags, rcode, qend > 0, 0);
  size_t n = HDR;
  if (qend > 0)
    {
      memcpy (out + HDR, query + HDR, qend - HDR);
      n = qend;
    }
  respond (s, to, out, n);
}

static uint16_t
ra_flag (const struct kago_dns_server *s)
{
  return s->n_upstreams > 0 ? F_RA : 0;
}

/* The A records of a known name.  */
static void
reply_addrs (struct kago_dns_server *s, const uint8_t *query, const struct question *q, const uint32_t *addrs,
             size_t n_addrs, const struct peer *to)
{
  uint8_t out[UDP_MAX];
  size_t n = q->end;
  uint16_t flags = F_AA | ra_flag (s), an = 0;
  if (q->qtype == TYPE_A || q->qtype == TYPE_ANY)
    for (size_t i = 0; i < n_addrs; i++)
      {
        if (n + 16 > sizeof out)
          {
            flags |= F_TC;
            break;
          }
        uint8_t *r = out + n;
        put16 (r, 0xc000 | HDR); /* the question's name */
        put16 (r + 2, TYPE_A);
        put16 (r + 4, CLASS_IN);
        put32 (r + 6, KAGO_DNS_TTL);
        put16 (r + 10, 4);
        put32 (r + 12, addrs[i]);
        n += 16;
        an++;
      }
  put_header (out, query, flags, RCODE_NOERROR, 1, an);
  memcpy (out + HDR, query + HDR, q->end - HDR);
  respond (s, to, out, n);
}

/* A PTR record: NAME (dotted, no trailing dot) as the answer.  Returns
   false when NAME cannot be encoded.  */
static bool
reply_ptr (struct kago_dns_server *s, const uint8_t *query, const struct question *q, const char *name,
           const struct peer *to)
{
  uint8_t out[UDP_MAX];
  uint8_t rdata[256];
  size_t rl = 0;
  for (const char *l = name; *l;)
    {
      size_t len = strcspn (l, ".");
      if (len == 0 || len > 63 || rl + 1 + len + 1 > 255)
        return false;
      rdata[rl++] = (uint8_t) len;
      memcpy (rdata + rl, l, len);
      rl += len;
      l += len;
      if (*l == '.')
        l++;
    }
  if (rl == 0)
    return false;
  rdata[rl++] = 0;
  if (q->end + 12 + rl > sizeof out)
    return false;
  put_header (out, query, F_AA | ra_flag (s), RCODE_NOERROR, 1, 1);
  memcpy (out + HDR, query + HDR, q->end - HDR);
  uint8_t *r = out + q->end;
  put16 (r, 0xc000 | HDR);
  put16 (r + 2, TYPE_PTR);
  put16 (r + 4, CLASS_IN);
  put32 (r + 6, KAGO_DNS_TTL);
  put16 (r + 10, (uint16_t) rl);
  memcpy (r + 12, rdata, rl);
  respond (s, to, out, q->end + 12 + rl);
  return true;
}

/* Forwarding.  */

static void
pending_free (struct pending *p)
{
  if (p->fd >= 0)
    close (p->fd);
  p->fd = -1;
  free (p->query);
  p->query = NULL;
  free (p->answer);
  p->answer = NULL;
}

static uint16_t
new_id (struct kago_dns_server *s)
{
  for (;;)
    {
      uint16_t id;
      if (getrandom (&id, sizeof id, GRND_NONBLOCK) != (ssize_t) sizeof id)
        {
          /* No entropy yet (early boot): still different from the last.  */
          static _Thread_local uint32_t x = 0x9e3779b9u;
          x ^= x << 13, x ^= x >> 17, x ^= x << 5;
          id = (uint16_t) (x ^ (uint32_t) dns_now_ms ());
        }
      bool used = false;
      for (size_t i = 0; i < KAGO_DNS_MAX_PENDING; i++)
        if (s->pending[i].fd >= 0 && s->pending[i].id == id)
          used = true;
      if (!used)
        return id;
    }
}

/* Send P's query to its current upstream from a new socket.  */
static int
send_upstream (struct kago_dns_server *s, struct pending *p)
{
  const struct kago_dns_upstream *u = &s->upstreams[p->upstream];
  struct sockaddr_in sa = { .sin_family = AF_INET,
                            .sin_port = htons (u->port ? u->port : KAGO_DNS_PORT),
                            .sin_addr.s_addr = htonl (u->addr) };
  p->id = new_id (s);
  put16 (p->query, p->id);
  p->deadline = dns_now_ms () + s->timeout_ms;
  if (p->tcp)
    return dns_tcp_upstream_connect (s, p);
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      close (fd);
      return -1;
    }
  p->fd = fd;
  p->state = UP_UDP;
  if (send (fd, p->query, p->len, MSG_NOSIGNAL) != (ssize_t) p->len)
    {
      close (fd);
      p->fd = -1;
      return -1;
    }
  return 0;
}

/* Give up on P's current upstream: the next one, or SERVFAIL.  */
static void
next_upstream (struct kago_dns_server *s, struct pending *p)
{
  if (p->fd >= 0)
    close (p->fd);
  p->fd = -1;
  free (p->answer);
  p->answer = NULL;
  while (++p->upstream < s->n_upstreams)
    if (send_upstream (s, p) == 0)
      return;
  put16 (p->query, p->client_id);
  reply_empty (s, p->query, p->qend, RCODE_SERVFAIL, ra_flag (s), &p->client);
  pending_free (p);
}

static void
forward (struct kago_dns_server *s, const uint8_t *query, size_t n, const struct question *q,
         const struct peer *from)
{
  struct pending *p = NULL;
  for (size_t i = 0; i < KAGO_DNS_MAX_PENDING && p == NULL; i++)
    if (s->pending[i].fd < 0 && s->pending[i].query == NULL)
      p = &s->pending[i];
  if (s->n_upstreams == 0 || p == NULL)
    {
      reply_empty (s, query, q->end, RCODE_SERVFAIL, ra_flag (s), from);
      return;
    }
  p->query = xmalloc (n);
  memcpy (p->query, query, n);
  p->len = n;
  p->qend = q->end;
  p->client_id = get16 (query);
  p->client = *from;
  p->tcp = from->conn >= 0;
  p->upstream = 0;
  if (send_upstream (s, p) < 0)
    next_upstream (s, p);
}

static bool
same_question (const uint8_t *a, const uint8_t *b, size_t qend)
{
  for (size_t i = HDR; i < qend; i++)
    if (lower (a[i]) != lower (b[i]))
      return false;
  return true;
}

/* What P's upstream sent.  */
static void
on_upstream (struct kago_dns_server *s, struct pending *p, short revents)
{
  uint8_t *r;
  size_t len;
  if (p->tcp)
    {
      int k = dns_tcp_upstream_io (p, revents);
      if (k < 0)
        next_upstream (s, p);
      if (k <= 0)
        return;
      r = p->answer + 2;
      len = get16 (p->answer);
    }
  else
    {
      ssize_t n = recv (p->fd, s->buf, 65536, MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno != EAGAIN && errno != EINTR)
            next_upstream (s, p); /* ECONNREFUSED: nothing listens there */
          return;
        }
      r = s->buf;
      len = (size_t) n;
    }
  /* The connected socket sees only the upstream's address; the id and the
     question must match too, or it is not the answer (a spoof, or a late
     answer to a query the socket no longer asks).  */
  if (len < p->qend || get16 (r) != p->id || !(get16 (r + 2) & F_QR) || get16 (r + 4) != 1
      || !same_question (r, p->query, p->qend))
    {
      if (p->tcp)
        next_upstream (s, p); /* a TCP stream carries only this answer */
      return;
    }
  int rcode = get16 (r + 2) & 0xf;
  if ((rcode == RCODE_SERVFAIL || rcode == RCODE_REFUSED) && p->upstream + 1 < s->n_upstreams)
    {
      next_upstream (s, p);
      return;
    }
  put16 (r, p->client_id);
  respond (s, &p->client, r, len);
  pending_free (p);
}

/* A query from a client.  */
void
dns_query (struct kago_dns_server *s, const uint8_t *query, size_t n, const struct peer *from)
{
  struct question q;
  int r = parse_query (query, n, &q);
  if (r == PARSE_DROP)
    return;
  if (r != PARSE_OK)
    {
      reply_empty (s, query, 0, r, ra_flag (s), from);
      return;
    }
  if (q.plain && q.qclass == CLASS_IN)
    {
      uint32_t ptr_addr;
      if (q.qtype == TYPE_PTR && s->reverse != NULL && parse_reverse (q.name, &ptr_addr))
        {
          char name[256];
          int k = s->reverse (ptr_addr, name, sizeof name, s->arg);
          name[sizeof name - 1] = '\0';
          if (k < 0 || (k > 0 && !reply_ptr (s, query, &q, name, from)))
            reply_empty (s, query, q.end, RCODE_SERVFAIL, ra_flag (s), from);
          if (k != 0)
            return;
        }
      else
        {
          uint32_t addrs[KAGO_DNS_MAX_ADDRS];
          int k = s->lookup (q.name, addrs, KAGO_DNS_MAX_ADDRS, s->arg);
          if (k < 0)
            {
              reply_empty (s, query, q.end, RCODE_SERVFAIL, ra_flag (s), from);
              return;
            }
          if (k > 0)
            {
              reply_addrs (s, query, &q, addrs, k > KAGO_DNS_MAX_ADDRS ? KAGO_DNS_MAX_ADDRS : (size_t) k,
                           from);
              return;
            }
        }
    }
  forward (s, query, n, &q, from);
}

/* The thread.  */

static void
drain_queries (struct kago_dns_server *s)
{
  /* A bounded batch, so that answers from upstreams are not starved.  */
  for (int i = 0; i < 64; i++)
    {
      struct peer from = { .local.s_addr = 0, .conn = -1 };
      union
      {
        char buf[CMSG_SPACE (sizeof (struct in_pktinfo))];
        struct cmsghdr align;
      } ctl;
      struct iovec iov = { .iov_base = s->buf, .iov_len = 65536 };
      struct msghdr m = { .msg_name = &from.addr,
                          .msg_namelen = sizeof from.addr,
                          .msg_iov = &iov,
                          .msg_iovlen = 1,
                          .msg_control = ctl.buf,
                          .msg_controllen = sizeof ctl.buf };
      ssize_t n = recvmsg (s->udp_fd, &m, MSG_DONTWAIT);
      if (n < 0)
        return;
      if (m.msg_namelen != sizeof from.addr || from.addr.sin_family != AF_INET || (m.msg_flags & MSG_TRUNC))
        continue;
      for (struct cmsghdr *c = CMSG_FIRSTHDR (&m); c; c = CMSG_NXTHDR (&m, c))
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO
            && c->cmsg_len >= CMSG_LEN (sizeof (struct in_pktinfo)))
          {
            struct in_pktinfo pi;
            memcpy (&pi, CMSG_DATA (c), sizeof pi);
            from.local = pi.ipi_addr;
          }
      dns_query (s, s->buf, (size_t) n, &from);
    }
}

static void *
server_thread (void *arg)
{
  struct kago_dns_server *s = arg;
  struct pollfd pfd[3 + DNS_MAX_TCP + KAGO_DNS_MAX_PENDING];
  /* What pfd[3 + i] is: a connection (< DNS_MAX_TCP) or a pending query.  */
  size_t slot[DNS_MAX_TCP + KAGO_DNS_MAX_PENDING];
  for (;;)
    {
      size_t nfd = 3;
      uint64_t now = dns_now_ms (), next = UINT64_MAX;
      pfd[0] = (struct pollfd){ .fd = s->stop_fd, .events = POLLIN };
      pfd[1] = (struct pollfd){ .fd = s->udp_fd, .events = POLLIN };
      pfd[2] = (struct pollfd){ .fd = s->tcp_fd, .events = POLLIN }; /* -1: ignored by poll */
      for (size_t i = 0; i < DNS_MAX_TCP; i++)
        {
          struct tcp_conn *c = &s->conns[i];
          if (c->fd < 0)
            continue;
          slot[nfd - 3] = i;
          pfd[nfd++] = (struct pollfd){ .fd = c->fd, .events = POLLIN | (c->out_len ? POLLOUT : 0) };
          if (c->deadline < next)
            next = c->deadline;
        }
      for (size_t i = 0; i < KAGO_DNS_MAX_PENDING; i++)
        {
          struct pending *p = &s->pending[i];
          if (p->fd < 0)
            continue;
          bool out = p->state == UP_TCP_CONNECTING || p->state == UP_TCP_WRITING;
          slot[nfd - 3] = DNS_MAX_TCP + i;
          pfd[nfd++] = (struct pollfd){ .fd = p->fd, .events = out ? POLLOUT : POLLIN };
          if (p->deadline < next)
            next = p->deadline;
        }
      int timeout = next == UINT64_MAX ? -1 : next <= now ? 0 : (int) (next - now);
      int r = poll (pfd, nfd, timeout);
      if (r < 0 && errno != EINTR)
        break; /* cannot happen with valid fds; do not spin */
      if (r > 0 && pfd[0].revents)
        break;
      if (r > 0)
        {
          if (pfd[1].revents)
            drain_queries (s);
          if (pfd[2].revents)
            dns_tcp_accept (s);
          for (size_t j = 3; j < nfd; j++)
            {
              if (pfd[j].revents == 0)
                continue;
              /* Handling one may have closed, freed or reused another's
                 slot: only one whose fd is still the one polled.  */
              if (slot[j - 3] < DNS_MAX_TCP)
                {
                  struct tcp_conn *c = &s->conns[slot[j - 3]];
                  if (c->fd == pfd[j].fd)
                    dns_tcp_conn_io (s, c, pfd[j].revents);
                }
              else
                {
                  struct pending *p = &s->pending[slot[j - 3] - DNS_MAX_TCP];
                  if (p->fd == pfd[j].fd)
                    on_upstream (s, p, pfd[j].revents);
                }
            }
        }
      now = dns_now_ms ();
      for (size_t i = 0; i < KAGO_DNS_MAX_PENDING; i++)
        if (s->pending[i].fd >= 0 && s->pending[i].deadline <= now)
          next_upstream (s, &s->pending[i]);
      for (size_t i = 0; i < DNS_MAX_TCP; i++)
        if (s->conns[i].fd >= 0 && s->conns[i].deadline <= now)
          dns_tcp_conn_close (&s->conns[i]);
    }
  return NULL;
}

/* Is FD a socket of TYPE (listening when LISTENING)?  */
static bool
socket_of_type (int fd, int type, bool listening)
{
  int v = 0;
  socklen_t l = sizeof v;
  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &v, &l) < 0 || v != type)
    return false;
  l = sizeof v;
  return !listening || (getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 && v == 1);
}

int
kago_dns_start (const struct kago_dns_config *cfg, struct kago_dns_server **out, kago_error_t *err)
{
  if (cfg->lookup == NULL || cfg->n_upstreams > KAGO_DNS_MAX_UPSTREAMS)
    return kago_error_set (err, EINVAL, "start the DNS resolver: invalid configuration");
  if (!socket_of_type (cfg->udp_fd, SOCK_DGRAM, false))
    return kago_error_set (err, EINVAL, "start the DNS resolver: fd %d is not a UDP socket", cfg->udp_fd);
  if (cfg->tcp_fd != -1 && !socket_of_type (cfg->tcp_fd, SOCK_STREAM, true))
    return kago_error_set (
        err, EINVAL, "start the DNS resolver: fd %d is not a listening TCP socket (-1: none)", cfg->tcp_fd);
  struct kago_dns_server *s = xzalloc (sizeof *s);
  s->udp_fd = cfg->udp_fd;
  s->tcp_fd = cfg->tcp_fd;
  memcpy (s->upstreams, cfg->upstreams, sizeof s->upstreams);
  s->n_upstreams = cfg->n_upstreams;
  s->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : KAGO_DNS_TIMEOUT_MS;
  s->lookup = cfg->lookup;
  s->reverse = cfg->reverse;
  s->arg = cfg->arg;
  for (size_t i = 0; i < KAGO_DNS_MAX_PENDING; i++)
    s->pending[i].fd = -1;
  for (size_t i = 0; i < DNS_MAX_TCP; i++)
    s->conns[i].fd = -1;
  s->stop_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->stop_fd < 0)
    {
      kago_error_set (err, errno, "start the DNS resolver: eventfd");
      free (s);
      return -1;
    }
  int fl = fcntl (s->udp_fd, F_GETFL), tfl = s->tcp_fd < 0 ? 0 : fcntl (s->tcp_fd, F_GETFL);
  if (fl < 0 || fcntl (s->udp_fd, F_SETFL, fl | O_NONBLOCK) < 0 || tfl < 0
      || (s->tcp_fd >= 0 && fcntl (s->tcp_fd, F_SETFL, tfl | O_NONBLOCK) < 0))
    {
      kago_error_set (err, errno, "start the DNS resolver: the listening socket");
      close (s->stop_fd);
      free (s);
      return -1;
    }
  s->buf = xmalloc (65536);

  pthread_attr_t attr;
  pthread_attr_init (&attr);
  size_t stack = STACK_SIZE;
  if (stack < (size_t) PTHREAD_STACK_MIN)
    stack = PTHREAD_STACK_MIN;
  pthread_attr_setstacksize (&attr, stack);
  /* Signals stay with the monitor's own thread.  */
  sigset_t all, old;
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  int r = pthread_create (&s->thread, &attr, server_thread, s);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  pthread_attr_destroy (&attr);
  if (r != 0)
    {
      kago_error_set (err, r, "start the DNS resolver's thread");
      close (s->stop_fd);
      free (s->buf);
      free (s);
      return -1;
    }
  *out = s;
  return 0;
}

void
kago_dns_stop (struct kago_dns_server *s)
{
  if (s == NULL)
    return;
  uint64_t one = 1;
  /* An eventfd's counter cannot overflow from one write.  */
  while (write (s->stop_fd, &one, sizeof one) < 0 && errno == EINTR)
    ;
  pthread_join (s->thread, NULL);
  for (size_t i = 0; i < KAGO_DNS_MAX_PENDING; i++)
    pending_free (&s->pending[i]);
  for (size_t i = 0; i < DNS_MAX_TCP; i++)
    dns_tcp_conn_close (&s->conns[i]);
  close (s->stop_fd);
  close (s->udp_fd);
  if (s->tcp_fd >= 0)
    close (s->tcp_fd);
  free (s->buf);
  free (s);
}
