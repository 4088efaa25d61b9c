/* linux.resources (memory, cpu, pids, blockIO), process.rlimits, and the
   HostConfig fields docker shows for them.  Docker's conversions:
   --memory-swap unset with --memory set is twice the memory (memory +
   as much swap); --cpus N is quota N*100000 per period 100000; block I/O
   device paths are stat'ed to their major:minor.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/container/spec_internal.h"

static void
set_i (json_value *o, const char *k, int64_t v)
{
  json_object_set (o, k, json_int_new (v));
}

static int
dev_list (const struct kago_dev_values *dv, const char *value_key, const char *hc_key, const char *hc_value_key,
          json_value *blkio, const char *oci_key, json_value *hc, kago_error_t *err)
{
  json_value *h = json_array_new ();
  json_object_set (hc, hc_key, h);
  for (size_t i = 0; i < dv->n; i++)
    {
      json_value *e = json_object_new ();
      json_object_set (e, "Path", json_string_new (dv->v[i].path));
      json_object_set (e, hc_value_key, json_uint_new (dv->v[i].value));
      json_array_append (h, e);
    }
  if (dv->n == 0)
    return 0;
  json_value *arr = json_array_new ();
  json_object_set (blkio, oci_key, arr);
  for (size_t i = 0; i < dv->n; i++)
    {
      struct stat st;
      if (stat (dv->v[i].path, &st) < 0)
        return kago_error_set (err, errno, "stat %s", dv->v[i].path);
      if (!S_ISBLK (st.st_mode))
        return kago_error_set (err, 0, "%s is not a block device", dv->v[i].path);
      json_value *e = json_object_new ();
      set_i (e, "major", major (st.st_rdev));
      set_i (e, "minor", minor (st.st_rdev));
      json_object_set (e, value_key, json_uint_new (dv->v[i].value));
      json_array_append (arr, e);
    }
  return 0;
}

static json_value *
upper_rlimit (const char *name)
{
  cleanup_free char *u = xasprintf ("RLIMIT_%s", name);
  for (char *p = u; *p; p++)
    if (*p >= 'a' && *p <= 'z')
      *p = (char) (*p - 'a' + 'A');
  return json_string_new (u);
}

int
spec_resources (struct spec_ctx *c, kago_error_t *err)
{
  const struct kago_run_opts *o = c->o;
  json_value *r = c->resources, *hc = c->host_config;

  int64_t swap = o->memory_swap;
  if (o->memory > 0 && swap == 0)
    swap = o->memory * 2;
  json_value *mem = json_object_new ();
  if (o->memory > 0)
    set_i (mem, "limit", o->memory);
  if (o->memory_reservation > 0)
    set_i (mem, "reservation", o->memory_reservation);
  if (swap != 0)
    set_i (mem, "swap", swap);
  if (o->kernel_memory > 0)
    {
      set_i (mem, "kernel", o->kernel_memory);
      spec_warn (c, "Specifying a kernel memory limit is deprecated and will be removed in a future release.");
    }
  if (o->memory_swappiness >= 0)
    json_object_set (mem, "swappiness", json_uint_new ((uint64_t) o->memory_swappiness));
  if (o->oom_kill_disable)
    {
      json_object_set (mem, "disableOOMKiller", json_bool_new (true));
      if (o->memory == 0)
        spec_warn (c, "OOM killer is disabled for the container, but no memory limit is set, this can result in the "
                      "system running out of resources.");
    }
  if (json_object_len (mem))
    json_object_set (r, "memory", mem);
  else
    json_free (mem);

  json_value *cpu = json_object_new ();
  if (o->cpu_shares > 0)
    json_object_set (cpu, "shares", json_uint_new ((uint64_t) o->cpu_shares));
  if (o->nano_cpus > 0)
    {
      set_i (cpu, "quota", o->nano_cpus * 100000 / 1000000000);
      json_object_set (cpu, "period", json_uint_new (100000));
    }
  else
    {
      if (o->cpu_quota != 0)
        set_i (cpu, "quota", o->cpu_quota);
      if (o->cpu_period > 0)
        json_object_set (cpu, "period", json_uint_new ((uint64_t) o->cpu_period));
    }
  if (o->cpu_rt_runtime != 0)
    set_i (cpu, "realtimeRuntime", o->cpu_rt_runtime);
  if (o->cpu_rt_period > 0)
    json_object_set (cpu, "realtimePeriod", json_uint_new ((uint64_t) o->cpu_rt_period));
  if (o->cpuset_cpus && o->cpuset_cpus[0])
    json_object_set (cpu, "cpus", json_string_new (o->cpuset_cpus));
  if (o->cpuset_mems && o->cpuset_mems[0])
    json_object_set (cpu, "mems", json_string_new (o->cpuset_mems));
  if (json_object_len (cpu))
    json_object_set (r, "cpu", cpu);
  else
    json_free (cpu);

  if (o->pids_limit_set)
    {
      json_value *p = json_object_new ();
      set_i (p, "limit", o->pids_limit > 0 ? o->pids_limit : -1);
      json_object_set (r, "pids", p);
    }

  /* HostConfig, in docker's order */
  set_i (hc, "CpuShares", o->cpu_shares);
  set_i (hc, "Memory", o->memory);
  set_i (hc, "NanoCpus", o->nano_cpus);
  json_object_set (hc, "CgroupParent", json_string_new (o->cgroup_parent ? o->cgroup_parent : ""));
  set_i (hc, "BlkioWeight", o->blkio_weight);
  json_value *blkio = json_object_new ();
  if (o->blkio_weight)
    json_object_set (blkio, "weight", json_uint_new (o->blkio_weight));
  if (dev_list (&o->blkio_weight_device, "weight", "BlkioWeightDevice", "Weight", blkio, "weightDevice", hc, err) < 0
      || dev_list (&o->read_bps, "rate", "BlkioDeviceReadBps", "Rate", blkio, "throttleReadBpsDevice", hc, err) < 0
      || dev_list (&o->write_bps, "rate", "BlkioDeviceWriteBps", "Rate", blkio, "throttleWriteBpsDevice", hc, err)
             < 0
      || dev_list (&o->read_iops, "rate", "BlkioDeviceReadIOps", "Rate", blkio, "throttleReadIOPSDevice", hc, err)
             < 0
      || dev_list (&o->write_iops, "rate", "BlkioDeviceWriteIOps", "Rate", blkio, "throttleWriteIOPSDevice", hc,
                   err)
             < 0)
    {
      json_free (blkio);
      return -1;
    }
  if (json_object_len (blkio))
    json_object_set (r, "blockIO", blkio);
  else
    json_free (blkio);
  set_i (hc, "CpuPeriod", o->cpu_period);
  set_i (hc, "CpuQuota", o->cpu_quota);
  set_i (hc, "CpuRealtimePeriod", o->cpu_rt_period);
  set_i (hc, "CpuRealtimeRuntime", o->cpu_rt_runtime);
  json_object_set (hc, "CpusetCpus", json_string_new (o->cpuset_cpus ? o->cpuset_cpus : ""));
  json_object_set (hc, "CpusetMems", json_string_new (o->cpuset_mems ? o->cpuset_mems : ""));
  json_value *devs = json_array_new ();
  for (size_t i = 0; i < o->ndevices; i++)
    {
      json_value *d = json_object_new ();
      json_object_set (d, "PathOnHost", json_string_new (o->devices[i].host));
      json_object_set (d, "PathInContainer", json_string_new (o->devices[i].container));
      json_object_set (d, "CgroupPermissions", json_string_new (o->devices[i].perms));
      json_array_append (devs, d);
    }
  json_object_set (hc, "Devices", devs);
  json_object_set (hc, "DeviceCgroupRules", spec_strv_json (&o->device_cgroup_rules));
  json_object_set (hc, "DeviceRequests", json_null_new ());
  set_i (hc, "KernelMemory", o->kernel_memory);
  set_i (hc, "KernelMemoryTCP", 0);
  set_i (hc, "MemoryReservation", o->memory_reservation);
  set_i (hc, "MemorySwap", swap);
  json_object_set (hc, "MemorySwappiness",
                   o->memory_swappiness >= 0 ? json_int_new (o->memory_swappiness) : json_null_new ());
  json_object_set (hc, "OomKillDisable", json_bool_new (o->oom_kill_disable));
  json_object_set (hc, "PidsLimit",
                   o->pids_limit_set ? json_int_new (o->pids_limit > 0 ? o->pids_limit : -1) : json_null_new ());

  json_value *ul = json_array_new ();
  json_value *rl = json_array_new ();
  for (size_t i = 0; i < o->nulimits; i++)
    {
      const struct kago_ulimit *u = &o->ulimits[i];
      json_value *h = json_object_new ();
      json_object_set (h, "Name", json_string_new (u->name));
      set_i (h, "Hard", u->hard);
      set_i (h, "Soft", u->soft);
      json_array_append (ul, h);
      json_value *x = json_object_new ();
      json_object_set (x, "type", upper_rlimit (u->name));
      json_object_set (x, "hard", json_uint_new ((uint64_t) u->hard));
      json_object_set (x, "soft", json_uint_new ((uint64_t) u->soft));
      json_array_append (rl, x);
    }
  json_object_set (hc, "Ulimits", ul);
  if (json_array_len (rl))
    json_object_set (c->process, "rlimits", rl);
  else
    json_free (rl);
  set_i (hc, "CpuCount", 0);
  set_i (hc, "CpuPercent", 0);
  set_i (hc, "IOMaximumIOps", 0);
  set_i (hc, "IOMaximumBandwidth", 0);
  return 0;
}
