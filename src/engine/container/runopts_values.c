/* One parser per value syntax of docker's run/create/update flags, with
   docker's error texts (docker/cli opts, go-units, moby's daemon checks).  */
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "engine/container/runopts_internal.h"
#include "engine/container/units.h"
#include "runtime/process_attrs.h"

static const char *const ulimit_names[] = { "core",   "cpu",   "data",    "fsize",    "locks",
                                            "memlock", "msgqueue", "nice", "nofile",  "nproc",
                                            "rss",    "rtprio", "rttime", "sigpending", "stack" };

int
ro_parse_ulimit (const char *v, struct kago_ulimit *u, kago_error_t *err)
{
  const char *eq = strchr (v, '=');
  if (eq == NULL)
    return kago_error_set (err, 0, "invalid ulimit argument: %s", v);
  cleanup_free char *name = xstrndup (v, (size_t) (eq - v));
  bool known = false;
  for (size_t i = 0; i < sizeof ulimit_names / sizeof ulimit_names[0]; i++)
    known |= strcmp (name, ulimit_names[i]) == 0;
  if (!known)
    return kago_error_set (err, 0, "invalid ulimit type: %s", name);
  const char *vals = eq + 1;
  const char *colon = strchr (vals, ':');
  if (colon && strchr (colon + 1, ':'))
    return kago_error_set (err, 0, "too many limit value arguments - %s, can only have up to two, `soft[:hard]`",
                           vals);
  int64_t soft, hard;
  cleanup_free char *softs = colon ? xstrndup (vals, (size_t) (colon - vals)) : xstrdup (vals);
  if (colon && kago_go_parse_int (colon + 1, 10, 64, &hard, err) < 0)
    return -1;
  if (kago_go_parse_int (softs, 10, 64, &soft, err) < 0)
    return -1;
  if (!colon)
    hard = soft;
  if (hard != -1 && soft > hard)
    return kago_error_set (err, 0, "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
                           (long long) soft, (long long) hard);
  u->name = steal_pointer (&name);
  u->soft = soft;
  u->hard = hard;
  return 0;
}

static bool
valid_device_mode (const char *m)
{
  static const char modes[] = "rwm";
  bool seen[3] = { false, false, false };
  if (*m == '\0')
    return false;
  for (; *m; m++)
    {
      const char *p = strchr (modes, *m);
      if (p == NULL || seen[p - modes])
        return false;
      seen[p - modes] = true;
    }
  return true;
}

static char *
clean_path (const char *p)
{
  /* path.Clean for absolute and relative paths.  */
  bool abs = p[0] == '/';
  cleanup_free char *copy = xstrdup (p);
  char **parts = xcalloc (strlen (p) + 1, sizeof *parts);
  size_t n = 0;
  char *save = NULL;
  for (char *t = strtok_r (copy, "/", &save); t; t = strtok_r (NULL, "/", &save))
    {
      if (strcmp (t, ".") == 0)
        continue;
      if (strcmp (t, "..") == 0)
        {
          if (n > 0 && strcmp (parts[n - 1], "..") != 0)
            n--;
          else if (!abs)
            parts[n++] = t;
          continue;
        }
      parts[n++] = t;
    }
  strbuf sb = STRBUF_INIT;
  if (abs)
    strbuf_addc (&sb, '/');
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        strbuf_addc (&sb, '/');
      strbuf_adds (&sb, parts[i]);
    }
  free (parts);
  if (sb.len == 0)
    strbuf_addc (&sb, '.');
  return strbuf_detach (&sb);
}

int
ro_parse_device (const char *v, struct kago_device_map *d, kago_error_t *err)
{
  /* docker's validateLinuxPath, then parseLinuxDevice.  */
  size_t colons = 0;
  for (const char *p = v; *p; p++)
    colons += *p == ':';
  if (colons > 2 || v[0] == '\0' || v[0] == ':')
    return kago_error_set (err, 0, "bad format for path: %s", v);
  cleanup_free char *copy = xstrdup (v);
  char *parts[3] = { copy, NULL, NULL };
  size_t n = 1;
  for (char *p = copy; *p; p++)
    if (*p == ':')
      {
        *p = '\0';
        parts[n++] = p + 1;
      }
  const char *cpath = parts[0], *mode = "rwm";
  const char *host = parts[0];
  if (n == 2)
    {
      if (valid_device_mode (parts[1]))
        mode = parts[1];
      else
        cpath = parts[1];
    }
  else if (n == 3)
    {
      cpath = parts[1];
      mode = parts[2];
      if (!valid_device_mode (mode))
        return kago_error_set (err, 0, "bad mode specified: %s", mode);
    }
  if (cpath[0] != '/')
    return kago_error_set (err, 0, "%s is not an absolute path", cpath);
  d->host = xstrdup (host);
  d->container = clean_path (cpath);
  d->perms = xstrdup (mode);
  return 0;
}

int
ro_validate_device_cgroup_rule (const char *v, kago_error_t *err)
{
  /* ^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$ */
  const char *p = v;
  if (!strchr ("acb", *p) || *p == '\0' || p[1] != ' ')
    goto bad;
  p += 2;
  for (int k = 0; k < 2; k++)
    {
      if (*p == '*')
        p++;
      else if (isdigit ((unsigned char) *p))
        while (isdigit ((unsigned char) *p))
          p++;
      else
        goto bad;
      if (*p != (k == 0 ? ':' : ' '))
        goto bad;
      p++;
    }
  size_t len = strlen (p);
  if (len < 1 || len > 3 || strspn (p, "rwm") != len)
    goto bad;
  return 0;
bad:
  return kago_error_set (err, 0, "invalid device cgroup format '%s'", v);
}

static int
split_dev (const char *v, char **path, const char **value, kago_error_t *err)
{
  const char *c = strchr (v, ':');
  if (c == NULL || c == v)
    return kago_error_set (err, 0, "bad format: %s", v);
  if (strncmp (v, "/dev/", 5) != 0)
    return kago_error_set (err, 0, "bad format for device path: %s", v);
  *path = xstrndup (v, (size_t) (c - v));
  *value = c + 1;
  return 0;
}

int
ro_parse_weight_device (const char *v, struct kago_dev_value *d, kago_error_t *err)
{
  char *path = NULL;
  const char *val = NULL;
  if (split_dev (v, &path, &val, err) < 0)
    return -1;
  uint64_t w;
  kago_error_t e = NULL;
  if (kago_go_parse_uint (val, 10, 16, &w, &e) < 0 || (w > 0 && (w < 10 || w > 1000)))
    {
      kago_error_release (&e);
      free (path);
      return kago_error_set (err, 0, "invalid weight for device: %s", v);
    }
  d->path = path;
  d->value = w;
  return 0;
}

int
ro_parse_bps_device (const char *v, struct kago_dev_value *d, kago_error_t *err)
{
  char *path = NULL;
  const char *val = NULL;
  if (split_dev (v, &path, &val, err) < 0)
    return -1;
  int64_t rate;
  kago_error_t e = NULL;
  if (kago_ram_in_bytes (val, &rate, &e) < 0 || rate < 0)
    {
      kago_error_release (&e);
      free (path);
      return kago_error_set (err, 0,
                             "invalid rate for device: %s. The correct format is <device-path>:<number>[<unit>]. "
                             "Number must be a positive integer. Unit is optional and can be kb, mb, or gb",
                             v);
    }
  d->path = path;
  d->value = (uint64_t) rate;
  return 0;
}

int
ro_parse_iops_device (const char *v, struct kago_dev_value *d, kago_error_t *err)
{
  char *path = NULL;
  const char *val = NULL;
  if (split_dev (v, &path, &val, err) < 0)
    return -1;
  uint64_t rate;
  kago_error_t e = NULL;
  if (kago_go_parse_uint (val, 10, 64, &rate, &e) < 0)
    {
      kago_error_release (&e);
      free (path);
      return kago_error_set (err, 0,
                             "invalid rate for device: %s. The correct format is <device-path>:<number>. "
                             "Number must be a positive integer",
                             v);
    }
  d->path = path;
  d->value = rate;
  return 0;
}

void
ro_mount_opt_clear (struct kago_mount_opt *m)
{
  free (m->source);
  free (m->target);
  free (m->propagation);
  free (m->raw);
  memset (m, 0, sizeof *m);
}

/* encoding/csv for one record: fields split at ',', a field may be quoted
   with '"' ("" inside is a quote).  */
static int
csv_fields (const char *v, struct kago_strv *out, kago_error_t *err)
{
  const char *p = v;
  while (1)
    {
      strbuf f = STRBUF_INIT;
      if (*p == '"')
        {
          p++;
          while (1)
            {
              if (*p == '\0')
                {
                  strbuf_release (&f);
                  return kago_error_set (err, 0, "parse error on line 1, column %zu: extraneous or missing \" in quoted-field",
                                         strlen (v));
                }
              if (*p == '"' && p[1] == '"')
                {
                  strbuf_addc (&f, '"');
                  p += 2;
                  continue;
                }
              if (*p == '"')
                {
                  p++;
                  break;
                }
              strbuf_addc (&f, *p++);
            }
        }
      while (*p && *p != ',')
        strbuf_addc (&f, *p++);
      kago_strv_push_take (out, strbuf_detach (&f));
      if (*p == '\0')
        break;
      p++;
    }
  return 0;
}

static bool
valid_propagation (const char *p)
{
  static const char *const v[] = { "private", "rprivate", "shared", "rshared", "slave", "rslave" };
  for (size_t i = 0; i < 6; i++)
    if (strcmp (p, v[i]) == 0)
      return true;
  return false;
}

int
ro_parse_mount (const char *v, struct kago_mount_opt *m, kago_error_t *err)
{
  memset (m, 0, sizeof *m);
  m->type = KAGO_MOUNT_VOLUME; /* docker's default */
  struct kago_strv fields = { 0 };
  if (csv_fields (v, &fields, err) < 0)
    return -1;
  bool has_bind = false, has_volume = false, has_tmpfs = false;
  int rc = 0;
  for (size_t i = 0; i < fields.n && rc == 0; i++)
    {
      const char *f = fields.v[i];
      const char *eq = strchr (f, '=');
      cleanup_free char *key = eq ? xstrndup (f, (size_t) (eq - f)) : xstrdup (f);
      for (char *k = key; *k; k++)
        *k = (char) tolower ((unsigned char) *k);
      const char *val = eq ? eq + 1 : NULL;
      bool b;
      if (val == NULL)
        {
          if (strcmp (key, "readonly") == 0 || strcmp (key, "ro") == 0)
            m->readonly = true;
          else if (strcmp (key, "volume-nocopy") == 0)
            m->nocopy = true, has_volume = true;
          else if (strcmp (key, "bind-nonrecursive") == 0)
            m->bind_nonrecursive = true, has_bind = true;
          else
            rc = kago_error_set (err, 0, "invalid field '%s' must be a key=value pair", f);
          continue;
        }
      if (strcmp (key, "type") == 0)
        {
          if (strcasecmp (val, "bind") == 0)
            m->type = KAGO_MOUNT_BIND;
          else if (strcasecmp (val, "volume") == 0)
            m->type = KAGO_MOUNT_VOLUME;
          else if (strcasecmp (val, "tmpfs") == 0)
            m->type = KAGO_MOUNT_TMPFS;
          else
            rc = kago_error_set (err, 0, "invalid mount type \"%s\" (bind, volume and tmpfs are supported)", val);
        }
      else if (strcmp (key, "source") == 0 || strcmp (key, "src") == 0)
        {
          free (m->source);
          m->source = xstrdup (val);
        }
      else if (strcmp (key, "target") == 0 || strcmp (key, "dst") == 0 || strcmp (key, "destination") == 0)
        {
          free (m->target);
          m->target = xstrdup (val);
        }
      else if (strcmp (key, "readonly") == 0 || strcmp (key, "ro") == 0)
        {
          kago_error_t e = NULL;
          if (kago_go_parse_bool (val, &m->readonly, &e) < 0)
            {
              kago_error_release (&e);
              rc = kago_error_set (err, 0, "invalid value for %s: %s", key, val);
            }
        }
      else if (strcmp (key, "volume-nocopy") == 0 || strcmp (key, "bind-nonrecursive") == 0)
        {
          kago_error_t e = NULL;
          if (kago_go_parse_bool (val, &b, &e) < 0)
            {
              kago_error_release (&e);
              rc = kago_error_set (err, 0, "invalid value for %s: %s", key, val);
            }
          else if (key[0] == 'v')
            m->nocopy = b, has_volume = true;
          else
            m->bind_nonrecursive = b, has_bind = true;
        }
      else if (strcmp (key, "bind-propagation") == 0)
        {
          has_bind = true;
          if (!valid_propagation (val))
            rc = kago_error_set (err, 0, "invalid propagation mode: %s", val);
          free (m->propagation);
          m->propagation = xstrdup (val);
        }
      else if (strcmp (key, "tmpfs-size") == 0)
        {
          has_tmpfs = true;
          kago_error_t e = NULL;
          if (kago_ram_in_bytes (val, &m->tmpfs_size, &e) < 0)
            {
              kago_error_release (&e);
              rc = kago_error_set (err, 0, "invalid value for %s: %s", key, val);
            }
        }
      else if (strcmp (key, "tmpfs-mode") == 0)
        {
          has_tmpfs = true;
          uint64_t mode;
          kago_error_t e = NULL;
          if (kago_go_parse_uint (val, 8, 32, &mode, &e) < 0)
            {
              kago_error_release (&e);
              rc = kago_error_set (err, 0, "invalid value for %s: %s", key, val);
            }
          m->tmpfs_mode = (uint32_t) mode;
        }
      else if (strcmp (key, "volume-driver") == 0)
        {
          has_volume = true;
          if (strcmp (val, "local") != 0)
            rc = kago_error_set (err, 0, "volume driver \"%s\" is not supported (only \"local\" is)", val);
        }
      else if (strcmp (key, "consistency") == 0)
        {
          if (strcmp (val, "default") && strcmp (val, "consistent") && strcmp (val, "cached")
              && strcmp (val, "delegated"))
            rc = kago_error_set (err, 0, "invalid consistency mode: %s", val);
        }
      else if (strcmp (key, "volume-label") == 0 || strcmp (key, "volume-opt") == 0)
        rc = kago_error_set (err, 0, "%s is not supported: kago's volumes are plain directories", key);
      else
        rc = kago_error_set (err, 0, "unexpected key '%s' in '%s'", key, f);
    }
  kago_strv_clear (&fields);
  static const char *const tname[] = { "bind", "volume", "tmpfs" };
  if (rc == 0 && (m->target == NULL || m->target[0] == '\0'))
    rc = kago_error_set (err, 0, "target is required");
  else if (rc == 0 && has_volume && m->type != KAGO_MOUNT_VOLUME)
    rc = kago_error_set (err, 0, "cannot mix 'volume-*' options with mount type '%s'", tname[m->type]);
  else if (rc == 0 && has_bind && m->type != KAGO_MOUNT_BIND)
    rc = kago_error_set (err, 0, "cannot mix 'bind-*' options with mount type '%s'", tname[m->type]);
  else if (rc == 0 && has_tmpfs && m->type != KAGO_MOUNT_TMPFS)
    rc = kago_error_set (err, 0, "cannot mix 'tmpfs-*' options with mount type '%s'", tname[m->type]);
  if (rc < 0)
    {
      ro_mount_opt_clear (m);
      return -1;
    }
  m->raw = xstrdup (v);
  return 0;
}

int
ro_parse_restart (const char *v, struct kago_restart_policy *r, kago_error_t *err)
{
  const char *c = strchr (v, ':');
  if (c == v)
    return kago_error_set (err, 0, "invalid restart policy format: no policy provided before colon");
  r->max_retries = 0;
  if (c && c[1])
    {
      int64_t n;
      kago_error_t e = NULL;
      if (kago_go_parse_int (c + 1, 10, 64, &n, &e) < 0)
        {
          kago_error_release (&e);
          return kago_error_set (err, 0, "invalid restart policy format: maximum retry count must be an integer");
        }
      r->max_retries = (int) n;
    }
  r->name = c ? xstrndup (v, (size_t) (c - v)) : xstrdup (v);
  return 0;
}

int
ro_validate_restart (const struct kago_restart_policy *r, kago_error_t *err)
{
  const char *n = r->name ? r->name : "";
  if (strcmp (n, "always") == 0 || strcmp (n, "unless-stopped") == 0 || strcmp (n, "no") == 0)
    {
      if (r->max_retries != 0)
        return kago_error_set (err, 0, "invalid restart policy: maximum retry count can only be used with 'on-failure'%s",
                               r->max_retries < 0 ? " and cannot be negative" : "");
      return 0;
    }
  if (strcmp (n, "on-failure") == 0)
    {
      if (r->max_retries < 0)
        return kago_error_set (err, 0, "invalid restart policy: maximum retry count cannot be negative");
      return 0;
    }
  if (n[0] == '\0')
    return 0;
  return kago_error_set (err, 0,
                         "invalid restart policy: unknown policy '%s'; use one of 'no', 'always', 'on-failure', or "
                         "'unless-stopped'",
                         n);
}

int
ro_validate_env (const char *v, char **out, kago_error_t *err)
{
  const char *eq = strchr (v, '=');
  if (v[0] == '\0' || eq == v)
    return kago_error_set (err, 0, "invalid environment variable: %s", v);
  if (eq)
    return *out = xstrdup (v), 0;
  const char *val = getenv (v);
  *out = val ? xasprintf ("%s=%s", v, val) : xstrdup (v);
  return 0;
}

int
ro_read_kv_file (const char *path, bool env_lookup, struct kago_strv *out, kago_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len;
  if (read_file (path, &data, &len, err) < 0)
    return -1;
  if (memchr (data, '\0', len))
    return kago_error_set (err, 0, "%s contains invalid utf8 bytes", path);
  char *p = data;
  if (len >= 3 && (unsigned char) p[0] == 0xef && (unsigned char) p[1] == 0xbb && (unsigned char) p[2] == 0xbf)
    p += 3;
  int lineno = 0;
  while (p && *p)
    {
      char *nl = strchr (p, '\n');
      if (nl)
        *nl = '\0';
      lineno++;
      char *line = p;
      p = nl ? nl + 1 : NULL;
      size_t l = strlen (line);
      if (l && line[l - 1] == '\r')
        line[--l] = '\0';
      while (*line == ' ' || *line == '\t')
        line++;
      if (*line == '\0' || *line == '#')
        continue;
      char *eq = strchr (line, '=');
      cleanup_free char *key = eq ? xstrndup (line, (size_t) (eq - line)) : xstrdup (line);
      if (key[0] == '\0')
        return kago_error_set (err, 0, "no variable name on line '%s'", line);
      /* docker: the variable name may not contain whitespace */
      size_t kl = strlen (key);
      while (kl && (key[kl - 1] == ' ' || key[kl - 1] == '\t'))
        key[--kl] = '\0';
      if (strpbrk (key, " \t"))
        return kago_error_set (err, 0, "variable '%s' contains whitespaces", key);
      if (eq)
        kago_strv_push_take (out, xasprintf ("%s=%s", key, eq + 1));
      else if (env_lookup && getenv (key))
        kago_strv_push_take (out, xasprintf ("%s=%s", key, getenv (key)));
      else
        kago_strv_push (out, key);
    }
  return 0;
}

int
ro_parse_security_opt (const char *v, char **stored, kago_error_t *err)
{
  const char *sep = strchr (v, '=');
  bool nnp = strcmp (v, "no-new-privileges") == 0;
  if (sep == NULL && !nnp)
    sep = strchr (v, ':');
  if (!nnp && strcmp (v, "disable") != 0 && (sep == NULL || sep[1] == '\0'))
    return kago_error_set (err, 0, "Invalid --security-opt: \"%s\"", v);
  if (nnp || sep == NULL)
    return *stored = xstrdup (v), 0;
  cleanup_free char *key = xstrndup (v, (size_t) (sep - v));
  const char *val = sep + 1;
  if (strcmp (key, "seccomp") == 0)
    {
      if (strcmp (val, "unconfined") == 0 || strcmp (val, "builtin") == 0)
        return *stored = xasprintf ("seccomp=%s", val), 0;
      kago_error_t e = NULL;
      cleanup_free char *data = NULL;
      size_t len;
      if (read_file (val, &data, &len, &e) < 0)
        {
          cleanup_free char *m = kago_error_string (e);
          kago_error_release (&e);
          return kago_error_set (err, 0, "opening seccomp profile (%s) failed: %s", val, m);
        }
      json_value *j = json_parse (data, len, &e);
      if (j == NULL)
        {
          cleanup_free char *m = kago_error_string (e);
          kago_error_release (&e);
          return kago_error_set (err, 0, "compacting json for seccomp profile (%s) failed: %s", val, m);
        }
      cleanup_free char *compact = json_to_string (j, false);
      json_free (j);
      return *stored = xasprintf ("seccomp=%s", compact), 0;
    }
  if (strcmp (key, "label") && strcmp (key, "apparmor") && strcmp (key, "no-new-privileges")
      && strcmp (key, "systempaths") && strcmp (key, "writable-cgroups"))
    return kago_error_set (err, 0, "invalid --security-opt 2: \"%s\"", v);
  if (strcmp (key, "no-new-privileges") == 0 || strcmp (key, "writable-cgroups") == 0)
    {
      bool b;
      kago_error_t e = NULL;
      if (kago_go_parse_bool (val, &b, &e) < 0)
        {
          kago_error_release (&e);
          return kago_error_set (err, 0, "invalid --security-opt 2: \"%s\"", v);
        }
    }
  if (strcmp (key, "systempaths") == 0 && strcmp (val, "unconfined") != 0)
    return kago_error_set (err, 0, "invalid --security-opt 2: \"%s\"", v);
  *stored = xstrdup (v);
  return 0;
}

int
ro_validate_sysctl (const char *v, kago_error_t *err)
{
  static const char *const ok[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",  "kernel.sem",
                                    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced" };
  const char *eq = strchr (v, '=');
  if (eq == NULL || eq == v)
    return kago_error_set (err, 0, "sysctl '%s' is not allowed", v);
  size_t kl = (size_t) (eq - v);
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if (strlen (ok[i]) == kl && strncmp (v, ok[i], kl) == 0)
      return 0;
  if (strncmp (v, "net.", 4) == 0 || strncmp (v, "fs.mqueue.", 10) == 0)
    return 0;
  return kago_error_set (err, 0, "sysctl '%s' is not allowed", v);
}

int
ro_normalize_cap (const char *v, char **out, int *num, kago_error_t *err)
{
  cleanup_free char *up = xstrdup (v);
  for (char *p = up; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  if (strcmp (up, "ALL") == 0)
    {
      *num = -1;
      *out = steal_pointer (&up);
      return 0;
    }
  char *n = strncmp (up, "CAP_", 4) == 0 ? xstrdup (up) : xasprintf ("CAP_%s", up);
  int c = kago_cap_from_name (n);
  if (c < 0)
    {
      kago_error_set (err, 0, "unknown capability: \"%s\"", n);
      free (n);
      return -1;
    }
  *num = c;
  *out = n;
  return 0;
}

int
ro_num_cpus (void)
{
  cpu_set_t set;
  if (sched_getaffinity (0, sizeof set, &set) == 0)
    return CPU_COUNT (&set);
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int) n : 1;
}

/* The host's online CPUs / memory nodes as a list ("0-3"), for messages,
   and the highest one.  */
static int
online_max (const char *file, char **list)
{
  cleanup_free char *data = NULL;
  size_t len;
  kago_error_t e = NULL;
  if (read_file (file, &data, &len, &e) < 0)
    {
      kago_error_release (&e);
      *list = xstrdup ("0");
      return 0;
    }
  while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
    data[--len] = '\0';
  int max = 0;
  for (char *p = data; *p;)
    {
      if (isdigit ((unsigned char) *p))
        {
          long x = strtol (p, &p, 10);
          if (x > max)
            max = (int) x;
        }
      else
        p++;
    }
  *list = steal_pointer (&data);
  return max;
}

int
ro_check_resources (const struct ro_resources *r, kago_error_t *err)
{
  const int64_t min_memory = 6 * 1024 * 1024;
  if (r->memory != 0 && r->memory < min_memory)
    return kago_error_set (err, 0, "Minimum memory limit allowed is 6MB");
  if (r->memory > 0 && r->memory_swap > 0 && r->memory_swap < r->memory)
    return kago_error_set (err, 0, "Minimum memoryswap limit should be larger than memory limit, see usage");
  if (r->memory == 0 && r->memory_swap > 0 && !r->update)
    return kago_error_set (err, 0, "You should always set the Memory limit when using Memoryswap limit, see usage");
  if (r->memory_reservation > 0 && r->memory_reservation < min_memory)
    return kago_error_set (err, 0, "Minimum memory reservation allowed is 6MB");
  if (r->memory > 0 && r->memory_reservation > 0 && r->memory < r->memory_reservation)
    return kago_error_set (err, 0, "Minimum memory limit can not be less than memory reservation limit, see usage");
  if (r->kernel_memory > 0 && r->kernel_memory < 4 * 1024 * 1024)
    return kago_error_set (err, 0, "Minimum kernel memory limit allowed is 4MB");
  if (r->nano_cpus > 0 && r->cpu_period > 0)
    return kago_error_set (err, 0, "Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (r->nano_cpus > 0 && r->cpu_quota > 0)
    return kago_error_set (err, 0, "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  int ncpu = ro_num_cpus ();
  if (r->nano_cpus < 0 || r->nano_cpus > (int64_t) ncpu * 1000000000)
    return kago_error_set (err, 0, "Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", ncpu,
                           ncpu);
  if (r->cpu_period != 0 && (r->cpu_period < 1000 || r->cpu_period > 1000000))
    return kago_error_set (err, 0,
                           "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  if (r->cpu_quota > 0 && r->cpu_quota < 1000)
    return kago_error_set (err, 0, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if (r->cpu_rt_period > 0 && r->cpu_rt_runtime > r->cpu_rt_period)
    return kago_error_set (err, 0, "cpu-rt-runtime cannot be higher than cpu-rt-period");
  const char *files[2] = { "/sys/devices/system/cpu/online", "/sys/devices/system/node/online" };
  const char *vals[2] = { r->cpuset_cpus, r->cpuset_mems };
  const char *what[2] = { "cpus", "mems" };
  for (int k = 0; k < 2; k++)
    {
      if (vals[k] == NULL || vals[k][0] == '\0')
        continue;
      cleanup_free char *list = NULL;
      int max = online_max (files[k], &list);
      kago_error_t e = NULL;
      int rc = kago_parse_cpuset (vals[k], max, &e);
      if (rc < 0)
        {
          cleanup_free char *m = kago_error_string (e);
          kago_error_release (&e);
          return kago_error_set (err, 0, "Invalid value %s for cpuset %s: %s", vals[k], what[k], m);
        }
      if (rc > 0)
        return kago_error_set (err, 0, "Requested %s are not available - requested %s, available: %s",
                               k == 0 ? "CPUs" : "memory nodes", vals[k], list);
    }
  if (r->blkio_weight > 0 && (r->blkio_weight < 10 || r->blkio_weight > 1000))
    return kago_error_set (err, 0, "Range of blkio weight is from 10 to 1000");
  return 0;
}

int
ro_parse_expose (const char *v, long *first, long *last, const char **proto, kago_error_t *err)
{
  const char *slash = strchr (v, '/');
  *proto = slash ? slash + 1 : "tcp";
  cleanup_free char *range = slash ? xstrndup (v, (size_t) (slash - v)) : xstrdup (v);
  char *dash = strchr (range, '-');
  char *end1 = NULL, *end2 = NULL;
  long a = strtol (range, &end1, 10), b = a;
  if (dash)
    b = strtol (dash + 1, &end2, 10);
  bool bad = range[0] < '0' || range[0] > '9' || (dash ? end1 != dash || end2 == dash + 1 || *end2 : *end1) || a < 1
             || b > 65535 || b < a;
  if (bad || (strcmp (*proto, "tcp") && strcmp (*proto, "udp") && strcmp (*proto, "sctp")))
    return kago_error_set (err, 0, "invalid range format for --expose: %s", v);
  *first = a;
  *last = b;
  return 0;
}
