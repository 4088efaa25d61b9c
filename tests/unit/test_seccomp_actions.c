/* The compiled filters do what linux.seccomp says, checked in the kernel:
   every action (ALLOW, ERRNO with errnoRet, KILL, KILL_THREAD, KILL_PROCESS,
   TRAP, TRACE, LOG), every operator on 32 and 64-bit values, several
   arguments in one rule, defaultErrnoRet, the filter flags (TSYNC reaches
   every thread), unknown syscall names; and malformed linux.seccomp from a
   config.json refused with the field named.

   Each case installs a filter in a forked child.  The probe is getppid(2)
   called through syscall(2) with arguments it ignores: seccomp sees them,
   so a rule on getppid's "arguments" decides the result without side
   effects.  */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "oci/spec.h"
#include "runtime/process_attrs.h"
#include "seccomp/profile.h"
#include "tap.h"

#define MSG(e) ((e) ? (e)->msg : NULL)
#define STRV(...)                                                                                            \
  {                                                                                                          \
    (char *[]){ __VA_ARGS__, NULL }, sizeof ((char *[]){ __VA_ARGS__ }) / sizeof (char *)                    \
  }

/* Compile S and install it in a child, then run PROBE there; the child's
   wait status is returned.  PROBE returns the child's exit code.  */
static int
in_child (const oci_seccomp *s, int (*probe) (void))
{
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      struct rlimit no_core = { 0, 0 };
      setrlimit (RLIMIT_CORE, &no_core);
      struct kago_seccomp_filter *f = NULL;
      kago_error_t err = NULL;
      if (kago_seccomp_compile (s, &f, &err) < 0)
        {
          printf ("# compile: %s\n", MSG (err));
          fflush (stdout);
          _exit (100);
        }
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || kago_seccomp_install (f, NULL, &err) < 0)
        _exit (101);
      _exit (probe ());
    }
  int st = 0;
  waitpid (pid, &st, 0);
  return st;
}

static long
probe_call (unsigned long a0, unsigned long a1)
{
  errno = 0;
  long r = syscall (SYS_getppid, a0, a1, 0, 0, 0, 0);
  return r < 0 ? -errno : 0;
}

/* ---- actions ---- */

static int
probe_errno (void)
{
  return probe_call (0, 0) == -EXDEV ? 0 : 1;
}
static int
probe_enosys (void)
{
  return probe_call (0, 0) == -ENOSYS ? 0 : 1;
}
static int
probe_allowed (void)
{
  return probe_call (0, 0) == 0 ? 0 : 1;
}
static int
probe_call_only (void)
{
  probe_call (0, 0);
  return 0; /* not reached when the action kills */
}

static oci_seccomp
one_rule (oci_seccomp_syscall *rule, const char *def)
{
  return (oci_seccomp){ .default_action = (char *) def, .syscalls = rule, .n_syscalls = 1 };
}

TEST (action_errno_with_errno_ret)
{
  oci_seccomp_syscall r
      = { .names = STRV ("getppid"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = EXDEV };
  oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
  int st = in_child (&s, probe_errno);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

static int
probe_eperm (void)
{
  return probe_call (0, 0) == -EPERM ? 0 : 1;
}

TEST (action_errno_defaults_to_eperm)
{
  oci_seccomp_syscall r = { .names = STRV ("getppid"), .action = "SCMP_ACT_ERRNO" };
  oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
  int st = in_child (&s, probe_eperm);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

TEST (action_kill_variants_kill_with_sigsys)
{
  const char *acts[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP" };
  for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
    {
      oci_seccomp_syscall r = { .names = STRV ("getppid"), .action = (char *) acts[i] };
      oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
      int st = in_child (&s, probe_call_only);
      CHECK (WIFSIGNALED (st) && WTERMSIG (st) == SIGSYS);
      if (!WIFSIGNALED (st))
        printf ("# %s: status 0x%x\n", acts[i], st);
    }
}

static volatile sig_atomic_t trapped_nr = -1;
static void
on_sigsys (int sig, siginfo_t *si, void *uc)
{
  (void) sig;
  (void) uc;
  trapped_nr = si->si_syscall;
}
static int
probe_trap_handled (void)
{
  struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
  sigaction (SIGSYS, &sa, NULL);
  probe_call (0, 0);
  return trapped_nr == SYS_getppid ? 0 : 1;
}

TEST (action_trap_delivers_sigsys_with_the_syscall)
{
  oci_seccomp_syscall r = { .names = STRV ("getppid"), .action = "SCMP_ACT_TRAP" };
  oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
  int st = in_child (&s, probe_trap_handled);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

TEST (action_trace_without_tracer_is_enosys)
{
  oci_seccomp_syscall r
      = { .names = STRV ("getppid"), .action = "SCMP_ACT_TRACE", .has_errno_ret = true, .errno_ret = 9 };
  oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
  int st = in_child (&s, probe_enosys);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

TEST (action_log_allows)
{
  /* LOG is ALLOW plus an audit record: the call goes through.  */
  oci_seccomp_syscall r = { .names = STRV ("getppid"), .action = "SCMP_ACT_LOG" };
  oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
  int st = in_child (&s, probe_allowed);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  if (!WIFEXITED (st) || WEXITSTATUS (st))
    printf ("# status 0x%x\n", st);
}

/* kago's default profile (an allow list that keeps a process, and a
   sanitizer runtime, working) without getppid, and defaultErrnoRet ENOSYS:
   getppid falls to the default action.  */
TEST (default_action_with_default_errno_ret)
{
  struct kago_seccomp_target t;
  kago_error_t err = NULL;
  json_value *p = kago_seccomp_default_profile (), *o = NULL;
  CHECK (kago_seccomp_target_host (&t, &err) == 0 && kago_seccomp_profile_resolve (p, &t, &o, &err) == 0);
  json_free (p);
  if (o == NULL)
    return;
  json_object_set (o, "defaultErrnoRet", json_uint_new (ENOSYS));
  json_value *sys = json_object_get (o, "syscalls");
  for (size_t i = 0; i < json_array_len (sys); i++)
    {
      json_value *names = json_object_get (json_array_at (sys, i), "names");
      for (size_t k = 0; k < json_array_len (names); k++)
        if (strcmp (json_get_string (json_array_at (names, k)), "getppid") == 0)
          json_array_at (names, k)->u.str.s[0] = 'X'; /* Xetppid: no such call, skipped */
    }
  const char *base = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"linux\":{}}";
  json_value *cfg = json_parse (base, strlen (base), &err);
  CHECK (cfg != NULL);
  if (cfg == NULL)
    return;
  json_object_set (json_object_get (cfg, "linux"), "seccomp", o);
  oci_spec *spec = oci_spec_parse (cfg, &err);
  CHECK (spec && spec->linux_.seccomp && spec->linux_.seccomp->default_errno_ret == ENOSYS);
  if (spec && spec->linux_.seccomp)
    {
      int st = in_child (spec->linux_.seccomp, probe_enosys);
      CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
      if (!WIFEXITED (st) || WEXITSTATUS (st))
        printf ("# status 0x%x\n", st);
    }
  if (spec)
    oci_spec_free (spec);
  json_free (cfg);
  kago_error_release (&err);
}

/* ---- operators ---- */

static unsigned long op_values[8];
static size_t n_op_values;

/* Bit I of the exit code: op_values[I] got the rule's errno.  */
static int
probe_values (void)
{
  int bits = 0;
  for (size_t i = 0; i < n_op_values; i++)
    if (probe_call (op_values[i], 0) == -EXDEV)
      bits |= 1 << i;
  return bits;
}

static int
matches (const char *op, uint64_t value, uint64_t value_two, const unsigned long *vals, size_t n)
{
  oci_seccomp_arg a = { .index = 0, .value = value, .value_two = value_two, .op = (char *) op };
  oci_seccomp_syscall r = { .names = STRV ("getppid"),
                            .action = "SCMP_ACT_ERRNO",
                            .has_errno_ret = true,
                            .errno_ret = EXDEV,
                            .args = &a,
                            .n_args = 1 };
  oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
  memcpy (op_values, vals, n * sizeof *vals);
  n_op_values = n;
  int st = in_child (&s, probe_values);
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

TEST (operators)
{
  const unsigned long v[] = { 0, 4, 5, 6, 0x100000005UL, ~0UL };
  const size_t n = sizeof v / sizeof v[0];
  /* bits, in v's order: 0, 4, 5, 6, 2^32+5, 2^64-1 */
  CHECK (matches ("SCMP_CMP_EQ", 5, 0, v, n) == 0x04);
  CHECK (matches ("SCMP_CMP_NE", 5, 0, v, n) == 0x3b);
  CHECK (matches ("SCMP_CMP_LT", 5, 0, v, n) == 0x03);
  CHECK (matches ("SCMP_CMP_LE", 5, 0, v, n) == 0x07);
  CHECK (matches ("SCMP_CMP_GT", 5, 0, v, n) == 0x38);
  CHECK (matches ("SCMP_CMP_GE", 5, 0, v, n) == 0x3c);
  /* (arg & 0x6) == 0x4: 4 and 5 and 2^32+5; 6 has 0x2 set too; ~0 too */
  CHECK (matches ("SCMP_CMP_MASKED_EQ", 0x6, 0x4, v, n) == 0x16);
  /* 64-bit value: only the exact one */
  CHECK (matches ("SCMP_CMP_EQ", 0x100000005ULL, 0, v, n) == 0x10);
  CHECK (matches ("SCMP_CMP_GT", 0xffffffffULL, 0, v, n) == 0x30);
}

static int
probe_two_args (void)
{
  int bits = 0;
  if (probe_call (1, 2) == -EXDEV)
    bits |= 1;
  if (probe_call (1, 3) == -EXDEV)
    bits |= 2;
  if (probe_call (0, 2) == -EXDEV)
    bits |= 4;
  return bits;
}

TEST (several_arguments_in_one_rule_are_and)
{
  oci_seccomp_arg a[]
      = { { .index = 0, .value = 1, .op = "SCMP_CMP_EQ" }, { .index = 1, .value = 2, .op = "SCMP_CMP_EQ" } };
  oci_seccomp_syscall r = { .names = STRV ("getppid"),
                            .action = "SCMP_ACT_ERRNO",
                            .has_errno_ret = true,
                            .errno_ret = EXDEV,
                            .args = a,
                            .n_args = 2 };
  oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
  int st = in_child (&s, probe_two_args);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 1);
}

TEST (unknown_names_skipped_the_rest_applies)
{
  oci_seccomp_syscall r = { .names = STRV ("kago_no_such_call", "getppid"),
                            .action = "SCMP_ACT_ERRNO",
                            .has_errno_ret = true,
                            .errno_ret = EXDEV };
  oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
  int st = in_child (&s, probe_errno);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

/* ---- flags ---- */

static void *
thread_probe (void *arg)
{
  (void) arg;
  return (void *) (probe_call (0, 0) == -EXDEV ? (void *) 1 : NULL);
}

static pthread_barrier_t tsync_barrier;
static void *
waiting_thread (void *arg)
{
  (void) arg;
  pthread_barrier_wait (&tsync_barrier); /* the filter goes on meanwhile */
  pthread_barrier_wait (&tsync_barrier);
  return thread_probe (NULL);
}

/* TSYNC: a thread that already existed when the filter was installed by
   another thread is filtered too.  */
static int
child_tsync (void)
{
  oci_seccomp_syscall r
      = { .names = STRV ("getppid"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = EXDEV };
  oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
  s.flags = (oci_strv) STRV ("SECCOMP_FILTER_FLAG_TSYNC");
  struct kago_seccomp_filter *f = NULL;
  kago_error_t err = NULL;
  pthread_t t;
  pthread_barrier_init (&tsync_barrier, NULL, 2);
  if (kago_seccomp_compile (&s, &f, &err) < 0 || pthread_create (&t, NULL, waiting_thread, NULL) != 0)
    return 10;
  pthread_barrier_wait (&tsync_barrier);
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || kago_seccomp_install (f, NULL, &err) < 0)
    return 11;
  pthread_barrier_wait (&tsync_barrier);
  void *res = NULL;
  pthread_join (t, &res);
  return res ? 0 : 12;
}

TEST (flag_tsync_filters_every_thread)
{
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    _exit (child_tsync ());
  int st = 0;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  if (!WIFEXITED (st) || WEXITSTATUS (st))
    printf ("# status 0x%x\n", st);
}

TEST (flags_log_and_spec_allow_install)
{
  oci_seccomp_syscall r
      = { .names = STRV ("getppid"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = EXDEV };
  oci_seccomp s = one_rule (&r, "SCMP_ACT_ALLOW");
  s.flags = (oci_strv) STRV ("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
  int st = in_child (&s, probe_errno);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  /* WAIT_KILLABLE_RECV without a notify rule: accepted, dropped.  */
  s.flags = (oci_strv) STRV ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
  struct kago_seccomp_filter *f = NULL;
  kago_error_t err = NULL;
  CHECK (kago_seccomp_compile (&s, &f, &err) == 0);
  unsigned int flags = 99;
  if (f)
    kago_seccomp_filter_bpf (f, NULL, &flags);
  CHECK (flags == 0);
  kago_seccomp_filter_free (f);
  st = in_child (&s, probe_errno);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

/* ---- malformed linux.seccomp in a config.json ---- */

static void
config_error (const char *seccomp_json, const char *expect)
{
  char *cfg = NULL;
  if (asprintf (&cfg, "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"seccomp\":%s}}",
                seccomp_json)
      < 0)
    abort ();
  kago_error_t err = NULL;
  json_value *v = json_parse (cfg, strlen (cfg), &err);
  oci_spec *spec = v ? oci_spec_parse (v, &err) : NULL;
  struct kago_seccomp_filter *f = NULL;
  if (spec && spec->linux_.seccomp)
    kago_seccomp_compile (spec->linux_.seccomp, &f, &err);
  CHECK (f == NULL);
  CHECK_CONTAINS (MSG (err), expect);
  kago_seccomp_filter_free (f);
  kago_error_release (&err);
  if (spec)
    oci_spec_free (spec);
  json_free (v);
  free (cfg);
}

#define SC(rule)                                                                                             \
  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}" \
  "," rule "]}"

TEST (malformed_config_names_the_rule)
{
  config_error (SC ("{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ALLOW\","
                    "\"args\":[{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_FOO\"}]}"),
                "linux.seccomp.syscalls[1].args[0].op: unknown operator \"SCMP_CMP_FOO\"");
  config_error (SC ("{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ALLOW\","
                    "\"args\":[{\"index\":7,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}"),
                "linux.seccomp.syscalls[1].args[0].index: 7 out of range (0..5)");
  config_error (SC ("{\"names\":[\"write\"],\"action\":\"SCMP_ACT_FOO\"}"),
                "linux.seccomp.syscalls[1]: unknown action \"SCMP_ACT_FOO\"");
  config_error (SC ("{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":{}}"),
                "linux.seccomp.syscalls[1].args");
  config_error (SC ("{\"names\":\"write\",\"action\":\"SCMP_ACT_ALLOW\"}"),
                "linux.seccomp.syscalls[1].names");
  config_error (
      SC ("{\"names\":[\"write\"],\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":3}"),
      "linux.seccomp.syscalls[1]: errnoRet is only supported with SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
  config_error ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"flags\":[\"SECCOMP_FILTER_FLAG_FOO\"]}",
                "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"");
  config_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
                "linux.seccomp.defaultAction: defaultErrnoRet is not supported with \"SCMP_ACT_ALLOW\"");
  config_error ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_PDP11\"]}",
                "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_PDP11\"");
  config_error ("{\"syscalls\":[]}", "linux.seccomp.defaultAction");
}

int
main (void)
{
  RUN (action_errno_with_errno_ret);
  RUN (action_errno_defaults_to_eperm);
  RUN (action_kill_variants_kill_with_sigsys);
  RUN (action_trap_delivers_sigsys_with_the_syscall);
  RUN (action_trace_without_tracer_is_enosys);
  RUN (action_log_allows);
  RUN (default_action_with_default_errno_ret);
  RUN (operators);
  RUN (several_arguments_in_one_rule_are_and);
  RUN (unknown_names_skipped_the_rest_applies);
  RUN (flag_tsync_filters_every_thread);
  RUN (flags_log_and_spec_allow_install);
  RUN (malformed_config_names_the_rule);
  return tap_done ();
}
