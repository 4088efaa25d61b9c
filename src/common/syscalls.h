/* Every raw syscall wrapper kago needs, in one place.  Each returns -1 with
   errno set (ENOSYS when the kernel lacks it) so callers can fall back:
   clone3 -> clone, openat2 -> a safe walk, the mount API -> mount(2).
   Feature detection happens at run time, never by kernel version.  */
#ifndef KAGO_SYSCALLS_H
#define KAGO_SYSCALLS_H

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif

/* Our own copy of struct clone_args (v2, with cgroup), so we do not depend on
   the installed uapi headers agreeing with glibc's.  */
struct kago_clone_args
{
  uint64_t flags;
  uint64_t pidfd;
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;
  uint64_t stack_size;
  uint64_t tls;
  uint64_t set_tid;
  uint64_t set_tid_size;
  uint64_t cgroup;
};

static inline long
kago_clone3 (struct kago_clone_args *args, size_t size)
{
  return syscall (__NR_clone3, args, size);
}

static inline int
kago_openat2 (int dirfd, const char *path, struct open_how *how, size_t size)
{
  return (int) syscall (__NR_openat2, dirfd, path, how, size);
}

static inline int
kago_pidfd_open (pid_t pid, unsigned int flags)
{
  return (int) syscall (__NR_pidfd_open, pid, flags);
}

static inline int
kago_pidfd_send_signal (int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
  return (int) syscall (__NR_pidfd_send_signal, pidfd, sig, info, flags);
}

static inline int
kago_pidfd_getfd (int pidfd, int targetfd, unsigned int flags)
{
  return (int) syscall (__NR_pidfd_getfd, pidfd, targetfd, flags);
}

static inline int
kago_close_range (unsigned int first, unsigned int last, unsigned int flags)
{
  return (int) syscall (__NR_close_range, first, last, flags);
}

static inline int
kago_pivot_root (const char *new_root, const char *put_old)
{
  return (int) syscall (SYS_pivot_root, new_root, put_old);
}

/* The new mount API: glibc 2.36 <sys/mount.h> declares open_tree, move_mount,
   fsopen, fsconfig, fsmount, fspick and mount_setattr with struct mount_attr.  */

#endif
