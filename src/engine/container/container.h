/* The engine's containers: records, the name index, the per-container
 * monitor, and the lifecycle operations the `kago` container verbs call.
 *
 * Layout under the engine root R (the image store's root):
 *
 *   R/containers/ID/record.json    the container as `kago inspect` shows it
 *                                  (Docker's object: Id, Name, Created, Path,
 *                                  Args, State, Image, Config, HostConfig,
 *                                  Mounts, LogPath, RestartCount, ...),
 *                                  replaced atomically under R/containers/ID/lock
 *   R/containers/ID/config.json    the OCI bundle config the runtime starts
 *   R/containers/ID/rootfs/        the overlay (upper, work, merged)
 *   R/containers/ID/ID-json.log    the log, Docker's json-file lines
 *   R/containers/ID/monitor.sock   the monitor's command/attach socket
 *   R/containers/.names/NAME       symlink -> ID (created with symlink(2):
 *                                  two creators of one name, one wins)
 *   R/runtime/                     the runtime library's state root
 *   R/volumes/NAME/_data           named volumes
 *
 * Nothing here prints or exits; errors come back in kago_error_t.  */
#ifndef KAGO_ENGINE_CONTAINER_H
#define KAGO_ENGINE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/json.h"

#define KAGO_CTR_ID_LEN 64
#define KAGO_CTR_SHORT_ID_LEN 12

struct kago_engine
{
  char *root;          /* R */
  char *ctr_dir;       /* R/containers */
  char *runtime_root;  /* R/runtime */
};

int kago_engine_open (const char *root, struct kago_engine *e, kago_error_t *err);
void kago_engine_close (struct kago_engine *e);

enum kago_ctr_status
{
  KAGO_CTR_CREATED,
  KAGO_CTR_RUNNING,
  KAGO_CTR_PAUSED,
  KAGO_CTR_RESTARTING,
  KAGO_CTR_EXITED,
  KAGO_CTR_DEAD,
  KAGO_CTR_REMOVING,
};
/* "created", "running", ... as Docker spells them.  */
const char *kago_ctr_status_name (enum kago_ctr_status s);

/* A summary of one container, as `ps` and `stats` need it.  */
struct kago_ctr_info
{
  char id[KAGO_CTR_ID_LEN + 1];
  char *name;         /* without the leading '/' */
  char *image;        /* as the user named it */
  char *image_id;     /* sha256:... */
  char *command;      /* "sh -c 'while ...'" as docker ps quotes it */
  char *created;      /* RFC 3339 */
  char *started_at;   /* RFC 3339, or "0001-01-01T00:00:00Z" */
  char *finished_at;
  enum kago_ctr_status status;
  int exit_code;
  bool oom_killed;
  pid_t pid;          /* the container's init in the host pid namespace, 0 when not running */
  pid_t monitor_pid;  /* 0 when no monitor */
  json_value *labels; /* object (borrowed from record; freed with the info) */
  json_value *record; /* the whole record (owned) */
};
void kago_ctr_info_free (struct kago_ctr_info *c);
void kago_ctr_infos_free (struct kago_ctr_info *v, size_t n);

/* Resolve a full id, a unique id prefix or a name to the full id.  */
int kago_ctr_resolve (struct kago_engine *e, const char *name_or_id, char id[KAGO_CTR_ID_LEN + 1],
                      kago_error_t *err);
/* Read one container, its State refreshed from the runtime (a container
   whose init died while no monitor watched it is reported exited).  */
int kago_ctr_get (struct kago_engine *e, const char *name_or_id, struct kago_ctr_info *out, kago_error_t *err);
/* Every container (ALL false: running and paused only), newest first.  */
int kago_ctr_list (struct kago_engine *e, bool all, struct kago_ctr_info **out, size_t *n, kago_error_t *err);

/* The container's cgroup statistics now (see cgroup/stats.h); the caller
   need not clear *ST; release it with kago_cgroup_stats_clear.  A
   container that is not running is an error.  */
struct kago_cgroup_stats;
int kago_ctr_stats (struct kago_engine *e, const char *id, struct kago_cgroup_stats *st, kago_error_t *err);

#endif
