/* linux.sysctl: validation against the container's namespaces (runc's rules)
 * and writing /proc/sys through a procfs handle.
 *
 * Keys are in dot form ("net.ipv4.ip_forward") or, as sysctl(8) accepts, in
 * slash form ("net/ipv4/conf/eth0.100/forwarding") when a component contains
 * a dot.  The slash form is detected by a '/' appearing before any '.'.
 */
#include "runtime/process_attrs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/syscalls.h"
#include "common/xalloc.h"

static bool
is_slash_form (const char *key)
{
  size_t slash = strcspn (key, "/"), dot = strcspn (key, ".");
  return key[slash] == '/' && slash < dot;
}

/* Dot form for matching: in the slash form '.' and '/' swap roles.  */
static char *
key_dot_form (const char *key)
{
  char *s = xstrdup (key);
  if (is_slash_form (key))
    for (char *p = s; *p; p++)
      {
        if (*p == '/')
          *p = '.';
        else if (*p == '.')
          *p = '/';
      }
  return s;
}

/* Relative path under the procfs root: "sys/net/ipv4/ip_forward".  */
static char *
key_proc_path (const char *key)
{
  char *s = xasprintf ("sys/%s", key);
  if (!is_slash_form (key))
    for (char *p = s + 4; *p; p++)
      if (*p == '.')
        *p = '/';
  return s;
}

static bool
key_is_sane (const char *key)
{
  if (key == NULL || *key == '\0' || *key == '.' || *key == '/')
    return false;
  /* every component non-empty and not "." / ".." (in the path form) */
  cleanup_free char *path = key_proc_path (key);
  for (const char *c = path; *c;)
    {
      size_t len = strcspn (c, "/");
      if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
        return false;
      c += len;
      if (*c == '/')
        {
          c++;
          if (*c == '\0')
            return false;
        }
    }
  return true;
}

static bool
is_ipc_sysctl (const char *dotkey)
{
  static const char *const ipc[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  for (size_t i = 0; i < sizeof ipc / sizeof ipc[0]; i++)
    if (strcmp (dotkey, ipc[i]) == 0)
      return true;
  return strncmp (dotkey, "fs.mqueue.", 10) == 0;
}

/* Is PATH the namespace of kind NAME ("net", "ipc", "uts") we are in (the
   "host" one, from the point of view of the runtime)?  */
static int
is_current_ns (const char *name, const char *path, bool *out, kago_error_t *err)
{
  struct stat a, b;
  char self[64];
  snprintf (self, sizeof self, "/proc/self/ns/%s", name);
  if (stat (path, &a) < 0)
    return kago_error_set (err, errno, "stat %s namespace \"%s\"", name, path);
  if (stat (self, &b) < 0)
    return kago_error_set (err, errno, "stat %s", self);
  *out = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  return 0;
}

/* Does the container have a namespace of kind NAME of its own: listed
   (HAS) and not, by its path, the runtime's own?  */
static int
own_ns (bool has, const char *name, const char *path, bool *out, kago_error_t *err)
{
  bool cur = false;
  if (has && path && is_current_ns (name, path, &cur, err) < 0)
    return kago_error_wrap (err, "linux.sysctl");
  *out = has && !cur;
  return 0;
}

int
kago_sysctl_validate (const oci_map *sysctl, const struct kago_ns_flags *ns, kago_error_t *err)
{
  if (sysctl == NULL || sysctl->n == 0)
    return 0;
  bool own_ipc = false, own_net = false, own_uts = false;
  if (own_ns (ns->ipc, "ipc", ns->ipc_path, &own_ipc, err) < 0
      || own_ns (ns->net, "net", ns->net_path, &own_net, err) < 0
      || own_ns (ns->uts, "uts", ns->uts_path, &own_uts, err) < 0)
    return -1;

  for (size_t i = 0; i < sysctl->n; i++)
    {
      const char *key = sysctl->items[i].key;
      if (!key_is_sane (key))
        return kago_error_set (err, EINVAL, "linux.sysctl: invalid key \"%s\"", key ? key : "");
      if (sysctl->items[i].value == NULL)
        return kago_error_set (err, EINVAL, "linux.sysctl[\"%s\"]: missing value", key);

      cleanup_free char *dot = key_dot_form (key);
      if (is_ipc_sysctl (dot))
        {
          if (!own_ipc)
            return kago_error_set (err, EINVAL, "sysctl \"%s\" is not allowed in the host's ipc namespace",
                                   key);
          continue;
        }
      if (strncmp (dot, "net.", 4) == 0)
        {
          if (!own_net)
            return kago_error_set (err, EINVAL,
                                   "sysctl \"%s\" is not allowed in the host's network namespace", key);
          continue;
        }
      if (strcmp (dot, "kernel.hostname") == 0 || strcmp (dot, "kernel.domainname") == 0)
        {
          if (!own_uts)
            return kago_error_set (err, EINVAL, "sysctl \"%s\" is not allowed in the host's uts namespace",
                                   key);
          continue;
        }
      return kago_error_set (err, EINVAL, "sysctl \"%s\" is not in a separate kernel namespace", key);
    }
  return 0;
}

/* Open a file below PROCFD for writing without following any symlink and
   without crossing a mount point.  */
static int
open_proc_file (int procfd, const char *rel, kago_error_t *err)
{
  struct open_how how = {
    .flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd = kago_openat2 (procfd, rel, &how, sizeof how);
  if (fd < 0 && (errno == ENOSYS || errno == E2BIG))
    fd = openat (procfd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EXDEV)
    return kago_error_set (err, errno,
                           "open /proc/%s: a mount covers it (sysctls must be written before "
                           "readonlyPaths/maskedPaths are applied)",
                           rel);
  if (fd < 0)
    return kago_error_set (err, errno, "open /proc/%s", rel);
  return fd;
}

int
kago_sysctl_apply (int procfd, const oci_map *sysctl, kago_error_t *err)
{
  for (size_t i = 0; sysctl && i < sysctl->n; i++)
    {
      const char *key = sysctl->items[i].key;
      const char *value = sysctl->items[i].value ? sysctl->items[i].value : "";
      if (!key_is_sane (key))
        return kago_error_set (err, EINVAL, "linux.sysctl: invalid key \"%s\"", key ? key : "");
      cleanup_free char *rel = key_proc_path (key);
      cleanup_close int fd = open_proc_file (procfd, rel, err);
      if (fd < 0)
        return kago_error_wrap (err, "sysctl \"%s\"", key);
      size_t len = strlen (value);
      ssize_t w = write (fd, value, len);
      if (w < 0 || (size_t) w != len)
        return kago_error_set (err, w < 0 ? errno : EIO, "sysctl \"%s\": write \"%s\" to /proc/%s", key,
                               value, rel);
    }
  return 0;
}
