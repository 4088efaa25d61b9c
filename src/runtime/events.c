/* `events`: a container's statistics (once, or every interval) and its OOM
 * kills, as runc reports them.
 *
 * The container is loaded under its lock, which is released at once: the
 * loop can run for hours and must not block kill, delete or update.  It
 * keeps what it needs: the cgroup paths, and a pidfd of the init (opened,
 * then checked against the recorded start time, so a reused pid is never
 * followed).  The loop waits in epoll on three fds:
 *   - a timerfd: every interval, read the stats and report them;
 *   - the OOM watch of the memory cgroup (cgroup/oom.c): report each OOM;
 *   - the pidfd: the init exited, the container is stopped; report what
 *     OOMs are still pending, then return.  (Without pidfds, a 100 ms timer
 *     looks at the init's start time instead.)
 */
#include "runtime/container_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cgroup/stats.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/syscalls.h"
#include "common/xalloc.h"

/* ------------------------------------------------------------ duration */

int
kago_parse_duration (const char *s, int64_t *ns, kago_error_t *err)
{
  static const struct
  {
    const char *name;
    uint64_t ns;
  } units[] = {
    { "ns", 1ULL },
    { "us", 1000ULL },
    { "\xc2\xb5s", 1000ULL }, /* U+00B5 micro sign */
    { "\xce\xbcs", 1000ULL }, /* U+03BC Greek mu */
    { "ms", 1000000ULL },
    { "s", 1000000000ULL },
    { "m", 60ULL * 1000000000ULL },
    { "h", 3600ULL * 1000000000ULL },
  };
  const char *p = s;
  bool neg = false;
  if (*p == '-' || *p == '+')
    neg = *p++ == '-';
  if (strcmp (p, "0") == 0)
    {
      *ns = 0;
      return 0;
    }
  if (*p == '\0')
    goto bad;
  /* Go's rule: one or more "<decimal><unit>", e.g. 1h30m, 1.5s.  The sum is
     computed in long double and range-checked at the end.  */
  long double total = 0;
  while (*p)
    {
      const char *start = p;
      long double v = 0, scale = 1;
      bool digits = false;
      while (*p >= '0' && *p <= '9')
        v = v * 10 + (*p++ - '0'), digits = true;
      if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
          scale /= 10, v += (*p - '0') * scale, digits = true;
      if (!digits || p == start)
        goto bad;
      size_t ulen = 0;
      uint64_t mult = 0;
      for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        {
          size_t l = strlen (units[i].name);
          if (strncmp (p, units[i].name, l) == 0 && l > ulen)
            ulen = l, mult = units[i].ns;
        }
      if (!ulen)
        goto bad;
      p += ulen;
      total += v * (long double) mult;
    }
  if (total > (long double) INT64_MAX)
    return kago_error_set (err, ERANGE, "invalid duration \"%s\": out of range", s);
  *ns = neg ? -(int64_t) total : (int64_t) total;
  return 0;
bad:
  return kago_error_set (err, EINVAL,
                         "invalid duration \"%s\" (expected a number and a unit, e.g. 5s, 500ms, 1m)", s);
}

/* ----------------------------------------------------------- runc JSON */

/* encoding/json's omitempty: a zero number is left out.  */
static void
set_u64_omitempty (json_value *o, const char *key, uint64_t v)
{
  if (v)
    json_object_set (o, key, json_uint_new (v));
}

static json_value *
u64_array (const uint64_t *v, size_t n)
{
  json_value *a = json_array_new ();
  for (size_t i = 0; i < n; i++)
    json_array_append (a, json_uint_new (v[i]));
  return a;
}

static json_value *
memory_entry (const struct kago_stats_memory_entry *m)
{
  json_value *o = json_object_new ();
  json_object_set (o, "limit", json_uint_new (m->limit));
  set_u64_omitempty (o, "usage", m->usage);
  set_u64_omitempty (o, "max", m->max_usage);
  json_object_set (o, "failcnt", json_uint_new (m->failcnt));
  return o;
}

static json_value *
blkio_list (const struct kago_stats_blkio_list *l)
{
  json_value *a = json_array_new ();
  for (size_t i = 0; i < l->n; i++)
    {
      json_value *e = json_object_new ();
      set_u64_omitempty (e, "major", l->e[i].major);
      set_u64_omitempty (e, "minor", l->e[i].minor);
      if (l->e[i].op && l->e[i].op[0])
        json_object_set (e, "op", json_string_new (l->e[i].op));
      set_u64_omitempty (e, "value", l->e[i].value);
      json_array_append (a, e);
    }
  return a;
}

static int
cmp_kv (const void *a, const void *b)
{
  return strcmp ((*(const struct kago_stats_kv *const *) a)->key,
                 (*(const struct kago_stats_kv *const *) b)->key);
}

json_value *
kago_stats_to_runc_json (const struct kago_cgroup_stats *st)
{
  json_value *data = json_object_new ();

  json_value *cpu = json_object_new (), *usage = json_object_new (), *thr = json_object_new ();
  set_u64_omitempty (usage, "total", st->cpu.total);
  if (st->cpu.n_percpu)
    json_object_set (usage, "percpu", u64_array (st->cpu.percpu, st->cpu.n_percpu));
  if (st->cpu.n_percpu_modes)
    {
      json_object_set (usage, "percpu_kernel", u64_array (st->cpu.percpu_kernel, st->cpu.n_percpu_modes));
      json_object_set (usage, "percpu_user", u64_array (st->cpu.percpu_user, st->cpu.n_percpu_modes));
    }
  json_object_set (usage, "kernel", json_uint_new (st->cpu.kernel));
  json_object_set (usage, "user", json_uint_new (st->cpu.user));
  set_u64_omitempty (thr, "periods", st->cpu.periods);
  set_u64_omitempty (thr, "throttledPeriods", st->cpu.throttled_periods);
  set_u64_omitempty (thr, "throttledTime", st->cpu.throttled_time);
  json_object_set (cpu, "usage", usage);
  json_object_set (cpu, "throttling", thr);
  json_object_set (data, "cpu", cpu);

  json_value *mem = json_object_new ();
  set_u64_omitempty (mem, "cache", st->memory.cache);
  json_object_set (mem, "usage", memory_entry (&st->memory.usage));
  json_object_set (mem, "swap", memory_entry (&st->memory.swap));
  json_object_set (mem, "kernel", memory_entry (&st->memory.kernel));
  json_object_set (mem, "kernelTCP", memory_entry (&st->memory.kernel_tcp));
  if (st->memory.n_raw)
    {
      /* Go prints a map sorted by key.  */
      cleanup_free const struct kago_stats_kv **sorted = xcalloc (st->memory.n_raw, sizeof *sorted);
      for (size_t i = 0; i < st->memory.n_raw; i++)
        sorted[i] = &st->memory.raw[i];
      qsort (sorted, st->memory.n_raw, sizeof *sorted, cmp_kv);
      json_value *raw = json_object_new ();
      for (size_t i = 0; i < st->memory.n_raw; i++)
        json_object_set (raw, sorted[i]->key, json_uint_new (sorted[i]->value));
      json_object_set (mem, "raw", raw);
    }
  json_object_set (data, "memory", mem);

  json_value *pids = json_object_new ();
  set_u64_omitempty (pids, "current", st->pids.current);
  set_u64_omitempty (pids, "limit", st->pids.limit);
  json_object_set (data, "pids", pids);

  json_value *blkio = json_object_new ();
  if (st->blkio.service_bytes.n)
    json_object_set (blkio, "ioServiceBytesRecursive", blkio_list (&st->blkio.service_bytes));
  if (st->blkio.serviced.n)
    json_object_set (blkio, "ioServicedRecursive", blkio_list (&st->blkio.serviced));
  json_object_set (data, "blkio", blkio);

  json_value *huge = json_object_new ();
  for (size_t i = 0; i < st->hugetlb.n; i++)
    {
      json_value *h = json_object_new ();
      set_u64_omitempty (h, "usage", st->hugetlb.e[i].usage);
      set_u64_omitempty (h, "max", st->hugetlb.e[i].max_usage);
      json_object_set (h, "failcnt", json_uint_new (st->hugetlb.e[i].failcnt));
      json_object_set (huge, st->hugetlb.e[i].page_size, h);
    }
  json_object_set (data, "hugetlb", huge);
  return data;
}

/* ------------------------------------------------------------- loading */

struct loaded
{
  struct kago_cgroup *cg;
  pid_t pid;
  unsigned long long pid_start;
};

/* Load ID's cgroups and init under the lock, then let the lock go.  */
static int
load (struct kago_runtime *rt, const char *id, struct loaded *l, kago_error_t *err)
{
  struct kago_opened c;
  memset (l, 0, sizeof *l);
  if (kago_open_container (rt, id, &c, err) < 0)
    return -1;
  int ret = -1;
  if (c.status == KAGO_STATUS_STOPPED)
    kago_error_set (err, 0, "container with id %s is not running (it is stopped)", id);
  else if (c.st.cgroup == NULL)
    kago_error_set (err, 0, "container \"%s\" has no cgroup to read statistics from", id);
  else
    {
      l->cg = steal_pointer (&c.st.cgroup);
      l->pid = c.st.pid;
      l->pid_start = c.st.pid_start;
      ret = 0;
    }
  kago_opened_close (&c);
  return ret;
}

int
kago_container_stats (struct kago_runtime *rt, const char *id, struct kago_cgroup_stats *st,
                      kago_error_t *err)
{
  struct loaded l;
  if (load (rt, id, &l, err) < 0)
    return -1;
  int r = kago_cgroup_stats (l.cg, st, err);
  kago_cgroup_free (l.cg);
  return r;
}

/* The oom_kill counter alone (memory.events on v2, memory.oom_control on
   v1): the monitor reads it at every exit, a full stats read costs more.  */
static int
read_oom_kill (const char *dir, const char *file, uint64_t *n)
{
  char path[PATH_MAX], buf[1024];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : -1;
  ssize_t len = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (len < 0)
    return -1;
  buf[len] = '\0';
  for (char *l = buf; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (strncmp (l, "oom_kill ", 9) == 0)
      *n = strtoull (l + 9, NULL, 10);
  return 0;
}

int
kago_container_oom_kills (struct kago_runtime *rt, const char *id, uint64_t *n, kago_error_t *err)
{
  struct kago_opened c;
  *n = 0;
  if (kago_open_container (rt, id, &c, err) < 0)
    return -1;
  int ret = 0;
  if (c.st.cgroup != NULL)
    {
      bool v2 = kago_cgroup_get_mode (c.st.cgroup) == KAGO_CGROUP_V2;
      const char *dir = kago_cgroup_path (c.st.cgroup, v2 ? NULL : "memory");
      if (dir && read_oom_kill (dir, v2 ? "memory.events" : "memory.oom_control", n) < 0)
        ret = kago_error_set (err, errno, "read the OOM kill count of %s", id);
    }
  kago_opened_close (&c);
  return ret;
}

/* --------------------------------------------------------------- loop */

static json_value *
event_new (const char *type, const char *id, json_value *data)
{
  json_value *e = json_object_new ();
  json_object_set (e, "type", json_string_new (type));
  json_object_set (e, "id", json_string_new (id));
  if (data)
    json_object_set (e, "data", data);
  return e;
}

static int
emit (const char *type, const char *id, json_value *data, kago_event_fn fn, void *arg, kago_error_t *err)
{
  json_value *e = event_new (type, id, data);
  int r = fn (e, arg, err);
  json_free (e);
  return r;
}

static int
emit_stats (struct kago_cgroup *cg, const char *id, bool must, kago_event_fn fn, void *arg, kago_error_t *err)
{
  struct kago_cgroup_stats st;
  kago_error_t e = NULL;
  if (kago_cgroup_stats (cg, &st, &e) < 0)
    {
      if (must)
        {
          *err = e;
          return -1;
        }
      /* runc goes on after a failed read; so does kago, saying why.  */
      cleanup_free char *msg = kago_error_string (e);
      kago_log_error ("%s", msg);
      kago_error_release (&e);
      return 0;
    }
  json_value *data = kago_stats_to_runc_json (&st);
  kago_cgroup_stats_clear (&st);
  return emit ("stats", id, data, fn, arg, err);
}

/* Report pending OOMs; *GONE when the memory cgroup was removed.  */
static int
drain_oom (struct kago_cgroup_oom_watch *w, const char *id, bool *gone, kago_event_fn fn, void *arg,
           kago_error_t *err)
{
  unsigned ooms = 0;
  *gone = false;
  if (!w)
    return 0;
  if (kago_cgroup_oom_watch_read (w, &ooms, gone, err) < 0)
    return -1;
  for (unsigned i = 0; i < ooms; i++)
    if (emit ("oom", id, NULL, fn, arg, err) < 0)
      return -1;
  return 0;
}

static int
epoll_add (int ep, int fd, kago_error_t *err)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
  if (epoll_ctl (ep, EPOLL_CTL_ADD, fd, &ev) < 0)
    return kago_error_set (err, errno, "epoll_ctl");
  return 0;
}

/* A CLOCK_MONOTONIC timerfd firing every NS.  */
static int
timer_new (uint64_t ns, kago_error_t *err)
{
  int fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (fd < 0)
    return kago_error_set (err, errno, "timerfd_create");
  struct itimerspec its = {
    .it_interval = { (time_t) (ns / 1000000000ULL), (long) (ns % 1000000000ULL) },
  };
  its.it_value = its.it_interval;
  if (timerfd_settime (fd, 0, &its, NULL) < 0)
    {
      int e = errno;
      close (fd);
      return kago_error_set (err, e, "timerfd_settime");
    }
  return fd;
}

static int
timer_ack (int fd, kago_error_t *err)
{
  uint64_t expirations;
  if (read (fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
    return kago_error_set (err, errno, "read timerfd");
  return 0;
}

static bool
init_alive (const struct loaded *l)
{
  bool zombie;
  return kago_pid_starttime (l->pid, &zombie) == l->pid_start && !zombie;
}

/* Without pidfds (kernels before 5.3, or under valgrind) the init is
   looked at this often instead.  */
#define ALIVE_POLL_NS (100ULL * 1000 * 1000)

static int
event_loop (struct loaded *l, const char *id, uint64_t interval_ns, kago_event_fn fn, void *arg,
            kago_error_t *err)
{
  /* The pidfd first, then the start time: a pid reused in between is caught.  */
  cleanup_close int pidfd = kago_pidfd_open (l->pid, 0);
  if (pidfd < 0 && errno != ESRCH && errno != ENOSYS)
    return kago_error_set (err, errno, "pidfd_open %d", (int) l->pid);
  bool no_pidfd = pidfd < 0 && errno == ENOSYS;
  if ((pidfd < 0 && !no_pidfd) || !init_alive (l))
    return kago_error_set (err, 0, "container with id %s is not running (it is stopped)", id);

  struct kago_cgroup_oom_watch *w = NULL;
  if (kago_cgroup_oom_watch_open (l->cg, &w, err) < 0)
    return -1;
  int ret = -1;
  cleanup_close int tfd = -1, alive_tfd = -1;
  cleanup_close int ep = epoll_create1 (EPOLL_CLOEXEC);
  if (ep < 0)
    {
      kago_error_set (err, errno, "epoll_create1");
      goto out;
    }
  if ((tfd = timer_new (interval_ns, err)) < 0
      || (no_pidfd && (alive_tfd = timer_new (ALIVE_POLL_NS, err)) < 0))
    goto out;
  if (epoll_add (ep, tfd, err) < 0 || epoll_add (ep, no_pidfd ? alive_tfd : pidfd, err) < 0
      || (w && epoll_add (ep, kago_cgroup_oom_watch_fd (w), err) < 0))
    goto out;

  for (;;)
    {
      struct epoll_event evs[4];
      int n = epoll_wait (ep, evs, 4, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          kago_error_set (err, errno, "epoll_wait");
          goto out;
        }
      bool tick = false, exited = false, oom = false, gone = false;
      for (int i = 0; i < n; i++)
        {
          int fd = evs[i].data.fd;
          if (fd == tfd)
            tick = true;
          else if (fd == pidfd)
            exited = true;
          else if (fd == alive_tfd)
            {
              if (timer_ack (alive_tfd, err) < 0)
                goto out;
              exited = !init_alive (l);
            }
          else
            oom = true;
        }
      /* OOMs before anything else: the OOM that killed the init is
         reported before the loop ends.  */
      if ((oom || exited) && drain_oom (w, id, &gone, fn, arg, err) < 0)
        goto out;
      if (exited || gone)
        break;
      if (tick && (timer_ack (tfd, err) < 0 || emit_stats (l->cg, id, false, fn, arg, err) < 0))
        goto out;
    }
  ret = 0;
out:
  kago_cgroup_oom_watch_close (w);
  return ret;
}

int
kago_container_events (struct kago_runtime *rt, const char *id, const struct kago_events_options *o,
                       kago_event_fn fn, void *arg, kago_error_t *err)
{
  if (!o->stats_only && o->interval_ns <= 0)
    return kago_error_set (err, EINVAL, "the interval must be greater than 0");
  struct loaded l;
  if (load (rt, id, &l, err) < 0)
    return -1;
  int r = o->stats_only ? emit_stats (l.cg, id, true, fn, arg, err)
                        : event_loop (&l, id, (uint64_t) o->interval_ns, fn, arg, err);
  kago_cgroup_free (l.cg);
  return r;
}
