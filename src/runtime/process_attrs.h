/* Per-process attributes applied by the init just before execve (and by exec).
 * Each function is small and unit-testable; procfs writes go through PROCFD
 * (a verified procfs handle, or a test directory laid out like /proc).
 */
#ifndef KAGO_PROCESS_ATTRS_H
#define KAGO_PROCESS_ATTRS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "oci/spec.h"

/* ---- capabilities (caps.c) ---- */
/* "CAP_SYS_ADMIN" -> 21; -1 when unknown.  Accepts the CAP_ prefix only, as runc. */
int kago_cap_from_name (const char *name);
const char *kago_cap_name (int cap);
int kago_cap_last_cap (void); /* from /proc/sys/kernel/cap_last_cap, cached */
struct kago_caps
{
  uint64_t bounding, effective, inheritable, permitted, ambient;
};
/* Resolve names into masks; an unknown name is an error naming the set and the
   value ("process.capabilities.bounding: unknown capability \"CAP_FOO\""), so
   is an effective capability that is not permitted.  As runc: a capability
   above cap_last_cap is ignored with a warning, and so is an ambient one not
   in both permitted and inheritable (runc 1.1's `runc spec` writes those).
   Inheritable/ambient are never filled implicitly (CVE-2022-29162).  */
int kago_caps_from_spec (const oci_capabilities *c, struct kago_caps *out, kago_error_t *err);
/* Before the uid switch: prctl(PR_SET_KEEPCAPS, 1) and drop the bounding set.  */
int kago_caps_prepare (const struct kago_caps *caps, kago_error_t *err);
/* After the uid switch: capset() eff/perm/inh, raise ambient, clear keepcaps.  */
int kago_caps_apply (const struct kago_caps *caps, kago_error_t *err);

/* ---- rlimits (rlimits.c) ---- */
int kago_rlimits_apply (const oci_rlimit *r, size_t n, kago_error_t *err);
/* The same on another process (prlimit); PID 0 is the caller.  The error
   names the limit: "setrlimit RLIMIT_NOFILE (soft 30000, hard 30000)".  */
int kago_rlimits_apply_pid (pid_t pid, const oci_rlimit *r, size_t n, kago_error_t *err);
/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE, -1 when unknown */
int kago_rlimit_from_name (const char *name);

/* ---- user / groups (caps.c or user.c) ---- */
/* setgroups(additionalGids) unless setgroups is denied in a userns, setresgid,
   setresuid, umask.  */
int kago_user_apply (const oci_user *u, bool in_userns, kago_error_t *err);

/* ---- sysctl (sysctl.c) ---- */
/* Validate keys against the namespaces the container has (runc's rules: ipc
   sysctls need a new ipc ns, net.* a new net ns, kernel.hostname/domainname a
   new uts ns), then write /proc/sys/... through PROCFD.  */
struct kago_ns_flags
{
  bool ipc, net, uts, user;
  /* linux.namespaces network path when joining one (NULL: a new one).  A
     path that is the runtime's own netns counts as the host's.  */
  const char *net_path;
  const char *ipc_path; /* likewise for ipc and uts */
  const char *uts_path;
};
int kago_sysctl_validate (const oci_map *sysctl, const struct kago_ns_flags *ns, kago_error_t *err);
int kago_sysctl_apply (int procfd, const oci_map *sysctl, kago_error_t *err);

/* ---- LSM (lsm.c) ---- */
/* Is AppArmor / SELinux enabled on this host?  (sysfs/procfs probes)  */
bool kago_apparmor_enabled (void);
bool kago_selinux_enabled (void);
/* Error when a label is requested and the LSM is absent; called early in
   create so that nothing is set up.  */
int kago_lsm_check (const oci_spec *spec, const oci_process *p, kago_error_t *err);
/* Write the exec-time labels through PROCFD: AppArmor "exec PROFILE" into
   thread-self/attr/apparmor/exec (or attr/exec), SELinux into attr/exec;
   keycreate too.
   PROCFD must be procfs (fstatfs PROC_SUPER_MAGIC) or this refuses; the
   attr files are opened beneath it without crossing mounts, and checked to
   be on procfs too.  */
int kago_lsm_apply_exec (int procfd, const char *apparmor_profile, const char *selinux_label,
                         kago_error_t *err);
/* FOR TESTS ONLY: the same writes into DIRFD laid out like /proc
   (thread-self/attr/...), without the procfs checks.  */
int kago_lsm_apply_exec_unverified (int dirfd, const char *apparmor_profile, const char *selinux_label,
                                    kago_error_t *err);
/* SELinux mount label as a mount data option ("context=\"LABEL\""), or NULL. */
char *kago_selinux_mount_data (const char *mount_label, const char *data);

/* ---- seccomp (seccomp.c, libseccomp) ---- */
/* A compiled filter: classic BPF instructions plus the seccomp(2) flags.
   Compiling uses libseccomp (allocates; do it before the init's last steps),
   installing is a single syscall.  Errors name the JSON path
   ("linux.seccomp.syscalls[4]: unknown action \"SCMP_ACT_FOO\"").  */
struct kago_seccomp_filter;
int kago_seccomp_compile (const oci_seccomp *s, struct kago_seccomp_filter **out, kago_error_t *err);
/* Install; if the profile has a NOTIFY action, *listener_fd receives the fd
   (else -1).  Needs no_new_privs or CAP_SYS_ADMIN: as runc, install before
   dropping capabilities unless process.noNewPrivileges is set.  The notify
   listener goes to linux.seccomp.listenerPath with kago_console_socket_connect
   + kago_send_fd (payload: the container-process-state JSON).  */
int kago_seccomp_install (struct kago_seccomp_filter *f, int *listener_fd, kago_error_t *err);
void kago_seccomp_filter_free (struct kago_seccomp_filter *f);
bool kago_seccomp_filter_has_notify (const struct kago_seccomp_filter *f);
/* The compiled form, for a cache or to hand to a child: the program bytes
   (owned by F) and the flags; and back.  */
const void *kago_seccomp_filter_bpf (const struct kago_seccomp_filter *f, size_t *len_bytes,
                                     unsigned int *flags);
struct kago_seccomp_filter *kago_seccomp_filter_from_bpf (const void *bpf, size_t len_bytes,
                                                          unsigned int flags, kago_error_t *err);
/* Hand the notify listener to the agent at linux.seccomp.listenerPath: one
   message on an AF_UNIX stream socket, the container-process-state JSON
   ({ociVersion, fds:["seccompFd"], pid, metadata, state}) as payload and the
   fd by SCM_RIGHTS; the socket is closed after.  */
int kago_seccomp_send_listener (const char *listener_path, int listener_fd, const char *state_json,
                                kago_error_t *err);

/* ---- misc (misc_attrs.c) ---- */
int kago_personality_apply (const oci_linux *l, kago_error_t *err);
int kago_oom_score_adj_write (int procfd, pid_t pid, int adj, kago_error_t *err);
int kago_io_priority_apply (const oci_process *p, kago_error_t *err);
int kago_scheduler_apply (const oci_process *p, kago_error_t *err);
int kago_cpu_affinity_apply (const char *cpus, kago_error_t *err);
/* "0-3,5" -> a CPU_ALLOC'd set (CPU_FREE it) of *SETSIZE bytes.  */
int kago_cpu_list_parse (const char *list, cpu_set_t **out, size_t *setsize, kago_error_t *err);
/* prctl(PR_SET_NO_NEW_PRIVS, 1) when ON.  */
int kago_no_new_privs_apply (bool on, kago_error_t *err);

/* ---- terminal (terminal.c) ---- */
/* Inside the container (after /dev/pts is mounted): open a new pty from
   /dev/ptmx, get the peer with TIOCGPTPEER (never by path), set the window
   size, make the peer the controlling terminal and stdio (0,1,2), and send the
   master over SOCKFD with SCM_RIGHTS (runc's console-socket protocol; the
   payload is the name "/dev/ptmx").  If BIND_DEV_CONSOLE, bind the peer onto
   /dev/console (an existing empty file, opened without following links).  */
int kago_terminal_setup (int sockfd, const oci_process *p, bool bind_dev_console, kago_error_t *err);
/* Host side: connect to a console-socket path (SOCK_CLOEXEC; paths longer
   than sun_path go through /proc/self/fd/N of the directory).  */
int kago_console_socket_connect (const char *path, kago_error_t *err);
/* Send / receive one fd with a name over a unix socket.  kago_recv_fd returns
   the fd (O_CLOEXEC) and, when NAME, the payload as a string.  */
int kago_send_fd (int sockfd, int fd, const char *name, kago_error_t *err);
int kago_recv_fd (int sockfd, char **name, kago_error_t *err);

#endif
