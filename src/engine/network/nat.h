/* Outbound NAT and forwarding for kago's networks, in an nftables table of
 * kago's own ("ip kago"), through libnftables loaded on demand (dlopen of
 * libnftables.so.1: nothing is linked, and an engine without networks never
 * needs it).
 *
 *   table ip kago {
 *     chain postrouting { type nat hook postrouting priority 100; policy accept;
 *       ip saddr SUBNET oifname != "BRIDGE" masquerade }
 *     chain forward { type filter hook forward priority 0; policy accept;
 *       iifname "BRIDGE" accept
 *       oifname "BRIDGE" ct state established,related accept }
 *     (and the published ports' maps and chains: ports.h)
 *   }
 *
 * The rules act in the network namespace of the calling thread.  */
#ifndef KAGO_NETWORK_NAT_H
#define KAGO_NETWORK_NAT_H

#include "common/error.h"
#include "engine/network/ipam.h"

#define KAGO_NFT_TABLE "kago"

/* The nft commands that make the table what it should be for SUBNET on
   the bridge IFNAME (one transaction: the chains are flushed and filled).
   The caller frees.  */
char *kago_nat_ruleset (const struct kago_subnet *subnet, const char *ifname);

/* Apply kago_nat_ruleset.  An error when libnftables cannot be loaded or
   the kernel refuses (nf_tables missing).  */
int kago_nat_apply (const struct kago_subnet *subnet, const char *ifname, kago_error_t *err);

/* Run nft commands (one transaction) in the caller's namespace.  The
   error is libnftables' first line; errno EEXIST for "File exists" (a
   `create element` whose key is there), ENOENT for "No such file or
   directory".  */
int kago_nft_run (const char *cmds, kago_error_t *err);

#endif
