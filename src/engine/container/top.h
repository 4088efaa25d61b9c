/* `kago top`: the container's processes as the host's ps shows them, as
 * dockerd does it (moby's daemon/top_unix.go, behaviour only):
 *   - ps runs on the host with the user's options (default "-ef") and
 *     "-q PID,PID,..." (procps' quick pid selection); when that fails
 *     (some options, e.g. f, refuse -q; busybox has no -q) once more
 *     without it;
 *   - the header's fields (split at ASCII white space) are the titles; the
 *     "PID" column selects the rows whose pid is one of the container's
 *     (its cgroup's); a row whose PID is "-" (a thread line of -m) goes
 *     with the process line above it; the fields past the last title are
 *     joined with spaces into the last column (CMD with its arguments);
 *   - an option that renames a column to PID ("-o user=PID") is refused,
 *     as it would select the wrong rows.
 * Nothing here prints.  */
#ifndef KAGO_ENGINE_TOP_H
#define KAGO_ENGINE_TOP_H

#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

struct kago_top
{
  char **titles;
  size_t ntitles;
  char ***procs; /* nprocs rows of ntitles strings */
  size_t nprocs;
};
void kago_top_free (struct kago_top *t);

/* Refuse "KEY=PID..." with KEY other than "pid" in ARGS (as dockerd's
   validatePSArgs on the space-joined arguments).  */
int kago_top_validate_args (char *const *args, size_t n, kago_error_t *err);
/* Parse ps OUTPUT keeping the rows of PIDS.  */
int kago_top_parse_ps (const char *output, const pid_t *pids, size_t npids, struct kago_top *out,
                       kago_error_t *err);
/* Run the host's ps with PS_ARGS (N of them; none means "-ef") and keep
   the rows of PIDS (a container's: kago_container_pids).  An error names
   ps's first line of stderr ("ps: ...").  */
int kago_top_ps (char *const *ps_args, size_t n, const pid_t *pids, size_t npids, struct kago_top *out,
                 kago_error_t *err);

#endif
