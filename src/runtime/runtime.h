/* The OCI runtime library: what `kago-runtime` verbs (and later the engine)
   call.  Every function returns < 0 and fills *err on failure; none prints to
   stdout or exits.  */
#ifndef KAGO_RUNTIME_H
#define KAGO_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/json.h"

#define KAGO_DEFAULT_STATE_ROOT "/run/kago-runtime"

/* Global options, parsed once by the CLI (no globals).  */
struct kago_runtime
{
  const char *root;    /* --root, default KAGO_DEFAULT_STATE_ROOT */
  bool systemd_cgroup; /* --systemd-cgroup */
  bool debug;          /* --debug */
};

struct kago_create_options
{
  const char *bundle;         /* NULL: the current directory */
  const char *pid_file;       /* NULL: none; relative to the cwd */
  const char *console_socket; /* NULL: none */
  int preserve_fds;           /* extra fds after 0,1,2 passed to the process */
  bool no_pivot;
  bool no_new_keyring;
  bool detach; /* run -d */
  /* A connected unix socket to send the pty master through, instead of
     console_socket (the engine's monitor: a socketpair); -1 for none.
     Only read when has_console_fd.  */
  bool has_console_fd;
  int console_fd;
};

/* Validate the id (runc's rules: [A-Za-z0-9_+.-]+, not "." or "..").  */
int kago_validate_id (const char *id, kago_error_t *err);

int kago_container_create (struct kago_runtime *rt, const char *id, const struct kago_create_options *o,
                           kago_error_t *err);
int kago_container_start (struct kago_runtime *rt, const char *id, kago_error_t *err);
/* create + start.  Unless o->detach, waits for the process, deletes the
   container and stores its exit status (128+N when killed by signal N) in
   *status.  With a terminal and no console socket, the caller's terminal is
   used.  */
int kago_container_run (struct kago_runtime *rt, const char *id, const struct kago_create_options *o,
                        int *status, kago_error_t *err);

/* The OCI state object as runc prints it: ociVersion, id, pid, status,
   bundle, rootfs, created, owner, annotations.  */
int kago_container_state (struct kago_runtime *rt, const char *id, json_value **out, kago_error_t *err);
/* Array of state objects of every container under the root (sorted by id).  */
int kago_container_list (struct kago_runtime *rt, json_value **out, kago_error_t *err);

/* Signal the init (or every process with all).  Signalling a stopped
   container is an error ("container not running"), as runc.  */
int kago_container_kill (struct kago_runtime *rt, const char *id, int sig, bool all, kago_error_t *err);
/* Delete: a stopped container (or a created one, which is killed first, as
   runc) is removed with its cgroup and state; a running one needs force.
   force on an unknown id succeeds.  Runs poststop hooks.  */
int kago_container_delete (struct kago_runtime *rt, const char *id, bool force, kago_error_t *err);
int kago_container_pause (struct kago_runtime *rt, const char *id, kago_error_t *err);
int kago_container_resume (struct kago_runtime *rt, const char *id, kago_error_t *err);
/* pids in the container's cgroup; caller frees *pids.  */
int kago_container_pids (struct kago_runtime *rt, const char *id, pid_t **pids, size_t *n, kago_error_t *err);

struct kago_exec_options
{
  const char *process_file; /* --process FILE (an OCI process JSON), or NULL */
  char **args;              /* command, when no process file (NULL-terminated) */
  char **env;               /* -e KEY=VALUE additions (NULL-terminated, may be NULL) */
  const char *cwd;          /* --cwd */
  bool has_user;            /* -u uid[:gid] */
  uid_t uid;
  bool has_gid;
  gid_t gid;
  gid_t *additional_gids; /* --additional-gids */
  size_t n_additional_gids;
  char **caps; /* --cap additions (NULL-terminated) */
  bool no_new_privs;
  bool tty; /* -t */
  const char *console_socket;
  const char *pid_file;
  bool detach; /* -d */
  int preserve_fds;
  const char *apparmor;      /* --apparmor */
  const char *process_label; /* --process-label */
};
/* Run a process in a running container.  Without detach, waits and stores
   its exit status in *status.  */
int kago_container_exec (struct kago_runtime *rt, const char *id, const struct kago_exec_options *o,
                         int *status, kago_error_t *err);

/* Change the resource limits of a created, running or paused container.
   RESOURCES is an OCI linux.resources object; fields left out, and zeros
   where docker sends them for "unchanged", are left as they are.  */
int kago_container_update (struct kago_runtime *rt, const char *id, const json_value *resources,
                           kago_error_t *err);

/* ---- events.c ---- */
struct kago_cgroup_stats;

/* A Go duration ("5s", "500ms", "1m30s", "1.5h", "0"; units ns us µs ms s m
   h) in nanoseconds.  */
int kago_parse_duration (const char *s, int64_t *ns, kago_error_t *err);

/* The container's statistics now (cgroup/stats.h; the caller clears *ST).
   A stopped container is an error.  */
int kago_container_stats (struct kago_runtime *rt, const char *id, struct kago_cgroup_stats *st,
                          kago_error_t *err);
/* How many processes the OOM killer killed in the container's memory
   cgroup, whatever the container's status (before delete).  */
int kago_container_oom_kills (struct kago_runtime *rt, const char *id, uint64_t *n, kago_error_t *err);
/* runc's "data" object of a stats event (runc's field names and omitempty
   rules; no cpuset, intel_rdt or network_interfaces).  */
json_value *kago_stats_to_runc_json (const struct kago_cgroup_stats *st);

struct kago_events_options
{
  bool stats_only;     /* --stats: one stats event, then return */
  int64_t interval_ns; /* otherwise: a stats event this often (> 0) */
};
/* Called with each event object {"type": "stats"|"oom", "id": ID, "data"?}. */
typedef int (*kago_event_fn) (const json_value *event, void *arg, kago_error_t *err);
/* Report ID's events through FN until the container stops (returns 0 then),
   or once with stats_only.  A stopped container is an error.  */
int kago_container_events (struct kago_runtime *rt, const char *id, const struct kago_events_options *o,
                           kago_event_fn fn, void *arg, kago_error_t *err);

/* Parse "9", "KILL", "SIGKILL", "sigkill" -> 9; error on unknown.  */
int kago_parse_signal (const char *s, int *sig, kago_error_t *err);

#endif
