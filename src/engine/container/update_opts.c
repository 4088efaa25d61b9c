/* `kago update [OPTIONS] CONTAINER...` (docker update): the flags, and
   their application to a container's HostConfig and OCI config with
   moby's checks against the values already set.  As docker, a zero value
   leaves a setting as it is; --memory-swap -1 and --pids-limit -1 mean
   unlimited.  */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/container/runopts_internal.h"
#include "engine/container/units.h"

enum ukind
{
  U_UINT16,
  U_INT64,
  U_MEM,
  U_MEMSWAP,
  U_CPUS,
  U_STR,
  U_RESTART,
  U_HELP,
};

struct uflag
{
  const char *name;
  char sh;
  enum ukind kind;
  size_t has_off, val_off;
  const char *arg, *help;
};

#define H(f) offsetof (struct kago_update_opts, has_##f)
#define V(f) offsetof (struct kago_update_opts, f)

static const struct uflag uflags[] = {
  { "blkio-weight", 0, U_UINT16, H (blkio_weight), V (blkio_weight), "uint16",
    "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)" },
  { "cpu-period", 0, U_INT64, H (cpu_period), V (cpu_period), "int", "Limit CPU CFS (Completely Fair Scheduler) period" },
  { "cpu-quota", 0, U_INT64, H (cpu_quota), V (cpu_quota), "int", "Limit CPU CFS (Completely Fair Scheduler) quota" },
  { "cpu-rt-period", 0, U_INT64, H (cpu_rt_period), V (cpu_rt_period), "int",
    "Limit the CPU real-time period in microseconds" },
  { "cpu-rt-runtime", 0, U_INT64, H (cpu_rt_runtime), V (cpu_rt_runtime), "int",
    "Limit the CPU real-time runtime in microseconds" },
  { "cpu-shares", 'c', U_INT64, H (cpu_shares), V (cpu_shares), "int", "CPU shares (relative weight)" },
  { "cpus", 0, U_CPUS, H (cpus), V (nano_cpus), "decimal", "Number of CPUs" },
  { "cpuset-cpus", 0, U_STR, H (cpuset_cpus), V (cpuset_cpus), "string", "CPUs in which to allow execution (0-3, 0,1)" },
  { "cpuset-mems", 0, U_STR, H (cpuset_mems), V (cpuset_mems), "string", "MEMs in which to allow execution (0-3, 0,1)" },
  { "help", 0, U_HELP, 0, 0, NULL, "Print usage" },
  { "kernel-memory", 0, U_MEM, H (kernel_memory), V (kernel_memory), "bytes", "Kernel memory limit (deprecated)" },
  { "memory", 'm', U_MEM, H (memory), V (memory), "bytes", "Memory limit" },
  { "memory-reservation", 0, U_MEM, H (memory_reservation), V (memory_reservation), "bytes", "Memory soft limit" },
  { "memory-swap", 0, U_MEMSWAP, H (memory_swap), V (memory_swap), "bytes",
    "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
  { "pids-limit", 0, U_INT64, H (pids_limit), V (pids_limit), "int", "Tune container pids limit (set -1 for unlimited)" },
  { "restart", 0, U_RESTART, H (restart), 0, "string", "Restart policy to apply when a container exits" },
};
#define NU (sizeof uflags / sizeof uflags[0])

void
kago_update_usage (FILE *out)
{
  fputs ("\nUsage:  kago update [OPTIONS] CONTAINER [CONTAINER...]\n\nUpdate configuration of one or more "
         "containers\n\nOptions:\n",
         out);
  for (size_t i = 0; i < NU; i++)
    {
      char left[64];
      const struct uflag *f = &uflags[i];
      snprintf (left, sizeof left, "%c%c%s --%s%s%s", f->sh ? '-' : ' ', f->sh ? f->sh : ' ', f->sh ? "," : " ",
                f->name, f->arg ? " " : "", f->arg ? f->arg : "");
      fprintf (out, "  %-37s%s\n", left, f->help);
    }
}

void
kago_update_opts_free (struct kago_update_opts *u)
{
  for (size_t i = 0; i < u->nnames; i++)
    free (u->names[i]);
  free (u->names);
  free (u->cpuset_cpus);
  free (u->cpuset_mems);
  free (u->restart.name);
  memset (u, 0, sizeof *u);
}

static int
uapply (const struct uflag *f, struct kago_update_opts *u, const char *v, kago_error_t *err)
{
  char *base = (char *) u;
  kago_error_t e = NULL;
  int rc = 0;
  switch (f->kind)
    {
    case U_UINT16:
      {
        uint64_t w;
        rc = kago_go_parse_uint (v, 0, 16, &w, &e);
        if (rc == 0)
          *(uint16_t *) (base + f->val_off) = (uint16_t) w;
        break;
      }
    case U_INT64:
      rc = kago_go_parse_int (v, 0, 64, (int64_t *) (base + f->val_off), &e);
      break;
    case U_MEM:
      rc = kago_ram_in_bytes (v, (int64_t *) (base + f->val_off), &e);
      break;
    case U_MEMSWAP:
      if (strcmp (v, "-1") == 0)
        *(int64_t *) (base + f->val_off) = -1;
      else
        rc = kago_ram_in_bytes (v, (int64_t *) (base + f->val_off), &e);
      break;
    case U_CPUS:
      rc = kago_parse_nano_cpus (v, (int64_t *) (base + f->val_off), &e);
      break;
    case U_STR:
      free (*(char **) (base + f->val_off));
      *(char **) (base + f->val_off) = xstrdup (v);
      break;
    case U_RESTART:
      {
        struct kago_restart_policy r = { 0 };
        rc = ro_parse_restart (v, &r, &e);
        if (rc == 0)
          {
            free (u->restart.name);
            u->restart = r;
          }
        break;
      }
    case U_HELP:
    default:
      break;
    }
  if (rc < 0)
    {
      cleanup_free char *m = kago_error_string (e);
      kago_error_release (&e);
      if (f->sh)
        return kago_error_set (err, 0, "invalid argument \"%s\" for \"-%c, --%s\" flag: %s", v, f->sh, f->name, m);
      return kago_error_set (err, 0, "invalid argument \"%s\" for \"--%s\" flag: %s", v, f->name, m);
    }
  if (f->kind != U_HELP)
    *(bool *) (base + f->has_off) = true;
  return 0;
}

int
kago_update_opts_parse (int argc, char **argv, struct kago_update_opts *u, kago_error_t *err)
{
  memset (u, 0, sizeof *u);
  u->names = xcalloc ((size_t) argc + 1, sizeof *u->names);
  bool flags_done = false;
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (!flags_done && strcmp (a, "--") == 0)
        {
          flags_done = true;
          continue;
        }
      if (flags_done || a[0] != '-' || a[1] == '\0')
        {
          u->names[u->nnames++] = xstrdup (a);
          continue;
        }
      const struct uflag *f = NULL;
      const char *v = NULL;
      if (a[1] == '-')
        {
          const char *name = a + 2, *eq = strchr (name, '=');
          size_t len = eq ? (size_t) (eq - name) : strlen (name);
          for (size_t k = 0; k < NU && !f; k++)
            if (strlen (uflags[k].name) == len && strncmp (uflags[k].name, name, len) == 0)
              f = &uflags[k];
          if (f == NULL)
            return kago_error_set (err, 0, "unknown flag: --%.*s", (int) len, name);
          if (f->kind == U_HELP)
            {
              u->help = true;
              continue;
            }
          if (eq)
            v = eq + 1;
          else if (i + 1 < argc)
            v = argv[++i];
          else
            return kago_error_set (err, 0, "flag needs an argument: --%s", f->name);
        }
      else
        {
          for (size_t k = 0; k < NU && !f; k++)
            if (uflags[k].sh == a[1])
              f = &uflags[k];
          if (f == NULL)
            return kago_error_set (err, 0, "unknown shorthand flag: '%c' in %s", a[1], a);
          if (a[2] == '=')
            v = a + 3;
          else if (a[2])
            v = a + 2;
          else if (i + 1 < argc)
            v = argv[++i];
          else
            return kago_error_set (err, 0, "flag needs an argument: '%c' in -%c", a[1], a[1]);
        }
      if (uapply (f, u, v, err) < 0)
        return -1;
    }
  if (u->help)
    return 0;
  if (u->nnames == 0)
    return kago_error_set (err, 0, "\"kago update\" requires at least 1 argument.");
  bool any = false;
  for (size_t k = 0; k < NU; k++)
    if (uflags[k].kind != U_HELP)
      any |= *(bool *) ((char *) u + uflags[k].has_off);
  if (!any)
    return kago_error_set (err, 0, "you must provide one or more flags when using this command");
  if (u->has_restart && ro_validate_restart (&u->restart, err) < 0)
    return -1;
  if (u->has_cpu_shares && (u->cpu_shares < 0 || (u->cpu_shares > 0 && u->cpu_shares < 2) || u->cpu_shares > 262144))
    return kago_error_set (err, 0, "Invalid value %lld for --cpu-shares: the range is 2 to 262144",
                           (long long) u->cpu_shares);
  struct ro_resources r = {
    .memory = u->memory,
    .memory_swap = u->memory_swap,
    .memory_reservation = u->memory_reservation,
    .kernel_memory = u->kernel_memory,
    .cpu_shares = u->cpu_shares,
    .cpu_period = u->cpu_period,
    .cpu_quota = u->cpu_quota,
    .nano_cpus = u->nano_cpus,
    .cpu_rt_period = u->cpu_rt_period,
    .cpu_rt_runtime = u->cpu_rt_runtime,
    .cpuset_cpus = u->cpuset_cpus,
    .cpuset_mems = u->cpuset_mems,
    .blkio_weight = u->blkio_weight,
    .update = true,
  };
  return ro_check_resources (&r, err);
}

static int64_t
hc_int (const json_value *hc, const char *k)
{
  int64_t v = 0;
  json_get_int64 (json_object_get (hc, k), &v);
  return v;
}

static json_value *
sub (json_value *obj, const char *key)
{
  json_value *v = json_object_get (obj, key);
  if (v == NULL || v->type != JSON_OBJECT)
    {
      v = json_object_new ();
      json_object_set (obj, key, v);
    }
  return v;
}

/* Set KEY in the OCI resources (in place) and in the live delta.  */
static void
both (json_value *oci_res, json_value *delta, const char *group, const char *key, json_value *val)
{
  cleanup_free char *s = json_to_string (val, false);
  if (oci_res)
    json_object_set (sub (oci_res, group), key, json_parse (s, strlen (s), NULL));
  json_object_set (sub (delta, group), key, val);
}

int
kago_update_apply (const struct kago_update_opts *u, json_value *hc, json_value *oci_config, json_value **resources,
                   kago_error_t *err)
{
  *resources = NULL;
  int64_t cur_period = hc_int (hc, "CpuPeriod"), cur_quota = hc_int (hc, "CpuQuota");
  int64_t cur_nano = hc_int (hc, "NanoCpus"), cur_swap = hc_int (hc, "MemorySwap");
  int64_t cur_mem = hc_int (hc, "Memory"), cur_res = hc_int (hc, "MemoryReservation");
  if (u->nano_cpus > 0 && cur_period > 0)
    return kago_error_set (err, 0, "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
  if (u->nano_cpus > 0 && cur_quota > 0)
    return kago_error_set (err, 0, "Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
  if (u->cpu_period > 0 && cur_nano > 0)
    return kago_error_set (err, 0, "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
  if (u->cpu_quota > 0 && cur_nano > 0)
    return kago_error_set (err, 0, "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  if (u->memory != 0 && cur_swap > 0 && u->memory > cur_swap && u->memory_swap == 0)
    return kago_error_set (err, 0, "Memory limit should be smaller than already set memoryswap limit, update the "
                                   "memoryswap at the same time");
  int64_t new_mem = u->memory ? u->memory : cur_mem;
  int64_t new_swap = u->memory_swap ? u->memory_swap : cur_swap;
  int64_t new_res = u->memory_reservation ? u->memory_reservation : cur_res;
  if (u->memory_swap > 0 && new_mem > 0 && u->memory_swap < new_mem)
    return kago_error_set (err, 0, "Minimum memoryswap limit should be larger than memory limit, see usage");
  if (u->memory_swap > 0 && new_mem == 0)
    return kago_error_set (err, 0, "You should always set the Memory limit when using Memoryswap limit, see usage");
  if (new_mem > 0 && new_res > 0 && new_mem < new_res)
    return kago_error_set (err, 0, "Minimum memory limit can not be less than memory reservation limit, see usage");
  if (u->has_restart && u->restart.name && strcmp (u->restart.name, "no") != 0 && u->restart.name[0]
      && json_object_get (hc, "AutoRemove") && json_object_get (hc, "AutoRemove")->type == JSON_BOOL
      && json_object_get (hc, "AutoRemove")->u.boolean)
    return kago_error_set (err, 0, "Restart policy cannot be updated because AutoRemove is enabled for the container");

  json_value *linux_ = oci_config ? sub (oci_config, "linux") : NULL;
  json_value *oci_res = linux_ ? sub (linux_, "resources") : NULL;
  json_value *d = json_object_new ();
  if (u->blkio_weight)
    {
      json_object_set (hc, "BlkioWeight", json_int_new (u->blkio_weight));
      both (oci_res, d, "blockIO", "weight", json_uint_new (u->blkio_weight));
    }
  if (u->cpu_shares)
    {
      json_object_set (hc, "CpuShares", json_int_new (u->cpu_shares));
      both (oci_res, d, "cpu", "shares", json_uint_new ((uint64_t) u->cpu_shares));
    }
  if (u->nano_cpus)
    {
      json_object_set (hc, "NanoCpus", json_int_new (u->nano_cpus));
      both (oci_res, d, "cpu", "quota", json_int_new (u->nano_cpus * 100000 / 1000000000));
      both (oci_res, d, "cpu", "period", json_uint_new (100000));
    }
  if (u->cpu_period)
    {
      json_object_set (hc, "CpuPeriod", json_int_new (u->cpu_period));
      both (oci_res, d, "cpu", "period", json_uint_new ((uint64_t) u->cpu_period));
    }
  if (u->cpu_quota)
    {
      json_object_set (hc, "CpuQuota", json_int_new (u->cpu_quota));
      both (oci_res, d, "cpu", "quota", json_int_new (u->cpu_quota));
    }
  if (u->cpu_rt_period)
    {
      json_object_set (hc, "CpuRealtimePeriod", json_int_new (u->cpu_rt_period));
      both (oci_res, d, "cpu", "realtimePeriod", json_uint_new ((uint64_t) u->cpu_rt_period));
    }
  if (u->cpu_rt_runtime)
    {
      json_object_set (hc, "CpuRealtimeRuntime", json_int_new (u->cpu_rt_runtime));
      both (oci_res, d, "cpu", "realtimeRuntime", json_int_new (u->cpu_rt_runtime));
    }
  if (u->cpuset_cpus && u->cpuset_cpus[0])
    {
      json_object_set (hc, "CpusetCpus", json_string_new (u->cpuset_cpus));
      both (oci_res, d, "cpu", "cpus", json_string_new (u->cpuset_cpus));
    }
  if (u->cpuset_mems && u->cpuset_mems[0])
    {
      json_object_set (hc, "CpusetMems", json_string_new (u->cpuset_mems));
      both (oci_res, d, "cpu", "mems", json_string_new (u->cpuset_mems));
    }
  if (u->memory)
    {
      json_object_set (hc, "Memory", json_int_new (u->memory));
      both (oci_res, d, "memory", "limit", json_int_new (u->memory));
    }
  if (u->memory_swap)
    {
      json_object_set (hc, "MemorySwap", json_int_new (new_swap));
      both (oci_res, d, "memory", "swap", json_int_new (new_swap));
    }
  if (u->memory_reservation)
    {
      json_object_set (hc, "MemoryReservation", json_int_new (u->memory_reservation));
      both (oci_res, d, "memory", "reservation", json_int_new (u->memory_reservation));
    }
  if (u->kernel_memory)
    {
      json_object_set (hc, "KernelMemory", json_int_new (u->kernel_memory));
      both (oci_res, d, "memory", "kernel", json_int_new (u->kernel_memory));
    }
  if (u->has_pids_limit)
    {
      int64_t p = u->pids_limit > 0 ? u->pids_limit : -1;
      json_object_set (hc, "PidsLimit", json_int_new (p));
      both (oci_res, d, "pids", "limit", json_int_new (p));
    }
  if (u->has_restart)
    {
      json_value *rp = json_object_new ();
      json_object_set (rp, "Name", json_string_new (u->restart.name && u->restart.name[0] ? u->restart.name : "no"));
      json_object_set (rp, "MaximumRetryCount", json_int_new (u->restart.max_retries));
      json_object_set (hc, "RestartPolicy", rp);
    }
  if (json_object_len (d) == 0)
    json_free (d);
  else
    *resources = d;
  return 0;
}
