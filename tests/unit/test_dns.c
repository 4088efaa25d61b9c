/* The embedded DNS resolver (src/engine/network/dns.h) on loopback: the
   server listens on a 127.0.0.1 socket of the test's, fake upstreams are
   UDP sockets of the test's on 127.0.0.1, and the queries are built by
   hand.  */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/network/dns.h"
#include "tap.h"

#define IP(a, b, c, d) ((uint32_t) (a) << 24 | (uint32_t) (b) << 16 | (uint32_t) (c) << 8 | (uint32_t) (d))

static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_lookup[256];
static int n_lookups;

/* The names of the test's "networks".  */
static int
lookup (const char *name, uint32_t *addrs, size_t max, void *arg)
{
  (void) arg;
  pthread_mutex_lock (&names_lock);
  snprintf (last_lookup, sizeof last_lookup, "%s", name);
  n_lookups++;
  pthread_mutex_unlock (&names_lock);
  if (strcmp (name, "web") == 0 || strcmp (name, "web.mynet") == 0)
    {
      addrs[0] = IP (10, 0, 0, 2);
      addrs[1] = IP (10, 0, 0, 3);
      return 2;
    }
  if (strcmp (name, "db") == 0)
    {
      addrs[0] = IP (10, 0, 0, 4);
      return 1;
    }
  if (strcmp (name, "many") == 0)
    {
      size_t i;
      for (i = 0; i < max && i < 40; i++)
        addrs[i] = IP (10, 0, 1, i + 1);
      return (int) i;
    }
  if (strcmp (name, "boom") == 0)
    return -1;
  return 0;
}

static int
reverse (uint32_t addr, char *name, size_t size, void *arg)
{
  (void) arg;
  if (addr == IP (10, 0, 0, 2))
    {
      snprintf (name, size, "web.mynet");
      return 1;
    }
  return 0;
}

static char *
last_name (void)
{
  static char copy[256];
  pthread_mutex_lock (&names_lock);
  memcpy (copy, last_lookup, sizeof copy);
  pthread_mutex_unlock (&names_lock);
  return copy;
}

static uint16_t
port_of (int fd)
{
  struct sockaddr_in sa;
  socklen_t l = sizeof sa;
  if (getsockname (fd, (struct sockaddr *) &sa, &l) < 0)
    return 0;
  return ntohs (sa.sin_port);
}

/* A UDP socket on 127.0.0.1, any port, and with TCP a listening TCP
   socket on the same port.  */
static int
loopback_sockets (int *tcp)
{
  kago_error_t err = NULL;
  int fd = -1;
  if (kago_dns_listen (IP (127, 0, 0, 1), 0, &fd, tcp, &err) < 0)
    {
      printf ("# listen: %s\n", err->msg);
      fflush (stdout);
      kago_error_release (&err);
      return -1;
    }
  return fd;
}

static int
loopback_socket (void)
{
  return loopback_sockets (NULL);
}

struct fixture
{
  struct kago_dns_server *server;
  int client;    /* connected to the server */
  uint16_t port; /* the server's */
};

/* A server with N upstreams at the loopback ports PORTS.  */
static int
fixture_start (struct fixture *f, const uint16_t *ports, size_t n, unsigned timeout_ms)
{
  f->server = NULL;
  f->client = -1;
  struct kago_dns_config cfg = { .lookup = lookup, .reverse = reverse, .timeout_ms = timeout_ms };
  cfg.udp_fd = loopback_sockets (&cfg.tcp_fd);
  if (cfg.udp_fd < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    cfg.upstreams[i] = (struct kago_dns_upstream){ .addr = IP (127, 0, 0, 1), .port = ports[i] };
  cfg.n_upstreams = n;
  f->port = port_of (cfg.udp_fd);
  kago_error_t err = NULL;
  if (kago_dns_start (&cfg, &f->server, &err) < 0)
    {
      printf ("# start: %s\n", err->msg);
      kago_error_release (&err);
      close (cfg.udp_fd);
      close (cfg.tcp_fd);
      return -1;
    }
  f->client = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa
      = { .sin_family = AF_INET, .sin_port = htons (f->port), .sin_addr.s_addr = htonl (IP (127, 0, 0, 1)) };
  if (connect (f->client, (struct sockaddr *) &sa, sizeof sa) < 0)
    return -1;
  return 0;
}

static void
fixture_stop (struct fixture *f)
{
  kago_dns_stop (f->server);
  if (f->client >= 0)
    close (f->client);
}

/* A query for NAME (dotted, as given: its case is kept) of type QTYPE.  */
static size_t
make_query (uint8_t *q, uint16_t id, const char *name, uint16_t qtype)
{
  memset (q, 0, 12);
  q[0] = (uint8_t) (id >> 8), q[1] = (uint8_t) id;
  q[2] = 0x01; /* RD */
  q[5] = 1;    /* QDCOUNT */
  size_t n = 12;
  while (*name)
    {
      size_t l = strcspn (name, ".");
      q[n++] = (uint8_t) l;
      memcpy (q + n, name, l);
      n += l;
      name += l;
      if (*name == '.')
        name++;
    }
  q[n++] = 0;
  q[n++] = (uint8_t) (qtype >> 8), q[n++] = (uint8_t) qtype;
  q[n++] = 0, q[n++] = 1; /* IN */
  return n;
}

/* What arrives on FD within MS milliseconds: its length, or -1.  */
static ssize_t
recv_within (int fd, uint8_t *buf, size_t size, int ms, struct sockaddr_in *from)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  if (poll (&p, 1, ms) != 1)
    return -1;
  socklen_t l = sizeof *from;
  return from ? recvfrom (fd, buf, size, 0, (struct sockaddr *) from, &l) : recv (fd, buf, size, 0);
}

static uint16_t
g16 (const uint8_t *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t
g32 (const uint8_t *p)
{
  return (uint32_t) g16 (p) << 16 | g16 (p + 2);
}

#define RCODE(r) ((r)[3] & 0xf)
#define QR(r) (((r)[2] & 0x80) != 0)
#define AA(r) (((r)[2] & 0x04) != 0)
#define TC(r) (((r)[2] & 0x02) != 0)
#define ANCOUNT(r) g16 ((r) + 6)

/* Send Q and return the answer's length (-1: none within MS).  */
static ssize_t
ask (struct fixture *f, const uint8_t *q, size_t n, uint8_t *r, int ms)
{
  if (send (f->client, q, n, 0) != (ssize_t) n)
    return -1;
  return recv_within (f->client, r, 4096, ms, NULL);
}

TEST (known_name_two_addresses)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  uint8_t q[512], r[4096];
  size_t qn = make_query (q, 0x1234, "web", 1);
  ssize_t n = ask (&f, q, qn, r, 2000);
  CHECK (n == (ssize_t) qn + 32);
  if (n == (ssize_t) qn + 32)
    {
      CHECK (g16 (r) == 0x1234);
      CHECK (QR (r) && AA (r) && !TC (r));
      CHECK (r[2] & 0x01); /* RD echoed */
      CHECK (RCODE (r) == 0);
      CHECK (g16 (r + 4) == 1 && ANCOUNT (r) == 2 && g16 (r + 8) == 0 && g16 (r + 10) == 0);
      CHECK (memcmp (r + 12, q + 12, qn - 12) == 0);
      for (int i = 0; i < 2; i++)
        {
          const uint8_t *a = r + qn + 16 * i;
          CHECK (g16 (a) == 0xc00c && g16 (a + 2) == 1 && g16 (a + 4) == 1);
          CHECK (g32 (a + 6) == 600 && g16 (a + 10) == 4);
          CHECK (g32 (a + 12) == IP (10, 0, 0, 2 + i));
        }
    }
  CHECK_STR (last_name (), "web");
  fixture_stop (&f);
}

TEST (name_matched_case_insensitively)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  uint8_t q[512], r[4096];
  size_t qn = make_query (q, 7, "WeB.MyNeT", 1);
  ssize_t n = ask (&f, q, qn, r, 2000);
  CHECK (n == (ssize_t) qn + 32);
  CHECK_STR (last_name (), "web.mynet");
  /* The question comes back as it was asked (clients may check the case).  */
  CHECK (n > 0 && memcmp (r + 12, q + 12, qn - 12) == 0);
  CHECK (n > 0 && ANCOUNT (r) == 2 && RCODE (r) == 0);
  fixture_stop (&f);
}

TEST (known_name_other_types_answer_empty)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  uint8_t q[512], r[4096];
  uint16_t types[] = { 28 /* AAAA */, 15 /* MX */, 16 /* TXT */ };
  for (size_t i = 0; i < 3; i++)
    {
      size_t qn = make_query (q, (uint16_t) (100 + i), "db", types[i]);
      ssize_t n = ask (&f, q, qn, r, 2000);
      CHECK (n == (ssize_t) qn);
      CHECK (n > 0 && g16 (r) == 100 + i && QR (r) && AA (r) && RCODE (r) == 0 && ANCOUNT (r) == 0);
    }
  fixture_stop (&f);
}

TEST (lookup_error_is_servfail)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  uint8_t q[512], r[4096];
  size_t qn = make_query (q, 9, "boom", 1);
  ssize_t n = ask (&f, q, qn, r, 2000);
  CHECK (n == (ssize_t) qn && RCODE (r) == 2);
  fixture_stop (&f);
}

TEST (many_addresses_truncated_to_512_bytes)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  uint8_t q[512], r[4096];
  size_t qn = make_query (q, 9, "many", 1);
  ssize_t n = ask (&f, q, qn, r, 2000);
  CHECK (n > 0 && n <= 512);
  CHECK (n > 0 && TC (r) && RCODE (r) == 0);
  CHECK (n > 0 && (size_t) n == qn + 16 * (size_t) ANCOUNT (r));
  CHECK (n > 0 && ANCOUNT (r) == (512 - qn) / 16);
  fixture_stop (&f);
}

TEST (ptr_of_a_container_address)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  uint8_t q[512], r[4096];
  size_t qn = make_query (q, 11, "2.0.0.10.in-addr.arpa", 12);
  ssize_t n = ask (&f, q, qn, r, 2000);
  static const uint8_t name[] = "\003web\005mynet";
  CHECK (n == (ssize_t) (qn + 12 + sizeof name));
  if (n == (ssize_t) (qn + 12 + sizeof name))
    {
      CHECK (ANCOUNT (r) == 1 && AA (r) && RCODE (r) == 0);
      CHECK (g16 (r + qn + 2) == 12 && g16 (r + qn + 10) == sizeof name);
      CHECK (memcmp (r + qn + 12, name, sizeof name) == 0);
    }
  /* Another address is not ours: no upstream, so SERVFAIL.  */
  qn = make_query (q, 12, "3.0.0.10.in-addr.arpa", 12);
  n = ask (&f, q, qn, r, 2000);
  CHECK (n == (ssize_t) qn && RCODE (r) == 2);
  fixture_stop (&f);
}

TEST (unknown_name_without_upstreams_is_servfail)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  uint8_t q[512], r[4096];
  size_t qn = make_query (q, 0xbeef, "nowhere.example", 1);
  ssize_t n = ask (&f, q, qn, r, 2000);
  CHECK (n == (ssize_t) qn);
  CHECK (n > 0 && g16 (r) == 0xbeef && QR (r) && !AA (r) && RCODE (r) == 2 && ANCOUNT (r) == 0);
  CHECK (n > 0 && !(r[3] & 0x80)); /* no recursion to offer */
  CHECK (n > 0 && memcmp (r + 12, q + 12, qn - 12) == 0);
  fixture_stop (&f);
}

/* The fake upstream answers the query Q it received (N bytes) with ID and
   RCODE and one A record 192.0.2.1.  */
static void
upstream_answer (int up, const struct sockaddr_in *to, const uint8_t *q, size_t n, uint16_t id, int rcode)
{
  uint8_t a[512];
  memcpy (a, q, n);
  a[0] = (uint8_t) (id >> 8), a[1] = (uint8_t) id;
  a[2] |= 0x80;
  a[3] = (uint8_t) (0x80 | rcode);
  a[7] = rcode == 0;
  size_t m = n;
  if (rcode == 0)
    {
      static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 1 };
      memcpy (a + m, rr, sizeof rr);
      m += sizeof rr;
    }
  sendto (up, a, m, 0, (const struct sockaddr *) to, sizeof *to);
}

TEST (unknown_name_forwarded_and_relayed)
{
  int up = loopback_socket ();
  uint16_t port = port_of (up);
  struct fixture f;
  CHECK (fixture_start (&f, &port, 1, 2000) == 0);
  uint8_t q[512], r[4096], uq[4096];
  size_t qn = make_query (q, 0x4242, "Example.ORG", 1);
  CHECK (send (f.client, q, qn, 0) == (ssize_t) qn);
  struct sockaddr_in from;
  ssize_t un = recv_within (up, uq, sizeof uq, 2000, &from);
  CHECK (un == (ssize_t) qn);
  if (un == (ssize_t) qn)
    {
      /* The same query under a new id, from a port that is not the server's.  */
      CHECK (memcmp (uq + 2, q + 2, qn - 2) == 0);
      printf ("# client id 0x4242, upstream id 0x%04x\n", g16 (uq));
      CHECK (ntohs (from.sin_port) != f.port);
      /* A wrong id is not the answer; the right one is relayed.  */
      upstream_answer (up, &from, uq, (size_t) un, (uint16_t) (g16 (uq) + 1), 0);
      upstream_answer (up, &from, uq, (size_t) un, g16 (uq), 0);
    }
  ssize_t n = recv_within (f.client, r, sizeof r, 2000, NULL);
  CHECK (n == (ssize_t) qn + 16);
  if (n == (ssize_t) qn + 16)
    {
      CHECK (g16 (r) == 0x4242 && QR (r) && RCODE (r) == 0 && ANCOUNT (r) == 1);
      CHECK (memcmp (r + 12, q + 12, qn - 12) == 0);
      CHECK (g32 (r + qn + 12) == IP (192, 0, 2, 1));
    }
  /* Nothing more: the stray answer was not relayed.  */
  CHECK (recv_within (f.client, r, sizeof r, 200, NULL) < 0);
  fixture_stop (&f);
  close (up);
}

TEST (next_upstream_after_timeout_and_servfail)
{
  int silent = loopback_socket (), failing = loopback_socket (), good = loopback_socket ();
  uint16_t ports[] = { port_of (silent), port_of (failing), port_of (good) };
  struct fixture f;
  CHECK (fixture_start (&f, ports, 3, 200) == 0);
  uint8_t q[512], r[4096], uq[4096];
  size_t qn = make_query (q, 77, "example.net", 1);
  CHECK (send (f.client, q, qn, 0) == (ssize_t) qn);
  struct sockaddr_in from;
  CHECK (recv_within (silent, uq, sizeof uq, 2000, &from) == (ssize_t) qn);
  ssize_t un = recv_within (failing, uq, sizeof uq, 2000, &from);
  CHECK (un == (ssize_t) qn);
  if (un > 0)
    upstream_answer (failing, &from, uq, (size_t) un, g16 (uq), 2);
  un = recv_within (good, uq, sizeof uq, 2000, &from);
  CHECK (un == (ssize_t) qn);
  if (un > 0)
    upstream_answer (good, &from, uq, (size_t) un, g16 (uq), 0);
  ssize_t n = recv_within (f.client, r, sizeof r, 2000, NULL);
  CHECK (n == (ssize_t) qn + 16 && g16 (r) == 77 && RCODE (r) == 0);
  fixture_stop (&f);
  close (silent), close (failing), close (good);
}

TEST (all_upstreams_gone_is_servfail)
{
  /* One that never answers, one where nothing listens (refused at once).  */
  int silent = loopback_socket (), closed = loopback_socket ();
  uint16_t ports[] = { port_of (silent), port_of (closed) };
  close (closed);
  struct fixture f;
  CHECK (fixture_start (&f, ports, 2, 200) == 0);
  uint8_t q[512], r[4096];
  size_t qn = make_query (q, 78, "example.com", 1);
  ssize_t n = ask (&f, q, qn, r, 3000);
  CHECK (n == (ssize_t) qn && g16 (r) == 78 && RCODE (r) == 2);
  fixture_stop (&f);
  close (silent);
}

/* Still alive and answering after what came before.  */
static void
check_alive (struct fixture *f)
{
  uint8_t q[512], r[4096];
  size_t qn = make_query (q, 1, "db", 1);
  ssize_t n = ask (f, q, qn, r, 2000);
  CHECK (n == (ssize_t) qn + 16 && ANCOUNT (r) == 1);
}

TEST (malformed_queries)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  uint8_t q[1024], r[4096];
  ssize_t n;

  /* A truncated header: dropped.  */
  memcpy (q, "\x12\x34\x01\x00\x00", 5);
  CHECK (ask (&f, q, 5, r, 300) < 0);

  /* A label running past the end: FORMERR, header only.  */
  size_t qn = make_query (q, 0x2001, "web", 1);
  q[12] = 40;
  n = ask (&f, q, qn, r, 2000);
  CHECK (n == 12 && g16 (r) == 0x2001 && QR (r) && RCODE (r) == 1 && g16 (r + 4) == 0);

  /* The name's end missing altogether.  */
  qn = make_query (q, 0x2002, "web", 1);
  n = ask (&f, q, 16, r, 2000);
  CHECK (n == 12 && RCODE (r) == 1);

  /* No room for the type and class.  */
  n = ask (&f, q, qn - 2, r, 2000);
  CHECK (n == 12 && RCODE (r) == 1);

  /* A compression pointer to itself (a loop), and one to the header.  */
  memcpy (q + 12, "\xc0\x0c\x00\x01\x00\x01", 6);
  n = ask (&f, q, 18, r, 2000);
  CHECK (n == 12 && RCODE (r) == 1);
  memcpy (q + 12, "\x03web\xc0\x00\x00\x01\x00\x01", 10);
  n = ask (&f, q, 22, r, 2000);
  CHECK (n == 12 && RCODE (r) == 1);

  /* A name over 255 bytes: 5 labels of 63.  */
  size_t off = 12;
  for (int i = 0; i < 5; i++)
    {
      q[off++] = 63;
      memset (q + off, 'a', 63);
      off += 63;
    }
  q[off++] = 0;
  memcpy (q + off, "\x00\x01\x00\x01", 4);
  n = ask (&f, q, off + 4, r, 2000);
  CHECK (n == 12 && RCODE (r) == 1);

  /* Two questions, and none.  */
  qn = make_query (q, 0x2003, "web", 1);
  q[5] = 2;
  n = ask (&f, q, qn, r, 2000);
  CHECK (n == 12 && RCODE (r) == 1);
  q[5] = 0;
  n = ask (&f, q, 12, r, 2000);
  CHECK (n == 12 && RCODE (r) == 1);

  /* A response is never answered; an opcode other than QUERY is NOTIMP.  */
  qn = make_query (q, 0x2004, "web", 1);
  q[2] |= 0x80;
  CHECK (ask (&f, q, qn, r, 300) < 0);
  q[2] = 0x01 | (2 << 3); /* STATUS */
  n = ask (&f, q, qn, r, 2000);
  CHECK (n == 12 && RCODE (r) == 4 && ((r[2] >> 3) & 0xf) == 2);

  /* A name with a dot inside a label is never a container's: forwarded
     (here: SERVFAIL, no upstream), the lookup not called for it.  */
  memcpy (q + 12, "\x07web.foo\x00\x00\x01\x00\x01", 13);
  q[2] = 0x01;
  pthread_mutex_lock (&names_lock);
  int before = n_lookups;
  pthread_mutex_unlock (&names_lock);
  n = ask (&f, q, 25, r, 2000);
  CHECK (n == 25 && RCODE (r) == 2);
  pthread_mutex_lock (&names_lock);
  CHECK (n_lookups == before);
  pthread_mutex_unlock (&names_lock);

  check_alive (&f);
  fixture_stop (&f);
}

TEST (random_packets_do_not_crash)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  uint8_t q[600], r[4096];
  unsigned seed = 12345;
  for (int i = 0; i < 3000; i++)
    {
      size_t n = (size_t) (rand_r (&seed) % 80);
      for (size_t j = 0; j < n; j++)
        q[j] = (uint8_t) rand_r (&seed);
      if (n > 5 && (i & 1))
        {
          /* Mostly plausible headers: one question, a query.  */
          q[2] &= 0x07, q[4] = 0, q[5] = 1;
        }
      send (f.client, q, n, 0);
      /* Drain what comes back so the socket never fills.  */
      while (recv (f.client, r, sizeof r, MSG_DONTWAIT) > 0)
        ;
    }
  usleep (100 * 1000);
  while (recv (f.client, r, sizeof r, MSG_DONTWAIT) > 0)
    ;
  check_alive (&f);
  fixture_stop (&f);
}

TEST (stop_with_queries_in_flight)
{
  int up = loopback_socket ();
  uint16_t port = port_of (up);
  for (int round = 0; round < 20; round++)
    {
      struct fixture f;
      CHECK (fixture_start (&f, &port, 1, 5000) == 0);
      uint8_t q[512], uq[512];
      for (int i = 0; i < 5; i++)
        {
          size_t qn = make_query (q, (uint16_t) i, "pending.example", 1);
          send (f.client, q, qn, 0);
        }
      /* The last one reached the upstream: all five are pending.  */
      for (int i = 0; i < 5; i++)
        CHECK (recv_within (up, uq, sizeof uq, 2000, NULL) > 0);
      fixture_stop (&f);
    }
  close (up);
  kago_dns_stop (NULL);
}

TEST (start_refuses_a_bad_config)
{
  struct kago_dns_config cfg = { .udp_fd = -1, .tcp_fd = -1, .lookup = lookup };
  struct kago_dns_server *s = NULL;
  kago_error_t err = NULL;
  CHECK (kago_dns_start (&cfg, &s, &err) < 0 && err != NULL && s == NULL);
  kago_error_release (&err);
  cfg.udp_fd = loopback_socket ();
  cfg.lookup = NULL;
  CHECK (kago_dns_start (&cfg, &s, &err) < 0 && err != NULL);
  kago_error_release (&err);
  /* A zeroed tcp_fd is fd 0, not a listening socket: refused.  */
  cfg.lookup = lookup;
  cfg.tcp_fd = 0;
  CHECK (kago_dns_start (&cfg, &s, &err) < 0 && err != NULL);
  if (err)
    CHECK_CONTAINS (err->msg, "not a listening TCP socket");
  kago_error_release (&err);
  close (cfg.udp_fd); /* still ours after a failure */
}

/* A TCP connection to the server.  */
static int
tcp_connect (uint16_t port)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa
      = { .sin_family = AF_INET, .sin_port = htons (port), .sin_addr.s_addr = htonl (IP (127, 0, 0, 1)) };
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Read exactly N bytes within MS each; false on EOF or timeout.  */
static bool
read_full (int fd, uint8_t *buf, size_t n, int ms)
{
  size_t got = 0;
  while (got < n)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (poll (&p, 1, ms) != 1)
        return false;
      ssize_t r = recv (fd, buf + got, n - got, 0);
      if (r <= 0)
        return false;
      got += (size_t) r;
    }
  return true;
}

/* One length-prefixed message from FD into BUF: its length, or -1.  */
static ssize_t
read_msg (int fd, uint8_t *buf, size_t size)
{
  uint8_t l[2];
  if (!read_full (fd, l, 2, 3000))
    return -1;
  size_t n = g16 (l);
  if (n > size || !read_full (fd, buf, n, 3000))
    return -1;
  return (ssize_t) n;
}

/* Q (N bytes) with its length before it, at OUT.  */
static size_t
framed (uint8_t *out, const uint8_t *q, size_t n)
{
  out[0] = (uint8_t) (n >> 8), out[1] = (uint8_t) n;
  memcpy (out + 2, q, n);
  return n + 2;
}

TEST (tcp_queries_pipelined)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  int c = tcp_connect (f.port);
  CHECK (c >= 0);
  uint8_t q[512], out[2048], r[4096];
  size_t o = 0, qn1, qn2;
  qn1 = make_query (q, 0x0a0a, "web", 1);
  o += framed (out + o, q, qn1);
  qn2 = make_query (q, 0x0b0b, "db", 1);
  o += framed (out + o, q, qn2);
  /* The second query split across two writes.  */
  CHECK (send (c, out, o - 5, 0) == (ssize_t) (o - 5));
  usleep (50 * 1000);
  CHECK (send (c, out + o - 5, 5, 0) == 5);
  ssize_t n = read_msg (c, r, sizeof r);
  CHECK (n == (ssize_t) qn1 + 32 && g16 (r) == 0x0a0a && ANCOUNT (r) == 2);
  n = read_msg (c, r, sizeof r);
  CHECK (n == (ssize_t) qn2 + 16 && g16 (r) == 0x0b0b && ANCOUNT (r) == 1);
  /* Malformed over TCP: FORMERR too.  */
  uint8_t bad[14] = { 0, 12, 0x12, 0x34, 0x01, 0, 0, 2 };
  CHECK (send (c, bad, sizeof bad, 0) == sizeof bad);
  n = read_msg (c, r, sizeof r);
  CHECK (n == 12 && g16 (r) == 0x1234 && RCODE (r) == 1);
  /* A query longer than the resolver takes over TCP: the connection closes.  */
  uint8_t huge[2] = { 0xff, 0xff };
  CHECK (send (c, huge, 2, 0) == 2);
  CHECK (read_msg (c, r, sizeof r) < 0);
  close (c);
  check_alive (&f);
  fixture_stop (&f);
}

TEST (tcp_query_forwarded_over_tcp)
{
  int up_tcp = -1;
  int up = loopback_sockets (&up_tcp);
  uint16_t port = port_of (up);
  struct fixture f;
  CHECK (fixture_start (&f, &port, 1, 2000) == 0);
  int c = tcp_connect (f.port);
  uint8_t q[512], out[600], r[8192], uq[4096];
  size_t qn = make_query (q, 0x7777, "big.example", 16);
  CHECK (send (c, out, framed (out, q, qn), 0) == (ssize_t) qn + 2);
  /* The upstream is asked over TCP, under a new id.  */
  struct pollfd p = { .fd = up_tcp, .events = POLLIN };
  CHECK (poll (&p, 1, 3000) == 1);
  int uc = accept (up_tcp, NULL, NULL);
  ssize_t un = read_msg (uc, uq, sizeof uq);
  CHECK (un == (ssize_t) qn && memcmp (uq + 2, q + 2, qn - 2) == 0);
  if (un == (ssize_t) qn)
    {
      /* An answer larger than UDP's 512 bytes: one TXT record of 3000
         bytes, sent in pieces.  */
      static uint8_t a[4096];
      memcpy (a, uq, qn);
      a[2] |= 0x80, a[3] = 0x80, a[7] = 1;
      size_t m = qn;
      const uint8_t rr[] = { 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 30, 3000 >> 8, 3000 & 0xff };
      memcpy (a + m, rr, sizeof rr);
      m += sizeof rr;
      for (int i = 0; i < 12; i++)
        {
          a[m++] = 249;
          memset (a + m, 'x', 249);
          m += 249;
        }
      a[m++] = 11;
      memset (a + m, 'y', 11);
      m += 11;
      uint8_t l[2] = { (uint8_t) (m >> 8), (uint8_t) m };
      CHECK (send (uc, l, 1, 0) == 1);
      usleep (20 * 1000);
      CHECK (send (uc, l + 1, 1, 0) == 1);
      CHECK (send (uc, a, 1000, 0) == 1000);
      usleep (20 * 1000);
      CHECK (send (uc, a + 1000, m - 1000, 0) == (ssize_t) (m - 1000));
      ssize_t n = read_msg (c, r, sizeof r);
      CHECK (n == (ssize_t) m);
      CHECK (n > 0 && g16 (r) == 0x7777 && memcmp (r + 2, a + 2, m - 2) == 0);
    }
  if (uc >= 0)
    close (uc);
  close (c);
  fixture_stop (&f);
  close (up);
  close (up_tcp);
}

TEST (tcp_upstream_refused_then_next)
{
  /* The first upstream has no TCP listener (refused), the second does.  */
  int dead = loopback_socket (), up_tcp = -1;
  int up = loopback_sockets (&up_tcp);
  uint16_t ports[] = { port_of (dead), port_of (up) };
  struct fixture f;
  CHECK (fixture_start (&f, ports, 2, 2000) == 0);
  int c = tcp_connect (f.port);
  uint8_t q[512], out[600], r[4096], uq[512];
  size_t qn = make_query (q, 0x0101, "example.net", 1);
  CHECK (send (c, out, framed (out, q, qn), 0) == (ssize_t) qn + 2);
  struct pollfd p = { .fd = up_tcp, .events = POLLIN };
  CHECK (poll (&p, 1, 3000) == 1);
  int uc = accept (up_tcp, NULL, NULL);
  ssize_t un = read_msg (uc, uq, sizeof uq);
  CHECK (un == (ssize_t) qn);
  if (un > 0)
    {
      uq[2] |= 0x80, uq[3] = 0x83; /* NXDOMAIN */
      CHECK (send (uc, out, framed (out, uq, (size_t) un), 0) == un + 2);
    }
  ssize_t n = read_msg (c, r, sizeof r);
  CHECK (n == (ssize_t) qn && g16 (r) == 0x0101 && RCODE (r) == 3);
  close (uc);
  close (c);
  fixture_stop (&f);
  close (dead), close (up), close (up_tcp);
}

TEST (pending_table_full_is_servfail)
{
  int up = loopback_socket ();
  uint16_t port = port_of (up);
  struct fixture f;
  CHECK (fixture_start (&f, &port, 1, 5000) == 0);
  uint8_t q[512], r[4096], uq[512];
  for (int i = 0; i < KAGO_DNS_MAX_PENDING; i++)
    {
      size_t qn = make_query (q, (uint16_t) i, "slow.example", 1);
      send (f.client, q, qn, 0);
    }
  int seen = 0;
  while (recv_within (up, uq, sizeof uq, 1000, NULL) > 0)
    seen++;
  CHECK (seen == KAGO_DNS_MAX_PENDING);
  /* One more: no room, SERVFAIL at once, and no query upstream.  */
  size_t qn = make_query (q, 0x9999, "slow.example", 1);
  ssize_t n = ask (&f, q, qn, r, 1000);
  CHECK (n == (ssize_t) qn && g16 (r) == 0x9999 && RCODE (r) == 2);
  CHECK (recv_within (up, uq, sizeof uq, 100, NULL) < 0);
  /* Container names do not need a slot.  */
  check_alive (&f);
  fixture_stop (&f);
  close (up);
}

TEST (tcp_random_bytes_do_not_crash)
{
  struct fixture f;
  CHECK (fixture_start (&f, NULL, 0, 0) == 0);
  unsigned seed = 777;
  uint8_t junk[300], r[4096];
  for (int round = 0; round < 200; round++)
    {
      int c = tcp_connect (f.port);
      CHECK (c >= 0);
      if (c < 0)
        break;
      size_t n = (size_t) (rand_r (&seed) % sizeof junk);
      for (size_t j = 0; j < n; j++)
        junk[j] = (uint8_t) rand_r (&seed);
      if (n > 2 && (round & 1))
        {
          /* A plausible length, so that the message is parsed.  */
          junk[0] = 0, junk[1] = (uint8_t) (n - 2);
        }
      send (c, junk, n, MSG_NOSIGNAL);
      while (recv (c, r, sizeof r, MSG_DONTWAIT) > 0)
        ;
      close (c);
    }
  check_alive (&f);
  fixture_stop (&f);
}

TEST (upstreams_from_resolv_conf)
{
  const char *text = "# generated\n"
                     "search example.com corp\n"
                     "nameserver 127.0.0.53\n"
                     "  nameserver\t10.1.2.3  # office\n"
                     "nameserver 2001:db8::1\n"
                     "nameserver fe80::1%eth0\n"
                     ";nameserver 9.9.9.9\n"
                     "nameservers 8.8.4.4\n"
                     "nameserver 1.2.3.4;x\n"
                     "nameserver 300.1.1.1\n"
                     "nameserver\n"
                     "options ndots:0\n"
                     "nameserver 8.8.8.8";
  struct kago_dns_upstream u[8];
  size_t skipped = 99;
  size_t n = kago_dns_upstreams_from_resolv_conf (text, u, 8, &skipped);
  CHECK (n == 4);
  CHECK (n >= 4 && u[0].addr == IP (127, 0, 0, 53) && u[0].port == 0);
  CHECK (n >= 4 && u[1].addr == IP (10, 1, 2, 3));
  CHECK (n >= 4 && u[2].addr == IP (1, 2, 3, 4));
  CHECK (n >= 4 && u[3].addr == IP (8, 8, 8, 8));
  CHECK (skipped == 3); /* two IPv6, 300.1.1.1 */
  CHECK (kago_dns_upstreams_from_resolv_conf (text, u, 2, NULL) == 2);
  CHECK (kago_dns_upstreams_from_resolv_conf ("", u, 8, &skipped) == 0 && skipped == 0);
  CHECK (kago_dns_upstreams_from_resolv_conf ("\r\n\n", u, 8, NULL) == 0);
  CHECK (kago_dns_upstreams_from_resolv_conf ("nameserver 1.1.1.1\r\n", u, 8, NULL) == 1);
}

int
main (void)
{
  RUN (known_name_two_addresses);
  RUN (name_matched_case_insensitively);
  RUN (known_name_other_types_answer_empty);
  RUN (lookup_error_is_servfail);
  RUN (many_addresses_truncated_to_512_bytes);
  RUN (ptr_of_a_container_address);
  RUN (unknown_name_without_upstreams_is_servfail);
  RUN (unknown_name_forwarded_and_relayed);
  RUN (next_upstream_after_timeout_and_servfail);
  RUN (all_upstreams_gone_is_servfail);
  RUN (malformed_queries);
  RUN (random_packets_do_not_crash);
  RUN (stop_with_queries_in_flight);
  RUN (start_refuses_a_bad_config);
  RUN (tcp_queries_pipelined);
  RUN (tcp_query_forwarded_over_tcp);
  RUN (tcp_upstream_refused_then_next);
  RUN (pending_table_full_is_servfail);
  RUN (tcp_random_bytes_do_not_crash);
  RUN (upstreams_from_resolv_conf);
  return tap_done ();
}
