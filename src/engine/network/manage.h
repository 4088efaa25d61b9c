/* `kago network create|rm`: a network's record, bridge and rules made or
 * removed together, under the store lock; a failure leaves nothing.  */
#ifndef KAGO_NETWORK_MANAGE_H
#define KAGO_NETWORK_MANAGE_H

#include <stdbool.h>

#include "common/error.h"
#include "common/strv.h"
#include "engine/network/bridge.h"
#include "engine/network/store.h"

struct kago_net_create_opts
{
  const char *name;
  const char *driver;  /* NULL: bridge */
  const char *subnet;  /* NULL: the first free of 172.18.0.0/16 ... 172.31.0.0/16, 192.168.0.0/20 ... */
  const char *gateway; /* NULL: the subnet's first address */
  bool internal;
  const struct kago_strv *labels, *options; /* "KEY=VALUE" */
};

/* Create the network (its bridge up in the caller's namespace, the rules
   rewritten) and return it in *OUT.  Docker's errors: "network with name
   NAME already exists", "invalid pool request: Pool overlaps with other
   one on this address space", "no matching subnet for gateway IP".  */
int kago_network_create (const char *root, const struct kago_net_create_opts *o, struct kago_net *out,
                         char **notice, kago_error_t *err);

/* Remove network REF (name, id or id prefix): refused for the predefined
   networks and while containers are attached ("error while removing
   network: network NAME id ID has active endpoints"; endpoints whose
   container ALIVE says is gone are dropped first).  The bridge, the rules
   and the state directory go.  *NAME_OUT (may be NULL) gets its name.  */
int kago_network_remove (const char *root, const char *ref, kago_bridge_alive_fn alive, void *alive_arg,
                         char **name_out, kago_error_t *err);

/* Docker's --bip: "192.168.5.1/24" is the bridge's address and the
   subnet's prefix.  Errors name --bip and what is allowed.  */
int kago_net_parse_bip (const char *bip, struct kago_ipam_pool *pool, kago_error_t *err);

/* Give the default network "bridge" the subnet and gateway of BIP: the
   record is made with them when missing; an existing one is changed when
   no container is attached (else an error naming the containers; those
   ALIVE says are gone are dropped first), its bridge deleted (the next
   container makes it anew) and the rules rewritten, and *NOTICE (freed by
   the caller) says so.  Nothing is locked or changed when the record has
   BIP already.  */
int kago_network_default_bip (const char *root, const char *bip, kago_bridge_alive_fn alive, void *alive_arg,
                              char **notice, kago_error_t *err);

#endif
