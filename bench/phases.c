/* bench/phases: where a `kago-runtime run` of a /bin/true container spends
   its time.  Needs a kago built with -Dphase_trace=true (see bench/README.md):
   every process of the run writes "kago-phase PID LABEL USEC" lines to
   stderr.  Runs the command N times with fresh ids, merges each run's marks
   in time order and prints, per mark, the median time since the previous
   mark (of any process: the run's critical path as it happened) and the
   median total.

   usage: phases N KAGO ROOT BUNDLE  */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LABELS 96
#define MAX_EVENTS 256

struct event
{
  char label[64];
  long long us;
};

static char labels[MAX_LABELS][64];
static int nlabels;
static double *samples[MAX_LABELS];
static int nsamples[MAX_LABELS];

static long long
now_us (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (long long) t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static void
add (const char *label, double ms, int runs)
{
  int i;
  for (i = 0; i < nlabels; i++)
    if (strcmp (labels[i], label) == 0)
      break;
  if (i == nlabels)
    {
      if (nlabels == MAX_LABELS)
        return;
      snprintf (labels[nlabels], sizeof labels[0], "%s", label);
      samples[nlabels] = calloc ((size_t) runs, sizeof (double));
      if (samples[nlabels] == NULL)
        exit (1);
      nlabels++;
    }
  if (nsamples[i] < runs)
    samples[i][nsamples[i]++] = ms;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static int
cmp_event (const void *a, const void *b)
{
  const struct event *x = a, *y = b;
  return x->us < y->us ? -1 : x->us > y->us;
}

int
main (int argc, char **argv)
{
  if (argc != 5)
    {
      fprintf (stderr, "usage: %s N KAGO ROOT BUNDLE\n", argv[0]);
      return 2;
    }
  int runs = atoi (argv[1]);
  if (runs <= 0)
    return 2;
  int failures = 0;
  for (int r = 0; r < runs; r++)
    {
      char id[64];
      snprintf (id, sizeof id, "phases-%d-%d", (int) getpid (), r);
      int pfd[2];
      if (pipe2 (pfd, O_CLOEXEC) < 0)
        return 1;
      long long t0 = now_us ();
      pid_t pid = fork ();
      if (pid == 0)
        {
          dup2 (pfd[1], 2);
          int devnull = open ("/dev/null", O_RDWR);
          dup2 (devnull, 0);
          dup2 (devnull, 1);
          execl (argv[2], "kago-runtime", "--root", argv[3], "run", "--bundle", argv[4], id, (char *) NULL);
          _exit (127);
        }
      close (pfd[1]);
      static char buf[1 << 16];
      size_t len = 0;
      ssize_t n;
      while (len < sizeof buf - 1 && (n = read (pfd[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t) n;
      buf[len] = '\0';
      close (pfd[0]);
      int status;
      waitpid (pid, &status, 0);
      long long t1 = now_us ();
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        {
          failures++;
          continue;
        }
      struct event ev[MAX_EVENTS];
      int ne = 0;
      for (char *save = NULL, *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          int p;
          if (ne < MAX_EVENTS && sscanf (line, "kago-phase %d %63s %lld", &p, ev[ne].label, &ev[ne].us) == 3)
            ne++;
        }
      qsort (ev, (size_t) ne, sizeof ev[0], cmp_event);
      long long prev = t0;
      for (int i = 0; i < ne; i++)
        {
          /* The same mark again (main, in the sealed re-exec): "main#2".  */
          int again = 1;
          for (int j = 0; j < i; j++)
            if (strcmp (ev[j].label, ev[i].label) == 0)
              again++;
          char label[96];
          if (again > 1)
            snprintf (label, sizeof label, "%.63s#%d", ev[i].label, again);
          else
            snprintf (label, sizeof label, "%.63s", ev[i].label);
          add (label, (double) (ev[i].us - prev) / 1000.0, runs);
          prev = ev[i].us;
        }
      add ("(exit and reap)", (double) (t1 - prev) / 1000.0, runs);
      add ("TOTAL", (double) (t1 - t0) / 1000.0, runs);
    }
  printf ("%-28s %6s %10s\n", "phase (time since previous)", "runs", "median ms");
  for (int i = 0; i < nlabels; i++)
    {
      qsort (samples[i], (size_t) nsamples[i], sizeof (double), cmp_double);
      printf ("%-28s %6d %10.3f\n", labels[i], nsamples[i], samples[i][nsamples[i] / 2]);
    }
  if (failures)
    printf ("%d runs failed\n", failures);
  return failures ? 1 : 0;
}
