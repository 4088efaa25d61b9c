/* bench/seccomp_cache.c: what compiling a seccomp profile costs at container
   start, against loading the same program from kago's filter cache.

     build/bench/seccomp-cache [RUNS] [PROFILE.json]

   PROFILE (default tests/data/docker-default-seccomp.json) is a Docker
   profile; it is resolved for this host (Docker's default capabilities) and
   parsed as config.json's linux.seccomp once.  Then, interleaved, RUNS times
   each:
     compile     kago_seccomp_compile (libseccomp: rules -> BPF)
     cache-miss  kago_seccomp_compile_cached with no entry: compile + store
     cache-hit   kago_seccomp_compile_cached with the entry: read + verify
   Prints median / p10 / p90 in microseconds.  */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/json.h"
#include "oci/spec.h"
#include "runtime/process_attrs.h"
#include "seccomp/cache.h"
#include "seccomp/profile.h"

static double
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int
cmp_d (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
report (const char *what, double *v, size_t n)
{
  qsort (v, n, sizeof *v, cmp_d);
  printf ("%-11s %8.1f %8.1f %8.1f\n", what, v[n / 2], v[n / 10], v[n * 9 / 10]);
}

static void
die (const char *what, kago_error_t err)
{
  fprintf (stderr, "seccomp-cache: %s: %s\n", what, err ? err->msg : "");
  exit (1);
}

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
  size_t runs = argc > 1 ? strtoul (argv[1], NULL, 10) : 200;
  const char *path = argc > 2 ? argv[2] : "tests/data/docker-default-seccomp.json";
  if (runs < 10)
    runs = 10;
  kago_error_t err = NULL;
  json_value *profile = json_parse_file (path, &err);
  if (profile == NULL)
    die (path, err);
  struct kago_seccomp_target t;
  json_value *resolved = NULL;
  if (kago_seccomp_target_host (&t, &err) < 0
      || kago_seccomp_profile_resolve (profile, &t, &resolved, &err) < 0)
    die ("resolve", err);
  json_value *cfg = json_object_new ();
  json_object_set (cfg, "ociVersion", json_string_new ("1.2.0"));
  json_value *rootv = json_object_new ();
  json_object_set (rootv, "path", json_string_new ("rootfs"));
  json_object_set (cfg, "root", rootv);
  json_value *lin = json_object_new ();
  json_object_set (lin, "seccomp", resolved);
  json_object_set (cfg, "linux", lin);
  oci_spec *spec = oci_spec_parse (cfg, &err);
  if (spec == NULL)
    die ("config", err);
  const oci_seccomp *s = spec->linux_.seccomp;

  char root[] = "/dev/shm/kago-sc-bench-XXXXXX";
  if (mkdtemp (root) == NULL)
    {
      strcpy (root, "/tmp/kago-sc-bench-XXXXXX");
      if (mkdtemp (root) == NULL)
        die ("mkdtemp", NULL);
    }
  char key[65], entry[256];
  kago_seccomp_cache_key (s, key);
  snprintf (entry, sizeof entry, "%s/%s/%s.bpf", root, KAGO_SECCOMP_CACHE_DIR, key);

  double *tc = calloc (runs, sizeof (double)), *tm = calloc (runs, sizeof (double)),
         *th = calloc (runs, sizeof (double));
  size_t insns = 0;
  for (size_t i = 0; i < runs; i++)
    {
      struct kago_seccomp_filter *f = NULL;
      bool hit;
      for (int k = 0; k < 3; k++)
        {
          int which = (int) ((i + (size_t) k) % 3);
          double t0;
          switch (which)
            {
            case 0:
              t0 = now_us ();
              if (kago_seccomp_compile (s, &f, &err) < 0)
                die ("compile", err);
              tc[i] = now_us () - t0;
              kago_seccomp_filter_bpf (f, &insns, NULL);
              break;
            case 1:
              unlink (entry);
              t0 = now_us ();
              if (kago_seccomp_compile_cached (root, s, &f, &hit, &err) < 0 || hit)
                die ("cache miss", err);
              tm[i] = now_us () - t0;
              break;
            default:
              if (access (entry, F_OK) < 0 && (kago_seccomp_compile_cached (root, s, &f, &hit, &err) < 0))
                die ("cache fill", err);
              kago_seccomp_filter_free (f);
              f = NULL;
              t0 = now_us ();
              if (kago_seccomp_compile_cached (root, s, &f, &hit, &err) < 0 || !hit)
                die ("cache hit", err);
              th[i] = now_us () - t0;
              break;
            }
          kago_seccomp_filter_free (f);
          f = NULL;
        }
    }
  printf ("profile %s resolved for this host: %zu rules, %zu BPF instructions; %zu runs each\n", path,
          s->n_syscalls, insns / 8, runs);
  printf ("%-11s %8s %8s %8s   (microseconds)\n", "", "median", "p10", "p90");
  report ("compile", tc, runs);
  report ("cache-miss", tm, runs);
  report ("cache-hit", th, runs);

  int rfd = open ("/", O_DIRECTORY | O_RDONLY);
  remove_tree_at (rfd, root + 1, &err);
  close (rfd);
  free (tc);
  free (tm);
  free (th);
  oci_spec_free (spec);
  json_free (cfg);
  json_free (profile);
  return 0;
}
