/* Docker's seccomp profile format, resolved into OCI linux.seccomp.
 *
 * A Docker profile (moby's profiles/seccomp/default.json and everything
 * `docker run --security-opt seccomp=FILE` takes) is OCI's linux.seccomp plus
 * conditions the engine evaluates before the runtime sees anything:
 *
 *   top level   defaultAction, defaultErrnoRet, flags, listenerPath,
 *               listenerMetadata (passed on); architectures OR archMap
 *               ([{architecture, subArchitectures}]: the entry of the host's
 *               architecture gives it and its sub-architectures)
 *   syscalls[]  name OR names, action, errnoRet, args[] (passed on);
 *               includes / excludes {caps, arches, minKernel}; comment
 *
 * Resolution rules (moby's setupSeccomp):
 *   - a rule is dropped when excludes.arches holds the architecture, when ANY
 *     of excludes.caps is in the bounding set, or when the kernel is at or
 *     above excludes.minKernel;
 *   - it is kept only when includes.arches (if given) holds the architecture,
 *     ALL of includes.caps are in the bounding set, and the kernel is at or
 *     above includes.minKernel;
 *   - minKernel is "MAJOR.MINOR"; only the first two numbers of the running
 *     kernel's release count (6.1.0-18-amd64 is 6.1);
 *   - architectures in includes/excludes are Go's names: amd64, x86, x32,
 *     arm64, arm, ppc64le, s390x, riscv64, ...;
 *   - "name": "x" is "names": ["x"]; both in one rule is an error.
 */
#ifndef KAGO_SECCOMP_PROFILE_H
#define KAGO_SECCOMP_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/json.h"

/* What a profile is resolved for.  */
struct kago_seccomp_target
{
  uint64_t caps;             /* the bounding set: bit N = capability N */
  const char *arch;          /* Go's name of the architecture: "amd64" */
  unsigned int kernel_major; /* 6 for 6.1.0-18-amd64 */
  unsigned int kernel_minor; /* 1 */
};

/* Docker's 14 default capabilities (CapBnd 00000000a80425fb).  */
uint64_t kago_seccomp_docker_default_caps (void);

/* The host: its architecture (from uname, Go's name) and kernel version,
   with Docker's default capabilities.  */
int kago_seccomp_target_host (struct kago_seccomp_target *t, kago_error_t *err);

/* "amd64" for "x86_64" (uname -m); NULL when unknown.  */
const char *kago_seccomp_arch_from_machine (const char *machine);
/* true when NAME is an architecture name profiles may use in includes /
   excludes ("amd64", "x32", ...).  */
bool kago_seccomp_arch_known (const char *name);

/* Parse "MAJOR.MINOR[...]": 0, or -1 when it does not start that way.  */
int kago_seccomp_parse_kernel (const char *s, unsigned int *major, unsigned int *minor);

/* Capability names as Docker's CLI takes them: "SYS_ADMIN", "CAP_SYS_ADMIN",
   any case.  Returns the number, or -1.  */
int kago_seccomp_cap_parse (const char *name);

/* Resolve PROFILE (a Docker profile) for T into a new OCI linux.seccomp
   object (*OUT).  Errors name the place in the profile:
   "syscalls[3].includes.minKernel: invalid kernel version \"4\"".  */
int kago_seccomp_profile_resolve (const json_value *profile, const struct kago_seccomp_target *t,
                                  json_value **out, kago_error_t *err);

/* kago's own default profile, in Docker's format (default_profile.c).
   Resolved for Docker's default capabilities it is equivalent to Docker's
   default profile.  */
json_value *kago_seccomp_default_profile (void);

#endif
