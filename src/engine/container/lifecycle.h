/* Container lifecycle operations (lifecycle.c, state.c) and the record
   transitions the monitor makes.  */
#ifndef KAGO_ENGINE_LIFECYCLE_H
#define KAGO_ENGINE_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/json.h"
#include "engine/container/container.h"
#include "engine/container/monitor.h"

struct kago_runtime;
struct kago_store;

/* What `create` needs besides the spec the flags produced.  */
struct kago_ctr_new
{
  const char *name;       /* NULL: a random one */
  const char *image;      /* as typed */
  /* Called once the id, name, directory and rootfs exist, to build the
     spec: fill OCI (the config.json), CONFIG, HOST_CONFIG, MOUNTS, PATH and
     ARGS.  */
  int (*build) (void *arg, const char *id, const char *name, const char *rootfs, const char *cdir,
                const json_value *image_config, const char *image_id, json_value **oci, json_value **config,
                json_value **host_config, json_value **mounts, char **path, char ***args, kago_error_t *err);
  void *build_arg;
};

/* Create the container: a name, a directory, the rootfs from the image, the
   spec, config.json and the record (status "created").  Any failure leaves
   nothing behind.  */
int kago_ctr_create (struct kago_engine *e, struct kago_store *s, const struct kago_ctr_new *n,
                     char id[KAGO_CTR_ID_LEN + 1], kago_error_t *err);

/* Start a created or stopped container (spawns its monitor).  An already
   running one is not an error (docker start is idempotent).  */
int kago_ctr_start (struct kago_engine *e, const char *id, const struct kago_spawn_opts *o, int *conn, pid_t *pid,
                    kago_error_t *err);
/* Stop: SIGNAL (0: the container's stop signal), then SIGKILL after
   TIMEOUT seconds (-1: the container's stop timeout, default 10).
   Waits until it stopped.  Not running: nothing to do.  */
int kago_ctr_stop (struct kago_engine *e, const char *id, int signal, int timeout, kago_error_t *err);
int kago_ctr_kill (struct kago_engine *e, const char *id, int signal, kago_error_t *err);
/* Remove: a running container needs FORCE (it is killed).  VOLUMES: its
   anonymous volumes too.  */
int kago_ctr_remove (struct kago_engine *e, const char *id, bool force, bool volumes, kago_error_t *err);
/* Wait until the container stops; *CODE its exit code.  */
int kago_ctr_wait (struct kago_engine *e, const char *id, int *code, kago_error_t *err);
int kago_ctr_pause (struct kago_engine *e, const char *id, bool pause, kago_error_t *err);
int kago_ctr_rename (struct kago_engine *e, const char *id, const char *new_name, kago_error_t *err);
/* The inspect object (the record with State refreshed, the private part
   dropped).  */
json_value *kago_ctr_inspect (struct kago_engine *e, const char *id, kago_error_t *err);
/* Whether an image is used by a container (for rmi): *BY its name.  */
int kago_ctr_image_in_use (void *ctx, const char *image_id, char **by, kago_error_t *err);

/* ---- used by the monitor ---- */

struct kago_ctr_run_config
{
  bool tty, open_stdin, stdin_once, auto_remove;
  bool net_bridge; /* --network bridge */
  char *restart; /* "no", "always", "on-failure", "unless-stopped" */
  int max_retries;
  char *log_path;
  uint64_t log_max_size;
  int log_max_file;
  char *rootfs_dir; /* the overlay's directory and its lower layers */
  char **layers;    /* (NULL for a copied rootfs, always there) */
  size_t nlayers;
};
int kago_ctr_run_config (struct kago_engine *e, const char *id, struct kago_ctr_run_config *rc, kago_error_t *err);
void kago_ctr_run_config_clear (struct kago_ctr_run_config *rc);
/* Mount the rootfs if it is not; drop a stale runtime state.  */
int kago_ctr_prepare_start (struct kago_engine *e, const char *id, const struct kago_ctr_run_config *rc,
                            kago_error_t *err);
int kago_ctr_runtime_pid (struct kago_runtime *rt, const char *id, pid_t *pid, kago_error_t *err);
/* Docker's exit status for a failed start: 127 not found, 126 cannot
   invoke, 125 otherwise.  */
int kago_ctr_exec_error_code (kago_error_t err);
void kago_ctr_record_failed_start (struct kago_engine *e, const char *id, kago_error_t why, int code);
void kago_ctr_record_running (struct kago_engine *e, const char *id, pid_t pid, int restarts, pid_t monitor);
void kago_ctr_record_exited (struct kago_engine *e, const char *id, int code, bool oom, bool restarting);
void kago_ctr_monitor_gone (struct kago_engine *e, const char *id, pid_t monitor);
/* Unmount the rootfs, drop the runtime state, the directory and the name;
   and what a monitor that died left of the networks (ports, leases,
   endpoints; veths waited for up to NET_WAIT_MS, see
   kago_ctr_net_detach: the monitor's own --rm passes
   KAGO_NET_LEAVE_VETH, having detached already).  */
int kago_ctr_remove_files (struct kago_engine *e, const char *id, int net_wait_ms, kago_error_t *err);

_Noreturn void kago_mon_main (struct kago_engine *e, const char *id, int spawner, const struct kago_spawn_opts *o);

#endif
