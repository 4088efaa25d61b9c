/* kago seccomp-agent: a seccomp notify supervisor for containers.
 *
 * The runtime (kago-runtime or any OCI runtime) connects to the agent's
 * socket (linux.seccomp.listenerPath) once per container or exec'd process
 * and sends the container process state JSON with the seccomp listener fd.
 * The agent then answers the notifications: it performs the few operations
 * its policy allows on the process's behalf (mknod of listed devices, mount
 * of listed filesystem types), inside the process's mount namespace, and
 * refuses everything else with EPERM.  See docs/runtime.md.
 *
 * policy.c holds the pure parts (allow lists, the message, /proc parsing),
 * agent.c the service loop and the helpers that act for the container.
 */
#ifndef KAGO_AGENT_H
#define KAGO_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* ---- policy (policy.c) ---- */
struct kago_agent_device
{
  char type; /* 'c' or 'b' */
  uint32_t major, minor;
};

struct kago_agent_policy
{
  struct kago_agent_device *devices;
  size_t n_devices;
  char **fstypes;
  size_t n_fstypes;
};

/* Add "c:1:3,c:1:5,b:7:0" to the device allow list.  Errors name the item. */
int kago_agent_policy_add_devices (struct kago_agent_policy *p, const char *list, kago_error_t *err);
/* Add "tmpfs,mqueue" to the filesystem-type allow list.  */
int kago_agent_policy_add_fstypes (struct kago_agent_policy *p, const char *list, kago_error_t *err);
/* A JSON file {"allowMknod": ["c:1:3", ...], "allowMount": ["tmpfs", ...]}
   (both optional; any other member is an error, so typos are not silently
   ignored).  */
int kago_agent_policy_load (struct kago_agent_policy *p, const char *path, kago_error_t *err);
int kago_agent_policy_load_text (struct kago_agent_policy *p, const char *text, size_t len,
                                 kago_error_t *err);
bool kago_agent_policy_allows_device (const struct kago_agent_policy *p, char type, uint32_t major,
                                      uint32_t minor);
bool kago_agent_policy_allows_fstype (const struct kago_agent_policy *p, const char *fstype);
void kago_agent_policy_free (struct kago_agent_policy *p);

/* The dev argument of mknod/mknodat as the kernel decodes it (the low 32
   bits, new_decode_dev).  */
void kago_agent_decode_dev (uint64_t arg, uint32_t *major, uint32_t *minor);

/* mount(2) flags for a new mount -> MOUNT_ATTR_* for fsmount and whether the
   superblock is read-only.  Flags that do not describe a plain new mount
   (MS_BIND, MS_REMOUNT, MS_MOVE, propagation, ...) return -1 with *BAD set
   to them.  */
int kago_agent_mount_attrs (unsigned long flags, unsigned int *attrs, bool *rdonly, unsigned long *bad);

/* Map ID through a uid_map/gid_map text as read from outside the namespace
   ("inside outside count" lines): outside -> inside.  -1 when unmapped. */
int kago_agent_map_to_ns (const char *map, uint32_t outside, uint32_t *inside);

/* What the agent needs from /proc/TID/status.  */
struct kago_agent_creds
{
  uint32_t fsuid, fsgid;
  uint32_t umask;
  uint64_t cap_eff;
  uint32_t groups[64];
  size_t n_groups;
};
int kago_agent_parse_status (const char *text, struct kago_agent_creds *c, kago_error_t *err);

/* The container process state message (runtime-spec).  */
struct kago_agent_hello
{
  int seccomp_fd_index; /* the index of "seccompFd" in fds */
  pid_t pid;
  char *id;       /* state.id, or "" */
  char *metadata; /* or NULL */
};
int kago_agent_parse_hello (const char *text, size_t len, size_t n_fds, struct kago_agent_hello *h,
                            kago_error_t *err);
void kago_agent_hello_clear (struct kago_agent_hello *h);

/* ---- the service (agent.c) ---- */
struct kago_agent_options
{
  const char *socket_path;
  const struct kago_agent_policy *policy;
  int helper_timeout_ms; /* 0: 10 s */
};
/* Listen on the socket and serve until SIGTERM or SIGINT; returns 0 then.  */
int kago_agent_run (const struct kago_agent_options *o, kago_error_t *err);

#endif
