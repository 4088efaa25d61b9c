/* Resources on cgroup v1 (and on the v1 side of a hybrid layout).
 *
 * Every field that is set is written, or refused with an error naming the
 * field; nothing is silently dropped.  As runc does, a memory/cpu value of 0
 * means "leave unchanged" (docker's `update` sends zeros for what it does not
 * change).
 */
#include "cgroup/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#define F_MEM "linux.resources.memory."
#define F_CPU "linux.resources.cpu."
#define F_BLKIO "linux.resources.blockIO."

/* Write FILE of the hierarchy that has CTRL; FIELD names the setting.  */
static int __attribute__ ((format (printf, 6, 7)))
v1_setf (const struct kago_cgroup *cg, const char *ctrl, const char *field, const char *file,
         kago_error_t *err, const char *fmt, ...)
{
  struct cg_hier *h = cg_find (cg, ctrl);
  if (!h)
    return kago_error_set (err, 0, "%s: not supported on this host (no %s cgroup hierarchy)", field, ctrl);
  va_list ap;
  va_start (ap, fmt);
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  strbuf_addvf (&sb, fmt, ap);
  va_end (ap);
  return cg_set (field, h->dir, file, sb.buf ? sb.buf : "", err);
}

static int
v1_memory (const struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err)
{
  int64_t limit = CG_SET (r, mem_limit) ? r->mem_limit : 0;
  int64_t swap = CG_SET (r, mem_swap) ? r->mem_swap : 0;
  bool swappiness = r->has_mem_swappiness && (int64_t) r->mem_swappiness != -1;
  bool any = limit || swap || CG_SET (r, mem_reservation) || CG_SET (r, mem_kernel)
             || CG_SET (r, mem_kernel_tcp) || swappiness
             || (r->has_disable_oom_killer && r->disable_oom_killer) || r->has_use_hierarchy;
  if (!any)
    return 0;
  struct cg_hier *h = cg_find (cg, "memory");
  if (!h)
    return kago_error_set (err, 0,
                           "linux.resources.memory: not supported on this host (no memory cgroup hierarchy)");
  const char *dir = h->dir;
  bool have_memsw = cg_has_file (dir, "memory.memsw.limit_in_bytes");
  bool swap_implied = false;

  /* An unlimited memory with no swap given means unlimited swap too.  */
  if (limit == -1 && swap == 0 && have_memsw)
    {
      swap = -1;
      swap_implied = true;
    }
  if (limit > 0 && r->has_check_before_update && r->check_before_update
      && cg_check_before_update (dir, "memory.usage_in_bytes", limit, err) < 0)
    return -1;
  if (swap != 0 && !have_memsw && !swap_implied)
    return kago_error_set (err, 0,
                           F_MEM
                           "swap: not supported on this host (no memory.memsw.limit_in_bytes file: swap "
                           "accounting is off)");

  /* The kernel keeps memsw >= limit at every step: raise memsw first when
     it grows, lower the limit first when it shrinks.  */
  bool swap_first = false;
  if (limit != 0 && swap != 0)
    {
      uint64_t cur;
      if (cg_read_u64 (dir, "memory.limit_in_bytes", &cur, err) < 0)
        return kago_error_wrap (err, F_MEM "limit");
      swap_first = swap == -1 || cur < (uint64_t) swap;
    }
  for (int step = 0; step < 2; step++)
    {
      bool do_swap = (step == 0) == swap_first;
      if (do_swap && swap != 0)
        {
          if (cg_setf (F_MEM "swap", dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0)
            return -1;
        }
      else if (!do_swap && limit != 0)
        {
          if (cg_setf (F_MEM "limit", dir, "memory.limit_in_bytes", err, "%" PRId64, limit) < 0)
            return -1;
        }
    }

  if (CG_SET (r, mem_reservation)
      && cg_setf (F_MEM "reservation", dir, "memory.soft_limit_in_bytes", err, "%" PRId64, r->mem_reservation)
             < 0)
    return -1;
  if (CG_SET (r, mem_kernel))
    {
      kago_error_t e = NULL;
      uint64_t got = 0;
      if (cg_setf (F_MEM "kernel", dir, "memory.kmem.limit_in_bytes", &e, "%" PRId64, r->mem_kernel) < 0)
        {
          cleanup_free char *msg = kago_error_string (e);
          kago_log_warn ("%s (kernel memory limits are deprecated and ignored)", msg);
          kago_error_release (&e);
        }
      else if (r->mem_kernel > 0 && cg_read_u64 (dir, "memory.kmem.limit_in_bytes", &got, &e) == 0
               && got != (uint64_t) r->mem_kernel)
        kago_log_warn (F_MEM "kernel: ignored by this kernel (kernel memory limits are deprecated)");
      kago_error_release (&e);
    }
  if (CG_SET (r, mem_kernel_tcp)
      && cg_setf (F_MEM "kernelTCP", dir, "memory.kmem.tcp.limit_in_bytes", err, "%" PRId64,
                  r->mem_kernel_tcp)
             < 0)
    return -1;
  if (swappiness)
    {
      if (r->mem_swappiness > 100)
        return kago_error_set (err, EINVAL,
                               F_MEM "swappiness: invalid value %" PRIu64 " (the range is 0-100)",
                               r->mem_swappiness);
      if (cg_setf (F_MEM "swappiness", dir, "memory.swappiness", err, "%" PRIu64, r->mem_swappiness) < 0)
        return -1;
    }
  if (r->has_disable_oom_killer && r->disable_oom_killer
      && cg_set (F_MEM "disableOOMKiller", dir, "memory.oom_control", "1", err) < 0)
    return -1;
  if (r->has_use_hierarchy
      && cg_set (F_MEM "useHierarchy", dir, "memory.use_hierarchy", r->use_hierarchy ? "1" : "0", err) < 0)
    return -1;
  return 0;
}

/* Write A then B; when A is refused with EINVAL and B is also being
   written, B first then A (the kernel checks each against the other).  */
static int
write_pair (const struct kago_cgroup *cg, const char *ctrl, const char *fa, const char *filea, const char *va,
            const char *fb, const char *fileb, const char *vb, kago_error_t *err)
{
  if (va)
    {
      kago_error_t e = NULL;
      if (v1_setf (cg, ctrl, fa, filea, &e, "%s", va) == 0)
        va = NULL;
      else if (e->errnum != EINVAL || !vb)
        {
          *err = e;
          return -1;
        }
      else
        kago_error_release (&e);
    }
  if (vb && v1_setf (cg, ctrl, fb, fileb, err, "%s", vb) < 0)
    return -1;
  if (va && v1_setf (cg, ctrl, fa, filea, err, "%s", va) < 0)
    return -1;
  return 0;
}

static int
v1_cpu (const struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err)
{
  if (CG_SET (r, cpu_shares))
    {
      if (v1_setf (cg, "cpu", F_CPU "shares", "cpu.shares", err, "%" PRIu64, r->cpu_shares) < 0)
        return -1;
      uint64_t got;
      if (cg_read_u64 (cg_find (cg, "cpu")->dir, "cpu.shares", &got, err) < 0)
        return kago_error_wrap (err, F_CPU "shares");
      if (got != r->cpu_shares)
        return kago_error_set (err, EINVAL,
                               F_CPU "shares: %" PRIu64 " is out of range (the kernel set %" PRIu64 ")",
                               r->cpu_shares, got);
    }
  char qb[32], pb[32], bb[32];
  const char *quota = NULL, *period = NULL, *burst = NULL;
  if (CG_SET (r, cpu_quota))
    snprintf (qb, sizeof qb, "%" PRId64, r->cpu_quota), quota = qb;
  if (CG_SET (r, cpu_period))
    snprintf (pb, sizeof pb, "%" PRIu64, r->cpu_period), period = pb;
  if (r->has_cpu_burst)
    snprintf (bb, sizeof bb, "%" PRIu64, r->cpu_burst), burst = bb;
  /* burst <= quota and quota/period are checked against each other.  */
  if (write_pair (cg, "cpu", F_CPU "period", "cpu.cfs_period_us", period, F_CPU "quota", "cpu.cfs_quota_us",
                  quota, err)
      < 0)
    return -1;
  if (burst && write_pair (cg, "cpu", F_CPU "burst", "cpu.cfs_burst_us", burst, NULL, NULL, NULL, err) < 0)
    return -1;

  char rtp[32], rtr[32];
  const char *rt_period = NULL, *rt_runtime = NULL;
  if (CG_SET (r, cpu_rt_period))
    snprintf (rtp, sizeof rtp, "%" PRIu64, r->cpu_rt_period), rt_period = rtp;
  if (CG_SET (r, cpu_rt_runtime))
    snprintf (rtr, sizeof rtr, "%" PRId64, r->cpu_rt_runtime), rt_runtime = rtr;
  if (write_pair (cg, "cpu", F_CPU "realtimePeriod", "cpu.rt_period_us", rt_period, F_CPU "realtimeRuntime",
                  "cpu.rt_runtime_us", rt_runtime, err)
      < 0)
    return -1;
  if (r->has_cpu_idle && v1_setf (cg, "cpu", F_CPU "idle", "cpu.idle", err, "%" PRId64, r->cpu_idle) < 0)
    return -1;
  if (r->cpu_cpus && r->cpu_cpus[0]
      && v1_setf (cg, "cpuset", F_CPU "cpus", "cpuset.cpus", err, "%s", r->cpu_cpus) < 0)
    return -1;
  if (r->cpu_mems && r->cpu_mems[0]
      && v1_setf (cg, "cpuset", F_CPU "mems", "cpuset.mems", err, "%s", r->cpu_mems) < 0)
    return -1;
  return 0;
}

static const char *
first_file (const char *dir, const char *a, const char *b)
{
  return cg_has_file (dir, a) || !cg_has_file (dir, b) ? a : b;
}

static int
throttle (const struct kago_cgroup *cg, const oci_throttle_list *l, const char *field, const char *file,
          kago_error_t *err)
{
  for (size_t i = 0; i < l->n; i++)
    {
      cleanup_free char *f = xasprintf ("%s[%zu]", field, i);
      if (v1_setf (cg, "blkio", f, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, l->items[i].major,
                   l->items[i].minor, l->items[i].rate)
          < 0)
        return -1;
    }
  return 0;
}

static int
v1_blkio (const struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err)
{
  struct cg_hier *h = cg_find (cg, "blkio");
  const char *dir = h ? h->dir : "/nonexistent";
  if (CG_SET (r, blkio_weight)
      && v1_setf (cg, "blkio", F_BLKIO "weight", first_file (dir, "blkio.weight", "blkio.bfq.weight"), err,
                  "%u", (unsigned) r->blkio_weight)
             < 0)
    return -1;
  if (CG_SET (r, blkio_leaf_weight)
      && v1_setf (cg, "blkio", F_BLKIO "leafWeight", "blkio.leaf_weight", err, "%u",
                  (unsigned) r->blkio_leaf_weight)
             < 0)
    return -1;
  for (size_t i = 0; i < r->n_blkio_weight_device; i++)
    {
      const oci_weight_device *d = &r->blkio_weight_device[i];
      cleanup_free char *f = xasprintf (F_BLKIO "weightDevice[%zu]", i);
      if (d->has_weight
          && v1_setf (cg, "blkio", f, first_file (dir, "blkio.weight_device", "blkio.bfq.weight_device"), err,
                      "%" PRId64 ":%" PRId64 " %u", d->major, d->minor, (unsigned) d->weight)
                 < 0)
        return -1;
      if (d->has_leaf_weight
          && v1_setf (cg, "blkio", f, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %u", d->major,
                      d->minor, (unsigned) d->leaf_weight)
                 < 0)
        return -1;
    }
  if (throttle (cg, &r->throttle_read_bps, F_BLKIO "throttleReadBpsDevice", "blkio.throttle.read_bps_device",
                err)
          < 0
      || throttle (cg, &r->throttle_write_bps, F_BLKIO "throttleWriteBpsDevice",
                   "blkio.throttle.write_bps_device", err)
             < 0
      || throttle (cg, &r->throttle_read_iops, F_BLKIO "throttleReadIOPSDevice",
                   "blkio.throttle.read_iops_device", err)
             < 0
      || throttle (cg, &r->throttle_write_iops, F_BLKIO "throttleWriteIOPSDevice",
                   "blkio.throttle.write_iops_device", err)
             < 0)
    return -1;
  return 0;
}

static int
v1_hugetlb (const struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err)
{
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const oci_hugepage_limit *hp = &r->hugepage_limits[i];
      cleanup_free char *f = xasprintf ("linux.resources.hugepageLimits[%zu]", i);
      if (!hp->page_size || !hp->page_size[0] || strchr (hp->page_size, '/'))
        return kago_error_set (err, EINVAL, "%s.pageSize: invalid value \"%s\"", f,
                               hp->page_size ? hp->page_size : "");
      struct cg_hier *h = cg_find (cg, "hugetlb");
      cleanup_free char *file = NULL;
      if (h)
        file = xasprintf ("hugetlb.%s.limit_in_bytes", hp->page_size);
      else if ((h = cg_unified (cg)))
        file = xasprintf ("hugetlb.%s.max", hp->page_size); /* hybrid: hugetlb on cgroup2 */
      else
        return kago_error_set (err, 0, "%s: not supported on this host (no hugetlb cgroup hierarchy)", f);
      if (cg_setf (f, h->dir, file, err, "%" PRIu64, hp->limit) < 0)
        return -1;
    }
  return 0;
}

static int
v1_network_rdma (const struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err)
{
  if (r->has_net_class_id
      && v1_setf (cg, "net_cls", "linux.resources.network.classID", "net_cls.classid", err, "%u",
                  (unsigned) r->net_class_id)
             < 0)
    return -1;
  for (size_t i = 0; i < r->n_net_priorities; i++)
    {
      cleanup_free char *f = xasprintf ("linux.resources.network.priorities[%zu]", i);
      if (v1_setf (cg, "net_prio", f, "net_prio.ifpriomap", err, "%s %u", r->net_priorities[i].name,
                   (unsigned) r->net_priorities[i].priority)
          < 0)
        return -1;
    }
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const oci_rdma *d = &r->rdma[i];
      cleanup_free char *f = xasprintf ("linux.resources.rdma[\"%s\"]", d->device ? d->device : "");
      cleanup_free char *line = cg_rdma_max_line (d);
      if (v1_setf (cg, "rdma", f, "rdma.max", err, "%s", line) < 0)
        return -1;
    }
  return 0;
}

/* ------------------------------------------------------------- devices */

int
cg_devices_validate (const oci_device_cgroup *rules, size_t n, kago_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      const oci_device_cgroup *d = &rules[i];
      char t = d->type ? d->type : 'a';
      if (t != 'a' && t != 'b' && t != 'c')
        return kago_error_set (err, EINVAL, "linux.resources.devices[%zu].type: invalid value '%c'", i, t);
      if (d->access)
        {
          if (d->access[0] == '\0')
            return kago_error_set (err, EINVAL, "linux.resources.devices[%zu].access: empty", i);
          if (d->access[strspn (d->access, "rwm")] != '\0')
            return kago_error_set (err, EINVAL, "linux.resources.devices[%zu].access: invalid value \"%s\"",
                                   i, d->access);
        }
      if ((d->has_major && d->major > INT32_MAX) || (d->has_minor && d->minor > INT32_MAX))
        return kago_error_set (err, EINVAL, "linux.resources.devices[%zu]: major/minor out of range", i);
    }
  return 0;
}

char *
cg_v1_device_line (const oci_device_cgroup *d)
{
  char t = d->type ? d->type : 'a';
  if (t == 'a')
    return xstrdup ("a *:* rwm");
  char maj[24] = "*", min[24] = "*";
  if (d->has_major && d->major >= 0)
    snprintf (maj, sizeof maj, "%" PRId64, d->major);
  if (d->has_minor && d->minor >= 0)
    snprintf (min, sizeof min, "%" PRId64, d->minor);
  return xasprintf ("%c %s:%s %s", t, maj, min, d->access ? d->access : "rwm");
}

/* The rules are a deny-by-default list applied in order: deny everything
   first (unless the list itself starts with an "a" rule, or INCREMENTAL:
   rules written on top of a live container's), then write each rule to
   devices.allow or devices.deny.  */
int
cg_v1_devices (const char *dir, const oci_device_cgroup *rules, size_t n, bool incremental, kago_error_t *err)
{
  if (n == 0)
    return 0;
  if (cg_devices_validate (rules, n, err) < 0)
    return -1;
  char t0 = rules[0].type ? rules[0].type : 'a';
  if (!incremental && t0 != 'a' && cg_set ("linux.resources.devices", dir, "devices.deny", "a", err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *line = cg_v1_device_line (&rules[i]);
      cleanup_free char *f = xasprintf ("linux.resources.devices[%zu]", i);
      if (cg_set (f, dir, rules[i].allow ? "devices.allow" : "devices.deny", line, err) < 0)
        return -1;
    }
  return 0;
}

int
cg_v1_apply (struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err)
{
  if (v1_memory (cg, r, err) < 0 || v1_cpu (cg, r, err) < 0)
    return -1;
  if (CG_SET (r, pids_limit)) /* 0 leaves it as it is, as runc does; -1 is "max" */
    {
      char v[32] = "max";
      if (r->pids_limit > 0)
        snprintf (v, sizeof v, "%" PRId64, r->pids_limit);
      if (v1_setf (cg, "pids", "linux.resources.pids.limit", "pids.max", err, "%s", v) < 0)
        return -1;
    }
  if (v1_blkio (cg, r, err) < 0 || v1_hugetlb (cg, r, err) < 0 || v1_network_rdma (cg, r, err) < 0)
    return -1;
  if (r->unified.n)
    {
      struct cg_hier *u = cg_unified (cg);
      if (!u)
        return kago_error_set (err, 0,
                               "linux.resources.unified: needs cgroup v2 (this host has cgroup v1 only)");
      if (cg_apply_unified_map (u->dir, &r->unified, err) < 0)
        return -1;
    }
  return 0;
}

int
cg_v1_apply_devices (struct kago_cgroup *cg, const oci_device_cgroup *rules, size_t n, bool incremental,
                     kago_error_t *err)
{
  if (n == 0)
    return 0;
  struct cg_hier *h = cg_find (cg, "devices");
  if (!h)
    return kago_error_set (
        err, 0, "linux.resources.devices: not supported on this host (no devices cgroup hierarchy)");
  return cg_v1_devices (h->dir, rules, n, incremental, err);
}
