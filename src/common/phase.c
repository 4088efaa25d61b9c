#include "common/phase.h"

#ifdef KAGO_PHASE_TRACE
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct
{
  const char *label;
  long long ns;
} marks[128];
static int nmarks;

void
kago_phase_mark (const char *label)
{
  struct timespec t;
  if (nmarks >= (int) (sizeof marks / sizeof marks[0]))
    return;
  clock_gettime (CLOCK_MONOTONIC, &t);
  marks[nmarks].label = label;
  marks[nmarks++].ns = (long long) t.tv_sec * 1000000000LL + t.tv_nsec;
}

void
kago_phase_reset (void)
{
  nmarks = 0;
}

void
kago_phase_dump (void)
{
  char buf[8192];
  size_t len = 0;
  for (int i = 0; i < nmarks && len < sizeof buf - 128; i++)
    len += (size_t) snprintf (buf + len, sizeof buf - len, "kago-phase %d %s %lld\n", (int) getpid (),
                              marks[i].label, marks[i].ns / 1000);
  if (write (2, buf, len) < 0)
    return;
  nmarks = 0;
}
#endif
