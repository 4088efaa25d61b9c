/* Internal interfaces of the runtime core (lifecycle, process model, state). */
#ifndef KAGO_CORE_H
#define KAGO_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "common/json.h"
#include "oci/spec.h"
#include "runtime/init_ctx.h"
#include "runtime/runtime.h"

/* ---- state.c: <root>/<id>/state.json and friends ---- */
struct kago_state
{
  char *id;
  pid_t pid;                    /* host pid of the init, 0 once stopped */
  unsigned long long pid_start; /* /proc/PID/stat starttime, guards pid reuse */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;
  char *oci_version;
  oci_map annotations;
  struct kago_cgroup *cgroup; /* may be NULL */
  bool has_userns;
  bool host_mounts;  /* rootfs mounts live in a shared namespace: detach at delete */
  char *mnt_ns_path; /* that namespace's path when joined (NULL: the host's) */
};

enum kago_status
{
  KAGO_STATUS_CREATING,
  KAGO_STATUS_CREATED,
  KAGO_STATUS_RUNNING,
  KAGO_STATUS_PAUSED,
  KAGO_STATUS_STOPPED,
};
const char *kago_status_name (enum kago_status s);

/* dirfd of <root>, created when missing.  */
int kago_state_root_open (struct kago_runtime *rt, bool create, kago_error_t *err);
/* Create <root>/<id> (error when it exists); returns an O_DIRECTORY fd. */
int kago_state_dir_create (int rootfd, const char *id, kago_error_t *err);
/* Open <root>/<id>; ENOENT -> "container \"ID\" does not exist".  */
int kago_state_dir_open (int rootfd, const char *id, kago_error_t *err);
/* flock the state dir (exclusive), returns the lock fd.  */
int kago_state_lock (int dirfd, kago_error_t *err);
int kago_state_write (int dirfd, const struct kago_state *st, kago_error_t *err);
int kago_state_read (int dirfd, struct kago_state *st, kago_error_t *err);
void kago_state_clear (struct kago_state *st);
/* Remove <root>/<id> entirely.  */
int kago_state_dir_remove (int rootfd, const char *id, kago_error_t *err);
/* Derive the status from the process, the exec socket and the freezer.  */
enum kago_status kago_state_status (int dirfd, const struct kago_state *st);
/* The OCI state JSON (plus runc's rootfs, created, owner).  */
json_value *kago_state_to_oci_json (const struct kago_state *st, enum kago_status status);
/* starttime of PID from /proc/PID/stat; 0 when gone.  Zombies count as gone. */
unsigned long long kago_pid_starttime (pid_t pid, bool *zombie);
/* Is the recorded init still the same live process?  */
bool kago_state_pid_alive (const struct kago_state *st);

/* Detach the mounts under ROOTFS in the mount namespace at NS_PATH (NULL:
   ours), entering it from a forked child.  A namespace that is gone has
   nothing left to detach.  */
int kago_cleanup_shared_mounts (const char *rootfs, const char *ns_path, kago_error_t *err);

/* ---- hooks.c ---- */
/* Run a list of hooks with STATE_JSON on stdin.  Returns <0 on the first
   failure (the error names the hook kind and path).  */
int kago_hooks_run (const oci_hooks_list *hooks, const char *kind, const char *state_json, kago_error_t *err);
/* Run them all; failures only warn (poststart, poststop).  */
void kago_hooks_run_warn (const oci_hooks_list *hooks, const char *kind, const char *state_json);

/* ---- selfexe.c: CVE-2019-5736 ---- */
/* If the running executable is not a sealed copy, re-exec from one (a memfd
   with F_SEAL_WRITE|SHRINK|GROW|SEAL).  Returns 0 when already sealed, or
   when the executable is on a read-only mount (where opening it for
   writing fails with EROFS); on success of the re-exec it does not
   return.  */
int kago_selfexe_ensure_sealed (char **argv, kago_error_t *err);
/* The re-exec keeps the original path in this variable of its environment
   (the environment is otherwise passed on as it is).  */
#define KAGO_EXE_ENV "KAGO_EXE"
/* The executable's path as it was run: $KAGO_EXE when running from the
   sealed copy, else where /proc/self/exe leads.  Freed by the caller.  */
char *kago_selfexe_path (kago_error_t *err);

/* ---- idmap.c: idmapped mounts ---- */
/* The annotation that asks for an idmapped rootfs ("true").  */
#define KAGO_ANNOTATION_ROOTFS_IDMAP "io.kago.rootfs.idmap"
bool kago_idmap_mount_wanted (const oci_mount *m);
bool kago_idmap_rootfs_wanted (const oci_spec *s);
/* Any idmapped tree at all (the init then expects SYNC_IDMAP).  */
bool kago_idmap_wanted (const oci_spec *s);
/* Refuse what cannot work, before anything is made (USERNS: the container
   has a user namespace; NEW_MOUNTNS: a mount namespace of its own).  */
int kago_idmap_validate (const oci_spec *s, bool userns, bool new_mountns, kago_error_t *err);
/* Parent, after the init's maps are written: the detached idmapped trees,
   the rootfs's first (if wanted), then each idmapped mount in order.  */
int kago_idmap_open_trees (const oci_spec *s, const char *bundle, const char *rootfs, pid_t init_pid, int *fds,
                           size_t max, size_t *n, kago_error_t *err);

/* ---- namespaces.c ---- */
struct kago_ns_plan
{
  int clone_flags;            /* namespaces created by clone3 */
  int unshare_flags;          /* created by the child after joining (userns joined) */
  int join_fds[OCI_NS_COUNT]; /* fds of namespaces to join (by path), -1 otherwise */
  bool new_ns[OCI_NS_COUNT];  /* created (not joined, not inherited) */
  bool has_ns[OCI_NS_COUNT];  /* the container has its own (created or joined) */
};
int kago_ns_plan_build (const oci_spec *spec, struct kago_ns_plan *plan, kago_error_t *err);
void kago_ns_plan_close (struct kago_ns_plan *plan);
/* In the child: join every namespace with a path (except pid and time, which
   the parent joins for its children before clone).  */
int kago_ns_join_in_child (struct kago_ns_plan *plan, kago_error_t *err);
/* Go back to the namespace saved in *FD (pid or time, for children),
   close it and set it to -1; nothing when *FD is -1.  */
void kago_ns_restore (int *fd, int nstype);
/* Parent: write uid_map/gid_map of PID.  */
int kago_userns_write_maps (pid_t pid, const oci_linux *l, kago_error_t *err);
/* Parent: write time offsets for a new time namespace (before clone). */
int kago_timens_prepare (const oci_time_offsets *t, int *restore_fd, kago_error_t *err);

/* ---- sync.c (in launch.c): parent <-> child messages ---- */
enum kago_sync_type
{
  SYNC_GO = 1,     /* parent -> child: maps and cgroup done, carries the child's host pid */
  SYNC_HOOKS,      /* child -> parent: run prestart/createRuntime now */
  SYNC_HOOKS_DONE, /* parent -> child */
  SYNC_READY,      /* child -> parent: created, waiting for start */
  SYNC_START,      /* parent -> child (run): go on to execve */
  SYNC_ERROR,      /* either way: errnum + message */
  SYNC_EXEC_READY, /* exec child -> parent: about to execve */
  SYNC_CGROUP,     /* parent -> child: cgroups made, v1 \"tasks\" fds attached */
  SYNC_IDMAP,      /* parent -> child: idmapped trees (rootfs first), fds attached */
  SYNC_SECCOMP,    /* child -> parent: the seccomp notify listener fd attached */
};
struct kago_sync_msg
{
  int type;
  int pid;
  struct kago_error_wire err;
};
int kago_sync_send (int fd, int type, int pid, kago_error_t *err);
int kago_sync_send_error (int fd, const kago_error_t e);
/* Receive one message of type WANT; an error message from the peer becomes
 *err; EOF is "the container init exited unexpectedly".  */
int kago_sync_expect (int fd, int want, struct kago_sync_msg *out, kago_error_t *err);
/* The same, with up to KAGO_SYNC_MAX_FDS fds attached (SCM_RIGHTS).  */
#define KAGO_SYNC_MAX_FDS 64
int kago_sync_send_fds (int fd, int type, const int *fds, size_t n, kago_error_t *err);
int kago_sync_expect_fds (int fd, int want, int *fds, size_t max, size_t *n, kago_error_t *err);
/* Receive one message of any type into *M, with up to MAX fds (the rest are
   closed).  Returns 1 for a message, 0 at EOF, -1 on a receive error.  An
   error message from the peer is returned as a message (M->type SYNC_ERROR). */
int kago_sync_recv_any (int fd, struct kago_sync_msg *m, int *fds, size_t max, size_t *n, kago_error_t *err);

/* ---- launch.c / init.c ---- */
struct kago_launch
{
  struct kago_init_ctx ctx;
  struct kago_ns_plan ns;
  int sync_fd;       /* parent's end */
  int child_sync_fd; /* child's end */
  int exec_sock_fd;  /* listening exec.sock the init waits on for start; -1 for run */
  int start_conn_fd; /* child: the accepted connection from `start`, to report late errors */
  struct kago_seccomp_filter *seccomp;
  struct kago_caps *caps;
  char *state_json_creating; /* for hooks run by the child */
  int cg_join_fds[16];       /* v1 "tasks" fds the child joins through (kago_cgroup_self_join) */
  size_t n_cg_join;
  bool cloned_into_cgroup; /* clone3 used CLONE_INTO_CGROUP */
  bool cgroups_joined;     /* the init is in its cgroups (and its new cgroup namespace) */
  bool seccomp_installed;  /* the filter is on (a notify filter goes on before "created") */
  pid_t pid;
};
/* Clone the init.  Returns the child's host pid.  */
pid_t kago_launch_clone (struct kago_launch *l, struct kago_cgroup *cg, kago_error_t *err);
/* Steps shared with exec (init.c).  */
void kago_init_reset_signals (void);
char *kago_init_find_executable (const char *name, char *const *env, kago_error_t *err);
/* Set an exec error worded as runc's (docker derives exit codes from it).  */
int kago_init_exec_error (kago_error_t *err, const char *name, const char *what, int errnum);
int kago_init_open_procfs (struct kago_launch *l, kago_error_t *err);
int kago_init_prepare_process (struct kago_launch *l, const oci_process *p, int procfd, kago_error_t *err);
int kago_init_final_seccomp (struct kago_launch *l, const oci_process *p, kago_error_t *err);
/* The child's entry: never returns.  */
void kago_init_main (struct kago_launch *l) __attribute__ ((noreturn));

#endif
