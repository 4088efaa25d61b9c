/* Resource values checked before anything is written, so that a bad value
 * never leaves a container half-updated, with the ranges the kernel (and
 * docker/runc) use:
 *   cpu.shares 2..262144, cpu.period 1000..1000000 us, cpu.quota -1 or
 *   >= 1000 us, cpu.idle 0|1, realtime runtime -1 or <= period;
 *   memory values -1 (unlimited), 0 (unset) or positive; swap (memory+swap)
 *   not below the memory limit; swappiness 0..100;
 *   blkio weights 10..1000 (0 = unset; 0 on a weightDevice removes it);
 *   cpus/mems in cpuset list syntax, every CPU/node present on the host;
 *   hugepage page sizes like "2MB"; device rules (type, access, numbers).
 * The kernel has the last word on what depends on live state (a limit below
 * current usage, CPUs outside the parent's cpuset): the caller applies an
 * update under a journal that restores every file on failure.
 */
#include "cgroup/internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"

#define F_MEM "linux.resources.memory."
#define F_CPU "linux.resources.cpu."
#define F_BLKIO "linux.resources.blockIO."

/* Parse one number of a cpuset list at *P; advances *P.  */
static bool
list_number (const char **p, unsigned long *out)
{
  if (!isdigit ((unsigned char) **p))
    return false;
  char *end;
  errno = 0;
  unsigned long v = strtoul (*p, &end, 10);
  if (errno || v > 1000000)
    return false;
  *out = v;
  *p = end;
  return true;
}

/* Walk a list "0-3,5,7-8": calls FN for every range; false on bad syntax.  */
static bool
list_walk (const char *s, bool (*fn) (unsigned long lo, unsigned long hi, void *arg), void *arg)
{
  const char *p = s;
  if (*p == '\0')
    return false;
  for (;;)
    {
      unsigned long lo, hi;
      if (!list_number (&p, &lo))
        return false;
      hi = lo;
      if (*p == '-')
        {
          p++;
          if (!list_number (&p, &hi) || hi < lo)
            return false;
        }
      if (fn && !fn (lo, hi, arg))
        return true; /* the callback recorded its verdict */
      if (*p == '\0' || *p == '\n')
        return p[0] == '\0' || p[1] == '\0';
      if (*p != ',')
        return false;
      p++;
    }
}

bool
cg_list_valid (const char *list)
{
  return list_walk (list, NULL, NULL);
}

struct in_ctx
{
  const char *avail;
  unsigned long missing;
  bool bad;
};

static bool
in_avail_one (unsigned long lo, unsigned long hi, void *arg)
{
  struct in_ctx *c = arg;
  for (unsigned long v = lo; v <= hi; v++)
    {
      /* Is V in one of AVAIL's ranges?  */
      bool found = false;
      const char *p = c->avail;
      while (*p && !found)
        {
          unsigned long a, b;
          if (!list_number (&p, &a))
            break;
          b = a;
          if (*p == '-')
            {
              p++;
              if (!list_number (&p, &b))
                break;
            }
          found = v >= a && v <= b;
          if (*p == ',')
            p++;
        }
      if (!found)
        {
          c->missing = v;
          c->bad = true;
          return false;
        }
    }
  return true;
}

/* -1 when LIST is malformed, 0 when every member is in AVAIL, 1 with
 *MISSING otherwise.  */
int
cg_list_subset (const char *list, const char *avail, unsigned long *missing)
{
  struct in_ctx c = { .avail = avail };
  if (!list_walk (list, in_avail_one, &c))
    return -1;
  if (c.bad)
    {
      *missing = c.missing;
      return 1;
    }
  return 0;
}

static int
check_list (const char *field, const char *what, const char *list, const char *avail, kago_error_t *err)
{
  if (list == NULL || list[0] == '\0')
    return 0;
  unsigned long missing = 0;
  int r = cg_list_subset (list, avail && avail[0] ? avail : list, &missing);
  if (r < 0)
    return kago_error_set (err, 0, "%s: invalid value \"%s\" (expected a list such as 0-3,5)", field, list);
  if (r > 0)
    {
      cleanup_free char *a = xstrdup (avail);
      a[strcspn (a, "\n")] = '\0';
      return kago_error_set (err, 0, "%s: \"%s\": %s %lu does not exist here (available: %s)", field, list,
                             what, missing, a);
    }
  return 0;
}

static int
check_mem (const char *field, bool has, int64_t v, kago_error_t *err)
{
  if (has && v < -1)
    return kago_error_set (err, 0, "%s: invalid value %" PRId64 " (expected -1 for unlimited, or bytes)",
                           field, v);
  return 0;
}

static int
check_weight (const char *field, bool has, unsigned v, bool zero_ok, kago_error_t *err)
{
  if (has && !(v == 0 && zero_ok) && (v < 10 || v > 1000))
    return kago_error_set (err, 0, "%s: %u is out of range (10-1000)", field, v);
  return 0;
}

int
cg_resources_validate (const oci_resources *r, const char *cpus_avail, const char *mems_avail,
                       kago_error_t *err)
{
  if (!r)
    return 0;
  /* memory */
  if (check_mem (F_MEM "limit", r->has_mem_limit, r->mem_limit, err) < 0
      || check_mem (F_MEM "reservation", r->has_mem_reservation, r->mem_reservation, err) < 0
      || check_mem (F_MEM "swap", r->has_mem_swap, r->mem_swap, err) < 0
      || check_mem (F_MEM "kernel", r->has_mem_kernel, r->mem_kernel, err) < 0
      || check_mem (F_MEM "kernelTCP", r->has_mem_kernel_tcp, r->mem_kernel_tcp, err) < 0)
    return -1;
  if (CG_SET (r, mem_swap) && r->mem_swap > 0)
    {
      if (CG_SET (r, mem_limit) && r->mem_limit > 0 && r->mem_swap < r->mem_limit)
        return kago_error_set (err, 0,
                               F_MEM "swap: %" PRId64 " is below the memory limit %" PRId64
                                     " (swap is the memory+swap total and must be >= the limit)",
                               r->mem_swap, r->mem_limit);
    }
  if (CG_SET (r, mem_reservation) && r->mem_reservation > 0 && CG_SET (r, mem_limit) && r->mem_limit > 0
      && r->mem_reservation > r->mem_limit)
    return kago_error_set (err, 0,
                           F_MEM "reservation: %" PRId64 " is above the memory limit %" PRId64
                                 " (the reservation must be smaller)",
                           r->mem_reservation, r->mem_limit);
  /* swappiness: unset is -1 (as docker sends it, i.e. UINT64_MAX).  */
  if (r->has_mem_swappiness && r->mem_swappiness != UINT64_MAX && r->mem_swappiness > 100)
    return kago_error_set (err, 0, F_MEM "swappiness: %" PRIu64 " is out of range (0-100)",
                           r->mem_swappiness);

  /* cpu */
  if (CG_SET (r, cpu_shares) && (r->cpu_shares < 2 || r->cpu_shares > 262144))
    return kago_error_set (err, 0, F_CPU "shares: %" PRIu64 " is out of range (2-262144)", r->cpu_shares);
  if (CG_SET (r, cpu_period) && (r->cpu_period < 1000 || r->cpu_period > 1000000))
    return kago_error_set (err, 0, F_CPU "period: %" PRIu64 " is out of range (1000-1000000 microseconds)",
                           r->cpu_period);
  if (CG_SET (r, cpu_quota) && r->cpu_quota != -1 && r->cpu_quota < 1000)
    return kago_error_set (
        err, 0, F_CPU "quota: %" PRId64 " is out of range (-1 for no limit, or at least 1000 microseconds)",
        r->cpu_quota);
  if (r->has_cpu_idle && r->cpu_idle != 0 && r->cpu_idle != 1)
    return kago_error_set (err, 0, F_CPU "idle: %" PRId64 " is out of range (0 or 1)", r->cpu_idle);
  if (CG_SET (r, cpu_rt_runtime) && r->cpu_rt_runtime < -1)
    return kago_error_set (err, 0, F_CPU "realtimeRuntime: invalid value %" PRId64, r->cpu_rt_runtime);
  if (CG_SET (r, cpu_rt_runtime) && CG_SET (r, cpu_rt_period) && r->cpu_rt_runtime > 0
      && (uint64_t) r->cpu_rt_runtime > r->cpu_rt_period)
    return kago_error_set (err, 0, F_CPU "realtimeRuntime: %" PRId64 " is above realtimePeriod %" PRIu64,
                           r->cpu_rt_runtime, r->cpu_rt_period);
  if (check_list (F_CPU "cpus", "CPU", r->cpu_cpus, cpus_avail, err) < 0
      || check_list (F_CPU "mems", "memory node", r->cpu_mems, mems_avail, err) < 0)
    return -1;

  /* blkio */
  if (check_weight (F_BLKIO "weight", CG_SET (r, blkio_weight), r->blkio_weight, false, err) < 0
      || check_weight (F_BLKIO "leafWeight", CG_SET (r, blkio_leaf_weight), r->blkio_leaf_weight, false, err)
             < 0)
    return -1;
  for (size_t i = 0; i < r->n_blkio_weight_device; i++)
    {
      const oci_weight_device *d = &r->blkio_weight_device[i];
      cleanup_free char *f = xasprintf (F_BLKIO "weightDevice[%zu]", i);
      cleanup_free char *fw = xasprintf ("%s.weight", f);
      cleanup_free char *fl = xasprintf ("%s.leafWeight", f);
      if (d->major < 0 || d->minor < 0)
        return kago_error_set (err, 0, "%s: invalid device %" PRId64 ":%" PRId64, f, d->major, d->minor);
      if (check_weight (fw, d->has_weight, d->weight, true, err) < 0
          || check_weight (fl, d->has_leaf_weight, d->leaf_weight, true, err) < 0)
        return -1;
    }
  const struct
  {
    const oci_throttle_list *l;
    const char *name;
  } th[] = {
    { &r->throttle_read_bps, "throttleReadBpsDevice" },
    { &r->throttle_write_bps, "throttleWriteBpsDevice" },
    { &r->throttle_read_iops, "throttleReadIOPSDevice" },
    { &r->throttle_write_iops, "throttleWriteIOPSDevice" },
  };
  for (size_t t = 0; t < sizeof th / sizeof th[0]; t++)
    for (size_t i = 0; i < th[t].l->n; i++)
      if (th[t].l->items[i].major < 0 || th[t].l->items[i].minor < 0)
        return kago_error_set (err, 0, F_BLKIO "%s[%zu]: invalid device %" PRId64 ":%" PRId64, th[t].name, i,
                               th[t].l->items[i].major, th[t].l->items[i].minor);

  /* hugetlb: "2MB", "1GB", "64KB"  */
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const char *ps = r->hugepage_limits[i].page_size;
      size_t n = ps ? strspn (ps, "0123456789") : 0;
      if (n == 0 || (strcmp (ps + n, "KB") != 0 && strcmp (ps + n, "MB") != 0 && strcmp (ps + n, "GB") != 0))
        return kago_error_set (err, 0,
                               "linux.resources.hugepageLimits[%zu].pageSize: invalid value \"%s\" (expected "
                               "e.g. 2MB or 1GB)",
                               i, ps ? ps : "");
    }
  if (r->n_devices && cg_devices_validate (r->devices, r->n_devices, err) < 0)
    return -1;
  return 0;
}
