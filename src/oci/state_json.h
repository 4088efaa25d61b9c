/* The OCI state object (runtime-spec runtime.md "State"), as given to hooks on
   stdin and printed by `state`.  */
#ifndef KAGO_OCI_STATE_JSON_H
#define KAGO_OCI_STATE_JSON_H

#include <sys/types.h>

#include "common/json.h"
#include "oci/spec.h"

/* A new object {"ociVersion", "id", "status", "pid", "bundle", "annotations"}.
   pid is omitted when 0 (a stopped container has none); annotations are
   omitted when ANNOTATIONS is NULL or empty.  NULL strings become "".  The
   caller adds runtime-specific members (rootfs, created, owner) with
   json_object_set and frees the result with json_free.  */
json_value *kago_state_json_new (const char *oci_version, const char *id, const char *status, pid_t pid,
                                 const char *bundle, const oci_map *annotations);

#endif
