/* rtnetlink on libmnl: the links, addresses and routes of container networks.
 *
 * A `struct kago_nl` is one NETLINK_ROUTE socket.  It acts on the network
 * namespace it was opened in: kago_nl_open() the caller's,
 * kago_nl_open_netns() the namespace behind an fd (/proc/PID/ns/net, or
 * /run/netns/NAME), opened from a short-lived thread that setns()es there,
 * so the caller's own namespace never changes.
 *
 * Every request is acknowledged; a failure is a kago_error_t with the errno
 * the kernel answered and, where the kernel gives one, its extended-ack
 * message ("Error: ...").  Links are named by their interface name.
 *
 * The sequence bridge.c follows for one container on a bridge (its host
 * end is named "veth" + the first 11 characters of the container id):
 *
 *   kago_nl_bridge_create (host, "kago0", 1500, err);
 *   kago_nl_addr_add_v4 (host, "kago0", gw, 16, err);
 *   kago_nl_link_set_up (host, "kago0", true, err);
 *   kago_nl_veth_create (host, "veth0123456789a", "eth0", netns_fd, 1500, err);
 *   kago_nl_link_set_master (host, "veth0123456789a", "kago0", err);
 *   kago_nl_link_set_up (host, "veth0123456789a", true, err);
 *   ctr = kago_nl_open_netns (netns_fd, err);
 *   kago_nl_addr_add_v4 (ctr, "eth0", addr, 16, err);
 *   kago_nl_link_set_up (ctr, "lo", true, err);
 *   kago_nl_link_set_up (ctr, "eth0", true, err);
 *   kago_nl_route_add_default_v4 (ctr, gw, "eth0", err);
 */
#ifndef KAGO_NETWORK_NETLINK_H
#define KAGO_NETWORK_NETLINK_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct kago_nl;

struct kago_nl *kago_nl_open (kago_error_t *err);
/* A socket in the network namespace NETNS_FD refers to.  */
struct kago_nl *kago_nl_open_netns (int netns_fd, kago_error_t *err);
void kago_nl_close (struct kago_nl *nl);

/* Run FN (ARG, ERR) in a thread that has joined the network namespace
   NETNS_FD (the caller's threads keep theirs) and return what it returned;
   an error FN sets in *ERR reaches the caller.  */
int kago_netns_run (int netns_fd, int (*fn) (void *arg, kago_error_t *err), void *arg, kago_error_t *err);

/* A new bridge NAME, down; MTU 0 leaves the kernel's default.  The MTU is
   set after creation, so that it stays when ports come and go (a bridge
   whose MTU was never changed follows its ports').  Fails with errnum EEXIST
   when a link of that name exists.  */
int kago_nl_bridge_create (struct kago_nl *nl, const char *name, unsigned mtu, kago_error_t *err);

/* A veth pair: NAME in this socket's namespace and PEER_NAME created directly
   in the namespace PEER_NETNS_FD (-1: this one).  MTU 0: the default.  */
int kago_nl_veth_create (struct kago_nl *nl, const char *name, const char *peer_name, int peer_netns_fd,
                         unsigned mtu, kago_error_t *err);

int kago_nl_link_set_up (struct kago_nl *nl, const char *name, bool up, kago_error_t *err);
int kago_nl_link_set_mtu (struct kago_nl *nl, const char *name, unsigned mtu, kago_error_t *err);
/* Set NAME's Ethernet address (e.g. before it is up).  */
int kago_nl_link_set_mac (struct kago_nl *nl, const char *name, const unsigned char mac[6], kago_error_t *err);
/* Make NAME a port of the bridge MASTER; MASTER NULL releases it.  */
int kago_nl_link_set_master (struct kago_nl *nl, const char *name, const char *master, kago_error_t *err);
/* Delete NAME (for a veth, its peer goes too).  Errnum ENODEV when absent.  */
int kago_nl_link_delete (struct kago_nl *nl, const char *name, kago_error_t *err);

/* Wait up to TIMEOUT_MS for the link NAME to go away (e.g. a veth whose
   peer's network namespace is being destroyed: the kernel unregisters both
   ends in its own time, far sooner than a delete request returns).  1 when
   it is gone (or was never there), 0 when it is still there.  */
int kago_nl_link_wait_gone (struct kago_nl *nl, const char *name, int timeout_ms, kago_error_t *err);

/* ADDR/PREFIX on NAME (ADDR in network byte order), with the subnet's
   broadcast address.  */
int kago_nl_addr_add_v4 (struct kago_nl *nl, const char *name, struct in_addr addr, unsigned prefix,
                         kago_error_t *err);
/* default via GATEWAY [dev NAME] in the main table; NAME may be NULL.  */
int kago_nl_route_add_default_v4 (struct kago_nl *nl, struct in_addr gateway, const char *name,
                                  kago_error_t *err);

struct kago_nl_link
{
  int index;
  char name[IF_NAMESIZE];
  char kind[16];  /* "bridge", "veth", ... or "" */
  unsigned flags; /* IFF_* */
  unsigned mtu;
  int master; /* ifindex of the bridge, or 0 */
  unsigned char mac[6]; /* IFLA_ADDRESS when it is Ethernet's, else zeros */
  uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
};

/* The interface index of NAME; errnum ENODEV (and a "no such link" message)
   when there is none.  */
int kago_nl_ifindex (struct kago_nl *nl, const char *name, kago_error_t *err);
/* NAME's attributes and counters.  */
int kago_nl_link_get (struct kago_nl *nl, const char *name, struct kago_nl_link *out, kago_error_t *err);
/* Every link of the namespace: *OUT (free() it) holds *N entries.  */
int kago_nl_link_list (struct kago_nl *nl, struct kago_nl_link **out, size_t *n, kago_error_t *err);

#endif
