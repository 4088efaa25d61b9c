/* A container's networks, as the monitor and the CLI set them up
   (ctr_network.c): bridge networks (network/bridge.h), the default
   "bridge" and user-defined ones.
   The record says which: HostConfig.NetworkMode and the entries of
   NetworkSettings.Networks (keyed by network name, each with its
   NetworkID, IPAMConfig.IPv4Address for --ip, Aliases); a record with no
   entry and NetworkMode "bridge" (made before there were entries) is on
   the default network.  At start they are connected in the record's order,
   as eth0, eth1, ...  */
#ifndef KAGO_ENGINE_CTR_NETWORK_H
#define KAGO_ENGINE_CTR_NETWORK_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/json.h"
#include "common/strv.h"
#include "engine/container/container.h"

/* HostConfig's key carrying the Networks entries from the spec builder to
   kago_ctr_create, which moves them to NetworkSettings.  */
#define KAGO_CTR_NET_PENDING "KagoNetworks"

/* A new NetworkSettings.Networks entry for the network NETWORK_ID
   (addresses empty), with --ip (IPV4, may be NULL) and ALIASES (may be
   NULL).  */
json_value *kago_ctr_net_entry (const char *network_id, const char *ipv4, const struct kago_strv *aliases);
/* Remove KAGO_CTR_NET_PENDING from HOST_CONFIG and return its object (an
   empty one when there is none).  */
json_value *kago_ctr_net_take_pending (json_value *host_config);

/* Whether the record's container is to be connected to bridge networks
   when it starts.  */
bool kago_ctr_net_wanted (const json_value *rec);

/* Whether the container HOLDER still has a record (E is the struct
   kago_engine): the alive predicate of the networks' crash cleanup.  */
bool kago_ctr_net_holder_alive (const char *holder, void *e);

/* Make sure the container's networks are ready in the caller's namespace
   (their bridges, forwarding, rules) and drop the leases of containers
   whose record is gone; *NOTICE (to free) tells when forwarding had to be
   enabled.  */
int kago_ctr_net_prepare (struct kago_engine *e, const char *id, char **notice, kago_error_t *err);

/* Connect the network namespace of PID (the created, not yet started
   init) to each of the container's networks, record the endpoints (the
   network's endpoint registry, NetworkSettings).  A failure leaves no veth,
   no lease and no endpoint.  */
int kago_ctr_net_attach (struct kago_engine *e, const char *id, pid_t pid, kago_error_t *err);

/* Undo attach on every network: the veths (when still there), the
   leases, the endpoints and (RECORD) the addresses in NetworkSettings.
   Never fails: what cannot be done is left to the kernel (the veth goes
   with the namespace) or to the next prepare (the lease).  WAIT_MS: 0
   deletes the veths now; > 0 the container's processes are gone, give its
   dying network namespace that long to take them (kago_bridge_veth_gone);
   KAGO_NET_LEAVE_VETH leaves them to it (the monitor, which answers its
   clients first and calls kago_ctr_net_veths_gone afterwards).  */
void kago_ctr_net_detach (struct kago_engine *e, const char *id, bool record, int wait_ms);
/* Make sure the container's veths on every bridge network are gone
   (kago_bridge_veth_gone): what `stop`, `rm` and the monitor's last step
   wait for.  */
void kago_ctr_net_veths_gone (struct kago_engine *e, const char *id, int wait_ms);
/* What a dead container's namespace is given to take its veths (10-40 ms
   here); one still held elsewhere costs this and a delete.  */
#define KAGO_NET_GONE_WAIT_MS 500
/* kago_ctr_net_detach's WAIT_MS that leaves the veths to the namespace
   (network/bridge.h's KAGO_BRIDGE_LEAVE_VETH).  */
#define KAGO_NET_LEAVE_VETH (-1)

/* Whether the container has an endpoint on some network (connected while
   running: the monitor's run config did not know).  */
bool kago_ctr_net_has_endpoints (struct kago_engine *e, const char *id);

/* The address (host byte order) and the bridge of the container's first
   network with an address, where its published ports go; *ADDR 0 when it
   has none.  */
int kago_ctr_net_primary (struct kago_engine *e, const json_value *rec, uint32_t *addr, char ifname[IF_NAMESIZE],
                          kago_error_t *err);

/* `kago network connect [--ip IP] [--alias A] NETWORK CONTAINER`: a
   running container gets the next free ethN at once; a stopped one is
   connected at its next start.  */
int kago_ctr_net_connect (struct kago_engine *e, const char *net_ref, const char *ctr_ref, const char *ip,
                          const struct kago_strv *aliases, kago_error_t *err);

/* `kago network disconnect [-f] NETWORK CONTAINER`.  FORCE: a network that
   no longer exists is dropped from the record by name.  */
int kago_ctr_net_disconnect (struct kago_engine *e, const char *net_ref, const char *ctr_ref, bool force,
                             kago_error_t *err);

#endif
