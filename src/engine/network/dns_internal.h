/* The embedded resolver's insides, shared by dns.c (queries, answers,
   forwarding, the thread) and dns_tcp.c (TCP clients and upstreams).  */
#ifndef KAGO_NETWORK_DNS_INTERNAL_H
#define KAGO_NETWORK_DNS_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/network/dns.h"

#define DNS_MAX_TCP 16         /* client connections at once; more are closed at once */
#define DNS_TCP_IDLE_MS 10000  /* RFC 7766 6.2.3: a few seconds to tens of seconds */
#define DNS_TCP_QUERY_MAX 4096 /* a longer query over TCP closes the connection */
#define DNS_TCP_OUT_MAX 262144 /* answers queued for a client that does not read */

/* A client: over UDP (conn -1) its address and the address it sent to
   (the answer must come from there); over TCP the connection's slot and
   generation (an answer for a connection since closed is dropped).  */
struct peer
{
  struct sockaddr_in addr;
  struct in_addr local;
  int conn;
  uint32_t gen;
};

struct tcp_conn
{
  int fd; /* -1: a free slot */
  uint32_t gen;
  uint8_t *in; /* 2 + DNS_TCP_QUERY_MAX */
  size_t have;
  uint8_t *out; /* length-prefixed answers not yet sent */
  size_t out_len, out_off;
  uint64_t deadline; /* idle until */
};

enum
{
  UP_UDP,
  UP_TCP_CONNECTING, /* then the query is written */
  UP_TCP_WRITING,
  UP_TCP_READING,
};

struct pending
{
  int fd;      /* to the upstream; -1: a free slot */
  uint16_t id; /* the id the upstream was sent */
  uint16_t client_id;
  struct peer client;
  size_t upstream;   /* index of the upstream tried */
  uint64_t deadline; /* ms, CLOCK_MONOTONIC */
  uint8_t *query;    /* the client's query (its id overwritten when sent) */
  size_t len, qend;
  bool tcp;        /* the client asked over TCP: so is the upstream */
  int state;       /* UP_* */
  size_t done;     /* TCP: bytes written, then bytes read */
  uint8_t *answer; /* TCP: 2 + the answer's length */
};

struct kago_dns_server
{
  pthread_t thread;
  int udp_fd, tcp_fd, stop_fd;
  struct kago_dns_upstream upstreams[KAGO_DNS_MAX_UPSTREAMS];
  size_t n_upstreams;
  unsigned timeout_ms;
  int (*lookup) (const char *, uint32_t *, size_t, void *);
  int (*reverse) (uint32_t, char *, size_t, void *);
  void *arg;
  struct pending pending[KAGO_DNS_MAX_PENDING];
  struct tcp_conn conns[DNS_MAX_TCP];
  uint32_t next_gen;
  uint8_t *buf; /* 65536: what is received */
};

uint64_t dns_now_ms (void);
/* A query from a client (dns.c).  */
void dns_query (struct kago_dns_server *s, const uint8_t *query, size_t n, const struct peer *from);

/* dns_tcp.c.  */
void dns_tcp_accept (struct kago_dns_server *s);
void dns_tcp_conn_io (struct kago_dns_server *s, struct tcp_conn *c, short revents);
void dns_tcp_conn_close (struct tcp_conn *c);
/* Queue answer P (N bytes) to the TCP client TO.  */
void dns_tcp_send (struct kago_dns_server *s, const struct peer *to, const uint8_t *p, size_t n);
/* Connect P's socket to its upstream over TCP (non-blocking).  */
int dns_tcp_upstream_connect (struct kago_dns_server *s, struct pending *p);
/* Move P's exchange on: 1 when P->answer holds the whole answer, 0 when
   more is to come, -1 when the upstream failed.  */
int dns_tcp_upstream_io (struct pending *p, short revents);

#endif
