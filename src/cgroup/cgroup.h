/* cgroup manager: one ops table, three layouts.
 *
 *  - v1:     every controller its own hierarchy under /sys/fs/cgroup/<ctrl>
 *  - hybrid: v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified;
 *            the container also joins the unified hierarchy, as runc does
 *  - v2:     one unified hierarchy at /sys/fs/cgroup
 *
 * The layout is detected once (statfs of /sys/fs/cgroup and its children).
 * cgroupsPath is interpreted as runc does: an absolute path is relative to the
 * hierarchy root; a relative one is relative to the runtime's own cgroup;
 * empty means "<default parent>/<id>" (kago uses "/kago/<id>" so that its
 * cgroups never mix with the machine's own services).  With --systemd-cgroup
 * the "slice:prefix:name" form is required and systemd must be running.
 */
#ifndef KAGO_CGROUP_H
#define KAGO_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/json.h"
#include "oci/spec.h"

enum kago_cgroup_mode
{
  KAGO_CGROUP_V1,
  KAGO_CGROUP_HYBRID,
  KAGO_CGROUP_V2,
};

struct kago_cgroup; /* a container's cgroup(s) */

struct kago_cgroup_config
{
  const char *id;                 /* container id */
  const char *cgroups_path;       /* linux.cgroupsPath, may be NULL */
  bool systemd;                   /* --systemd-cgroup */
  const oci_resources *resources; /* may be NULL */
  const char *root;               /* hierarchy mount root, NULL = /sys/fs/cgroup (tests) */
  bool defer_v1;                  /* create only the unified hierarchy now; the v1 ones and the
                                     resources come with kago_cgroup_create_rest, so that the
                                     runtime can make them while the init sets up */
};

int kago_cgroup_detect (const char *root, enum kago_cgroup_mode *mode, kago_error_t *err);
const char *kago_cgroup_mode_name (enum kago_cgroup_mode m);

/* Create the cgroup directories (no process yet) and apply the resources.
   On failure nothing is left behind.  */
int kago_cgroup_create (const struct kago_cgroup_config *cfg, struct kago_cgroup **out, kago_error_t *err);

/* Second half of a create with defer_v1: the v1 hierarchies, then the
   resources everywhere.  On failure the caller destroys CG.  */
int kago_cgroup_create_rest (struct kago_cgroup *cg, const oci_resources *resources, kago_error_t *err);

/* An O_DIRECTORY fd of the container's unified cgroup (v2, or hybrid's
   cgroup2 hierarchy) for CLONE_INTO_CGROUP, or -1 on pure v1.  Owned by CG. */
int kago_cgroup_clone_fd (struct kago_cgroup *cg);

/* Joining without the global lock.  Migrating another process takes
   cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period
   (1-15 ms measured here, per container start).  A thread that moves itself
   by writing "0" to a v1 "tasks" file skips that lock, and the unified
   hierarchy (v2, or hybrid's cgroup2) is joined at clone time with
   CLONE_INTO_CGROUP.  So: before clone the parent opens, for every v1
   hierarchy, an O_WRONLY fd of its "tasks" file (permission is checked
   against the opener's credentials, so this also works from a new user
   namespace); the child writes "0" to each (kago_cgroup_self_join) first
   thing.  Fills FDS (at most MAX; caller closes them) and returns how many. */
int kago_cgroup_open_self_join (struct kago_cgroup *cg, int *fds, size_t max, kago_error_t *err);
int kago_cgroup_self_join (const int *fds, size_t n, kago_error_t *err);
/* After clone: join PID to what neither self-join nor CLONE_INTO_CGROUP
   covered (CLONED_INTO: the clone used kago_cgroup_clone_fd; SELF_JOINED:
   the child joins the v1 hierarchies itself).  */
int kago_cgroup_enter_rest (struct kago_cgroup *cg, pid_t pid, bool cloned_into, bool self_joined,
                            kago_error_t *err);

/* Move PID (a process or thread group) into every hierarchy.  */
int kago_cgroup_enter (struct kago_cgroup *cg, pid_t pid, kago_error_t *err);

/* Check every value against the kernel's ranges and this host's CPUs and
   memory nodes, before anything is created or written.  */
int kago_cgroup_validate_resources (const oci_resources *r, kago_error_t *err);

/* Apply resources at create (the device rules are the whole list).  */
int kago_cgroup_apply_resources (struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err);

/* Update a live container: every value is checked first (ranges, CPUs and
   memory nodes that exist), then written under a journal; if the kernel
   refuses one, every file already written is restored and the error names
   the field.  R's device rules go on top of the current ones: on v1 they are
   written to devices.allow/deny as they are; on v2 the eBPF program is
   rebuilt from ALL_DEVICES (the container's whole list after the update). */
int kago_cgroup_update (struct kago_cgroup *cg, const oci_resources *r, const oci_device_cgroup *all_devices,
                        size_t n_all, kago_error_t *err);

/* Freezer: v1 freezer.state FROZEN/THAWED, v2 cgroup.freeze; waits until the
   kernel reports the new state.  */
int kago_cgroup_freeze (struct kago_cgroup *cg, bool frozen, kago_error_t *err);
int kago_cgroup_is_frozen (struct kago_cgroup *cg, bool *frozen, kago_error_t *err);

/* Every pid in the container's cgroup (recursively), caller frees *pids.  */
int kago_cgroup_pids (struct kago_cgroup *cg, pid_t **pids, size_t *n, kago_error_t *err);
/* Signal every process (kill --all); v2 uses cgroup.kill for SIGKILL when
   available; frozen cgroups are thawed after signalling so SIGKILL lands.  */
int kago_cgroup_kill_all (struct kago_cgroup *cg, int sig, kago_error_t *err);

/* Remove the cgroup(s): kills what is left, rmdir with retries.  Idempotent.  */
int kago_cgroup_destroy (struct kago_cgroup *cg, kago_error_t *err);

/* Persist in state.json and load back.  */
json_value *kago_cgroup_to_json (const struct kago_cgroup *cg);
int kago_cgroup_from_json (const json_value *v, struct kago_cgroup **out, kago_error_t *err);

/* The path that a cgroup namespace of the container should be rooted at,
   e.g. for "cgroup" mounts (the unified or per-controller path).  */
const char *kago_cgroup_path (const struct kago_cgroup *cg, const char *controller);
enum kago_cgroup_mode kago_cgroup_get_mode (const struct kago_cgroup *cg);

/* kago_cgroup_path returns the absolute directory (mount point + cgroup
   path), e.g. "/sys/fs/cgroup/memory/kago/ID"; CONTROLLER NULL or "" names
   the unified hierarchy (v2, hybrid) or, on v1, the first hierarchy.

   Iterate the hierarchies the container belongs to (for bind-mounting them
   into the container): I from 0; false past the end.  CONTROLLERS is ""
   for the unified hierarchy ("cpu,cpuacct", "name=systemd" for v1 ones).  */
bool kago_cgroup_hierarchy (const struct kago_cgroup *cg, size_t i, const char **controllers,
                            const char **mount_point, const char **dir);

void kago_cgroup_free (struct kago_cgroup *cg);

#endif
