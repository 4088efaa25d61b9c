/* CVE-2019-5736: a container must never be able to reach the host's kago
   binary through /proc/self/exe of a process that entered it (the init, or an
   exec).  Those commands re-execute kago from a sealed memfd copy first: the
   exe link then points at an anonymous, write-sealed file.  An executable on
   a read-only mount needs no copy (security-defaults.md lists both).  kago is small, so
   the copy is a few hundred KiB from the page cache (runc copies ~10 MiB).  */
#include "runtime/core.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/phase.h"
#include "common/xalloc.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Where /proc/self/exe leads, in BUF.  */
static int
read_exe_link (char buf[PATH_MAX])
{
  ssize_t n = readlink ("/proc/self/exe", buf, PATH_MAX - 1);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

/* Sealed, or on a read-only mount.  */
static bool
is_protected (void)
{
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  int seals = fcntl (fd, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS)
    return true;
  /* A read-only mount (an immutable /usr, or the binary bind-mounted
     read-only onto itself) protects it as well: the exe link of a process
     leads to the file through that mount, and opening it for writing there
     fails with EROFS; only the mount's own namespace could make it
     writable again.  */
  struct statvfs sv;
  return fstatvfs (fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

static int
make_sealed_copy (kago_error_t *err)
{
  cleanup_close int src = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return kago_error_set (err, errno, "open /proc/self/exe");
  struct stat sb;
  if (fstat (src, &sb) < 0)
    return kago_error_set (err, errno, "stat /proc/self/exe");
  cleanup_close int mfd = memfd_create ("kago", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create ("kago", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0 && errno == EACCES)
    return kago_error_set (err, EACCES,
                           "memfd_create: executable memfds are forbidden here (vm.memfd_noexec=2), and kago "
                           "runs containers only from a sealed copy of itself (CVE-2019-5736)");
  if (mfd < 0)
    return kago_error_set (err, errno, "memfd_create for the sealed executable");
  off_t left = sb.st_size;
  while (left > 0)
    {
      ssize_t n = sendfile (mfd, src, NULL, (size_t) left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return kago_error_set (err, n < 0 ? errno : EIO, "copy the executable into a memfd");
      left -= n;
    }
  if (fcntl (mfd, F_ADD_SEALS, SEALS) < 0)
    return kago_error_set (err, errno, "seal the executable copy");
  return steal_fd (&mfd);
}

int
kago_selfexe_ensure_sealed (char **argv, kago_error_t *err)
{
  if (is_protected ())
    return 0;
  KAGO_PHASE ("pre-seal");
  cleanup_close int fd = make_sealed_copy (err);
  if (fd < 0)
    return -1;
  /* Where the binary was: what sits beside it (kago-init) is found from
     there.  */
  char self[PATH_MAX];
  if (read_exe_link (self) == 0)
    setenv (KAGO_EXE_ENV, self, 1);
  KAGO_PHASE ("sealed");
  KAGO_PHASE_DUMP ();
  fexecve (fd, argv, environ);
  return kago_error_set (err, errno, "re-execute from the sealed copy");
}

char *
kago_selfexe_path (kago_error_t *err)
{
  char self[PATH_MAX];
  if (read_exe_link (self) < 0)
    return kago_error_set (err, errno, "readlink /proc/self/exe"), NULL;
  const char *orig = getenv (KAGO_EXE_ENV);
  if (strncmp (self, "/memfd:", 7) == 0 && orig && *orig == '/')
    return xstrdup (orig);
  return xstrdup (self);
}
