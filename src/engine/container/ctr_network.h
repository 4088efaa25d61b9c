/* A container's network, as the monitor and the CLI set it up
   (ctr_network.c): the default network "bridge" (network/bridge.h).  */
#ifndef KAGO_ENGINE_CTR_NETWORK_H
#define KAGO_ENGINE_CTR_NETWORK_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/json.h"
#include "engine/container/container.h"

/* Whether a record's HostConfig.NetworkMode is "bridge".  */
bool kago_ctr_net_is_bridge (const json_value *rec);

/* Make sure the network "bridge" is ready in the caller's namespace (the
   bridge, forwarding, NAT) and drop the leases of containers whose record
   is gone; *NOTICE (to free) tells when forwarding had to be enabled.  */
int kago_ctr_net_prepare (struct kago_engine *e, char **notice, kago_error_t *err);

/* Connect the network namespace of PID (the created, not yet started
   init) to the bridge and record NetworkSettings.  A failure leaves no
   veth and no lease.  */
int kago_ctr_net_attach (struct kago_engine *e, const char *id, pid_t pid, kago_error_t *err);

/* Undo attach: the veth (when still there), the lease, and (RECORD) the
   addresses in NetworkSettings.  Never fails: what cannot be done is left
   to the kernel (the veth goes with the namespace) or to the next
   prepare (the lease).  */
void kago_ctr_net_detach (struct kago_engine *e, const char *id, bool record);

#endif
