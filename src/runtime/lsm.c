/* AppArmor and SELinux: host probes, early checks and the exec-time labels.
 *
 * Labels are written through a procfs handle that is verified to really be
 * procfs (fstatfs PROC_SUPER_MAGIC), and the attr files are opened beneath it
 * without crossing mounts or following magic links, so that a fake /proc or a
 * bind mount over attr/exec cannot swallow the label (CVE-2019-16884,
 * CVE-2019-19921, CVE-2023-27561, CVE-2025-52881).
 */
#include "runtime/process_attrs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/syscalls.h"
#include "common/xalloc.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

bool
kago_apparmor_enabled (void)
{
  char buf[4] = "";
  cleanup_fclose FILE *f = fopen ("/sys/module/apparmor/parameters/enabled", "re");
  if (f == NULL || fgets (buf, sizeof buf, f) == NULL)
    return false;
  return buf[0] == 'Y';
}

static bool
is_selinuxfs (const char *path)
{
  struct statfs sfs;
  return statfs (path, &sfs) == 0 && (unsigned long) sfs.f_type == (unsigned long) SELINUX_MAGIC;
}

static bool
selinuxfs_listed (void)
{
  char line[256];
  cleanup_fclose FILE *f = fopen ("/proc/filesystems", "re");
  if (f == NULL)
    return false;
  while (fgets (line, sizeof line, f))
    if (strstr (line, "\tselinuxfs"))
      return true;
  return false;
}

static bool
selinuxfs_mounted (void)
{
  if (is_selinuxfs ("/sys/fs/selinux") || is_selinuxfs ("/selinux"))
    return true;
  if (!selinuxfs_listed ())
    return false;
  /* mounted somewhere else? */
  cleanup_fclose FILE *f = fopen ("/proc/self/mounts", "re");
  struct mntent ent;
  char buf[4096];
  if (f == NULL)
    return false;
  while (getmntent_r (f, &ent, buf, sizeof buf))
    if (strcmp (ent.mnt_type, "selinuxfs") == 0)
      return true;
  return false;
}

bool
kago_selinux_enabled (void)
{
  /* As go-selinux: selinuxfs mounted and our own context is not "kernel"
     (the label of everything when no policy is loaded).  */
  if (!selinuxfs_mounted ())
    return false;
  char buf[64] = "";
  cleanup_fclose FILE *f = fopen ("/proc/self/attr/current", "re");
  if (f == NULL || fgets (buf, sizeof buf, f) == NULL)
    return false;
  buf[strcspn (buf, "\n")] = '\0';
  return buf[0] != '\0' && strcmp (buf, "kernel") != 0;
}

int
kago_lsm_check (const oci_spec *spec, const oci_process *p, kago_error_t *err)
{
  if (p == NULL && spec)
    p = spec->process;
  if (p && p->apparmor_profile && p->apparmor_profile[0] && !kago_apparmor_enabled ())
    return kago_error_set (err, 0, "process.apparmorProfile \"%s\": AppArmor is not enabled on this host",
                           p->apparmor_profile);
  if (p && p->selinux_label && p->selinux_label[0] && !kago_selinux_enabled ())
    return kago_error_set (err, 0, "process.selinuxLabel \"%s\": SELinux is not enabled on this host",
                           p->selinux_label);
  if (spec && spec->has_linux && spec->linux_.mount_label && spec->linux_.mount_label[0]
      && !kago_selinux_enabled ())
    return kago_error_set (err, 0, "linux.mountLabel \"%s\": SELinux is not enabled on this host",
                           spec->linux_.mount_label);
  return 0;
}

/* Write DATA to REL (e.g. "thread-self/attr/exec") under PROCFD.  When
   VERIFY, the opened file must itself be on procfs.  Returns -1 with errno
   set (and no error filled) when the file does not exist, so callers can fall
   back.  */
static int
write_attr (int procfd, const char *rel, const char *data, bool verify, bool *missing, kago_error_t *err)
{
  struct open_how how = {
    .flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  *missing = false;
  cleanup_close int fd = kago_openat2 (procfd, rel, &how, sizeof how);
  if (fd < 0 && (errno == ENOSYS || errno == E2BIG))
    fd = openat (procfd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        {
          *missing = true;
          return -1;
        }
      return kago_error_set (err, errno, "open /proc/%s", rel);
    }
  if (verify)
    {
      struct statfs sfs;
      if (fstatfs (fd, &sfs) < 0)
        return kago_error_set (err, errno, "fstatfs /proc/%s", rel);
      if ((unsigned long) sfs.f_type != (unsigned long) PROC_SUPER_MAGIC)
        return kago_error_set (err, EPERM, "/proc/%s is not on procfs, refusing to write a label to it", rel);
    }
  size_t len = strlen (data);
  ssize_t w = write (fd, data, len);
  if (w < 0 || (size_t) w != len)
    return kago_error_set (err, w < 0 ? errno : EIO, "write \"%s\" to /proc/%s", data, rel);
  return 0;
}

static int
lsm_write_labels (int procfd, const char *apparmor_profile, const char *selinux_label, bool verify,
                  kago_error_t *err)
{
  bool missing;

  if (apparmor_profile && apparmor_profile[0])
    {
      cleanup_free char *data = xasprintf ("exec %s", apparmor_profile);
      if (write_attr (procfd, "thread-self/attr/apparmor/exec", data, verify, &missing, err) < 0)
        {
          if (!missing)
            return kago_error_wrap (err, "set AppArmor profile \"%s\"", apparmor_profile);
          if (write_attr (procfd, "thread-self/attr/exec", data, verify, &missing, err) < 0)
            {
              if (missing)
                return kago_error_set (err, ENOENT, "set AppArmor profile \"%s\": no attr/exec in /proc",
                                       apparmor_profile);
              return kago_error_wrap (err, "set AppArmor profile \"%s\"", apparmor_profile);
            }
        }
    }

  if (selinux_label && selinux_label[0])
    {
      if (write_attr (procfd, "thread-self/attr/exec", selinux_label, verify, &missing, err) < 0)
        {
          if (missing)
            return kago_error_set (err, ENOENT, "set SELinux label \"%s\": no attr/exec in /proc",
                                   selinux_label);
          return kago_error_wrap (err, "set SELinux label \"%s\"", selinux_label);
        }
      /* Keys created by the process get the same label (as runc).  */
      if (write_attr (procfd, "thread-self/attr/keycreate", selinux_label, verify, &missing, err) < 0)
        {
          if (!missing)
            return kago_error_wrap (err, "set SELinux key label \"%s\"", selinux_label);
        }
    }
  return 0;
}

int
kago_lsm_apply_exec (int procfd, const char *apparmor_profile, const char *selinux_label, kago_error_t *err)
{
  bool any = (apparmor_profile && apparmor_profile[0]) || (selinux_label && selinux_label[0]);
  if (!any)
    return 0;
  struct statfs sfs;
  if (fstatfs (procfd, &sfs) < 0)
    return kago_error_set (err, errno, "fstatfs procfs handle");
  if ((unsigned long) sfs.f_type != (unsigned long) PROC_SUPER_MAGIC)
    return kago_error_set (err, EPERM,
                           "the /proc handle is not procfs (f_type 0x%lx), refusing to write LSM labels",
                           (unsigned long) sfs.f_type);
  return lsm_write_labels (procfd, apparmor_profile, selinux_label, true, err);
}

int
kago_lsm_apply_exec_unverified (int dirfd, const char *apparmor_profile, const char *selinux_label,
                                kago_error_t *err)
{
  return lsm_write_labels (dirfd, apparmor_profile, selinux_label, false, err);
}

char *
kago_selinux_mount_data (const char *mount_label, const char *data)
{
  if (mount_label == NULL || mount_label[0] == '\0')
    return NULL;
  if (data && data[0])
    return xasprintf ("%s,context=\"%s\"", data, mount_label);
  return xasprintf ("context=\"%s\"", mount_label);
}
