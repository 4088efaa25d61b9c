/* Published ports (-p/--publish, -P): Docker's syntax, the host ports a
 * container's start takes, and their DNAT in kago's nftables table.
 *
 * The table's port objects (kago_ports_ruleset, part of nat.c's base
 * ruleset):
 *
 *   map tcp_any { type inet_service : ipv4_addr . inet_service }      8080 : 172.17.0.2 . 80
 *   map tcp_ip  { type ipv4_addr . inet_service : ipv4_addr . inet_service }
 *   map udp_any, udp_ip                                               the same for udp
 *   chain prerouting { type nat hook prerouting priority dstnat; fib daddr type local jump ports }
 *   chain output     { type nat hook output priority -100; fib daddr type local jump ports }
 *   chain ports      { dnat ip to ip daddr . tcp dport map @tcp_ip
 *                      dnat ip to tcp dport map @tcp_any   (and udp) }
 *   postrouting:       oifname BRIDGE fib saddr type local masquerade   (from 127.0.0.1)
 *                      iifname BRIDGE oifname BRIDGE ct status dnat masquerade  (hairpin)
 *
 * A container's start adds its elements in one transaction with `create
 * element`, which fails on a key already there: two containers cannot
 * publish the same host address and port.  Its stop deletes them by key.
 * What was added is written to DIR/ports/HOLDER (DIR: the network's
 * directory) so that a crashed monitor's elements can be removed.  */
#ifndef KAGO_NETWORK_PORTS_H
#define KAGO_NETWORK_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/strbuf.h"

/* One container port of a -p value, as Docker's nat.ParsePortSpec
   returns it: HostIp as given ("" = every address), HostPort as Docker
   records it ("8080", "8000-8010" for a host range to take one port
   from, "" for a random port).  */
struct kago_port_spec
{
  char proto[5]; /* tcp, udp */
  unsigned ctr_port;
  char host_ip[16];
  char host_port[12];
};

/* Parse one -p value into *OUT (N entries, the caller frees *OUT) with
   Docker's errors: `invalid containerPort: x`, `invalid hostPort: x`,
   `invalid proto: x`, `invalid IP address: x`, `invalid ranges specified
   for container and host Ports: 80-81 and 8000`, `no port specified:
   :<empty>`.  IPv6 host addresses and sctp are refused with their own
   message.  */
int kago_port_spec_parse (const char *v, struct kago_port_spec **out, size_t *n, kago_error_t *err);

/* A host port range of a HostPort ("8080", "8000-8010", "" = 0-0).  */
int kago_port_range_parse (const char *s, unsigned *first, unsigned *last, kago_error_t *err);

enum kago_port_proto
{
  KAGO_PORT_TCP,
  KAGO_PORT_UDP,
};

/* A published port of a running container.  */
struct kago_port_binding
{
  enum kago_port_proto proto;
  uint32_t host_ip; /* host byte order; 0: every local address */
  unsigned host_port, ctr_port;
};

/* "tcp"/"udp" to the enum; -1 for anything else.  */
int kago_port_proto_parse (const char *s);
const char *kago_port_proto_name (enum kago_port_proto p);

/* The table's port maps, chains and rules for the bridge IFNAME (nft
   commands, appended to nat.c's; the caller frees).  */
char *kago_ports_ruleset (const char *ifname);
/* The two postrouting rules of the bridge IFNAME (from the host, hairpin),
   appended to SB: nat.c adds them for every bridge network.  */
void kago_ports_bridge_rules (strbuf *sb, const char *ifname);

/* The nft commands that add B[0..N) towards CTR_ADDR (`create element`)
   or delete them by key.  The caller frees.  */
char *kago_ports_add_cmds (uint32_t ctr_addr, const struct kago_port_binding *b, size_t n);
char *kago_ports_del_cmds (const struct kago_port_binding *b, size_t n);

/* The range of /proc/sys/net/ipv4/ip_local_port_range of the caller's
   namespace.  */
int kago_ports_local_range (unsigned *lo, unsigned *hi, kago_error_t *err);

/* Bind a socket (SOCK_CLOEXEC) on the binding's host address and port in
   the caller's namespace: the port is then the container's.  Returns the
   fd; -2 when the port is taken, with Docker's message `Bind for
   0.0.0.0:8080 failed: port is already allocated`; -1 for another
   failure.  */
int kago_ports_reserve (const struct kago_port_binding *b, kago_error_t *err);

/* Add HOLDER's bindings for CTR_ADDR to the table of the caller's
   namespace and record them in DIR/ports/HOLDER.  A key already in a map
   is Docker's `Bind for ... failed: port is already allocated`; nothing
   is left then.  */
int kago_ports_publish (const char *dir, const char *holder, uint32_t ctr_addr,
                        const struct kago_port_binding *b, size_t n, kago_error_t *err);

/* Delete what DIR/ports/HOLDER lists from the table and the file.  No
   file is no error.  */
int kago_ports_unpublish (const char *dir, const char *holder, kago_error_t *err);

/* unpublish for every holder in DIR/ports that ALIVE says is gone.  */
int kago_ports_unpublish_stale (const char *dir, bool (*alive) (const char *holder, void *arg), void *arg,
                                kago_error_t *err);

/* Make the bridge IFNAME route packets from 127.0.0.0/8
   (net.ipv4.conf.IFNAME.route_localnet=1 in the caller's namespace), so
   that 127.0.0.1:PORT reaches a container.  */
int kago_ports_route_localnet (const char *ifname, kago_error_t *err);

#endif
