/* Shared between create.c, container.c and exec.c.  */
#ifndef KAGO_CONTAINER_INTERNAL_H
#define KAGO_CONTAINER_INTERNAL_H

#include "runtime/core.h"

struct kago_build
{
  char *id;
  char *bundle;
  char *rootfs;
  char *config_text;
  oci_spec *spec;
  struct kago_caps *caps;
  struct kago_seccomp_filter *seccomp;
  const char *state_root; /* for the seccomp filter cache */
  struct kago_cgroup *cgroup;
  oci_device_cgroup *devices;
  char *state_creating;
  int rootfd, dirfd, lockfd;
  bool made_state_dir;
  bool host_mounts;    /* mounts made under the rootfs in the host's mount namespace */
  int console_peer_fd; /* run without --console-socket: our end of the console socket */
  struct kago_launch launch;
};

int kago_build_create (struct kago_runtime *rt, const char *id, const struct kago_create_options *o,
                       bool run_mode, struct kago_build *b, kago_error_t *err);
void kago_build_free (struct kago_build *b);

/* An opened, locked container: state read, status derived.  */
struct kago_opened
{
  int rootfd, dirfd, lockfd;
  struct kago_state st;
  enum kago_status status;
};
int kago_open_container (struct kago_runtime *rt, const char *id, struct kago_opened *c, kago_error_t *err);
void kago_opened_close (struct kago_opened *c);
/* The device cgroup rules create installs for spec S: deny-all, the
   config's linux.resources.devices, the default allowlist, then
   linux.devices (as runc does).  Shallow: strings point into S.  */
oci_device_cgroup *kago_effective_devices (const oci_spec *s, size_t *n);
/* The copy of config.json kept in the state dir.  */
oci_spec *kago_opened_spec (struct kago_opened *c, kago_error_t *err);
/* Wait until PID (with start time START) is gone, up to TIMEOUT_MS.  */
bool kago_wait_pid_gone (pid_t pid, unsigned long long start, int timeout_ms);
/* Forward signals to PID until it exits; returns its wait status. */
int kago_wait_forwarding (pid_t pid, const sigset_t *fwd, int *status, kago_error_t *err);
void kago_forward_sigset (sigset_t *s);
/* Proxy the pty MASTER to our stdio until PID exits (tty_proxy.c).  */
int kago_tty_proxy_wait (pid_t pid, int master, const sigset_t *fwd, int *status, kago_error_t *err);
/* Convert a wait status to a shell-style exit code.  */
int kago_exit_code (int wstatus);

#endif
