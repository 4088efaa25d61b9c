/* A cache of compiled seccomp filters under the state root.
 *
 * Compiling Docker's default profile with libseccomp costs more than the
 * rest of a container start's seccomp work; the same profile comes back for
 * every container.  The compiled form (classic BPF + seccomp(2) flags, see
 * kago_seccomp_filter_bpf) is stored as
 *
 *   <state root>/.seccomp-cache/<key>.bpf      (dir 0700, file 0600)
 *
 * key = SHA-256 of a canonical serialization of what the compiler reads from
 * linux.seccomp (default action and errno, architectures, flags, every rule),
 * the libseccomp version, the machine and the kernel release (flag support
 * is probed at compile time).  The file holds a header (magic, key, flags,
 * instruction count), the instructions and a SHA-256 of all that; it is
 * written to a temporary name and renamed.  A file is used only if it is a
 * regular file owned by us, not accessible to group or others, of the right
 * size, for the same key, with a matching checksum; anything else is
 * removed and the profile compiled again.  More than 64 entries: the
 * directory is emptied before the next write.  KAGO_SECCOMP_CACHE=0 turns it
 * off.  Cache trouble never fails a container: it compiles instead.  */
#ifndef KAGO_SECCOMP_CACHE_H
#define KAGO_SECCOMP_CACHE_H

#include <stdbool.h>

#include "common/error.h"
#include "oci/spec.h"

struct kago_seccomp_filter;

#define KAGO_SECCOMP_CACHE_DIR ".seccomp-cache"
#define KAGO_SECCOMP_CACHE_MAX 64

/* Like kago_seccomp_compile; STATE_ROOT NULL: no cache.  *HIT (may be NULL)
   tells whether the filter came from the cache.  */
int kago_seccomp_compile_cached (const char *state_root, const oci_seccomp *s,
                                 struct kago_seccomp_filter **out, bool *hit, kago_error_t *err);

/* The key of S on this host: 64 hex digits.  */
void kago_seccomp_cache_key (const oci_seccomp *s, char out[65]);

#endif
