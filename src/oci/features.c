/* The runtime-spec features document (features.md).  Member order follows
   the runtime-spec Go struct, as runc prints it.  */
#include "oci/features.h"

static void
set_strv (json_value *o, const char *key, const char *const *v)
{
  if (v == NULL)
    return;
  json_value *a = json_array_new ();
  for (; *v; v++)
    json_array_append (a, json_string_new (*v));
  json_object_set (o, key, a);
}

static void
set_bool (json_value *o, const char *key, enum kago_feature_bool b)
{
  if (b != KAGO_FEATURE_UNKNOWN)
    json_object_set (o, key, json_bool_new (b == KAGO_FEATURE_YES));
}

/* {"enabled": B} under KEY, unless B is unknown.  */
static void
set_enabled (json_value *o, const char *key, enum kago_feature_bool b)
{
  if (b == KAGO_FEATURE_UNKNOWN)
    return;
  json_value *e = json_object_new ();
  set_bool (e, "enabled", b);
  json_object_set (o, key, e);
}

static json_value *
linux_new (const struct kago_features_input *in)
{
  json_value *l = json_object_new ();
  set_strv (l, "namespaces", in->namespaces);
  set_strv (l, "capabilities", in->capabilities);
  if (in->cgroup_present)
    {
      json_value *c = json_object_new ();
      set_bool (c, "v1", in->cgroup_v1);
      set_bool (c, "v2", in->cgroup_v2);
      set_bool (c, "systemd", in->cgroup_systemd);
      set_bool (c, "systemdUser", in->cgroup_systemd_user);
      set_bool (c, "rdma", in->cgroup_rdma);
      json_object_set (l, "cgroup", c);
    }
  if (in->seccomp_present)
    {
      json_value *s = json_object_new ();
      set_bool (s, "enabled", in->seccomp_enabled);
      set_strv (s, "actions", in->seccomp_actions);
      set_strv (s, "operators", in->seccomp_operators);
      set_strv (s, "archs", in->seccomp_archs);
      set_strv (s, "knownFlags", in->seccomp_known_flags);
      set_strv (s, "supportedFlags", in->seccomp_supported_flags);
      json_object_set (l, "seccomp", s);
    }
  set_enabled (l, "apparmor", in->apparmor_enabled);
  set_enabled (l, "selinux", in->selinux_enabled);
  if (in->intel_rdt_enabled != KAGO_FEATURE_UNKNOWN || in->intel_rdt_schemata != KAGO_FEATURE_UNKNOWN
      || in->intel_rdt_monitoring != KAGO_FEATURE_UNKNOWN)
    {
      json_value *r = json_object_new ();
      set_bool (r, "enabled", in->intel_rdt_enabled);
      set_bool (r, "schemata", in->intel_rdt_schemata);
      set_bool (r, "monitoring", in->intel_rdt_monitoring);
      json_object_set (l, "intelRdt", r);
    }
  if (in->memory_policy_present)
    {
      json_value *m = json_object_new ();
      set_strv (m, "modes", in->memory_policy_modes);
      set_strv (m, "flags", in->memory_policy_flags);
      json_object_set (l, "memoryPolicy", m);
    }
  if (in->idmap_mounts != KAGO_FEATURE_UNKNOWN)
    {
      json_value *me = json_object_new ();
      set_enabled (me, "idmap", in->idmap_mounts);
      json_object_set (l, "mountExtensions", me);
    }
  set_enabled (l, "netDevices", in->net_devices);
  return l;
}

json_value *
kago_features_new (const struct kago_features_input *in)
{
  json_value *f = json_object_new ();
  json_object_set (f, "ociVersionMin", json_string_new (in->oci_version_min ? in->oci_version_min : "1.0.0"));
  json_object_set (f, "ociVersionMax",
                   json_string_new (in->oci_version_max ? in->oci_version_max : KAGO_OCI_VERSION));
  set_strv (f, "hooks", in->hooks);
  set_strv (f, "mountOptions", in->mount_options);
  if (in->linux_present)
    json_object_set (f, "linux", linux_new (in));
  if (in->annotations && in->annotations->n > 0)
    {
      json_value *a = json_object_new ();
      for (size_t i = 0; i < in->annotations->n; i++)
        json_object_set (a, in->annotations->items[i].key, json_string_new (in->annotations->items[i].value));
      json_object_set (f, "annotations", a);
    }
  set_strv (f, "potentiallyUnsafeConfigAnnotations", in->potentially_unsafe_annotations);
  return f;
}

char *
kago_features_json (const struct kago_features_input *in)
{
  json_value *f = kago_features_new (in);
  char *s = json_to_string (f, true);
  json_free (f);
  return s;
}
