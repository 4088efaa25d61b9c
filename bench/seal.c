/* bench/seal.c BINARY... : what the CVE-2019-5736 defence costs per start.
 *
 * For each binary, interleaved N times: (a) plain fork+exec of `BINARY
 * --version`, (b) fork, copy the binary into a memfd, seal it
 * (F_SEAL_SEAL|SHRINK|GROW|WRITE) and fexecve it with `--version` -- the
 * sealed re-exec kago does, and the memfd clone runc 1.1 does for every
 * `runc init`.  Prints the medians and the overhead (b - a) per binary, so
 * the cost for kago's executable and runc's can be compared side by side.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
one (const char *bin, int sealed)
{
  double t0 = now_ms ();
  pid_t p = fork ();
  if (p == 0)
    {
      int dn = open ("/dev/null", O_WRONLY);
      dup2 (dn, 1);
      dup2 (dn, 2);
      char *argv[] = { (char *) bin, (char *) "--version", NULL };
      if (!sealed)
        {
          execv (bin, argv);
          _exit (127);
        }
      int src = open (bin, O_RDONLY | O_CLOEXEC);
      struct stat sb;
      fstat (src, &sb);
      int m = memfd_create ("bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
      off_t left = sb.st_size;
      while (left > 0)
        {
          ssize_t n = sendfile (m, src, NULL, (size_t) left);
          if (n <= 0)
            _exit (126);
          left -= n;
        }
      fcntl (m, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
      extern char **environ;
      fexecve (m, argv, environ);
      _exit (127);
    }
  int st;
  waitpid (p, &st, 0);
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
    {
      fprintf (stderr, "seal: %s failed (status %d)\n", bin, st);
      exit (1);
    }
  return now_ms () - t0;
}

int
main (int argc, char **argv)
{
  int n = getenv ("RUNS") ? atoi (getenv ("RUNS")) : 100;
  if (argc < 2)
    {
      fprintf (stderr, "usage: seal BINARY...\n");
      return 2;
    }
  int nb = argc - 1;
  double *v = calloc ((size_t) (nb * 2 * n), sizeof (double));
  for (int i = 0; i < n; i++)
    for (int b = 0; b < nb; b++)
      for (int s = 0; s < 2; s++)
        v[(b * 2 + s) * n + i] = one (argv[b + 1], s);
  printf ("%-28s %10s %12s %12s %12s\n", "binary (size)", "", "plain exec", "sealed exec", "overhead");
  for (int b = 0; b < nb; b++)
    {
      struct stat sb;
      stat (argv[b + 1], &sb);
      qsort (v + (b * 2) * n, (size_t) n, sizeof (double), cmp);
      qsort (v + (b * 2 + 1) * n, (size_t) n, sizeof (double), cmp);
      double a = v[(b * 2) * n + n / 2], s = v[(b * 2 + 1) * n + n / 2];
      char name[64];
      snprintf (name, sizeof name, "%s (%lld KiB)",
                strrchr (argv[b + 1], '/') ? strrchr (argv[b + 1], '/') + 1 : argv[b + 1],
                (long long) sb.st_size / 1024);
      printf ("%-28s %10s %9.2f ms %9.2f ms %9.2f ms\n", name, "median", a, s, s - a);
    }
  free (v);
  return 0;
}
