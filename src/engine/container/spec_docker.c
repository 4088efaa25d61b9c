/* Docker's Config and HostConfig objects for `kago inspect`, with docker's
   keys in docker's order.  */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/container/ctr_network.h"
#include "engine/container/spec_internal.h"
#include "engine/network/ports.h"

/* Remove KEY from OBJ and hand its value over (a null when absent).  */
static json_value *
take (json_value *obj, const char *key)
{
  for (size_t i = 0; obj && i < obj->u.obj.len; i++)
    if (strcmp (obj->u.obj.members[i].key, key) == 0)
      {
        json_value *v = obj->u.obj.members[i].value;
        free (obj->u.obj.members[i].key);
        memmove (&obj->u.obj.members[i], &obj->u.obj.members[i + 1],
                 (obj->u.obj.len - i - 1) * sizeof *obj->u.obj.members);
        obj->u.obj.len--;
        return v;
      }
  return json_null_new ();
}

static json_value *
copy (const json_value *v)
{
  if (v == NULL)
    return json_null_new ();
  cleanup_free char *s = json_to_string (v, false);
  json_value *r = json_parse (s, strlen (s), NULL);
  return r ? r : json_null_new ();
}

static json_value *
kv_object (const struct kago_strv *s, const json_value *base)
{
  json_value *o = base && base->type == JSON_OBJECT ? copy (base) : json_object_new ();
  for (size_t i = 0; s && i < s->n; i++)
    {
      const char *eq = strchr (s->v[i], '=');
      cleanup_free char *k = eq ? xstrndup (s->v[i], (size_t) (eq - s->v[i])) : xstrdup (s->v[i]);
      json_object_set (o, k, json_string_new (eq ? eq + 1 : ""));
    }
  return o;
}

static int
exposed_ports (struct spec_ctx *c, json_value **out, kago_error_t *err)
{
  const json_value *img = json_object_get (c->icfg, "ExposedPorts");
  json_value *p = img && img->type == JSON_OBJECT ? copy (img) : json_object_new ();
  for (size_t i = 0; i < c->o->expose.n; i++)
    {
      long a, b;
      const char *proto;
      if (ro_parse_expose (c->o->expose.v[i], &a, &b, &proto, err) < 0)
        {
          json_free (p);
          return -1;
        }
      for (long port = a; port <= b; port++)
        {
          cleanup_free char *k = xasprintf ("%ld/%s", port, proto);
          json_object_set (p, k, json_object_new ());
        }
    }
  /* Published ports are exposed too, as Docker records them.  */
  for (size_t i = 0; i < c->o->publish.n; i++)
    {
      struct kago_port_spec *ps;
      size_t n;
      if (kago_port_spec_parse (c->o->publish.v[i], &ps, &n, err) < 0)
        {
          json_free (p);
          return -1;
        }
      for (size_t j = 0; j < n; j++)
        {
          cleanup_free char *k = xasprintf ("%u/%s", ps[j].ctr_port, ps[j].proto);
          if (json_object_get (p, k) == NULL)
            json_object_set (p, k, json_object_new ());
        }
      free (ps);
    }
  if (json_object_len (p) == 0)
    {
      json_free (p);
      p = NULL;
    }
  *out = p;
  return 0;
}

/* HostConfig.PortBindings: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}
   (the -p values were checked at parse time).  */
static json_value *
port_bindings (const struct kago_run_opts *o)
{
  json_value *pb = json_object_new ();
  for (size_t i = 0; i < o->publish.n; i++)
    {
      struct kago_port_spec *ps;
      size_t n;
      kago_error_t e = NULL;
      if (kago_port_spec_parse (o->publish.v[i], &ps, &n, &e) < 0)
        {
          kago_error_release (&e);
          continue;
        }
      for (size_t j = 0; j < n; j++)
        {
          cleanup_free char *k = xasprintf ("%u/%s", ps[j].ctr_port, ps[j].proto);
          json_value *list = json_object_get (pb, k);
          if (list == NULL)
            {
              list = json_array_new ();
              json_object_set (pb, k, list);
            }
          json_value *b = json_object_new ();
          json_object_set (b, "HostIp", json_string_new (ps[j].host_ip));
          json_object_set (b, "HostPort", json_string_new (ps[j].host_port));
          json_array_append (list, b);
        }
      free (ps);
    }
  return pb;
}

static int
config (struct spec_ctx *c, kago_error_t *err)
{
  const struct kago_run_opts *o = c->o;
  json_value *old = c->config, *n = json_object_new ();
  json_object_set (n, "Hostname", json_string_new (c->hostname));
  json_object_set (n, "Domainname", json_string_new (o->domainname ? o->domainname : ""));
  const char *user = o->user ? o->user : json_get_string (json_object_get (c->icfg, "User"));
  json_object_set (n, "User", json_string_new (user ? user : ""));
  bool detached = o->detach && strcmp (o->verb ? o->verb : "run", "create") != 0;
  bool in = false, outp = false, errp = false;
  if (!detached)
    {
      in = o->interactive || ro_strv_has (&o->attach, "stdin");
      outp = o->attach.n == 0 || ro_strv_has (&o->attach, "stdout");
      errp = o->attach.n == 0 || ro_strv_has (&o->attach, "stderr");
    }
  json_object_set (n, "AttachStdin", json_bool_new (in));
  json_object_set (n, "AttachStdout", json_bool_new (outp));
  json_object_set (n, "AttachStderr", json_bool_new (errp));
  json_value *ports = NULL;
  if (exposed_ports (c, &ports, err) < 0)
    {
      json_free (n);
      return -1;
    }
  if (ports)
    json_object_set (n, "ExposedPorts", ports);
  json_object_set (n, "Tty", json_bool_new (o->tty));
  json_object_set (n, "OpenStdin", json_bool_new (o->interactive));
  json_object_set (n, "StdinOnce", json_bool_new (in && o->interactive));
  json_object_set (n, "Env", take (old, "Env"));
  json_object_set (n, "Cmd", take (old, "Cmd"));
  const json_value *hc = json_object_get (c->icfg, "Healthcheck");
  if (hc)
    json_object_set (n, "Healthcheck", copy (hc));
  json_object_set (n, "Image", json_string_new (o->image ? o->image : ""));
  json_object_set (n, "Volumes", take (old, "Volumes"));
  const char *wd = o->workdir ? o->workdir : json_get_string (json_object_get (c->icfg, "WorkingDir"));
  json_object_set (n, "WorkingDir", json_string_new (wd ? wd : ""));
  json_object_set (n, "Entrypoint", take (old, "Entrypoint"));
  json_object_set (n, "OnBuild", json_null_new ());
  json_object_set (n, "Labels", kv_object (&o->labels, json_object_get (c->icfg, "Labels")));
  const char *sig = o->stop_signal_str ? o->stop_signal_str : json_get_string (json_object_get (c->icfg, "StopSignal"));
  if (sig)
    json_object_set (n, "StopSignal", json_string_new (sig));
  if (o->stop_timeout >= 0)
    json_object_set (n, "StopTimeout", json_int_new (o->stop_timeout));
  json_free (old);
  c->config = n;
  return 0;
}

static json_value *
mounts_json (const struct kago_run_opts *o)
{
  if (o->nmounts == 0)
    return NULL;
  static const char *const tname[] = { "bind", "volume", "tmpfs" };
  json_value *a = json_array_new ();
  for (size_t i = 0; i < o->nmounts; i++)
    {
      const struct kago_mount_opt *m = &o->mounts[i];
      json_value *j = json_object_new ();
      json_object_set (j, "Type", json_string_new (tname[m->type]));
      if (m->source)
        json_object_set (j, "Source", json_string_new (m->source));
      json_object_set (j, "Target", json_string_new (m->target));
      if (m->readonly)
        json_object_set (j, "ReadOnly", json_bool_new (true));
      if (m->type == KAGO_MOUNT_BIND && (m->propagation || m->bind_nonrecursive))
        {
          json_value *b = json_object_new ();
          if (m->propagation)
            json_object_set (b, "Propagation", json_string_new (m->propagation));
          if (m->bind_nonrecursive)
            json_object_set (b, "NonRecursive", json_bool_new (true));
          json_object_set (j, "BindOptions", b);
        }
      if (m->type == KAGO_MOUNT_VOLUME && m->nocopy)
        {
          json_value *v = json_object_new ();
          json_object_set (v, "NoCopy", json_bool_new (true));
          json_object_set (j, "VolumeOptions", v);
        }
      if (m->type == KAGO_MOUNT_TMPFS && (m->tmpfs_size || m->tmpfs_mode))
        {
          json_value *t = json_object_new ();
          if (m->tmpfs_size)
            json_object_set (t, "SizeBytes", json_int_new (m->tmpfs_size));
          if (m->tmpfs_mode)
            json_object_set (t, "Mode", json_uint_new (m->tmpfs_mode));
          json_object_set (j, "TmpfsOptions", t);
        }
      json_array_append (a, j);
    }
  return a;
}

static void
host_config (struct spec_ctx *c)
{
  const struct kago_run_opts *o = c->o;
  json_value *res = c->host_config, *h = json_object_new ();
  json_object_set (h, "Binds", spec_strv_json (&o->volumes));
  json_object_set (h, "ContainerIDFile", json_string_new (o->cidfile ? o->cidfile : ""));
  json_value *lc = json_object_new ();
  json_object_set (lc, "Type", json_string_new (o->log_driver ? o->log_driver : "json-file"));
  json_object_set (lc, "Config", kv_object (&o->log_opts, NULL));
  json_object_set (h, "LogConfig", lc);
  json_object_set (h, "NetworkMode", json_string_new (c->net_mode));
  if (c->net_entry)
    {
      /* For the record's NetworkSettings.Networks (kago_ctr_create moves
         it there).  */
      json_value *nets = json_object_new ();
      json_object_set (nets, c->net_name, c->net_entry);
      c->net_entry = NULL;
      json_object_set (h, KAGO_CTR_NET_PENDING, nets);
    }
  json_object_set (h, "PortBindings", port_bindings (o));
  json_value *rp = json_object_new ();
  json_object_set (rp, "Name", json_string_new (o->restart.name ? o->restart.name : "no"));
  json_object_set (rp, "MaximumRetryCount", json_int_new (o->restart.max_retries));
  json_object_set (h, "RestartPolicy", rp);
  json_object_set (h, "AutoRemove", json_bool_new (o->rm));
  json_object_set (h, "VolumeDriver", json_string_new (""));
  json_object_set (h, "VolumesFrom", json_null_new ());
  json_value *cs = json_array_new ();
  json_array_append (cs, json_int_new (0));
  json_array_append (cs, json_int_new (0));
  json_object_set (h, "ConsoleSize", cs);
  json_object_set (h, "CapAdd", spec_strv_json (&o->cap_add));
  json_object_set (h, "CapDrop", spec_strv_json (&o->cap_drop));
  json_object_set (h, "CgroupnsMode", json_string_new (c->cgroupns_mode));
  json_object_set (h, "Dns", spec_strv_json_empty (&o->dns));
  json_object_set (h, "DnsOptions", spec_strv_json_empty (&o->dns_option));
  json_object_set (h, "DnsSearch", spec_strv_json_empty (&o->dns_search));
  json_object_set (h, "ExtraHosts", spec_strv_json (&o->add_host));
  json_object_set (h, "GroupAdd", spec_strv_json (&o->group_add));
  json_object_set (h, "IpcMode", json_string_new (c->ipc_mode));
  json_object_set (h, "Cgroup", json_string_new (""));
  json_object_set (h, "Links", json_null_new ());
  json_object_set (h, "OomScoreAdj", json_int_new (o->oom_score_adj));
  json_object_set (h, "PidMode", json_string_new (c->pid_mode));
  json_object_set (h, "Privileged", json_bool_new (o->privileged));
  json_object_set (h, "PublishAllPorts", json_bool_new (o->publish_all));
  json_object_set (h, "ReadonlyRootfs", json_bool_new (o->read_only));
  json_object_set (h, "SecurityOpt", spec_strv_json (&o->security_opt));
  if (o->tmpfs.n)
    {
      json_value *t = json_object_new ();
      for (size_t i = 0; i < o->tmpfs.n; i++)
        {
          const char *colon = strchr (o->tmpfs.v[i], ':');
          cleanup_free char *k = colon ? xstrndup (o->tmpfs.v[i], (size_t) (colon - o->tmpfs.v[i]))
                                       : xstrdup (o->tmpfs.v[i]);
          json_object_set (t, k, json_string_new (colon ? colon + 1 : ""));
        }
      json_object_set (h, "Tmpfs", t);
    }
  json_object_set (h, "UTSMode", json_string_new (c->uts_mode));
  json_object_set (h, "UsernsMode", json_string_new (c->userns_mode));
  json_object_set (h, "ShmSize", json_int_new (o->shm_size ? o->shm_size : 64 << 20));
  if (o->sysctls.n)
    json_object_set (h, "Sysctls", kv_object (&o->sysctls, NULL));
  json_object_set (h, "Runtime", json_string_new ("kago"));
  json_object_set (h, "Isolation", json_string_new (""));
  /* the resource fields spec_resources set, in their order */
  for (size_t i = 0; i < res->u.obj.len; i++)
    {
      json_object_set (h, res->u.obj.members[i].key, res->u.obj.members[i].value);
      free (res->u.obj.members[i].key);
    }
  res->u.obj.len = 0;
  json_free (res);
  json_value *m = mounts_json (o);
  if (m)
    json_object_set (h, "Mounts", m);
  json_value *mp = json_object_get (c->linux_, "maskedPaths"), *rp2 = json_object_get (c->linux_, "readonlyPaths");
  json_object_set (h, "MaskedPaths", copy (mp));
  json_object_set (h, "ReadonlyPaths", copy (rp2));
  json_object_set (h, "Init", o->init ? json_bool_new (true) : json_null_new ());
  c->host_config = h;
}

int
spec_docker (struct spec_ctx *c, kago_error_t *err)
{
  if (config (c, err) < 0)
    return -1;
  host_config (c);
  return 0;
}
