/* Resources on cgroup v2, with runc's conversions from the OCI (v1-shaped)
 * values:
 *   cpu.shares 2..262144   -> cpu.weight = 1 + ((shares - 2) * 9999) / 262142
 *   cpu quota/period       -> cpu.max "quota period" ("max" for no quota)
 *   memory swap (mem+swap) -> memory.swap.max = swap - limit
 *   memory reservation     -> memory.low
 *   blkio weight 10..1000  -> io.bfq.weight as is, or io.weight 1..10000
 *   throttle*Device        -> io.max "MAJ:MIN rbps=N wbps=N riops=N wiops=N"
 * Fields v2 has no equivalent for are refused by name.
 */
#include "cgroup/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#define F_MEM "linux.resources.memory."
#define F_CPU "linux.resources.cpu."
#define F_BLKIO "linux.resources.blockIO."

uint64_t
cg_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
cg_blkio_weight_to_io_weight (uint64_t weight)
{
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + ((weight - 10) * 9999) / 990;
}

int
cg_v2_swap (int64_t limit, int64_t swap, int64_t *out, kago_error_t *err)
{
  if (limit == -1 && swap == 0)
    {
      *out = -1;
      return 1;
    }
  if (swap == -1)
    {
      *out = -1;
      return 1;
    }
  if (swap == 0)
    return 0;
  if (swap < 0)
    return kago_error_set (err, EINVAL, F_MEM "swap: invalid value %" PRId64, swap);
  if (limit == 0 || limit == -1)
    return kago_error_set (err, EINVAL, F_MEM "swap: cannot limit swap without a memory limit on cgroup v2");
  if (limit < 0)
    return kago_error_set (err, EINVAL, F_MEM "limit: invalid value %" PRId64, limit);
  if (swap < limit)
    return kago_error_set (err, EINVAL,
                           F_MEM "swap: %" PRId64 " is below the memory limit %" PRId64
                                 " (swap is memory+swap and must be >= limit)",
                           swap, limit);
  *out = swap - limit;
  return 1;
}

char *
cg_v2_cpu_max (int64_t quota, uint64_t period, const char *cur_quota)
{
  if (quota == 0 && period == 0)
    return NULL;
  cleanup_free char *q = NULL;
  if (quota > 0)
    q = xasprintf ("%" PRId64, quota);
  else if (quota < 0)
    q = xstrdup ("max");
  else
    q = xstrdup (cur_quota && cur_quota[0] ? cur_quota : "max");
  if (period)
    return xasprintf ("%s %" PRIu64, q, period);
  return steal_pointer (&q);
}

static void
fmt_max (char *buf, size_t size, int64_t v)
{
  if (v < 0)
    snprintf (buf, size, "max");
  else
    snprintf (buf, size, "%" PRId64, v);
}

static int
v2_memory (const char *dir, const oci_resources *r, kago_error_t *err)
{
  int64_t limit = CG_SET (r, mem_limit) ? r->mem_limit : 0;
  int64_t swap = CG_SET (r, mem_swap) ? r->mem_swap : 0;
  char buf[32];

  if (limit > 0 && r->has_check_before_update && r->check_before_update
      && cg_check_before_update (dir, "memory.current", limit, err) < 0)
    return -1;
  int64_t swap_max;
  int w = cg_v2_swap (limit, swap, &swap_max, err);
  if (w < 0)
    return -1;
  if (w > 0)
    {
      fmt_max (buf, sizeof buf, swap_max);
      /* Without swap accounting there is no swap to allow: "max" and 0
         need no file.  */
      bool moot = (swap_max == -1 || swap_max == 0) && !cg_has_file (dir, "memory.swap.max");
      if (!moot && cg_set (F_MEM "swap", dir, "memory.swap.max", buf, err) < 0)
        return -1;
    }
  if (limit != 0)
    {
      fmt_max (buf, sizeof buf, limit);
      if (cg_set (F_MEM "limit", dir, "memory.max", buf, err) < 0)
        return -1;
    }
  if (CG_SET (r, mem_reservation))
    {
      fmt_max (buf, sizeof buf, r->mem_reservation);
      if (cg_set (F_MEM "reservation", dir, "memory.low", buf, err) < 0)
        return -1;
    }
  if (CG_SET (r, mem_kernel))
    kago_log_warn (F_MEM "kernel: ignored, cgroup v2 has no separate kernel memory limit");
  if (CG_SET (r, mem_kernel_tcp))
    return kago_error_set (err, 0, F_MEM "kernelTCP: not supported on cgroup v2");
  if (r->has_mem_swappiness && (int64_t) r->mem_swappiness != -1)
    return kago_error_set (err, 0, F_MEM "swappiness: not supported on cgroup v2");
  if (r->has_disable_oom_killer && r->disable_oom_killer)
    return kago_error_set (err, 0, F_MEM "disableOOMKiller: not supported on cgroup v2");
  if (r->has_use_hierarchy && !r->use_hierarchy)
    return kago_error_set (err, 0, F_MEM "useHierarchy: cgroup v2 is always hierarchical");
  return 0;
}

static int
v2_cpu (const char *dir, const oci_resources *r, kago_error_t *err)
{
  if (CG_SET (r, cpu_shares)
      && cg_setf (F_CPU "shares", dir, "cpu.weight", err, "%" PRIu64, cg_shares_to_weight (r->cpu_shares))
             < 0)
    return -1;
  int64_t quota = CG_SET (r, cpu_quota) ? r->cpu_quota : 0;
  uint64_t period = CG_SET (r, cpu_period) ? r->cpu_period : 0;
  if (quota || period)
    {
      cleanup_free char *cur = NULL;
      if (quota == 0)
        {
          /* Only the period changes: keep the current quota.  */
          kago_error_t e = NULL;
          if (cg_read (dir, "cpu.max", &cur, &e) < 0)
            kago_error_release (&e);
          else
            cur[strcspn (cur, " \n")] = '\0';
        }
      cleanup_free char *v = cg_v2_cpu_max (quota, period, cur);
      if (cg_set (quota ? F_CPU "quota" : F_CPU "period", dir, "cpu.max", v, err) < 0)
        return -1;
    }
  if (r->has_cpu_burst && cg_setf (F_CPU "burst", dir, "cpu.max.burst", err, "%" PRIu64, r->cpu_burst) < 0)
    return -1;
  if (r->has_cpu_idle && cg_setf (F_CPU "idle", dir, "cpu.idle", err, "%" PRId64, r->cpu_idle) < 0)
    return -1;
  if (CG_SET (r, cpu_rt_runtime))
    return kago_error_set (err, 0, F_CPU "realtimeRuntime: not supported on cgroup v2");
  if (CG_SET (r, cpu_rt_period))
    return kago_error_set (err, 0, F_CPU "realtimePeriod: not supported on cgroup v2");
  if (r->cpu_cpus && r->cpu_cpus[0] && cg_set (F_CPU "cpus", dir, "cpuset.cpus", r->cpu_cpus, err) < 0)
    return -1;
  if (r->cpu_mems && r->cpu_mems[0] && cg_set (F_CPU "mems", dir, "cpuset.mems", r->cpu_mems, err) < 0)
    return -1;
  return 0;
}

static int
io_max (const char *dir, const oci_throttle_list *l, const char *field, const char *key, kago_error_t *err)
{
  for (size_t i = 0; i < l->n; i++)
    {
      cleanup_free char *f = xasprintf ("%s[%zu]", field, i);
      char rate[32] = "max";
      if (l->items[i].rate)
        snprintf (rate, sizeof rate, "%" PRIu64, l->items[i].rate);
      if (cg_setf (f, dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%s", l->items[i].major,
                   l->items[i].minor, key, rate)
          < 0)
        return -1;
    }
  return 0;
}

static int
v2_io (const char *dir, const oci_resources *r, kago_error_t *err)
{
  bool bfq = cg_has_file (dir, "io.bfq.weight");
  if (CG_SET (r, blkio_weight))
    {
      int rc = bfq ? cg_setf (F_BLKIO "weight", dir, "io.bfq.weight", err, "%u", (unsigned) r->blkio_weight)
                   : cg_setf (F_BLKIO "weight", dir, "io.weight", err, "%" PRIu64,
                              cg_blkio_weight_to_io_weight (r->blkio_weight));
      if (rc < 0)
        return -1;
    }
  if (CG_SET (r, blkio_leaf_weight))
    return kago_error_set (err, 0, F_BLKIO "leafWeight: not supported on cgroup v2");
  for (size_t i = 0; i < r->n_blkio_weight_device; i++)
    {
      const oci_weight_device *d = &r->blkio_weight_device[i];
      cleanup_free char *f = xasprintf (F_BLKIO "weightDevice[%zu]", i);
      if (d->has_leaf_weight)
        return kago_error_set (err, 0, "%s.leafWeight: not supported on cgroup v2", f);
      if (!d->has_weight)
        continue;
      int rc = bfq ? cg_setf (f, dir, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                              (unsigned) d->weight)
                   : cg_setf (f, dir, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major,
                              d->minor, cg_blkio_weight_to_io_weight (d->weight));
      if (rc < 0)
        return -1;
    }
  if (io_max (dir, &r->throttle_read_bps, F_BLKIO "throttleReadBpsDevice", "rbps", err) < 0
      || io_max (dir, &r->throttle_write_bps, F_BLKIO "throttleWriteBpsDevice", "wbps", err) < 0
      || io_max (dir, &r->throttle_read_iops, F_BLKIO "throttleReadIOPSDevice", "riops", err) < 0
      || io_max (dir, &r->throttle_write_iops, F_BLKIO "throttleWriteIOPSDevice", "wiops", err) < 0)
    return -1;
  return 0;
}

int
cg_apply_unified_map (const char *dir, const oci_map *m, kago_error_t *err)
{
  for (size_t i = 0; i < m->n; i++)
    {
      const char *key = m->items[i].key, *val = m->items[i].value ? m->items[i].value : "";
      cleanup_free char *f = xasprintf ("linux.resources.unified[\"%s\"]", key);
      const char *dot = strchr (key, '.');
      if (!key[0] || !dot || dot == key || strchr (key, '/') || strcmp (key, "cgroup.procs") == 0
          || strcmp (key, "cgroup.threads") == 0 || strcmp (key, "cgroup.subtree_control") == 0)
        return kago_error_set (err, EINVAL, "%s: not a cgroup v2 interface file kago can set", f);
      if (!cg_has_file (dir, key))
        {
          cleanup_free char *ctrl = xstrndup (key, (size_t) (dot - key));
          cleanup_free char *avail = NULL;
          kago_error_t e = NULL;
          if (cg_read (dir, "cgroup.controllers", &avail, &e) < 0)
            kago_error_release (&e);
          cleanup_free char *padded = xasprintf (" %s ", avail ? avail : "");
          for (char *c = padded; *c; c++)
            if (*c == '\n')
              *c = ' ';
          cleanup_free char *needle = xasprintf (" %s ", ctrl);
          if (strcmp (ctrl, "cgroup") != 0 && !strstr (padded, needle))
            return kago_error_set (err, 0, "%s: the %s controller is not available in `%s`", f, ctrl, dir);
          return kago_error_set (err, 0, "%s: not supported on this host (no %s file)", f, key);
        }
      if (cg_write (dir, key, val, err) < 0)
        return kago_error_wrap (err, "%s", f);
    }
  return 0;
}

int
cg_v2_apply (struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err)
{
  struct cg_hier *h = cg_unified (cg);
  if (!h)
    return kago_error_set (err, ENOENT, "no unified cgroup");
  const char *dir = h->dir;
  if (v2_memory (dir, r, err) < 0 || v2_cpu (dir, r, err) < 0)
    return -1;
  if (CG_SET (r, pids_limit)) /* 0 leaves it as it is, as runc does; -1 is "max" */
    {
      char v[32] = "max";
      if (r->pids_limit > 0)
        snprintf (v, sizeof v, "%" PRId64, r->pids_limit);
      if (cg_set ("linux.resources.pids.limit", dir, "pids.max", v, err) < 0)
        return -1;
    }
  if (v2_io (dir, r, err) < 0)
    return -1;
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const oci_hugepage_limit *hp = &r->hugepage_limits[i];
      cleanup_free char *f = xasprintf ("linux.resources.hugepageLimits[%zu]", i);
      if (!hp->page_size || !hp->page_size[0] || strchr (hp->page_size, '/'))
        return kago_error_set (err, EINVAL, "%s.pageSize: invalid value \"%s\"", f,
                               hp->page_size ? hp->page_size : "");
      cleanup_free char *file = xasprintf ("hugetlb.%s.max", hp->page_size);
      if (cg_setf (f, dir, file, err, "%" PRIu64, hp->limit) < 0)
        return -1;
    }
  if (r->has_net_class_id)
    return kago_error_set (err, 0, "linux.resources.network.classID: not supported on cgroup v2");
  if (r->n_net_priorities)
    return kago_error_set (err, 0, "linux.resources.network.priorities: not supported on cgroup v2");
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const oci_rdma *d = &r->rdma[i];
      cleanup_free char *f = xasprintf ("linux.resources.rdma[\"%s\"]", d->device ? d->device : "");
      cleanup_free char *line = cg_rdma_max_line (d);
      if (cg_setf (f, dir, "rdma.max", err, "%s", line) < 0)
        return -1;
    }
  if (r->unified.n && cg_apply_unified_map (dir, &r->unified, err) < 0)
    return -1;
  return 0;
}

/* Devices come last, after every file: on v2 the new program replaces the
   old one only once everything else is in place.  */
static int
apply_devices (struct kago_cgroup *cg, const oci_device_cgroup *rules, size_t n, bool incremental,
               kago_error_t *err)
{
  if (n == 0)
    return 0;
  if (cg->mode == KAGO_CGROUP_V2)
    {
      struct cg_hier *h = cg_unified (cg);
      if (!h)
        return kago_error_set (err, ENOENT, "no unified cgroup");
      return cg_bpf_devices_apply (h->dir, rules, n, err);
    }
  return cg_v1_apply_devices (cg, rules, n, incremental, err);
}

static int
read_avail (const char *path, char **out)
{
  kago_error_t e = NULL;
  const char *slash = strrchr (path, '/');
  cleanup_free char *dir = xstrndup (path, (size_t) (slash - path));
  if (cg_read (dir, slash + 1, out, &e) < 0)
    {
      kago_error_release (&e);
      *out = NULL;
      return -1;
    }
  (*out)[strcspn (*out, "\n")] = '\0';
  return 0;
}

int
kago_cgroup_validate_resources (const oci_resources *r, kago_error_t *err)
{
  cleanup_free char *cpus = NULL, *mems = NULL;
  if (r && r->cpu_cpus && r->cpu_cpus[0])
    read_avail ("/sys/devices/system/cpu/online", &cpus);
  if (r && r->cpu_mems && r->cpu_mems[0] && read_avail ("/sys/devices/system/node/online", &mems) < 0)
    mems = xstrdup ("0");
  return cg_resources_validate (r, cpus, mems, err);
}

int
kago_cgroup_update (struct kago_cgroup *cg, const oci_resources *r, const oci_device_cgroup *all_devices,
                    size_t n_all, kago_error_t *err)
{
  if (kago_cgroup_validate_resources (r, err) < 0)
    return -1;
  cg_journal_begin ();
  int rc = cg->mode == KAGO_CGROUP_V2 ? cg_v2_apply (cg, r, err) : cg_v1_apply (cg, r, err);
  if (rc == 0)
    rc = cg->mode == KAGO_CGROUP_V2 ? apply_devices (cg, all_devices, n_all, false, err)
                                    : apply_devices (cg, r->devices, r->n_devices, true, err);
  if (rc < 0)
    {
      kago_error_t e = NULL;
      if (cg_journal_rollback (&e) < 0)
        {
          cleanup_free char *m = kago_error_string (e);
          kago_error_release (&e);
          return kago_error_wrap (err, "(and restoring the previous values failed: %s)", m);
        }
      return -1;
    }
  cg_journal_end ();
  return 0;
}

int
kago_cgroup_apply_resources (struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err)
{
  if (!r)
    return 0;
  int rc = cg->mode == KAGO_CGROUP_V2 ? cg_v2_apply (cg, r, err) : cg_v1_apply (cg, r, err);
  if (rc < 0)
    return -1;
  return apply_devices (cg, r->devices, r->n_devices, false, err);
}
