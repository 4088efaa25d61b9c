/* The state kago_spec_build passes between its files (spec_build.c,
   spec_mounts.c, spec_devices.c, spec_user.c, spec_resources.c,
   spec_docker.c).  */
#ifndef KAGO_ENGINE_SPEC_INTERNAL_H
#define KAGO_ENGINE_SPEC_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "engine/container/runopts_internal.h"

struct spec_user
{
  uid_t uid;
  gid_t gid;
  gid_t *gids; /* additionalGids: the primary gid, /etc/group memberships, --group-add */
  size_t ngids;
  char *home;
};

struct spec_ctx
{
  const struct kago_run_opts *o;
  const struct kago_spec_input *in;
  const json_value *icfg; /* the image's "config" object, or NULL */
  json_value *oci, *process, *linux_, *resources;
  json_value *config, *host_config, *mounts;
  struct kago_strv warnings;
  char *hostname;
  /* security */
  uint64_t caps;
  char *seccomp_json; /* a profile given by seccomp=<JSON>, or NULL */
  bool seccomp_unconfined;
  char *apparmor, *selinux_label;
  bool nnp, systempaths_unconfined, writable_cgroups;
  /* namespaces: the modes shown in HostConfig, and what OCI gets */
  char *pid_mode, *ipc_mode, *uts_mode, *net_mode, *cgroupns_mode, *userns_mode;
  bool net_host, uts_host, ipc_host, ipc_none, pid_host;
  pid_t ipc_pid;      /* ipc container:X: its init */
  char *net_ctr_id;   /* network container:X: its id */
  bool net_user;      /* on a user-defined network: the embedded DNS server's resolv.conf */
  json_value *net_entry; /* NetworkSettings.Networks' entry of a bridge network, or NULL */
  char *net_name;        /* its name (the entry's key) */
  struct spec_user user;
  char *workdir;      /* the final cwd */
  struct kago_strv args; /* the command (entrypoint + cmd) */
  char *init_bin;     /* --init: the kago-init binary on the host */
};

/* spec_user.c: -u and --group-add against ROOTFS's /etc/passwd and
   /etc/group, runc's GetExecUser rules.  */
int spec_user_resolve (const char *rootfs, const char *spec, const struct kago_strv *group_add,
                       struct spec_user *u, kago_error_t *err);
void spec_user_clear (struct spec_user *u);

/* spec_mounts.c: OCI mounts (defaults, -v, --mount, --tmpfs, /etc files,
   init), Docker's Mounts, masked and read-only paths, the workdir.  */
int spec_mounts (struct spec_ctx *c, kago_error_t *err);
/* spec_devices.c: linux.devices and the device cgroup rules.  */
int spec_devices (struct spec_ctx *c, kago_error_t *err);
/* The host devices under DIR as OCI linux.devices entries appended to ARR
   (CPATH is where DIR appears in the container).  */
int spec_host_devices (const char *dir, const char *cpath, const char *perms, json_value *arr, json_value *rules,
                       kago_error_t *err);
/* spec_resources.c: linux.resources (except devices), rlimits, and the
   HostConfig resource fields.  */
int spec_resources (struct spec_ctx *c, kago_error_t *err);
/* spec_docker.c: Config and HostConfig.  */
int spec_docker (struct spec_ctx *c, kago_error_t *err);

/* helpers (spec_build.c) */
json_value *spec_strv_json (const struct kago_strv *s); /* null when empty */
json_value *spec_strv_json_empty (const struct kago_strv *s); /* [] when empty */
void spec_warn (struct spec_ctx *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
json_value *spec_mount_new (const char *dest, const char *type, const char *src, const char *const *opts);

#endif
