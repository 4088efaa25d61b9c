/* The per-container monitor (monitor.c) and its protocol (monitor_proto.c).
 *
 * `kago start` (and `run`) fork a monitor: a process detached from the
 * caller (one fork, its own session) that creates and starts the container
 * through the runtime library, so the container's init is its child.  It
 * holds the container's stdio (pipes, or the pty master), writes the log,
 * serves attach clients, records the exit code, OOM kill and times, runs
 * the restart policy and --rm, then exits.
 *
 * It listens on R/containers/ID/monitor.sock (SOCK_SEQPACKET).  A client
 * sends one request; attach passes its stdio fds with SCM_RIGHTS.  The
 * spawner is the first client, over a socketpair.  */
#ifndef KAGO_ENGINE_MONITOR_H
#define KAGO_ENGINE_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/container/container.h"

enum kago_mon_type
{
  /* client -> monitor */
  KAGO_MON_ATTACH = 1, /* a = KAGO_ATTACH_* flags; fds: in?, out, err */
  KAGO_MON_RESIZE,     /* a = rows, b = cols */
  KAGO_MON_STOP,       /* a = signal, b = seconds before SIGKILL (-1: never) */
  KAGO_MON_WAIT,       /* reply EXIT when the container stops */
  /* monitor -> client */
  KAGO_MON_STARTED = 100, /* a = the init's pid */
  KAGO_MON_EXIT,          /* a = exit code */
  KAGO_MON_ERROR,         /* err = why */
  KAGO_MON_DETACHED,      /* the detach keys were typed */
};

#define KAGO_ATTACH_STDIN 1
#define KAGO_ATTACH_STDOUT 2
#define KAGO_ATTACH_STDERR 4

struct kago_mon_msg
{
  int32_t type;
  int32_t a, b;
  char err[2048]; /* KAGO_MON_ERROR: the message (NUL-terminated) */
};

/* Send/receive one message with up to 3 fds.  recv returns 0 at EOF.  */
int kago_mon_send (int sock, const struct kago_mon_msg *m, const int *fds, int nfds, kago_error_t *err);
int kago_mon_recv (int sock, struct kago_mon_msg *m, int *fds, int *nfds, kago_error_t *err);
/* Connect to a running container's monitor; -1 with ENOENT/ECONNREFUSED
   in *err when there is none.  */
int kago_mon_connect (struct kago_engine *e, const char *id, kago_error_t *err);

struct kago_spawn_opts
{
  bool attach;       /* the caller's stdout and stderr (and stdin with attach_stdin) are the first client */
  bool attach_stdin;
  unsigned short rows, cols; /* a tty's first size (0: leave it) */
  const char *detach_keys;   /* "ctrl-p,ctrl-q" when NULL */
  /* The caller's argv area, rewritten in the monitor to read
     "kago-monitor ID" in ps (may be NULL).  */
  char *title_area;
  size_t title_len;
};

/* Fork the monitor for container ID (which must be created or stopped) and
   wait until the container runs.  *CONN is the spawner's connection (for
   wait, resize, detach); *PID the container's init.  */
int kago_mon_spawn (struct kago_engine *e, const char *id, const struct kago_spawn_opts *o, int *conn, pid_t *pid,
                    kago_error_t *err);

/* Parse "ctrl-p,ctrl-q" style detach keys into bytes.  Returns the count or
   -1 with an error.  */
int kago_parse_detach_keys (const char *s, unsigned char *out, size_t max, kago_error_t *err);

#endif
