/* linux.seccomp: compiling profiles (errors name the rule), and installing
   filters in forked children: ERRNO, KILL_PROCESS, NOTIFY.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "runtime/process_attrs.h"
#include "tap.h"

#define MSG(e) ((e) ? (e)->msg : NULL)
#define STRV(...)                                                                                            \
  {                                                                                                          \
    (char *[]){ __VA_ARGS__, NULL }, sizeof ((char *[]){ __VA_ARGS__ }) / sizeof (char *)                    \
  }

static int
compile (const oci_seccomp *s, struct kago_seccomp_filter **f, kago_error_t *err)
{
  *f = NULL;
  return kago_seccomp_compile (s, f, err);
}

static size_t
n_insns (const struct kago_seccomp_filter *f)
{
  size_t len = 0;
  kago_seccomp_filter_bpf (f, &len, NULL);
  return len / 8;
}

TEST (compile_small_allow_list)
{
  oci_seccomp_syscall rules[] = {
    { .names = STRV ("read", "write", "exit_group", "getpid"), .action = "SCMP_ACT_ALLOW" },
  };
  oci_seccomp s = { .default_action = "SCMP_ACT_ERRNO",
                    .has_default_errno_ret = true,
                    .default_errno_ret = 1,
                    .architectures = STRV ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
                    .syscalls = rules,
                    .n_syscalls = 1 };
  struct kago_seccomp_filter *f;
  kago_error_t err = NULL;
  CHECK (compile (&s, &f, &err) == 0);
  CHECK (f && n_insns (f) > 4);
  CHECK (f && !kago_seccomp_filter_has_notify (f));
  unsigned flags = 99;
  if (f)
    kago_seccomp_filter_bpf (f, NULL, &flags);
  CHECK (flags == 0);
  kago_seccomp_filter_free (f);
}

TEST (compile_errno_and_masked_eq_args)
{
  oci_seccomp_arg clone_args[]
      = { { .index = 0, .value = 0x7E020000, .value_two = 0, .op = "SCMP_CMP_MASKED_EQ" } };
  oci_seccomp_arg pers[] = { { .index = 0, .value = 0, .op = "SCMP_CMP_EQ" },
                             { .index = 0, .value = 8, .op = "SCMP_CMP_EQ" } }; /* same index twice: split */
  oci_seccomp_arg multi[] = { { .index = 0, .value = 1, .op = "SCMP_CMP_GE" },
                              { .index = 1, .value = 2, .op = "SCMP_CMP_LT" },
                              { .index = 2, .value = 3, .op = "SCMP_CMP_NE" },
                              { .index = 3, .value = 4, .op = "SCMP_CMP_LE" },
                              { .index = 4, .value = 5, .op = "SCMP_CMP_GT" } };
  oci_seccomp_syscall rules[] = {
    { .names = STRV ("clone"), .action = "SCMP_ACT_ALLOW", .args = clone_args, .n_args = 1 },
    { .names = STRV ("personality"), .action = "SCMP_ACT_ALLOW", .args = pers, .n_args = 2 },
    { .names = STRV ("mkdir", "mkdirat"),
      .action = "SCMP_ACT_ERRNO",
      .has_errno_ret = true,
      .errno_ret = 38 },
    { .names = STRV ("getppid"), .action = "SCMP_ACT_ALLOW" },
    { .names = STRV ("mmap"), .action = "SCMP_ACT_LOG", .args = multi, .n_args = 5 },
    { .names = STRV ("ptrace"), .action = "SCMP_ACT_TRACE", .has_errno_ret = true, .errno_ret = 7 },
    { .names = STRV ("reboot"), .action = "SCMP_ACT_KILL" },
    { .names = STRV ("kexec_load"), .action = "SCMP_ACT_KILL_THREAD" },
    { .names = STRV ("swapon"), .action = "SCMP_ACT_KILL_PROCESS" },
    { .names = STRV ("swapoff"), .action = "SCMP_ACT_TRAP" },
  };
  oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                    .syscalls = rules,
                    .n_syscalls = 10,
                    .flags = STRV ("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW") };
  struct kago_seccomp_filter *f;
  kago_error_t err = NULL;
  CHECK (compile (&s, &f, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  unsigned flags = 0;
  if (f)
    kago_seccomp_filter_bpf (f, NULL, &flags);
  CHECK (flags == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
  kago_seccomp_filter_free (f);
}

TEST (unknown_syscall_skipped)
{
  oci_seccomp_syscall rules[] = {
    { .names = STRV ("no_such_syscall_kago", "getpid"), .action = "SCMP_ACT_ERRNO" },
  };
  oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = rules, .n_syscalls = 1 };
  struct kago_seccomp_filter *f;
  kago_error_t err = NULL;
  CHECK (compile (&s, &f, &err) == 0);
  kago_seccomp_filter_free (f);
}

static void
expect_error (oci_seccomp *s, const char *msg)
{
  struct kago_seccomp_filter *f;
  kago_error_t err = NULL;
  CHECK (compile (s, &f, &err) < 0);
  CHECK (f == NULL);
  CHECK_STR (MSG (err), msg);
  kago_error_release (&err);
}

TEST (errors_name_the_rule)
{
  oci_seccomp_arg badidx[] = { { .index = 6, .value = 0, .op = "SCMP_CMP_EQ" } };
  oci_seccomp_arg badop[] = { { .index = 1, .value = 0, .op = "SCMP_CMP_XX" } };
  oci_seccomp_syscall rules[] = {
    { .names = STRV ("read"), .action = "SCMP_ACT_ALLOW" },
    { .names = STRV ("write"), .action = "SCMP_ACT_ALLOW" },
    { .names = STRV ("close"), .action = "SCMP_ACT_ALLOW" },
    { .names = STRV ("open"), .action = "SCMP_ACT_ALLOW" },
    { .names = STRV ("openat"), .action = "SCMP_ACT_FOO" },
  };
  oci_seccomp s = { .default_action = "SCMP_ACT_ERRNO", .syscalls = rules, .n_syscalls = 5 };
  expect_error (&s, "linux.seccomp.syscalls[4]: unknown action \"SCMP_ACT_FOO\"");

  rules[4] = (oci_seccomp_syscall){
    .names = STRV ("openat"), .action = "SCMP_ACT_ALLOW", .args = badidx, .n_args = 1
  };
  expect_error (&s, "linux.seccomp.syscalls[4].args[0].index: 6 out of range (0..5)");
  rules[4].args = badop;
  expect_error (&s, "linux.seccomp.syscalls[4].args[0].op: unknown operator \"SCMP_CMP_XX\"");
  rules[4] = (oci_seccomp_syscall){ .names = { NULL, 0 }, .action = "SCMP_ACT_ALLOW" };
  expect_error (&s, "linux.seccomp.syscalls[4]: no syscall names");
  rules[4] = (oci_seccomp_syscall){ .names = STRV ("openat", ""), .action = "SCMP_ACT_ALLOW" };
  expect_error (&s, "linux.seccomp.syscalls[4].names[1]: empty syscall name");
  rules[4] = (oci_seccomp_syscall){
    .names = STRV ("openat"), .action = "SCMP_ACT_ALLOW", .has_errno_ret = true, .errno_ret = 1
  };
  expect_error (&s, "linux.seccomp.syscalls[4]: errnoRet is only supported with SCMP_ACT_ERRNO and "
                    "SCMP_ACT_TRACE, not \"SCMP_ACT_ALLOW\"");
  rules[4] = (oci_seccomp_syscall){ .names = STRV ("read", "write"), .action = "SCMP_ACT_NOTIFY" };
  expect_error (&s,
                "linux.seccomp.syscalls[4]: SCMP_ACT_NOTIFY cannot be used for \"write\" (the runtime needs "
                "write to hand the listener on)");
  s.n_syscalls = 1;

  s.default_action = "SCMP_ACT_BAR";
  expect_error (&s, "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BAR\"");
  s.default_action = "SCMP_ACT_NOTIFY";
  expect_error (&s, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  s.default_action = "SCMP_ACT_ERRNO";
  s.architectures = (oci_strv) STRV ("SCMP_ARCH_X86_64", "SCMP_ARCH_VAX");
  expect_error (&s, "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
  s.architectures = (oci_strv){ NULL, 0 };
  s.flags = (oci_strv) STRV ("SECCOMP_FILTER_FLAG_NOPE");
  expect_error (&s, "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"");
}

TEST (rule_with_default_action_skipped)
{
  oci_seccomp_syscall rules[] = {
    { .names = STRV ("getpid"), .action = "SCMP_ACT_ERRNO" }, /* == default (EPERM): skipped */
    { .names = STRV ("getppid"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = 2 },
  };
  oci_seccomp s = { .default_action = "SCMP_ACT_ERRNO", .syscalls = rules, .n_syscalls = 2 };
  struct kago_seccomp_filter *f;
  kago_error_t err = NULL;
  CHECK (compile (&s, &f, &err) == 0);
  kago_seccomp_filter_free (f);
}

/* Run FN in a child; return its wait status.  */
static int
run_child (int (*fn) (void))
{
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    _exit (fn ());
  int st;
  waitpid (pid, &st, 0);
  return st;
}

static int
child_deny_mkdir (void)
{
  oci_seccomp_syscall rules[] = { { .names = STRV ("mkdir", "mkdirat"), .action = "SCMP_ACT_ERRNO" } };
  oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = rules, .n_syscalls = 1 };
  struct kago_seccomp_filter *f;
  kago_error_t err = NULL;
  if (compile (&s, &f, &err) < 0)
    return 10;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return 11;
  int lfd;
  if (kago_seccomp_install (f, &lfd, &err) < 0)
    return 12;
  if (lfd != -1)
    return 13;
  if (getpid () <= 0)
    return 14;
  if (mkdir ("/tmp/kago-seccomp-should-not-exist", 0700) == 0 || errno != EPERM)
    return 15;
  return 0;
}

TEST (install_errno_denies_mkdir)
{
  int st = run_child (child_deny_mkdir);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  if (!WIFEXITED (st) || WEXITSTATUS (st))
    printf ("# status %d\n", st);
  CHECK (access ("/tmp/kago-seccomp-should-not-exist", F_OK) != 0);
}

static int
child_kill_process (void)
{
  oci_seccomp_syscall rules[] = { { .names = STRV ("getppid"), .action = "SCMP_ACT_KILL_PROCESS" } };
  oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = rules, .n_syscalls = 1 };
  struct kago_seccomp_filter *f;
  kago_error_t err = NULL;
  if (compile (&s, &f, &err) < 0 || kago_seccomp_install (f, NULL, &err) < 0)
    return 10;
  syscall (SYS_getppid);
  return 0;
}

TEST (install_kill_process_kills)
{
  int st = run_child (child_kill_process);
  CHECK (WIFSIGNALED (st) && WTERMSIG (st) == SIGSYS);
}

static int
child_roundtrip (void)
{
  /* compile -> bytes -> from_bpf -> install (the cache path) */
  oci_seccomp_syscall rules[] = { { .names = STRV ("mkdir", "mkdirat"),
                                    .action = "SCMP_ACT_ERRNO",
                                    .has_errno_ret = true,
                                    .errno_ret = 122 } };
  oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = rules, .n_syscalls = 1 };
  struct kago_seccomp_filter *f, *g;
  kago_error_t err = NULL;
  if (compile (&s, &f, &err) < 0)
    return 10;
  size_t len;
  unsigned flags;
  const void *bpf = kago_seccomp_filter_bpf (f, &len, &flags);
  g = kago_seccomp_filter_from_bpf (bpf, len, flags, &err);
  kago_seccomp_filter_free (f);
  if (g == NULL || kago_seccomp_install (g, NULL, &err) < 0)
    return 11;
  if (mkdir ("/tmp/kago-seccomp-should-not-exist", 0700) == 0 || errno != EDQUOT)
    return 12;
  return 0;
}

TEST (compiled_form_roundtrip)
{
  int st = run_child (child_roundtrip);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  kago_error_t err = NULL;
  CHECK (kago_seccomp_filter_from_bpf ("abc", 3, 0, &err) == NULL);
  kago_error_release (&err);
}

static int notify_sock = -1;

static int
child_notify (void)
{
  oci_seccomp_syscall rules[] = { { .names = STRV ("getppid"), .action = "SCMP_ACT_NOTIFY" } };
  oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                    .syscalls = rules,
                    .n_syscalls = 1,
                    .flags = STRV ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC") };
  struct kago_seccomp_filter *f;
  kago_error_t err = NULL;
  if (compile (&s, &f, &err) < 0)
    return 10;
  if (!kago_seccomp_filter_has_notify (f))
    return 11;
  int lfd = -1;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || kago_seccomp_install (f, &lfd, &err) < 0)
    return 12;
  if (lfd < 0)
    return 13;
  int fl = fcntl (lfd, F_GETFD);
  if (fl < 0 || !(fl & FD_CLOEXEC))
    return 14;
  /* hand the listener to the parent (the agent), then make the call */
  if (kago_send_fd (notify_sock, lfd, "seccomp", &err) < 0)
    return 15;
  close (lfd);
  long r = syscall (SYS_getppid);
  return r == 4242 ? 0 : 16;
}

TEST (notify_returns_listener_fd)
{
  int sv[2];
  CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  notify_sock = sv[1];
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (sv[0]);
      _exit (child_notify ());
    }
  close (sv[1]);
  kago_error_t err = NULL;
  char *name = NULL;
  int lfd = kago_recv_fd (sv[0], &name, &err);
  CHECK (lfd >= 0);
  CHECK_STR (name, "seccomp");
  free (name);
  if (lfd >= 0)
    {
      struct seccomp_notif req;
      memset (&req, 0, sizeof req);
      CHECK (ioctl (lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0);
      CHECK (req.pid == (uint32_t) pid);
      CHECK (req.data.nr == SYS_getppid);
      struct seccomp_notif_resp resp = { .id = req.id, .val = 4242, .error = 0, .flags = 0 };
      CHECK (ioctl (lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
      close (lfd);
    }
  int st;
  waitpid (pid, &st, 0);
  close (sv[0]);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  if (!WIFEXITED (st) || WEXITSTATUS (st))
    printf ("# status 0x%x\n", st);
}

TEST (send_listener_to_agent)
{
  char dir[] = "/tmp/kago-seccomp-agent-XXXXXX";
  CHECK (mkdtemp (dir) != NULL);
  char path[64];
  snprintf (path, sizeof path, "%s/agent.sock", dir);
  int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf (a.sun_path, sizeof a.sun_path, "%s", path);
  CHECK (bind (l, (struct sockaddr *) &a, sizeof a) == 0 && listen (l, 1) == 0);
  int p[2];
  CHECK (pipe (p) == 0);
  const char *state = "{\"ociVersion\":\"1.3.0\",\"fds\":[\"seccompFd\"],\"pid\":42,\"metadata\":\"m\","
                      "\"state\":{\"status\":\"creating\"}}";
  kago_error_t err = NULL;
  CHECK (kago_seccomp_send_listener (path, p[1], state, &err) == 0);
  int c = accept4 (l, NULL, NULL, SOCK_CLOEXEC);
  CHECK (c >= 0);
  char *name = NULL;
  int fd = kago_recv_fd (c, &name, &err);
  CHECK (fd >= 0);
  CHECK_STR (name, state);
  free (name);
  char buf[8];
  CHECK (fd >= 0 && write (fd, "k", 1) == 1 && read (p[0], buf, 1) == 1 && buf[0] == 'k');
  /* the runtime closed its end: EOF */
  CHECK (read (c, buf, sizeof buf) == 0);
  if (fd >= 0)
    close (fd);
  close (c);
  close (l);
  close (p[0]);
  close (p[1]);
  unlink (path);
  CHECK (kago_seccomp_send_listener (path, 0, state, &err) < 0);
  CHECK_CONTAINS (MSG (err), "linux.seccomp.listenerPath");
  kago_error_release (&err);
  rmdir (dir);
}

/* Docker's default profile, taken as-is (includes/excludes ignored: every
   rule is compiled), must compile for x86_64 with its sub-arches.  */
static void
strv_from_json (oci_strv *out, const json_value *arr)
{
  size_t n = json_array_len (arr);
  out->v = calloc (n + 1, sizeof (char *));
  out->n = n;
  for (size_t i = 0; i < n; i++)
    out->v[i] = (char *) json_get_string (json_array_at (arr, i));
}

TEST (same_argument_twice)
{
  /* arg0 >= 3 AND arg0 <= 5: libseccomp needs one rule per condition,
     which is OR.  For ALLOW that is wider than asked: refused.  */
  oci_seccomp_arg range[]
      = { { .index = 0, .value = 3, .op = "SCMP_CMP_GE" }, { .index = 0, .value = 5, .op = "SCMP_CMP_LE" } };
  oci_seccomp_syscall rules[] = {
    { .names = STRV ("dup"), .action = "SCMP_ACT_ALLOW", .args = range, .n_args = 2 },
  };
  oci_seccomp s = { .default_action = "SCMP_ACT_ERRNO", .syscalls = rules, .n_syscalls = 1 };
  struct kago_seccomp_filter *f = NULL;
  kago_error_t err = NULL;
  CHECK (compile (&s, &f, &err) < 0);
  CHECK_CONTAINS (MSG (err), "linux.seccomp.syscalls[0]: compares one argument twice");
  kago_error_release (&err);
  /* For a denying action the split denies at least what was asked.  */
  rules[0].action = "SCMP_ACT_ERRNO";
  s.default_action = "SCMP_ACT_ALLOW";
  CHECK (compile (&s, &f, &err) == 0);
  if (f)
    kago_seccomp_filter_free (f);
  kago_error_release (&err);
}

TEST (docker_default_profile_compiles)
{
  kago_error_t err = NULL;
  json_value *root = json_parse_file ("../data/docker-default-seccomp.json", &err);
  if (root == NULL)
    {
      printf ("# skipped: %s\n", MSG (err));
      kago_error_release (&err);
      return;
    }
  json_value *sys = json_object_get (root, "syscalls");
  size_t n = json_array_len (sys);
  oci_seccomp s = { .default_action = (char *) json_get_string (json_object_get (root, "defaultAction")),
                    .has_default_errno_ret = true,
                    .default_errno_ret = 1,
                    .architectures = STRV ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
                    .syscalls = calloc (n, sizeof (oci_seccomp_syscall)),
                    .n_syscalls = n };
  for (size_t i = 0; i < n; i++)
    {
      json_value *r = json_array_at (sys, i);
      oci_seccomp_syscall *sc = &s.syscalls[i];
      strv_from_json (&sc->names, json_object_get (r, "names"));
      sc->action = (char *) json_get_string (json_object_get (r, "action"));
      json_value *e = json_object_get (r, "errnoRet");
      if (e && json_get_uint32 (e, &sc->errno_ret) == 0)
        sc->has_errno_ret = true;
      json_value *args = json_object_get (r, "args");
      sc->n_args = json_array_len (args);
      sc->args = calloc (sc->n_args + 1, sizeof (oci_seccomp_arg));
      for (size_t a = 0; a < sc->n_args; a++)
        {
          json_value *av = json_array_at (args, a);
          json_get_uint32 (json_object_get (av, "index"), &sc->args[a].index);
          json_get_uint64 (json_object_get (av, "value"), &sc->args[a].value);
          json_get_uint64 (json_object_get (av, "valueTwo"), &sc->args[a].value_two);
          sc->args[a].op = (char *) json_get_string (json_object_get (av, "op"));
        }
    }
  struct kago_seccomp_filter *f;
  CHECK (compile (&s, &f, &err) == 0);
  if (err)
    printf ("# %s\n", MSG (err));
  if (f)
    printf ("# docker default: %zu instructions\n", n_insns (f));
  kago_seccomp_filter_free (f);
  for (size_t i = 0; i < n; i++)
    {
      free (s.syscalls[i].names.v);
      free (s.syscalls[i].args);
    }
  free (s.syscalls);
  json_free (root);
}

int
main (void)
{
  RUN (compile_small_allow_list);
  RUN (compile_errno_and_masked_eq_args);
  RUN (unknown_syscall_skipped);
  RUN (errors_name_the_rule);
  RUN (rule_with_default_action_skipped);
  RUN (install_errno_denies_mkdir);
  RUN (install_kill_process_kills);
  RUN (compiled_form_roundtrip);
  RUN (notify_returns_listener_fd);
  RUN (send_listener_to_agent);
  RUN (same_argument_twice);
  RUN (docker_default_profile_compiles);
  return tap_done ();
}
