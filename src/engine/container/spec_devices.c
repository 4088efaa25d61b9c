/* Devices as docker gives them:
   - unprivileged: the runtime's default nodes (null, zero, full, random,
     urandom, tty, console, ptmx, ...), the device cgroup denying
     everything but docker's list (c *:* m, b *:* m, c 1:3, 1:5, 1:7, 1:8,
     1:9, 5:0, 5:1, 5:2, 10:200, 136:* rwm), plus each --device (its node
     and a rule with its permissions) and each --device-cgroup-rule;
   - --privileged: every device node of the host's /dev in the container's
     /dev, and the device cgroup allowing everything.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/container/spec_internal.h"

static json_value *
rule (bool allow, const char *type, int64_t major, int64_t minor, const char *access)
{
  json_value *r = json_object_new ();
  json_object_set (r, "allow", json_bool_new (allow));
  if (type)
    json_object_set (r, "type", json_string_new (type));
  if (major >= 0)
    json_object_set (r, "major", json_int_new (major));
  if (minor >= 0)
    json_object_set (r, "minor", json_int_new (minor));
  json_object_set (r, "access", json_string_new (access));
  return r;
}

static json_value *
device_json (const char *cpath, const struct stat *st)
{
  json_value *d = json_object_new ();
  json_object_set (d, "path", json_string_new (cpath));
  json_object_set (d, "type", json_string_new (S_ISBLK (st->st_mode) ? "b" : "c"));
  json_object_set (d, "major", json_int_new (major (st->st_rdev)));
  json_object_set (d, "minor", json_int_new (minor (st->st_rdev)));
  json_object_set (d, "fileMode", json_int_new (st->st_mode & 0777));
  json_object_set (d, "uid", json_uint_new (st->st_uid));
  json_object_set (d, "gid", json_uint_new (st->st_gid));
  return d;
}

static bool
has_path (const json_value *arr, const char *cpath)
{
  for (size_t i = 0; i < json_array_len (arr); i++)
    {
      const char *p = json_get_string (json_object_get (json_array_at (arr, i), "path"));
      if (p && strcmp (p, cpath) == 0)
        return true;
    }
  return false;
}

/* One device node (or a directory of them, walked).  */
static int
add_path (const char *host, const char *cpath, const char *perms, bool top, json_value *arr, json_value *rules,
          kago_error_t *err)
{
  struct stat st;
  if (lstat (host, &st) < 0 || (S_ISLNK (st.st_mode) && stat (host, &st) < 0))
    {
      if (!top)
        return 0;
      return kago_error_set (err, errno, "error gathering device information while adding custom device \"%s\"",
                             host);
    }
  if (S_ISDIR (st.st_mode))
    {
      if (!top)
        {
          const char *base = strrchr (host, '/');
          base = base ? base + 1 : host;
          static const char *const skip[] = { "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev" };
          for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
            if (strcmp (base, skip[i]) == 0)
              return 0;
        }
      return spec_host_devices (host, cpath, perms, arr, rules, err);
    }
  if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
    {
      if (!top)
        return 0;
      return kago_error_set (err, 0, "error gathering device information while adding custom device \"%s\": not a "
                                     "device node",
                             host);
    }
  if (has_path (arr, cpath))
    return 0;
  json_array_append (arr, device_json (cpath, &st));
  if (rules)
    json_array_append (rules, rule (true, S_ISBLK (st.st_mode) ? "b" : "c", major (st.st_rdev), minor (st.st_rdev),
                                    perms));
  return 0;
}

int
spec_host_devices (const char *dir, const char *cpath, const char *perms, json_value *arr, json_value *rules,
                   kago_error_t *err)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    return kago_error_set (err, errno, "open %s", dir);
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir (d)))
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      cleanup_free char *hp = xasprintf ("%s/%s", dir, e->d_name);
      cleanup_free char *cp = xasprintf ("%s/%s", strcmp (cpath, "/") ? cpath : "", e->d_name);
      struct stat st;
      if (lstat (hp, &st) < 0 || S_ISLNK (st.st_mode))
        continue;
      if (strcmp (hp, "/dev/console") == 0)
        continue;
      rc = add_path (hp, cp, perms, false, arr, rules, err);
    }
  closedir (d);
  return rc;
}

/* "c 1:3 rwm" -> a rule.  */
static json_value *
parse_rule (const char *r)
{
  char type[2] = { r[0], 0 };
  const char *p = r + 2;
  int64_t ma = -1, mi = -1;
  if (*p == '*')
    p++;
  else
    ma = strtoll (p, (char **) &p, 10);
  p++; /* ':' */
  if (*p == '*')
    p++;
  else
    mi = strtoll (p, (char **) &p, 10);
  p++; /* ' ' */
  return rule (true, type[0] == 'a' ? "a" : type, ma, mi, p);
}

int
spec_devices (struct spec_ctx *c, kago_error_t *err)
{
  const struct kago_run_opts *o = c->o;
  json_value *devices = json_array_new ();
  json_object_set (c->linux_, "devices", devices);
  c->resources = json_object_new ();
  json_object_set (c->linux_, "resources", c->resources);
  json_value *rules = json_array_new ();
  json_object_set (c->resources, "devices", rules);
  if (o->privileged)
    {
      json_array_append (rules, rule (true, NULL, -1, -1, "rwm"));
      if (spec_host_devices ("/dev", "/dev", "rwm", devices, NULL, err) < 0)
        return -1;
    }
  else
    {
      static const char *const defaults[] = { "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm",
                                              "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
                                              "c 5:1 rwm", "c 5:2 rwm", "c 10:200 rwm", "c 136:* rwm" };
      json_array_append (rules, rule (false, NULL, -1, -1, "rwm"));
      for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        json_array_append (rules, parse_rule (defaults[i]));
    }
  for (size_t i = 0; i < o->ndevices; i++)
    if (add_path (o->devices[i].host, o->devices[i].container, o->devices[i].perms, true, devices,
                  o->privileged ? NULL : rules, err)
        < 0)
      return -1;
  if (!o->privileged)
    for (size_t i = 0; i < o->device_cgroup_rules.n; i++)
      json_array_append (rules, parse_rule (o->device_cgroup_rules.v[i]));
  return 0;
}
