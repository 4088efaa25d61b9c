/* Seccomp notify, the runtime's side.
 *
 * The init (or an exec child) installs a filter with NOTIFY rules with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER and sends the listener fd up the sync
 * socket (SYNC_SECCOMP).  The runtime connects to linux.seccomp.listenerPath
 * (AF_UNIX, SOCK_STREAM), sends one message -- the container process state
 * JSON as payload, the fd by SCM_RIGHTS -- and closes both its copy of the
 * fd and the connection.  Any failure is a create (exec) error, and create
 * then removes everything it made.
 */
#include "runtime/seccomp_notify.h"

#include <errno.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "runtime/core.h"
#include "runtime/process_attrs.h"

char *
kago_seccomp_process_state (const char *oci_version, pid_t pid, const char *metadata, json_value *state)
{
  json_value *o = json_object_new ();
  json_object_set (o, "ociVersion", json_string_new (oci_version ? oci_version : ""));
  json_value *fds = json_array_new ();
  json_array_append (fds, json_string_new ("seccompFd"));
  json_object_set (o, "fds", fds);
  json_object_set (o, "pid", json_int_new (pid));
  if (metadata)
    json_object_set (o, "metadata", json_string_new (metadata));
  json_object_set (o, "state", state ? state : json_object_new ());
  char *s = json_to_string (o, false);
  json_free (o);
  return s;
}

int
kago_seccomp_notify_validate (const oci_seccomp *s, bool has_notify, kago_error_t *err)
{
  if (s == NULL)
    return 0;
  bool has_path = s->listener_path && s->listener_path[0];
  if (s->listener_path && !has_path)
    return kago_error_set (err, EINVAL, "linux.seccomp.listenerPath: must not be empty");
  if (s->listener_metadata && !has_path)
    return kago_error_set (err, EINVAL,
                           "linux.seccomp.listenerMetadata: must not be set without listenerPath");
  if (has_notify && !has_path)
    return kago_error_set (err, EINVAL,
                           "linux.seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (a seccomp "
                           "agent to answer the notifications); without one the calls would hang");
  if (has_path && !has_notify)
    kago_log_debug ("seccomp: listenerPath \"%s\" ignored: no SCMP_ACT_NOTIFY rule applies",
                    s->listener_path);
  return 0;
}

int
kago_seccomp_notify_handoff (const oci_seccomp *s, int listener_fd, pid_t pid, json_value *state,
                             kago_error_t *err)
{
  cleanup_close int fd = listener_fd;
  if (s == NULL || s->listener_path == NULL)
    {
      json_free (state);
      return kago_error_set (err, EINVAL, "linux.seccomp.listenerPath: not set");
    }
  cleanup_free char *msg = kago_seccomp_process_state (KAGO_OCI_VERSION, pid, s->listener_metadata, state);
  return kago_seccomp_send_listener (s->listener_path, fd, msg, err);
}

int
kago_seccomp_notify_relay (int sync_fd, const oci_seccomp *s, pid_t pid, json_value *state, kago_error_t *err)
{
  struct kago_sync_msg m;
  int fds[1];
  size_t n = 0;
  int r = kago_sync_recv_any (sync_fd, &m, fds, 1, &n, err);
  if (r <= 0 || m.type != SYNC_SECCOMP || n != 1)
    {
      json_free (state);
      for (size_t i = 0; i < n; i++)
        close (fds[i]);
      if (r < 0)
        return -1;
      if (r == 0)
        return kago_error_set (err, 0, "the container init exited unexpectedly");
      if (m.type == SYNC_ERROR)
        return kago_error_from_wire (err, &m.err);
      if (m.type != SYNC_SECCOMP)
        return kago_error_set (err, 0, "sync: unexpected message %d (wanted the seccomp listener)", m.type);
      return kago_error_set (err, 0, "sync: the seccomp listener message carried no fd");
    }
  return kago_seccomp_notify_handoff (s, fds[0], pid, state, err);
}
