/* `kago run` / `kago create` / `kago update` flags: parsed as docker's CLI
 * parses them (docker/cli's cli/command/container/opts.go and the moby
 * daemon's checks), then turned into
 *   - the OCI runtime config the in-process runtime library starts, and
 *   - Docker's Config / HostConfig / Mounts objects `kago inspect` shows.
 *
 * Files: runopts_parse.c (the flag table and argv walk), runopts_values.c
 * (one parser per value syntax), units.c (go-units sizes, Go integers),
 * spec_build.c (process, namespaces, security), spec_mounts.c, spec_user.c,
 * spec_resources.c, spec_docker.c (Config/HostConfig), update_opts.c.
 *
 * Nothing here prints (except the usage functions, to the FILE given) or
 * exits; errors come back in kago_error_t with docker's wording.
 */
#ifndef KAGO_ENGINE_RUNOPTS_H
#define KAGO_ENGINE_RUNOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/json.h"

#include "common/strv.h"
void kago_strv_push (struct kago_strv *s, const char *str);
void kago_strv_push_take (struct kago_strv *s, char *str);
void kago_strv_clear (struct kago_strv *s);

struct kago_restart_policy
{
  char *name; /* "no", "on-failure", "always", "unless-stopped" */
  int max_retries;
};

struct kago_ulimit
{
  char *name; /* "nofile" */
  int64_t soft, hard;
};

/* --device HOST[:CONT[:PERMS]] */
struct kago_device_map
{
  char *host, *container, *perms;
};

/* --blkio-weight-device, --device-{read,write}-{bps,iops}: PATH:VALUE */
struct kago_dev_value
{
  char *path;
  uint64_t value;
};
struct kago_dev_values
{
  struct kago_dev_value *v;
  size_t n;
};

/* One --mount (docker's mount.Mount).  */
enum kago_mount_type
{
  KAGO_MOUNT_BIND,
  KAGO_MOUNT_VOLUME,
  KAGO_MOUNT_TMPFS,
};
struct kago_mount_opt
{
  enum kago_mount_type type;
  char *source, *target;
  bool readonly;
  char *propagation;      /* bind-propagation, NULL: rprivate */
  bool bind_nonrecursive; /* bind-nonrecursive */
  bool nocopy;            /* volume-nocopy */
  int64_t tmpfs_size;     /* tmpfs-size in bytes, 0: unset */
  uint32_t tmpfs_mode;    /* tmpfs-mode, 0: unset */
  char *raw;              /* as typed, for error messages */
};

struct kago_run_opts
{
  bool help;               /* --help given: the caller prints kago_run_usage */
  char *verb;              /* "run" or "create" */
  char *name;              /* --name, NULL: the caller generates one */
  char *image;             /* the IMAGE argument as typed */
  char **cmd;              /* the arguments after IMAGE (NULL-terminated, never NULL) */
  size_t ncmd;
  bool detach, interactive, tty, rm;
  struct kago_strv attach; /* -a stdin|stdout|stderr */
  struct kago_restart_policy restart;
  int stop_signal;         /* 0: image's StopSignal, else SIGTERM */
  char *stop_signal_str;   /* --stop-signal as typed (Config.StopSignal) */
  int stop_timeout;        /* -1: unset (10 s) */
  uint64_t log_max_size;   /* --log-opt max-size=10m; 0 unlimited */
  int log_max_file;        /* --log-opt max-file=3; default 1 */
  struct kago_strv log_opts; /* --log-opt KEY=VALUE as typed (LogConfig.Config) */
  char *log_driver;        /* --log-driver: "json-file" (default) or "none" */
  char *detach_keys;       /* --detach-keys, NULL: ctrl-p,ctrl-q */
  char *cidfile;           /* --cidfile */
  bool sig_proxy;          /* --sig-proxy (default true) */

  /* Config */
  char *hostname, *domainname; /* -h, --domainname */
  char *user;                  /* -u, NULL: the image's */
  char *workdir;               /* -w, NULL: the image's */
  char *entrypoint;            /* --entrypoint (meaningful when entrypoint_set) */
  bool entrypoint_set;         /* --entrypoint given (also --entrypoint "") */
  struct kago_strv env;        /* --env-file lines then -e, KEY alone resolved from our env when set */
  struct kago_strv labels;     /* --label-file lines then -l/--label */
  struct kago_strv expose;     /* --expose 80, 80/udp, 8000-8010 */
  struct kago_strv publish;    /* -p (refused at build until networks exist) */
  bool publish_all;            /* -P */

  /* HostConfig */
  bool privileged, read_only, init, oom_kill_disable;
  bool oom_kill_disable_set;
  struct kago_strv volumes;    /* -v as typed */
  struct kago_mount_opt *mounts; /* --mount */
  size_t nmounts;
  struct kago_strv tmpfs;      /* --tmpfs PATH[:OPTS] as typed */
  struct kago_strv cap_add, cap_drop;
  struct kago_strv security_opt; /* as docker stores them (seccomp=FILE replaced by seccomp=<JSON>) */
  struct kago_device_map *devices;
  size_t ndevices;
  struct kago_strv device_cgroup_rules;
  struct kago_strv group_add;
  struct kago_ulimit *ulimits;
  size_t nulimits;
  struct kago_strv sysctls;    /* KEY=VALUE */
  struct kago_strv dns, dns_search, dns_option, add_host; /* add_host: NAME:IP, IP may be KAGO_HOST_GATEWAY */
  char *pid, *ipc, *uts, *userns, *cgroupns, *network, *cgroup_parent;
  char *ip;                    /* --ip: the address on a user-defined network */
  struct kago_strv network_alias; /* --network-alias */

  /* resources (0 / NULL: unset unless noted) */
  int64_t memory, memory_swap, memory_reservation, kernel_memory, shm_size;
  int64_t memory_swappiness; /* -1: unset */
  int oom_score_adj;
  int64_t cpu_shares, cpu_period, cpu_quota, cpu_rt_period, cpu_rt_runtime, nano_cpus;
  char *cpuset_cpus, *cpuset_mems;
  uint16_t blkio_weight;
  struct kago_dev_values blkio_weight_device, read_bps, write_bps, read_iops, write_iops;
  int64_t pids_limit;
  bool pids_limit_set;
};

void kago_run_opts_init (struct kago_run_opts *o);
void kago_run_opts_free (struct kago_run_opts *o);
void kago_run_usage (FILE *out, const char *verb);
/* Parse `kago run|create ...` (ARGV[0] is the verb).  Docker's rules: flags
   before IMAGE, everything after IMAGE is the command; -it style combined
   short flags; --flag=value and --flag value; repeated flags accumulate.
   Bad input -> -1 with an error text as docker's, e.g. `invalid argument
   "12x" for "-m, --memory" flag: invalid suffix: 'x'`, `unknown flag:
   --bogus` (the caller adds "See 'kago run --help'.").  The checks docker's
   daemon makes on the values alone (ranges, conflicts) are made here too.  */
int kago_run_opts_parse (int argc, char **argv, struct kago_run_opts *o, kago_error_t *err);

/* --add-host NAME:host-gateway: the default network's gateway.  */
#define KAGO_HOST_GATEWAY "host-gateway"

struct kago_spec_input
{
  const char *id;                 /* full 64-hex id; default hostname = first 12 chars */
  const char *name;               /* the final name */
  const char *rootfs;             /* absolute path of the container's merged rootfs */
  const json_value *image_config; /* the image's config blob JSON (with "config": {...}) */
  const char *image_id;           /* "sha256:..." */
  const char *container_dir;      /* R/containers/ID: hostname, hosts, resolv.conf go here */
  const char *volumes_dir;        /* R/volumes: a named volume NAME is volumes_dir/NAME/_data */
  const char *runtime_root;       /* R/runtime: the runtime state root */
  const char *cgroup_parent_default; /* NULL: "/kago"; cgroupsPath is PARENT/ID */
  /* container:NAME|ID for --pid/--ipc/--network/--volumes-from: the running
     container's init pid and full id, or an error ("container X is not
     running").  NULL: such modes are errors.  */
  int (*lookup) (void *ctx, const char *name_or_id, pid_t *pid, char id[65], kago_error_t *err);
  void *lookup_ctx;
  /* --init's binary; NULL: $KAGO_INIT, else kago-init beside
     /proc/self/exe.  */
  const char *init_path;
  /* The engine root, where --network NAME|ID is looked up (network/store.h);
     NULL: only the predefined networks.  */
  const char *engine_root;
};

struct kago_spec_output
{
  json_value *oci;         /* the OCI runtime config (ociVersion 1.2.0) */
  json_value *config;      /* Docker's "Config" */
  json_value *host_config; /* Docker's "HostConfig" */
  json_value *mounts;      /* Docker's "Mounts" array */
  char *path;              /* Docker's Path */
  char **args;             /* Docker's Args (NULL-terminated) */
  char **warnings;         /* docker's warnings (NULL-terminated, may be NULL) */
};
void kago_spec_output_free (struct kago_spec_output *o);
int kago_spec_build (const struct kago_run_opts *o, const struct kago_spec_input *in, struct kago_spec_output *out,
                     kago_error_t *err);

/* kago update [FLAGS] CONTAINER...  */
struct kago_update_opts
{
  bool help;
  char **names; /* NULL-terminated */
  size_t nnames;
  /* which flags were given */
  bool has_blkio_weight, has_cpu_shares, has_cpu_period, has_cpu_quota, has_cpu_rt_period, has_cpu_rt_runtime,
      has_cpus, has_cpuset_cpus, has_cpuset_mems, has_kernel_memory, has_memory, has_memory_reservation,
      has_memory_swap, has_pids_limit, has_restart;
  uint16_t blkio_weight;
  int64_t cpu_shares, cpu_period, cpu_quota, cpu_rt_period, cpu_rt_runtime, nano_cpus;
  char *cpuset_cpus, *cpuset_mems;
  int64_t kernel_memory, memory, memory_reservation, memory_swap, pids_limit;
  struct kago_restart_policy restart;
};
int kago_update_opts_parse (int argc, char **argv, struct kago_update_opts *u, kago_error_t *err);
void kago_update_opts_free (struct kago_update_opts *u);
void kago_update_usage (FILE *out);
/* Apply to one container: validate against its current HostConfig, then
   update HOST_CONFIG in place, OCI_CONFIG's linux.resources in place (so the
   next start uses the new limits; OCI_CONFIG may be NULL), and set
   *RESOURCES to the OCI linux.resources object with only what changed, for
   a live update (NULL when only --restart changed).  */
int kago_update_apply (const struct kago_update_opts *u, json_value *host_config, json_value *oci_config,
                       json_value **resources, kago_error_t *err);

#endif
