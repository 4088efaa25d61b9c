/* Outbound NAT, forwarding and isolation for kago's bridge networks, in an
 * nftables table of kago's own ("ip kago"), through libnftables loaded on
 * demand (dlopen of libnftables.so.1: nothing is linked, and an engine
 * without networks never needs it).  For networks A (172.18.0.0/16 on
 * br-a) and B (internal, on br-b):
 *
 *   table ip kago {
 *     chain postrouting { type nat hook postrouting priority 100; policy accept;
 *       ip saddr 172.18.0.0/16 oifname != "br-a" masquerade }
 *     chain forward { type filter hook forward priority 0; policy accept;
 *       jump isolation
 *       iifname "br-a" accept
 *       oifname "br-a" ct state established,related accept
 *       iifname "br-b" oifname != "br-b" drop
 *       oifname "br-b" iifname != "br-b" drop }
 *     chain isolation {
 *       iifname "br-a" oifname { "br-b" } drop
 *       iifname "br-b" oifname { "br-a" } drop }
 *     (and the published ports' maps and chains: ports.h)
 *   }
 *
 * The whole set is rewritten in one transaction from the list of networks
 * when a network is created or removed, or when a bridge had to be made
 * (a new network namespace): kago's chains (those three and the published
 * ports' chains) are created when missing, flushed and refilled; the ports'
 * maps and their elements stay.
 * The rules act in the network namespace of the calling thread.  */
#ifndef KAGO_NETWORK_NAT_H
#define KAGO_NETWORK_NAT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "engine/network/ipam.h"

#define KAGO_NFT_TABLE "kago"

/* One bridge network, as the rules see it.  */
struct kago_nat_net
{
  struct kago_subnet subnet;
  const char *ifname;
  bool internal;
};

/* Append the per-network rules (postrouting, forward, isolation) to SB.  */
void kago_nat_network_rules (strbuf *sb, const struct kago_nat_net *nets, size_t n);

/* The nft commands that make kago's chains what they should be for NETS
   (one transaction).  The caller frees.  */
char *kago_nat_ruleset (const struct kago_nat_net *nets, size_t n);

/* Apply kago_nat_ruleset.  An error when libnftables cannot be loaded or
   the kernel refuses (nf_tables missing).  */
int kago_nat_apply (const struct kago_nat_net *nets, size_t n, kago_error_t *err);

/* Run nft commands (one transaction) in the caller's namespace.  The
   error is libnftables' first line; errno EEXIST for "File exists" (a
   `create element` whose key is there), ENOENT for "No such file or
   directory".  */
int kago_nft_run (const char *cmds, kago_error_t *err);

#endif
