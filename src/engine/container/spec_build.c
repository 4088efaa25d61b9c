/* kago_spec_build: run/create options + the image's config -> the OCI
   config.json and docker's Config / HostConfig / Mounts.  This file: the
   process (command, environment, user, capabilities, LSM, seccomp), the
   hostname and the namespaces; the rest in spec_mounts.c, spec_devices.c,
   spec_resources.c and spec_docker.c.  */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/container/ctr_network.h"
#include "engine/container/spec_internal.h"
#include "engine/network/store.h"
#include "engine/container/units.h"
#include "runtime/core.h"
#include "runtime/process_attrs.h"
#include "seccomp/profile.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

json_value *
spec_strv_json (const struct kago_strv *s)
{
  if (s == NULL || s->n == 0)
    return json_null_new ();
  return spec_strv_json_empty (s);
}

json_value *
spec_strv_json_empty (const struct kago_strv *s)
{
  json_value *a = json_array_new ();
  for (size_t i = 0; s && i < s->n; i++)
    json_array_append (a, json_string_new (s->v[i]));
  return a;
}

void
spec_warn (struct spec_ctx *c, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  strbuf sb = STRBUF_INIT;
  strbuf_addvf (&sb, fmt, ap);
  va_end (ap);
  kago_strv_push_take (&c->warnings, strbuf_detach (&sb));
}

json_value *
spec_mount_new (const char *dest, const char *type, const char *src, const char *const *opts)
{
  json_value *m = json_object_new ();
  json_object_set (m, "destination", json_string_new (dest));
  json_object_set (m, "type", json_string_new (type));
  json_object_set (m, "source", json_string_new (src));
  json_value *o = json_array_new ();
  for (size_t i = 0; opts && opts[i]; i++)
    json_array_append (o, json_string_new (opts[i]));
  json_object_set (m, "options", o);
  return m;
}

static void
strv_from_json (const json_value *a, struct kago_strv *out)
{
  for (size_t i = 0; i < json_array_len (a); i++)
    {
      const char *s = json_get_string (json_array_at (a, i));
      if (s)
        kago_strv_push (out, s);
    }
}

static size_t
key_len (const char *kv)
{
  const char *eq = strchr (kv, '=');
  return eq ? (size_t) (eq - kv) : strlen (kv);
}

static bool
same_key (const char *a, const char *b)
{
  size_t la = key_len (a), lb = key_len (b);
  return la == lb && strncmp (a, b, la) == 0;
}

/* Config.Env: the user's variables, then the image's ones the user did
   not name (moby's merge).  */
static void
merge_env (struct spec_ctx *c, struct kago_strv *out)
{
  for (size_t i = 0; i < c->o->env.n; i++)
    kago_strv_push (out, c->o->env.v[i]);
  const json_value *ienv = json_object_get (c->icfg, "Env");
  for (size_t i = 0; i < json_array_len (ienv); i++)
    {
      const char *e = json_get_string (json_array_at (ienv, i));
      if (e == NULL)
        continue;
      bool found = false;
      for (size_t k = 0; k < c->o->env.n && !found; k++)
        found = same_key (c->o->env.v[k], e);
      if (!found)
        kago_strv_push (out, e);
    }
}

/* The process environment: PATH, HOSTNAME, TERM (with a tty), then
   Config.Env replaces or appends; "KEY" alone unsets (moby's
   ReplaceOrAppendEnvValues); HOME from passwd when unset.  */
static json_value *
process_env (struct spec_ctx *c, const struct kago_strv *cfg_env)
{
  struct kago_strv env = { 0 };
  kago_strv_push (&env, DEFAULT_PATH);
  kago_strv_push_take (&env, xasprintf ("HOSTNAME=%s", c->hostname));
  if (c->o->tty)
    kago_strv_push (&env, "TERM=xterm");
  size_t ndefaults = env.n;
  for (size_t i = 0; i < cfg_env->n; i++)
    {
      const char *v = cfg_env->v[i];
      bool has_value = strchr (v, '=') != NULL;
      bool done = false;
      for (size_t k = 0; k < ndefaults && !done; k++)
        if (env.v[k][0] && same_key (env.v[k], v))
          {
            free (env.v[k]);
            env.v[k] = xstrdup (has_value ? v : "");
            done = true;
          }
      if (!done && has_value)
        kago_strv_push (&env, v);
    }
  json_value *a = json_array_new ();
  bool home = false;
  for (size_t i = 0; i < env.n; i++)
    if (env.v[i][0])
      {
        home |= strncmp (env.v[i], "HOME=", 5) == 0;
        json_array_append (a, json_string_new (env.v[i]));
      }
  if (!home)
    {
      const char *h = c->user.home && c->user.home[0] ? c->user.home : "/";
      cleanup_free char *hv = xasprintf ("HOME=%s", h);
      json_array_append (a, json_string_new (hv));
    }
  kago_strv_clear (&env);
  return a;
}

/* docker's TweakCapabilities: --privileged: all; ALL in --cap-add: all but
   the drops; ALL in --cap-drop: only the adds; else defaults - drops +
   adds.  "All" is every capability of the running kernel that we hold in
   our own bounding set: a capability we lack could not be given anyway
   (the runtime's capset would fail), e.g. inside a container that runs
   kago.  */
static int
compute_caps (struct spec_ctx *c, kago_error_t *err)
{
  int last = kago_cap_last_cap ();
  uint64_t all = 0;
  for (int i = 0; i <= last && i < 64; i++)
    if (prctl (PR_CAPBSET_READ, i, 0, 0, 0) == 1)
      all |= UINT64_C (1) << i;
  if (c->o->privileged)
    return c->caps = all, 0;
  uint64_t add = 0, drop = 0;
  bool add_all = false, drop_all = false;
  for (int pass = 0; pass < 2; pass++)
    {
      const struct kago_strv *s = pass ? &c->o->cap_drop : &c->o->cap_add;
      for (size_t i = 0; i < s->n; i++)
        {
          char *n;
          int num;
          if (ro_normalize_cap (s->v[i], &n, &num, err) < 0)
            return -1;
          free (n);
          if (num < 0)
            *(pass ? &drop_all : &add_all) = true;
          else
            *(pass ? &drop : &add) |= UINT64_C (1) << num;
        }
    }
  if (add_all)
    c->caps = all & ~drop;
  else if (drop_all)
    c->caps = add;
  else
    c->caps = (kago_seccomp_docker_default_caps () & ~drop) | add;
  return 0;
}

static json_value *
caps_json (uint64_t caps)
{
  json_value *a = json_array_new ();
  for (int i = 0; i < 64; i++)
    if (caps & (UINT64_C (1) << i) && kago_cap_name (i))
      json_array_append (a, json_string_new (kago_cap_name (i)));
  return a;
}

static int
security_opts (struct spec_ctx *c, kago_error_t *err)
{
  const char *label_parts[4] = { NULL, NULL, NULL, NULL }; /* user role type level */
  bool label_disable = false, label_any = false;
  for (size_t i = 0; i < c->o->security_opt.n; i++)
    {
      const char *opt = c->o->security_opt.v[i];
      if (strcmp (opt, "no-new-privileges") == 0)
        {
          c->nnp = true;
          continue;
        }
      if (strcmp (opt, "disable") == 0)
        {
          label_disable = true;
          continue;
        }
      const char *sep = strchr (opt, '=');
      if (sep == NULL)
        sep = strchr (opt, ':');
      if (sep == NULL)
        return kago_error_set (err, 0, "invalid --security-opt 1: \"%s\"", opt);
      size_t kl = (size_t) (sep - opt);
      const char *v = sep + 1;
      if (kl == 7 && strncmp (opt, "seccomp", 7) == 0)
        {
          free (c->seccomp_json);
          c->seccomp_json = NULL;
          c->seccomp_unconfined = strcmp (v, "unconfined") == 0;
          if (!c->seccomp_unconfined && strcmp (v, "builtin") != 0)
            c->seccomp_json = xstrdup (v);
        }
      else if (kl == 8 && strncmp (opt, "apparmor", 8) == 0)
        {
          free (c->apparmor);
          c->apparmor = xstrdup (v);
        }
      else if (kl == 5 && strncmp (opt, "label", 5) == 0)
        {
          label_any = true;
          static const char *const keys[] = { "user:", "role:", "type:", "level:" };
          bool known = false;
          for (int k = 0; k < 4; k++)
            if (strncmp (v, keys[k], strlen (keys[k])) == 0)
              label_parts[k] = v + strlen (keys[k]), known = true;
          if (strcmp (v, "disable") == 0)
            label_disable = true, known = true;
          if (!known && strncmp (v, "filetype:", 9) != 0 && strcmp (v, "nested") != 0)
            return kago_error_set (err, 0, "bad label option \"%s\", valid options 'disable, user, role, level, type, "
                                           "filetype'",
                                   v);
        }
      else if (kl == 17 && strncmp (opt, "no-new-privileges", 17) == 0)
        {
          if (kago_go_parse_bool (v, &c->nnp, err) < 0)
            return -1;
        }
      else if (kl == 11 && strncmp (opt, "systempaths", 11) == 0)
        c->systempaths_unconfined = strcmp (v, "unconfined") == 0;
      else if (kl == 16 && strncmp (opt, "writable-cgroups", 16) == 0)
        {
          if (kago_go_parse_bool (v, &c->writable_cgroups, err) < 0)
            return -1;
        }
      else
        return kago_error_set (err, 0, "invalid --security-opt 2: \"%s\"", opt);
    }
  if (c->apparmor && strcmp (c->apparmor, "unconfined") != 0 && !kago_apparmor_enabled ())
    return kago_error_set (err, 0, "--security-opt apparmor=%s: AppArmor is not enabled on this host", c->apparmor);
  if (c->apparmor && strcmp (c->apparmor, "unconfined") == 0)
    {
      free (c->apparmor);
      c->apparmor = NULL;
    }
  if (label_any && !label_disable && !c->o->privileged)
    {
      if (!kago_selinux_enabled ())
        return kago_error_set (err, 0, "--security-opt label: SELinux is not enabled on this host");
      static const char *const defaults[4] = { "system_u", "system_r", "container_t", "s0" };
      c->selinux_label = xasprintf ("%s:%s:%s:%s", label_parts[0] ? label_parts[0] : defaults[0],
                                    label_parts[1] ? label_parts[1] : defaults[1],
                                    label_parts[2] ? label_parts[2] : defaults[2],
                                    label_parts[3] ? label_parts[3] : defaults[3]);
    }
  return 0;
}

static int
seccomp (struct spec_ctx *c, kago_error_t *err)
{
  /* --privileged runs without seccomp unless a profile is named.  */
  if (c->seccomp_unconfined || (c->o->privileged && c->seccomp_json == NULL))
    return 0;
  struct kago_seccomp_target t;
  if (kago_seccomp_target_host (&t, err) < 0)
    return -1;
  t.caps = c->caps;
  json_value *profile;
  if (c->seccomp_json)
    {
      profile = json_parse (c->seccomp_json, strlen (c->seccomp_json), err);
      if (profile == NULL)
        return kago_error_wrap (err, "seccomp profile");
    }
  else
    profile = kago_seccomp_default_profile ();
  json_value *out = NULL;
  int rc = kago_seccomp_profile_resolve (profile, &t, &out, err);
  json_free (profile);
  if (rc < 0)
    return kago_error_wrap (err, "seccomp profile");
  json_object_set (c->linux_, "seccomp", out);
  return 0;
}

/* "container:NAME" -> the container's init pid (and id).  */
static int
lookup (struct spec_ctx *c, const char *flag, const char *mode, pid_t *pid, char **id, kago_error_t *err)
{
  const char *name = mode + strlen ("container:");
  if (*name == '\0')
    return kago_error_set (err, 0, "--%s: invalid %s mode", flag, flag);
  if (c->in->lookup == NULL)
    return kago_error_set (err, 0, "--%s %s: no container lookup available", flag, mode);
  char buf[65] = { 0 };
  if (c->in->lookup (c->in->lookup_ctx, name, pid, buf, err) < 0)
    return -1;
  if (id)
    *id = xstrdup (buf);
  return 0;
}

static void
add_ns (json_value *arr, const char *type, const char *path)
{
  json_value *n = json_object_new ();
  json_object_set (n, "type", json_string_new (type));
  if (path)
    json_object_set (n, "path", json_string_new (path));
  json_array_append (arr, n);
}

/* --network NAME|ID of a bridge network: its NetworkSettings.Networks
   entry (with --ip and --network-alias), checked here so that a bad one
   creates nothing.  */
static int
spec_network (struct spec_ctx *c, const char *ref, kago_error_t *err)
{
  const struct kago_run_opts *o = c->o;
  if (c->in->engine_root == NULL)
    {
      if (strcmp (ref, KAGO_NET_DEFAULT) != 0)
        return kago_error_set (err, 0, "network %s not found", ref);
      c->net_name = xstrdup (KAGO_NET_DEFAULT);
      c->net_entry = kago_ctr_net_entry ("", NULL, NULL);
      return 0;
    }
  struct kago_net n;
  if (kago_net_find (c->in->engine_root, ref, &n, err) < 0)
    return -1;
  int r = 0;
  if (!kago_net_is_bridge (&n))
    r = kago_error_set (err, 0, "network %s has the driver %s: use --network %s", ref, n.driver, n.name);
  c->net_user = !n.predefined;
  if (r == 0 && o->ip && c->net_user)
    {
      uint32_t a;
      struct kago_ipam_lease *l = NULL;
      size_t nl = 0;
      if (kago_ipv4_parse (o->ip, &a, err) < 0)
        r = -1;
      else if (!kago_subnet_contains (&n.pool.subnet, a))
        r = kago_error_set (err, 0, "Invalid address %s: It does not belong to any of this network's subnets",
                            o->ip);
      else if (a == n.pool.gateway || a == n.pool.subnet.addr || a == kago_subnet_broadcast (&n.pool.subnet))
        r = kago_error_set (err, 0, "Address already in use: %s is reserved on network %s", o->ip,
                            n.name);
      else if (kago_ipam_list (n.dir, &l, &nl, err) < 0)
        r = -1;
      for (size_t i = 0; r == 0 && i < nl; i++)
        if (l[i].addr == a)
          r = kago_error_set (err, 0, "Address already in use: %s on network %s", o->ip, n.name);
      kago_ipam_leases_free (l, nl);
    }
  if (r == 0)
    {
      c->net_name = xstrdup (n.name);
      c->net_entry = kago_ctr_net_entry (n.id, c->net_user ? o->ip : NULL, c->net_user ? &o->network_alias : NULL);
    }
  kago_net_clear (&n);
  return r;
}

static int
namespaces (struct spec_ctx *c, kago_error_t *err)
{
  const struct kago_run_opts *o = c->o;
  json_value *ns = json_array_new ();
  json_object_set (c->linux_, "namespaces", ns);
  add_ns (ns, "mount", NULL);

  /* pid */
  const char *pid = o->pid ? o->pid : "";
  if (strcmp (pid, "host") == 0)
    c->pid_host = true;
  else if (strncmp (pid, "container:", 10) == 0)
    {
      pid_t p;
      if (lookup (c, "pid", pid, &p, NULL, err) < 0)
        return -1;
      cleanup_free char *path = xasprintf ("/proc/%d/ns/pid", (int) p);
      add_ns (ns, "pid", path);
    }
  else if (pid[0] == '\0')
    add_ns (ns, "pid", NULL);
  else
    return kago_error_set (err, 0, "--pid: invalid PID mode");
  c->pid_mode = xstrdup (pid);

  /* network */
  const char *net = o->network ? o->network : "default";
  if (strcmp (net, "host") == 0)
    c->net_host = true;
  else if (strncmp (net, "container:", 10) == 0)
    {
      pid_t p;
      if (lookup (c, "network", net, &p, &c->net_ctr_id, err) < 0)
        return -1;
      cleanup_free char *path = xasprintf ("/proc/%d/ns/net", (int) p);
      add_ns (ns, "network", path);
      if (o->hostname)
        return kago_error_set (err, 0, "conflicting options: hostname and the network mode");
      if (o->dns.n || o->dns_search.n || o->dns_option.n || o->add_host.n)
        return kago_error_set (err, 0, "conflicting options: dns and the network mode");
    }
  else if (strcmp (net, "none") == 0 || strcmp (net, "default") == 0)
    add_ns (ns, "network", NULL);
  else if (spec_network (c, net, err) < 0)
    return -1;
  else
    /* A bridge network: the monitor connects the new namespace between
       the runtime's create and start (ctr_network.h).  */
    add_ns (ns, "network", NULL);
  if (!c->net_user && o->ip)
    return kago_error_set (err, 0, "user specified IP address is supported on user defined networks only");
  if (!c->net_user && o->network_alias.n)
    return kago_error_set (err, 0, "network-scoped alias is supported only for containers in user defined networks");
  c->net_mode = xstrdup (net);
  /* Docker's checks (its daemon's words); kago's default is no network.  */
  if (c->net_host)
    {
      if (o->publish.n)
        spec_warn (c, "Published ports are discarded when using host network mode");
    }
  else if ((o->publish.n || o->publish_all)
           && (strcmp (net, "none") == 0 || strncmp (net, "container:", 10) == 0))
    return kago_error_set (err, 0, "conflicting options: port publishing and the container type network mode");
  else if ((o->publish.n || o->publish_all) && strcmp (net, "default") == 0)
    return kago_error_set (err, 0,
                           "publishing ports needs --network bridge (kago's default network is loopback "
                           "only)");

  /* ipc */
  const char *ipc = o->ipc && o->ipc[0] ? o->ipc : "private";
  if (strcmp (ipc, "host") == 0)
    c->ipc_host = true;
  else if (strncmp (ipc, "container:", 10) == 0)
    {
      if (lookup (c, "ipc", ipc, &c->ipc_pid, NULL, err) < 0)
        return -1;
      cleanup_free char *path = xasprintf ("/proc/%d/ns/ipc", (int) c->ipc_pid);
      add_ns (ns, "ipc", path);
    }
  else if (strcmp (ipc, "private") == 0 || strcmp (ipc, "shareable") == 0 || strcmp (ipc, "none") == 0)
    {
      add_ns (ns, "ipc", NULL);
      c->ipc_none = strcmp (ipc, "none") == 0;
    }
  else
    return kago_error_set (err, 0, "--ipc: invalid IPC mode");
  c->ipc_mode = xstrdup (ipc);

  /* uts */
  const char *uts = o->uts ? o->uts : "";
  if (strcmp (uts, "host") == 0)
    {
      c->uts_host = true;
      if (o->hostname)
        return kago_error_set (err, 0, "Conflicting options: hostname and the UTS mode");
    }
  else if (uts[0] == '\0')
    add_ns (ns, "uts", NULL);
  else
    return kago_error_set (err, 0, "--uts: invalid UTS mode");
  c->uts_mode = xstrdup (uts);

  /* user: no remapping in kago yet */
  const char *userns = o->userns ? o->userns : "";
  if (userns[0] && strcmp (userns, "host") != 0)
    return kago_error_set (err, 0, "--userns: invalid USER mode \"%s\" (only \"host\" is supported: kago has no "
                                   "user namespace remapping yet)",
                           userns);
  c->userns_mode = xstrdup (userns);

  /* cgroup: docker's default is private on a cgroup v2 host, host on v1
     and hybrid */
  const char *cgns = o->cgroupns ? o->cgroupns : "";
  if (cgns[0] == '\0')
    {
      enum kago_cgroup_mode m = KAGO_CGROUP_V1;
      kago_error_t e = NULL;
      if (kago_cgroup_detect (NULL, &m, &e) < 0)
        kago_error_release (&e);
      cgns = m == KAGO_CGROUP_V2 ? "private" : "host";
    }
  if (strcmp (cgns, "private") == 0)
    add_ns (ns, "cgroup", NULL);
  else if (strcmp (cgns, "host") != 0)
    return kago_error_set (err, 0, "--cgroupns: invalid CGROUP mode");
  c->cgroupns_mode = xstrdup (cgns);
  return 0;
}

static int
sysctls (struct spec_ctx *c, kago_error_t *err)
{
  json_value *s = json_object_new ();
  json_object_set (c->linux_, "sysctl", s);
  bool own_net = !c->net_host && !c->net_ctr_id;
  if (own_net)
    {
      json_object_set (s, "net.ipv4.ip_unprivileged_port_start", json_string_new ("0"));
      json_object_set (s, "net.ipv4.ping_group_range", json_string_new ("0 2147483647"));
    }
  for (size_t i = 0; i < c->o->sysctls.n; i++)
    {
      const char *kv = c->o->sysctls.v[i];
      const char *eq = strchr (kv, '=');
      cleanup_free char *k = xstrndup (kv, (size_t) (eq - kv));
      bool is_net = strncmp (k, "net.", 4) == 0;
      if (is_net && !own_net)
        return kago_error_set (err, 0, "sysctl \"%s\" is not allowed: the container shares %s network namespace", k,
                               c->net_host ? "the host's" : "another container's");
      if (!is_net && (c->ipc_host || c->ipc_pid))
        return kago_error_set (err, 0, "sysctl \"%s\" is not allowed: the container shares %s IPC namespace", k,
                               c->ipc_host ? "the host's" : "another container's");
      json_object_set (s, k, json_string_new (eq + 1));
    }
  return 0;
}

static int
command (struct spec_ctx *c, struct kago_strv *args, kago_error_t *err)
{
  const struct kago_run_opts *o = c->o;
  struct kago_strv ep = { 0 }, cmd = { 0 };
  if (o->entrypoint_set)
    {
      if (o->entrypoint[0])
        kago_strv_push (&ep, o->entrypoint);
    }
  else
    strv_from_json (json_object_get (c->icfg, "Entrypoint"), &ep);
  if (o->ncmd)
    for (size_t i = 0; i < o->ncmd; i++)
      kago_strv_push (&cmd, o->cmd[i]);
  else if (!o->entrypoint_set)
    strv_from_json (json_object_get (c->icfg, "Cmd"), &cmd);
  for (size_t i = 0; i < ep.n; i++)
    kago_strv_push (args, ep.v[i]);
  for (size_t i = 0; i < cmd.n; i++)
    kago_strv_push (args, cmd.v[i]);
  json_object_set (c->config, "Cmd", spec_strv_json (&cmd));
  json_object_set (c->config, "Entrypoint", spec_strv_json (&ep));
  kago_strv_clear (&ep);
  kago_strv_clear (&cmd);
  if (args->n == 0)
    return kago_error_set (err, 0, "No command specified");
  return 0;
}

/* --init: kago-init beside our executable (or $KAGO_INIT).  */
static char *
find_init (const struct kago_spec_input *in, kago_error_t *err)
{
  const char *p = in->init_path ? in->init_path : getenv ("KAGO_INIT");
  char *path;
  if (p)
    path = xstrdup (p);
  else
    {
      /* (beside the binary as it was run, not its sealed copy) */
      cleanup_free char *self = kago_selfexe_path (err);
      if (self == NULL)
        return kago_error_wrap (err, "--init"), NULL;
      char *slash = strrchr (self, '/');
      if (slash)
        *slash = '\0';
      path = xasprintf ("%s/kago-init", self);
    }
  if (access (path, X_OK) < 0)
    {
      kago_error_set (err, errno, "--init: the init binary %s is not usable", path);
      free (path);
      return NULL;
    }
  return path;
}

/* The command and the init binary, checked before anything is made.  */
static int
prepare_command (struct spec_ctx *c, kago_error_t *err)
{
  if (command (c, &c->args, err) < 0)
    return -1;
  if (c->o->init && (c->init_bin = find_init (c->in, err)) == NULL)
    return -1;
  return 0;
}

static void
process (struct spec_ctx *c)
{
  const struct kago_run_opts *o = c->o;
  json_value *p = c->process;
  json_object_set (p, "terminal", json_bool_new (o->tty));
  json_value *u = json_object_new ();
  json_object_set (u, "uid", json_uint_new (c->user.uid));
  json_object_set (u, "gid", json_uint_new (c->user.gid));
  json_value *g = json_array_new ();
  for (size_t i = 0; i < c->user.ngids; i++)
    json_array_append (g, json_uint_new (c->user.gids[i]));
  json_object_set (u, "additionalGids", g);
  json_object_set (p, "user", u);

  json_value *a = json_array_new ();
  if (c->init_bin)
    {
      json_array_append (a, json_string_new ("/sbin/kago-init"));
      json_array_append (a, json_string_new ("--"));
      const char *opts[] = { "bind", "ro", NULL };
      json_array_append (json_object_get (c->oci, "mounts"),
                         spec_mount_new ("/sbin/kago-init", "bind", c->init_bin, opts));
    }
  for (size_t i = 0; i < c->args.n; i++)
    json_array_append (a, json_string_new (c->args.v[i]));
  json_object_set (p, "args", a);

  struct kago_strv cfg_env = { 0 };
  merge_env (c, &cfg_env);
  json_object_set (p, "env", process_env (c, &cfg_env));
  json_object_set (c->config, "Env", spec_strv_json_empty (&cfg_env));
  kago_strv_clear (&cfg_env);
  json_object_set (p, "cwd", json_string_new (c->workdir));

  json_value *caps = json_object_new ();
  json_object_set (caps, "bounding", caps_json (c->caps));
  /* A non-root user keeps the bounding set but starts with nothing
     effective or permitted, as docker's containers do.  */
  uint64_t eff = c->user.uid == 0 ? c->caps : 0;
  json_object_set (caps, "effective", caps_json (eff));
  json_object_set (caps, "permitted", caps_json (eff));
  json_object_set (p, "capabilities", caps);
  json_object_set (p, "noNewPrivileges", json_bool_new (c->nnp));
  if (c->apparmor && !o->privileged)
    json_object_set (p, "apparmorProfile", json_string_new (c->apparmor));
  if (c->selinux_label)
    json_object_set (p, "selinuxLabel", json_string_new (c->selinux_label));
  json_object_set (p, "oomScoreAdj", json_int_new (o->oom_score_adj));
}

static int
hostname (struct spec_ctx *c, kago_error_t *err)
{
  const struct kago_run_opts *o = c->o;
  if (o->hostname)
    {
      if (strlen (o->hostname) > 64)
        return kago_error_set (err, 0, "invalid hostname format: %s", o->hostname);
      c->hostname = xstrdup (o->hostname);
    }
  else if (c->net_host || c->uts_host)
    {
      char h[256] = { 0 };
      if (gethostname (h, sizeof h - 1) < 0)
        return kago_error_set (err, errno, "gethostname");
      c->hostname = xstrdup (h);
    }
  else
    c->hostname = xstrndup (c->in->id, 12);
  if (!c->uts_host)
    {
      json_object_set (c->oci, "hostname", json_string_new (c->hostname));
      if (o->domainname)
        json_object_set (c->oci, "domainname", json_string_new (o->domainname));
    }
  return 0;
}

/* cgroupsPath PARENT/ID, docker's cgroupfs layout (/docker/ID there):
   PARENT is --cgroup-parent, else the engine's default ("/kago").  A
   relative parent is under the cgroup of the process that starts the
   container, as runc (and kago-runtime) read a relative cgroupsPath.  */
static void
cgroups_path (struct spec_ctx *c)
{
  const char *parent = c->o->cgroup_parent && c->o->cgroup_parent[0] ? c->o->cgroup_parent
                       : c->in->cgroup_parent_default                   ? c->in->cgroup_parent_default
                                                                        : "/kago";
  size_t pl = strlen (parent);
  cleanup_free char *p = xasprintf ("%s%s%s", parent, pl && parent[pl - 1] == '/' ? "" : "/", c->in->id);
  json_object_set (c->linux_, "cgroupsPath", json_string_new (p));
}

static void
ctx_free (struct spec_ctx *c)
{
  json_free (c->oci);
  json_free (c->config);
  json_free (c->host_config);
  json_free (c->mounts);
  kago_strv_clear (&c->warnings);
  free (c->hostname);
  free (c->seccomp_json);
  free (c->apparmor);
  free (c->selinux_label);
  free (c->pid_mode);
  free (c->ipc_mode);
  free (c->uts_mode);
  free (c->net_mode);
  free (c->cgroupns_mode);
  free (c->userns_mode);
  free (c->net_ctr_id);
  free (c->net_name);
  json_free (c->net_entry);
  free (c->workdir);
  kago_strv_clear (&c->args);
  free (c->init_bin);
  spec_user_clear (&c->user);
}

void
kago_spec_output_free (struct kago_spec_output *o)
{
  json_free (o->oci);
  json_free (o->config);
  json_free (o->host_config);
  json_free (o->mounts);
  free (o->path);
  for (size_t i = 0; o->args && o->args[i]; i++)
    free (o->args[i]);
  free (o->args);
  for (size_t i = 0; o->warnings && o->warnings[i]; i++)
    free (o->warnings[i]);
  free (o->warnings);
  memset (o, 0, sizeof *o);
}

int
kago_spec_build (const struct kago_run_opts *o, const struct kago_spec_input *in, struct kago_spec_output *out,
                 kago_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (in->id == NULL || strlen (in->id) < 12 || in->rootfs == NULL || in->rootfs[0] != '/')
    return kago_error_set (err, EINVAL, "kago_spec_build: an id and an absolute rootfs are required");
  struct spec_ctx c = { .o = o, .in = in };
  c.icfg = json_object_get (in->image_config, "config");
  c.oci = json_object_new ();
  json_object_set (c.oci, "ociVersion", json_string_new ("1.2.0"));
  c.process = json_object_new ();
  json_object_set (c.oci, "process", c.process);
  json_value *root = json_object_new ();
  json_object_set (root, "path", json_string_new (in->rootfs));
  json_object_set (root, "readonly", json_bool_new (o->read_only));
  json_object_set (c.oci, "root", root);
  json_object_set (c.oci, "mounts", json_array_new ());
  c.linux_ = json_object_new ();
  json_object_set (c.oci, "linux", c.linux_);
  c.config = json_object_new ();
  c.host_config = json_object_new ();
  c.mounts = json_array_new ();

  const char *user = o->user ? o->user : json_get_string (json_object_get (c.icfg, "User"));
  const char *wd = o->workdir ? o->workdir : json_get_string (json_object_get (c.icfg, "WorkingDir"));
  c.workdir = xstrdup (wd && wd[0] ? wd : "/");

  int rc = -1;
  if (namespaces (&c, err) < 0 || hostname (&c, err) < 0 || security_opts (&c, err) < 0
      || compute_caps (&c, err) < 0)
    goto out;
  if (spec_user_resolve (in->rootfs, user, &o->group_add, &c.user, err) < 0 || prepare_command (&c, err) < 0)
    goto out;
  /* Everything that can fail on bad input comes before spec_mounts, the
     first step that makes something (volumes, the /etc files, the
     workdir).  */
  if (spec_devices (&c, err) < 0 || spec_resources (&c, err) < 0 || sysctls (&c, err) < 0 || seccomp (&c, err) < 0)
    goto out;
  /* mounts before the process: --init adds its bind after them */
  if (spec_mounts (&c, err) < 0)
    goto out;
  process (&c);
  cgroups_path (&c);
  if (spec_docker (&c, err) < 0)
    goto out;

  /* Path and Args: the command without the init.  */
  const json_value *args = json_object_get (c.process, "args");
  size_t skip = o->init ? 2 : 0, n = json_array_len (args);
  out->path = xstrdup (json_get_string (json_array_at (args, skip)));
  out->args = xcalloc (n - skip, sizeof *out->args);
  for (size_t i = skip + 1; i < n; i++)
    out->args[i - skip - 1] = xstrdup (json_get_string (json_array_at (args, i)));
  out->oci = steal_pointer (&c.oci);
  out->config = steal_pointer (&c.config);
  out->host_config = steal_pointer (&c.host_config);
  out->mounts = steal_pointer (&c.mounts);
  out->warnings = c.warnings.v ? steal_pointer (&c.warnings.v) : NULL;
  c.warnings.n = 0;
  rc = 0;
out:
  ctx_free (&c);
  return rc;
}
