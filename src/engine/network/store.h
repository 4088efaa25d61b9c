/* kago's networks: the records of the network store.
 *
 * Under the engine root R, one directory per network:
 *
 *   R/networks/bridge/   the default network "bridge" (bridge kago0)
 *   R/networks/host/     "host" and "none": listed as Docker lists them,
 *   R/networks/none/     never created or removed by a user
 *   R/networks/<id>/     a user-defined network (bridge br-<12 hex of id>)
 *   R/networks/store.lock  flock(LOCK_EX) while networks are created or
 *                          removed and while the rules are regenerated
 *
 * In each, "network" (a text file replaced whole):
 *
 *   kago-network 1
 *   id <64 hex>
 *   name NAME
 *   driver bridge            (host, null)
 *   bridge br-0123456789ab   (bridge driver)
 *   subnet 172.18.0.0/16     (bridge driver)
 *   gateway 172.18.0.1       (bridge driver)
 *   mtu 1500
 *   internal 1               (when --internal)
 *   created 2026-11-23T13:20:00.123456789Z
 *   label KEY=VALUE          (repeated)
 *   option KEY=VALUE         (repeated)
 *
 * and, for a bridge network, ipam + ipam.lock (ipam.h: the leases),
 * network.lock (the bridge's set-up) and endpoints/ (endpoint.h).  */
#ifndef KAGO_NETWORK_STORE_H
#define KAGO_NETWORK_STORE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/strv.h"
#include "engine/network/ipam.h"

#define KAGO_NET_DEFAULT "bridge"
#define KAGO_NET_DEFAULT_IFNAME "kago0"
#define KAGO_NET_ID_LEN 64
#define KAGO_NET_DEFAULT_MTU 1500

struct kago_net
{
  char id[KAGO_NET_ID_LEN + 1];
  char *name;
  char driver[16];          /* "bridge", "host", "null" */
  char ifname[IF_NAMESIZE]; /* the bridge (bridge driver) */
  struct kago_ipam_pool pool;
  unsigned mtu;
  bool internal;
  bool predefined; /* bridge, host, none */
  char *created;   /* RFC 3339 with nanoseconds, UTC */
  struct kago_strv labels, options; /* "KEY=VALUE" */
  char *dir;                        /* R/networks/<bridge|host|none|id> */
};

void kago_net_clear (struct kago_net *n);
void kago_nets_free (struct kago_net *v, size_t n);
bool kago_net_is_bridge (const struct kago_net *n);

/* R/networks/store.lock, locked; returns the fd (close to unlock).  */
int kago_net_store_lock (const char *root, kago_error_t *err);

/* Load R/networks/NAME/network.  *FOUND false (and 0) when it does not
   exist.  */
int kago_net_load (const char *root, const char *dirname, struct kago_net *n, bool *found, kago_error_t *err);
int kago_net_save (const struct kago_net *n, kago_error_t *err);

/* The records of bridge (its subnet chosen: the first of 172.17.0.0/16 ...
   172.31.0.0/16 that overlaps no route of the caller's namespace and no
   other network), host and none, when missing.  Takes the store lock
   unless LOCKED.  */
int kago_net_init_predefined (const char *root, bool locked, kago_error_t *err);

/* The same under the store lock the caller holds, the bridge's subnet and
   gateway POOL when it is made (NULL: chosen as above; an error when POOL
   overlaps another network).  *MADE: the bridge's record was made.  */
int kago_net_make_default (const char *root, const struct kago_ipam_pool *pool, bool *made, kago_error_t *err);

/* An error ("S overlaps with the network NAME (SUBNET)") when subnet S
   overlaps a bridge network other than the default one.  */
int kago_net_check_default_subnet (const char *root, const struct kago_subnet *s, kago_error_t *err);

/* Every network (the predefined ones first made when missing: a caller
   holding the store lock calls kago_net_init_predefined (root, true)
   first), sorted by name.  */
int kago_net_list (const char *root, struct kago_net **out, size_t *n, kago_error_t *err);

/* A network by full id, name, or unique id prefix (Docker's order).
   Errors: "network REF not found" (ENOENT), "network REF is ambiguous (N
   matches found based on ID prefix)".  */
int kago_net_find (const char *root, const char *ref, struct kago_net *out, kago_error_t *err);

/* The errors of kago_net_find (not found) and of kago_network_remove
   (active endpoints); their errnum is 0: the message is Docker's whole.  */
bool kago_net_err_not_found (const kago_error_t err);
bool kago_net_err_in_use (const kago_error_t err);

/* Whether subnet S overlaps a route of the caller's namespace (default
   routes aside).  */
int kago_net_route_overlaps (const struct kago_subnet *s, bool *overlap, kago_error_t *err);

/* Helpers for "KEY=VALUE" vectors.  */
void kago_net_strv_push (struct kago_strv *s, const char *str);
void kago_net_strv_clear (struct kago_strv *s);
const char *kago_net_option (const struct kago_net *n, const char *key);

/* 64 random hex digits.  */
void kago_net_random_id (char out[KAGO_NET_ID_LEN + 1]);

#endif
