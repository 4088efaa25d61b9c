/* Seccomp notify, the runtime's side: hand the listener fd of a filter with
   SCMP_ACT_NOTIFY rules to the agent at linux.seccomp.listenerPath
   (runtime-spec config-linux.md, "The Container Process State").  */
#ifndef KAGO_RUNTIME_SECCOMP_NOTIFY_H
#define KAGO_RUNTIME_SECCOMP_NOTIFY_H

#include <sys/types.h>

#include "common/error.h"
#include "common/json.h"
#include "oci/spec.h"

/* The container process state as JSON text:
     {"ociVersion", "fds": ["seccompFd"], "pid", "metadata" (when METADATA
      is not NULL), "state": STATE}
   STATE (the OCI state object) is taken over.  Caller frees the result.  */
char *kago_seccomp_process_state (const char *oci_version, pid_t pid, const char *metadata,
                                  json_value *state);

/* Check linux.seccomp's listener fields against the compiled filter's use of
   SCMP_ACT_NOTIFY (HAS_NOTIFY): NOTIFY needs listenerPath, listenerMetadata
   needs listenerPath.  A listenerPath without NOTIFY rules is ignored (the
   spec), with a debug log.  */
int kago_seccomp_notify_validate (const oci_seccomp *s, bool has_notify, kago_error_t *err);

/* Parent side: receive the listener fd the init or exec child sends on
   SYNC_FD (SYNC_SECCOMP), then send it to the agent with the container
   process state (PID: the process the filter is on, STATE taken over) and
   close our copy.  On failure nothing is left open.  */
int kago_seccomp_notify_relay (int sync_fd, const oci_seccomp *s, pid_t pid, json_value *state,
                               kago_error_t *err);

/* The same with a listener fd already received (closed in every case).  */
int kago_seccomp_notify_handoff (const oci_seccomp *s, int listener_fd, pid_t pid, json_value *state,
                                 kago_error_t *err);

#endif
