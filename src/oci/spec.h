/* The OCI runtime-spec (1.0.0 .. 1.3.x) config.json model.
 *
 * oci_spec_parse() turns config.json into these structs and validates them
 * before the runtime does anything with side effects; an error names the JSON
 * path ("process.args[0]: expected a string, got number").  Unknown properties
 * are ignored, as the spec requires.  Optional scalars carry a has_X flag.
 * Every string is heap-owned; oci_spec_free() releases everything.
 */
#ifndef KAGO_OCI_SPEC_H
#define KAGO_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/json.h"

/* A NULL-terminated string vector with its length.  */
typedef struct
{
  char **v; /* NULL-terminated, or NULL when absent */
  size_t n;
} oci_strv;

typedef struct
{
  char *key;
  char *value;
} oci_kv;

typedef struct
{
  oci_kv *items;
  size_t n;
} oci_map;

typedef struct
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
} oci_id_mapping;

typedef struct
{
  oci_id_mapping *items;
  size_t n;
} oci_id_mappings;

typedef struct
{
  char *destination;
  char *type;   /* may be NULL */
  char *source; /* may be NULL */
  oci_strv options;
  oci_id_mappings uid_mappings;
  oci_id_mappings gid_mappings;
} oci_mount;

typedef struct
{
  char *type;   /* "RLIMIT_NOFILE" ... */
  int resource; /* RLIMIT_* resolved at parse time */
  uint64_t hard;
  uint64_t soft;
} oci_rlimit;

typedef struct
{
  oci_strv bounding, effective, inheritable, permitted, ambient;
  bool present; /* process.capabilities was given */
} oci_capabilities;

typedef struct
{
  uint32_t uid;
  uint32_t gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
} oci_user;

typedef struct
{
  bool terminal;
  bool has_console_size;
  uint32_t console_height, console_width;
  oci_user user;
  oci_strv args;
  oci_strv env;
  char *cwd;
  oci_capabilities capabilities;
  oci_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *selinux_label;
  /* 1.1+ */
  bool has_io_priority;
  char *io_priority_class; /* IOPRIO_CLASS_RT | _BE | _IDLE */
  int io_priority;
  bool has_scheduler;
  char *sched_policy; /* SCHED_OTHER ... */
  int sched_nice, sched_priority;
  oci_strv sched_flags;
  uint64_t sched_runtime, sched_deadline, sched_period;
  /* 1.2+ */
  char *exec_cpu_affinity_initial;
  char *exec_cpu_affinity_final;
} oci_process;

typedef struct
{
  char *path;
  oci_strv args;
  oci_strv env;
  bool has_timeout;
  int timeout; /* seconds, > 0 */
} oci_hook;

typedef struct
{
  oci_hook *items;
  size_t n;
} oci_hooks_list;

typedef struct
{
  oci_hooks_list prestart, create_runtime, create_container, start_container, poststart, poststop;
} oci_hooks;

enum oci_ns_type
{
  OCI_NS_PID,
  OCI_NS_NETWORK,
  OCI_NS_MOUNT,
  OCI_NS_IPC,
  OCI_NS_UTS,
  OCI_NS_USER,
  OCI_NS_CGROUP,
  OCI_NS_TIME,
  OCI_NS_COUNT,
};

typedef struct
{
  enum oci_ns_type type;
  char *path; /* NULL: create a new one */
} oci_namespace;

typedef struct
{
  char type; /* 'c', 'b', 'u', 'p' */
  char *path;
  int64_t major, minor;
  bool has_file_mode;
  uint32_t file_mode;
  bool has_uid, has_gid;
  uint32_t uid, gid;
} oci_device;

typedef struct
{
  bool allow;
  char type;                 /* 'a', 'c', 'b'; 'a' when absent */
  bool has_major, has_minor; /* absent means wildcard */
  int64_t major, minor;
  char *access; /* "rwm" subset; NULL = "rwm" */
} oci_device_cgroup;

typedef struct
{
  int64_t major, minor;
  bool has_weight, has_leaf_weight;
  uint16_t weight, leaf_weight;
} oci_weight_device;

typedef struct
{
  int64_t major, minor;
  uint64_t rate;
} oci_throttle_device;

typedef struct
{
  oci_throttle_device *items;
  size_t n;
} oci_throttle_list;

typedef struct
{
  char *page_size; /* "2MB" */
  uint64_t limit;
} oci_hugepage_limit;

typedef struct
{
  char *name;
  uint32_t priority;
} oci_net_priority;

typedef struct
{
  char *device;
  bool has_hca_handles, has_hca_objects;
  uint32_t hca_handles, hca_objects;
} oci_rdma;

typedef struct
{
  oci_device_cgroup *devices;
  size_t n_devices;

  bool has_memory;
  bool has_mem_limit, has_mem_reservation, has_mem_swap, has_mem_kernel, has_mem_kernel_tcp;
  int64_t mem_limit, mem_reservation, mem_swap, mem_kernel, mem_kernel_tcp;
  bool has_mem_swappiness;
  uint64_t mem_swappiness;
  bool has_disable_oom_killer, disable_oom_killer;
  bool has_use_hierarchy, use_hierarchy;
  bool has_check_before_update, check_before_update;

  bool has_cpu;
  bool has_cpu_shares, has_cpu_quota, has_cpu_burst, has_cpu_period;
  uint64_t cpu_shares;
  int64_t cpu_quota;
  uint64_t cpu_burst, cpu_period;
  bool has_cpu_rt_runtime, has_cpu_rt_period;
  int64_t cpu_rt_runtime;
  uint64_t cpu_rt_period;
  char *cpu_cpus, *cpu_mems;
  bool has_cpu_idle;
  int64_t cpu_idle;

  bool has_pids_limit;
  int64_t pids_limit;

  bool has_blkio;
  bool has_blkio_weight, has_blkio_leaf_weight;
  uint16_t blkio_weight, blkio_leaf_weight;
  oci_weight_device *blkio_weight_device;
  size_t n_blkio_weight_device;
  oci_throttle_list throttle_read_bps, throttle_write_bps, throttle_read_iops, throttle_write_iops;

  oci_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;

  bool has_net_class_id;
  uint32_t net_class_id;
  oci_net_priority *net_priorities;
  size_t n_net_priorities;

  oci_rdma *rdma;
  size_t n_rdma;

  oci_map unified;
} oci_resources;

typedef struct
{
  uint32_t index;
  uint64_t value;
  uint64_t value_two;
  char *op; /* SCMP_CMP_EQ ... */
} oci_seccomp_arg;

typedef struct
{
  oci_strv names;
  char *action; /* SCMP_ACT_* */
  bool has_errno_ret;
  uint32_t errno_ret;
  oci_seccomp_arg *args;
  size_t n_args;
} oci_seccomp_syscall;

typedef struct
{
  char *default_action;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  oci_strv architectures;
  oci_strv flags;
  char *listener_path;
  char *listener_metadata;
  oci_seccomp_syscall *syscalls;
  size_t n_syscalls;
} oci_seccomp;

typedef struct
{
  bool has_monotonic, has_boottime;
  int64_t monotonic_secs, boottime_secs;
  uint32_t monotonic_nsecs, boottime_nsecs;
} oci_time_offsets;

typedef struct
{
  oci_namespace namespaces[OCI_NS_COUNT];
  size_t n_namespaces;
  oci_id_mappings uid_mappings, gid_mappings;
  oci_time_offsets time_offsets;
  oci_device *devices;
  size_t n_devices;
  char *cgroups_path;
  bool has_resources;
  oci_resources resources;
  char *rootfs_propagation; /* private|shared|slave|unbindable (r-prefixed accepted) */
  oci_seccomp *seccomp;     /* NULL when absent */
  oci_map sysctl;
  oci_strv masked_paths;
  oci_strv readonly_paths;
  char *mount_label;
  bool has_personality;
  char *personality_domain; /* LINUX | LINUX32 */
  oci_strv personality_flags;
  /* linux.intelRdt, memoryPolicy, netDevices: parsed so that a request kago
     cannot honour is refused (never silently dropped).  */
  bool has_intel_rdt;
  bool has_memory_policy;
  bool has_net_devices;
} oci_linux;

typedef struct
{
  char *oci_version;
  char *root_path; /* as written in config.json */
  bool root_readonly;
  char *hostname;
  char *domainname;
  oci_mount *mounts;
  size_t n_mounts;
  oci_process *process; /* NULL when absent (create ok, start fails) */
  oci_hooks hooks;
  oci_map annotations;
  bool has_linux;
  oci_linux linux_;
} oci_spec;

/* Parse and validate.  On error, NULL and a message naming the JSON path.  */
oci_spec *oci_spec_parse (const json_value *root, kago_error_t *err);
oci_spec *oci_spec_load (const char *config_path, kago_error_t *err);
void oci_spec_free (oci_spec *spec);

/* Pieces reused by `exec --process FILE` and `update --resources FILE`.
   PATH names the JSON path prefix for error messages ("process").  */
oci_process *oci_process_parse (const json_value *v, const char *path, kago_error_t *err);
void oci_process_free (oci_process *p);
int oci_resources_parse (const json_value *v, const char *path, oci_resources *out, kago_error_t *err);
void oci_resources_clear (oci_resources *r);

/* Helpers.  */
const char *oci_ns_type_name (enum oci_ns_type t); /* "pid", "network", ... */
int oci_ns_clone_flag (enum oci_ns_type t);        /* CLONE_NEWPID ... */
const char *oci_ns_proc_name (enum oci_ns_type t); /* "pid", "net", "mnt", ... */
const oci_namespace *oci_spec_namespace (const oci_spec *s, enum oci_ns_type t);
const char *oci_map_get (const oci_map *m, const char *key);

/* "RLIMIT_NOFILE" <-> RLIMIT_NOFILE; -1 / NULL when unknown.  */
int oci_rlimit_from_name (const char *name);
const char *oci_rlimit_name (int resource);

/* ociVersion acceptance: 1.0.0 .. 1.3.x (with -rc/-dev suffixes).  */
int oci_version_check (const char *version, kago_error_t *err);

#define KAGO_OCI_VERSION "1.3.0"

#endif
