/* The container's mounts as docker makes them:
   - the defaults (proc, /dev tmpfs, devpts, sysfs, cgroup, mqueue,
     /dev/shm), minus those a user mount replaces;
   - -v (binds, named and anonymous volumes), --mount, --tmpfs, the image's
     VOLUMEs (anonymous volumes), sorted so parents come before children;
   - /etc/hostname, /etc/hosts, /etc/resolv.conf from the container dir;
   - masked and read-only paths; the working directory, created.
   Named volumes live in R/volumes/NAME/_data; a new (or empty) volume gets
   a copy of what the image has at the mount point, unless nocopy.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "engine/container/spec_internal.h"
#include "engine/container/units.h"
#include "engine/network/store.h"

struct umount
{
  char *dest;
  json_value *oci;
  json_value *docker; /* the Mounts entry, or NULL (--tmpfs, /etc files) */
};

struct ulist
{
  struct umount *v;
  size_t n;
};

static int
ulist_add (struct ulist *l, const char *dest, json_value *oci, json_value *docker, kago_error_t *err)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->v[i].dest, dest) == 0)
      {
        json_free (oci);
        json_free (docker);
        return kago_error_set (err, 0, "Duplicate mount point: %s", dest);
      }
  l->v = xrealloc (l->v, (l->n + 1) * sizeof *l->v);
  l->v[l->n++] = (struct umount){ xstrdup (dest), oci, docker };
  return 0;
}

static bool
ulist_has (const struct ulist *l, const char *dest)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->v[i].dest, dest) == 0)
      return true;
  return false;
}

static void
ulist_free (struct ulist *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->v[i].dest);
      json_free (l->v[i].oci);
      json_free (l->v[i].docker);
    }
  free (l->v);
}

static size_t
depth (const char *p)
{
  size_t n = 0;
  for (; *p; p++)
    n += *p == '/' && p[1] && p[1] != '/';
  return n;
}

static int
cmp_depth (const void *a, const void *b)
{
  const struct umount *x = a, *y = b;
  size_t dx = depth (x->dest), dy = depth (y->dest);
  return dx < dy ? -1 : dx > dy ? 1 : 0;
}

/* path.Clean for the absolute paths mount targets are.  */
static char *
clean_abs (const char *p)
{
  strbuf sb = STRBUF_INIT;
  cleanup_free char *copy = xstrdup (p);
  char *save = NULL;
  size_t *marks = xcalloc (strlen (p) + 1, sizeof *marks);
  size_t nm = 0;
  for (char *t = strtok_r (copy, "/", &save); t; t = strtok_r (NULL, "/", &save))
    {
      if (strcmp (t, ".") == 0)
        continue;
      if (strcmp (t, "..") == 0)
        {
          if (nm)
            {
              sb.len = marks[--nm];
              sb.buf[sb.len] = '\0';
            }
          continue;
        }
      marks[nm++] = sb.len;
      strbuf_addc (&sb, '/');
      strbuf_adds (&sb, t);
    }
  free (marks);
  if (sb.len == 0)
    strbuf_addc (&sb, '/');
  return strbuf_detach (&sb);
}

static int
check_target (const char *type, const char *target, kago_error_t *err)
{
  if (target == NULL || target[0] != '/')
    return kago_error_set (err, 0, "invalid mount config for type \"%s\": invalid mount path: '%s' mount path must be "
                                   "absolute",
                           type, target ? target : "");
  cleanup_free char *c = clean_abs (target);
  if (strcmp (c, "/") == 0)
    return kago_error_set (err, 0, "invalid specification: destination can't be '/'");
  return 0;
}

/* ---- named and anonymous volumes ---- */

static bool
valid_volume_name (const char *n)
{
  if (strlen (n) < 2)
    return false;
  for (const char *p = n; *p; p++)
    {
      bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
      if (!alnum && (p == n || (*p != '_' && *p != '.' && *p != '-')))
        return false;
    }
  return true;
}

static bool
dir_empty (const char *path)
{
  DIR *d = opendir (path);
  if (d == NULL)
    return false;
  struct dirent *e;
  bool empty = true;
  while ((e = readdir (d)))
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
      {
        empty = false;
        break;
      }
  closedir (d);
  return empty;
}

/* Make volumes_dir/NAME/_data (a marker file "anonymous" beside _data for
   anonymous volumes); when empty and COPY, fill it from the rootfs at
   DEST with its owner and mode.  *SRC receives the _data path.  */
static int
volume_prepare (struct spec_ctx *c, const char *name, bool anonymous, const char *dest, bool copy, char **src,
                kago_error_t *err)
{
  if (c->in->volumes_dir == NULL)
    return kago_error_set (err, 0, "volume %s: no volumes directory", name);
  cleanup_free char *vdir = xasprintf ("%s/%s", c->in->volumes_dir, name);
  cleanup_free char *data = xasprintf ("%s/_data", vdir);
  if (mkdir_p (data, 0755, err) < 0)
    return kago_error_wrap (err, "create volume %s", name);
  if (anonymous)
    {
      cleanup_free char *marker = xasprintf ("%s/anonymous", vdir);
      if (write_file (marker, "", 0, err) < 0)
        return -1;
    }
  if (copy && dir_empty (data))
    {
      cleanup_close int rootfd = open (c->in->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfd < 0)
        return kago_error_set (err, errno, "open %s", c->in->rootfs);
      kago_error_t e = NULL;
      cleanup_close int sfd = open_in_root (rootfd, dest, O_RDONLY | O_DIRECTORY, 0, &e);
      if (sfd < 0)
        kago_error_release (&e); /* nothing in the image there */
      else
        {
          cleanup_close int dfd = open (data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (dfd < 0)
            return kago_error_set (err, errno, "open %s", data);
          if (copy_tree_at (sfd, dfd, err) < 0)
            return kago_error_wrap (err, "copy %s of the image into volume %s", dest, name);
          struct stat st;
          if (fstat (sfd, &st) == 0)
            {
              if (fchown (dfd, st.st_uid, st.st_gid) < 0 || fchmod (dfd, st.st_mode & 07777) < 0)
                return kago_error_set (err, errno, "volume %s: set owner and mode", name);
            }
        }
    }
  *src = steal_pointer (&data);
  return 0;
}

static char *
random_name (void)
{
  unsigned char b[32];
  size_t got = 0;
  while (got < sizeof b)
    {
      ssize_t r = getrandom (b + got, sizeof b - got, 0);
      if (r > 0)
        got += (size_t) r;
    }
  char *s = xmalloc (65);
  for (size_t i = 0; i < 32; i++)
    snprintf (s + 2 * i, 3, "%02x", b[i]);
  return s;
}

static json_value *
docker_mount (const char *type, const char *name, const char *src, const char *dest, const char *mode, bool rw,
              const char *prop)
{
  json_value *m = json_object_new ();
  json_object_set (m, "Type", json_string_new (type));
  if (name)
    json_object_set (m, "Name", json_string_new (name));
  json_object_set (m, "Source", json_string_new (src));
  json_object_set (m, "Destination", json_string_new (dest));
  if (name)
    json_object_set (m, "Driver", json_string_new ("local"));
  json_object_set (m, "Mode", json_string_new (mode));
  json_object_set (m, "RW", json_bool_new (rw));
  json_object_set (m, "Propagation", json_string_new (prop));
  return m;
}

static json_value *
bind_oci (const char *dest, const char *src, bool recursive, bool ro, const char *prop)
{
  const char *opts[4] = { recursive ? "rbind" : "bind", NULL, NULL, NULL };
  size_t n = 1;
  if (ro)
    opts[n++] = "ro";
  opts[n++] = prop && prop[0] ? prop : "rprivate";
  return spec_mount_new (dest, "bind", src, opts);
}

static int
add_volume (struct spec_ctx *c, struct ulist *l, const char *name, const char *dest, bool ro, bool nocopy,
            const char *mode, kago_error_t *err)
{
  cleanup_free char *anon = name ? NULL : random_name ();
  cleanup_free char *src = NULL;
  if (volume_prepare (c, name ? name : anon, name == NULL, dest, !nocopy, &src, err) < 0)
    return -1;
  const char *vn = name ? name : anon;
  return ulist_add (l, dest, bind_oci (dest, src, true, ro, NULL),
                    docker_mount ("volume", vn, src, dest, mode, !ro, ""), err);
}

/* ---- -v / --volume ---- */

struct vmode
{
  bool ro, nocopy;
  const char *prop;
};

static bool
parse_vmode (const char *mode, struct vmode *m)
{
  static const char *const props[] = { "private", "rprivate", "shared", "rshared", "slave", "rslave" };
  int rw = 0, label = 0, prop = 0, cp = 0, cons = 0;
  memset (m, 0, sizeof *m);
  cleanup_free char *copy = xstrdup (mode);
  char *save = NULL;
  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      if (strcmp (t, "ro") == 0 || strcmp (t, "rw") == 0)
        rw++, m->ro = t[1] == 'o';
      else if (strcmp (t, "z") == 0 || strcmp (t, "Z") == 0)
        label++;
      else if (strcmp (t, "nocopy") == 0)
        cp++, m->nocopy = true;
      else if (strcmp (t, "consistent") == 0 || strcmp (t, "cached") == 0 || strcmp (t, "delegated") == 0)
        cons++;
      else
        {
          bool ok = false;
          for (size_t i = 0; i < 6 && !ok; i++)
            if (strcmp (t, props[i]) == 0)
              {
                ok = true;
                prop++;
                m->prop = props[i];
              }
          if (!ok)
            return false;
        }
    }
  return rw <= 1 && label <= 1 && prop <= 1 && cp <= 1 && cons <= 1;
}

static int
add_dash_v (struct spec_ctx *c, struct ulist *l, const char *raw, struct kago_strv *anon_dests, kago_error_t *err)
{
  cleanup_free char *copy = xstrdup (raw);
  char *parts[4];
  size_t n = 0;
  char *p = copy;
  while (n < 4)
    {
      parts[n++] = p;
      char *colon = strchr (p, ':');
      if (!colon)
        break;
      *colon = '\0';
      p = colon + 1;
    }
  if (strchr (p, ':') || n > 3)
    return kago_error_set (err, 0, "invalid volume specification: '%s'", raw);
  for (size_t i = 0; i < n; i++)
    if (parts[i][0] == '\0')
      return kago_error_set (err, 0, "invalid volume specification: '%s'", raw);
  const char *src = NULL, *dst = parts[0], *mode = "";
  struct vmode vm;
  if (n == 2)
    {
      if (parse_vmode (parts[1], &vm))
        mode = parts[1];
      else
        src = parts[0], dst = parts[1];
    }
  else if (n == 3)
    src = parts[0], dst = parts[1], mode = parts[2];
  if (!parse_vmode (mode, &vm))
    return kago_error_set (err, 0, "invalid mode: %s", mode);
  cleanup_free char *abs = NULL;
  if (src && (strcmp (src, ".") == 0 || strcmp (src, "..") == 0 || strncmp (src, "./", 2) == 0
              || strncmp (src, "../", 3) == 0))
    {
      char cwd[4096];
      if (getcwd (cwd, sizeof cwd) == NULL)
        return kago_error_set (err, errno, "getcwd");
      cleanup_free char *joined = xasprintf ("%s/%s", cwd, src);
      abs = clean_abs (joined);
      src = abs;
    }
  bool bind = src && src[0] == '/';
  if (check_target (bind ? "bind" : "volume", dst, err) < 0)
    return -1;
  cleanup_free char *dest = clean_abs (dst);
  if (!bind && src && !valid_volume_name (src))
    return kago_error_set (err, 0,
                           "create %s: \"%s\" includes invalid characters for a local volume name, only "
                           "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use "
                           "absolute path",
                           src, src);
  if (!bind)
    {
      if (src == NULL)
        kago_strv_push (anon_dests, dest);
      return add_volume (c, l, src, dest, vm.ro, vm.nocopy, src ? (mode[0] ? mode : "z") : mode, err);
    }
  if (vm.nocopy)
    return kago_error_set (err, 0, "invalid mode: %s", mode);
  cleanup_free char *hsrc = clean_abs (src);
  struct stat st;
  if (stat (hsrc, &st) < 0)
    {
      /* -v creates a missing host directory, as docker does.  */
      if (errno != ENOENT || mkdir_p (hsrc, 0755, err) < 0)
        return kago_error_set (err, errno, "invalid mount config for type \"bind\": %s", hsrc);
    }
  const char *prop = vm.prop ? vm.prop : "rprivate";
  return ulist_add (l, dest, bind_oci (dest, hsrc, true, vm.ro, prop),
                    docker_mount ("bind", NULL, hsrc, dest, mode, !vm.ro, prop), err);
}

/* ---- tmpfs options (moby's MergeTmpfsOptions) ---- */

static int
merge_tmpfs (struct kago_strv *opts, const char *user, kago_error_t *err)
{
  static const char *const flags[] = { "defaults", "ro",        "rw",          "suid",        "nosuid",
                                       "dev",      "nodev",     "exec",        "noexec",      "sync",
                                       "async",    "dirsync",   "remount",     "mand",        "nomand",
                                       "atime",    "noatime",   "diratime",    "nodiratime",  "bind",
                                       "rbind",    "unbindable", "runbindable", "private",    "rprivate",
                                       "shared",   "rshared",   "slave",       "rslave",      "relatime",
                                       "norelatime", "strictatime", "nostrictatime" };
  static const char *const data[] = { "size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol" };
  static const char *const pairs[][2] = { { "ro", "rw" },     { "suid", "nosuid" }, { "dev", "nodev" },
                                          { "exec", "noexec" }, { "atime", "noatime" }, { "diratime", "nodiratime" },
                                          { "relatime", "norelatime" }, { "strictatime", "nostrictatime" },
                                          { "sync", "async" },  { "mand", "nomand" } };
  cleanup_free char *copy = xstrdup (user ? user : "");
  char *save = NULL;
  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (t, '=');
      if (eq)
        {
          size_t kl = (size_t) (eq - t);
          bool ok = false;
          for (size_t i = 0; i < sizeof data / sizeof data[0]; i++)
            ok |= strlen (data[i]) == kl && strncmp (data[i], t, kl) == 0;
          if (!ok)
            return kago_error_set (err, 0, "Invalid tmpfs option \"%s\"", t);
          for (size_t i = 0; i < opts->n; i++)
            if (strncmp (opts->v[i], t, kl + 1) == 0)
              {
                free (opts->v[i]);
                memmove (&opts->v[i], &opts->v[i + 1], (opts->n - i) * sizeof *opts->v);
                opts->n--;
                i--;
              }
          kago_strv_push (opts, t);
          continue;
        }
      bool ok = false;
      for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        ok |= strcmp (flags[i], t) == 0;
      if (!ok)
        return kago_error_set (err, 0, "Invalid tmpfs option \"%s\"", t);
      const char *opposite = NULL;
      for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        for (int k = 0; k < 2; k++)
          if (strcmp (pairs[i][k], t) == 0)
            opposite = pairs[i][!k];
      for (size_t i = 0; i < opts->n; i++)
        if (strcmp (opts->v[i], t) == 0 || (opposite && strcmp (opts->v[i], opposite) == 0))
          {
            free (opts->v[i]);
            memmove (&opts->v[i], &opts->v[i + 1], (opts->n - i) * sizeof *opts->v);
            opts->n--;
            i--;
          }
      kago_strv_push (opts, t);
    }
  return 0;
}

static int
add_tmpfs (struct ulist *l, const char *dest, const char *user_opts, json_value *docker, kago_error_t *err)
{
  struct kago_strv opts = { 0 };
  kago_strv_push (&opts, "noexec");
  kago_strv_push (&opts, "nosuid");
  kago_strv_push (&opts, "nodev");
  kago_strv_push (&opts, "rprivate");
  if (merge_tmpfs (&opts, user_opts, err) < 0)
    {
      kago_strv_clear (&opts);
      json_free (docker);
      return -1;
    }
  json_value *m = spec_mount_new (dest, "tmpfs", "tmpfs", (const char *const *) opts.v);
  kago_strv_clear (&opts);
  return ulist_add (l, dest, m, docker, err);
}

static int
add_mount_opt (struct spec_ctx *c, struct ulist *l, const struct kago_mount_opt *m, kago_error_t *err)
{
  static const char *const tname[] = { "bind", "volume", "tmpfs" };
  if (check_target (tname[m->type], m->target, err) < 0)
    return -1;
  cleanup_free char *dest = clean_abs (m->target);
  switch (m->type)
    {
    case KAGO_MOUNT_BIND:
      {
        if (m->source == NULL || m->source[0] == '\0')
          return kago_error_set (err, 0, "invalid mount config for type \"bind\": field Source must not be empty");
        if (m->source[0] != '/')
          return kago_error_set (err, 0, "invalid mount config for type \"bind\": invalid mount path: '%s' mount "
                                         "path must be absolute",
                                 m->source);
        struct stat st;
        if (stat (m->source, &st) < 0)
          return kago_error_set (err, 0, "invalid mount config for type \"bind\": bind source path does not exist: %s",
                                 m->source);
        cleanup_free char *src = clean_abs (m->source);
        const char *prop = m->propagation ? m->propagation : "rprivate";
        return ulist_add (l, dest, bind_oci (dest, src, !m->bind_nonrecursive, m->readonly, prop),
                          docker_mount ("bind", NULL, src, dest, "", !m->readonly, prop), err);
      }
    case KAGO_MOUNT_VOLUME:
      if (m->source && m->source[0] && !valid_volume_name (m->source))
        return kago_error_set (err, 0,
                               "create %s: \"%s\" includes invalid characters for a local volume name, only "
                               "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
                               m->source, m->source);
      return add_volume (c, l, m->source && m->source[0] ? m->source : NULL, dest, m->readonly, m->nocopy, "", err);
    case KAGO_MOUNT_TMPFS:
      {
        if (m->source && m->source[0])
          return kago_error_set (err, 0, "invalid mount config for type \"tmpfs\": field Source must not be specified");
        strbuf sb = STRBUF_INIT;
        if (m->tmpfs_size)
          {
            cleanup_free char *s = kago_tmpfs_size_option (m->tmpfs_size);
            strbuf_adds (&sb, s);
          }
        if (m->tmpfs_mode)
          strbuf_addf (&sb, "%smode=%o", sb.len ? "," : "", m->tmpfs_mode);
        if (m->readonly)
          strbuf_addf (&sb, "%sro", sb.len ? "," : "");
        cleanup_free char *data = strbuf_detach (&sb);
        return add_tmpfs (l, dest, data, docker_mount ("tmpfs", NULL, "", dest, "", !m->readonly, ""), err);
      }
    default:
      return kago_error_set (err, 0, "invalid mount type");
    }
}

/* ---- /etc/hostname, /etc/hosts, /etc/resolv.conf ---- */

static int
write_in (const char *dir, const char *name, const char *content, kago_error_t *err)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, name);
  return write_file (p, content, strlen (content), err);
}

/* On a user-defined network, Docker's file for its embedded DNS server at
   127.0.0.11: the search domains and options (ndots:0 first unless one is
   given) of the flags or the host, and the servers it forwards to (--dns,
   else the host's) in a comment.  */
static char *
resolv_conf_internal (const struct kago_run_opts *o, char *host)
{
  strbuf search = STRBUF_INIT, opts = STRBUF_INIT, ext = STRBUF_INIT;
  for (size_t i = 0; i < o->dns_search.n; i++)
    strbuf_addf (&search, " %s", o->dns_search.v[i]);
  for (size_t i = 0; i < o->dns.n; i++)
    strbuf_addf (&ext, "%s%s", ext.len ? " " : "", o->dns.v[i]);
  bool ndots = false;
  for (size_t i = 0; i < o->dns_option.n; i++)
    {
      strbuf_addf (&opts, " %s", o->dns_option.v[i]);
      ndots |= strncmp (o->dns_option.v[i], "ndots:", 6) == 0;
    }
  char *save = NULL;
  for (char *line = strtok_r (host, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      const char *rest = NULL;
      if (strncmp (line, "search", 6) == 0 && (line[6] == ' ' || line[6] == '\t') && !o->dns_search.n)
        strbuf_addf (&search, "%s", line + 6);
      else if (strncmp (line, "options", 7) == 0 && (line[7] == ' ' || line[7] == '\t') && !o->dns_option.n)
        {
          strbuf_addf (&opts, "%s", line + 7);
          ndots |= strstr (line, "ndots:") != NULL;
        }
      else if (strncmp (line, "nameserver", 10) == 0 && !o->dns.n)
        {
          for (rest = line + 10; *rest == ' ' || *rest == '\t'; rest++)
            ;
          strbuf_addf (&ext, "%s%s", ext.len ? " " : "", rest);
        }
    }
  strbuf sb = STRBUF_INIT;
  strbuf_adds (&sb, "nameserver 127.0.0.11\n");
  if (search.len)
    strbuf_addf (&sb, "search%s\n", search.buf);
  strbuf_addf (&sb, "options%s%s\n", ndots ? "" : " ndots:0", opts.len ? opts.buf : "");
  strbuf_addf (&sb, "\n# ExtServers: [%s]\n", ext.len ? ext.buf : "");
  strbuf_release (&search);
  strbuf_release (&opts);
  strbuf_release (&ext);
  return strbuf_detach (&sb);
}

static char *
resolv_conf (struct spec_ctx *c)
{
  const struct kago_run_opts *o = c->o;
  cleanup_free char *host = NULL;
  size_t len;
  kago_error_t e = NULL;
  if (read_file ("/etc/resolv.conf", &host, &len, &e) < 0)
    {
      kago_error_release (&e);
      host = xstrdup ("");
    }
  if (c->net_host && !o->dns.n && !o->dns_search.n && !o->dns_option.n)
    return steal_pointer (&host);
  if (c->net_user)
    return resolv_conf_internal (o, host);
  strbuf sb = STRBUF_INIT;
  bool ns = false;
  if (o->dns_search.n)
    {
      strbuf_adds (&sb, "search");
      for (size_t i = 0; i < o->dns_search.n; i++)
        strbuf_addf (&sb, " %s", o->dns_search.v[i]);
      strbuf_addc (&sb, '\n');
    }
  for (size_t i = 0; i < o->dns.n; i++, ns = true)
    strbuf_addf (&sb, "nameserver %s\n", o->dns.v[i]);
  if (o->dns_option.n)
    {
      strbuf_adds (&sb, "options");
      for (size_t i = 0; i < o->dns_option.n; i++)
        strbuf_addf (&sb, " %s", o->dns_option.v[i]);
      strbuf_addc (&sb, '\n');
    }
  /* The host's lines docker keeps: all but those the flags replace, and
     no loopback nameserver (it is not reachable from another netns).  */
  char *save = NULL;
  for (char *line = strtok_r (host, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      bool is_ns = strncmp (line, "nameserver", 10) == 0;
      if ((is_ns && o->dns.n) || (strncmp (line, "search", 6) == 0 && o->dns_search.n)
          || (strncmp (line, "options", 7) == 0 && o->dns_option.n))
        continue;
      if (is_ns && !c->net_host)
        {
          const char *a = line + 10;
          while (*a == ' ' || *a == '\t')
            a++;
          if (strncmp (a, "127.", 4) == 0 || strcmp (a, "::1") == 0)
            continue;
        }
      ns |= is_ns;
      strbuf_addf (&sb, "%s\n", line);
    }
  if (!ns && !c->net_host)
    strbuf_adds (&sb, "nameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\n"
                      "nameserver 2001:4860:4860::8844\n");
  return strbuf_detach (&sb);
}

/* What --add-host NAME:host-gateway maps to: the gateway of the default
   network (Docker's default host-gateway-ip), its record made when
   missing.  */
static int
host_gateway (struct spec_ctx *c, char out[KAGO_IPV4_STRLEN], kago_error_t *err)
{
  const char *root = c->in->engine_root;
  if (root == NULL)
    return kago_error_set (err, 0, "--add-host %s: no engine store to find the default network in",
                           KAGO_HOST_GATEWAY);
  struct kago_net n;
  if (kago_net_find (root, KAGO_NET_DEFAULT, &n, err) < 0)
    return kago_error_wrap (err, "--add-host %s", KAGO_HOST_GATEWAY);
  kago_ipv4_format (n.pool.gateway, out);
  kago_net_clear (&n);
  return 0;
}

static int
etc_files (struct spec_ctx *c, struct ulist *l, kago_error_t *err)
{
  const char *dir = c->in->container_dir;
  if (dir == NULL)
    return 0;
  cleanup_free char *srcdir = NULL;
  if (c->net_ctr_id)
    {
      /* share the other container's files */
      cleanup_free char *copy = xstrdup (dir);
      char *slash = strrchr (copy, '/');
      if (slash)
        *slash = '\0';
      srcdir = xasprintf ("%s/%s", copy, c->net_ctr_id);
    }
  else
    {
      cleanup_free char *hn = xasprintf ("%s\n", c->hostname);
      if (write_in (dir, "hostname", hn, err) < 0)
        return -1;
      strbuf hosts = STRBUF_INIT;
      cleanup_free char *host_hosts = NULL;
      size_t len;
      kago_error_t e = NULL;
      if (c->net_host && read_file ("/etc/hosts", &host_hosts, &len, &e) == 0)
        strbuf_adds (&hosts, host_hosts);
      else
        {
          kago_error_release (&e);
          strbuf_adds (&hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                               "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                               "ff02::2\tip6-allrouters\n");
        }
      char gw[KAGO_IPV4_STRLEN] = "";
      for (size_t i = 0; i < c->o->add_host.n; i++)
        {
          const char *h = c->o->add_host.v[i];
          const char *sep = strchr (h, ':');
          if (sep == NULL || sep == h || sep[1] == '\0')
            {
              strbuf_release (&hosts);
              return kago_error_set (err, 0, "bad format for add-host: \"%s\"", h);
            }
          const char *ip = sep + 1;
          size_t iplen = strlen (ip);
          if (strcmp (ip, KAGO_HOST_GATEWAY) == 0)
            {
              if (*gw == '\0' && host_gateway (c, gw, err) < 0)
                {
                  strbuf_release (&hosts);
                  return -1;
                }
              ip = gw;
              iplen = strlen (gw);
            }
          else if (ip[0] == '[' && iplen >= 2 && ip[iplen - 1] == ']')
            ip++, iplen -= 2;
          strbuf_addf (&hosts, "%.*s\t%.*s\n", (int) iplen, ip, (int) (sep - h), h);
        }
      int rc = write_in (dir, "hosts", hosts.buf, err);
      strbuf_release (&hosts);
      cleanup_free char *rc_text = resolv_conf (c);
      if (rc < 0 || write_in (dir, "resolv.conf", rc_text, err) < 0)
        return -1;
      srcdir = xstrdup (dir);
    }
  static const char *const names[] = { "resolv.conf", "hostname", "hosts" };
  for (size_t i = 0; i < 3; i++)
    {
      cleanup_free char *dest = xasprintf ("/etc/%s", names[i]);
      if (ulist_has (l, dest))
        continue;
      cleanup_free char *src = xasprintf ("%s/%s", srcdir, names[i]);
      if (ulist_add (l, dest, bind_oci (dest, src, true, c->o->read_only, "rprivate"), NULL, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- defaults, masked paths, workdir ---- */

static void
default_mounts (struct spec_ctx *c, const struct ulist *l, json_value *arr)
{
  const struct kago_run_opts *o = c->o;
  bool user_dev = ulist_has (l, "/dev");
  bool sys_rw = o->privileged;
  bool cg_rw = o->privileged || c->writable_cgroups;
  cleanup_free char *shm_size = xasprintf ("size=%lld", (long long) (o->shm_size ? o->shm_size : 64 << 20));
  cleanup_free char *shm_src = c->ipc_pid ? xasprintf ("/proc/%d/root/dev/shm", (int) c->ipc_pid) : NULL;
  struct
  {
    const char *dest, *type, *src;
    const char *opts[7];
    bool skip;
  } d[] = {
    { "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" }, false },
    { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" }, false },
    { "/dev/pts", "devpts", "devpts", { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" },
      false },
    { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", sys_rw ? "rw" : "ro" }, false },
    { "/sys/fs/cgroup", "cgroup", "cgroup", { cg_rw ? "rw" : "ro", "nosuid", "noexec", "nodev" }, false },
    { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" }, false },
    { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", shm_size }, c->ipc_none },
  };
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
    {
      if (d[i].skip || ulist_has (l, d[i].dest) || (user_dev && strncmp (d[i].dest, "/dev/", 5) == 0))
        continue;
      if (strcmp (d[i].dest, "/dev/shm") == 0 && (c->ipc_host || c->ipc_pid))
        {
          const char *opts[] = { "rbind", "rprivate", NULL };
          json_array_append (arr, spec_mount_new ("/dev/shm", "bind", c->ipc_host ? "/dev/shm" : shm_src, opts));
          continue;
        }
      json_array_append (arr, spec_mount_new (d[i].dest, d[i].type, d[i].src, d[i].opts));
    }
}

static void
masked_paths (struct spec_ctx *c)
{
  if (c->o->privileged || c->systempaths_unconfined)
    return;
  static const char *const masked[] = { "/proc/asound",     "/proc/acpi",        "/proc/interrupts",
                                        "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
                                        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                                        "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap" };
  static const char *const ro[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" };
  json_value *m = json_array_new ();
  for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++)
    json_array_append (m, json_string_new (masked[i]));
  glob_t g;
  if (glob ("/sys/devices/system/cpu/cpu*/thermal_throttle", GLOB_NOSORT, NULL, &g) == 0)
    {
      for (size_t i = 0; i < g.gl_pathc; i++)
        json_array_append (m, json_string_new (g.gl_pathv[i]));
      globfree (&g);
    }
  json_object_set (c->linux_, "maskedPaths", m);
  json_value *r = json_array_new ();
  for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++)
    json_array_append (r, json_string_new (ro[i]));
  json_object_set (c->linux_, "readonlyPaths", r);
}

static int
make_workdir (struct spec_ctx *c, kago_error_t *err)
{
  if (strcmp (c->workdir, "/") == 0)
    return 0;
  cleanup_close int rootfd = open (c->in->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return kago_error_set (err, errno, "open %s", c->in->rootfs);
  int fd = mkdir_p_in_root (rootfd, c->workdir, 0755, err);
  if (fd < 0)
    return kago_error_wrap (err, "create the working directory %s", c->workdir);
  close (fd);
  return 0;
}

int
spec_mounts (struct spec_ctx *c, kago_error_t *err)
{
  const struct kago_run_opts *o = c->o;
  struct ulist l = { 0 };
  struct kago_strv anon = { 0 };
  int rc = -1;
  for (size_t i = 0; i < o->volumes.n; i++)
    if (add_dash_v (c, &l, o->volumes.v[i], &anon, err) < 0)
      goto out;
  for (size_t i = 0; i < o->nmounts; i++)
    if (add_mount_opt (c, &l, &o->mounts[i], err) < 0)
      goto out;
  for (size_t i = 0; i < o->tmpfs.n; i++)
    {
      const char *t = o->tmpfs.v[i];
      const char *colon = strchr (t, ':');
      cleanup_free char *d = colon ? xstrndup (t, (size_t) (colon - t)) : xstrdup (t);
      if (d[0] != '/')
        {
          kago_error_set (err, 0, "invalid mount path: '%s' mount path must be absolute", d);
          goto out;
        }
      cleanup_free char *dest = clean_abs (d);
      if (add_tmpfs (&l, dest, colon ? colon + 1 : NULL, NULL, err) < 0)
        goto out;
    }
  /* the image's VOLUMEs that no user mount covers: anonymous volumes */
  const json_value *iv = json_object_get (c->icfg, "Volumes");
  for (size_t i = 0; i < json_object_len (iv); i++)
    {
      cleanup_free char *dest = clean_abs (iv->u.obj.members[i].key);
      if (!ulist_has (&l, dest) && add_volume (c, &l, NULL, dest, false, false, "", err) < 0)
        goto out;
    }
  if (etc_files (c, &l, err) < 0)
    goto out;
  qsort (l.v, l.n, sizeof *l.v, cmp_depth);

  json_value *arr = json_object_get (c->oci, "mounts");
  default_mounts (c, &l, arr);
  for (size_t i = 0; i < l.n; i++)
    {
      json_array_append (arr, steal_pointer (&l.v[i].oci));
      if (l.v[i].docker)
        json_array_append (c->mounts, steal_pointer (&l.v[i].docker));
    }
  /* Config.Volumes: the image's and -v's anonymous destinations */
  json_value *vols = json_object_new ();
  for (size_t i = 0; i < json_object_len (iv); i++)
    json_object_set (vols, iv->u.obj.members[i].key, json_object_new ());
  for (size_t i = 0; i < anon.n; i++)
    json_object_set (vols, anon.v[i], json_object_new ());
  if (json_object_len (vols) == 0)
    {
      json_free (vols);
      vols = json_null_new ();
    }
  json_object_set (c->config, "Volumes", vols);
  masked_paths (c);
  rc = make_workdir (c, err);
out:
  ulist_free (&l);
  kago_strv_clear (&anon);
  return rc;
}
