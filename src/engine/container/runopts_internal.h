/* Shared between the runopts_*.c, spec_*.c and update_opts.c files.  */
#ifndef KAGO_ENGINE_RUNOPTS_INTERNAL_H
#define KAGO_ENGINE_RUNOPTS_INTERNAL_H

#include "engine/container/runopts.h"

/* ---- value parsers (runopts_values.c); errors are the text after
   `invalid argument "X" for "--flag" flag: ` ---- */
int ro_parse_ulimit (const char *v, struct kago_ulimit *u, kago_error_t *err);
int ro_parse_device (const char *v, struct kago_device_map *d, kago_error_t *err);
int ro_validate_device_cgroup_rule (const char *v, kago_error_t *err);
int ro_parse_weight_device (const char *v, struct kago_dev_value *d, kago_error_t *err);
int ro_parse_bps_device (const char *v, struct kago_dev_value *d, kago_error_t *err);
int ro_parse_iops_device (const char *v, struct kago_dev_value *d, kago_error_t *err);
int ro_parse_mount (const char *v, struct kago_mount_opt *m, kago_error_t *err);
void ro_mount_opt_clear (struct kago_mount_opt *m);
int ro_parse_restart (const char *v, struct kago_restart_policy *r, kago_error_t *err);
int ro_validate_restart (const struct kago_restart_policy *r, kago_error_t *err);
/* docker's ValidateEnv: "KEY" alone takes our value of KEY when set.  */
int ro_validate_env (const char *v, char **out, kago_error_t *err);
/* docker's ParseEnvFile / ParseKeyValueFile into OUT (appended).  */
int ro_read_kv_file (const char *path, bool env_lookup, struct kago_strv *out, kago_error_t *err);
/* --security-opt: checks the form; a seccomp=FILE becomes
   seccomp=<compact JSON> (docker's CLI sends the content).  */
int ro_parse_security_opt (const char *v, char **stored, kago_error_t *err);
int ro_validate_sysctl (const char *v, kago_error_t *err);
/* --expose PORT[-PORT][/PROTO]: the range and the protocol (default tcp).  */
int ro_parse_expose (const char *v, long *first, long *last, const char **proto, kago_error_t *err);
/* docker's capability name normalisation: "sys_admin" -> "CAP_SYS_ADMIN";
   "ALL" stays.  Unknown: "unknown capability: \"CAP_FOO\"".  */
int ro_normalize_cap (const char *v, char **out, int *num, kago_error_t *err);

/* ---- resource checks shared by run and update (runopts_values.c) ---- */
struct ro_resources
{
  int64_t memory, memory_swap, memory_reservation, kernel_memory;
  int64_t cpu_shares, cpu_period, cpu_quota, nano_cpus, cpu_rt_period, cpu_rt_runtime;
  const char *cpuset_cpus, *cpuset_mems;
  int blkio_weight;
  bool update; /* docker's update: swap without memory is allowed */
};
/* moby's verifyContainerResources, value checks only (the host's CPUs and
   memory nodes are looked up).  */
int ro_check_resources (const struct ro_resources *r, kago_error_t *err);
int ro_num_cpus (void);

/* ---- strv helpers ---- */
bool ro_strv_has (const struct kago_strv *s, const char *v);

#endif
