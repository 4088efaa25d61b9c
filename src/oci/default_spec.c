/* The default config.json (`kago-runtime spec`), modelled on `runc spec`.
 * Member order follows runtime-spec's Go structs, as runc prints them.  */
#include "oci/default_spec.h"

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "oci/spec.h"

#include <string.h>
#include <unistd.h>

static json_value *
strv_new (const char *const *v)
{
  json_value *a = json_array_new ();
  for (; *v; v++)
    json_array_append (a, json_string_new (*v));
  return a;
}

/* Mount options without the uid=/gid= ones when ROOTLESS (as runc does:
   those ids do not exist in a single-id user namespace).  */
static json_value *
mount_new (const char *dest, const char *type, const char *source, const char *const *options, bool rootless)
{
  json_value *m = json_object_new ();
  json_object_set (m, "destination", json_string_new (dest));
  json_object_set (m, "type", json_string_new (type));
  json_object_set (m, "source", json_string_new (source));
  if (options)
    {
      json_value *o = json_array_new ();
      for (; *options; options++)
        if (!rootless || (strncmp (*options, "uid=", 4) != 0 && strncmp (*options, "gid=", 4) != 0))
          json_array_append (o, json_string_new (*options));
      if (json_array_len (o) > 0)
        json_object_set (m, "options", o);
      else
        json_free (o);
    }
  return m;
}

static json_value *
id_mapping_new (unsigned host_id)
{
  json_value *a = json_array_new ();
  json_value *m = json_object_new ();
  json_object_set (m, "containerID", json_int_new (0));
  json_object_set (m, "hostID", json_int_new (host_id));
  json_object_set (m, "size", json_int_new (1));
  json_array_append (a, m);
  return a;
}

static json_value *
process_new (void)
{
  static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  static const char *const env[]
      = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL };
  static const char *const args[] = { "sh", NULL };

  json_value *p = json_object_new ();
  json_object_set (p, "terminal", json_bool_new (true));
  json_value *user = json_object_new ();
  json_object_set (user, "uid", json_int_new (0));
  json_object_set (user, "gid", json_int_new (0));
  json_object_set (p, "user", user);
  json_object_set (p, "args", strv_new (args));
  json_object_set (p, "env", strv_new (env));
  json_object_set (p, "cwd", json_string_new ("/"));

  json_value *c = json_object_new ();
  json_object_set (c, "bounding", strv_new (caps));
  json_object_set (c, "effective", strv_new (caps));
  json_object_set (c, "permitted", strv_new (caps));
  json_object_set (p, "capabilities", c);

  json_value *rl = json_array_new ();
  json_value *nofile = json_object_new ();
  json_object_set (nofile, "type", json_string_new ("RLIMIT_NOFILE"));
  json_object_set (nofile, "hard", json_int_new (1024));
  json_object_set (nofile, "soft", json_int_new (1024));
  json_array_append (rl, nofile);
  json_object_set (p, "rlimits", rl);
  json_object_set (p, "noNewPrivileges", json_bool_new (true));
  return p;
}

static json_value *
mounts_new (bool rootless)
{
  static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const pts_opts[]
      = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mqueue_opts[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const sys_bind_opts[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const cgroup_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

  json_value *a = json_array_new ();
  json_array_append (a, mount_new ("/proc", "proc", "proc", NULL, rootless));
  json_array_append (a, mount_new ("/dev", "tmpfs", "tmpfs", dev_opts, rootless));
  json_array_append (a, mount_new ("/dev/pts", "devpts", "devpts", pts_opts, rootless));
  json_array_append (a, mount_new ("/dev/shm", "tmpfs", "shm", shm_opts, rootless));
  json_array_append (a, mount_new ("/dev/mqueue", "mqueue", "mqueue", mqueue_opts, rootless));
  if (rootless)
    /* sysfs cannot be mounted without owning the network namespace.  */
    json_array_append (a, mount_new ("/sys", "none", "/sys", sys_bind_opts, rootless));
  else
    {
      json_array_append (a, mount_new ("/sys", "sysfs", "sysfs", sys_opts, rootless));
      json_array_append (a, mount_new ("/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts, rootless));
    }
  return a;
}

static json_value *
linux_new (bool rootless)
{
  static const char *const masked[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
    "/sys/devices/virtual/tpm",
    NULL,
  };
  static const char *const readonly[]
      = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };
  static const char *const ns_root[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
  static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "cgroup", "user", NULL };

  json_value *l = json_object_new ();
  if (rootless)
    {
      json_object_set (l, "uidMappings", id_mapping_new ((unsigned) geteuid ()));
      json_object_set (l, "gidMappings", id_mapping_new ((unsigned) getegid ()));
    }
  else
    {
      json_value *res = json_object_new ();
      json_value *devs = json_array_new ();
      json_value *deny = json_object_new ();
      json_object_set (deny, "allow", json_bool_new (false));
      json_object_set (deny, "access", json_string_new ("rwm"));
      json_array_append (devs, deny);
      json_object_set (res, "devices", devs);
      json_object_set (l, "resources", res);
    }
  json_value *ns = json_array_new ();
  for (const char *const *t = rootless ? ns_rootless : ns_root; *t; t++)
    {
      json_value *n = json_object_new ();
      json_object_set (n, "type", json_string_new (*t));
      json_array_append (ns, n);
    }
  json_object_set (l, "namespaces", ns);
  json_object_set (l, "maskedPaths", strv_new (masked));
  json_object_set (l, "readonlyPaths", strv_new (readonly));
  return l;
}

json_value *
kago_default_spec_new (bool rootless)
{
  json_value *s = json_object_new ();
  json_object_set (s, "ociVersion", json_string_new (KAGO_OCI_VERSION));
  json_object_set (s, "process", process_new ());
  json_value *root = json_object_new ();
  json_object_set (root, "path", json_string_new ("rootfs"));
  json_object_set (root, "readonly", json_bool_new (true));
  json_object_set (s, "root", root);
  json_object_set (s, "hostname", json_string_new ("kago"));
  json_object_set (s, "mounts", mounts_new (rootless));
  json_object_set (s, "linux", linux_new (rootless));
  return s;
}

char *
kago_default_spec_json (bool rootless)
{
  json_value *s = kago_default_spec_new (rootless);
  strbuf pretty = STRBUF_INIT;
  json_serialize (&pretty, s, true);
  json_free (s);

  /* Re-indent with tabs, as runc's json.MarshalIndent(spec, "", "\t").  The
     serializer escapes newlines inside strings, so every run of spaces at
     the start of a line is indentation (two spaces per level).  */
  strbuf out = STRBUF_INIT;
  strbuf_grow (&out, pretty.len);
  const char *p = pretty.buf, *end = pretty.buf + pretty.len;
  bool line_start = true;
  while (p < end)
    {
      if (line_start && p + 1 < end && p[0] == ' ' && p[1] == ' ')
        {
          strbuf_addc (&out, '\t');
          p += 2;
          continue;
        }
      line_start = *p == '\n';
      strbuf_addc (&out, *p++);
    }
  strbuf_release (&pretty);
  return strbuf_detach (&out);
}
