/* The seccomp agent's pure parts: allow lists, the runtime's message, the
   id maps and /proc/TID/status.  No I/O except kago_agent_policy_load.  */
#include "agent/agent.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/xalloc.h"

#ifndef MS_MGC_MSK
#define MS_MGC_MSK 0xffff0000
#endif

/* A decimal number up to 2^32-1, the whole of [S, END).  */
static int
parse_u32 (const char *s, const char *end, uint32_t *out)
{
  if (s == end || end - s > 10)
    return -1;
  uint64_t v = 0;
  for (const char *c = s; c < end; c++)
    {
      if (*c < '0' || *c > '9')
        return -1;
      v = v * 10 + (uint64_t) (*c - '0');
    }
  if (v > UINT32_MAX)
    return -1;
  *out = (uint32_t) v;
  return 0;
}

/* One "c:MAJOR:MINOR" item of LEN bytes.  Majors are 12 bits and minors 20
   bits in the kernel's dev_t.  */
static int
parse_device (const char *s, size_t len, struct kago_agent_device *d)
{
  const char *end = s + len;
  if (len < 5 || (s[0] != 'c' && s[0] != 'b') || s[1] != ':')
    return -1;
  const char *colon = memchr (s + 2, ':', (size_t) (end - (s + 2)));
  if (colon == NULL)
    return -1;
  d->type = s[0];
  if (parse_u32 (s + 2, colon, &d->major) < 0 || parse_u32 (colon + 1, end, &d->minor) < 0)
    return -1;
  if (d->major > 0xfff || d->minor > 0xfffff)
    return -1;
  return 0;
}

/* Call ADD for each comma-separated item of LIST (empty items are errors). */
static int
for_each_item (const char *list, const char *what, int (*add) (void *, const char *, size_t), void *ctx,
               kago_error_t *err)
{
  if (list == NULL || list[0] == '\0')
    return kago_error_set (err, EINVAL, "%s: empty list", what);
  const char *s = list;
  for (;;)
    {
      const char *comma = strchrnul (s, ',');
      size_t len = (size_t) (comma - s);
      while (len && (s[0] == ' ' || s[0] == '\t'))
        s++, len--;
      while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
      if (len == 0 || add (ctx, s, len) < 0)
        return kago_error_set (err, EINVAL, "%s: invalid item \"%.*s\" in \"%s\"", what, (int) len, s, list);
      if (*comma == '\0')
        return 0;
      s = comma + 1;
    }
}

static int
add_device (void *ctx, const char *s, size_t len)
{
  struct kago_agent_policy *p = ctx;
  struct kago_agent_device d;
  if (parse_device (s, len, &d) < 0)
    return -1;
  if (kago_agent_policy_allows_device (p, d.type, d.major, d.minor))
    return 0;
  p->devices = xrealloc (p->devices, (p->n_devices + 1) * sizeof *p->devices);
  p->devices[p->n_devices++] = d;
  return 0;
}

static int
add_fstype (void *ctx, const char *s, size_t len)
{
  struct kago_agent_policy *p = ctx;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'
          || s[i] == '.'))
      return -1;
  cleanup_free char *t = xstrndup (s, len);
  if (kago_agent_policy_allows_fstype (p, t))
    return 0;
  p->fstypes = xrealloc (p->fstypes, (p->n_fstypes + 1) * sizeof *p->fstypes);
  p->fstypes[p->n_fstypes++] = steal_pointer (&t);
  return 0;
}

int
kago_agent_policy_add_devices (struct kago_agent_policy *p, const char *list, kago_error_t *err)
{
  return for_each_item (list, "allowed devices (TYPE:MAJOR:MINOR, TYPE c or b)", add_device, p, err);
}

int
kago_agent_policy_add_fstypes (struct kago_agent_policy *p, const char *list, kago_error_t *err)
{
  return for_each_item (list, "allowed filesystem types", add_fstype, p, err);
}

static int
add_json_list (struct kago_agent_policy *p, const json_value *v, const char *key,
               int (*add) (void *, const char *, size_t), kago_error_t *err)
{
  if (v->type != JSON_ARRAY)
    return kago_error_set (err, EINVAL, "%s: must be an array of strings", key);
  for (size_t i = 0; i < v->u.arr.len; i++)
    {
      const json_value *it = v->u.arr.items[i];
      if (it->type != JSON_STRING || it->u.str.len == 0 || strlen (it->u.str.s) != it->u.str.len
          || add (p, it->u.str.s, it->u.str.len) < 0)
        return kago_error_set (err, EINVAL, "%s[%zu]: invalid item", key, i);
    }
  return 0;
}

int
kago_agent_policy_load_text (struct kago_agent_policy *p, const char *text, size_t len, kago_error_t *err)
{
  json_value *root = json_parse (text, len, err);
  if (root == NULL)
    return -1;
  int r = 0;
  if (root->type != JSON_OBJECT)
    r = kago_error_set (err, EINVAL, "not a JSON object");
  for (size_t i = 0; r == 0 && i < json_object_len (root); i++)
    {
      const struct json_member *m = &root->u.obj.members[i];
      if (strcmp (m->key, "allowMknod") == 0)
        r = add_json_list (p, m->value, "allowMknod", add_device, err);
      else if (strcmp (m->key, "allowMount") == 0)
        r = add_json_list (p, m->value, "allowMount", add_fstype, err);
      else
        r = kago_error_set (err, EINVAL, "unknown member \"%s\" (known: allowMknod, allowMount)", m->key);
    }
  json_free (root);
  return r;
}

int
kago_agent_policy_load (struct kago_agent_policy *p, const char *path, kago_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file (path, &text, &len, err) < 0)
    return -1;
  if (kago_agent_policy_load_text (p, text, len, err) < 0)
    return kago_error_wrap (err, "--config `%s`", path);
  return 0;
}

bool
kago_agent_policy_allows_device (const struct kago_agent_policy *p, char type, uint32_t major, uint32_t minor)
{
  for (size_t i = 0; i < p->n_devices; i++)
    if (p->devices[i].type == type && p->devices[i].major == major && p->devices[i].minor == minor)
      return true;
  return false;
}

bool
kago_agent_policy_allows_fstype (const struct kago_agent_policy *p, const char *fstype)
{
  for (size_t i = 0; fstype && i < p->n_fstypes; i++)
    if (strcmp (p->fstypes[i], fstype) == 0)
      return true;
  return false;
}

void
kago_agent_policy_free (struct kago_agent_policy *p)
{
  free (p->devices);
  for (size_t i = 0; i < p->n_fstypes; i++)
    free (p->fstypes[i]);
  free (p->fstypes);
  memset (p, 0, sizeof *p);
}

void
kago_agent_decode_dev (uint64_t arg, uint32_t *major, uint32_t *minor)
{
  uint32_t dev = (uint32_t) arg;
  *major = (dev & 0xfff00) >> 8;
  *minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
}

int
kago_agent_mount_attrs (unsigned long flags, unsigned int *attrs, bool *rdonly, unsigned long *bad)
{
  static const struct
  {
    unsigned long ms;
    unsigned int attr;
  } map[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY },
    { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },
    { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { MS_NOATIME, MOUNT_ATTR_NOATIME },
    { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
    { MS_RELATIME, MOUNT_ATTR_RELATIME },
    { MS_STRICTATIME, MOUNT_ATTR_STRICTATIME },
    { MS_SILENT, 0 },
  };
  /* The old magic number in the high bits means nothing.  */
  if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
    flags &= ~(unsigned long) MS_MGC_MSK;
  *attrs = 0;
  *rdonly = false;
  *bad = 0;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (flags & map[i].ms)
      {
        *attrs |= map[i].attr;
        flags &= ~map[i].ms;
      }
  *rdonly = (*attrs & MOUNT_ATTR_RDONLY) != 0;
  if (flags)
    {
      *bad = flags;
      return -1;
    }
  return 0;
}

int
kago_agent_map_to_ns (const char *map, uint32_t outside, uint32_t *inside)
{
  const char *line = map;
  while (line && *line)
    {
      unsigned long long in, out, count;
      if (sscanf (line, "%llu %llu %llu", &in, &out, &count) == 3 && outside >= out && outside - out < count)
        {
          *inside = (uint32_t) (in + (outside - out));
          return 0;
        }
      line = strchr (line, '\n');
      if (line)
        line++;
    }
  return -1;
}

static const char *
status_field (const char *text, const char *name)
{
  size_t n = strlen (name);
  for (const char *l = text; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (strncmp (l, name, n) == 0 && l[n] == ':')
      return l + n + 1;
  return NULL;
}

int
kago_agent_parse_status (const char *text, struct kago_agent_creds *c, kago_error_t *err)
{
  memset (c, 0, sizeof *c);
  const char *uid = status_field (text, "Uid");
  const char *gid = status_field (text, "Gid");
  const char *cap = status_field (text, "CapEff");
  const char *um = status_field (text, "Umask");
  const char *groups = status_field (text, "Groups");
  unsigned long long r, e, s, fs, capv;
  unsigned int mask;
  if (uid == NULL || sscanf (uid, "%llu %llu %llu %llu", &r, &e, &s, &fs) != 4 || fs > UINT32_MAX)
    return kago_error_set (err, EINVAL, "status: no Uid line");
  c->fsuid = (uint32_t) fs;
  if (gid == NULL || sscanf (gid, "%llu %llu %llu %llu", &r, &e, &s, &fs) != 4 || fs > UINT32_MAX)
    return kago_error_set (err, EINVAL, "status: no Gid line");
  c->fsgid = (uint32_t) fs;
  if (cap == NULL || sscanf (cap, "%llx", &capv) != 1)
    return kago_error_set (err, EINVAL, "status: no CapEff line");
  c->cap_eff = capv;
  /* Umask appeared in Linux 4.7; without it assume the usual 022.  */
  c->umask = 022;
  if (um && sscanf (um, "%o", &mask) == 1)
    c->umask = mask & 0777;
  if (groups)
    {
      const char *p = groups;
      while (*p && *p != '\n')
        {
          char *end;
          while (*p == ' ' || *p == '\t')
            p++;
          if (*p == '\n' || *p == '\0')
            break;
          errno = 0;
          unsigned long long g = strtoull (p, &end, 10);
          if (end == p || errno || g > UINT32_MAX)
            return kago_error_set (err, EINVAL, "status: bad Groups line");
          if (c->n_groups == sizeof c->groups / sizeof c->groups[0])
            return kago_error_set (err, E2BIG, "status: more than %zu groups", c->n_groups);
          c->groups[c->n_groups++] = (uint32_t) g;
          p = end;
        }
    }
  return 0;
}

int
kago_agent_parse_hello (const char *text, size_t len, size_t n_fds, struct kago_agent_hello *h,
                        kago_error_t *err)
{
  memset (h, 0, sizeof *h);
  h->seccomp_fd_index = -1;
  json_value *root = json_parse (text, len, err);
  if (root == NULL)
    return kago_error_wrap (err, "container process state");
  int r = -1;
  const json_value *fds = json_object_get (root, "fds");
  const json_value *pid = json_object_get (root, "pid");
  const json_value *state = json_object_get (root, "state");
  const json_value *meta = json_object_get (root, "metadata");
  const json_value *ver = json_object_get (root, "ociVersion");
  int32_t pidv = 0;
  if (root->type != JSON_OBJECT)
    kago_error_set (err, EINVAL, "container process state: not a JSON object");
  else if (ver == NULL || json_get_string (ver) == NULL)
    kago_error_set (err, EINVAL, "container process state: ociVersion: required");
  else if (fds == NULL || fds->type != JSON_ARRAY)
    kago_error_set (err, EINVAL, "container process state: fds: required (an array)");
  else if (pid == NULL || json_get_int32 (pid, &pidv) < 0 || pidv <= 0)
    kago_error_set (err, EINVAL, "container process state: pid: required (a positive number)");
  else if (state == NULL || state->type != JSON_OBJECT)
    kago_error_set (err, EINVAL, "container process state: state: required (an object)");
  else if (meta && meta->type != JSON_STRING)
    kago_error_set (err, EINVAL, "container process state: metadata: must be a string");
  else if (json_array_len (fds) != n_fds)
    kago_error_set (err, EINVAL, "container process state: fds names %zu descriptors, %zu were sent",
                    json_array_len (fds), n_fds);
  else
    {
      for (size_t i = 0; i < json_array_len (fds); i++)
        {
          const char *name = json_get_string (json_array_at (fds, i));
          if (name && strcmp (name, "seccompFd") == 0)
            h->seccomp_fd_index = (int) i;
        }
      const char *id = json_get_string (json_object_get (state, "id"));
      if (h->seccomp_fd_index < 0)
        kago_error_set (err, EINVAL, "container process state: fds: no \"seccompFd\"");
      else
        {
          h->pid = (pid_t) pidv;
          h->id = xstrdup (id ? id : "");
          h->metadata = meta ? xstrdup (json_get_string (meta)) : NULL;
          r = 0;
        }
    }
  json_free (root);
  return r;
}

void
kago_agent_hello_clear (struct kago_agent_hello *h)
{
  free (h->id);
  free (h->metadata);
  h->id = h->metadata = NULL;
}
