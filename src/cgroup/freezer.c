/* Freezer: v1 freezer.state, v2 cgroup.freeze + cgroup.events.
 *
 * Both wait until the kernel reports the new state.  v1 can stay in
 * FREEZING when a task sleeps uninterruptibly; like runc we thaw briefly and
 * freeze again now and then, and give up (thawed) after about two seconds.
 */
#include "cgroup/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"

#define FREEZE_TIMEOUT_MS 2000

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_us (long us)
{
  struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
  nanosleep (&ts, NULL);
}

static int
read_v1_state (const char *dir, char **state, kago_error_t *err)
{
  if (cg_read (dir, "freezer.state", state, err) < 0)
    return -1;
  size_t n = strlen (*state);
  while (n && ((*state)[n - 1] == '\n' || (*state)[n - 1] == ' '))
    (*state)[--n] = '\0';
  return 0;
}

int
cg_freeze_dir_v1 (const char *dir, bool frozen, kago_error_t *err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";
  long long deadline = now_ms () + FREEZE_TIMEOUT_MS;
  for (unsigned i = 0;; i++)
    {
      if (frozen && i > 0 && i % 25 == 0)
        {
          /* Stuck in FREEZING: thaw and retry, which lets tasks blocked
             in the kernel make progress.  */
          kago_error_t e = NULL;
          if (cg_write (dir, "freezer.state", "THAWED", &e) < 0)
            kago_error_release (&e);
          sleep_us (100);
        }
      if (cg_write (dir, "freezer.state", want, err) < 0)
        return -1;
      cleanup_free char *state = NULL;
      if (read_v1_state (dir, &state, err) < 0)
        return -1;
      if (strcmp (state, want) == 0)
        return 0;
      if (now_ms () > deadline)
        {
          if (frozen)
            {
              kago_error_t e = NULL;
              if (cg_write (dir, "freezer.state", "THAWED", &e) < 0)
                kago_error_release (&e);
            }
          return kago_error_set (err, EBUSY, "%s `%s`: still %s after %d ms", frozen ? "freeze" : "thaw", dir,
                                 state, FREEZE_TIMEOUT_MS);
        }
      sleep_us (i < 10 ? 100 : 1000);
    }
}

/* "frozen 0|1" from cgroup.events; -1 when absent.  */
static int
events_frozen (const char *text)
{
  const char *p = strstr (text, "frozen ");
  if (!p || (p != text && p[-1] != '\n'))
    return -1;
  return p[7] == '1' ? 1 : 0;
}

static int
read_events (int fd, char *buf, size_t size, const char *dir, kago_error_t *err)
{
  ssize_t r = pread (fd, buf, size - 1, 0);
  if (r < 0)
    return kago_error_set (err, errno, "read `%s/cgroup.events`", dir);
  buf[r] = '\0';
  return 0;
}

int
cg_freeze_dir_v2 (const char *dir, bool frozen, kago_error_t *err)
{
  if (!cg_has_file (dir, "cgroup.freeze"))
    return kago_error_set (err, ENOTSUP, "%s `%s`: the kernel has no cgroup v2 freezer (cgroup.freeze)",
                           frozen ? "freeze" : "thaw", dir);
  if (cg_write (dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  cleanup_free char *events = cg_join (dir, "cgroup.events");
  cleanup_close int fd = open (events, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "open `%s`", events);
  long long deadline = now_ms () + FREEZE_TIMEOUT_MS;
  for (;;)
    {
      char buf[512];
      if (read_events (fd, buf, sizeof buf, dir, err) < 0)
        return -1;
      int f = events_frozen (buf);
      if (f < 0 || f == (frozen ? 1 : 0))
        return 0;
      long long left = deadline - now_ms ();
      if (left <= 0)
        break;
      /* kernfs notifies a change of cgroup.events as POLLPRI.  */
      struct pollfd pfd = { .fd = fd, .events = POLLPRI };
      if (poll (&pfd, 1, left < 10 ? (int) left : 10) < 0 && errno != EINTR)
        return kago_error_set (err, errno, "poll `%s`", events);
    }
  if (frozen)
    {
      kago_error_t e = NULL;
      if (cg_write (dir, "cgroup.freeze", "0", &e) < 0)
        kago_error_release (&e);
    }
  return kago_error_set (err, EBUSY, "%s `%s`: cgroup.events did not report it after %d ms",
                         frozen ? "freeze" : "thaw", dir, FREEZE_TIMEOUT_MS);
}

int
kago_cgroup_freeze (struct kago_cgroup *cg, bool frozen, kago_error_t *err)
{
  if (cg->mode == KAGO_CGROUP_V2)
    {
      struct cg_hier *h = cg_unified (cg);
      if (!h)
        return kago_error_set (err, ENOENT, "no unified cgroup");
      return cg_freeze_dir_v2 (h->dir, frozen, err);
    }
  struct cg_hier *h = cg_find (cg, "freezer");
  if (!h)
    return kago_error_set (err, ENOTSUP, "%s: no freezer cgroup hierarchy on this host",
                           frozen ? "pause" : "resume");
  return cg_freeze_dir_v1 (h->dir, frozen, err);
}

int
kago_cgroup_is_frozen (struct kago_cgroup *cg, bool *frozen, kago_error_t *err)
{
  *frozen = false;
  if (cg->mode == KAGO_CGROUP_V2)
    {
      struct cg_hier *h = cg_unified (cg);
      if (!h || !cg_has_file (h->dir, "cgroup.freeze"))
        return 0;
      cleanup_free char *text = NULL;
      if (cg_read (h->dir, "cgroup.events", &text, err) < 0)
        return -1;
      *frozen = events_frozen (text) == 1;
      return 0;
    }
  struct cg_hier *h = cg_find (cg, "freezer");
  if (!h)
    return 0;
  cleanup_free char *state = NULL;
  if (read_v1_state (h->dir, &state, err) < 0)
    return -1;
  *frozen = strcmp (state, "FROZEN") == 0;
  return 0;
}
