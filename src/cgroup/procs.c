/* cgroup manager: the container's processes -- joining (clone fd, self-join
   through "tasks", cgroup.procs), listing and signalling them, and removing
   the cgroups.  */
#include "cgroup/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

/* ------------------------------------------------------------ processes */

int
kago_cgroup_clone_fd (struct kago_cgroup *cg)
{
  if (cg->mode == KAGO_CGROUP_V1)
    return -1;
  if (cg->clone_fd < 0)
    {
      struct cg_hier *h = cg_unified (cg);
      if (h)
        cg->clone_fd = open (h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  return cg->clone_fd;
}

int
kago_cgroup_open_self_join (struct kago_cgroup *cg, int *fds, size_t max, kago_error_t *err)
{
  size_t k = 0;
  for (size_t i = 0; i < cg->n; i++)
    {
      if (cg->h[i].unified)
        continue;
      if (k == max)
        goto fail_max;
      cleanup_free char *path = xasprintf ("%s/tasks", cg->h[i].dir);
      int fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        {
          int e = errno;
          while (k > 0)
            close (fds[--k]);
          return kago_error_set (err, e, "open `%s`", path);
        }
      fds[k++] = fd;
    }
  return (int) k;
fail_max:
  while (k > 0)
    close (fds[--k]);
  return kago_error_set (err, E2BIG, "more than %zu cgroup hierarchies", max);
}

int
kago_cgroup_self_join (const int *fds, size_t n, kago_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      ssize_t r;
      do
        r = write (fds[i], "0", 1);
      while (r < 0 && errno == EINTR);
      if (r < 0)
        return kago_error_set (err, errno, "join the container's cgroup (v1 hierarchy %zu)", i);
    }
  return 0;
}

int
kago_cgroup_enter_rest (struct kago_cgroup *cg, pid_t pid, bool cloned_into, bool self_joined,
                        kago_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  for (size_t i = 0; i < cg->n; i++)
    {
      if (cg->h[i].unified ? cloned_into : self_joined)
        continue;
      if (cg_write (cg->h[i].dir, "cgroup.procs", buf, err) < 0)
        return kago_error_wrap (err, "join cgroup");
    }
  return 0;
}

int
kago_cgroup_enter (struct kago_cgroup *cg, pid_t pid, kago_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  for (size_t i = 0; i < cg->n; i++)
    if (cg_write (cg->h[i].dir, "cgroup.procs", buf, err) < 0)
      return kago_error_wrap (err, "join cgroup");
  return 0;
}

int
cg_read_u64 (const char *dir, const char *file, uint64_t *out, kago_error_t *err)
{
  cleanup_free char *s = NULL;
  if (cg_read (dir, file, &s, err) < 0)
    return -1;
  char *end;
  errno = 0;
  *out = strtoull (s, &end, 10);
  if (errno || end == s)
    return kago_error_set (err, EINVAL, "`%s/%s`: not a number: %s", dir, file, s);
  return 0;
}

int
cg_check_before_update (const char *dir, const char *usage_file, int64_t limit, kago_error_t *err)
{
  uint64_t usage;
  if (cg_read_u64 (dir, usage_file, &usage, err) < 0)
    return kago_error_wrap (err, "linux.resources.memory.checkBeforeUpdate");
  if (usage > (uint64_t) limit)
    return kago_error_set (err, EBUSY,
                           "linux.resources.memory.checkBeforeUpdate: the memory usage (%" PRIu64
                           ") is above the new limit (%" PRId64 ")",
                           usage, limit);
  return 0;
}

int
cg_read_pids_recursive (const char *dir, pid_t **pids, size_t *n, size_t *cap, kago_error_t *err)
{
  cleanup_free char *text = NULL;
  kago_error_t e = NULL;
  if (cg_read (dir, "cgroup.procs", &text, &e) < 0)
    {
      if (e->errnum == ENOENT || e->errnum == ENODEV)
        {
          kago_error_release (&e);
          return 0;
        }
      *err = e;
      return -1;
    }
  for (char *p = text; *p;)
    {
      char *end;
      long v = strtol (p, &end, 10);
      if (end != p && v > 0)
        {
          if (*n == *cap)
            {
              *cap = *cap ? *cap * 2 : 16;
              *pids = xrealloc (*pids, *cap * sizeof (pid_t));
            }
          (*pids)[(*n)++] = (pid_t) v;
        }
      p = strchr (end, '\n');
      if (!p)
        break;
      p++;
    }
  cleanup_dir DIR *d = opendir (dir);
  if (!d)
    return 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      cleanup_free char *sub = cg_join (dir, de->d_name);
      if (cg_read_pids_recursive (sub, pids, n, cap, err) < 0)
        return -1;
    }
  return 0;
}

int
kago_cgroup_pids (struct kago_cgroup *cg, pid_t **pids, size_t *n, kago_error_t *err)
{
  size_t cap = 0;
  *pids = NULL;
  *n = 0;
  struct cg_hier *h = cg_procs_hier (cg);
  if (!h)
    return 0;
  if (cg_read_pids_recursive (h->dir, pids, n, &cap, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

static int
signal_pids (struct kago_cgroup *cg, int sig, kago_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (kago_cgroup_pids (cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return kago_error_set (err, errno, "kill %d with signal %d", (int) pids[i], sig);
  return 0;
}

int
kago_cgroup_kill_all (struct kago_cgroup *cg, int sig, kago_error_t *err)
{
  if (cg->mode == KAGO_CGROUP_V2 && sig == SIGKILL)
    {
      struct cg_hier *h = cg_unified (cg);
      if (h && cg_has_file (h->dir, "cgroup.kill"))
        {
          if (cg_write (h->dir, "cgroup.kill", "1", err) < 0)
            return -1;
          /* Leave no frozen cgroup behind (the kill works on frozen tasks).
             Ask cgroup.freeze, the state asked for, not cgroup.events: that
             says "frozen 0" while the killed tasks leave the freezer, and
             "frozen 1" again once they are gone.  */
          cleanup_free char *freeze = NULL;
          kago_error_t e = NULL;
          if (cg_read (h->dir, "cgroup.freeze", &freeze, &e) < 0)
            kago_error_release (&e); /* no v2 freezer: nothing to thaw */
          else if (freeze[0] == '1' && cg_freeze_dir_v2 (h->dir, false, err) < 0)
            return -1;
          return 0;
        }
    }
  /* Freeze first so that forking processes cannot escape the signal.  */
  bool can_freeze = cg->mode == KAGO_CGROUP_V2
                        ? cg_unified (cg) && cg_has_file (cg_unified (cg)->dir, "cgroup.freeze")
                        : cg_find (cg, "freezer") != NULL;
  bool was_frozen = false;
  kago_error_t e = NULL;
  if (can_freeze && kago_cgroup_is_frozen (cg, &was_frozen, &e) < 0)
    {
      kago_error_release (&e);
      can_freeze = false;
    }
  bool froze = false;
  if (can_freeze && !was_frozen)
    {
      if (kago_cgroup_freeze (cg, true, &e) < 0)
        {
          cleanup_free char *msg = kago_error_string (e);
          kago_log_debug ("kill_all: could not freeze the cgroup first: %s", msg);
          kago_error_release (&e);
        }
      else
        froze = true;
    }
  int ret = signal_pids (cg, sig, err);
  if (froze || (was_frozen && sig == SIGKILL))
    {
      if (kago_cgroup_freeze (cg, false, &e) < 0)
        {
          if (ret == 0)
            {
              *err = e;
              return -1;
            }
          kago_error_release (&e);
        }
    }
  return ret;
}

/* --------------------------------------------------------------- destroy */

/* rmdir DIR and every cgroup below it, deepest first.  ENOENT is success.  */
static int
rmdir_tree (const char *dir)
{
  /* The common case is a leaf with no process left: one rmdir.  Only a
     cgroup with children (EBUSY, like one with processes) is walked; the
     listing of a cgroup dir is long (every control file).  */
  if (rmdir (dir) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY && errno != ENOTEMPTY)
    return -1;
  {
    cleanup_dir DIR *d = opendir (dir);
    if (!d)
      return errno == ENOENT ? 0 : -1;
    struct dirent *de;
    while ((de = readdir (d)))
      {
        if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
          continue;
        cleanup_free char *sub = cg_join (dir, de->d_name);
        if (rmdir_tree (sub) < 0)
          return -1;
      }
  }
  if (rmdir (dir) < 0 && errno != ENOENT)
    return -1;
  return 0;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
kill_pids_in (const char *dir)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0, cap = 0;
  kago_error_t e = NULL;
  if (cg_read_pids_recursive (dir, &pids, &n, &cap, &e) < 0)
    kago_error_release (&e);
  for (size_t i = 0; i < n; i++)
    kill (pids[i], SIGKILL);
}

int
kago_cgroup_destroy (struct kago_cgroup *cg, kago_error_t *err)
{
  if (cg->clone_fd >= 0)
    {
      close (cg->clone_fd);
      cg->clone_fd = -1;
    }
  /* No up-front scan for processes: an rmdir that finds some fails with
     EBUSY, and only then are they killed (below).  Callers kill a live
     container first (kago_cgroup_kill_all, which also thaws a frozen one). */
  long long deadline = now_ms () + 1000;
  for (size_t i = 0; i < cg->n; i++)
    {
      struct cg_hier *h = &cg->h[i];
      if (h->created == 0)
        continue;
      for (;;)
        {
          if (rmdir_tree (h->dir) == 0)
            break;
          int saved = errno;
          if (saved != EBUSY || now_ms () > deadline)
            return kago_error_set (err, saved, "remove cgroup `%s`", h->dir);
          kill_pids_in (h->dir);
          struct timespec ts = { 0, 10 * 1000 * 1000 };
          nanosleep (&ts, NULL);
        }
      /* The parents kago created, while they are empty (another container
         may share them).  */
      cleanup_free char *p = xstrdup (h->dir);
      for (unsigned k = 1; k < h->created; k++)
        {
          char *slash = strrchr (p, '/');
          if (!slash || slash == p)
            break;
          *slash = '\0';
          if (rmdir (p) < 0 && errno != ENOENT)
            break;
        }
    }
  return 0;
}
