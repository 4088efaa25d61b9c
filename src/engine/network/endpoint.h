/* The endpoints of a network: one file per attached container, for name
 * resolution (the embedded DNS server) and `network inspect`.
 *
 *   R/networks/<dir>/endpoints/<container id>   written atomically at
 *   attach, removed at detach and by the stale cleanup:
 *
 *     kago-endpoint 1
 *     name web                      (the container's name, no "/")
 *     endpoint <64 hex>             (EndpointID)
 *     addr 172.18.0.2/16
 *     mac 02:42:ac:12:00:02
 *     ifname eth0                   (inside the container)
 *     alias db                      (repeated: --network-alias, --alias)
 */
#ifndef KAGO_NETWORK_ENDPOINT_H
#define KAGO_NETWORK_ENDPOINT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/strv.h"

struct kago_net_endpoint
{
  char ctr[65];      /* the container id (the file's name) */
  char *name;        /* the container's name */
  char eid[65];      /* EndpointID */
  uint32_t addr;     /* host byte order */
  unsigned prefix;
  unsigned char mac[6];
  char ifname[IF_NAMESIZE];
  struct kago_strv aliases;
};

void kago_net_endpoint_clear (struct kago_net_endpoint *ep);
void kago_net_endpoints_free (struct kago_net_endpoint *v, size_t n);

/* NETDIR is the network's directory (struct kago_net's dir).  */
int kago_net_endpoint_save (const char *netdir, const struct kago_net_endpoint *ep, kago_error_t *err);
/* No file is not an error; returns 1 when one was removed, else 0.  */
int kago_net_endpoint_remove (const char *netdir, const char *ctr, kago_error_t *err);
/* *FOUND false when CTR has no endpoint there.  */
int kago_net_endpoint_load (const char *netdir, const char *ctr, struct kago_net_endpoint *ep, bool *found,
                            kago_error_t *err);
int kago_net_endpoint_list (const char *netdir, struct kago_net_endpoint **out, size_t *n, kago_error_t *err);
/* Crash cleanup: remove the endpoints whose container ALIVE says is gone.  */
int kago_net_endpoint_remove_stale (const char *netdir, bool (*alive) (const char *holder, void *arg), void *arg,
                                    kago_error_t *err);

/* Name resolution for the embedded DNS server: the IPv4 addresses (host
   byte order) of the containers on the networks NETS (ids, names or id
   prefixes; NNETS of them: the asking container's networks) that answer to
   NAME: a container name, a network alias or a 12-character short id,
   case-insensitive, a trailing "." ignored.  Returns how many were stored
   in ADDRS (at most MAX; each address once), 0 when none, -1 on error.
   The default network "bridge" resolves no names, as Docker's.  */
int kago_network_lookup (const char *root, const char *const *nets, size_t nnets, const char *name,
                         uint32_t *addrs, size_t max);

/* The networks container CTR has an endpoint on: their ids, a
   NULL-terminated vector in *OUT (free each and the vector), *N of them.
   What a DNS server started for a container passes to
   kago_network_lookup.  */
int kago_network_ctr_networks (const char *root, const char *ctr, char ***out, size_t *n, kago_error_t *err);

/* The DNS server's lookup callback, `int lookup (const char *name,
   uint32_t *addrs, size_t max, void *arg)`, with ARG a struct
   kago_network_lookup_ctx: kago_network_lookup on its networks.  Set one
   up for a container with kago_network_lookup_ctx_init (its networks as
   kago_network_ctr_networks finds them: call it after the container is
   attached) and release it with kago_network_lookup_ctx_clear.  Each
   query looks the container's networks up again (networks connected or
   disconnected while it runs count), so one thread at a time may use a
   context.  */
struct kago_network_lookup_ctx
{
  char *root;
  char *ctr;
  char **nets;
  size_t nnets;
};
int kago_network_lookup_ctx_init (struct kago_network_lookup_ctx *ctx, const char *root, const char *ctr,
                                  kago_error_t *err);
void kago_network_lookup_ctx_clear (struct kago_network_lookup_ctx *ctx);
int kago_network_lookup_cb (const char *name, uint32_t *addrs, size_t max, void *arg);

#endif
