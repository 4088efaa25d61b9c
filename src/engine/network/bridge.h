/* A bridge network's kernel side: its bridge in the caller's network
 * namespace (the "host" side), forwarding, the nftables rules (nat.h), and
 * the containers' veths (in the namespace of the container, an fd to it).
 * The records are the store's (store.h).  */
#ifndef KAGO_NETWORK_BRIDGE_H
#define KAGO_NETWORK_BRIDGE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/network/ipam.h"
#include "engine/network/store.h"

#define KAGO_BRIDGE_NETWORK KAGO_NET_DEFAULT
#define KAGO_BRIDGE_IFNAME KAGO_NET_DEFAULT_IFNAME

/* Whether the container HOLDER still exists (for the crash cleanup).  */
typedef bool (*kago_bridge_alive_fn) (const char *holder, void *arg);

/* Make sure network N's bridge exists in the caller's namespace with the
   gateway address and is up (N->mtu is then the bridge's), that IPv4
   forwarding is on there (*NOTICE, when NOTICE is not NULL, is then set to
   a message the caller frees), and, when the bridge had to be made, that
   the rules of every network are in place (kago_bridge_rules_apply; with
   the store lock unless STORE_LOCKED).  Leases and endpoints whose holder
   ALIVE (may be NULL) says is gone are released.  */
int kago_bridge_ensure (const char *root, struct kago_net *n, bool store_locked, char **notice,
                        kago_bridge_alive_fn alive, void *alive_arg, kago_error_t *err);

/* Network N's lock (N->dir/network.lock, flock(LOCK_EX)), its leases and
   endpoints whose holder ALIVE (may be NULL) says is gone released; returns
   the fd (close to unlock).  Held while the bridge is set up and while the
   network is removed or its subnet changed.  */
int kago_bridge_lock (const struct kago_net *n, kago_bridge_alive_fn alive, void *alive_arg, kago_error_t *err);

/* The nftables rules (nat.h) from the list of bridge networks in the
   store, in one transaction.  The caller holds the store lock.  */
int kago_bridge_rules_apply (const char *root, kago_error_t *err);

/* Whether a link IFNAME exists in the caller's namespace (*EXISTS); an
   error when it is not a bridge.  */
int kago_bridge_probe (const char *ifname, bool *exists, kago_error_t *err);

/* Delete network N's bridge (no bridge is not an error).  */
int kago_bridge_delete (const struct kago_net *n, kago_error_t *err);

/* One container's side of a network.  */
struct kago_endpoint
{
  uint32_t addr, gateway; /* host byte order */
  unsigned prefix;
  unsigned char mac[6];
  char host_if[IF_NAMESIZE]; /* the veth end on the bridge */
};

/* The host end's name for HOLDER on network N: "veth", 7 characters of
   the holder and 4 of the network id.  */
void kago_bridge_host_ifname (const struct kago_net *n, const char *holder, char out[IF_NAMESIZE]);

/* Lease an address for HOLDER (REQUESTED when not 0) and connect the
   network namespace NETNS_FD: a veth whose host end is a port of the bridge
   and whose peer is created there as IFNAME (the bridge's MTU, MAC 02:42 +
   the address), the address, lo and IFNAME up, and, on a network that is
   not internal, the default route via the gateway unless the container
   has one.  A failure undoes what was done.  */
int kago_bridge_attach (const struct kago_net *n, const char *holder, int netns_fd, const char *ifname,
                        uint32_t requested, struct kago_endpoint *ep, kago_error_t *err);

/* Delete HOLDER's veth on N (when it is still there) and release its
   lease.  No veth or no lease is not an error.  WAIT_MS: see
   kago_bridge_veth_gone; KAGO_BRIDGE_LEAVE_VETH (< 0) leaves the veth to
   the container's dying namespace and only releases the lease.  */
#define KAGO_BRIDGE_LEAVE_VETH (-1)
int kago_bridge_detach (const struct kago_net *n, const char *holder, int wait_ms, kago_error_t *err);

/* Make sure HOLDER's veth on N is gone.  WAIT_MS > 0: the container's
   processes are gone and its network namespace is being destroyed, which
   takes the veth with it (the kernel's namespace cleanup, 10-40 ms here);
   wait up to WAIT_MS for that and delete only what is still there then (a
   namespace some other process still holds).  A delete request costs the
   same 20-40 ms on the caller's path, which is why the monitor answers its
   clients first and waits afterwards.  0: delete at once.  */
int kago_bridge_veth_gone (const struct kago_net *n, const char *holder, int wait_ms, kago_error_t *err);

#endif
