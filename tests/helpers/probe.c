/* probe: what a process inside a container is allowed to do, as key=value
   lines, for tests/integration/hardening.bats.  Built static so that it runs
   in any rootfs (bind-mounted into the container).  Every syscall check is
   made so that it has no lasting effect even when it succeeds: namespace
   changes happen in a throwaway child, mounts inside the container's own
   mount namespace, reboot with a bad magic number.

   A syscall result is OK (reached the kernel and worked), or the errno name:
   EPERM from seccomp or from a missing capability, ENOSYS where a filter
   fakes absence, EFAULT/EINVAL/EBADF when it reached the kernel with
   arguments that cannot succeed (so it was not filtered).  */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/reboot.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *
errname (int e)
{
  switch (e)
    {
    case 0:
      return "OK";
    case EPERM:
      return "EPERM";
    case ENOSYS:
      return "ENOSYS";
    case EFAULT:
      return "EFAULT";
    case EINVAL:
      return "EINVAL";
    case EBADF:
      return "EBADF";
    case EACCES:
      return "EACCES";
    case EROFS:
      return "EROFS";
    case ENOENT:
      return "ENOENT";
    case EBUSY:
      return "EBUSY";
    case ESRCH:
      return "ESRCH";
    default:
      {
        static char buf[32];
        snprintf (buf, sizeof buf, "E%d", e);
        return buf;
      }
    }
}

static void
status_field (const char *key, const char *out)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];
  size_t n = strlen (key);
  if (!f)
    return;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, key, n) == 0 && line[n] == ':')
      {
        char *v = line + n + 1;
        v += strspn (v, " \t");
        v[strcspn (v, "\n")] = '\0';
        printf ("%s=%s\n", out, v);
      }
  fclose (f);
}

/* Run FN in a child so that what it changes dies with it; prints its result. */
static void
in_child (const char *name, int (*fn) (void))
{
  pid_t p = fork ();
  if (p == 0)
    {
      errno = 0;
      int r = fn ();
      _exit (r < 0 ? (errno ? errno : 255) : 0);
    }
  int st = 0;
  waitpid (p, &st, 0);
  printf ("sys.%s=%s\n", name, WIFEXITED (st) ? errname (WEXITSTATUS (st)) : "KILLED");
}

static int
do_unshare_user (void)
{
  return unshare (CLONE_NEWUSER);
}

static int
do_unshare_mnt (void)
{
  return unshare (CLONE_NEWNS);
}

static int
do_setns (void)
{
  int fd = open ("/proc/self/ns/uts", O_RDONLY);
  if (fd < 0)
    return -1;
  return setns (fd, CLONE_NEWUTS);
}

static int
do_mount (void)
{
  /* /dev is a writable tmpfs in every container (the rootfs may be
     read-only).  */
  mkdir ("/dev/.probe-mnt", 0700);
  int r = mount ("none", "/dev/.probe-mnt", "tmpfs", 0, NULL);
  int e = errno;
  if (r == 0)
    umount ("/dev/.probe-mnt");
  rmdir ("/dev/.probe-mnt");
  errno = e;
  return r;
}

static int
do_keyctl (void)
{
  /* KEYCTL_GET_KEYRING_ID (0) of the session keyring (-3), no create.  */
  return (int) syscall (SYS_keyctl, 0, -3, 0);
}

static int
do_bpf (void)
{
  /* A NULL attribute: EFAULT if the kernel sees it.  */
  return (int) syscall (SYS_bpf, BPF_MAP_CREATE, NULL, 0);
}

static int
do_ptrace (void)
{
  /* Attach to our parent (the probe): EPERM without CAP_SYS_PTRACE or
     under seccomp; when it works, detach at once.  */
  pid_t pp = getppid ();
  if (ptrace (PTRACE_ATTACH, pp, NULL, NULL) < 0)
    return -1;
  waitpid (pp, NULL, __WALL);
  ptrace (PTRACE_DETACH, pp, NULL, NULL);
  return 0;
}

static int
do_reboot (void)
{
  /* A wrong magic: EPERM without CAP_SYS_BOOT or under seccomp, else
     EINVAL.  Never reboots.  */
  return (int) syscall (SYS_reboot, 0, 0, 0, NULL);
}

static int
do_swapon (void)
{
  return (int) syscall (SYS_swapon, NULL, 0);
}

static int
do_init_module (void)
{
  return (int) syscall (SYS_init_module, NULL, 0, "");
}

static int
do_personality (void)
{
  /* Docker's profile allows only a few personalities: 0x0, 0x8, 0x20000,
     0x20008, 0xffffffff.  READ_IMPLIES_EXEC (0x0400000) is not one.  */
  return (int) syscall (SYS_personality, 0x0400000UL);
}

static void
masked (const char *path)
{
  struct stat sb;
  const char *v;
  if (stat (path, &sb) < 0)
    v = errno == ENOENT ? "absent" : errname (errno);
  else if (S_ISCHR (sb.st_mode) && major (sb.st_rdev) == 1 && minor (sb.st_rdev) == 3)
    v = "null"; /* /dev/null bound over it */
  else if (S_ISDIR (sb.st_mode))
    {
      /* masked dirs are an empty read-only tmpfs */
      DIR *d = opendir (path);
      int n = 0;
      struct dirent *e;
      while (d && (e = readdir (d)))
        n += strcmp (e->d_name, ".") && strcmp (e->d_name, "..");
      if (d)
        closedir (d);
      v = n == 0 ? "empty" : "visible";
    }
  else
    v = "visible";
  printf ("masked.%s=%s\n", path, v);
}

static void
writable (const char *key, const char *path)
{
  int fd = open (path, O_WRONLY);
  printf ("write.%s=%s\n", key, fd >= 0 ? "OK" : errname (errno));
  if (fd >= 0)
    close (fd);
}

/* probe attach PID: PTRACE_ATTACH to PID (and detach), print OK or the
   errno name.  For the CVE-2016-9962 test, run from the host without
   CAP_SYS_PTRACE.  */
static int
attach_main (const char *arg)
{
  pid_t pid = (pid_t) atoi (arg);
  if (ptrace (PTRACE_ATTACH, pid, NULL, NULL) < 0)
    {
      printf ("%s\n", errname (errno));
      return 0;
    }
  waitpid (pid, NULL, __WALL);
  ptrace (PTRACE_DETACH, pid, NULL, NULL);
  printf ("OK\n");
  return 0;
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc == 3 && strcmp (argv[1], "attach") == 0)
    return attach_main (argv[2]);
  status_field ("CapEff", "cap_eff");
  status_field ("CapPrm", "cap_prm");
  status_field ("CapBnd", "cap_bnd");
  status_field ("CapInh", "cap_inh");
  status_field ("CapAmb", "cap_amb");
  status_field ("NoNewPrivs", "nnp");
  status_field ("Seccomp", "seccomp");
  status_field ("Seccomp_filters", "seccomp_filters");
  printf ("dumpable=%d\n", prctl (PR_GET_DUMPABLE));

  in_child ("unshare_user", do_unshare_user);
  in_child ("unshare_mnt", do_unshare_mnt);
  in_child ("setns", do_setns);
  in_child ("mount", do_mount);
  in_child ("keyctl", do_keyctl);
  in_child ("bpf", do_bpf);
  in_child ("ptrace", do_ptrace);
  in_child ("reboot", do_reboot);
  in_child ("swapon", do_swapon);
  in_child ("init_module", do_init_module);
  in_child ("personality", do_personality);

  static const char *const paths[] = { "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                                       "/proc/acpi",  "/proc/scsi", "/sys/firmware",    NULL };
  for (const char *const *p = paths; *p; p++)
    masked (*p);
  writable ("proc_sys", "/proc/sys/kernel/domainname");
  writable ("proc_sysrq", "/proc/sysrq-trigger");
  writable ("sys", "/sys/kernel/uevent_helper");
  /* CVE-2022-0492: the cgroup v1 release_agent (only at a hierarchy's
     root, which the container must not see writable) and new cgroups.  */
  writable ("release_agent", "/sys/fs/cgroup/memory/release_agent");
  printf ("mkdir.cgroup=%s\n", mkdir ("/sys/fs/cgroup/memory/.probe", 0755) == 0 ? "OK" : errname (errno));
  rmdir ("/sys/fs/cgroup/memory/.probe");

  /* Every fd beyond stdio (and the one reading the directory).  */
  DIR *d = opendir ("/proc/self/fd");
  int extra = 0;
  struct dirent *e;
  while (d && (e = readdir (d)))
    {
      int fd = atoi (e->d_name);
      if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd (d))
        continue;
      char target[256] = "";
      char link[64];
      snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
      ssize_t n = readlink (link, target, sizeof target - 1);
      if (n > 0)
        target[n] = '\0';
      printf ("fd.%d=%s\n", fd, target);
      extra++;
    }
  if (d)
    closedir (d);
  printf ("extra_fds=%d\n", extra);
  return 0;
}
