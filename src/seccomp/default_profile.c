/* kago's default seccomp profile.
 *
 * An allow list: every syscall not named here fails with EPERM.  Its effect
 * is Docker's default profile's (moby profiles/seccomp/default.json): for
 * the same capabilities, architecture and kernel both resolve to the same
 * rules; tests/unit/test_seccomp_profile.c holds the two side by side.
 *
 * The table is kago's: unconditional syscalls grouped by what they are for,
 * then the rules that depend on an argument, an architecture, a kernel
 * version or a capability.  kago_seccomp_default_profile() renders it in
 * Docker's profile format (so that `kago seccomp default --unresolved`
 * prints a profile a user can edit and feed back to `kago seccomp
 * resolve`), and the one resolver (profile.c) turns it into OCI.  */
#include "seccomp/profile.h"

#include <linux/capability.h>
#include <stddef.h>

#include "common/xalloc.h"
#include "runtime/process_attrs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* ---- allowed for everyone, on every architecture ---- */

/* Files: open, read, write, size, sync, locks.  */
static const char *const files_io[] = {
  "access",    "faccessat",    "faccessat2", "open",     "openat",          "openat2",         "creat",
  "close",     "close_range",  "read",       "readv",    "pread64",         "preadv",          "preadv2",
  "write",     "writev",       "pwrite64",   "pwritev",  "pwritev2",        "lseek",           "_llseek",
  "sendfile",  "sendfile64",   "splice",     "tee",      "vmsplice",        "copy_file_range", "readahead",
  "fadvise64", "fadvise64_64", "fallocate",  "truncate", "truncate64",      "ftruncate",       "ftruncate64",
  "fsync",     "fdatasync",    "sync",       "syncfs",   "sync_file_range", "flock",           "fcntl",
  "fcntl64",   "ioctl",        NULL,
};

/* File metadata: stat, modes, owners, times.  */
static const char *const files_meta[] = {
  "stat",
  "stat64",
  "lstat",
  "lstat64",
  "fstat",
  "fstat64",
  "fstatat64",
  "newfstatat",
  "statx",
  "statfs",
  "statfs64",
  "fstatfs",
  "fstatfs64",
  "chmod",
  "fchmod",
  "fchmodat",
  "fchmodat2",
  "chown",
  "chown32",
  "fchown",
  "fchown32",
  "fchownat",
  "lchown",
  "lchown32",
  "umask",
  "utime",
  "utimes",
  "utimensat",
  "utimensat_time64",
  "futimesat",
  "name_to_handle_at",
  NULL,
};

/* Extended attributes.  */
static const char *const files_xattr[] = {
  "getxattr",    "lgetxattr",    "fgetxattr",    "getxattrat",    "setxattr",   "lsetxattr",
  "fsetxattr",   "setxattrat",   "listxattr",    "llistxattr",    "flistxattr", "listxattrat",
  "removexattr", "lremovexattr", "fremovexattr", "removexattrat", NULL,
};

/* Directories and links.  */
static const char *const files_tree[] = {
  "chdir",     "fchdir", "getcwd",   "getdents", "getdents64", "mkdir", "mkdirat", "mknod",
  "mknodat",   "rmdir",  "rename",   "renameat", "renameat2",  "link",  "linkat",  "symlink",
  "symlinkat", "unlink", "unlinkat", "readlink", "readlinkat", NULL,
};

/* Descriptors, pipes, polling and event fds.  */
static const char *const fds_events[] = {
  "dup",
  "dup2",
  "dup3",
  "pipe",
  "pipe2",
  "select",
  "_newselect",
  "pselect6",
  "pselect6_time64",
  "poll",
  "ppoll",
  "ppoll_time64",
  "epoll_create",
  "epoll_create1",
  "epoll_ctl",
  "epoll_ctl_old",
  "epoll_wait",
  "epoll_wait_old",
  "epoll_pwait",
  "epoll_pwait2",
  "eventfd",
  "eventfd2",
  "signalfd",
  "signalfd4",
  "timerfd_create",
  "timerfd_gettime",
  "timerfd_gettime64",
  "timerfd_settime",
  "timerfd_settime64",
  "inotify_init",
  "inotify_init1",
  "inotify_add_watch",
  "inotify_rm_watch",
  "fanotify_mark",
  "memfd_create",
  "memfd_secret",
  NULL,
};

/* Memory.  */
static const char *const memory[] = {
  "brk",        "mmap",       "mmap2",     "munmap",        "mremap",
  "mprotect",   "madvise",    "mincore",   "msync",         "mlock",
  "mlock2",     "mlockall",   "munlock",   "munlockall",    "remap_file_pages",
  "membarrier", "pkey_alloc", "pkey_free", "pkey_mprotect", "map_shadow_stack",
  "mseal",      "cachestat",  NULL,
};

/* Processes and threads: life cycle, futexes, limits, priorities.  */
static const char *const processes[] = {
  "fork",
  "vfork",
  "execve",
  "execveat",
  "exit",
  "exit_group",
  "wait4",
  "waitid",
  "waitpid",
  "getpid",
  "getppid",
  "gettid",
  "getpgid",
  "getpgrp",
  "setpgid",
  "getsid",
  "setsid",
  "pidfd_open",
  "pidfd_send_signal",
  "process_mrelease",
  "set_tid_address",
  "get_robust_list",
  "set_robust_list",
  "futex",
  "futex_time64",
  "futex_requeue",
  "futex_wait",
  "futex_wake",
  "futex_waitv",
  "rseq",
  "restart_syscall",
  "get_thread_area",
  "set_thread_area",
  "prctl",
  "getrlimit",
  "setrlimit",
  "ugetrlimit",
  "prlimit64",
  "getrusage",
  "times",
  "getcpu",
  "getpriority",
  "setpriority",
  "ioprio_get",
  "ioprio_set",
  NULL,
};

/* Credentials (the kernel checks the capabilities they need).  */
static const char *const credentials[] = {
  "getuid",     "getuid32",   "geteuid",     "geteuid32",   "getgid",      "getgid32",   "getegid",
  "getegid32",  "getresuid",  "getresuid32", "getresgid",   "getresgid32", "getgroups",  "getgroups32",
  "setuid",     "setuid32",   "setgid",      "setgid32",    "setreuid",    "setreuid32", "setregid",
  "setregid32", "setresuid",  "setresuid32", "setresgid",   "setresgid32", "setfsuid",   "setfsuid32",
  "setfsgid",   "setfsgid32", "setgroups",   "setgroups32", "capget",      "capset",     NULL,
};

/* Signals.  */
static const char *const signals[] = {
  "kill",
  "tkill",
  "tgkill",
  "pause",
  "rt_sigaction",
  "rt_sigpending",
  "rt_sigprocmask",
  "rt_sigqueueinfo",
  "rt_sigreturn",
  "rt_sigsuspend",
  "rt_sigtimedwait",
  "rt_sigtimedwait_time64",
  "rt_tgsigqueueinfo",
  "sigaltstack",
  "sigprocmask",
  "sigreturn",
  NULL,
};

/* Clocks, sleeps and timers (reading and adjtimex queries; setting the
   clock needs CAP_SYS_TIME, below).  */
static const char *const time_[] = {
  "time",
  "gettimeofday",
  "clock_gettime",
  "clock_gettime64",
  "clock_getres",
  "clock_getres_time64",
  "clock_nanosleep",
  "clock_nanosleep_time64",
  "nanosleep",
  "clock_adjtime",
  "clock_adjtime64",
  "adjtimex",
  "alarm",
  "getitimer",
  "setitimer",
  "timer_create",
  "timer_delete",
  "timer_getoverrun",
  "timer_gettime",
  "timer_gettime64",
  "timer_settime",
  "timer_settime64",
  NULL,
};

/* Scheduling.  */
static const char *const scheduling[] = {
  "sched_yield",
  "sched_getaffinity",
  "sched_setaffinity",
  "sched_getattr",
  "sched_setattr",
  "sched_getparam",
  "sched_setparam",
  "sched_getscheduler",
  "sched_setscheduler",
  "sched_get_priority_max",
  "sched_get_priority_min",
  "sched_rr_get_interval",
  "sched_rr_get_interval_time64",
  NULL,
};

/* Sockets, except socket() itself (below: some families are refused).  */
static const char *const sockets[] = {
  "socketpair",  "socketcall",  "bind",       "connect",    "listen",   "accept",   "accept4",
  "getsockname", "getpeername", "getsockopt", "setsockopt", "shutdown", "send",     "sendto",
  "sendmsg",     "sendmmsg",    "recv",       "recvfrom",   "recvmsg",  "recvmmsg", "recvmmsg_time64",
  NULL,
};

/* System V and POSIX IPC (namespaced).  */
static const char *const ipc[] = {
  "ipc",
  "msgget",
  "msgctl",
  "msgsnd",
  "msgrcv",
  "semget",
  "semctl",
  "semop",
  "semtimedop",
  "semtimedop_time64",
  "shmget",
  "shmctl",
  "shmat",
  "shmdt",
  "mq_open",
  "mq_unlink",
  "mq_getsetattr",
  "mq_notify",
  "mq_timedsend",
  "mq_timedsend_time64",
  "mq_timedreceive",
  "mq_timedreceive_time64",
  NULL,
};

/* Asynchronous I/O (io_uring is not: it bypasses seccomp).  */
static const char *const aio[] = {
  "io_setup",      "io_destroy",           "io_submit", "io_cancel", "io_getevents",
  "io_pgetevents", "io_pgetevents_time64", NULL,
};

/* System information, self-confinement, and the rest.  */
static const char *const misc[] = {
  "uname",
  "sysinfo",
  "getrandom",
  "seccomp",
  "landlock_create_ruleset",
  "landlock_add_rule",
  "landlock_restrict_self",
  "listmount",
  "statmount",
  "riscv_hwprobe",
  "uretprobe",
  NULL,
};

static const char *const *const unconditional[] = {
  files_io, files_meta, files_xattr, files_tree, fds_events, memory, processes, credentials,
  signals,  time_,      scheduling,  sockets,    ipc,        aio,    misc,
};

/* ---- conditional rules ---- */

#define CAP(c) (UINT64_C (1) << (c))
/* The namespace flags of clone(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC,
   NEWUSER, NEWPID, NEWNET.  */
#define CLONE_NS_FLAGS 0x7E020000ULL

struct arg
{
  unsigned int index;
  unsigned long long value;
  const char *op;
};

struct rule
{
  const char *names[30];     /* NULL-terminated */
  const char *action;        /* NULL: SCMP_ACT_ALLOW */
  int errno_ret;             /* 0: none */
  struct arg arg;            /* used when arg.op */
  uint64_t with_caps;        /* all of these (includes.caps) */
  uint64_t without_caps;     /* none of these (excludes.caps) */
  const char *on_arches[4];  /* includes.arches */
  const char *off_arches[4]; /* excludes.arches */
  const char *min_kernel;    /* includes.minKernel */
};

static const struct rule rules[] = {
  /* Before 4.8 a ptracer could change the syscall after seccomp saw it.  */
  { .names = { "ptrace", "process_vm_readv", "process_vm_writev" }, .min_kernel = "4.8" },

  /* socket(): every address family but AF_ALG (38) and AF_VSOCK (40).  */
  { .names = { "socket" }, .arg = { 0, 38, "SCMP_CMP_LT" } },
  { .names = { "socket" }, .arg = { 0, 39, "SCMP_CMP_EQ" } },
  { .names = { "socket" }, .arg = { 0, 40, "SCMP_CMP_GT" } },

  /* personality(): Linux personalities only, no BSD/SVr4 emulations:
     PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query.  */
  { .names = { "personality" }, .arg = { 0, 0x0, "SCMP_CMP_EQ" } },
  { .names = { "personality" }, .arg = { 0, 0x8, "SCMP_CMP_EQ" } },
  { .names = { "personality" }, .arg = { 0, 0x20000, "SCMP_CMP_EQ" } },
  { .names = { "personality" }, .arg = { 0, 0x20008, "SCMP_CMP_EQ" } },
  { .names = { "personality" }, .arg = { 0, 0xffffffff, "SCMP_CMP_EQ" } },

  /* Architecture-specific calls.  */
  { .names = { "arch_prctl" }, .on_arches = { "amd64", "x32" } },
  { .names = { "modify_ldt" }, .on_arches = { "amd64", "x32", "x86" } },
  { .names = { "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush",
               "set_tls" },
    .on_arches = { "arm", "arm64" } },
  { .names = { "sync_file_range2", "swapcontext" }, .on_arches = { "ppc64le" } },
  { .names = { "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr" },
    .on_arches = { "s390", "s390x" } },
  { .names = { "riscv_flush_icache" }, .on_arches = { "riscv64" } },

  /* clone(): threads and processes, but no new namespaces without
     CAP_SYS_ADMIN (s390 passes the flags second).  clone3() cannot be
     filtered by its flags (they are in memory): ENOSYS, so that libc falls
     back to clone().  */
  { .names = { "clone" },
    .arg = { 0, CLONE_NS_FLAGS, "SCMP_CMP_MASKED_EQ" },
    .without_caps = CAP (CAP_SYS_ADMIN),
    .off_arches = { "s390", "s390x" } },
  { .names = { "clone" },
    .arg = { 1, CLONE_NS_FLAGS, "SCMP_CMP_MASKED_EQ" },
    .without_caps = CAP (CAP_SYS_ADMIN),
    .on_arches = { "s390", "s390x" } },
  { .names = { "clone3" }, .action = "SCMP_ACT_ERRNO", .errno_ret = 38, .without_caps = CAP (CAP_SYS_ADMIN) },

  /* What the capabilities a container is given unlock.  */
  { .names = { "bpf",
               "clone",
               "clone3",
               "fanotify_init",
               "fsconfig",
               "fsmount",
               "fsopen",
               "fspick",
               "lookup_dcookie",
               "lsm_get_self_attr",
               "lsm_list_modules",
               "lsm_set_self_attr",
               "mount",
               "mount_setattr",
               "move_mount",
               "open_tree",
               "perf_event_open",
               "quotactl",
               "quotactl_fd",
               "setdomainname",
               "sethostname",
               "setns",
               "syslog",
               "umount",
               "umount2",
               "unshare" },
    .with_caps = CAP (CAP_SYS_ADMIN) },
  { .names = { "open_by_handle_at" }, .with_caps = CAP (CAP_DAC_READ_SEARCH) },
  { .names = { "reboot" }, .with_caps = CAP (CAP_SYS_BOOT) },
  { .names = { "chroot" }, .with_caps = CAP (CAP_SYS_CHROOT) },
  { .names = { "init_module", "finit_module", "delete_module" }, .with_caps = CAP (CAP_SYS_MODULE) },
  { .names = { "acct" }, .with_caps = CAP (CAP_SYS_PACCT) },
  { .names = { "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise" },
    .with_caps = CAP (CAP_SYS_PTRACE) },
  { .names = { "iopl", "ioperm" }, .with_caps = CAP (CAP_SYS_RAWIO) },
  { .names = { "settimeofday", "stime", "clock_settime", "clock_settime64" },
    .with_caps = CAP (CAP_SYS_TIME) },
  { .names = { "vhangup" }, .with_caps = CAP (CAP_SYS_TTY_CONFIG) },
  { .names = { "get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "mbind" },
    .with_caps = CAP (CAP_SYS_NICE) },
  { .names = { "syslog" }, .with_caps = CAP (CAP_SYSLOG) },
  { .names = { "bpf" }, .with_caps = CAP (CAP_BPF) },
  { .names = { "perf_event_open" }, .with_caps = CAP (CAP_PERFMON) },
};

/* The architectures a filter covers on each native one: the ABIs a process
   there can call the kernel with.  */
static const struct
{
  const char *native;
  const char *subs[3];
} arch_map[] = {
  { "SCMP_ARCH_X86_64", { "SCMP_ARCH_X86", "SCMP_ARCH_X32" } },
  { "SCMP_ARCH_AARCH64", { "SCMP_ARCH_ARM" } },
  { "SCMP_ARCH_MIPS64", { "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32" } },
  { "SCMP_ARCH_MIPS64N32", { "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64" } },
  { "SCMP_ARCH_MIPSEL64", { "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32" } },
  { "SCMP_ARCH_MIPSEL64N32", { "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64" } },
  { "SCMP_ARCH_S390X", { "SCMP_ARCH_S390" } },
  { "SCMP_ARCH_RISCV64", { NULL } },
  { "SCMP_ARCH_LOONGARCH64", { NULL } },
};

static json_value *
strv_json (const char *const *v, size_t max)
{
  json_value *a = json_array_new ();
  for (size_t i = 0; i < max && v[i]; i++)
    json_array_append (a, json_string_new (v[i]));
  return a;
}

static json_value *
caps_json (uint64_t caps)
{
  json_value *a = json_array_new ();
  for (int c = 0; c < 64; c++)
    if (caps & CAP (c))
      json_array_append (a, json_string_new (kago_cap_name (c)));
  return a;
}

json_value *
kago_seccomp_default_profile (void)
{
  json_value *p = json_object_new ();
  json_object_set (p, "defaultAction", json_string_new ("SCMP_ACT_ERRNO"));
  json_object_set (p, "defaultErrnoRet", json_uint_new (1)); /* EPERM */

  json_value *map = json_array_new ();
  for (size_t i = 0; i < sizeof arch_map / sizeof arch_map[0]; i++)
    {
      json_value *e = json_object_new ();
      json_object_set (e, "architecture", json_string_new (arch_map[i].native));
      json_object_set (e, "subArchitectures", strv_json (arch_map[i].subs, 3));
      json_array_append (map, e);
    }
  json_object_set (p, "archMap", map);

  json_value *sys = json_array_new ();
  json_object_set (p, "syscalls", sys);

  json_value *all = json_array_new ();
  for (size_t g = 0; g < sizeof unconditional / sizeof unconditional[0]; g++)
    for (size_t i = 0; unconditional[g][i]; i++)
      json_array_append (all, json_string_new (unconditional[g][i]));
  json_value *r0 = json_object_new ();
  json_object_set (r0, "names", all);
  json_object_set (r0, "action", json_string_new ("SCMP_ACT_ALLOW"));
  json_array_append (sys, r0);

  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    {
      const struct rule *r = &rules[i];
      json_value *o = json_object_new ();
      json_object_set (o, "names", strv_json (r->names, 30));
      json_object_set (o, "action", json_string_new (r->action ? r->action : "SCMP_ACT_ALLOW"));
      if (r->errno_ret)
        json_object_set (o, "errnoRet", json_uint_new ((uint64_t) r->errno_ret));
      if (r->arg.op)
        {
          json_value *a = json_object_new ();
          json_object_set (a, "index", json_uint_new (r->arg.index));
          json_object_set (a, "value", json_uint_new (r->arg.value));
          json_object_set (a, "op", json_string_new (r->arg.op));
          json_value *args = json_array_new ();
          json_array_append (args, a);
          json_object_set (o, "args", args);
        }
      if (r->with_caps || r->on_arches[0] || r->min_kernel)
        {
          json_value *inc = json_object_new ();
          if (r->with_caps)
            json_object_set (inc, "caps", caps_json (r->with_caps));
          if (r->on_arches[0])
            json_object_set (inc, "arches", strv_json (r->on_arches, 4));
          if (r->min_kernel)
            json_object_set (inc, "minKernel", json_string_new (r->min_kernel));
          json_object_set (o, "includes", inc);
        }
      if (r->without_caps || r->off_arches[0])
        {
          json_value *exc = json_object_new ();
          if (r->without_caps)
            json_object_set (exc, "caps", caps_json (r->without_caps));
          if (r->off_arches[0])
            json_object_set (exc, "arches", strv_json (r->off_arches, 4));
          json_object_set (o, "excludes", exc);
        }
      json_array_append (sys, o);
    }
  return p;
}
