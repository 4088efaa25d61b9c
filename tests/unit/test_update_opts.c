/* kago update: flags (src/engine/container/update_opts.c) and their
   application against a container's current HostConfig and OCI config.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "engine/container/runopts.h"
#include "tap.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int) (sizeof ((char *[]){ __VA_ARGS__ }) / sizeof (char *)))

static char errbuf[1024];
static const char *
msg (kago_error_t *e)
{
  char *s = kago_error_string (*e);
  snprintf (errbuf, sizeof errbuf, "%s", s ? s : "(no error)");
  free (s);
  kago_error_release (e);
  return errbuf;
}

static const char *
parse_fails (int argc, char **argv)
{
  struct kago_update_opts u;
  kago_error_t e = NULL;
  int rc = kago_update_opts_parse (argc, argv, &u, &e);
  kago_update_opts_free (&u);
  return rc == 0 ? "(parsed)" : msg (&e);
}
#define PFAILS(...) parse_fails (ARGC (__VA_ARGS__), ARGV (__VA_ARGS__))

/* Apply ARGV to HC_JSON; returns the error text or NULL, and the objects.  */
static const char *
apply (const char *hc_json, json_value **hc, json_value **oci, json_value **res, int argc, char **argv)
{
  struct kago_update_opts u;
  kago_error_t e = NULL;
  *hc = json_parse (hc_json, strlen (hc_json), NULL);
  const char *oj = "{\"linux\":{\"resources\":{\"memory\":{\"limit\":67108864}}}}";
  *oci = json_parse (oj, strlen (oj), NULL);
  *res = NULL;
  const char *r = NULL;
  if (kago_update_opts_parse (argc, argv, &u, &e) < 0 || kago_update_apply (&u, *hc, *oci, res, &e) < 0)
    r = msg (&e);
  kago_update_opts_free (&u);
  return r;
}
#define APPLY(hcj, hc, oci, res, ...) apply (hcj, hc, oci, res, ARGC (__VA_ARGS__), ARGV (__VA_ARGS__))

static int64_t
geti (const json_value *o, const char *a, const char *b, const char *c)
{
  const json_value *v = json_object_get (o, a);
  if (b)
    v = json_object_get (v, b);
  if (c)
    v = json_object_get (v, c);
  int64_t x = -999;
  json_get_int64 (v, &x);
  return x;
}

TEST (parse_update_flags)
{
  struct kago_update_opts u;
  kago_error_t e = NULL;
  CHECK (kago_update_opts_parse (ARGC ("update", "-m", "256m", "web", "--cpus=1.5", "--restart", "on-failure:3",
                                       "--pids-limit", "-1", "db"),
                                 ARGV ("update", "-m", "256m", "web", "--cpus=1.5", "--restart", "on-failure:3",
                                       "--pids-limit", "-1", "db"),
                                 &u, &e)
         == 0);
  CHECK (u.nnames == 2);
  CHECK_STR (u.names[1], "db");
  CHECK (u.has_memory && u.memory == 256 << 20 && u.has_cpus && u.nano_cpus == 1500000000);
  CHECK (u.has_restart && u.restart.max_retries == 3 && u.has_pids_limit && u.pids_limit == -1);
  CHECK (!u.has_cpu_shares);
  kago_update_opts_free (&u);
  CHECK_STR (PFAILS ("update", "web"), "you must provide one or more flags when using this command");
  CHECK_STR (PFAILS ("update", "-m", "1g"), "\"kago update\" requires at least 1 argument.");
  CHECK_STR (PFAILS ("update", "--memory", "1x", "web"),
             "invalid argument \"1x\" for \"-m, --memory\" flag: invalid suffix: 'x'");
  CHECK_STR (PFAILS ("update", "--bogus", "web"), "unknown flag: --bogus");
  CHECK_STR (PFAILS ("update", "--blkio-weight", "1", "web"), "Range of blkio weight is from 10 to 1000");
  CHECK_STR (PFAILS ("update", "-m", "1m", "web"), "Minimum memory limit allowed is 6MB");
  CHECK_STR (PFAILS ("update", "--restart", "bogus", "web"),
             "invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or "
             "'unless-stopped'");
  /* update allows --memory-swap alone (checked against the container) */
  CHECK_STR (PFAILS ("update", "--memory-swap", "1g", "web"), "(parsed)");
}

TEST (apply_against_current)
{
  json_value *hc, *oci, *res;
  const char *hc_mem = "{\"Memory\":67108864,\"MemorySwap\":134217728,\"MemoryReservation\":0,\"NanoCpus\":0,"
                       "\"CpuPeriod\":0,\"CpuQuota\":0,\"AutoRemove\":false}";
  const char *r = APPLY (hc_mem, &hc, &oci, &res, "update", "-m", "256m", "web");
  CHECK_STR (r, "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same "
                "time");
  json_free (hc), json_free (oci), json_free (res);

  r = APPLY (hc_mem, &hc, &oci, &res, "update", "-m", "256m", "--memory-swap", "512m", "--cpu-shares", "512", "web");
  CHECK (r == NULL);
  CHECK (geti (hc, "Memory", NULL, NULL) == 256 << 20 && geti (hc, "MemorySwap", NULL, NULL) == 512 << 20);
  CHECK (geti (hc, "CpuShares", NULL, NULL) == 512);
  CHECK (geti (oci, "linux", "resources", "memory") == -999); /* an object */
  CHECK (geti (json_object_get (json_object_get (oci, "linux"), "resources"), "memory", "limit", NULL) == 256 << 20);
  CHECK (geti (res, "memory", "limit", NULL) == 256 << 20 && geti (res, "memory", "swap", NULL) == 512 << 20);
  CHECK (geti (res, "cpu", "shares", NULL) == 512);
  CHECK (json_object_get (res, "pids") == NULL);
  json_free (hc), json_free (oci), json_free (res);

  r = APPLY ("{\"Memory\":0,\"MemorySwap\":0}", &hc, &oci, &res, "update", "--memory-swap", "1g", "web");
  CHECK_STR (r, "You should always set the Memory limit when using Memoryswap limit, see usage");
  json_free (hc), json_free (oci), json_free (res);

  r = APPLY ("{\"CpuPeriod\":100000}", &hc, &oci, &res, "update", "--cpus", "1", "web");
  CHECK_STR (r, "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
  json_free (hc), json_free (oci), json_free (res);
  r = APPLY ("{\"NanoCpus\":1000000000}", &hc, &oci, &res, "update", "--cpu-quota", "50000", "web");
  CHECK_STR (r, "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  json_free (hc), json_free (oci), json_free (res);

  r = APPLY ("{\"NanoCpus\":0}", &hc, &oci, &res, "update", "--cpus", "0.5", "web");
  CHECK (r == NULL && geti (res, "cpu", "quota", NULL) == 50000 && geti (res, "cpu", "period", NULL) == 100000);
  CHECK (geti (hc, "NanoCpus", NULL, NULL) == 500000000);
  json_free (hc), json_free (oci), json_free (res);

  r = APPLY ("{\"Memory\":134217728,\"MemoryReservation\":0}", &hc, &oci, &res, "update", "--memory-reservation",
             "256m", "web");
  CHECK_STR (r, "Minimum memory limit can not be less than memory reservation limit, see usage");
  json_free (hc), json_free (oci), json_free (res);

  r = APPLY ("{\"AutoRemove\":true}", &hc, &oci, &res, "update", "--restart", "always", "web");
  CHECK_STR (r, "Restart policy cannot be updated because AutoRemove is enabled for the container");
  json_free (hc), json_free (oci), json_free (res);
  r = APPLY ("{\"AutoRemove\":false}", &hc, &oci, &res, "update", "--restart", "unless-stopped", "web");
  CHECK (r == NULL && res == NULL);
  CHECK_STR (json_get_string (json_object_get (json_object_get (hc, "RestartPolicy"), "Name")), "unless-stopped");
  json_free (hc), json_free (oci), json_free (res);

  r = APPLY ("{}", &hc, &oci, &res, "update", "--pids-limit", "0", "--blkio-weight", "300", "web");
  CHECK (r == NULL && geti (res, "pids", "limit", NULL) == -1 && geti (hc, "PidsLimit", NULL, NULL) == -1);
  CHECK (geti (res, "blockIO", "weight", NULL) == 300);
  json_free (hc), json_free (oci), json_free (res);
}

int
main (void)
{
  RUN (parse_update_flags);
  RUN (apply_against_current);
  return tap_done ();
}
