/* linux.seccomp: compile with libseccomp into classic BPF, install with
 * seccomp(2).
 *
 * Compilation (libseccomp, in the runtime before or after clone) and
 * installation (one syscall, in the init right before execve) are separate:
 * the compiled form is a plain array of sock_filter instructions plus the
 * kernel filter flags, so it can be handed to a child, cached on disk and
 * reloaded (kago_seccomp_filter_bpf / kago_seccomp_filter_from_bpf).  Like
 * runc, we load the program ourselves rather than with seccomp_load(), which
 * gives us every kernel flag (WAIT_KILLABLE_RECV is not in libseccomp 2.5)
 * and the notify listener fd.
 *
 * Rules follow runc: a rule whose action equals the default action is
 * skipped; syscall names unknown to libseccomp are skipped (debug log); a rule
 * that compares the same argument twice is split into one rule per condition;
 * SCMP_ACT_KILL is KILL_THREAD; SCMP_ACT_ERRNO/TRACE without errnoRet use
 * EPERM (the spec's default; defaultErrnoRet is for defaultAction only);
 * SCMP_ACT_NOTIFY is refused as the default action and for `write`.
 */
#include "runtime/process_attrs.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/xalloc.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef BPF_MAXINSNS
#define BPF_MAXINSNS 4096
#endif

struct kago_seccomp_filter
{
  struct sock_filter *insns;
  size_t n_insns;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

static void
cleanup_scmp_ctx (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}
#define cleanup_scmp __attribute__ ((cleanup (cleanup_scmp_ctx)))

static int
raw_seccomp (unsigned int op, unsigned int flags, void *args)
{
  return (int) syscall (__NR_seccomp, op, flags, args);
}

/* ---- name tables ---- */

static const struct
{
  const char *name;
  uint32_t token;
} arch_names[] = {
  { "SCMP_ARCH_NATIVE", SCMP_ARCH_NATIVE },
  { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
  { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
  { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
  { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
  { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
  { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
  { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
  { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
  { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
  { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
  { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
  { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
  { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
  { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
  { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
  { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
  { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
  { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
  { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#ifdef SCMP_ARCH_LOONGARCH64
  { "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#endif
#ifdef SCMP_ARCH_M68K
  { "SCMP_ARCH_M68K", SCMP_ARCH_M68K },
#endif
#ifdef SCMP_ARCH_SH
  { "SCMP_ARCH_SH", SCMP_ARCH_SH },
  { "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB },
#endif
};

static const struct
{
  const char *name;
  unsigned int flag;
} flag_names[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} op_names[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* Resolve an action name.  ERRNO_RET (when HAS) is the errno for ERRNO and
   the trace message for TRACE; any other action with an errnoRet is an
   error (the spec: "when the action doesn't support an errno, the runtime
   MUST print an error and fail").  Returns 0, or -1 with *WHY set.  */
static int
action_from_name (const char *name, bool has_errno, uint32_t errno_ret, uint32_t *out, const char **why)
{
  *why = NULL;
  if (name == NULL)
    {
      *why = "missing action";
      return -1;
    }
  bool takes_errno = false;
  if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    {
      takes_errno = true;
      *out = SCMP_ACT_ERRNO (has_errno ? errno_ret : EPERM);
    }
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    {
      takes_errno = true;
      *out = SCMP_ACT_TRACE (has_errno ? errno_ret : EPERM);
    }
  else if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    *out = SCMP_ACT_NOTIFY;
  else
    {
      *why = "unknown action";
      return -1;
    }
  if (has_errno && !takes_errno)
    {
      *why = "errnoRet is only supported with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not";
      return -1;
    }
  if (has_errno && errno_ret > 0xffff)
    {
      *why = "errnoRet out of range (0..65535) for";
      return -1;
    }
  return 0;
}

static int
op_from_name (const char *name, enum scmp_compare *out)
{
  for (size_t i = 0; name && i < sizeof op_names / sizeof op_names[0]; i++)
    if (strcmp (name, op_names[i].name) == 0)
      {
        *out = op_names[i].op;
        return 0;
      }
  return -1;
}

/* Is the flag known to the running kernel?  With a NULL program the kernel
   answers EFAULT for a valid flag set and EINVAL otherwise.  */
static bool
kernel_has_flags (unsigned int flags)
{
  return raw_seccomp (SECCOMP_SET_MODE_FILTER, flags, NULL) < 0 && errno == EFAULT;
}

/* ---- compile ---- */

static int
add_rule (scmp_filter_ctx ctx, size_t idx, const oci_seccomp_syscall *sc, const char *name, int nr,
          uint32_t act, kago_error_t *err)
{
  struct scmp_arg_cmp cmps[6];
  unsigned int counts[6] = { 0 };
  bool split = false;
  int rc;

  for (size_t a = 0; a < sc->n_args; a++)
    {
      const oci_seccomp_arg *arg = &sc->args[a];
      enum scmp_compare op = SCMP_CMP_EQ;
      /* validated by the caller */
      op_from_name (arg->op, &op);
      cmps[a].arg = arg->index;
      cmps[a].op = op;
      cmps[a].datum_a = arg->value;     /* the mask for MASKED_EQ */
      cmps[a].datum_b = arg->value_two; /* the value for MASKED_EQ */
      if (++counts[arg->index] > 1)
        split = true;
    }

  if (sc->n_args == 0)
    rc = seccomp_rule_add_array (ctx, act, nr, 0, NULL);
  else if (!split)
    rc = seccomp_rule_add_array (ctx, act, nr, (unsigned int) sc->n_args, cmps);
  else if (act == SCMP_ACT_ALLOW)
    /* One rule per condition turns AND into OR: for an allow rule that lets
       through more than the profile says (runc does it anyway).  */
    return kago_error_set (err, EINVAL,
                           "linux.seccomp.syscalls[%zu]: compares one argument twice; libseccomp can only "
                           "express that as separate rules, which would allow \"%s\" more widely than the "
                           "profile asks",
                           idx, name);
  else
    {
      /* libseccomp refuses two comparisons of the same argument in one rule;
         as runc, add each condition as a rule of its own (for a denying
         action that denies at least what was asked).  */
      rc = 0;
      for (size_t a = 0; a < sc->n_args && rc == 0; a++)
        rc = seccomp_rule_add_array (ctx, act, nr, 1, &cmps[a]);
    }
  if (rc < 0)
    return kago_error_set (err, -rc, "linux.seccomp.syscalls[%zu]: add rule for \"%s\"", idx, name);
  return 0;
}

static int
validate_rule (size_t idx, const oci_seccomp_syscall *sc, uint32_t *act, kago_error_t *err)
{
  const char *why;
  if (sc->names.n == 0)
    return kago_error_set (err, EINVAL, "linux.seccomp.syscalls[%zu]: no syscall names", idx);
  for (size_t j = 0; j < sc->names.n; j++)
    if (sc->names.v[j] == NULL || sc->names.v[j][0] == '\0')
      return kago_error_set (err, EINVAL, "linux.seccomp.syscalls[%zu].names[%zu]: empty syscall name", idx,
                             j);
  if (action_from_name (sc->action, sc->has_errno_ret, sc->errno_ret, act, &why) < 0)
    return kago_error_set (err, EINVAL, "linux.seccomp.syscalls[%zu]: %s \"%s\"", idx, why,
                           sc->action ? sc->action : "");
  if (sc->n_args > 6)
    return kago_error_set (err, EINVAL, "linux.seccomp.syscalls[%zu]: %zu argument conditions, at most 6",
                           idx, sc->n_args);
  for (size_t a = 0; a < sc->n_args; a++)
    {
      enum scmp_compare op;
      if (sc->args[a].index > 5)
        return kago_error_set (err, EINVAL,
                               "linux.seccomp.syscalls[%zu].args[%zu].index: %u out of range (0..5)", idx, a,
                               sc->args[a].index);
      if (op_from_name (sc->args[a].op, &op) < 0)
        return kago_error_set (err, EINVAL,
                               "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator \"%s\"", idx, a,
                               sc->args[a].op ? sc->args[a].op : "");
    }
  if (*act == SCMP_ACT_NOTIFY)
    for (size_t j = 0; j < sc->names.n; j++)
      if (strcmp (sc->names.v[j], "write") == 0)
        return kago_error_set (err, EINVAL,
                               "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY cannot be used for \"write\" "
                               "(the runtime needs write to hand the listener on)",
                               idx);
  return 0;
}

static int
compile_flags (const oci_seccomp *s, unsigned int *out, kago_error_t *err)
{
  *out = 0;
  for (size_t i = 0; i < s->flags.n; i++)
    {
      const char *name = s->flags.v[i];
      unsigned int flag = 0;
      for (size_t k = 0; k < sizeof flag_names / sizeof flag_names[0]; k++)
        if (name && strcmp (name, flag_names[k].name) == 0)
          flag = flag_names[k].flag;
      if (flag == 0)
        return kago_error_set (err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i,
                               name ? name : "");
      /* The kernel takes WAIT_KILLABLE_RECV only together with a listener.  */
      unsigned int probe = flag;
      if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
        probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      if (!kernel_has_flags (probe))
        return kago_error_set (err, EINVAL, "linux.seccomp.flags[%zu]: %s is not supported by this kernel", i,
                               name);
      *out |= flag;
    }
  return 0;
}

static int
export_bpf (scmp_filter_ctx ctx, struct kago_seccomp_filter *f, kago_error_t *err)
{
  cleanup_close int fd = memfd_create ("kago-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "memfd_create");
  int rc = seccomp_export_bpf (ctx, fd);
  if (rc < 0)
    return kago_error_set (err, -rc, "linux.seccomp: export the compiled filter");
  if (lseek (fd, 0, SEEK_SET) < 0)
    return kago_error_set (err, errno, "lseek");
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (read_all_fd (fd, &buf, &len, err) < 0)
    return kago_error_wrap (err, "linux.seccomp: read the compiled filter");
  if (len == 0 || len % sizeof (struct sock_filter) != 0)
    return kago_error_set (err, EINVAL, "linux.seccomp: compiled filter has a bad size (%zu bytes)", len);
  f->n_insns = len / sizeof (struct sock_filter);
  if (f->n_insns > BPF_MAXINSNS)
    return kago_error_set (err, E2BIG,
                           "linux.seccomp: the compiled filter has %zu instructions, the kernel takes %d",
                           f->n_insns, BPF_MAXINSNS);
  f->insns = xmalloc (len);
  memcpy (f->insns, buf, len);
  return 0;
}

int
kago_seccomp_compile (const oci_seccomp *s, struct kago_seccomp_filter **out, kago_error_t *err)
{
  const char *why;
  uint32_t def_act;
  int rc;
  bool notify = false;

  *out = NULL;
  if (s == NULL)
    return kago_error_set (err, EINVAL, "linux.seccomp: no profile");
  if (action_from_name (s->default_action, s->has_default_errno_ret, s->default_errno_ret, &def_act, &why)
      < 0)
    return kago_error_set (err, EINVAL, "linux.seccomp.defaultAction: %s \"%s\"",
                           strcmp (why, "unknown action") == 0 ? why
                                                               : "defaultErrnoRet is not supported with",
                           s->default_action ? s->default_action : "");
  if (def_act == SCMP_ACT_NOTIFY)
    return kago_error_set (err, EINVAL,
                           "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

  unsigned int flags;
  if (compile_flags (s, &flags, err) < 0)
    return -1;

  cleanup_scmp scmp_filter_ctx ctx = seccomp_init (def_act);
  if (ctx == NULL)
    return kago_error_set (err, EINVAL, "linux.seccomp: cannot create a filter with default action %s",
                           s->default_action);
  /* We load the program ourselves: no_new_privs is the init's decision.  */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (s->n_syscalls > 32 && seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
    kago_log_debug ("seccomp: binary tree optimization not available");

  for (size_t i = 0; i < s->architectures.n; i++)
    {
      const char *name = s->architectures.v[i];
      bool found = false;
      for (size_t k = 0; k < sizeof arch_names / sizeof arch_names[0]; k++)
        if (name && strcmp (name, arch_names[k].name) == 0)
          {
            found = true;
            rc = seccomp_arch_add (ctx, arch_names[k].token);
            if (rc < 0 && rc != -EEXIST)
              return kago_error_set (err, -rc, "linux.seccomp.architectures[%zu]: add \"%s\"", i, name);
          }
      if (!found)
        return kago_error_set (err, EINVAL, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"",
                               i, name ? name : "");
    }

  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const oci_seccomp_syscall *sc = &s->syscalls[i];
      uint32_t act;
      if (validate_rule (i, sc, &act, err) < 0)
        return -1;
      if (act == def_act)
        continue; /* redundant, and libseccomp refuses it */
      for (size_t j = 0; j < sc->names.n; j++)
        {
          const char *name = sc->names.v[j];
          int nr = seccomp_syscall_resolve_name (name);
          if (nr == __NR_SCMP_ERROR)
            {
              kago_log_debug ("seccomp: syscall \"%s\" is unknown on this architecture, skipped", name);
              continue;
            }
          if (add_rule (ctx, i, sc, name, nr, act, err) < 0)
            return -1;
          if (act == SCMP_ACT_NOTIFY)
            notify = true;
        }
    }

  if (!notify && (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
    {
      /* Meaningless without a listener, and the kernel refuses it alone.  */
      kago_log_debug (
          "seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV without SCMP_ACT_NOTIFY rules, dropped");
      flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
  if (notify)
    {
      flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      if (flags & SECCOMP_FILTER_FLAG_TSYNC)
        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
      if (!kernel_has_flags (flags))
        return kago_error_set (
            err, EINVAL, "linux.seccomp: SCMP_ACT_NOTIFY (with flags 0x%x) is not supported by this kernel",
            flags);
    }

  struct kago_seccomp_filter *f = xzalloc (sizeof *f);
  f->flags = flags;
  if (export_bpf (ctx, f, err) < 0)
    {
      kago_seccomp_filter_free (f);
      return -1;
    }
  *out = f;
  return 0;
}

/* ---- the compiled form ---- */

const void *
kago_seccomp_filter_bpf (const struct kago_seccomp_filter *f, size_t *len_bytes, unsigned int *flags)
{
  if (len_bytes)
    *len_bytes = f->n_insns * sizeof (struct sock_filter);
  if (flags)
    *flags = f->flags;
  return f->insns;
}

struct kago_seccomp_filter *
kago_seccomp_filter_from_bpf (const void *bpf, size_t len_bytes, unsigned int flags, kago_error_t *err)
{
  const unsigned int known = SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG
                             | SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_NEW_LISTENER
                             | SECCOMP_FILTER_FLAG_TSYNC_ESRCH | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  if (bpf == NULL || len_bytes == 0 || len_bytes % sizeof (struct sock_filter) != 0
      || len_bytes / sizeof (struct sock_filter) > BPF_MAXINSNS)
    {
      kago_error_set (err, EINVAL, "seccomp: bad compiled filter (%zu bytes)", len_bytes);
      return NULL;
    }
  if (flags & ~known)
    {
      kago_error_set (err, EINVAL, "seccomp: unknown filter flags 0x%x", flags & ~known);
      return NULL;
    }
  struct kago_seccomp_filter *f = xzalloc (sizeof *f);
  f->insns = xmalloc (len_bytes);
  memcpy (f->insns, bpf, len_bytes);
  f->n_insns = len_bytes / sizeof (struct sock_filter);
  f->flags = flags;
  return f;
}

bool
kago_seccomp_filter_has_notify (const struct kago_seccomp_filter *f)
{
  return f && (f->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

int
kago_seccomp_install (struct kago_seccomp_filter *f, int *listener_fd, kago_error_t *err)
{
  if (listener_fd)
    *listener_fd = -1;
  if (f == NULL)
    return kago_error_set (err, EINVAL, "seccomp: no filter");

  struct sock_fprog prog = { .len = (unsigned short) f->n_insns, .filter = f->insns };
  int rc;
  if (f->flags == 0)
    rc = prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
  else
    rc = raw_seccomp (SECCOMP_SET_MODE_FILTER, f->flags, &prog);
  if (rc < 0)
    {
      int e = errno;
      if (e == EACCES)
        return kago_error_set (err, e, "load seccomp filter (needs no_new_privs or CAP_SYS_ADMIN)");
      return kago_error_set (err, e, "load seccomp filter (flags 0x%x)", f->flags);
    }
  if ((f->flags & SECCOMP_FILTER_FLAG_TSYNC) && !(f->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) && rc > 0)
    return kago_error_set (err, EAGAIN, "load seccomp filter: thread %d could not be synchronized", rc);
  if (f->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
    {
      if (listener_fd)
        *listener_fd = rc;
      else
        close (rc);
    }
  return 0;
}

int
kago_seccomp_send_listener (const char *listener_path, int listener_fd, const char *state_json,
                            kago_error_t *err)
{
  if (listener_path == NULL || listener_path[0] == '\0')
    return kago_error_set (err, EINVAL, "linux.seccomp.listenerPath: empty");
  if (state_json == NULL || state_json[0] == '\0')
    return kago_error_set (err, EINVAL, "linux.seccomp.listenerPath: no container state to send");
  cleanup_close int sock = kago_console_socket_connect (listener_path, err);
  if (sock < 0)
    {
      /* That error speaks of a console socket: say what this one is.  */
      int e = (*err)->errnum;
      kago_error_release (err);
      return kago_error_set (err, e, "linux.seccomp.listenerPath: connect to the seccomp agent at \"%s\"",
                             listener_path);
    }
  if (kago_send_fd (sock, listener_fd, state_json, err) < 0)
    return kago_error_wrap (err, "linux.seccomp.listenerPath: send the listener to \"%s\"", listener_path);
  return 0;
}

void
kago_seccomp_filter_free (struct kago_seccomp_filter *f)
{
  if (f == NULL)
    return;
  free (f->insns);
  free (f);
}
