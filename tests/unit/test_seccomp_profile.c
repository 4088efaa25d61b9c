/* Docker seccomp profiles resolved into OCI linux.seccomp: the includes /
   excludes rules, archMap, name/names, errors naming the field; and kago's
   default profile against Docker's (tests/data/docker-default-seccomp.json)
   for several capability sets, architectures and kernels.  */
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "oci/spec.h"
#include "runtime/process_attrs.h"
#include "seccomp/profile.h"
#include "tap.h"

#define DOCKER_PROFILE "../data/docker-default-seccomp.json"
#define MSG(e) ((e) ? (e)->msg : NULL)
#define BIT(c) (UINT64_C (1) << (c))

static struct kago_seccomp_target
target (uint64_t caps, const char *arch, unsigned int maj, unsigned int min)
{
  return (struct kago_seccomp_target){ .caps = caps, .arch = arch, .kernel_major = maj, .kernel_minor = min };
}

static json_value *
parse (const char *s)
{
  kago_error_t err = NULL;
  json_value *v = json_parse (s, strlen (s), &err);
  if (v == NULL)
    printf ("# bad test JSON: %s\n", MSG (err));
  kago_error_release (&err);
  return v;
}

/* Resolve the profile text P for T; NULL on error (message in *MSGP).  */
static json_value *
resolve (const char *p, struct kago_seccomp_target t, char **msgp)
{
  json_value *in = parse (p), *out = NULL;
  kago_error_t err = NULL;
  if (kago_seccomp_profile_resolve (in, &t, &out, &err) < 0)
    {
      if (msgp)
        *msgp = strdup (err ? err->msg : "(no error)");
      out = NULL;
    }
  kago_error_release (&err);
  json_free (in);
  return out;
}

/* The names the resolved profile has rules for, in order, space-separated.  */
static char *
names_of (const json_value *o)
{
  strbuf sb = STRBUF_INIT;
  const json_value *sys = json_object_get (o, "syscalls");
  for (size_t i = 0; i < json_array_len (sys); i++)
    {
      const json_value *n = json_object_get (json_array_at (sys, i), "names");
      for (size_t k = 0; k < json_array_len (n); k++)
        strbuf_addf (&sb, "%s%s", sb.len ? " " : "", json_get_string (json_array_at (n, k)));
    }
  return strbuf_detach (&sb);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* A resolved profile as one sorted, de-duplicated list of
   "name action errno args" lines, after the header line
   "default <action> <errno> arches <list>": what a filter compiled from it
   does, independent of how the rules are grouped and ordered.  */
static char *
normalize (const json_value *o)
{
  char **lines = NULL;
  size_t n = 0;
  const json_value *sys = json_object_get (o, "syscalls");
  for (size_t i = 0; i < json_array_len (sys); i++)
    {
      const json_value *r = json_array_at (sys, i);
      const json_value *names = json_object_get (r, "names");
      const json_value *e = json_object_get (r, "errnoRet");
      const json_value *args = json_object_get (r, "args");
      cleanup_free char *as = args ? json_to_string (args, false) : strdup ("[]");
      for (size_t k = 0; k < json_array_len (names); k++)
        {
          lines = realloc (lines, (n + 1) * sizeof *lines);
          char *l = NULL;
          if (asprintf (&l, "%s %s %lld %s", json_get_string (json_array_at (names, k)),
                        json_get_string (json_object_get (r, "action")), e ? (long long) e->u.num.i : -1LL,
                        as)
              < 0)
            abort ();
          lines[n++] = l;
        }
    }
  qsort (lines, n, sizeof *lines, cmp_str);
  strbuf sb = STRBUF_INIT;
  const json_value *de = json_object_get (o, "defaultErrnoRet");
  cleanup_free char *arches = json_to_string (json_object_get (o, "architectures"), false);
  strbuf_addf (&sb, "default %s %lld arches %s\n", json_get_string (json_object_get (o, "defaultAction")),
               de ? (long long) de->u.num.i : -1LL, arches);
  for (size_t i = 0; i < n; i++)
    if (i == 0 || strcmp (lines[i], lines[i - 1]) != 0)
      strbuf_addf (&sb, "%s\n", lines[i]);
  for (size_t i = 0; i < n; i++)
    free (lines[i]);
  free (lines);
  return strbuf_detach (&sb);
}

static bool
has_line (const char *norm, const char *line)
{
  cleanup_free char *l = NULL;
  if (asprintf (&l, "\n%s\n", line) < 0)
    abort ();
  return strstr (norm, l) != NULL;
}

/* ---- resolution rules ---- */

TEST (includes_caps_needs_all_of_them)
{
  const char *p
      = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
        "{\"names\":[\"a1\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\","
        "\"CAP_SYS_PTRACE\"]}},"
        "{\"names\":[\"a2\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}},"
        "{\"names\":[\"a3\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_NOT_A_CAP\"]}}]}";
  struct
  {
    uint64_t caps;
    const char *expect;
  } cases[] = {
    { 0, "" },
    { BIT (CAP_SYS_ADMIN), "a2" },
    { BIT (CAP_SYS_PTRACE), "" },
    { BIT (CAP_SYS_ADMIN) | BIT (CAP_SYS_PTRACE), "a1 a2" },
    { ~UINT64_C (0), "a1 a2" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      json_value *o = resolve (p, target (cases[i].caps, "amd64", 6, 1), NULL);
      CHECK (o != NULL);
      cleanup_free char *n = names_of (o);
      CHECK_STR (n, cases[i].expect);
      json_free (o);
    }
}

TEST (excludes_caps_any_of_them)
{
  const char *p
      = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
        "{\"names\":[\"e1\"],\"action\":\"SCMP_ACT_ERRNO\",\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\","
        "\"CAP_SYS_PTRACE\"]}},"
        "{\"names\":[\"e2\"],\"action\":\"SCMP_ACT_ERRNO\",\"excludes\":{\"caps\":[\"CAP_BPF\"]},"
        "\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}";
  struct
  {
    uint64_t caps;
    const char *expect;
  } cases[] = {
    { 0, "e1" },
    { BIT (CAP_SYS_PTRACE), "" },
    { BIT (CAP_SYS_ADMIN), "e2" },
    { BIT (CAP_SYS_ADMIN) | BIT (39 /* CAP_BPF */), "" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      json_value *o = resolve (p, target (cases[i].caps, "amd64", 6, 1), NULL);
      cleanup_free char *n = names_of (o);
      CHECK_STR (n, cases[i].expect);
      json_free (o);
    }
}

TEST (min_kernel_compares_major_then_minor)
{
  const char *p
      = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
        "{\"names\":[\"inc\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"4.8\"}},"
        "{\"names\":[\"exc\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"minKernel\":\"5.10\"}}]}";
  struct
  {
    unsigned int maj, min;
    const char *expect;
  } cases[] = {
    { 3, 10, "exc" },    { 4, 7, "exc" },  { 4, 8, "inc exc" }, { 4, 19, "inc exc" },
    { 5, 9, "inc exc" }, { 5, 10, "inc" }, { 6, 0, "inc" },     { 10, 0, "inc" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      json_value *o = resolve (p, target (0, "amd64", cases[i].maj, cases[i].min), NULL);
      cleanup_free char *n = names_of (o);
      CHECK_STR (n, cases[i].expect);
      if (strcmp (n, cases[i].expect) != 0)
        printf ("# kernel %u.%u\n", cases[i].maj, cases[i].min);
      json_free (o);
    }
  unsigned int ma = 0, mi = 0;
  CHECK (kago_seccomp_parse_kernel ("6.1.0-18-amd64", &ma, &mi) == 0 && ma == 6 && mi == 1);
  CHECK (kago_seccomp_parse_kernel ("3.12-1-amd64", &ma, &mi) == 0 && ma == 3 && mi == 12);
  CHECK (kago_seccomp_parse_kernel ("4", &ma, &mi) < 0);
  CHECK (kago_seccomp_parse_kernel ("v4.8", &ma, &mi) < 0);
  CHECK (kago_seccomp_parse_kernel ("4.x", &ma, &mi) < 0);
}

TEST (arches_and_arch_map)
{
  const char *p
      = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":["
        "{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]},"
        "{\"architecture\":\"SCMP_ARCH_AARCH64\",\"subArchitectures\":[\"SCMP_ARCH_ARM\"]},"
        "{\"architecture\":\"SCMP_ARCH_RISCV64\",\"subArchitectures\":null}],\"syscalls\":["
        "{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"amd64\",\"x32\"]}},"
        "{\"names\":[\"notx\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"arches\":[\"amd64\"]}},"
        "{\"name\":\"single\",\"action\":\"SCMP_ACT_ALLOW\"}]}";
  json_value *o = resolve (p, target (0, "amd64", 6, 1), NULL);
  cleanup_free char *a = json_to_string (json_object_get (o, "architectures"), false);
  CHECK_STR (a, "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]");
  cleanup_free char *n = names_of (o);
  CHECK_STR (n, "x single");
  json_free (o);

  o = resolve (p, target (0, "arm64", 6, 1), NULL);
  cleanup_free char *a2 = json_to_string (json_object_get (o, "architectures"), false);
  CHECK_STR (a2, "[\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\"]");
  cleanup_free char *n2 = names_of (o);
  CHECK_STR (n2, "notx single");
  json_free (o);

  o = resolve (p, target (0, "riscv64", 6, 1), NULL);
  cleanup_free char *a3 = json_to_string (json_object_get (o, "architectures"), false);
  CHECK_STR (a3, "[\"SCMP_ARCH_RISCV64\"]");
  json_free (o);

  /* An architecture absent from the map: libseccomp's native one.  */
  o = resolve (p, target (0, "ppc64le", 6, 1), NULL);
  CHECK (o && json_object_get (o, "architectures") == NULL);
  json_free (o);

  /* architectures are passed on as they are.  */
  o = resolve ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"]}",
               target (0, "amd64", 6, 1), NULL);
  cleanup_free char *a4 = json_to_string (json_object_get (o, "architectures"), false);
  CHECK_STR (a4, "[\"SCMP_ARCH_X86\"]");
  json_free (o);
}

TEST (passed_on_fields)
{
  const char *p
      = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
        "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],\"listenerPath\":\"/run/agent.sock\","
        "\"listenerMetadata\":\"m\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\","
        "\"errnoRet\":5,\"comment\":\"ignored\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
        "{\"index\":1,\"value\":255,\"valueTwo\":7,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}";
  json_value *o = resolve (p, target (0, "amd64", 6, 1), NULL);
  cleanup_free char *s = json_to_string (o, false);
  CHECK_STR (
      s, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
         "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],\"listenerPath\":\"/run/agent.sock\","
         "\"listenerMetadata\":\"m\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\","
         "\"errnoRet\":5,\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
         "{\"index\":1,\"value\":255,\"valueTwo\":7,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}");
  json_free (o);
}

static void
expect_error (const char *p, const char *msg)
{
  char *m = NULL;
  json_value *o = resolve (p, target (0, "amd64", 6, 1), &m);
  CHECK (o == NULL);
  CHECK_STR (m, msg);
  json_free (o);
  free (m);
}

#define R(x)                                                                                                 \
  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ALLOW\"}," x \
  "]}"

TEST (errors_name_the_field)
{
  expect_error (R ("{\"name\":\"b\",\"names\":[\"c\"],\"action\":\"SCMP_ACT_ALLOW\"}"),
                "syscalls[1]: both \"name\" and \"names\"; use one of them");
  expect_error (R ("{\"action\":\"SCMP_ACT_ALLOW\"}"), "syscalls[1]: no syscall (\"names\" or \"name\")");
  expect_error (R ("{\"names\":[\"b\"],\"action\":\"SCMP_ACT_FOO\"}"),
                "syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");
  expect_error (R ("{\"names\":[\"b\"]}"), "syscalls[1].action: required");
  expect_error (R ("{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,"
                   "\"op\":\"SCMP_CMP_FOO\"}]}"),
                "syscalls[1].args[0].op: unknown operator \"SCMP_CMP_FOO\"");
  expect_error (
      R ("{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"},"
         "{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}"),
      "syscalls[1].args[1].index: 6 out of range (0..5)");
  expect_error (
      R ("{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}"),
      "syscalls[1].args[0].index: required");
  expect_error (R ("{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"4\"}}"),
                "syscalls[1].includes.minKernel: invalid kernel version \"4\" (expected MAJOR.MINOR)");
  expect_error (R ("{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"arches\":[\"vax\"]}}"),
                "syscalls[1].excludes.arches[0]: unknown architecture \"vax\" (Go's names: amd64, x86, x32, "
                "arm64, arm, ...)");
  expect_error (
      R ("{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"SYS_ADMIN\"]}}"),
      "syscalls[1].includes.caps[0]: \"SYS_ADMIN\" is not a capability name (CAP_...)");
  expect_error (R ("{\"names\":[\"b\",3],\"action\":\"SCMP_ACT_ALLOW\"}"),
                "syscalls[1].names[1]: expected a string, got number");
  expect_error (R ("{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":-1}"),
                "syscalls[1].errnoRet: expected an integer from 0 to 4294967295");
  expect_error (R ("7"), "syscalls[1]: expected an object, got number");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86\"],\"archMap\":["
                "{\"architecture\":\"SCMP_ARCH_X86_64\"}]}",
                "both \"architectures\" and \"archMap\"; use one of them");
  expect_error ("{\"syscalls\":[]}", "defaultAction: required (Docker treats a profile without defaultAction "
                                     "and syscalls as no seccomp at all)");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_NOPE\"}", "defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  expect_error ("[]", "seccomp profile: expected a JSON object, got array");
}

TEST (cap_names)
{
  CHECK (kago_seccomp_cap_parse ("SYS_ADMIN") == CAP_SYS_ADMIN);
  CHECK (kago_seccomp_cap_parse ("cap_sys_admin") == CAP_SYS_ADMIN);
  CHECK (kago_seccomp_cap_parse ("CAP_NET_RAW") == CAP_NET_RAW);
  CHECK (kago_seccomp_cap_parse ("net_bind_service") == CAP_NET_BIND_SERVICE);
  CHECK (kago_seccomp_cap_parse ("SYS_ADMINX") < 0);
  CHECK (kago_seccomp_cap_parse ("") < 0);
  CHECK (kago_seccomp_docker_default_caps () == UINT64_C (0xa80425fb));
  CHECK_STR (kago_seccomp_arch_from_machine ("x86_64"), "amd64");
  CHECK_STR (kago_seccomp_arch_from_machine ("aarch64"), "arm64");
  CHECK (kago_seccomp_arch_from_machine ("vax") == NULL);
}

/* ---- kago's default profile against Docker's ---- */

static json_value *docker_profile;

static bool
same_resolution (struct kago_seccomp_target t, const char *what, const char **norm_out)
{
  kago_error_t err = NULL;
  json_value *kp = kago_seccomp_default_profile ();
  json_value *d = NULL, *k = NULL;
  bool ok = kago_seccomp_profile_resolve (docker_profile, &t, &d, &err) == 0
            && kago_seccomp_profile_resolve (kp, &t, &k, &err) == 0;
  if (!ok)
    printf ("# %s: %s\n", what, MSG (err));
  kago_error_release (&err);
  char *dn = ok ? normalize (d) : NULL, *kn = ok ? normalize (k) : NULL;
  if (ok && strcmp (dn, kn) != 0)
    {
      ok = false;
      printf ("# %s: kago's default differs from Docker's\n# docker:\n%s# kago:\n%s", what, dn, kn);
    }
  if (norm_out)
    *norm_out = kn, kn = NULL;
  free (dn);
  free (kn);
  json_free (d);
  json_free (k);
  json_free (kp);
  return ok;
}

TEST (default_profile_equals_docker_for_docker_caps)
{
  CHECK (docker_profile != NULL);
  if (docker_profile == NULL)
    return;
  const char *n = NULL;
  uint64_t caps = kago_seccomp_docker_default_caps ();
  CHECK (same_resolution (target (caps, "amd64", 6, 1), "amd64, Docker's caps", &n));
  /* Spot checks of what the equal result contains.  */
  CHECK (n
         && strncmp (n,
                     "default SCMP_ACT_ERRNO 1 arches [\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\","
                     "\"SCMP_ARCH_X32\"]\n",
                     82)
                == 0);
  CHECK (n && has_line (n, "mkdir SCMP_ACT_ALLOW -1 []"));
  CHECK (n && has_line (n, "chroot SCMP_ACT_ALLOW -1 []"));
  CHECK (n && has_line (n, "clone3 SCMP_ACT_ERRNO 38 []"));
  CHECK (
      n
      && has_line (
          n, "clone SCMP_ACT_ALLOW -1 [{\"index\":0,\"value\":2114060288,\"op\":\"SCMP_CMP_MASKED_EQ\"}]"));
  CHECK (n
         && has_line (n, "personality SCMP_ACT_ALLOW -1 [{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]"));
  CHECK (n && has_line (n, "ptrace SCMP_ACT_ALLOW -1 []")); /* kernel >= 4.8 */
  CHECK (n && !strstr (n, "\nunshare ") && !strstr (n, "\nmount ") && !strstr (n, "\nkeyctl "));
  CHECK (n && !strstr (n, "\nclone SCMP_ACT_ALLOW -1 []"));
  free ((char *) n);
}

TEST (default_profile_equals_docker_for_other_caps_arches_kernels)
{
  if (docker_profile == NULL)
    return;
  uint64_t dflt = kago_seccomp_docker_default_caps ();
  struct
  {
    uint64_t caps;
    const char *what;
  } sets[] = {
    { dflt | BIT (CAP_SYS_ADMIN), "+SYS_ADMIN" },
    { dflt | BIT (CAP_SYS_PTRACE), "+SYS_PTRACE" },
    { dflt & ~BIT (CAP_SYS_CHROOT), "-SYS_CHROOT" },
    { 0, "no caps" },
    { ~UINT64_C (0) >> (63 - 40), "all caps" },
    { BIT (CAP_SYS_TIME) | BIT (CAP_SYS_NICE) | BIT (CAP_SYSLOG) | BIT (39) | BIT (38),
      "time nice syslog bpf perfmon" },
  };
  const char *arches[] = { "amd64", "arm64", "s390x", "ppc64le", "riscv64", "x86" };
  for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++)
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
      for (unsigned int k = 0; k < 2; k++)
        {
          char what[128];
          snprintf (what, sizeof what, "%s, %s, kernel %s", arches[a], sets[i].what, k ? "6.1" : "4.4");
          CHECK (same_resolution (target (sets[i].caps, arches[a], k ? 6 : 4, k ? 1 : 4), what, NULL));
        }

  /* The capability sets do change the result: SYS_ADMIN allows mount and
     clone without the argument rule, and drops the clone3 ENOSYS.  */
  const char *n = NULL;
  CHECK (same_resolution (target (dflt | BIT (CAP_SYS_ADMIN), "amd64", 6, 1), "+SYS_ADMIN", &n));
  CHECK (n && has_line (n, "mount SCMP_ACT_ALLOW -1 []"));
  CHECK (n && has_line (n, "clone SCMP_ACT_ALLOW -1 []"));
  CHECK (n && !strstr (n, "clone3 SCMP_ACT_ERRNO"));
  CHECK (n && !strstr (n, "SCMP_CMP_MASKED_EQ"));
  free ((char *) n);
  n = NULL;
  CHECK (same_resolution (target (dflt, "amd64", 4, 4), "kernel 4.4", &n));
  CHECK (n && !strstr (n, "\nptrace "));
  free ((char *) n);
}

/* The resolved profile is a valid linux.seccomp for the spec parser and the
   compiler.  */
TEST (resolved_default_compiles)
{
  struct kago_seccomp_target t;
  kago_error_t err = NULL;
  CHECK (kago_seccomp_target_host (&t, &err) == 0);
  json_value *kp = kago_seccomp_default_profile (), *out = NULL;
  CHECK (kago_seccomp_profile_resolve (kp, &t, &out, &err) == 0);
  json_free (kp);
  json_value *cfg = parse ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"linux\":{}}");
  json_object_set (json_object_get (cfg, "linux"), "seccomp", out);
  oci_spec *spec = oci_spec_parse (cfg, &err);
  if (spec == NULL)
    printf ("# %s\n", MSG (err));
  CHECK (spec && spec->linux_.seccomp);
  struct kago_seccomp_filter *f = NULL;
  if (spec && spec->linux_.seccomp)
    CHECK (kago_seccomp_compile (spec->linux_.seccomp, &f, &err) == 0);
  if (err)
    printf ("# %s\n", MSG (err));
  kago_error_release (&err);
  kago_seccomp_filter_free (f);
  if (spec)
    oci_spec_free (spec);
  json_free (cfg);
}

int
main (void)
{
  kago_error_t err = NULL;
  docker_profile = json_parse_file (DOCKER_PROFILE, &err);
  if (docker_profile == NULL)
    printf ("# %s (run from tests/unit)\n", MSG (err));
  kago_error_release (&err);
  RUN (includes_caps_needs_all_of_them);
  RUN (excludes_caps_any_of_them);
  RUN (min_kernel_compares_major_then_minor);
  RUN (arches_and_arch_map);
  RUN (passed_on_fields);
  RUN (errors_name_the_field);
  RUN (cap_names);
  RUN (default_profile_equals_docker_for_docker_caps);
  RUN (default_profile_equals_docker_for_other_caps_arches_kernels);
  RUN (resolved_default_compiles);
  json_free (docker_profile);
  return tap_done ();
}
