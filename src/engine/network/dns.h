/* The embedded DNS resolver: what Docker runs at 127.0.0.11 for the
 * containers of user-defined networks.
 *
 * One resolver per container, run by its monitor in a thread of its own
 * (the monitor's poll loop is never blocked by it).  The listening socket
 * is made in the container's network namespace (kago_dns_listen_netns: a
 * short-lived thread setns()es there; a socket keeps the namespace it was
 * made in), while the resolver thread, which stays in the monitor's
 * namespace, makes the sockets it forwards through: the host's upstream
 * servers, loopback ones such as systemd-resolved's 127.0.0.53 included,
 * are reachable as they are from Docker's resolver.
 *
 *   int udp, tcp;
 *   kago_dns_listen_netns (netns_fd, &udp, &tcp, err);   127.0.0.11:53 in there
 *   struct kago_dns_config cfg = { .udp_fd = udp, .tcp_fd = tcp, .lookup = names, .arg = ctr };
 *   cfg.n_upstreams = kago_dns_upstreams_from_resolv_conf (text, cfg.upstreams,
 *                                                          KAGO_DNS_MAX_UPSTREAMS, NULL);
 *   kago_dns_start (&cfg, &server, err);             owns udp and tcp from here on
 *   ...
 *   kago_dns_stop (server);                          joins, closes everything
 *
 * Queries (UDP, and TCP with the two-byte length before each message;
 * one question):
 *   - a name the lookup knows: type A (and ANY) answered with its addresses,
 *     TTL 600 (Docker's), AA set, the question echoed as sent; any other
 *     type NOERROR with no answer, so that a client does not go on to ask
 *     the upstreams for a container's name;
 *   - x.x.x.x.in-addr.arpa PTR: the reverse callback's name, when given and
 *     it knows the address;
 *   - anything else is forwarded to the upstreams in turn, under a new
 *     random id from a new socket (a random source port) per query; the
 *     answer (matched on id, source and question) goes back to the client
 *     with the client's id; a timeout, SERVFAIL, REFUSED or an unreachable
 *     upstream moves on to the next one; when none is left, or there are
 *     none, the client gets SERVFAIL (as from Docker's resolver when it cannot
 *     forward: a stub resolver then tries its next server);
 *   - malformed queries: a header shorter than 12 bytes or a response (QR
 *     set) are dropped; a question that runs past the packet, a label of 64
 *     or more (compression pointers included: a query's question has nothing
 *     before it to point to), a name over 255 bytes, or a count of questions
 *     other than 1 get FORMERR; an opcode other than QUERY gets NOTIMP.
 *     Nothing is read past the end of the packet.
 *
 * Our own answers are at most 512 bytes (TC set when a name has more
 * addresses than fit); a forwarded answer is relayed whole.  A query that
 * came over TCP is forwarded over TCP (its client fell back to TCP for an
 * answer too large for UDP).  At most 16 TCP connections at once, closed
 * after 10 s without a query.
 */
#ifndef KAGO_NETWORK_DNS_H
#define KAGO_NETWORK_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define KAGO_DNS_ADDR 0x7f00000bU /* 127.0.0.11, host byte order */
#define KAGO_DNS_PORT 53
#define KAGO_DNS_TTL 600
#define KAGO_DNS_MAX_UPSTREAMS 8
#define KAGO_DNS_MAX_PENDING 64  /* forwarded queries in flight; more get SERVFAIL */
#define KAGO_DNS_TIMEOUT_MS 3000 /* per upstream tried */
#define KAGO_DNS_MAX_ADDRS 32    /* addresses asked of the lookup per name */

struct kago_dns_upstream
{
  uint32_t addr; /* IPv4, host byte order */
  uint16_t port; /* 0: 53 */
};

struct kago_dns_config
{
  /* A UDP socket bound where the resolver answers, made by
     kago_dns_listen or kago_dns_listen_netns (for its IP_PKTINFO).
     kago_dns_start takes it over (and makes it non-blocking) when it
     succeeds; after a failure it is still the caller's.  */
  int udp_fd;
  /* A listening TCP socket on the same address and port (kago_dns_listen*
     too), taken over likewise; -1: no TCP.  Checked: a socket of another
     kind (e.g. 0 left by a zeroed initializer) is an error.  */
  int tcp_fd;
  struct kago_dns_upstream upstreams[KAGO_DNS_MAX_UPSTREAMS];
  size_t n_upstreams;
  /* Per upstream tried; 0: KAGO_DNS_TIMEOUT_MS.  */
  unsigned timeout_ms;
  /* The IPv4 addresses (host byte order) NAME has among the container's
     networks: store at most MAX of them in ADDRS and return how many were
     stored, 0 for a name it does not know, < 0 for an error (the client
     gets SERVFAIL).  NAME is lowercase, without the trailing dot, made of
     printable ASCII other than '.' and blanks between its dots.  Called from
     the resolver's thread: it must be thread-safe with respect to whoever
     changes the names (a lock), quick (the resolver waits for it), and
     frugal with stack (the thread has 128 KiB).  */
  int (*lookup) (const char *name, uint32_t *addrs, size_t max, void *arg);
  /* Optional (NULL: PTR queries are forwarded like the others).  The name
     of ADDR (host byte order), without a trailing dot, into NAME (SIZE
     bytes): 1 if known, 0 if not (forwarded), < 0 for an error (SERVFAIL).
     Same thread rules as LOOKUP.  */
  int (*reverse) (uint32_t addr, char *name, size_t size, void *arg);
  void *arg;
};

struct kago_dns_server;

/* Start the resolver's thread.  The sockets it forwards through are made
   in the namespace of the process (the caller's threads are assumed to be
   in it).  The thread blocks every signal.  */
int kago_dns_start (const struct kago_dns_config *cfg, struct kago_dns_server **out, kago_error_t *err);

/* Stop the thread, wait for it, close every socket (the listening one
   included), answer nothing more to queries in flight.  NULL is a no-op.  */
void kago_dns_stop (struct kago_dns_server *server);

/* A UDP socket bound to ADDR:PORT (host byte order; PORT 0: any) in the
   caller's namespace, close-on-exec, with IP_PKTINFO (answers go out from
   the address the query was sent to).  It may be made before `lo` is up.
   The resolver needs this option on a socket it is given.  With TCP_FD,
   also a listening TCP socket on the same address and port.  */
int kago_dns_listen (uint32_t addr, uint16_t port, int *udp_fd, int *tcp_fd, kago_error_t *err);

/* kago_dns_listen (KAGO_DNS_ADDR, KAGO_DNS_PORT) in the network namespace
   NETNS_FD (kago_netns_run); the caller's threads keep their namespace.
   TCP_FD may be NULL (UDP only).  */
int kago_dns_listen_netns (int netns_fd, int *udp_fd, int *tcp_fd, kago_error_t *err);

/* The IPv4 `nameserver` lines of a resolv.conf TEXT, in order, at most MAX
   into OUT (port 0); returns how many.  IPv6 nameservers are skipped (the
   resolver forwards over IPv4 only) and counted into *SKIPPED when it is
   not NULL, as are malformed addresses.  Comments (# and ;) and other
   keywords are ignored.  */
size_t kago_dns_upstreams_from_resolv_conf (const char *text, struct kago_dns_upstream *out, size_t max,
                                            size_t *skipped);

#endif
