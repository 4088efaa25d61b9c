/* IPv4 subnets and the address allocator of one network.
 *
 * The allocator's state is a directory of the network's own (the caller
 * picks it, e.g. <root>/networks/<id>/) holding
 *
 *   ipam.lock   an empty file; every operation holds flock(LOCK_EX) on it
 *   ipam        the state, a text file replaced whole (tmp file + rename):
 *                 kago-ipam 1
 *                 subnet 10.99.0.0/24
 *                 gateway 10.99.0.1
 *                 last 10.99.0.3
 *                 lease 10.99.0.2 <holder>
 *                 lease 10.99.0.3 <holder>
 *
 * A holder is the container id (no blanks, at most 128 bytes).  Addresses
 * are handed out in turn after `last` (a released address is reused only
 * once the subnet has been gone round), skipping the network address, the
 * gateway and the broadcast address.  Concurrent allocations from any number
 * of processes get distinct addresses.
 *
 * Addresses are host byte order uint32_t in this interface.
 */
#ifndef KAGO_NETWORK_IPAM_H
#define KAGO_NETWORK_IPAM_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct kago_subnet
{
  uint32_t addr;   /* the network address: host bits zero */
  unsigned prefix; /* 0..32 */
};

#define KAGO_IPV4_STRLEN 16 /* "255.255.255.255" and its NUL */
#define KAGO_CIDR_STRLEN 19 /* "255.255.255.255/32" and its NUL */

/* "a.b.c.d" (exactly four decimal parts, no leading zeros).  Error
   "invalid IPv4 address".  */
int kago_ipv4_parse (const char *s, uint32_t *out, kago_error_t *err);
char *kago_ipv4_format (uint32_t a, char buf[KAGO_IPV4_STRLEN]);

/* "a.b.c.d/N" with the host bits zero.  Errors start "invalid subnet".  */
int kago_subnet_parse (const char *s, struct kago_subnet *out, kago_error_t *err);
char *kago_subnet_format (const struct kago_subnet *s, char buf[KAGO_CIDR_STRLEN]);
uint32_t kago_subnet_mask (unsigned prefix);
uint32_t kago_subnet_broadcast (const struct kago_subnet *s);
bool kago_subnet_contains (const struct kago_subnet *s, uint32_t addr);
bool kago_subnet_overlaps (const struct kago_subnet *a, const struct kago_subnet *b);
/* Fails with "invalid subnet ...: overlaps with ..." when A and B share an
   address (the check of `network create` against the existing networks).  */
int kago_subnet_check_overlap (const struct kago_subnet *a, const struct kago_subnet *b, kago_error_t *err);

struct kago_ipam_pool
{
  struct kago_subnet subnet; /* /1 to /30: room for the gateway and one more */
  uint32_t gateway;          /* 0: the subnet's first address */
};

/* Check POOL and fill in its default gateway.  */
int kago_ipam_pool_check (struct kago_ipam_pool *pool, kago_error_t *err);

/* An address of POOL for HOLDER under DIR: REQUESTED if non-zero (error
   "Address already in use" when another holder has it, an error when it is
   outside the subnet or reserved), else the next free one (error with
   errnum ENOSPC when none is left).  A holder has at most one address per
   network (errnum EEXIST).  The state remembers the pool: allocating with
   another subnet than the state's is an error.  */
int kago_ipam_allocate (const char *dir, const struct kago_ipam_pool *pool, const char *holder,
                        uint32_t requested, uint32_t *out, kago_error_t *err);

/* Make POOL the state's pool (the network's subnet changes): refused, naming
   the holders, while any address is leased.  */
int kago_ipam_repool (const char *dir, const struct kago_ipam_pool *pool, kago_error_t *err);

/* Release HOLDER's address; returns how many leases went (0 or 1): no
   lease, or no state at all, is not an error.  */
int kago_ipam_release (const char *dir, const char *holder, kago_error_t *err);

/* Crash cleanup: release every lease whose holder ALIVE says is gone (it
   runs under the lock, with each holder).  Returns how many went.  */
int kago_ipam_release_stale (const char *dir, bool (*alive) (const char *holder, void *arg), void *arg,
                             kago_error_t *err);

struct kago_ipam_lease
{
  uint32_t addr;
  char *holder;
};

/* The leases, ordered by address: *OUT (kago_ipam_leases_free) holds *N.  */
int kago_ipam_list (const char *dir, struct kago_ipam_lease **out, size_t *n, kago_error_t *err);
void kago_ipam_leases_free (struct kago_ipam_lease *l, size_t n);

#endif
