/* config.json "linux": namespaces, id mappings, devices, seccomp, sysctl,
 * paths, personality, time offsets.  linux.resources is in spec_resources.c.
 */
#include "oci/spec.h"
#include "oci/spec_internal.h"

#include "common/xalloc.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *name; /* in config.json */
  const char *proc; /* in /proc/PID/ns/ */
  int flag;
} ns_info[OCI_NS_COUNT] = {
  [OCI_NS_PID] = { "pid", "pid", CLONE_NEWPID },
  [OCI_NS_NETWORK] = { "network", "net", CLONE_NEWNET },
  [OCI_NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
  [OCI_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
  [OCI_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
  [OCI_NS_USER] = { "user", "user", CLONE_NEWUSER },
  [OCI_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
  [OCI_NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

const char *
oci_ns_type_name (enum oci_ns_type t)
{
  return (unsigned) t < OCI_NS_COUNT ? ns_info[t].name : NULL;
}

const char *
oci_ns_proc_name (enum oci_ns_type t)
{
  return (unsigned) t < OCI_NS_COUNT ? ns_info[t].proc : NULL;
}

int
oci_ns_clone_flag (enum oci_ns_type t)
{
  return (unsigned) t < OCI_NS_COUNT ? ns_info[t].flag : 0;
}

const oci_namespace *
oci_spec_namespace (const oci_spec *s, enum oci_ns_type t)
{
  if (s == NULL)
    return NULL;
  for (size_t i = 0; i < s->linux_.n_namespaces; i++)
    if (s->linux_.namespaces[i].type == t)
      return &s->linux_.namespaces[i];
  return NULL;
}

static const char *const propagations[] = {
  "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable", NULL,
};

static int
parse_namespaces (const json_value *lin, const spath *p, oci_linux *out, kago_error_t *err)
{
  const json_value *arr;
  int r = sp_get_arr (lin, "namespaces", p, &arr, err);
  if (r <= 0)
    return r;
  spath np = SP_KEY (p, "namespaces");
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *v = arr->u.arr.items[i];
      spath e = SP_IDX (&np, i);
      spath tp = SP_KEY (&e, "type");
      char *type = NULL, *path = NULL;
      int t;

      if (sp_expect (v, JSON_OBJECT, &e, err) < 0 || sp_get_str (v, "type", &e, true, &type, err) < 0)
        return -1;
      for (t = 0; t < OCI_NS_COUNT; t++)
        if (strcmp (type, ns_info[t].name) == 0)
          break;
      if (t == OCI_NS_COUNT)
        {
          sp_error (err, &tp, "unknown namespace type \"%s\"", type);
          free (type);
          return -1;
        }
      for (size_t j = 0; j < out->n_namespaces; j++)
        if (out->namespaces[j].type == (enum oci_ns_type) t)
          {
            sp_error (err, &e, "duplicate namespace type \"%s\"", type);
            free (type);
            return -1;
          }
      free (type);
      if (sp_get_str (v, "path", &e, false, &path, err) < 0)
        return -1;
      if (path && path[0] == '\0')
        {
          free (path);
          path = NULL;
        }
      if (path)
        {
          spath pp = SP_KEY (&e, "path");
          if (sp_check_abs (path, &pp, err) < 0)
            {
              free (path);
              return -1;
            }
        }
      out->namespaces[out->n_namespaces].type = (enum oci_ns_type) t;
      out->namespaces[out->n_namespaces].path = path;
      out->n_namespaces++;
    }
  return 0;
}

static int
parse_time_offsets (const json_value *lin, const spath *p, oci_time_offsets *out, kago_error_t *err)
{
  const json_value *v;
  int r = sp_get_obj (lin, "timeOffsets", p, &v, err);
  if (r <= 0)
    return r;
  spath tp = SP_KEY (p, "timeOffsets");
  for (size_t i = 0; i < v->u.obj.len; i++)
    {
      const struct json_member *m = &v->u.obj.members[i];
      spath e = SP_KEY (&tp, m->key);
      int64_t secs = 0;
      uint32_t nsecs = 0;
      bool mono;
      if (strcmp (m->key, "monotonic") == 0)
        mono = true;
      else if (strcmp (m->key, "boottime") == 0)
        mono = false;
      else
        return sp_error (err, &e, "unknown clock (expected monotonic or boottime)");
      if (m->value->type == JSON_NULL)
        continue;
      if (sp_expect (m->value, JSON_OBJECT, &e, err) < 0
          || sp_get_i64 (m->value, "secs", &e, false, &secs, err) < 0
          || sp_get_u32 (m->value, "nanosecs", &e, false, &nsecs, err) < 0)
        return -1;
      if (nsecs >= 1000000000u)
        {
          spath np = SP_KEY (&e, "nanosecs");
          return sp_error (err, &np, "%u is out of range (0 to 999999999)", nsecs);
        }
      if (mono)
        {
          out->has_monotonic = true;
          out->monotonic_secs = secs;
          out->monotonic_nsecs = nsecs;
        }
      else
        {
          out->has_boottime = true;
          out->boottime_secs = secs;
          out->boottime_nsecs = nsecs;
        }
    }
  return 0;
}

static int
parse_devices (const json_value *lin, const spath *p, oci_linux *out, kago_error_t *err)
{
  const json_value *arr;
  int r = sp_get_arr (lin, "devices", p, &arr, err);
  if (r <= 0 || arr->u.arr.len == 0)
    return r;
  spath dp = SP_KEY (p, "devices");
  out->devices = xcalloc (arr->u.arr.len, sizeof *out->devices);
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *v = arr->u.arr.items[i];
      spath e = SP_IDX (&dp, i);
      spath tp = SP_KEY (&e, "type");
      spath pp = SP_KEY (&e, "path");
      oci_device *d = &out->devices[i];
      char *type = NULL;
      out->n_devices = i + 1;

      if (sp_expect (v, JSON_OBJECT, &e, err) < 0 || sp_get_str (v, "type", &e, true, &type, err) < 0)
        return -1;
      bool ok = strlen (type) == 1 && strchr ("cbup", type[0]) != NULL;
      if (!ok)
        {
          sp_error (err, &tp, "invalid device type \"%s\" (expected c, b, u or p)", type);
          free (type);
          return -1;
        }
      d->type = type[0];
      free (type);
      if (sp_get_str (v, "path", &e, true, &d->path, err) < 0 || sp_check_abs (d->path, &pp, err) < 0)
        return -1;
      bool need_numbers = d->type != 'p';
      if (sp_get_i64 (v, "major", &e, need_numbers, &d->major, err) < 0
          || sp_get_i64 (v, "minor", &e, need_numbers, &d->minor, err) < 0)
        return -1;
      r = sp_get_u32 (v, "fileMode", &e, false, &d->file_mode, err);
      if (r < 0)
        return -1;
      d->has_file_mode = r > 0;
      r = sp_get_u32 (v, "uid", &e, false, &d->uid, err);
      if (r < 0)
        return -1;
      d->has_uid = r > 0;
      r = sp_get_u32 (v, "gid", &e, false, &d->gid, err);
      if (r < 0)
        return -1;
      d->has_gid = r > 0;
    }
  return 0;
}

static void
seccomp_free (oci_seccomp *s)
{
  if (s == NULL)
    return;
  free (s->default_action);
  sp_strv_clear (&s->architectures);
  sp_strv_clear (&s->flags);
  free (s->listener_path);
  free (s->listener_metadata);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      oci_seccomp_syscall *sc = &s->syscalls[i];
      sp_strv_clear (&sc->names);
      free (sc->action);
      for (size_t j = 0; j < sc->n_args; j++)
        free (sc->args[j].op);
      free (sc->args);
    }
  free (s->syscalls);
  free (s);
}

static int
parse_seccomp_args (const json_value *sv, const spath *e, oci_seccomp_syscall *sc, kago_error_t *err)
{
  const json_value *arr;
  int r = sp_get_arr (sv, "args", e, &arr, err);
  if (r <= 0 || arr->u.arr.len == 0)
    return r;
  spath ap = SP_KEY (e, "args");
  sc->args = xcalloc (arr->u.arr.len, sizeof *sc->args);
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *v = arr->u.arr.items[i];
      spath ae = SP_IDX (&ap, i);
      oci_seccomp_arg *a = &sc->args[i];
      sc->n_args = i + 1;
      if (sp_expect (v, JSON_OBJECT, &ae, err) < 0 || sp_get_u32 (v, "index", &ae, true, &a->index, err) < 0
          || sp_get_u64 (v, "value", &ae, true, &a->value, err) < 0
          || sp_get_u64 (v, "valueTwo", &ae, false, &a->value_two, err) < 0
          || sp_get_str (v, "op", &ae, true, &a->op, err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_seccomp (const json_value *lin, const spath *p, oci_linux *out, kago_error_t *err)
{
  const json_value *v, *arr;
  int r = sp_get_obj (lin, "seccomp", p, &v, err);
  if (r <= 0)
    return r;
  spath sp = SP_KEY (p, "seccomp");
  oci_seccomp *s = out->seccomp = xzalloc (sizeof *s);
  if (sp_get_str (v, "defaultAction", &sp, true, &s->default_action, err) < 0)
    return -1;
  r = sp_get_u32 (v, "defaultErrnoRet", &sp, false, &s->default_errno_ret, err);
  if (r < 0)
    return -1;
  s->has_default_errno_ret = r > 0;
  if (sp_get_strv (v, "architectures", &sp, &s->architectures, err) < 0
      || sp_get_strv (v, "flags", &sp, &s->flags, err) < 0
      || sp_get_str (v, "listenerPath", &sp, false, &s->listener_path, err) < 0
      || sp_get_str (v, "listenerMetadata", &sp, false, &s->listener_metadata, err) < 0)
    return -1;

  r = sp_get_arr (v, "syscalls", &sp, &arr, err);
  if (r <= 0 || arr->u.arr.len == 0)
    return r;
  spath cp = SP_KEY (&sp, "syscalls");
  s->syscalls = xcalloc (arr->u.arr.len, sizeof *s->syscalls);
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *sv = arr->u.arr.items[i];
      spath e = SP_IDX (&cp, i);
      oci_seccomp_syscall *sc = &s->syscalls[i];
      s->n_syscalls = i + 1;
      if (sp_expect (sv, JSON_OBJECT, &e, err) < 0)
        return -1;
      r = sp_get_strv (sv, "names", &e, &sc->names, err);
      if (r < 0)
        return -1;
      if (r == 0 || sc->names.n == 0)
        {
          spath np = SP_KEY (&e, "names");
          return sp_error (err, &np, r == 0 ? "required" : "must not be empty");
        }
      if (sp_get_str (sv, "action", &e, true, &sc->action, err) < 0)
        return -1;
      r = sp_get_u32 (sv, "errnoRet", &e, false, &sc->errno_ret, err);
      if (r < 0)
        return -1;
      sc->has_errno_ret = r > 0;
      if (parse_seccomp_args (sv, &e, sc, err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_personality (const json_value *lin, const spath *p, oci_linux *out, kago_error_t *err)
{
  const json_value *v;
  int r = sp_get_obj (lin, "personality", p, &v, err);
  if (r <= 0)
    return r;
  spath pp = SP_KEY (p, "personality");
  spath dp = SP_KEY (&pp, "domain");
  if (sp_get_str (v, "domain", &pp, true, &out->personality_domain, err) < 0)
    return -1;
  if (strcmp (out->personality_domain, "LINUX") != 0 && strcmp (out->personality_domain, "LINUX32") != 0)
    return sp_error (err, &dp, "unknown personality domain \"%s\" (expected LINUX or LINUX32)",
                     out->personality_domain);
  if (sp_get_strv (v, "flags", &pp, &out->personality_flags, err) < 0)
    return -1;
  out->has_personality = true;
  return 0;
}

int
spec_linux_parse (const json_value *v, const spath *p, oci_linux *out, kago_error_t *err)
{
  const json_value *o;
  int r;

  if (parse_namespaces (v, p, out, err) < 0
      || sp_get_idmaps (v, "uidMappings", p, &out->uid_mappings, err) < 0
      || sp_get_idmaps (v, "gidMappings", p, &out->gid_mappings, err) < 0
      || parse_time_offsets (v, p, &out->time_offsets, err) < 0 || parse_devices (v, p, out, err) < 0
      || sp_get_str (v, "cgroupsPath", p, false, &out->cgroups_path, err) < 0)
    return -1;

  r = sp_get_obj (v, "resources", p, &o, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      char *rp = sp_render (p);
      char *path = xasprintf ("%s%sresources", rp, rp[0] ? "." : "");
      free (rp);
      r = oci_resources_parse (o, path, &out->resources, err);
      free (path);
      if (r < 0)
        return -1;
      out->has_resources = true;
    }

  if (sp_get_str (v, "rootfsPropagation", p, false, &out->rootfs_propagation, err) < 0)
    return -1;
  if (out->rootfs_propagation)
    {
      bool ok = false;
      for (const char *const *q = propagations; *q; q++)
        if (strcmp (*q, out->rootfs_propagation) == 0)
          ok = true;
      if (!ok)
        {
          spath pp = SP_KEY (p, "rootfsPropagation");
          return sp_error (err, &pp,
                           "invalid value \"%s\" (expected [r]private, [r]shared, [r]slave or [r]unbindable)",
                           out->rootfs_propagation);
        }
    }

  if (parse_seccomp (v, p, out, err) < 0 || sp_get_map (v, "sysctl", p, &out->sysctl, err) < 0
      || sp_get_strv (v, "maskedPaths", p, &out->masked_paths, err) < 0
      || sp_get_strv (v, "readonlyPaths", p, &out->readonly_paths, err) < 0
      || sp_get_str (v, "mountLabel", p, false, &out->mount_label, err) < 0
      || parse_personality (v, p, out, err) < 0)
    return -1;

  /* Parsed only far enough to know they were asked for.  */
  r = sp_get_obj (v, "intelRdt", p, &o, err);
  if (r < 0)
    return -1;
  out->has_intel_rdt = r > 0;
  r = sp_get_obj (v, "memoryPolicy", p, &o, err);
  if (r < 0)
    return -1;
  out->has_memory_policy = r > 0;
  r = sp_get_obj (v, "netDevices", p, &o, err);
  if (r < 0)
    return -1;
  out->has_net_devices = r > 0 && o->u.obj.len > 0;
  return 0;
}

void
spec_linux_clear (oci_linux *l)
{
  for (size_t i = 0; i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->uid_mappings.items);
  free (l->gid_mappings.items);
  for (size_t i = 0; i < l->n_devices; i++)
    free (l->devices[i].path);
  free (l->devices);
  free (l->cgroups_path);
  oci_resources_clear (&l->resources);
  free (l->rootfs_propagation);
  seccomp_free (l->seccomp);
  sp_map_clear (&l->sysctl);
  sp_strv_clear (&l->masked_paths);
  sp_strv_clear (&l->readonly_paths);
  free (l->mount_label);
  free (l->personality_domain);
  sp_strv_clear (&l->personality_flags);
  memset (l, 0, sizeof *l);
}
