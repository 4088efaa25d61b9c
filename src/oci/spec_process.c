/* config.json "process" (also `exec --process FILE`) and "hooks": what the
   runtime executes.  */
#include "oci/spec.h"
#include "oci/spec_internal.h"

#include "common/xalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

int
oci_rlimit_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
    if (strcmp (rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

const char *
oci_rlimit_name (int resource)
{
  for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
    if (rlimit_names[i].resource == resource)
      return rlimit_names[i].name;
  return NULL;
}

static const char *const sched_policies[] = {
  "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE", NULL,
};

static const char *const sched_flags[] = {
  "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",
  "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
  "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
  "SCHED_FLAG_UTIL_CLAMP_MAX", NULL,
};

static const char *const ioprio_classes[]
    = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL };

static bool
in_list (const char *s, const char *const *list)
{
  for (; *list; list++)
    if (strcmp (s, *list) == 0)
      return true;
  return false;
}

static int
parse_user (const json_value *proc, const spath *p, oci_user *u, kago_error_t *err)
{
  const json_value *v, *gids;
  spath up = SP_KEY (p, "user");
  int r = sp_get_obj (proc, "user", p, &v, err);
  if (r < 0)
    return -1;
  if (r == 0)
    return sp_error (err, &up, "required");
  if (sp_get_u32 (v, "uid", &up, true, &u->uid, err) < 0
      || sp_get_u32 (v, "gid", &up, true, &u->gid, err) < 0)
    return -1;
  r = sp_get_u32 (v, "umask", &up, false, &u->umask, err);
  if (r < 0)
    return -1;
  u->has_umask = r > 0;
  r = sp_get_arr (v, "additionalGids", &up, &gids, err);
  if (r < 0)
    return -1;
  if (r > 0 && gids->u.arr.len > 0)
    {
      spath gp = SP_KEY (&up, "additionalGids");
      u->additional_gids = xcalloc (gids->u.arr.len, sizeof (uint32_t));
      for (size_t i = 0; i < gids->u.arr.len; i++)
        {
          spath e = SP_IDX (&gp, i);
          uint64_t g;
          if (sp_u64 (gids->u.arr.items[i], &e, UINT32_MAX, &g, err) < 0)
            return -1;
          u->additional_gids[i] = (uint32_t) g;
          u->n_additional_gids = i + 1;
        }
    }
  return 0;
}

static int
parse_capabilities (const json_value *proc, const spath *p, oci_capabilities *c, kago_error_t *err)
{
  const json_value *v;
  int r = sp_get_obj (proc, "capabilities", p, &v, err);
  if (r <= 0)
    return r;
  spath cp = SP_KEY (p, "capabilities");
  c->present = true;
  if (sp_get_strv (v, "bounding", &cp, &c->bounding, err) < 0
      || sp_get_strv (v, "effective", &cp, &c->effective, err) < 0
      || sp_get_strv (v, "inheritable", &cp, &c->inheritable, err) < 0
      || sp_get_strv (v, "permitted", &cp, &c->permitted, err) < 0
      || sp_get_strv (v, "ambient", &cp, &c->ambient, err) < 0)
    return -1;
  return 0;
}

static int
parse_rlimits (const json_value *proc, const spath *p, oci_process *out, kago_error_t *err)
{
  const json_value *arr;
  int r = sp_get_arr (proc, "rlimits", p, &arr, err);
  if (r <= 0 || arr->u.arr.len == 0)
    return r;
  spath rp = SP_KEY (p, "rlimits");
  out->rlimits = xcalloc (arr->u.arr.len, sizeof *out->rlimits);
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *v = arr->u.arr.items[i];
      spath e = SP_IDX (&rp, i);
      spath tp = SP_KEY (&e, "type");
      oci_rlimit *rl = &out->rlimits[i];
      out->n_rlimits = i + 1;
      if (sp_expect (v, JSON_OBJECT, &e, err) < 0 || sp_get_str (v, "type", &e, true, &rl->type, err) < 0)
        return -1;
      rl->resource = oci_rlimit_from_name (rl->type);
      if (rl->resource < 0)
        return sp_error (err, &tp, "unknown rlimit type \"%s\"", rl->type);
      for (size_t j = 0; j < i; j++)
        if (out->rlimits[j].resource == rl->resource)
          return sp_error (err, &tp, "duplicate rlimit type \"%s\"", rl->type);
      if (sp_get_u64 (v, "soft", &e, true, &rl->soft, err) < 0
          || sp_get_u64 (v, "hard", &e, true, &rl->hard, err) < 0)
        return -1;
      if (rl->soft > rl->hard)
        return sp_error (err, &e, "soft limit %" PRIu64 " is greater than hard limit %" PRIu64 " for %s",
                         rl->soft, rl->hard, rl->type);
    }
  return 0;
}

static int
parse_scheduler (const json_value *proc, const spath *p, oci_process *out, kago_error_t *err)
{
  const json_value *v;
  int r = sp_get_obj (proc, "scheduler", p, &v, err);
  if (r <= 0)
    return r;
  spath sp = SP_KEY (p, "scheduler");
  spath pp = SP_KEY (&sp, "policy");
  int32_t nice = 0, prio = 0;
  if (sp_get_str (v, "policy", &sp, true, &out->sched_policy, err) < 0)
    return -1;
  if (!in_list (out->sched_policy, sched_policies))
    return sp_error (err, &pp, "unknown scheduling policy \"%s\"", out->sched_policy);
  if (sp_get_i32 (v, "nice", &sp, false, &nice, err) < 0
      || sp_get_i32 (v, "priority", &sp, false, &prio, err) < 0
      || sp_get_strv (v, "flags", &sp, &out->sched_flags, err) < 0
      || sp_get_u64 (v, "runtime", &sp, false, &out->sched_runtime, err) < 0
      || sp_get_u64 (v, "deadline", &sp, false, &out->sched_deadline, err) < 0
      || sp_get_u64 (v, "period", &sp, false, &out->sched_period, err) < 0)
    return -1;
  for (size_t i = 0; i < out->sched_flags.n; i++)
    if (!in_list (out->sched_flags.v[i], sched_flags))
      {
        spath fp = SP_KEY (&sp, "flags");
        spath e = SP_IDX (&fp, i);
        return sp_error (err, &e, "unknown scheduler flag \"%s\"", out->sched_flags.v[i]);
      }
  out->sched_nice = nice;
  out->sched_priority = prio;
  out->has_scheduler = true;
  return 0;
}

static int
parse_io_priority (const json_value *proc, const spath *p, oci_process *out, kago_error_t *err)
{
  const json_value *v;
  int r = sp_get_obj (proc, "ioPriority", p, &v, err);
  if (r <= 0)
    return r;
  spath ip = SP_KEY (p, "ioPriority");
  spath cp = SP_KEY (&ip, "class");
  int32_t prio = 0;
  if (sp_get_str (v, "class", &ip, true, &out->io_priority_class, err) < 0)
    return -1;
  if (!in_list (out->io_priority_class, ioprio_classes))
    return sp_error (err, &cp, "unknown I/O priority class \"%s\"", out->io_priority_class);
  if (sp_get_i32 (v, "priority", &ip, false, &prio, err) < 0)
    return -1;
  if (prio < 0 || prio > 7)
    {
      spath pp = SP_KEY (&ip, "priority");
      return sp_error (err, &pp, "%d is out of range (0 to 7)", (int) prio);
    }
  out->io_priority = prio;
  out->has_io_priority = true;
  return 0;
}

static int
parse_process (const json_value *v, const spath *p, oci_process *out, kago_error_t *err)
{
  const json_value *o;
  int r;

  if (sp_expect (v, JSON_OBJECT, p, err) < 0)
    return -1;
  if (sp_get_bool (v, "terminal", p, &out->terminal, err) < 0)
    return -1;

  r = sp_get_obj (v, "consoleSize", p, &o, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      spath cp = SP_KEY (p, "consoleSize");
      if (sp_get_u32 (o, "height", &cp, true, &out->console_height, err) < 0
          || sp_get_u32 (o, "width", &cp, true, &out->console_width, err) < 0)
        return -1;
      out->has_console_size = true;
    }

  if (parse_user (v, p, &out->user, err) < 0)
    return -1;

  r = sp_get_strv (v, "args", p, &out->args, err);
  if (r < 0)
    return -1;
  if (r == 0 || out->args.n == 0)
    {
      spath ap = SP_KEY (p, "args");
      return sp_error (err, &ap, r == 0 ? "required" : "must not be empty");
    }
  if (sp_get_strv (v, "env", p, &out->env, err) < 0)
    return -1;

  spath cwdp = SP_KEY (p, "cwd");
  if (sp_get_str (v, "cwd", p, true, &out->cwd, err) < 0 || sp_check_abs (out->cwd, &cwdp, err) < 0)
    return -1;

  if (parse_capabilities (v, p, &out->capabilities, err) < 0 || parse_rlimits (v, p, out, err) < 0)
    return -1;
  if (sp_get_bool (v, "noNewPrivileges", p, &out->no_new_privileges, err) < 0
      || sp_get_str (v, "apparmorProfile", p, false, &out->apparmor_profile, err) < 0
      || sp_get_str (v, "selinuxLabel", p, false, &out->selinux_label, err) < 0)
    return -1;

  int32_t adj;
  r = sp_get_i32 (v, "oomScoreAdj", p, false, &adj, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      if (adj < -1000 || adj > 1000)
        {
          spath ap = SP_KEY (p, "oomScoreAdj");
          return sp_error (err, &ap, "%d is out of range (-1000 to 1000)", (int) adj);
        }
      out->oom_score_adj = adj;
      out->has_oom_score_adj = true;
    }

  if (parse_scheduler (v, p, out, err) < 0 || parse_io_priority (v, p, out, err) < 0)
    return -1;

  r = sp_get_obj (v, "execCPUAffinity", p, &o, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      spath ap = SP_KEY (p, "execCPUAffinity");
      if (sp_get_str (o, "initial", &ap, false, &out->exec_cpu_affinity_initial, err) < 0
          || sp_get_str (o, "final", &ap, false, &out->exec_cpu_affinity_final, err) < 0)
        return -1;
    }
  return 0;
}

oci_process *
oci_process_parse (const json_value *v, const char *path, kago_error_t *err)
{
  spath root = SP_KEY (NULL, path ? path : "");
  oci_process *p = xzalloc (sizeof *p);
  if (v == NULL)
    {
      sp_error (err, &root, "required");
      oci_process_free (p);
      return NULL;
    }
  if (parse_process (v, &root, p, err) < 0)
    {
      oci_process_free (p);
      return NULL;
    }
  return p;
}

void
oci_process_free (oci_process *p)
{
  if (p == NULL)
    return;
  free (p->user.additional_gids);
  sp_strv_clear (&p->args);
  sp_strv_clear (&p->env);
  free (p->cwd);
  sp_strv_clear (&p->capabilities.bounding);
  sp_strv_clear (&p->capabilities.effective);
  sp_strv_clear (&p->capabilities.inheritable);
  sp_strv_clear (&p->capabilities.permitted);
  sp_strv_clear (&p->capabilities.ambient);
  for (size_t i = 0; i < p->n_rlimits; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  free (p->io_priority_class);
  free (p->sched_policy);
  sp_strv_clear (&p->sched_flags);
  free (p->exec_cpu_affinity_initial);
  free (p->exec_cpu_affinity_final);
  free (p);
}

/* ---- hooks ---- */

static void
hooks_list_clear (oci_hooks_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->items[i].path);
      sp_strv_clear (&l->items[i].args);
      sp_strv_clear (&l->items[i].env);
    }
  free (l->items);
  l->items = NULL;
  l->n = 0;
}

static int
parse_hooks_list (const json_value *hooks, const char *key, const spath *p, oci_hooks_list *out,
                  kago_error_t *err)
{
  const json_value *arr;
  spath c = SP_KEY (p, key);
  int r = sp_get_arr (hooks, key, p, &arr, err);
  if (r <= 0)
    return r;
  if (arr->u.arr.len == 0)
    return 0;
  out->items = xcalloc (arr->u.arr.len, sizeof *out->items);
  for (size_t i = 0; i < arr->u.arr.len; i++)
    {
      const json_value *v = arr->u.arr.items[i];
      spath e = SP_IDX (&c, i);
      oci_hook *h = &out->items[i];
      int32_t timeout;
      out->n = i + 1;
      if (sp_expect (v, JSON_OBJECT, &e, err) < 0 || sp_get_str (v, "path", &e, true, &h->path, err) < 0
          || sp_get_strv (v, "args", &e, &h->args, err) < 0 || sp_get_strv (v, "env", &e, &h->env, err) < 0)
        return -1;
      spath hp = SP_KEY (&e, "path");
      if (sp_check_abs (h->path, &hp, err) < 0)
        return -1;
      r = sp_get_i32 (v, "timeout", &e, false, &timeout, err);
      if (r < 0)
        return -1;
      if (r > 0)
        {
          if (timeout <= 0)
            {
              spath t = SP_KEY (&e, "timeout");
              return sp_error (err, &t, "must be greater than zero, got %d", (int) timeout);
            }
          h->has_timeout = true;
          h->timeout = timeout;
        }
    }
  return 0;
}

int
spec_hooks_parse (const json_value *hooks, const spath *p, oci_hooks *h, kago_error_t *err)
{
  if (parse_hooks_list (hooks, "prestart", p, &h->prestart, err) < 0
      || parse_hooks_list (hooks, "createRuntime", p, &h->create_runtime, err) < 0
      || parse_hooks_list (hooks, "createContainer", p, &h->create_container, err) < 0
      || parse_hooks_list (hooks, "startContainer", p, &h->start_container, err) < 0
      || parse_hooks_list (hooks, "poststart", p, &h->poststart, err) < 0
      || parse_hooks_list (hooks, "poststop", p, &h->poststop, err) < 0)
    return -1;
  return 0;
}

void
spec_hooks_clear (oci_hooks *h)
{
  hooks_list_clear (&h->prestart);
  hooks_list_clear (&h->create_runtime);
  hooks_list_clear (&h->create_container);
  hooks_list_clear (&h->start_container);
  hooks_list_clear (&h->poststart);
  hooks_list_clear (&h->poststop);
}
