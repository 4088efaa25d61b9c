/* Docker seccomp profiles -> OCI linux.seccomp (see profile.h for the rules).
 *
 * The profile is checked as it is read: types, the exclusive pairs
 * (name/names, architectures/archMap), action and operator names, argument
 * indexes, minKernel versions.  Every error names the field.  */
#include "seccomp/profile.h"

#include <ctype.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/process_attrs.h"

/* Go's architecture names (moby's), the libseccomp names of the same
   architectures, and the uname -m spellings.  */
static const struct
{
  const char *go;
  const char *scmp;
  const char *machine;
} arches[] = {
  { "amd64", "SCMP_ARCH_X86_64", "x86_64" },
  { "x86", "SCMP_ARCH_X86", "i686" },
  { "x32", "SCMP_ARCH_X32", NULL },
  { "arm64", "SCMP_ARCH_AARCH64", "aarch64" },
  { "arm", "SCMP_ARCH_ARM", "armv7l" },
  { "mips64", "SCMP_ARCH_MIPS64", "mips64" },
  { "mips64n32", "SCMP_ARCH_MIPS64N32", NULL },
  { "mipsel64", "SCMP_ARCH_MIPSEL64", NULL },
  { "mips3l64n32", "SCMP_ARCH_MIPSEL64N32", NULL },
  { "mipsle", "SCMP_ARCH_MIPSEL", NULL },
  { "mips", "SCMP_ARCH_MIPS", "mips" },
  { "ppc", "SCMP_ARCH_PPC", "ppc" },
  { "ppc64", "SCMP_ARCH_PPC64", "ppc64" },
  { "ppc64le", "SCMP_ARCH_PPC64LE", "ppc64le" },
  { "s390", "SCMP_ARCH_S390", "s390" },
  { "s390x", "SCMP_ARCH_S390X", "s390x" },
  { "riscv64", "SCMP_ARCH_RISCV64", "riscv64" },
  { "loong64", "SCMP_ARCH_LOONGARCH64", "loongarch64" },
};
#define N_ARCHES (sizeof arches / sizeof arches[0])

static const char *const action_names[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",   "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

static const char *const op_names[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

static bool
in_list (const char *const *list, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (list[i], s) == 0)
      return true;
  return false;
}

uint64_t
kago_seccomp_docker_default_caps (void)
{
  static const int caps[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
    CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,    CAP_AUDIT_WRITE,
  };
  uint64_t set = 0;
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
    set |= UINT64_C (1) << caps[i];
  return set;
}

const char *
kago_seccomp_arch_from_machine (const char *machine)
{
  if (machine == NULL)
    return NULL;
  if (strcmp (machine, "i386") == 0 || strcmp (machine, "i486") == 0 || strcmp (machine, "i586") == 0)
    return "x86";
  if (strncmp (machine, "armv", 4) == 0)
    return "arm";
  for (size_t i = 0; i < N_ARCHES; i++)
    if (arches[i].machine && strcmp (arches[i].machine, machine) == 0)
      return arches[i].go;
  return NULL;
}

bool
kago_seccomp_arch_known (const char *name)
{
  for (size_t i = 0; name && i < N_ARCHES; i++)
    if (strcmp (arches[i].go, name) == 0)
      return true;
  return false;
}

static const char *
arch_scmp_name (const char *go)
{
  for (size_t i = 0; go && i < N_ARCHES; i++)
    if (strcmp (arches[i].go, go) == 0)
      return arches[i].scmp;
  return NULL;
}

int
kago_seccomp_parse_kernel (const char *s, unsigned int *major, unsigned int *minor)
{
  if (s == NULL || !isdigit ((unsigned char) s[0]))
    return -1;
  char *end;
  unsigned long ma = strtoul (s, &end, 10);
  if (*end != '.' || !isdigit ((unsigned char) end[1]) || ma > 100000)
    return -1;
  unsigned long mi = strtoul (end + 1, &end, 10);
  if (mi > 100000)
    return -1;
  *major = (unsigned int) ma;
  *minor = (unsigned int) mi;
  return 0;
}

int
kago_seccomp_target_host (struct kago_seccomp_target *t, kago_error_t *err)
{
  static struct utsname uts; /* the strings outlive the call */
  if (uname (&uts) < 0)
    return kago_error_set (err, errno, "uname");
  memset (t, 0, sizeof *t);
  t->caps = kago_seccomp_docker_default_caps ();
  t->arch = kago_seccomp_arch_from_machine (uts.machine);
  if (t->arch == NULL)
    return kago_error_set (err, 0, "seccomp: unknown architecture \"%s\"", uts.machine);
  if (kago_seccomp_parse_kernel (uts.release, &t->kernel_major, &t->kernel_minor) < 0)
    return kago_error_set (err, 0, "seccomp: cannot parse the kernel release \"%s\"", uts.release);
  return 0;
}

int
kago_seccomp_cap_parse (const char *name)
{
  if (name == NULL || name[0] == '\0')
    return -1;
  char buf[64];
  const char *p = strncasecmp (name, "CAP_", 4) == 0 ? name + 4 : name;
  if (strlen (p) + 5 > sizeof buf)
    return -1;
  strcpy (buf, "CAP_");
  for (size_t i = 0; p[i]; i++)
    buf[4 + i] = (char) toupper ((unsigned char) p[i]);
  buf[4 + strlen (p)] = '\0';
  return kago_cap_from_name (buf);
}

/* ---- reading the profile ---- */

/* An optional array of strings: 0 absent/null, 1 present, -1 error.  */
static int
get_strv (const json_value *obj, const char *key, const char *path, const json_value **out, kago_error_t *err)
{
  const json_value *v = json_object_get (obj, key);
  *out = NULL;
  if (v == NULL || v->type == JSON_NULL)
    return 0;
  if (v->type != JSON_ARRAY)
    return kago_error_set (err, 0, "%s.%s: expected an array of strings, got %s", path, key,
                           json_type_name (v->type));
  for (size_t i = 0; i < v->u.arr.len; i++)
    if (v->u.arr.items[i]->type != JSON_STRING)
      return kago_error_set (err, 0, "%s.%s[%zu]: expected a string, got %s", path, key, i,
                             json_type_name (v->u.arr.items[i]->type));
  *out = v;
  return 1;
}

static int
get_str (const json_value *obj, const char *key, const char *path, const char **out, kago_error_t *err)
{
  const json_value *v = json_object_get (obj, key);
  *out = NULL;
  if (v == NULL || v->type == JSON_NULL)
    return 0;
  if (v->type != JSON_STRING)
    return kago_error_set (err, 0, "%s%s%s: expected a string, got %s", path, path[0] ? "." : "", key,
                           json_type_name (v->type));
  *out = v->u.str.s;
  return 1;
}

static int
get_u64 (const json_value *obj, const char *key, const char *path, uint64_t max, uint64_t *out,
         kago_error_t *err)
{
  const json_value *v = json_object_get (obj, key);
  if (v == NULL || v->type == JSON_NULL)
    return 0;
  if (json_get_uint64 (v, out) < 0 || *out > max)
    return kago_error_set (err, 0, "%s%s%s: expected an integer from 0 to %llu", path, path[0] ? "." : "",
                           key, (unsigned long long) max);
  return 1;
}

static bool
strv_has (const json_value *arr, const char *s)
{
  for (size_t i = 0; i < json_array_len (arr); i++)
    if (strcmp (arr->u.arr.items[i]->u.str.s, s) == 0)
      return true;
  return false;
}

/* Does the capability named NAME (as profiles spell it: "CAP_SYS_ADMIN") sit
   in CAPS?  A name kago does not know is in no set.  */
static bool
cap_in (uint64_t caps, const char *name)
{
  int c = kago_cap_from_name (name);
  return c >= 0 && c < 64 && (caps & (UINT64_C (1) << c));
}

/* One includes/excludes object.  *MATCH: for includes, every condition
   holds; for excludes, any condition holds.  */
static int
eval_conditions (const json_value *r, const char *key, const char *path, const struct kago_seccomp_target *t,
                 bool *match, kago_error_t *err)
{
  const bool includes = strcmp (key, "includes") == 0;
  const json_value *c = json_object_get (r, key);
  *match = includes;
  if (c == NULL || c->type == JSON_NULL)
    return 0;
  cleanup_free char *cp = xasprintf ("%s.%s", path, key);
  if (c->type != JSON_OBJECT)
    return kago_error_set (err, 0, "%s: expected an object, got %s", cp, json_type_name (c->type));

  const json_value *caps, *archv;
  const char *minkernel;
  if (get_strv (c, "caps", cp, &caps, err) < 0 || get_strv (c, "arches", cp, &archv, err) < 0
      || get_str (c, "minKernel", cp, &minkernel, err) < 0)
    return -1;
  for (size_t i = 0; i < json_array_len (caps); i++)
    {
      const char *name = caps->u.arr.items[i]->u.str.s;
      if (strncmp (name, "CAP_", 4) != 0)
        return kago_error_set (err, 0, "%s.caps[%zu]: \"%s\" is not a capability name (CAP_...)", cp, i,
                               name);
    }
  for (size_t i = 0; i < json_array_len (archv); i++)
    if (!kago_seccomp_arch_known (archv->u.arr.items[i]->u.str.s))
      return kago_error_set (err, 0,
                             "%s.arches[%zu]: unknown architecture \"%s\" (Go's names: amd64, x86, "
                             "x32, arm64, arm, ...)",
                             cp, i, archv->u.arr.items[i]->u.str.s);
  unsigned int kmaj = 0, kmin = 0;
  if (minkernel && kago_seccomp_parse_kernel (minkernel, &kmaj, &kmin) < 0)
    return kago_error_set (err, 0, "%s.minKernel: invalid kernel version \"%s\" (expected MAJOR.MINOR)", cp,
                           minkernel);
  const bool kernel_ge = t->kernel_major > kmaj || (t->kernel_major == kmaj && t->kernel_minor >= kmin);

  if (includes)
    {
      if (archv && !strv_has (archv, t->arch))
        *match = false;
      for (size_t i = 0; i < json_array_len (caps); i++)
        if (!cap_in (t->caps, caps->u.arr.items[i]->u.str.s))
          *match = false;
      if (minkernel && !kernel_ge)
        *match = false;
    }
  else
    {
      if (archv && strv_has (archv, t->arch))
        *match = true;
      for (size_t i = 0; i < json_array_len (caps); i++)
        if (cap_in (t->caps, caps->u.arr.items[i]->u.str.s))
          *match = true;
      if (minkernel && kernel_ge)
        *match = true;
    }
  return 0;
}

static int
resolve_args (const json_value *r, const char *path, json_value *out_rule, kago_error_t *err)
{
  const json_value *args = json_object_get (r, "args");
  if (args == NULL || args->type == JSON_NULL)
    return 0;
  if (args->type != JSON_ARRAY)
    return kago_error_set (err, 0, "%s.args: expected an array, got %s", path, json_type_name (args->type));
  if (args->u.arr.len == 0)
    return 0;
  if (args->u.arr.len > 6)
    return kago_error_set (err, 0, "%s.args: %zu conditions, at most 6", path, args->u.arr.len);
  json_value *out = json_array_new ();
  json_object_set (out_rule, "args", out);
  for (size_t i = 0; i < args->u.arr.len; i++)
    {
      const json_value *a = args->u.arr.items[i];
      cleanup_free char *ap = xasprintf ("%s.args[%zu]", path, i);
      if (a->type != JSON_OBJECT)
        return kago_error_set (err, 0, "%s: expected an object, got %s", ap, json_type_name (a->type));
      uint64_t index = 0, value = 0, value_two = 0;
      const char *op;
      int r1 = get_u64 (a, "index", ap, UINT32_MAX, &index, err);
      if (r1 < 0 || get_u64 (a, "value", ap, UINT64_MAX, &value, err) < 0
          || get_u64 (a, "valueTwo", ap, UINT64_MAX, &value_two, err) < 0
          || get_str (a, "op", ap, &op, err) < 0)
        return -1;
      if (r1 == 0)
        return kago_error_set (err, 0, "%s.index: required", ap);
      if (index > 5)
        return kago_error_set (err, 0, "%s.index: %llu out of range (0..5)", ap, (unsigned long long) index);
      if (op == NULL)
        return kago_error_set (err, 0, "%s.op: required", ap);
      if (!in_list (op_names, sizeof op_names / sizeof op_names[0], op))
        return kago_error_set (err, 0, "%s.op: unknown operator \"%s\"", ap, op);
      json_value *o = json_object_new ();
      json_object_set (o, "index", json_uint_new (index));
      json_object_set (o, "value", json_uint_new (value));
      if (value_two)
        json_object_set (o, "valueTwo", json_uint_new (value_two));
      json_object_set (o, "op", json_string_new (op));
      json_array_append (out, o);
    }
  return 0;
}

static int
check_action (const char *action, const char *path, kago_error_t *err)
{
  if (action == NULL)
    return kago_error_set (err, 0, "%s.action: required", path);
  if (!in_list (action_names, sizeof action_names / sizeof action_names[0], action))
    return kago_error_set (err, 0, "%s.action: unknown action \"%s\"", path, action);
  return 0;
}

/* One syscalls[] entry: appended to SYSCALLS unless its conditions drop it. */
static int
resolve_rule (const json_value *r, size_t idx, const struct kago_seccomp_target *t, json_value *syscalls,
              kago_error_t *err)
{
  cleanup_free char *path = xasprintf ("syscalls[%zu]", idx);
  if (r->type != JSON_OBJECT)
    return kago_error_set (err, 0, "%s: expected an object, got %s", path, json_type_name (r->type));

  const char *name, *action;
  const json_value *names;
  uint64_t errno_ret;
  if (get_str (r, "name", path, &name, err) < 0 || get_strv (r, "names", path, &names, err) < 0
      || get_str (r, "action", path, &action, err) < 0)
    return -1;
  if (name && json_array_len (names) > 0)
    return kago_error_set (err, 0, "%s: both \"name\" and \"names\"; use one of them", path);
  if (name == NULL && json_array_len (names) == 0)
    return kago_error_set (err, 0, "%s: no syscall (\"names\" or \"name\")", path);
  if (check_action (action, path, err) < 0)
    return -1;
  int has_errno = get_u64 (r, "errnoRet", path, UINT32_MAX, &errno_ret, err);
  if (has_errno < 0)
    return -1;

  /* The conditions are checked whether or not they drop the rule, so that
     a mistake in a rule for another architecture is found here too.  */
  bool excluded, included;
  if (eval_conditions (r, "excludes", path, t, &excluded, err) < 0
      || eval_conditions (r, "includes", path, t, &included, err) < 0)
    return -1;

  json_value *o = json_object_new ();
  json_value *nv = json_array_new ();
  json_object_set (o, "names", nv);
  if (name)
    json_array_append (nv, json_string_new (name));
  for (size_t i = 0; i < json_array_len (names); i++)
    json_array_append (nv, json_string_new (names->u.arr.items[i]->u.str.s));
  json_object_set (o, "action", json_string_new (action));
  if (has_errno)
    json_object_set (o, "errnoRet", json_uint_new (errno_ret));
  if (resolve_args (r, path, o, err) < 0)
    {
      json_free (o);
      return -1;
    }
  if (excluded || !included)
    json_free (o);
  else
    json_array_append (syscalls, o);
  return 0;
}

static int
resolve_arches (const json_value *profile, const struct kago_seccomp_target *t, json_value *out,
                kago_error_t *err)
{
  const json_value *archs, *map = json_object_get (profile, "archMap");
  if (get_strv (profile, "architectures", "", &archs, err) < 0)
    return -1;
  if (map && map->type == JSON_NULL)
    map = NULL;
  if (map && map->type != JSON_ARRAY)
    return kago_error_set (err, 0, "archMap: expected an array, got %s", json_type_name (map->type));
  if (json_array_len (archs) && json_array_len (map))
    return kago_error_set (err, 0, "both \"architectures\" and \"archMap\"; use one of them");

  json_value *list = json_array_new ();
  json_object_set (out, "architectures", list);
  for (size_t i = 0; i < json_array_len (archs); i++)
    json_array_append (list, json_string_new (archs->u.arr.items[i]->u.str.s));

  const char *native = arch_scmp_name (t->arch);
  for (size_t i = 0; i < json_array_len (map); i++)
    {
      const json_value *e = map->u.arr.items[i];
      cleanup_free char *ep = xasprintf ("archMap[%zu]", i);
      const char *a;
      const json_value *subs;
      if (e->type != JSON_OBJECT)
        return kago_error_set (err, 0, "%s: expected an object, got %s", ep, json_type_name (e->type));
      if (get_str (e, "architecture", ep, &a, err) < 0
          || get_strv (e, "subArchitectures", ep, &subs, err) < 0)
        return -1;
      if (a == NULL)
        return kago_error_set (err, 0, "%s.architecture: required", ep);
      if (native == NULL || strcmp (a, native) != 0 || json_array_len (list) > 0)
        continue; /* the first entry for the host's architecture counts */
      json_array_append (list, json_string_new (a));
      for (size_t k = 0; k < json_array_len (subs); k++)
        json_array_append (list, json_string_new (subs->u.arr.items[k]->u.str.s));
    }
  if (json_array_len (list) == 0)
    json_object_del (out, "architectures"); /* libseccomp's native architecture */
  return 0;
}

int
kago_seccomp_profile_resolve (const json_value *profile, const struct kago_seccomp_target *t,
                              json_value **out, kago_error_t *err)
{
  *out = NULL;
  if (profile == NULL || profile->type != JSON_OBJECT)
    return kago_error_set (err, 0, "seccomp profile: expected a JSON object, got %s",
                           profile ? json_type_name (profile->type) : "nothing");
  if (t == NULL || t->arch == NULL)
    return kago_error_set (err, 0, "seccomp profile: no target architecture");

  const char *def, *lpath, *lmeta;
  const json_value *flags, *syscalls = json_object_get (profile, "syscalls");
  uint64_t def_errno;
  if (get_str (profile, "defaultAction", "", &def, err) < 0
      || get_strv (profile, "flags", "", &flags, err) < 0
      || get_str (profile, "listenerPath", "", &lpath, err) < 0
      || get_str (profile, "listenerMetadata", "", &lmeta, err) < 0)
    return -1;
  if (syscalls && syscalls->type == JSON_NULL)
    syscalls = NULL;
  if (syscalls && syscalls->type != JSON_ARRAY)
    return kago_error_set (err, 0, "syscalls: expected an array, got %s", json_type_name (syscalls->type));
  if (def == NULL)
    return kago_error_set (err, 0,
                           "defaultAction: required (Docker treats a profile without defaultAction "
                           "and syscalls as no seccomp at all)");
  if (!in_list (action_names, sizeof action_names / sizeof action_names[0], def))
    return kago_error_set (err, 0, "defaultAction: unknown action \"%s\"", def);
  int has_def_errno = get_u64 (profile, "defaultErrnoRet", "", UINT32_MAX, &def_errno, err);
  if (has_def_errno < 0)
    return -1;

  json_value *o = json_object_new ();
  json_object_set (o, "defaultAction", json_string_new (def));
  if (has_def_errno)
    json_object_set (o, "defaultErrnoRet", json_uint_new (def_errno));
  if (resolve_arches (profile, t, o, err) < 0)
    goto fail;
  if (json_array_len (flags))
    {
      json_value *fl = json_array_new ();
      for (size_t i = 0; i < flags->u.arr.len; i++)
        json_array_append (fl, json_string_new (flags->u.arr.items[i]->u.str.s));
      json_object_set (o, "flags", fl);
    }
  if (lpath)
    json_object_set (o, "listenerPath", json_string_new (lpath));
  if (lmeta)
    json_object_set (o, "listenerMetadata", json_string_new (lmeta));

  json_value *list = json_array_new ();
  json_object_set (o, "syscalls", list);
  for (size_t i = 0; i < json_array_len (syscalls); i++)
    if (resolve_rule (syscalls->u.arr.items[i], i, t, list, err) < 0)
      goto fail;
  *out = o;
  return 0;
fail:
  json_free (o);
  return -1;
}
