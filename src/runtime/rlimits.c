/* process.rlimits: name table and setrlimit.  */
#include "runtime/process_attrs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

int
kago_rlimit_from_name (const char *name)
{
  return oci_rlimit_from_name (name);
}

static const char *
rlimit_name (int resource)
{
  return oci_rlimit_name (resource);
}

static void
fmt_limit (char *buf, size_t size, uint64_t v)
{
  if (v == (uint64_t) RLIM_INFINITY)
    snprintf (buf, size, "unlimited");
  else
    snprintf (buf, size, "%llu", (unsigned long long) v);
}

int
kago_rlimits_apply_pid (pid_t pid, const oci_rlimit *r, size_t n, kago_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      int res = r[i].resource;
      const char *name = r[i].type;
      if (res < 0 || (name && kago_rlimit_from_name (name) != res))
        res = kago_rlimit_from_name (name);
      if (res < 0)
        return kago_error_set (err, EINVAL, "process.rlimits[%zu]: unknown rlimit \"%s\"", i,
                               name ? name : "");
      if (name == NULL)
        name = rlimit_name (res);
      if (r[i].soft > r[i].hard)
        return kago_error_set (err, EINVAL,
                               "process.rlimits[%zu]: %s soft limit %llu is above the hard limit %llu", i,
                               name, (unsigned long long) r[i].soft, (unsigned long long) r[i].hard);

      struct rlimit lim = { .rlim_cur = (rlim_t) r[i].soft, .rlim_max = (rlim_t) r[i].hard };
      if (prlimit (pid, (__rlimit_resource_t) res, &lim, NULL) < 0)
        {
          int e = errno;
          char soft[32], hard[32];
          fmt_limit (soft, sizeof soft, r[i].soft);
          fmt_limit (hard, sizeof hard, r[i].hard);
          return kago_error_set (err, e, "setrlimit %s (soft %s, hard %s)", name, soft, hard);
        }
    }
  return 0;
}

int
kago_rlimits_apply (const oci_rlimit *r, size_t n, kago_error_t *err)
{
  return kago_rlimits_apply_pid (0, r, n, err);
}
