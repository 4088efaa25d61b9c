/* linux.resources (also `update --resources FILE`).  */
#include "oci/spec.h"
#include "oci/spec_internal.h"

#include "common/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Store an optional member: 1 -> *HAS = true.  */
#define OPT(call, has)                                                                                       \
  do                                                                                                         \
    {                                                                                                        \
      int r_ = (call);                                                                                       \
      if (r_ < 0)                                                                                            \
        return -1;                                                                                           \
      if (r_ > 0)                                                                                            \
        (has) = true;                                                                                        \
    }                                                                                                        \
  while (0)

static int
parse_device_rules (const json_value *res, const spath *p, oci_resources *out, kago_error_t *err)
{
  const json_value *arr;
  int r = sp_get_arr (res, "devices", p, &arr, err);
  if (r <= 0 || arr->u.arr.len == 0)
    return r;
  spath dp = SP_KEY (p, "devices");
  out->devices = xcalloc (arr->u.arr.len, sizeof *out->devices);
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *v = arr->u.arr.items[i];
      spath e = SP_IDX (&dp, i);
      oci_device_cgroup *d = &out->devices[i];
      char *type = NULL;
      out->n_devices = i + 1;

      if (sp_expect (v, JSON_OBJECT, &e, err) < 0)
        return -1;
      const json_value *allow = sp_member (v, "allow");
      if (allow == NULL)
        {
          spath ap = SP_KEY (&e, "allow");
          return sp_error (err, &ap, "required");
        }
      spath ap = SP_KEY (&e, "allow");
      if (sp_bool (allow, &ap, &d->allow, err) < 0)
        return -1;

      d->type = 'a';
      r = sp_get_str (v, "type", &e, false, &type, err);
      if (r < 0)
        return -1;
      if (r > 0)
        {
          bool ok = strlen (type) == 1 && strchr ("acb", type[0]) != NULL;
          if (!ok)
            {
              spath tp = SP_KEY (&e, "type");
              sp_error (err, &tp, "invalid device type \"%s\" (expected a, c or b)", type);
              free (type);
              return -1;
            }
          d->type = type[0];
          free (type);
        }
      OPT (sp_get_i64 (v, "major", &e, false, &d->major, err), d->has_major);
      OPT (sp_get_i64 (v, "minor", &e, false, &d->minor, err), d->has_minor);
      if (sp_get_str (v, "access", &e, false, &d->access, err) < 0)
        return -1;
      if (d->access && d->access[strspn (d->access, "rwm")] != '\0')
        {
          spath acp = SP_KEY (&e, "access");
          return sp_error (err, &acp, "invalid access \"%s\" (expected a combination of r, w and m)",
                           d->access);
        }
    }
  return 0;
}

static int
parse_memory (const json_value *res, const spath *p, oci_resources *out, kago_error_t *err)
{
  const json_value *v;
  int r = sp_get_obj (res, "memory", p, &v, err);
  if (r <= 0)
    return r;
  spath mp = SP_KEY (p, "memory");
  out->has_memory = true;
  OPT (sp_get_i64 (v, "limit", &mp, false, &out->mem_limit, err), out->has_mem_limit);
  OPT (sp_get_i64 (v, "reservation", &mp, false, &out->mem_reservation, err), out->has_mem_reservation);
  OPT (sp_get_i64 (v, "swap", &mp, false, &out->mem_swap, err), out->has_mem_swap);
  OPT (sp_get_i64 (v, "kernel", &mp, false, &out->mem_kernel, err), out->has_mem_kernel);
  OPT (sp_get_i64 (v, "kernelTCP", &mp, false, &out->mem_kernel_tcp, err), out->has_mem_kernel_tcp);
  OPT (sp_get_u64 (v, "swappiness", &mp, false, &out->mem_swappiness, err), out->has_mem_swappiness);
  OPT (sp_get_bool (v, "disableOOMKiller", &mp, &out->disable_oom_killer, err), out->has_disable_oom_killer);
  OPT (sp_get_bool (v, "useHierarchy", &mp, &out->use_hierarchy, err), out->has_use_hierarchy);
  OPT (sp_get_bool (v, "checkBeforeUpdate", &mp, &out->check_before_update, err),
       out->has_check_before_update);
  return 0;
}

static int
parse_cpu (const json_value *res, const spath *p, oci_resources *out, kago_error_t *err)
{
  const json_value *v;
  int r = sp_get_obj (res, "cpu", p, &v, err);
  if (r <= 0)
    return r;
  spath cp = SP_KEY (p, "cpu");
  out->has_cpu = true;
  OPT (sp_get_u64 (v, "shares", &cp, false, &out->cpu_shares, err), out->has_cpu_shares);
  OPT (sp_get_i64 (v, "quota", &cp, false, &out->cpu_quota, err), out->has_cpu_quota);
  OPT (sp_get_u64 (v, "burst", &cp, false, &out->cpu_burst, err), out->has_cpu_burst);
  OPT (sp_get_u64 (v, "period", &cp, false, &out->cpu_period, err), out->has_cpu_period);
  OPT (sp_get_i64 (v, "realtimeRuntime", &cp, false, &out->cpu_rt_runtime, err), out->has_cpu_rt_runtime);
  OPT (sp_get_u64 (v, "realtimePeriod", &cp, false, &out->cpu_rt_period, err), out->has_cpu_rt_period);
  OPT (sp_get_i64 (v, "idle", &cp, false, &out->cpu_idle, err), out->has_cpu_idle);
  if (sp_get_str (v, "cpus", &cp, false, &out->cpu_cpus, err) < 0
      || sp_get_str (v, "mems", &cp, false, &out->cpu_mems, err) < 0)
    return -1;
  return 0;
}

static int
parse_throttle (const json_value *blk, const char *key, const spath *p, oci_throttle_list *out,
                kago_error_t *err)
{
  const json_value *arr;
  int r = sp_get_arr (blk, key, p, &arr, err);
  if (r <= 0 || arr->u.arr.len == 0)
    return r;
  spath tp = SP_KEY (p, key);
  out->items = xcalloc (arr->u.arr.len, sizeof *out->items);
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *v = arr->u.arr.items[i];
      spath e = SP_IDX (&tp, i);
      oci_throttle_device *d = &out->items[i];
      out->n = i + 1;
      if (sp_expect (v, JSON_OBJECT, &e, err) < 0 || sp_get_i64 (v, "major", &e, true, &d->major, err) < 0
          || sp_get_i64 (v, "minor", &e, true, &d->minor, err) < 0
          || sp_get_u64 (v, "rate", &e, true, &d->rate, err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_blkio (const json_value *res, const spath *p, oci_resources *out, kago_error_t *err)
{
  const json_value *v, *arr;
  int r = sp_get_obj (res, "blockIO", p, &v, err);
  if (r <= 0)
    return r;
  spath bp = SP_KEY (p, "blockIO");
  out->has_blkio = true;
  OPT (sp_get_u16 (v, "weight", &bp, &out->blkio_weight, err), out->has_blkio_weight);
  OPT (sp_get_u16 (v, "leafWeight", &bp, &out->blkio_leaf_weight, err), out->has_blkio_leaf_weight);

  r = sp_get_arr (v, "weightDevice", &bp, &arr, err);
  if (r < 0)
    return -1;
  if (r > 0 && arr->u.arr.len > 0)
    {
      spath wp = SP_KEY (&bp, "weightDevice");
      out->blkio_weight_device = xcalloc (arr->u.arr.len, sizeof *out->blkio_weight_device);
      for (size_t i = 0; i < arr->u.arr.len; i++)
        {
          const json_value *d = arr->u.arr.items[i];
          spath e = SP_IDX (&wp, i);
          oci_weight_device *w = &out->blkio_weight_device[i];
          out->n_blkio_weight_device = i + 1;
          if (sp_expect (d, JSON_OBJECT, &e, err) < 0 || sp_get_i64 (d, "major", &e, true, &w->major, err) < 0
              || sp_get_i64 (d, "minor", &e, true, &w->minor, err) < 0)
            return -1;
          OPT (sp_get_u16 (d, "weight", &e, &w->weight, err), w->has_weight);
          OPT (sp_get_u16 (d, "leafWeight", &e, &w->leaf_weight, err), w->has_leaf_weight);
        }
    }
  if (parse_throttle (v, "throttleReadBpsDevice", &bp, &out->throttle_read_bps, err) < 0
      || parse_throttle (v, "throttleWriteBpsDevice", &bp, &out->throttle_write_bps, err) < 0
      || parse_throttle (v, "throttleReadIOPSDevice", &bp, &out->throttle_read_iops, err) < 0
      || parse_throttle (v, "throttleWriteIOPSDevice", &bp, &out->throttle_write_iops, err) < 0)
    return -1;
  return 0;
}

static int
parse_hugepages (const json_value *res, const spath *p, oci_resources *out, kago_error_t *err)
{
  const json_value *arr;
  int r = sp_get_arr (res, "hugepageLimits", p, &arr, err);
  if (r <= 0 || arr->u.arr.len == 0)
    return r;
  spath hp = SP_KEY (p, "hugepageLimits");
  out->hugepage_limits = xcalloc (arr->u.arr.len, sizeof *out->hugepage_limits);
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *v = arr->u.arr.items[i];
      spath e = SP_IDX (&hp, i);
      oci_hugepage_limit *h = &out->hugepage_limits[i];
      out->n_hugepage_limits = i + 1;
      if (sp_expect (v, JSON_OBJECT, &e, err) < 0
          || sp_get_str (v, "pageSize", &e, true, &h->page_size, err) < 0
          || sp_get_u64 (v, "limit", &e, true, &h->limit, err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_network (const json_value *res, const spath *p, oci_resources *out, kago_error_t *err)
{
  const json_value *v, *arr;
  int r = sp_get_obj (res, "network", p, &v, err);
  if (r <= 0)
    return r;
  spath np = SP_KEY (p, "network");
  OPT (sp_get_u32 (v, "classID", &np, false, &out->net_class_id, err), out->has_net_class_id);
  r = sp_get_arr (v, "priorities", &np, &arr, err);
  if (r <= 0 || arr->u.arr.len == 0)
    return r;
  spath pp = SP_KEY (&np, "priorities");
  out->net_priorities = xcalloc (arr->u.arr.len, sizeof *out->net_priorities);
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *e = arr->u.arr.items[i];
      spath ep = SP_IDX (&pp, i);
      oci_net_priority *n = &out->net_priorities[i];
      out->n_net_priorities = i + 1;
      if (sp_expect (e, JSON_OBJECT, &ep, err) < 0 || sp_get_str (e, "name", &ep, true, &n->name, err) < 0
          || sp_get_u32 (e, "priority", &ep, true, &n->priority, err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_rdma (const json_value *res, const spath *p, oci_resources *out, kago_error_t *err)
{
  const json_value *v;
  int r = sp_get_obj (res, "rdma", p, &v, err);
  if (r <= 0 || v->u.obj.len == 0)
    return r;
  spath rp = SP_KEY (p, "rdma");
  out->rdma = xcalloc (v->u.obj.len, sizeof *out->rdma);
  for (size_t i = 0; i < v->u.obj.len; i++)
    {
      const struct json_member *m = &v->u.obj.members[i];
      spath e = SP_MAPKEY (&rp, m->key);
      oci_rdma *d = &out->rdma[out->n_rdma];
      if (sp_expect (m->value, JSON_OBJECT, &e, err) < 0)
        return -1;
      d->device = xstrdup (m->key);
      out->n_rdma++;
      OPT (sp_get_u32 (m->value, "hcaHandles", &e, false, &d->hca_handles, err), d->has_hca_handles);
      OPT (sp_get_u32 (m->value, "hcaObjects", &e, false, &d->hca_objects, err), d->has_hca_objects);
      if (!d->has_hca_handles && !d->has_hca_objects)
        return sp_error (err, &e, "hcaHandles or hcaObjects required");
    }
  return 0;
}

static int
parse_resources (const json_value *v, const spath *p, oci_resources *out, kago_error_t *err)
{
  const json_value *o;
  int r;
  if (sp_expect (v, JSON_OBJECT, p, err) < 0)
    return -1;
  if (parse_device_rules (v, p, out, err) < 0 || parse_memory (v, p, out, err) < 0
      || parse_cpu (v, p, out, err) < 0)
    return -1;
  r = sp_get_obj (v, "pids", p, &o, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      spath pp = SP_KEY (p, "pids");
      OPT (sp_get_i64 (o, "limit", &pp, false, &out->pids_limit, err), out->has_pids_limit);
    }
  if (parse_blkio (v, p, out, err) < 0 || parse_hugepages (v, p, out, err) < 0
      || parse_network (v, p, out, err) < 0 || parse_rdma (v, p, out, err) < 0
      || sp_get_map (v, "unified", p, &out->unified, err) < 0)
    return -1;
  return 0;
}

int
oci_resources_parse (const json_value *v, const char *path, oci_resources *out, kago_error_t *err)
{
  spath root = SP_KEY (NULL, path ? path : "");
  memset (out, 0, sizeof *out);
  if (v == NULL)
    return sp_error (err, &root, "required");
  if (parse_resources (v, &root, out, err) < 0)
    {
      oci_resources_clear (out);
      return -1;
    }
  return 0;
}

static void
throttle_clear (oci_throttle_list *l)
{
  free (l->items);
  l->items = NULL;
  l->n = 0;
}

void
oci_resources_clear (oci_resources *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n_devices; i++)
    free (r->devices[i].access);
  free (r->devices);
  free (r->cpu_cpus);
  free (r->cpu_mems);
  free (r->blkio_weight_device);
  throttle_clear (&r->throttle_read_bps);
  throttle_clear (&r->throttle_write_bps);
  throttle_clear (&r->throttle_read_iops);
  throttle_clear (&r->throttle_write_iops);
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (size_t i = 0; i < r->n_net_priorities; i++)
    free (r->net_priorities[i].name);
  free (r->net_priorities);
  for (size_t i = 0; i < r->n_rdma; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  sp_map_clear (&r->unified);
  memset (r, 0, sizeof *r);
}
