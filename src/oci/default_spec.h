/* The config.json that `kago-runtime spec` writes: the same content as
   `runc spec` (runc 1.1), with ociVersion KAGO_OCI_VERSION and hostname
   "kago", pretty-printed with tabs like runc.  */
#ifndef KAGO_OCI_DEFAULT_SPEC_H
#define KAGO_OCI_DEFAULT_SPEC_H

#include <stdbool.h>

#include "common/json.h"

/* The default spec as a JSON tree (caller frees with json_free).  ROOTLESS
   gives runc's --rootless variant: a user namespace mapping the caller's euid
   and egid to 0, no network namespace, /sys bind-mounted from the host, no
   uid=/gid= mount options, no cgroup mount and no linux.resources.  */
json_value *kago_default_spec_new (bool rootless);

/* The same, serialized with tab indentation (no trailing newline).  Never
   NULL; the caller frees it.  */
char *kago_default_spec_json (bool rootless);

#endif
