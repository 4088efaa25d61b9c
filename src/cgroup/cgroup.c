/* The cgroup manager: path resolution, create, enter, pids, kill, destroy.
 *
 * kago_cgroup_create() makes the container's directory in every hierarchy of
 * the layout (every v1 hierarchy, plus the unified one on hybrid as runc
 * does; only the unified one on v2) and remembers how many trailing path
 * components it created itself, so that destroy (and the cleanup after a
 * failed create) removes exactly those and never a pre-existing parent.
 */
#include "cgroup/internal.h"

#include <dirent.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

/* ---------------------------------------------------------------- files */

char *
cg_join (const char *dir, const char *file)
{
  size_t n = strlen (dir);
  if (n && dir[n - 1] == '/')
    return xasprintf ("%s%s", dir, file);
  return xasprintf ("%s/%s", dir, file);
}

bool
cg_has_file (const char *dir, const char *file)
{
  cleanup_free char *p = cg_join (dir, file);
  return access (p, F_OK) == 0;
}

int
cg_write (const char *dir, const char *file, const char *value, kago_error_t *err)
{
  cleanup_free char *p = cg_join (dir, file);
  /* O_TRUNC as runc does: cgroup files ignore it, plain files (tests) then
     hold the last value like a cgroup file.  */
  cleanup_close int fd = open (p, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "write `%s` to `%s`", value, p);
  size_t len = strlen (value);
  ssize_t w;
  do
    w = write (fd, value, len);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return kago_error_set (err, errno, "write `%s` to `%s`", value, p);
  if ((size_t) w != len)
    return kago_error_set (err, EIO, "write `%s` to `%s`: short write", value, p);
  return 0;
}

int
cg_read (const char *dir, const char *file, char **out, kago_error_t *err)
{
  cleanup_free char *p = cg_join (dir, file);
  cleanup_close int fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "read `%s`", p);
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  for (;;)
    {
      char buf[4096];
      ssize_t r = read (fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return kago_error_set (err, errno, "read `%s`", p);
      if (r == 0)
        break;
      strbuf_add (&sb, buf, (size_t) r);
    }
  *out = strbuf_detach (&sb);
  return 0;
}

/* Is WORD one of the space-separated words of LIST?  */
static bool
cg_controllers_has_word (const char *list, const char *word)
{
  size_t n = strlen (word);
  for (const char *p = list; (p = strstr (p, word)); p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
      return true;
  return false;
}

int
cg_set (const char *field, const char *dir, const char *file, const char *value, kago_error_t *err)
{
  if (!cg_has_file (dir, file))
    {
      /* cgroup2: say when the controller is there but not enabled.  */
      const char *dot = strchr (file, '.');
      cleanup_free char *avail = NULL;
      kago_error_t e = NULL;
      if (dot && cg_read (dir, "cgroup.controllers", &avail, &e) == 0)
        {
          cleanup_free char *ctrl = xstrndup (file, (size_t) (dot - file));
          cleanup_free char *parent = xstrdup (dir);
          char *slash = strrchr (parent, '/');
          if (slash && slash != parent)
            *slash = '\0';
          for (char *c = avail; *c; c++)
            if (*c == '\n')
              *c = ' ';
          if (!cg_controllers_has_word (avail, ctrl))
            return kago_error_set (err, 0,
                                   "%s: the %s controller is not enabled for this cgroup (not in "
                                   "`%s/cgroup.subtree_control`)",
                                   field, ctrl, parent);
        }
      kago_error_release (&e);
      return kago_error_set (err, 0, "%s: not supported on this host (no %s file)", field, file);
    }
  cg_journal_note (dir, file, value);
  if (cg_write (dir, file, value, err) < 0)
    return kago_error_wrap (err, "%s", field);
  return 0;
}

int
cg_setf (const char *field, const char *dir, const char *file, kago_error_t *err, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  strbuf_addvf (&sb, fmt, ap);
  va_end (ap);
  return cg_set (field, dir, file, sb.buf ? sb.buf : "", err);
}

struct cg_hier *
cg_unified (const struct kago_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++)
    if (cg->h[i].unified)
      return &cg->h[i];
  return NULL;
}

struct cg_hier *
cg_find (const struct kago_cgroup *cg, const char *controller)
{
  if (controller == NULL || controller[0] == '\0' || cg->mode == KAGO_CGROUP_V2)
    return cg_unified (cg);
  for (size_t i = 0; i < cg->n; i++)
    if (!cg->h[i].unified && cg_controllers_has (cg->h[i].controllers, controller))
      return &cg->h[i];
  return NULL;
}

struct cg_hier *
cg_procs_hier (const struct kago_cgroup *cg)
{
  static const char *const pref[] = { "freezer", "pids", "memory", "cpu", NULL };
  if (cg->mode == KAGO_CGROUP_V2)
    return cg_unified (cg);
  for (const char *const *p = pref; *p; p++)
    {
      struct cg_hier *h = cg_find (cg, *p);
      if (h)
        return h;
    }
  return cg->n ? &cg->h[0] : NULL;
}

/* ------------------------------------------------------- path resolution */

char *
cg_clean_path (const char *p)
{
  /* Stack of component starts in OUT.  */
  cleanup_strbuf strbuf out = STRBUF_INIT;
  size_t *starts = xcalloc (strlen (p) / 2 + 2, sizeof (size_t));
  size_t depth = 0;
  const char *s = p;
  while (*s)
    {
      while (*s == '/')
        s++;
      if (!*s)
        break;
      const char *e = strchr (s, '/');
      size_t n = e ? (size_t) (e - s) : strlen (s);
      if (n == 1 && s[0] == '.')
        ;
      else if (n == 2 && s[0] == '.' && s[1] == '.')
        {
          if (depth > 0)
            {
              depth--;
              out.len = starts[depth];
              if (out.buf)
                out.buf[out.len] = '\0';
            }
        }
      else
        {
          starts[depth++] = out.len;
          strbuf_addc (&out, '/');
          strbuf_add (&out, s, n);
        }
      s += n;
    }
  free (starts);
  if (out.len == 0)
    strbuf_addc (&out, '/');
  return strbuf_detach (&out);
}

char *
cg_resolve_path (const char *cgroups_path, const char *id, const char *own)
{
  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    {
      cleanup_free char *p = xasprintf ("%s/%s", CG_DEFAULT_PARENT, id);
      return cg_clean_path (p);
    }
  if (cgroups_path[0] == '/')
    return cg_clean_path (cgroups_path);
  cleanup_free char *p = xasprintf ("%s/%s", own ? own : "/", cgroups_path);
  return cg_clean_path (p);
}

int
cg_systemd_expand_slice (const char *slice, char **out, kago_error_t *err)
{
  static const char suffix[] = ".slice";
  size_t len = strlen (slice), sl = sizeof suffix - 1;
  if (len < sl || strcmp (slice + len - sl, suffix) != 0 || strchr (slice, '/'))
    return kago_error_set (err, 0, "invalid systemd slice name `%s`", slice);
  cleanup_free char *name = xstrndup (slice, len - sl);
  if (strcmp (name, "-") == 0)
    {
      *out = xstrdup ("/");
      return 0;
    }
  cleanup_strbuf strbuf path = STRBUF_INIT;
  cleanup_strbuf strbuf prefix = STRBUF_INIT;
  const char *p = name;
  for (;;)
    {
      const char *dash = strchr (p, '-');
      size_t n = dash ? (size_t) (dash - p) : strlen (p);
      if (n == 0)
        return kago_error_set (err, 0, "invalid systemd slice name `%s`", slice);
      strbuf_addc (&path, '/');
      if (prefix.len)
        strbuf_add (&path, prefix.buf, prefix.len);
      strbuf_add (&path, p, n);
      strbuf_adds (&path, suffix);
      strbuf_add (&prefix, p, n);
      strbuf_addc (&prefix, '-');
      if (!dash)
        break;
      p = dash + 1;
    }
  *out = strbuf_detach (&path);
  return 0;
}

int
cg_systemd_path (const char *cgroups_path, const char *id, char **out, kago_error_t *err)
{
  cleanup_free char *def = NULL;
  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    cgroups_path = def = xasprintf ("system.slice:kago:%s", id);
  const char *c1 = strchr (cgroups_path, ':');
  const char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  if (!c1 || !c2 || strchr (c2 + 1, ':'))
    return kago_error_set (err, 0,
                           "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd "
                           "cgroups, got \"%s\" instead",
                           cgroups_path);
  cleanup_free char *slice = xstrndup (cgroups_path, (size_t) (c1 - cgroups_path));
  cleanup_free char *prefix = xstrndup (c1 + 1, (size_t) (c2 - c1 - 1));
  const char *name = c2 + 1;
  if (name[0] == '\0' || strchr (name, '/'))
    return kago_error_set (err, 0, "invalid systemd unit name in cgroupsPath \"%s\"", cgroups_path);
  cleanup_free char *slice_path = NULL;
  if (cg_systemd_expand_slice (slice[0] ? slice : "system.slice", &slice_path, err) < 0)
    return kago_error_wrap (err, "cgroupsPath \"%s\"", cgroups_path);
  size_t nl = strlen (name);
  cleanup_free char *unit = NULL;
  if (nl > 6 && strcmp (name + nl - 6, ".slice") == 0)
    unit = xstrdup (name);
  else if (prefix[0])
    unit = xasprintf ("%s-%s.scope", prefix, name);
  else
    unit = xasprintf ("%s.scope", name);
  *out = xasprintf ("%s/%s", strcmp (slice_path, "/") == 0 ? "" : slice_path, unit);
  return 0;
}

/* ---------------------------------------------------------------- create */

static const char *const v2_controllers[]
    = { "cpuset", "cpu", "io", "memory", "pids", "hugetlb", "rdma", "misc", NULL };

/* Enable the WANT controllers that DIR has (cgroup.controllers) in its
   cgroup.subtree_control.  A refusal (processes in DIR, a threaded subtree)
   is not fatal here: writing a limit of that controller fails later with a
   clear message.  */
static void
enable_controllers (const char *dir, char **want)
{
  cleanup_free char *avail = NULL, *enabled = NULL;
  kago_error_t e = NULL;
  if (cg_read (dir, "cgroup.controllers", &avail, &e) < 0
      || cg_read (dir, "cgroup.subtree_control", &enabled, &e) < 0)
    {
      kago_error_release (&e);
      return;
    }
  for (char **w = want; w && *w; w++)
    {
      cleanup_free char *needle = xasprintf (" %s ", *w);
      cleanup_free char *a = xasprintf (" %s ", avail);
      cleanup_free char *en = xasprintf (" %s ", enabled);
      for (char *c = a; *c; c++)
        if (*c == '\n')
          *c = ' ';
      for (char *c = en; *c; c++)
        if (*c == '\n')
          *c = ' ';
      if (!strstr (a, needle) || strstr (en, needle))
        continue;
      cleanup_free char *cmd = xasprintf ("+%s", *w);
      if (cg_write (dir, "cgroup.subtree_control", cmd, &e) < 0)
        {
          cleanup_free char *msg = kago_error_string (e);
          kago_log_debug ("cgroup: cannot enable %s controller: %s", *w, msg);
          kago_error_release (&e);
        }
    }
}

static char *
trim (char *s)
{
  size_t n = strlen (s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
  return s;
}

/* A v1 cpuset cgroup starts with empty cpuset.cpus/mems and no process can
   join it: fill them from the parent (recursively, up to the mount).  */
static int
cpuset_fill (const char *dir, const char *mount_point, kago_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems", NULL };
  if (strcmp (dir, mount_point) == 0)
    return 0;
  for (const char *const *f = files; *f; f++)
    {
      cleanup_free char *cur = NULL;
      if (cg_read (dir, *f, &cur, err) < 0)
        return -1;
      if (trim (cur)[0] != '\0')
        continue;
      cleanup_free char *parent = xstrdup (dir);
      char *slash = strrchr (parent, '/');
      if (!slash || slash == parent)
        return 0;
      *slash = '\0';
      if (cpuset_fill (parent, mount_point, err) < 0)
        return -1;
      cleanup_free char *val = NULL;
      if (cg_read (parent, *f, &val, err) < 0)
        return -1;
      if (cg_write (dir, *f, trim (val), err) < 0)
        return -1;
    }
  return 0;
}

static unsigned
count_components (const char *path)
{
  unsigned n = 0;
  for (const char *s = path; *s;)
    {
      while (*s == '/')
        s++;
      if (!*s)
        break;
      n++;
      while (*s && *s != '/')
        s++;
    }
  return n;
}

/* mkdir every missing level of H->path.  H->created counts the levels from
   the first one kago created down to the leaf, so that a cleanup after a
   failure half-way removes what exists of them.  */
static int
create_hier (struct cg_hier *h, char **want, kago_error_t *err)
{
  cleanup_strbuf strbuf cur = STRBUF_INIT;
  strbuf_adds (&cur, h->mount_point);
  unsigned total = count_components (h->path), level = 0;
  const char *s = h->path;
  while (*s)
    {
      while (*s == '/')
        s++;
      if (!*s)
        break;
      const char *e = strchr (s, '/');
      size_t n = e ? (size_t) (e - s) : strlen (s);
      if (h->unified && want)
        enable_controllers (cur.buf, want);
      if (cur.len == 0 || cur.buf[cur.len - 1] != '/')
        strbuf_addc (&cur, '/');
      strbuf_add (&cur, s, n);
      level++;
      if (mkdir (cur.buf, 0755) == 0)
        {
          if (h->created == 0)
            h->created = total - level + 1;
        }
      else if (errno != EEXIST)
        return kago_error_set (err, errno, "create cgroup `%s`", cur.buf);
      s += n;
    }
  if (!h->unified && cg_controllers_has (h->controllers, "cpuset"))
    if (cpuset_fill (h->dir, h->mount_point, err) < 0)
      return kago_error_wrap (err, "set up cpuset cgroup `%s`", h->dir);
  return 0;
}

static void
hier_free (struct cg_hier *h)
{
  free (h->controllers);
  free (h->mount_point);
  free (h->path);
  free (h->dir);
}

void
kago_cgroup_free (struct kago_cgroup *cg)
{
  if (!cg)
    return;
  for (size_t i = 0; i < cg->n; i++)
    hier_free (&cg->h[i]);
  free (cg->h);
  if (cg->clone_fd >= 0)
    close (cg->clone_fd);
  free (cg);
}

/* Controllers to enable in the unified hierarchy of a hybrid layout: only
   those the resources need there (the unified map's, hugetlb without a v1
   hugetlb hierarchy).  */
static char **
hybrid_wanted (const struct kago_cgroup *cg, const oci_resources *r)
{
  size_t n = 0;
  char **v = xcalloc (r ? r->unified.n + 2 : 2, sizeof (char *));
  if (!r)
    return v;
  if (r->n_hugepage_limits && !cg_find (cg, "hugetlb"))
    v[n++] = xstrdup ("hugetlb");
  for (size_t i = 0; i < r->unified.n; i++)
    {
      const char *dot = strchr (r->unified.items[i].key, '.');
      if (!dot || dot == r->unified.items[i].key)
        continue;
      char *c = xstrndup (r->unified.items[i].key, (size_t) (dot - r->unified.items[i].key));
      bool dup = strcmp (c, "cgroup") == 0;
      for (size_t j = 0; j < n && !dup; j++)
        dup = strcmp (v[j], c) == 0;
      if (dup)
        free (c);
      else
        v[n++] = c;
    }
  return v;
}

/* Make the container's cgroup in hierarchy H.  A cgroup that already
   existed must be empty: sharing another service's cgroup would put the
   container's limits on it and let `delete` kill its processes (runc 1.2
   refuses it the same way).  */
static int
make_hier (struct cg_hier *h, char **want, kago_error_t *err)
{
  if (create_hier (h, want, err) < 0)
    return -1;
  if (h->created == 0)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0, cap = 0;
      if (cg_read_pids_recursive (h->dir, &pids, &n, &cap, err) < 0)
        return -1;
      if (n > 0)
        return kago_error_set (err, EBUSY,
                               "linux.cgroupsPath: the cgroup `%s` already exists and holds %zu process(es); "
                               "kago will not share it",
                               h->dir, n);
    }
  return 0;
}

int
kago_cgroup_create (const struct kago_cgroup_config *cfg, struct kago_cgroup **out, kago_error_t *err)
{
  if (cfg->systemd)
    {
      cleanup_free char *unit_path = NULL;
      if (cg_systemd_path (cfg->cgroups_path, cfg->id ? cfg->id : "", &unit_path, err) < 0)
        return kago_error_wrap (err, "--systemd-cgroup");
      if (access (CG_SYSTEMD_RUNNING, F_OK) < 0)
        return kago_error_set (
            err, 0, "--systemd-cgroup: systemd is not running on this host (no " CG_SYSTEMD_RUNNING ")");
      return kago_error_set (
          err, ENOTSUP, "--systemd-cgroup: the systemd cgroup driver is not supported yet (would use %s)",
          unit_path);
    }
  if (cfg->id == NULL || cfg->id[0] == '\0' || strchr (cfg->id, '/') || strcmp (cfg->id, ".") == 0
      || strcmp (cfg->id, "..") == 0)
    return kago_error_set (err, EINVAL, "invalid container id for a cgroup name: `%s`",
                           cfg->id ? cfg->id : "");

  struct cg_layout l = { 0 };
  if (cg_layout_detect (cfg->root, &l, err) < 0)
    return kago_error_wrap (err, "detect cgroup layout");

  const char *cp = cfg->cgroups_path;
  if (cp)
    for (const char *q = cp; (q = strstr (q, "..")) != NULL; q += 2)
      if ((q == cp || q[-1] == '/') && (q[2] == '\0' || q[2] == '/'))
        return kago_error_set (err, EINVAL, "linux.cgroupsPath \"%s\": \"..\" is not allowed", cp);
  bool relative = cp && cp[0] && cp[0] != '/';
  cleanup_free char *own_text = NULL;
  if (relative && cg_read ("/proc/self", "cgroup", &own_text, err) < 0)
    {
      cg_layout_clear (&l);
      return -1;
    }

  struct kago_cgroup *cg = xzalloc (sizeof *cg);
  cg->mode = l.mode;
  cg->clone_fd = -1;
  cg->h = xcalloc (l.n ? l.n : 1, sizeof (*cg->h));
  int ret = -1;
  char **want = NULL;

  for (size_t i = 0; i < l.n; i++)
    {
      const struct cg_mount *m = &l.m[i];
      cleanup_free char *own = NULL;
      if (relative)
        {
          own = cg_proc_cgroup_lookup (own_text, m->controllers);
          if (!own)
            {
              kago_error_set (err, ENOENT,
                              "cannot find the runtime's own cgroup for `%s` in /proc/self/cgroup",
                              m->unified ? "cgroup2" : m->controllers);
              goto out;
            }
          size_t rl = strlen (m->mount_root);
          if (strcmp (m->mount_root, "/") != 0 && strncmp (own, m->mount_root, rl) == 0
              && (own[rl] == '/' || own[rl] == '\0'))
            memmove (own, own + rl, strlen (own + rl) + 1);
        }
      cleanup_free char *path = cg_resolve_path (cp, cfg->id, own);
      if (strcmp (path, "/") == 0)
        {
          kago_error_set (err, EINVAL, "linux.cgroupsPath \"%s\": the container cannot use the root cgroup",
                          cp ? cp : "");
          goto out;
        }
      struct cg_hier *h = &cg->h[cg->n++];
      h->controllers = xstrdup (m->controllers);
      h->mount_point = xstrdup (m->mount_point);
      h->path = steal_pointer (&path);
      h->dir = xasprintf ("%s%s", strcmp (m->mount_point, "/") == 0 ? "" : m->mount_point, h->path);
      h->unified = m->unified;
    }

  if (cg->mode == KAGO_CGROUP_V2)
    {
      size_t n = 0;
      want = xcalloc (sizeof v2_controllers / sizeof *v2_controllers, sizeof (char *));
      for (const char *const *c = v2_controllers; *c; c++)
        want[n++] = xstrdup (*c);
    }
  else
    want = hybrid_wanted (cg, cfg->resources);

  for (size_t i = 0; i < cg->n; i++)
    if ((!cfg->defer_v1 || cg->h[i].unified) && make_hier (&cg->h[i], want, err) < 0)
      goto out;

  if (cfg->defer_v1)
    cg->pending_v1 = true;
  else if (cfg->resources && kago_cgroup_apply_resources (cg, cfg->resources, err) < 0)
    goto out;

  *out = steal_pointer (&cg);
  ret = 0;

out:
  if (want)
    cleanup_strvp (&want);
  cg_layout_clear (&l);
  if (cg)
    {
      kago_error_t e2 = NULL;
      if (kago_cgroup_destroy (cg, &e2) < 0)
        {
          cleanup_free char *msg = kago_error_string (e2);
          kago_log_warn ("cleaning up cgroup after a failed create: %s", msg);
          kago_error_release (&e2);
        }
      kago_cgroup_free (cg);
    }
  return ret;
}

/* "DEVICE hca_handle=N hca_object=N" for rdma.max (v1 and v2 alike).  */
char *
cg_rdma_max_line (const oci_rdma *d)
{
  char hh[16] = "max", ho[16] = "max";
  if (d->has_hca_handles)
    snprintf (hh, sizeof hh, "%u", (unsigned) d->hca_handles);
  if (d->has_hca_objects)
    snprintf (ho, sizeof ho, "%u", (unsigned) d->hca_objects);
  return xasprintf ("%s hca_handle=%s hca_object=%s", d->device ? d->device : "", hh, ho);
}

int
kago_cgroup_create_rest (struct kago_cgroup *cg, const oci_resources *resources, kago_error_t *err)
{
  if (cg->pending_v1)
    {
      for (size_t i = 0; i < cg->n; i++)
        if (!cg->h[i].unified && make_hier (&cg->h[i], NULL, err) < 0)
          return -1;
      cg->pending_v1 = false;
    }
  if (resources && kago_cgroup_apply_resources (cg, resources, err) < 0)
    return -1;
  return 0;
}

/* --------------------------------------------------------------- queries */

const char *
kago_cgroup_path (const struct kago_cgroup *cg, const char *controller)
{
  struct cg_hier *h = cg_find (cg, controller);
  if (!h && (controller == NULL || controller[0] == '\0') && cg->n)
    h = &cg->h[0];
  return h ? h->dir : NULL;
}

enum kago_cgroup_mode
kago_cgroup_get_mode (const struct kago_cgroup *cg)
{
  return cg->mode;
}

bool
kago_cgroup_hierarchy (const struct kago_cgroup *cg, size_t i, const char **controllers,
                       const char **mount_point, const char **dir)
{
  if (i >= cg->n)
    return false;
  if (controllers)
    *controllers = cg->h[i].controllers;
  if (mount_point)
    *mount_point = cg->h[i].mount_point;
  if (dir)
    *dir = cg->h[i].dir;
  return true;
}
