/* The default network "bridge": the host bridge kago0 and the endpoints of
 * the containers on it.
 *
 * State under the engine root R:
 *
 *   R/networks/bridge/network       the network, a text file replaced whole:
 *                                     kago-network 1
 *                                     id <64 hex>
 *                                     bridge kago0
 *                                     subnet 172.17.0.0/16
 *                                     gateway 172.17.0.1
 *                                     mtu 1500
 *   R/networks/bridge/network.lock  flock(LOCK_EX) while the network and
 *                                   its bridge are set up
 *   R/networks/bridge/ipam, ipam.lock  the address leases (ipam.h)
 *
 * Links are made in the caller's network namespace (the "host" side) and in
 * the namespace of the container (an fd to it).  */
#ifndef KAGO_NETWORK_BRIDGE_H
#define KAGO_NETWORK_BRIDGE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/network/ipam.h"

#define KAGO_BRIDGE_NETWORK "bridge"
#define KAGO_BRIDGE_IFNAME "kago0"

struct kago_bridge
{
  char *dir; /* R/networks/bridge */
  char id[65];
  char ifname[IF_NAMESIZE];
  struct kago_ipam_pool pool;
  unsigned mtu;
};

/* Whether the container HOLDER still exists (for the crash cleanup).  */
typedef bool (*kago_bridge_alive_fn) (const char *holder, void *arg);

/* Make sure the network exists (choosing, the first time, a subnet from
   172.17.0.0/16, 172.18.0.0/16, ... 172.31.0.0/16 that overlaps no route of
   the caller's namespace), that its bridge exists in the caller's
   namespace with the gateway address and is up, that IPv4 forwarding is on
   there (*NOTICE, when NOTICE is not NULL, is then set to a message the
   caller frees), and that the NAT rules are in place (nat.h).  Leases whose
   holder ALIVE (may be NULL) says is gone are released.  */
int kago_bridge_ensure (const char *root, struct kago_bridge *b, char **notice, kago_bridge_alive_fn alive,
                        void *alive_arg, kago_error_t *err);
void kago_bridge_clear (struct kago_bridge *b);

/* One container's side of the network.  */
struct kago_endpoint
{
  uint32_t addr, gateway; /* host byte order */
  unsigned prefix;
  unsigned char mac[6];
  char host_if[IF_NAMESIZE]; /* the veth end on the bridge */
};

/* The host end's name for HOLDER: "veth" and 11 characters of it.  */
void kago_bridge_host_ifname (const char *holder, char out[IF_NAMESIZE]);

/* Lease an address for HOLDER and connect the network namespace NETNS_FD:
   a veth whose host end is a port of the bridge and whose peer is created
   there as eth0 (the bridge's MTU, MAC 02:42 + the address), the address,
   lo and eth0 up, the default route via the gateway.  A failure undoes
   what was done.  */
int kago_bridge_attach (const struct kago_bridge *b, const char *holder, int netns_fd,
                        struct kago_endpoint *ep, kago_error_t *err);

/* Delete HOLDER's veth (when it is still there) and release its lease.  No
   network, no veth or no lease is not an error.  */
int kago_bridge_detach (const char *root, const char *holder, kago_error_t *err);

#endif
