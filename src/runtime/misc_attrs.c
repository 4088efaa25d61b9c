/* Smaller per-process attributes: personality, oom_score_adj, I/O priority,
   scheduler, CPU affinity and no_new_privs.  */
#include "runtime/process_attrs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

/* ---- personality ---- */

int
kago_personality_apply (const oci_linux *l, kago_error_t *err)
{
  if (l == NULL || !l->has_personality)
    return 0;
  unsigned long persona;
  const char *d = l->personality_domain;
  if (d && strcmp (d, "LINUX") == 0)
    persona = PER_LINUX;
  else if (d && strcmp (d, "LINUX32") == 0)
    persona = PER_LINUX32;
  else
    return kago_error_set (err, EINVAL, "linux.personality.domain: unknown domain \"%s\" (LINUX or LINUX32)",
                           d ? d : "");
  if (l->personality_flags.n > 0)
    return kago_error_set (err, EINVAL, "linux.personality.flags: \"%s\" is not supported",
                           l->personality_flags.v[0] ? l->personality_flags.v[0] : "");
  if (personality (persona) < 0)
    return kago_error_set (err, errno, "personality %s", d);
  return 0;
}

/* ---- oom_score_adj ---- */

int
kago_oom_score_adj_write (int procfd, pid_t pid, int adj, kago_error_t *err)
{
  char rel[64], buf[16];
  if (adj < -1000 || adj > 1000)
    return kago_error_set (err, EINVAL, "process.oomScoreAdj: %d out of range (-1000..1000)", adj);
  if (pid > 0)
    snprintf (rel, sizeof rel, "%d/oom_score_adj", (int) pid);
  else
    snprintf (rel, sizeof rel, "self/oom_score_adj");
  cleanup_close int fd = openat (procfd, rel, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "open /proc/%s", rel);
  int len = snprintf (buf, sizeof buf, "%d", adj);
  ssize_t w = write (fd, buf, (size_t) len);
  if (w != len)
    return kago_error_set (err, w < 0 ? errno : EIO, "write %d to /proc/%s", adj, rel);
  return 0;
}

/* ---- I/O priority ---- */

#define KAGO_IOPRIO_CLASS_SHIFT 13
#define KAGO_IOPRIO_WHO_PROCESS 1

int
kago_io_priority_apply (const oci_process *p, kago_error_t *err)
{
  if (p == NULL || !p->has_io_priority)
    return 0;
  int cls;
  const char *c = p->io_priority_class;
  if (c && strcmp (c, "IOPRIO_CLASS_RT") == 0)
    cls = 1;
  else if (c && strcmp (c, "IOPRIO_CLASS_BE") == 0)
    cls = 2;
  else if (c && strcmp (c, "IOPRIO_CLASS_IDLE") == 0)
    cls = 3;
  else
    return kago_error_set (err, EINVAL, "process.ioPriority.class: unknown class \"%s\"", c ? c : "");
  if (p->io_priority < 0 || p->io_priority > 7)
    return kago_error_set (err, EINVAL, "process.ioPriority.priority: %d out of range (0..7)",
                           p->io_priority);
  int value = (cls << KAGO_IOPRIO_CLASS_SHIFT) | p->io_priority;
  if (syscall (SYS_ioprio_set, KAGO_IOPRIO_WHO_PROCESS, 0, value) < 0)
    return kago_error_set (err, errno, "ioprio_set %s priority %d", c, p->io_priority);
  return 0;
}

/* ---- scheduler ---- */

struct kago_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

static const struct
{
  const char *name;
  uint32_t value;
} sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },       { "SCHED_BATCH", 3 },
  { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
};

static const struct
{
  const char *name;
  uint64_t value;
} sched_flag_names[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

int
kago_scheduler_apply (const oci_process *p, kago_error_t *err)
{
  if (p == NULL || !p->has_scheduler)
    return 0;
  struct kago_sched_attr attr = { .size = sizeof attr };
  bool found = false;
  for (size_t i = 0; i < sizeof sched_policies / sizeof sched_policies[0]; i++)
    if (p->sched_policy && strcmp (p->sched_policy, sched_policies[i].name) == 0)
      {
        attr.sched_policy = sched_policies[i].value;
        found = true;
      }
  if (!found)
    return kago_error_set (err, EINVAL, "process.scheduler.policy: unknown policy \"%s\"",
                           p->sched_policy ? p->sched_policy : "");
  for (size_t j = 0; j < p->sched_flags.n; j++)
    {
      const char *f = p->sched_flags.v[j];
      uint64_t v = 0;
      for (size_t i = 0; i < sizeof sched_flag_names / sizeof sched_flag_names[0]; i++)
        if (f && strcmp (f, sched_flag_names[i].name) == 0)
          v = sched_flag_names[i].value;
      if (v == 0)
        return kago_error_set (err, EINVAL, "process.scheduler.flags[%zu]: unknown flag \"%s\"", j,
                               f ? f : "");
      attr.sched_flags |= v;
    }
  if (p->sched_nice < -20 || p->sched_nice > 19)
    return kago_error_set (err, EINVAL, "process.scheduler.nice: %d out of range (-20..19)", p->sched_nice);
  attr.sched_nice = p->sched_nice;
  attr.sched_priority = (uint32_t) p->sched_priority;
  attr.sched_runtime = p->sched_runtime;
  attr.sched_deadline = p->sched_deadline;
  attr.sched_period = p->sched_period;
  if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
    return kago_error_set (err, errno, "sched_setattr %s", p->sched_policy);
  return 0;
}

/* ---- CPU affinity ---- */

/* Parse a cpuset list "0-3,5" into a CPU_ALLOC'd set of *SETSIZE bytes.  */
int
kago_cpu_list_parse (const char *list, cpu_set_t **out, size_t *setsize, kago_error_t *err)
{
  long max = -1;
  *out = NULL;
  /* first pass: validate and find the highest cpu */
  for (int pass = 0; pass < 2; pass++)
    {
      cpu_set_t *set = NULL;
      size_t size = 0;
      if (pass == 1)
        {
          set = CPU_ALLOC (max + 1);
          if (set == NULL)
            return kago_error_set (err, ENOMEM, "cpu list");
          size = CPU_ALLOC_SIZE (max + 1);
          CPU_ZERO_S (size, set);
        }
      const char *s = list;
      if (s == NULL || *s == '\0')
        return kago_error_set (err, EINVAL, "empty cpu list");
      while (*s)
        {
          char *end;
          if (*s < '0' || *s > '9')
            goto bad;
          errno = 0;
          long a = strtol (s, &end, 10), b = a;
          if (errno || a > 65535)
            goto bad;
          s = end;
          if (*s == '-')
            {
              s++;
              if (*s < '0' || *s > '9')
                goto bad;
              b = strtol (s, &end, 10);
              if (errno || b > 65535 || b < a)
                goto bad;
              s = end;
            }
          if (*s == ',')
            {
              s++;
              if (*s == '\0')
                goto bad;
            }
          else if (*s != '\0')
            goto bad;
          if (pass == 0)
            max = b > max ? b : max;
          else
            for (long c = a; c <= b; c++)
              CPU_SET_S ((size_t) c, size, set);
          continue;
        bad:
          if (set)
            CPU_FREE (set);
          return kago_error_set (err, EINVAL, "invalid cpu list \"%s\"", list);
        }
      if (pass == 1)
        {
          *out = set;
          *setsize = size;
        }
    }
  return 0;
}

int
kago_cpu_affinity_apply (const char *cpus, kago_error_t *err)
{
  if (cpus == NULL || *cpus == '\0')
    return 0;
  cpu_set_t *set;
  size_t size;
  if (kago_cpu_list_parse (cpus, &set, &size, err) < 0)
    return -1;
  int rc = sched_setaffinity (0, size, set);
  int e = errno;
  CPU_FREE (set);
  if (rc < 0)
    return kago_error_set (err, e, "sched_setaffinity \"%s\"", cpus);
  return 0;
}

/* ---- no_new_privs ---- */

int
kago_no_new_privs_apply (bool on, kago_error_t *err)
{
  if (on && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return kago_error_set (err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  return 0;
}
