/* `features`: the runtime-spec features document (features.md), describing
   what this build of kago implements.  The CLI/runtime fills the input with
   what kago really supports; this module only shapes the JSON.  */
#ifndef KAGO_OCI_FEATURES_H
#define KAGO_OCI_FEATURES_H

#include <stdbool.h>

#include "common/json.h"
#include "oci/spec.h"

/* A tri-state for the spec's optional booleans ("nil means unknown").  */
enum kago_feature_bool
{
  KAGO_FEATURE_UNKNOWN = 0, /* omitted from the output */
  KAGO_FEATURE_NO,
  KAGO_FEATURE_YES,
};

/* String lists are NULL-terminated; a NULL list is omitted ("unknown").  */
struct kago_features_input
{
  const char *oci_version_min;      /* NULL: "1.0.0" */
  const char *oci_version_max;      /* NULL: KAGO_OCI_VERSION */
  const char *const *hooks;         /* "prestart", "createRuntime", ... */
  const char *const *mount_options; /* "ro", "rbind", ... */

  bool linux_present;              /* emit the "linux" object */
  const char *const *namespaces;   /* "pid", "network", ... */
  const char *const *capabilities; /* "CAP_CHOWN", ... */

  bool cgroup_present;
  enum kago_feature_bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_systemd_user, cgroup_rdma;

  bool seccomp_present;
  enum kago_feature_bool seccomp_enabled;
  const char *const *seccomp_actions;
  const char *const *seccomp_operators;
  const char *const *seccomp_archs;
  const char *const *seccomp_known_flags;
  const char *const *seccomp_supported_flags;

  enum kago_feature_bool apparmor_enabled; /* UNKNOWN: no "apparmor" object */
  enum kago_feature_bool selinux_enabled;
  enum kago_feature_bool intel_rdt_enabled;
  enum kago_feature_bool intel_rdt_schemata;
  enum kago_feature_bool intel_rdt_monitoring;
  bool memory_policy_present;
  const char *const *memory_policy_modes;
  const char *const *memory_policy_flags;
  enum kago_feature_bool idmap_mounts; /* mountExtensions.idmap.enabled */
  enum kago_feature_bool net_devices;  /* netDevices.enabled */

  const oci_map *annotations; /* NULL or empty: omitted */
  const char *const *potentially_unsafe_annotations;
};

/* The features object (caller frees with json_free).  */
json_value *kago_features_new (const struct kago_features_input *in);
/* The same, pretty-printed (two-space indent, no trailing newline).  */
char *kago_features_json (const struct kago_features_input *in);

#endif
