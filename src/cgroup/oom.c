/* OOM notifications of a container's memory cgroup (stats.h).
 *
 * v1 (also hybrid, where memory is a v1 controller): an eventfd is
 * registered by writing "<eventfd> <fd of memory.oom_control>" to
 * cgroup.event_control.  The kernel signals it when the cgroup runs out of
 * memory, and once more when the cgroup is removed: a signal after which
 * cgroup.event_control is gone means "removed", as runc reads it.
 *
 * v2: inotify (IN_MODIFY) on memory.events, which the kernel "modifies" when
 * one of its counters changes; an OOM is an increase of oom_kill.
 */
#include "cgroup/stats.h"
#include "cgroup/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"

struct kago_cgroup_oom_watch
{
  bool v2;
  int fd;             /* eventfd (v1) or inotify (v2) */
  int oom_control_fd; /* v1: memory.oom_control, open while registered */
  char *dir;          /* the memory cgroup */
  uint64_t last;      /* v2: oom_kill at the last look */
};

void
kago_cgroup_oom_watch_close (struct kago_cgroup_oom_watch *w)
{
  if (!w)
    return;
  if (w->fd >= 0)
    close (w->fd);
  if (w->oom_control_fd >= 0)
    close (w->oom_control_fd);
  free (w->dir);
  free (w);
}

int
kago_cgroup_oom_watch_fd (const struct kago_cgroup_oom_watch *w)
{
  return w->fd;
}

static int
open_v1 (struct kago_cgroup_oom_watch *w, kago_error_t *err)
{
  cleanup_free char *ctl = cg_join (w->dir, "memory.oom_control");
  w->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->fd < 0)
    return kago_error_set (err, errno, "eventfd");
  w->oom_control_fd = open (ctl, O_RDONLY | O_CLOEXEC);
  if (w->oom_control_fd < 0)
    return kago_error_set (err, errno, "open `%s`", ctl);
  char line[64];
  snprintf (line, sizeof line, "%d %d", w->fd, w->oom_control_fd);
  if (cg_write (w->dir, "cgroup.event_control", line, err) < 0)
    return kago_error_wrap (err, "register for OOM notifications");
  return 0;
}

static int
open_v2 (struct kago_cgroup_oom_watch *w, kago_error_t *err)
{
  cleanup_free char *events = cg_join (w->dir, "memory.events");
  w->fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (w->fd < 0)
    return kago_error_set (err, errno, "inotify_init1");
  if (inotify_add_watch (w->fd, events, IN_MODIFY) < 0)
    return kago_error_set (err, errno, "watch `%s`", events);
  /* The count from before the watch is not news.  */
  if (cg_read_key_u64 (w->dir, "memory.events", "oom_kill", &w->last, err) < 0)
    return -1;
  return 0;
}

int
kago_cgroup_oom_watch_open (struct kago_cgroup *cg, struct kago_cgroup_oom_watch **out, kago_error_t *err)
{
  bool v2;
  const char *dir = cg_source_dir (cg, "memory", &v2);
  *out = NULL;
  if (!dir || !cg_has_file (dir, v2 ? "memory.events" : "memory.oom_control"))
    return 0;
  struct kago_cgroup_oom_watch *w = xzalloc (sizeof *w);
  w->fd = w->oom_control_fd = -1;
  w->v2 = v2;
  w->dir = xstrdup (dir);
  if ((v2 ? open_v2 (w, err) : open_v1 (w, err)) < 0)
    {
      kago_cgroup_oom_watch_close (w);
      return -1;
    }
  *out = w;
  return 0;
}

static int
read_v1 (struct kago_cgroup_oom_watch *w, unsigned *ooms, bool *gone, kago_error_t *err)
{
  uint64_t n;
  ssize_t r;
  do
    r = read (w->fd, &n, sizeof n);
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno == EAGAIN)
    return 0;
  if (r != (ssize_t) sizeof n)
    return kago_error_set (err, r < 0 ? errno : EIO, "read the OOM eventfd of `%s`", w->dir);
  if (!cg_has_file (w->dir, "cgroup.event_control"))
    *gone = true;
  else
    *ooms = 1;
  return 0;
}

static int
read_v2 (struct kago_cgroup_oom_watch *w, unsigned *ooms, bool *gone, kago_error_t *err)
{
  char buf[4096] __attribute__ ((aligned (__alignof__(struct inotify_event))));
  for (;;)
    {
      ssize_t r = read (w->fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EAGAIN)
        break;
      if (r <= 0)
        return kago_error_set (err, r < 0 ? errno : EIO, "read the inotify watch of `%s/memory.events`",
                               w->dir);
      for (char *p = buf; p < buf + r;)
        {
          const struct inotify_event *ev = (const struct inotify_event *) p;
          if (ev->mask & IN_IGNORED)
            *gone = true;
          p += sizeof *ev + ev->len;
        }
    }
  uint64_t now = 0;
  kago_error_t e = NULL;
  int r = cg_read_key_u64 (w->dir, "memory.events", "oom_kill", &now, &e);
  if (r < 0 && (e->errnum == ENODEV || e->errnum == ENOENT))
    {
      kago_error_release (&e);
      r = 0;
    }
  if (r < 0)
    {
      *err = e;
      return -1;
    }
  if (r == 0)
    *gone = true;
  else if (now > w->last)
    {
      *ooms = (unsigned) (now - w->last);
      w->last = now;
    }
  return 0;
}

int
kago_cgroup_oom_watch_read (struct kago_cgroup_oom_watch *w, unsigned *ooms, bool *gone, kago_error_t *err)
{
  *ooms = 0;
  *gone = false;
  return w->v2 ? read_v2 (w, ooms, gone, err) : read_v1 (w, ooms, gone, err);
}
