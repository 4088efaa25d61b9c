/* The embedded DNS server of a container on user-defined networks
   (network/dns.h), run by its monitor (ctr_dns.c).
   A container's /etc/resolv.conf (R/containers/ID/resolv.conf, written at
   create by spec_mounts.c) says whether it has one: "nameserver
   127.0.0.11" and the servers to forward to in Docker's "# ExtServers: [A
   B]" comment.  The server listens at 127.0.0.11:53 (UDP and TCP) in the
   container's network namespace, answers the names, aliases and short ids
   of the containers on its networks (network/endpoint.h's
   kago_network_lookup: the registry as it is at each query) and forwards
   the rest from the monitor's namespace.  Its sockets hold the container's
   namespace: it is stopped before the networks are detached.  */
#ifndef KAGO_ENGINE_CTR_DNS_H
#define KAGO_ENGINE_CTR_DNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "engine/container/container.h"
#include "engine/network/dns.h"
#include "engine/network/endpoint.h"

struct kago_ctr_dns
{
  struct kago_dns_server *server;
  struct kago_network_lookup_ctx ctx;
  bool ctx_set;
};

/* Whether the resolv.conf TEXT asks for the embedded server; when it does,
   its upstream servers (the ExtServers comment) in OUT (at most MAX).  */
bool kago_ctr_dns_wanted (const char *text, struct kago_dns_upstream *out, size_t max, size_t *n);

/* Start D for the container ID whose created init is PID, when its
   resolv.conf asks for it (else nothing, 0).  Call after the networks
   are attached.  An error when it is asked for and cannot be started.  */
int kago_ctr_dns_start (struct kago_engine *e, const char *id, pid_t pid, struct kago_ctr_dns *d, kago_error_t *err);
/* Stop D (none running: nothing).  */
void kago_ctr_dns_stop (struct kago_ctr_dns *d);

#endif
