/* Which cgroup layout the host has, and where each hierarchy is mounted.
 *
 *  - v2:     statfs(/sys/fs/cgroup) says CGROUP2_SUPER_MAGIC.
 *  - hybrid: /sys/fs/cgroup is a tmpfs holding v1 controller mounts and a
 *            cgroup2 mount at /sys/fs/cgroup/unified.
 *  - v1:     the same without the cgroup2 mount.
 *
 * The mount point of every v1 hierarchy comes from /proc/self/mountinfo
 * (controllers may be co-mounted: "cpu,cpuacct").  When ROOT is not a real
 * cgroup mount (unit tests point it at a plain directory tree), the layout is
 * read from the directory names instead.
 */
#include "cgroup/internal.h"

#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "common/cleanup.h"
#include "common/xalloc.h"

const char *
kago_cgroup_mode_name (enum kago_cgroup_mode m)
{
  switch (m)
    {
    case KAGO_CGROUP_V1:
      return "v1";
    case KAGO_CGROUP_HYBRID:
      return "hybrid";
    case KAGO_CGROUP_V2:
      return "v2";
    default:
      return "unknown";
    }
}

void
cg_layout_clear (struct cg_layout *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->m[i].controllers);
      free (l->m[i].mount_point);
      free (l->m[i].mount_root);
    }
  free (l->m);
  l->m = NULL;
  l->n = 0;
}

static void
layout_add (struct cg_layout *l, const char *controllers, const char *mount_point, const char *mount_root,
            bool unified)
{
  l->m = xrealloc (l->m, (l->n + 1) * sizeof (*l->m));
  l->m[l->n].controllers = xstrdup (controllers);
  l->m[l->n].mount_point = xstrdup (mount_point);
  l->m[l->n].mount_root = xstrdup (mount_root);
  l->m[l->n].unified = unified;
  l->n++;
}

static void
layout_remove (struct cg_layout *l, size_t i)
{
  free (l->m[i].controllers);
  free (l->m[i].mount_point);
  free (l->m[i].mount_root);
  memmove (&l->m[i], &l->m[i + 1], (l->n - i - 1) * sizeof (*l->m));
  l->n--;
}

bool
cg_controllers_has (const char *list, const char *ctrl)
{
  size_t len = strlen (ctrl);
  const char *p = list;
  while (p && *p)
    {
      const char *end = strchr (p, ',');
      size_t n = end ? (size_t) (end - p) : strlen (p);
      if (n == len && strncmp (p, ctrl, len) == 0)
        return true;
      p = end ? end + 1 : NULL;
    }
  return false;
}

static size_t
count_items (const char *list)
{
  size_t n = 0;
  for (const char *p = list; p && *p;)
    {
      const char *end = strchr (p, ',');
      n++;
      p = end ? end + 1 : NULL;
    }
  return n;
}

bool
cg_controllers_equal (const char *a, const char *b)
{
  if (count_items (a) != count_items (b))
    return false;
  for (const char *p = a; p && *p;)
    {
      const char *end = strchr (p, ',');
      cleanup_free char *item = end ? xstrndup (p, (size_t) (end - p)) : xstrdup (p);
      if (!cg_controllers_has (b, item))
        return false;
      p = end ? end + 1 : NULL;
    }
  return true;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo.  */
static char *
unescape (const char *s, size_t len)
{
  char *out = xmalloc (len + 1), *o = out;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '7' && s[i + 2] >= '0'
          && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7')
        {
          *o++ = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
          i += 3;
        }
      else
        *o++ = s[i];
    }
  *o = '\0';
  return out;
}

/* Super options of a v1 mount that are not controllers.  */
static bool
is_controller_option (const char *opt, size_t len)
{
  static const char *const skip[] = {
    "rw",   "ro",  "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "favordynmods", "nofavordynmods",
    "none", "all", NULL
  };
  for (const char *const *s = skip; *s; s++)
    if (strlen (*s) == len && strncmp (opt, *s, len) == 0)
      return false;
  if (len > 5 && strncmp (opt, "name=", 5) == 0)
    return true;
  return memchr (opt, '=', len) == NULL;
}

static char *
controllers_from_superopts (const char *opts)
{
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  for (const char *p = opts; p && *p;)
    {
      const char *end = strchr (p, ',');
      size_t n = end ? (size_t) (end - p) : strlen (p);
      if (n && is_controller_option (p, n))
        {
          if (sb.len)
            strbuf_addc (&sb, ',');
          strbuf_add (&sb, p, n);
        }
      p = end ? end + 1 : NULL;
    }
  return strbuf_detach (&sb);
}

static bool
path_at_or_below (const char *path, const char *root)
{
  size_t n = strlen (root);
  while (n > 1 && root[n - 1] == '/')
    n--;
  if (strncmp (path, root, n) != 0)
    return false;
  return path[n] == '\0' || path[n] == '/' || (n == 1 && root[0] == '/');
}

void
cg_parse_mountinfo (const char *text, const char *root, struct cg_layout *l)
{
  const char *line = text;
  while (line && *line)
    {
      const char *eol = strchr (line, '\n');
      size_t len = eol ? (size_t) (eol - line) : strlen (line);
      cleanup_free char *copy = xstrndup (line, len);
      line = eol ? eol + 1 : NULL;

      /* id parent maj:min root mount_point opts [optional...] - fstype source superopts */
      char *fields[32];
      size_t nf = 0;
      char *save = NULL;
      for (char *tok = strtok_r (copy, " ", &save); tok && nf < 32; tok = strtok_r (NULL, " ", &save))
        fields[nf++] = tok;
      size_t sep = 0;
      for (size_t i = 6; i < nf; i++)
        if (strcmp (fields[i], "-") == 0)
          {
            sep = i;
            break;
          }
      if (nf < 7 || sep == 0 || sep + 3 > nf)
        continue;
      const char *fstype = fields[sep + 1];
      bool v2 = strcmp (fstype, "cgroup2") == 0;
      if (!v2 && strcmp (fstype, "cgroup") != 0)
        {
          /* Something else mounted over a cgroup mount point hides it.  */
          cleanup_free char *mp = unescape (fields[4], strlen (fields[4]));
          for (size_t i = 0; i < l->n; i++)
            if (strcmp (l->m[i].mount_point, mp) == 0)
              {
                layout_remove (l, i);
                break;
              }
          continue;
        }
      cleanup_free char *mp = unescape (fields[4], strlen (fields[4]));
      if (!path_at_or_below (mp, root))
        continue;
      cleanup_free char *mroot = unescape (fields[3], strlen (fields[3]));
      cleanup_free char *ctrls = v2 ? xstrdup ("") : controllers_from_superopts (fields[sep + 3]);
      if (!v2 && ctrls[0] == '\0')
        continue;
      for (size_t i = 0; i < l->n; i++)
        if (strcmp (l->m[i].mount_point, mp) == 0)
          {
            layout_remove (l, i);
            break;
          }
      layout_add (l, ctrls, mp, mroot, v2);
    }

  /* A v1 hierarchy (or cgroup2) mounted more than once: keep the first.  */
  for (size_t i = 0; i < l->n; i++)
    for (size_t j = i + 1; j < l->n;)
      {
        bool same = l->m[i].unified == l->m[j].unified
                    && (l->m[i].unified || cg_controllers_equal (l->m[i].controllers, l->m[j].controllers));
        if (same)
          layout_remove (l, j);
        else
          j++;
      }
}

char *
cg_proc_cgroup_lookup (const char *text, const char *controllers)
{
  const char *line = text;
  while (line && *line)
    {
      const char *eol = strchr (line, '\n');
      size_t len = eol ? (size_t) (eol - line) : strlen (line);
      cleanup_free char *copy = xstrndup (line, len);
      line = eol ? eol + 1 : NULL;
      /* hierarchy-id:controller-list:path (the path may contain ':') */
      char *c1 = strchr (copy, ':');
      if (!c1)
        continue;
      char *c2 = strchr (c1 + 1, ':');
      if (!c2)
        continue;
      *c2 = '\0';
      const char *ctrls = c1 + 1;
      bool match;
      if (controllers[0] == '\0')
        match = ctrls[0] == '\0' && strncmp (copy, "0:", 2) == 0;
      else
        match = ctrls[0] != '\0' && cg_controllers_equal (ctrls, controllers);
      if (match)
        return xstrdup (c2 + 1);
    }
  return NULL;
}

static bool
is_cgroup_dir (const char *dir)
{
  return cg_has_file (dir, "cgroup.procs");
}

/* A plain directory tree standing in for /sys/fs/cgroup (unit tests):
   ROOT/cgroup.controllers -> v2; else ROOT/<controllers>/ dirs with
   cgroup.procs are v1 hierarchies and ROOT/unified with cgroup.controllers
   is the cgroup2 one.  */
static int
detect_from_tree (const char *root, struct cg_layout *l, kago_error_t *err)
{
  if (cg_has_file (root, "cgroup.controllers"))
    {
      layout_add (l, "", root, "/", true);
      l->mode = KAGO_CGROUP_V2;
      return 0;
    }
  cleanup_dir DIR *d = opendir (root);
  if (!d)
    return kago_error_set (err, errno, "open cgroup root `%s`", root);
  bool v1 = false, unified = false;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.' || de->d_type != DT_DIR)
        continue;
      cleanup_free char *sub = cg_join (root, de->d_name);
      if (strcmp (de->d_name, "unified") == 0 && cg_has_file (sub, "cgroup.controllers"))
        {
          layout_add (l, "", sub, "/", true);
          unified = true;
        }
      else if (is_cgroup_dir (sub))
        {
          layout_add (l, de->d_name, sub, "/", false);
          v1 = true;
        }
    }
  if (!v1 && !unified)
    return kago_error_set (err, ENOENT, "no cgroup hierarchy found under `%s`", root);
  l->mode = v1 ? (unified ? KAGO_CGROUP_HYBRID : KAGO_CGROUP_V1) : KAGO_CGROUP_V2;
  return 0;
}

int
cg_layout_detect (const char *root, struct cg_layout *l, kago_error_t *err)
{
  struct statfs sfs;
  l->m = NULL;
  l->n = 0;
  if (root == NULL)
    root = CG_DEFAULT_ROOT;
  if (statfs (root, &sfs) < 0)
    return kago_error_set (err, errno, "statfs `%s`", root);

  cleanup_free char *mountinfo = NULL;
  {
    cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
    if (f)
      {
        cleanup_strbuf strbuf sb = STRBUF_INIT;
        char buf[8192];
        size_t r;
        while ((r = fread (buf, 1, sizeof buf, f)) > 0)
          strbuf_add (&sb, buf, r);
        mountinfo = strbuf_detach (&sb);
      }
  }
  if ((unsigned long) sfs.f_type == (unsigned long) CGROUP2_SUPER_MAGIC)
    {
      struct cg_layout all = { 0 };
      const char *mroot = "/";
      if (mountinfo)
        cg_parse_mountinfo (mountinfo, root, &all);
      for (size_t i = 0; i < all.n; i++)
        if (all.m[i].unified && strcmp (all.m[i].mount_point, root) == 0)
          mroot = all.m[i].mount_root;
      layout_add (l, "", root, mroot, true);
      cg_layout_clear (&all);
      l->mode = KAGO_CGROUP_V2;
      return 0;
    }

  if (mountinfo)
    cg_parse_mountinfo (mountinfo, root, l);
  /* Only the hierarchies directly in ROOT count (a cgroup2 mount elsewhere
     below it, e.g. inside a container's rootfs, does not).  */
  for (size_t i = 0; i < l->n;)
    {
      const char *mp = l->m[i].mount_point;
      const char *rest = mp + strlen (root);
      while (*rest == '/')
        rest++;
      bool direct = strncmp (mp, root, strlen (root)) == 0 && *rest && strchr (rest, '/') == NULL;
      if (direct && l->m[i].unified && strcmp (rest, "unified") != 0)
        direct = false;
      if (!direct)
        layout_remove (l, i);
      else
        i++;
    }

  bool v1 = false, unified = false;
  for (size_t i = 0; i < l->n; i++)
    {
      if (l->m[i].unified)
        unified = true;
      else
        v1 = true;
    }
  if (!v1 && !unified)
    {
      cg_layout_clear (l);
      return detect_from_tree (root, l, err);
    }
  l->mode = v1 ? (unified ? KAGO_CGROUP_HYBRID : KAGO_CGROUP_V1) : KAGO_CGROUP_V2;
  return 0;
}

int
kago_cgroup_detect (const char *root, enum kago_cgroup_mode *mode, kago_error_t *err)
{
  struct cg_layout l = { 0 };
  if (cg_layout_detect (root, &l, err) < 0)
    return -1;
  *mode = l.mode;
  cg_layout_clear (&l);
  return 0;
}
