/* The embedded resolver's sockets and configuration (see dns.h): the
   listening sockets, in the caller's namespace or a container's, and the
   upstreams of a resolv.conf.  */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/network/dns.h"
#include "engine/network/netlink.h"

static int
bind_socket (int type, uint32_t addr, uint16_t port, int *out, kago_error_t *err)
{
  struct sockaddr_in sa
      = { .sin_family = AF_INET, .sin_port = htons (port), .sin_addr.s_addr = htonl (addr) };
  char a[INET_ADDRSTRLEN];
  inet_ntop (AF_INET, &sa.sin_addr, a, sizeof a);
  const char *proto = type == SOCK_DGRAM ? "UDP" : "TCP";
  int fd = socket (AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return kago_error_set (err, errno, "DNS: %s socket", proto);
  int one = 1;
  /* UDP: IP_PKTINFO, the address each query went to, to answer from it.
     TCP: SO_REUSEADDR, so that a restarted container's resolver binds
     while connections of the last one are in TIME_WAIT.  */
  int r = type == SOCK_DGRAM ? setsockopt (fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one)
                             : setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (r < 0 || bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0
      || (type == SOCK_STREAM && listen (fd, 16) < 0))
    {
      int e = errno;
      close (fd);
      return kago_error_set (err, e, "DNS: bind %s %s:%u", proto, a, (unsigned) port);
    }
  *out = fd;
  return 0;
}

int
kago_dns_listen (uint32_t addr, uint16_t port, int *udp_fd, int *tcp_fd, kago_error_t *err)
{
  /* With PORT 0 and TCP: the port the kernel gave the UDP socket may be
     taken for TCP (another connection's local port): another try.  */
  for (int attempt = 0;; attempt++)
    {
      int u = -1;
      if (bind_socket (SOCK_DGRAM, addr, port, &u, err) < 0)
        return -1;
      if (tcp_fd == NULL)
        {
          *udp_fd = u;
          return 0;
        }
      struct sockaddr_in sa;
      socklen_t l = sizeof sa;
      if (getsockname (u, (struct sockaddr *) &sa, &l) < 0)
        {
          int e = errno;
          close (u);
          return kago_error_set (err, e, "DNS: getsockname");
        }
      if (bind_socket (SOCK_STREAM, addr, ntohs (sa.sin_port), tcp_fd, err) == 0)
        {
          *udp_fd = u;
          return 0;
        }
      close (u);
      if (port != 0 || (*err)->errnum != EADDRINUSE || attempt == 15)
        return -1;
      kago_error_release (err);
    }
}

struct listen_job
{
  int udp, tcp;
  bool want_tcp;
};

static int
listen_in_ns (void *arg, kago_error_t *err)
{
  struct listen_job *j = arg;
  return kago_dns_listen (KAGO_DNS_ADDR, KAGO_DNS_PORT, &j->udp, j->want_tcp ? &j->tcp : NULL, err);
}

int
kago_dns_listen_netns (int netns_fd, int *udp_fd, int *tcp_fd, kago_error_t *err)
{
  struct listen_job j = { .udp = -1, .tcp = -1, .want_tcp = tcp_fd != NULL };
  if (kago_netns_run (netns_fd, listen_in_ns, &j, err) < 0)
    return -1;
  *udp_fd = j.udp;
  if (tcp_fd)
    *tcp_fd = j.tcp;
  return 0;
}

size_t
kago_dns_upstreams_from_resolv_conf (const char *text, struct kago_dns_upstream *out, size_t max,
                                     size_t *skipped)
{
  size_t n = 0, skip = 0;
  for (const char *line = text; line && *line;)
    {
      const char *eol = strchr (line, '\n');
      size_t len = eol ? (size_t) (eol - line) : strlen (line);
      const char *p = line, *end = line + len;
      line = eol ? eol + 1 : NULL;
      while (p < end && (*p == ' ' || *p == '\t'))
        p++;
      static const char kw[] = "nameserver";
      size_t kl = sizeof kw - 1;
      if ((size_t) (end - p) <= kl || memcmp (p, kw, kl) != 0 || (p[kl] != ' ' && p[kl] != '\t'))
        continue;
      p += kl;
      while (p < end && (*p == ' ' || *p == '\t'))
        p++;
      size_t al = 0;
      while (p + al < end && p[al] != ' ' && p[al] != '\t' && p[al] != '\r' && p[al] != '#' && p[al] != ';')
        al++;
      char a[64];
      struct in_addr ia;
      if (al == 0)
        continue;
      if (al >= sizeof a)
        {
          skip++;
          continue;
        }
      memcpy (a, p, al);
      a[al] = '\0';
      if (inet_pton (AF_INET, a, &ia) != 1)
        {
          skip++; /* IPv6 (or not an address) */
          continue;
        }
      if (n < max)
        out[n++] = (struct kago_dns_upstream){ .addr = ntohl (ia.s_addr), .port = 0 };
    }
  if (skipped)
    *skipped = skip;
  return n;
}
