/* Container statistics: one layout-independent model, filled from cgroup v1
 * files, cgroup v2 files, or a hybrid mix (v1 controllers first, the unified
 * hierarchy for what has no v1 hierarchy, e.g. hugetlb here).  It is what
 * `kago-runtime events` prints (runc's JSON) and what an engine's `stats`
 * command reads.
 *
 * Units and meanings are those of cgroup v1 (and of runc), whatever the
 * layout:
 *   - cpu times in nanoseconds (v2 *_usec are converted, v1 cpuacct.stat
 *     ticks are converted with USER_HZ);
 *   - memory in bytes; `swap` is memory+swap as v1's memory.memsw.* (on v2,
 *     memory.swap.current + memory.current, as runc reports it);
 *   - a limit with no value ("max" on v2) is UINT64_MAX; a v1 "unlimited" is
 *     the kernel's number as read (9223372036854771712 on x86_64);
 *   - pids.limit 0 means unlimited ("max"), as runc reports it.
 *
 * A controller the host (or this cgroup) does not have is left empty, with
 * `present` false.  A file that exists but cannot be read or parsed is an
 * error.
 */
#ifndef KAGO_CGROUP_STATS_H
#define KAGO_CGROUP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup/cgroup.h"

struct kago_stats_memory_entry
{
  bool present;
  uint64_t usage;
  uint64_t max_usage; /* peak; 0 when the kernel does not keep it */
  uint64_t limit;
  uint64_t failcnt; /* times the limit was hit */
};

struct kago_stats_kv
{
  char *key;
  uint64_t value;
};

struct kago_stats_blkio_entry
{
  uint64_t major, minor;
  char *op; /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
  uint64_t value;
};

struct kago_stats_blkio_list
{
  struct kago_stats_blkio_entry *e;
  size_t n;
};

struct kago_stats_hugetlb
{
  char *page_size; /* "2MB", "1GB" */
  uint64_t usage;
  uint64_t max_usage; /* v1 only */
  uint64_t limit;
  uint64_t failcnt;
};

struct kago_cgroup_stats
{
  struct
  {
    bool present;
    uint64_t total, kernel, user; /* ns */
    uint64_t *percpu;             /* ns per cpu (v1 cpuacct) */
    size_t n_percpu;
    uint64_t *percpu_kernel, *percpu_user; /* v1 cpuacct.usage_all */
    size_t n_percpu_modes;                 /* length of both */
    uint64_t periods, throttled_periods;   /* CFS bandwidth */
    uint64_t throttled_time;               /* ns */
  } cpu;
  struct
  {
    bool present;
    struct kago_stats_memory_entry usage, swap, kernel, kernel_tcp;
    uint64_t cache;            /* v1 "cache", v2 "file" of memory.stat */
    struct kago_stats_kv *raw; /* memory.stat, in file order */
    size_t n_raw;
    uint64_t oom_kill; /* processes killed by the OOM killer in this cgroup */
  } memory;
  struct
  {
    bool present;
    uint64_t current, limit; /* limit 0 = unlimited */
  } pids;
  struct
  {
    bool present;
    struct kago_stats_blkio_list service_bytes; /* io_service_bytes_recursive */
    struct kago_stats_blkio_list serviced;      /* io_serviced_recursive */
  } blkio;
  struct
  {
    struct kago_stats_hugetlb *e; /* sorted by page size name */
    size_t n;
  } hugetlb;
};

/* Fill *ST (which the function clears first) from the container's cgroups.
   On failure *ST is cleared again.  */
int kago_cgroup_stats (struct kago_cgroup *cg, struct kago_cgroup_stats *st, kago_error_t *err);
void kago_cgroup_stats_clear (struct kago_cgroup_stats *st);
/* The value of KEY in memory.raw, or DEF.  */
uint64_t kago_cgroup_stats_raw (const struct kago_cgroup_stats *st, const char *key, uint64_t def);

/* OOM notifications for a container's memory cgroup:
 *   - v1 (and hybrid): an eventfd registered in cgroup.event_control
 *     against memory.oom_control; the kernel signals it at every OOM of the
 *     cgroup, and once more when the cgroup is removed;
 *   - v2: inotify on memory.events; an OOM is an increase of its oom_kill
 *     counter.
 * kago_cgroup_oom_watch_fd is the fd to poll (readable = something to
 * read).  */
struct kago_cgroup_oom_watch;
/* *OUT is NULL (and 0 returned) when the cgroup has no memory controller.  */
int kago_cgroup_oom_watch_open (struct kago_cgroup *cg, struct kago_cgroup_oom_watch **out,
                                kago_error_t *err);
int kago_cgroup_oom_watch_fd (const struct kago_cgroup_oom_watch *w);
/* Consume what is pending: *OOMS is the number of OOM events seen (0 when
   nothing was pending), *GONE true when the memory cgroup was removed.
   Never blocks.  */
int kago_cgroup_oom_watch_read (struct kago_cgroup_oom_watch *w, unsigned *ooms, bool *gone,
                                kago_error_t *err);
void kago_cgroup_oom_watch_close (struct kago_cgroup_oom_watch *w);

#endif
