/* Idmapped mounts (runtime-spec 1.2 `idmap`/`ridmap`, seed 003).
 *
 * Setting MOUNT_ATTR_IDMAP needs privilege over the filesystem (the host's
 * CAP_SYS_ADMIN) and a detached mount, so the runtime parent builds the
 * trees: after the init's user namespace has its maps, for the rootfs (when
 * the bundle asks for it) and for every idmapped bind mount, it clones the
 * source with open_tree(OPEN_TREE_CLONE), idmaps the clone through a user
 * namespace fd and sends the fds to the init (SYNC_IDMAP), which attaches
 * them inside its mount namespace like any other bind mount.
 *
 * The user namespace of a mapping: the container's own when the mount gives
 * no mappings (or the same ones as linux.uidMappings/gidMappings);
 * otherwise a throwaway one made for it by a short-lived child.  The
 * mappings read as the container's do: containerID hostID size, so
 * {0, 100000, 65536} makes a host-root-owned file appear as the container's
 * root (host uid 100000) and what the container's root writes land on disk
 * as uid 0.
 *
 * The rootfs is idmapped when the container has a user namespace and the
 * annotation io.kago.rootfs.idmap is "true" (runtime-spec has no field for
 * it): an image unpacked as host root is then usable without any chown.
 */
#include "runtime/core.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "runtime/mounts.h"

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

static bool
opt_has (const oci_mount *m, const char *opt)
{
  for (size_t i = 0; i < m->options.n; i++)
    if (strcmp (m->options.v[i], opt) == 0)
      return true;
  return false;
}

bool
kago_idmap_mount_wanted (const oci_mount *m)
{
  return opt_has (m, "idmap") || opt_has (m, "ridmap") || m->uid_mappings.n || m->gid_mappings.n;
}

bool
kago_idmap_rootfs_wanted (const oci_spec *s)
{
  const char *v = oci_map_get (&s->annotations, KAGO_ANNOTATION_ROOTFS_IDMAP);
  return v && strcmp (v, "true") == 0;
}

bool
kago_idmap_wanted (const oci_spec *s)
{
  if (kago_idmap_rootfs_wanted (s))
    return true;
  for (size_t i = 0; i < s->n_mounts; i++)
    if (kago_idmap_mount_wanted (&s->mounts[i]))
      return true;
  return false;
}

static bool
is_bind (const oci_mount *m)
{
  return (m->type && strcmp (m->type, "bind") == 0) || opt_has (m, "bind") || opt_has (m, "rbind");
}

int
kago_idmap_validate (const oci_spec *s, bool userns, bool new_mountns, kago_error_t *err)
{
  if (!new_mountns && kago_idmap_wanted (s))
    return kago_error_set (err, 0, "idmapped mounts need a new mount namespace (linux.namespaces)");
  const char *v = oci_map_get (&s->annotations, KAGO_ANNOTATION_ROOTFS_IDMAP);
  if (v && strcmp (v, "true") != 0 && strcmp (v, "false") != 0)
    return kago_error_set (err, 0, "annotations[\"%s\"]: expected \"true\" or \"false\", not \"%s\"",
                           KAGO_ANNOTATION_ROOTFS_IDMAP, v);
  if (kago_idmap_rootfs_wanted (s) && !userns)
    return kago_error_set (err, 0,
                           "annotations[\"%s\"]: an idmapped rootfs needs a user namespace (linux.namespaces "
                           "and linux.uidMappings)",
                           KAGO_ANNOTATION_ROOTFS_IDMAP);
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      const oci_mount *m = &s->mounts[i];
      if (!kago_idmap_mount_wanted (m))
        continue;
      if (!is_bind (m))
        return kago_error_set (err, 0, "mounts[%zu] (`%s`): idmap applies to bind mounts only", i,
                               m->destination ? m->destination : "");
      if (!m->uid_mappings.n != !m->gid_mappings.n)
        return kago_error_set (err, 0,
                               "mounts[%zu] (`%s`): an idmapped mount needs both uidMappings and "
                               "gidMappings, or neither (the container's)",
                               i, m->destination ? m->destination : "");
      if (!m->uid_mappings.n && !userns)
        return kago_error_set (
            err, 0,
            "mounts[%zu] (`%s`): idmap without uidMappings/gidMappings uses the container's "
            "user namespace, and this container has none",
            i, m->destination ? m->destination : "");
      const oci_id_mappings *maps[2] = { &m->uid_mappings, &m->gid_mappings };
      for (int k = 0; k < 2; k++)
        for (size_t j = 0; j < maps[k]->n; j++)
          if (maps[k]->items[j].size == 0)
            return kago_error_set (err, 0, "mounts[%zu].%s[%zu].size: must not be 0", i,
                                   k ? "gidMappings" : "uidMappings", j);
    }
  return 0;
}

static bool
same_maps (const oci_id_mappings *a, const oci_id_mappings *b)
{
  if (a->n != b->n)
    return false;
  for (size_t i = 0; i < a->n; i++)
    if (a->items[i].container_id != b->items[i].container_id || a->items[i].host_id != b->items[i].host_id
        || a->items[i].size != b->items[i].size)
      return false;
  return true;
}

static char *
map_text (const oci_id_mappings *m)
{
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  for (size_t i = 0; i < m->n; i++)
    strbuf_addf (&sb, "%u %u %u\n", m->items[i].container_id, m->items[i].host_id, m->items[i].size);
  return strbuf_detach (&sb);
}

static int
write_proc (pid_t pid, const char *file, const char *text, kago_error_t *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t) strlen (text))
    return kago_error_set (err, errno, "write %s", path);
  return 0;
}

/* A user namespace with these mappings, held by an fd: a child unshares
   one and waits while we write its maps and open it.  */
static int
userns_for (const oci_id_mappings *uids, const oci_id_mappings *gids, kago_error_t *err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return kago_error_set (err, errno, "pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return kago_error_set (err, errno, "fork");
    }
  if (pid == 0)
    {
      close (p[1]);
      char c;
      if (unshare (CLONE_NEWUSER) < 0)
        _exit (1);
      /* Wait until the parent is done (EOF).  */
      while (read (p[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (p[0]);
  int ret = -1;
  cleanup_free char *u = map_text (uids);
  cleanup_free char *g = map_text (gids);
  char path[64];
  /* The child unshares asynchronously: wait for its user ns to differ.  */
  char self[64] = "", child[64] = "";
  ssize_t n = readlink ("/proc/self/ns/user", self, sizeof self - 1);
  if (n > 0)
    self[n] = '\0';
  snprintf (path, sizeof path, "/proc/%d/ns/user", (int) pid);
  for (int i = 0; i < 2000; i++)
    {
      n = readlink (path, child, sizeof child - 1);
      if (n <= 0)
        break;
      child[n] = '\0';
      if (strcmp (child, self) != 0)
        break;
      usleep (100);
    }
  if (strcmp (child, self) == 0 || child[0] == '\0')
    kago_error_set (err, 0, "a user namespace for an idmapped mount did not come up");
  else if (write_proc (pid, "uid_map", u, err) == 0 && write_proc (pid, "setgroups", "deny", err) == 0
           && write_proc (pid, "gid_map", g, err) == 0)
    {
      ret = open (path, O_RDONLY | O_CLOEXEC);
      if (ret < 0)
        kago_error_set (err, errno, "open %s", path);
    }
  close (p[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return ret;
}

/* Clone SOURCE (recursively for rbind) as a detached tree and idmap it
   (its submounts too for ridmap).  */
static int
idmapped_tree (const char *source, bool recursive, bool rec_idmap, int userns_fd, kago_error_t *err)
{
  cleanup_close int tfd
      = open_tree (AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (tfd < 0)
    return kago_error_set (err, errno, "open_tree `%s`", source);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd };
  if (mount_setattr (tfd, "", AT_EMPTY_PATH | (rec_idmap ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    {
      if (errno == EINVAL)
        return kago_error_set (err, errno,
                               "idmap `%s` (its filesystem may not support idmapped mounts, or a submount of "
                               "an rbind does: use ridmap only where every submount can be idmapped)",
                               source);
      return kago_error_set (err, errno, "idmap `%s`", source);
    }
  return steal_fd (&tfd);
}

/* The idmapped tree of mount M.  */
static int
mount_tree (const oci_mount *m, const char *bundle, int own_userns, const oci_id_mappings *cu,
            const oci_id_mappings *cg, kago_error_t *err)
{
  cleanup_close int tmp_userns = -1;
  int userns = own_userns;
  if (m->uid_mappings.n
      && !(own_userns >= 0 && cu && cg && same_maps (&m->uid_mappings, cu)
           && same_maps (&m->gid_mappings, cg)))
    {
      tmp_userns = userns_for (&m->uid_mappings, &m->gid_mappings, err);
      if (tmp_userns < 0)
        return -1;
      userns = tmp_userns;
    }
  if (userns < 0)
    return kago_error_set (err, 0, "the container's user namespace is not available");
  cleanup_free char *src = m->source && m->source[0] != '/' && bundle ? xasprintf ("%s/%s", bundle, m->source)
                                                                      : xstrdup (m->source ? m->source : "");
  return idmapped_tree (src, opt_has (m, "rbind"), opt_has (m, "ridmap"), userns, err);
}

int
kago_idmap_open_trees (const oci_spec *s, const char *bundle, const char *rootfs, pid_t init_pid, int *fds,
                       size_t max, size_t *n_out, kago_error_t *err)
{
  size_t n = 0;
  cleanup_close int own_userns = -1;
  *n_out = 0;
  if (init_pid > 0)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/user", (int) init_pid);
      own_userns = open (path, O_RDONLY | O_CLOEXEC);
    }
  const oci_id_mappings *cu = s->has_linux ? &s->linux_.uid_mappings : NULL;
  const oci_id_mappings *cg = s->has_linux ? &s->linux_.gid_mappings : NULL;
  if (kago_idmap_rootfs_wanted (s))
    {
      int fd = own_userns < 0 ? kago_error_set (err, 0, "the container's user namespace is not available")
                              : idmapped_tree (rootfs, true, false, own_userns, err);
      if (fd < 0)
        return kago_error_wrap (err, "the idmapped rootfs");
      fds[n++] = fd;
    }
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      const oci_mount *m = &s->mounts[i];
      if (!kago_idmap_mount_wanted (m))
        continue;
      int fd = n == max ? kago_error_set (err, 0, "too many idmapped mounts (at most %zu)", max)
                        : mount_tree (m, bundle, own_userns, cu, cg, err);
      if (fd < 0)
        {
          kago_error_wrap (err, "mounts[%zu] (`%s`)", i, m->destination ? m->destination : "");
          for (size_t k = 0; k < n; k++)
            close (fds[k]);
          return -1;
        }
      fds[n++] = fd;
    }
  *n_out = n;
  return 0;
}
