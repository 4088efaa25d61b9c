/* Capabilities: names, the kernel's cap_last_cap, and applying the five sets
 * with prctl(2) and capset(2) directly (no libcap).
 *
 * Order of use in the init (as runc's finalizeNamespace):
 *   kago_caps_prepare  -> PR_SET_KEEPCAPS 1, drop the bounding set
 *   kago_user_apply    -> setgroups, setresgid, setresuid (keeps permitted)
 *   kago_caps_apply    -> capset eff/perm/inh, ambient, PR_SET_KEEPCAPS 0
 *
 * Errors: an unknown name, and an effective capability that is not
 * permitted.  Warnings (as runc): a capability above the kernel's
 * cap_last_cap, and an ambient capability that is not both permitted and
 * inheritable (it is not raised).
 *
 * Inheritable and ambient are exactly what the config says: never filled
 * implicitly (CVE-2022-29162, CVE-2022-27650).
 */
#include "runtime/process_attrs.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strbuf.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* Index = capability number.  */
static const char *const cap_names[] = {
  "CAP_CHOWN",              /* 0 */
  "CAP_DAC_OVERRIDE",       /* 1 */
  "CAP_DAC_READ_SEARCH",    /* 2 */
  "CAP_FOWNER",             /* 3 */
  "CAP_FSETID",             /* 4 */
  "CAP_KILL",               /* 5 */
  "CAP_SETGID",             /* 6 */
  "CAP_SETUID",             /* 7 */
  "CAP_SETPCAP",            /* 8 */
  "CAP_LINUX_IMMUTABLE",    /* 9 */
  "CAP_NET_BIND_SERVICE",   /* 10 */
  "CAP_NET_BROADCAST",      /* 11 */
  "CAP_NET_ADMIN",          /* 12 */
  "CAP_NET_RAW",            /* 13 */
  "CAP_IPC_LOCK",           /* 14 */
  "CAP_IPC_OWNER",          /* 15 */
  "CAP_SYS_MODULE",         /* 16 */
  "CAP_SYS_RAWIO",          /* 17 */
  "CAP_SYS_CHROOT",         /* 18 */
  "CAP_SYS_PTRACE",         /* 19 */
  "CAP_SYS_PACCT",          /* 20 */
  "CAP_SYS_ADMIN",          /* 21 */
  "CAP_SYS_BOOT",           /* 22 */
  "CAP_SYS_NICE",           /* 23 */
  "CAP_SYS_RESOURCE",       /* 24 */
  "CAP_SYS_TIME",           /* 25 */
  "CAP_SYS_TTY_CONFIG",     /* 26 */
  "CAP_MKNOD",              /* 27 */
  "CAP_LEASE",              /* 28 */
  "CAP_AUDIT_WRITE",        /* 29 */
  "CAP_AUDIT_CONTROL",      /* 30 */
  "CAP_SETFCAP",            /* 31 */
  "CAP_MAC_OVERRIDE",       /* 32 */
  "CAP_MAC_ADMIN",          /* 33 */
  "CAP_SYSLOG",             /* 34 */
  "CAP_WAKE_ALARM",         /* 35 */
  "CAP_BLOCK_SUSPEND",      /* 36 */
  "CAP_AUDIT_READ",         /* 37 */
  "CAP_PERFMON",            /* 38 */
  "CAP_BPF",                /* 39 */
  "CAP_CHECKPOINT_RESTORE", /* 40 */
};
#define N_CAP_NAMES ((int) (sizeof cap_names / sizeof cap_names[0]))

int
kago_cap_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  for (int i = 0; i < N_CAP_NAMES; i++)
    if (strcmp (cap_names[i], name) == 0)
      return i;
  return -1;
}

const char *
kago_cap_name (int cap)
{
  if (cap < 0 || cap >= N_CAP_NAMES)
    return NULL;
  return cap_names[cap];
}

int
kago_cap_last_cap (void)
{
  /* A lazily computed constant of the running kernel.  */
  static _Atomic int cached = -1;
  int v = atomic_load (&cached);
  if (v >= 0)
    return v;

  v = -1;
  FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
  if (f)
    {
      if (fscanf (f, "%d", &v) != 1)
        v = -1;
      fclose (f);
    }
  if (v < 0 || v > 63)
    {
      /* /proc not available: probe the bounding set, which answers EINVAL
         for capabilities the kernel does not know.  */
      v = 0;
      while (v < 63 && prctl (PR_CAPBSET_READ, (unsigned long) (v + 1), 0, 0, 0) >= 0)
        v++;
    }
  atomic_store (&cached, v);
  return v;
}

static int
caps_set_from_strv (const oci_strv *names, const char *set, uint64_t *out, kago_error_t *err)
{
  int last = kago_cap_last_cap ();
  *out = 0;
  for (size_t i = 0; i < names->n; i++)
    {
      const char *n = names->v[i];
      int cap = kago_cap_from_name (n);
      if (cap < 0)
        return kago_error_set (err, EINVAL, "process.capabilities.%s: unknown capability \"%s\"", set, n);
      if (cap > last)
        {
          kago_log_warn ("process.capabilities.%s: capability \"%s\" is not supported by this kernel "
                         "(cap_last_cap %d), ignoring it",
                         set, n, last);
          continue;
        }
      *out |= UINT64_C (1) << cap;
    }
  return 0;
}

/* Render the capabilities in MASK as "CAP_A, CAP_B" (caller frees).  */
static char *
caps_mask_names (uint64_t mask)
{
  strbuf sb = STRBUF_INIT;
  for (int c = 0; c < 64; c++)
    if (mask & (UINT64_C (1) << c))
      {
        if (sb.len)
          strbuf_adds (&sb, ", ");
        const char *n = kago_cap_name (c);
        if (n)
          strbuf_adds (&sb, n);
        else
          strbuf_addf (&sb, "%d", c);
      }
  return strbuf_detach (&sb);
}

int
kago_caps_from_spec (const oci_capabilities *c, struct kago_caps *out, kago_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (c == NULL)
    return 0;
  if (caps_set_from_strv (&c->bounding, "bounding", &out->bounding, err) < 0
      || caps_set_from_strv (&c->effective, "effective", &out->effective, err) < 0
      || caps_set_from_strv (&c->inheritable, "inheritable", &out->inheritable, err) < 0
      || caps_set_from_strv (&c->permitted, "permitted", &out->permitted, err) < 0
      || caps_set_from_strv (&c->ambient, "ambient", &out->ambient, err) < 0)
    return -1;

  /* capset(2) refuses an effective capability that is not permitted, and
     the kernel refuses to raise an ambient capability that is not both
     permitted and inheritable; say so before anything is set up.  */
  uint64_t bad = out->effective & ~out->permitted;
  if (bad)
    {
      cleanup_free char *names = caps_mask_names (bad);
      return kago_error_set (err, EINVAL,
                             "process.capabilities.effective: %s must also be in the permitted set", names);
    }
  /* The kernel refuses to raise an ambient capability that is not both
     permitted and inheritable.  `runc spec` (1.1) writes such configs
     (ambient without inheritable, since CVE-2022-29162 emptied it), and
     runc and crun skip those ambient capabilities with a warning: so do we,
     and never "fix" it by filling inheritable.  */
  bad = out->ambient & ~(out->permitted & out->inheritable);
  if (bad)
    {
      cleanup_free char *names = caps_mask_names (bad);
      kago_log_warn ("process.capabilities.ambient: %s not in both the permitted and inheritable sets, "
                     "not raised",
                     names);
      out->ambient &= ~bad;
    }
  return 0;
}

int
kago_caps_prepare (const struct kago_caps *caps, kago_error_t *err)
{
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return kago_error_set (err, errno, "prctl(PR_SET_KEEPCAPS, 1)");

  int last = kago_cap_last_cap ();
  for (int c = 0; c <= last; c++)
    {
      if (caps->bounding & (UINT64_C (1) << c))
        continue;
      int r = prctl (PR_CAPBSET_READ, (unsigned long) c, 0, 0, 0);
      if (r == 0)
        continue; /* already dropped */
      if (prctl (PR_CAPBSET_DROP, (unsigned long) c, 0, 0, 0) < 0)
        {
          if (errno == EINVAL)
            continue; /* not known to this kernel */
          return kago_error_set (err, errno, "drop capability %d (%s) from the bounding set", c,
                                 kago_cap_name (c) ? kago_cap_name (c) : "unnamed");
        }
    }
  return 0;
}

static int
raw_capget (struct __user_cap_data_struct data[2])
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  memset (data, 0, 2 * sizeof *data);
  return (int) syscall (SYS_capget, &hdr, data);
}

static int
raw_capset (uint64_t eff, uint64_t perm, uint64_t inh)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++)
    {
      data[i].effective = (uint32_t) (eff >> (32 * i));
      data[i].permitted = (uint32_t) (perm >> (32 * i));
      data[i].inheritable = (uint32_t) (inh >> (32 * i));
    }
  return (int) syscall (SYS_capset, &hdr, data);
}

static uint64_t
data_mask (const struct __user_cap_data_struct d[2], int which)
{
  uint64_t lo, hi;
  switch (which)
    {
    case 0:
      lo = d[0].permitted, hi = d[1].permitted;
      break;
    case 1:
      lo = d[0].inheritable, hi = d[1].inheritable;
      break;
    default:
      lo = d[0].effective, hi = d[1].effective;
      break;
    }
  return lo | (hi << 32);
}

/* capset failed with EPERM: find out what we were asked for that we do not
   hold, so the error names it (e.g. CAP_SYS_RESOURCE on a host that lacks it). */
static int
capset_error (const struct kago_caps *caps, int saved_errno, kago_error_t *err)
{
  struct __user_cap_data_struct cur[2];
  if (saved_errno == EPERM && raw_capget (cur) == 0)
    {
      uint64_t have_perm = data_mask (cur, 0);
      uint64_t have_inh = data_mask (cur, 1);
      uint64_t missing = caps->permitted & ~have_perm;
      if (caps->effective & ~caps->permitted)
        {
          cleanup_free char *names = caps_mask_names (caps->effective & ~caps->permitted);
          return kago_error_set (err, saved_errno, "capset: effective %s not in the permitted set", names);
        }
      if (missing)
        {
          cleanup_free char *names = caps_mask_names (missing);
          return kago_error_set (err, saved_errno, "capset: permitted %s not held by the runtime", names);
        }
      uint64_t bset = 0;
      for (int c = 0; c <= kago_cap_last_cap (); c++)
        if (prctl (PR_CAPBSET_READ, (unsigned long) c, 0, 0, 0) == 1)
          bset |= UINT64_C (1) << c;
      missing = caps->inheritable & ~(have_inh | bset);
      if (missing)
        {
          cleanup_free char *names = caps_mask_names (missing);
          return kago_error_set (err, saved_errno, "capset: inheritable %s not in the bounding set", names);
        }
    }
  return kago_error_set (err, saved_errno, "capset");
}

int
kago_caps_apply (const struct kago_caps *caps, kago_error_t *err)
{
  if (raw_capset (caps->effective, caps->permitted, caps->inheritable) < 0)
    return capset_error (caps, errno, err);

  /* Ambient: start from nothing, then exactly what the config asks.  */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return kago_error_set (err, errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  for (int c = 0; c < 64; c++)
    {
      if (!(caps->ambient & (UINT64_C (1) << c)))
        continue;
      const char *name = kago_cap_name (c);
      if (!(caps->permitted & caps->inheritable & (UINT64_C (1) << c)))
        {
          /* kago_caps_from_spec already warned and dropped these.  */
          kago_log_warn ("ambient capability %s is not permitted and inheritable, not raised",
                         name ? name : "?");
          continue;
        }
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long) c, 0, 0) < 0)
        return kago_error_set (err, errno, "raise ambient capability %s", name ? name : "?");
    }

  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return kago_error_set (err, errno, "prctl(PR_SET_KEEPCAPS, 0)");
  return 0;
}
