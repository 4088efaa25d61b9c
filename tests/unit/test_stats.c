/* The stats model (cgroup/stats.c) on fake cgroup trees: a hybrid layout
   (v1 controllers, hugetlb only on cgroup2) and a pure v2 one; absent
   controllers, unreadable and malformed files; runc's JSON; the OOM
   watches (cgroup/oom.c) on plain files; Go durations for --interval.  */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "cgroup/stats.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/runtime.h"
#include "tap.h"

static char root[64];

static void
put (const char *dir, const char *file, const char *text)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  FILE *f = fopen (p, "w");
  if (!f)
    {
      printf ("# cannot write %s\n", p);
      return;
    }
  fputs (text, f);
  fclose (f);
}

static char *
mkdirs (const char *rel)
{
  char *p = xasprintf ("%s/%s", root, rel);
  cleanup_free char *cmd = xasprintf ("mkdir -p '%s'", p);
  if (system (cmd) != 0)
    printf ("# mkdir -p %s failed\n", p);
  return p;
}

/* A kago_cgroup whose hierarchies are mounted under ROOT/<name>.  */
static struct kago_cgroup *
fake_cgroup (const char *mode, const char *const *ctrls, size_t n, bool with_unified, const char *path)
{
  json_value *o = json_object_new ();
  json_object_set (o, "mode", json_string_new (mode));
  json_value *a = json_array_new ();
  for (size_t i = 0; i <= n; i++)
    {
      if (i == n && !with_unified)
        break;
      json_value *h = json_object_new ();
      const char *c = i < n ? ctrls[i] : "";
      cleanup_free char *mount = xasprintf ("%s/%s", root, i < n ? ctrls[i] : "unified");
      json_object_set (h, "controllers", json_string_new (c));
      json_object_set (h, "mount", json_string_new (mount));
      json_object_set (h, "path", json_string_new (path));
      if (i == n)
        json_object_set (h, "unified", json_bool_new (true));
      json_array_append (a, h);
    }
  json_object_set (o, "hierarchies", a);
  struct kago_cgroup *cg = NULL;
  kago_error_t err = NULL;
  if (kago_cgroup_from_json (o, &cg, &err) < 0)
    {
      printf ("# from_json: %s\n", err->msg);
      kago_error_release (&err);
    }
  json_free (o);
  return cg;
}

static const char *const hybrid_ctrls[] = { "cpu", "cpuacct", "memory", "pids", "blkio" };

static struct kago_cgroup *
hybrid_tree (void)
{
  cleanup_free char *acct = mkdirs ("cpuacct/kago/x");
  put (acct, "cpuacct.usage", "1500000000\n");
  put (acct, "cpuacct.usage_percpu", "1000000000 500000000 \n");
  put (acct, "cpuacct.stat", "user 120\nsystem 30\n");
  put (acct, "cpuacct.usage_all", "cpu user system\n0 900 100\n1 400 100\n");
  cleanup_free char *cpu = mkdirs ("cpu/kago/x");
  put (cpu, "cpu.stat",
       "nr_periods 40\nnr_throttled 7\nthrottled_time 123456789\nnr_bursts 0\nburst_time 0\n");

  cleanup_free char *mem = mkdirs ("memory/kago/x");
  put (mem, "memory.usage_in_bytes", "4096000\n");
  put (mem, "memory.max_usage_in_bytes", "8192000\n");
  put (mem, "memory.limit_in_bytes", "67108864\n");
  put (mem, "memory.failcnt", "3\n");
  put (mem, "memory.memsw.usage_in_bytes", "5000000\n");
  put (mem, "memory.memsw.max_usage_in_bytes", "9000000\n");
  put (mem, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
  put (mem, "memory.memsw.failcnt", "0\n");
  put (mem, "memory.kmem.usage_in_bytes", "98304\n");
  put (mem, "memory.kmem.max_usage_in_bytes", "147456\n");
  put (mem, "memory.kmem.limit_in_bytes", "9223372036854771712\n");
  put (mem, "memory.kmem.failcnt", "0\n");
  /* no memory.kmem.tcp.*: that entry stays absent */
  put (mem, "memory.stat", "cache 12288\nrss 53248\ntotal_cache 12288\nactive_anon 4096\n");
  put (mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");

  cleanup_free char *pids = mkdirs ("pids/kago/x");
  put (pids, "pids.current", "3\n");
  put (pids, "pids.max", "max\n");

  /* BFQ files present but empty (no I/O through BFQ): runc's order falls
     through to the throttle files.  */
  cleanup_free char *blk = mkdirs ("blkio/kago/x");
  put (blk, "blkio.bfq.io_serviced_recursive", "Total 0\n");
  put (blk, "blkio.bfq.io_service_bytes_recursive", "Total 0\n");
  put (blk, "blkio.throttle.io_serviced_recursive", "8:0 Read 10\n8:0 Write 4\n8:0 Total 14\nTotal 14\n");
  put (blk, "blkio.throttle.io_service_bytes_recursive",
       "8:0 Read 40960\n8:0 Write 16384\n8:0 Total 57344\nTotal 57344\n");

  /* hybrid: hugetlb only on cgroup2 */
  cleanup_free char *uni = mkdirs ("unified/kago/x");
  put (uni, "hugetlb.2MB.current", "4194304\n");
  put (uni, "hugetlb.2MB.max", "max\n");
  put (uni, "hugetlb.2MB.events", "max 1\n");
  put (uni, "hugetlb.2MB.rsvd.current", "0\n");
  put (uni, "hugetlb.2MB.rsvd.max", "max\n");
  put (uni, "cpu.stat", "usage_usec 1\nuser_usec 1\nsystem_usec 0\n"); /* not the source on hybrid */
  return fake_cgroup ("hybrid", hybrid_ctrls, 5, true, "/kago/x");
}

TEST (hybrid_v1_files)
{
  struct kago_cgroup *cg = hybrid_tree ();
  CHECK (cg != NULL);
  if (!cg)
    return;
  struct kago_cgroup_stats st;
  kago_error_t err = NULL;
  CHECK (kago_cgroup_stats (cg, &st, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  long hz = sysconf (_SC_CLK_TCK);
  CHECK (st.cpu.present);
  CHECK (st.cpu.total == 1500000000ULL);
  CHECK (st.cpu.n_percpu == 2 && st.cpu.percpu[0] == 1000000000ULL && st.cpu.percpu[1] == 500000000ULL);
  CHECK (st.cpu.user == 120ULL * 1000000000ULL / (uint64_t) hz);
  CHECK (st.cpu.kernel == 30ULL * 1000000000ULL / (uint64_t) hz);
  CHECK (st.cpu.n_percpu_modes == 2 && st.cpu.percpu_user[0] == 900 && st.cpu.percpu_kernel[0] == 100
         && st.cpu.percpu_user[1] == 400);
  CHECK (st.cpu.periods == 40 && st.cpu.throttled_periods == 7 && st.cpu.throttled_time == 123456789);

  CHECK (st.memory.present);
  CHECK (st.memory.usage.present && st.memory.usage.usage == 4096000 && st.memory.usage.max_usage == 8192000
         && st.memory.usage.limit == 67108864 && st.memory.usage.failcnt == 3);
  CHECK (st.memory.swap.present && st.memory.swap.usage == 5000000
         && st.memory.swap.limit == 9223372036854771712ULL);
  CHECK (st.memory.kernel.present && st.memory.kernel.usage == 98304 && st.memory.kernel.max_usage == 147456);
  CHECK (!st.memory.kernel_tcp.present && st.memory.kernel_tcp.usage == 0);
  CHECK (st.memory.cache == 12288);
  CHECK (st.memory.n_raw == 4 && kago_cgroup_stats_raw (&st, "rss", 0) == 53248);
  CHECK (kago_cgroup_stats_raw (&st, "nope", 77) == 77);
  CHECK (st.memory.oom_kill == 2);

  CHECK (st.pids.present && st.pids.current == 3 && st.pids.limit == 0);

  CHECK (st.blkio.present);
  CHECK (st.blkio.serviced.n == 3 && st.blkio.service_bytes.n == 3);
  if (st.blkio.service_bytes.n == 3)
    {
      CHECK (st.blkio.service_bytes.e[0].major == 8 && st.blkio.service_bytes.e[0].minor == 0);
      CHECK_STR (st.blkio.service_bytes.e[0].op, "Read");
      CHECK (st.blkio.service_bytes.e[0].value == 40960);
      CHECK_STR (st.blkio.service_bytes.e[2].op, "Total");
      CHECK (st.blkio.serviced.e[1].value == 4);
    }

  CHECK (st.hugetlb.n == 1);
  if (st.hugetlb.n == 1)
    {
      CHECK_STR (st.hugetlb.e[0].page_size, "2MB");
      CHECK (st.hugetlb.e[0].usage == 4194304 && st.hugetlb.e[0].limit == UINT64_MAX
             && st.hugetlb.e[0].failcnt == 1 && st.hugetlb.e[0].max_usage == 0);
    }

  /* runc's JSON: field names, omitempty, raw sorted by key.  */
  json_value *j = kago_stats_to_runc_json (&st);
  cleanup_free char *s = json_to_string (j, false);
  CHECK_CONTAINS (s, "\"usage\":{\"total\":1500000000,\"percpu\":[1000000000,500000000],"
                     "\"percpu_kernel\":[100,100],\"percpu_user\":[900,400],");
  CHECK_CONTAINS (s, "\"throttling\":{\"periods\":40,\"throttledPeriods\":7,\"throttledTime\":123456789}");
  CHECK_CONTAINS (s, "\"memory\":{\"cache\":12288,\"usage\":{\"limit\":67108864,\"usage\":4096000,"
                     "\"max\":8192000,\"failcnt\":3}");
  CHECK_CONTAINS (s, "\"kernelTCP\":{\"limit\":0,\"failcnt\":0}");
  CHECK_CONTAINS (s, "\"raw\":{\"active_anon\":4096,\"cache\":12288,\"rss\":53248,\"total_cache\":12288}");
  CHECK_CONTAINS (s, "\"pids\":{\"current\":3}");
  CHECK_CONTAINS (s, "\"ioServiceBytesRecursive\":[{\"major\":8,\"op\":\"Read\",\"value\":40960},");
  CHECK_CONTAINS (s, "\"hugetlb\":{\"2MB\":{\"usage\":4194304,\"failcnt\":1}}");
  json_free (j);
  kago_cgroup_stats_clear (&st);
  CHECK (st.memory.raw == NULL && st.cpu.percpu == NULL);
  kago_error_release (&err);
  kago_cgroup_free (cg);
}

TEST (absent_controllers_are_empty)
{
  /* Only a memory hierarchy, and the container's directory missing in it:
     every section is empty, nothing is an error.  */
  static const char *const only_mem[] = { "memory" };
  cleanup_free char *m = mkdirs ("memory");
  struct kago_cgroup *cg = fake_cgroup ("v1", only_mem, 1, false, "/kago/missing");
  struct kago_cgroup_stats st;
  kago_error_t err = NULL;
  CHECK (kago_cgroup_stats (cg, &st, &err) == 0);
  CHECK (!st.cpu.present && !st.memory.present && !st.pids.present && !st.blkio.present && st.hugetlb.n == 0);
  json_value *j = kago_stats_to_runc_json (&st);
  cleanup_free char *s = json_to_string (j, false);
  CHECK_CONTAINS (s, "\"pids\":{},\"blkio\":{},\"hugetlb\":{}");
  CHECK_CONTAINS (s, "\"usage\":{\"kernel\":0,\"user\":0},\"throttling\":{}");
  json_free (j);
  kago_cgroup_stats_clear (&st);
  kago_error_release (&err);
  kago_cgroup_free (cg);
}

TEST (read_errors_are_errors)
{
  struct kago_cgroup *cg = hybrid_tree ();
  struct kago_cgroup_stats st;
  kago_error_t err = NULL;
  cleanup_free char *mem = xasprintf ("%s/memory/kago/x", root);

  put (mem, "memory.stat", "cache 12288\nrss\n");
  CHECK (kago_cgroup_stats (cg, &st, &err) < 0);
  CHECK (err && strstr (err->msg, "memory.stat`: cannot parse \"rss\""));
  CHECK (err && strstr (err->msg, "container statistics") == err->msg);
  CHECK (st.memory.raw == NULL && st.cpu.percpu == NULL); /* cleared on failure */
  kago_error_release (&err);
  put (mem, "memory.stat", "cache 1\n");

  /* A file that exists but cannot be read (here: a directory).  */
  cleanup_free char *p = xasprintf ("%s/memory.kmem.tcp.usage_in_bytes", mem);
  CHECK (mkdir (p, 0755) == 0);
  CHECK (kago_cgroup_stats (cg, &st, &err) < 0);
  CHECK (err && err->errnum == EISDIR && strstr (err->msg, "memory.kmem.tcp.usage_in_bytes"));
  kago_error_release (&err);
  rmdir (p);

  cleanup_free char *pids = xasprintf ("%s/pids/kago/x", root);
  put (pids, "pids.max", "lots\n");
  CHECK (kago_cgroup_stats (cg, &st, &err) < 0);
  CHECK (err && strstr (err->msg, "pids.max`: cannot parse \"lots\""));
  kago_error_release (&err);
  put (pids, "pids.max", "max\n");

  cleanup_free char *blk = xasprintf ("%s/blkio/kago/x", root);
  put (blk, "blkio.throttle.io_service_bytes_recursive", "8:0 Read\n");
  CHECK (kago_cgroup_stats (cg, &st, &err) < 0);
  CHECK (err && strstr (err->msg, "cannot parse \"8:0 Read\""));
  kago_error_release (&err);

  kago_cgroup_free (cg);
}

static struct kago_cgroup *
v2_tree (char **dirp)
{
  char *d = mkdirs ("v2/kago/x");
  put (d, "cgroup.controllers", "cpu io memory pids hugetlb\n");
  put (d, "cpu.stat",
       "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec "
       "300\n");
  put (d, "memory.current", "1048576\n");
  put (d, "memory.max", "33554432\n");
  put (d, "memory.peak", "2097152\n");
  put (d, "memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n");
  put (d, "memory.swap.current", "4096\n");
  put (d, "memory.swap.max", "max\n");
  put (d, "memory.stat", "anon 1000\nfile 20480\nkernel 8192\n");
  put (d, "pids.current", "2\n");
  put (d, "pids.max", "64\n");
  put (d, "io.stat",
       "8:16 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n253:0 rbytes=7 wbytes=0 rios=1 "
       "wios=0 dbytes=0 dios=0\n");
  put (d, "hugetlb.2MB.current", "0\n");
  put (d, "hugetlb.2MB.max", "4194304\n");
  put (d, "hugetlb.2MB.events", "max 0\n");
  put (d, "hugetlb.1GB.current", "1073741824\n");
  put (d, "hugetlb.1GB.max", "max\n");
  put (d, "hugetlb.1GB.events", "max 3\n");
  json_value *o = json_object_new ();
  json_object_set (o, "mode", json_string_new ("v2"));
  json_value *a = json_array_new (), *h = json_object_new ();
  cleanup_free char *mount = xasprintf ("%s/v2", root);
  json_object_set (h, "controllers", json_string_new (""));
  json_object_set (h, "mount", json_string_new (mount));
  json_object_set (h, "path", json_string_new ("/kago/x"));
  json_object_set (h, "unified", json_bool_new (true));
  json_array_append (a, h);
  json_object_set (o, "hierarchies", a);
  struct kago_cgroup *cg = NULL;
  kago_error_t err = NULL;
  if (kago_cgroup_from_json (o, &cg, &err) < 0)
    kago_error_release (&err);
  json_free (o);
  *dirp = d;
  return cg;
}

TEST (v2_files)
{
  cleanup_free char *d = NULL;
  struct kago_cgroup *cg = v2_tree (&d);
  CHECK (cg != NULL);
  if (!cg)
    return;
  struct kago_cgroup_stats st;
  kago_error_t err = NULL;
  CHECK (kago_cgroup_stats (cg, &st, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  CHECK (st.cpu.present && st.cpu.total == 2500000 && st.cpu.user == 2000000 && st.cpu.kernel == 500000);
  CHECK (st.cpu.n_percpu == 0 && st.cpu.n_percpu_modes == 0);
  CHECK (st.cpu.periods == 10 && st.cpu.throttled_periods == 2 && st.cpu.throttled_time == 300000);
  CHECK (st.memory.usage.usage == 1048576 && st.memory.usage.limit == 33554432
         && st.memory.usage.max_usage == 2097152 && st.memory.usage.failcnt == 5);
  /* swap as memory+swap; "max" stays unlimited */
  CHECK (st.memory.swap.present && st.memory.swap.usage == 1048576 + 4096
         && st.memory.swap.limit == UINT64_MAX);
  CHECK (st.memory.cache == 20480 && st.memory.kernel.usage == 8192 && st.memory.oom_kill == 1);
  CHECK (st.pids.current == 2 && st.pids.limit == 64);
  CHECK (st.blkio.service_bytes.n == 4 && st.blkio.serviced.n == 4);
  if (st.blkio.service_bytes.n == 4)
    {
      CHECK (st.blkio.service_bytes.e[0].major == 8 && st.blkio.service_bytes.e[0].minor == 16);
      CHECK_STR (st.blkio.service_bytes.e[0].op, "Read");
      CHECK (st.blkio.service_bytes.e[0].value == 1024);
      CHECK_STR (st.blkio.service_bytes.e[1].op, "Write");
      CHECK (st.blkio.service_bytes.e[1].value == 2048);
      CHECK (st.blkio.service_bytes.e[2].major == 253 && st.blkio.service_bytes.e[2].value == 7);
      CHECK (st.blkio.serviced.e[1].value == 2);
    }
  CHECK (st.hugetlb.n == 2);
  if (st.hugetlb.n == 2)
    {
      CHECK_STR (st.hugetlb.e[0].page_size, "1GB"); /* sorted */
      CHECK (st.hugetlb.e[0].usage == 1073741824 && st.hugetlb.e[0].failcnt == 3);
      CHECK_STR (st.hugetlb.e[1].page_size, "2MB");
      CHECK (st.hugetlb.e[1].limit == 4194304);
    }
  json_value *j = kago_stats_to_runc_json (&st);
  cleanup_free char *s = json_to_string (j, false);
  CHECK_CONTAINS (s, "\"swap\":{\"limit\":18446744073709551615,\"usage\":1052672,\"failcnt\":0}");
  CHECK_CONTAINS (s, "\"pids\":{\"current\":2,\"limit\":64}");
  CHECK_CONTAINS (s, "\"ioServicedRecursive\":[{\"major\":8,\"minor\":16,\"op\":\"Read\",\"value\":1}");
  json_free (j);
  kago_cgroup_stats_clear (&st);

  /* Without swap accounting the swap entry is empty.  */
  cleanup_free char *sw = xasprintf ("%s/memory.swap.current", d);
  unlink (sw);
  CHECK (kago_cgroup_stats (cg, &st, &err) == 0);
  CHECK (!st.memory.swap.present && st.memory.swap.usage == 0);
  kago_cgroup_stats_clear (&st);

  put (d, "io.stat", "8:16 rbytes=x\n");
  CHECK (kago_cgroup_stats (cg, &st, &err) < 0);
  CHECK (err && strstr (err->msg, "io.stat`: cannot parse \"8:16 rbytes=x\""));
  kago_error_release (&err);
  kago_cgroup_free (cg);
}

TEST (oom_watch_v2)
{
  cleanup_free char *d = NULL;
  struct kago_cgroup *cg = v2_tree (&d);
  struct kago_cgroup_oom_watch *w = NULL;
  kago_error_t err = NULL;
  CHECK (kago_cgroup_oom_watch_open (cg, &w, &err) == 0 && w != NULL);
  if (!w)
    {
      kago_cgroup_free (cg);
      return;
    }
  unsigned ooms = 99;
  bool gone = true;
  /* The count from before the watch is not reported.  */
  CHECK (kago_cgroup_oom_watch_read (w, &ooms, &gone, &err) == 0 && ooms == 0 && !gone);
  put (d, "memory.events", "low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\noom_group_kill 0\n");
  struct pollfd p = { .fd = kago_cgroup_oom_watch_fd (w), .events = POLLIN };
  CHECK (poll (&p, 1, 1000) == 1 && (p.revents & POLLIN)); /* the write woke the watch */
  CHECK (kago_cgroup_oom_watch_read (w, &ooms, &gone, &err) == 0 && ooms == 2 && !gone);
  CHECK (kago_cgroup_oom_watch_read (w, &ooms, &gone, &err) == 0 && ooms == 0 && !gone);
  cleanup_free char *ev = xasprintf ("%s/memory.events", d);
  unlink (ev);
  CHECK (kago_cgroup_oom_watch_read (w, &ooms, &gone, &err) == 0 && ooms == 0 && gone);
  kago_cgroup_oom_watch_close (w);
  kago_error_release (&err);
  kago_cgroup_free (cg);
}

TEST (oom_watch_v1)
{
  struct kago_cgroup *cg = hybrid_tree ();
  cleanup_free char *mem = xasprintf ("%s/memory/kago/x", root);
  put (mem, "cgroup.event_control", "");
  struct kago_cgroup_oom_watch *w = NULL;
  kago_error_t err = NULL;
  CHECK (kago_cgroup_oom_watch_open (cg, &w, &err) == 0 && w != NULL);
  if (!w)
    {
      kago_cgroup_free (cg);
      return;
    }
  /* The registration line is "<eventfd> <fd of memory.oom_control>".  */
  cleanup_free char *line = NULL;
  CHECK (cg_read (mem, "cgroup.event_control", &line, &err) == 0);
  int efd = -1, ofd = -1;
  CHECK (line && sscanf (line, "%d %d", &efd, &ofd) == 2 && efd == kago_cgroup_oom_watch_fd (w) && ofd > 2);
  unsigned ooms = 9;
  bool gone = true;
  CHECK (kago_cgroup_oom_watch_read (w, &ooms, &gone, &err) == 0 && ooms == 0 && !gone);
  /* What the kernel does at an OOM.  */
  CHECK (eventfd_write (kago_cgroup_oom_watch_fd (w), 1) == 0);
  CHECK (kago_cgroup_oom_watch_read (w, &ooms, &gone, &err) == 0 && ooms == 1 && !gone);
  /* ... and when the cgroup is removed.  */
  cleanup_free char *ctl = xasprintf ("%s/cgroup.event_control", mem);
  unlink (ctl);
  CHECK (eventfd_write (kago_cgroup_oom_watch_fd (w), 1) == 0);
  CHECK (kago_cgroup_oom_watch_read (w, &ooms, &gone, &err) == 0 && ooms == 0 && gone);
  kago_cgroup_oom_watch_close (w);

  /* No memory controller: no watch, no error.  */
  static const char *const none[] = { "pids" };
  struct kago_cgroup *cg2 = fake_cgroup ("v1", none, 1, false, "/kago/x");
  CHECK (kago_cgroup_oom_watch_open (cg2, &w, &err) == 0 && w == NULL);
  kago_cgroup_free (cg2);
  kago_error_release (&err);
  kago_cgroup_free (cg);
}

TEST (go_durations)
{
  struct
  {
    const char *in;
    int64_t ns;
  } ok[] = {
    { "5s", 5000000000LL },
    { "500ms", 500000000LL },
    { "1m", 60000000000LL },
    { "1h30m", 5400000000000LL },
    { "1.5s", 1500000000LL },
    { ".5s", 500000000LL },
    { "0", 0 },
    { "10us", 10000 },
    { "10\xc2\xb5s", 10000 },
    { "7ns", 7 },
    { "-1s", -1000000000LL },
    { "1m0.25s", 60250000000LL },
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    {
      int64_t ns = -42;
      kago_error_t err = NULL;
      CHECK (kago_parse_duration (ok[i].in, &ns, &err) == 0);
      if (ns != ok[i].ns)
        printf ("# %s -> %lld\n", ok[i].in, (long long) ns);
      CHECK (ns == ok[i].ns);
      kago_error_release (&err);
    }
  const char *bad[] = { "", "bogus", "5", "5x", "s", "1.5", "5s3", "--1s", "1e3s", "3 s" };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      int64_t ns = 0;
      kago_error_t err = NULL;
      CHECK (kago_parse_duration (bad[i], &ns, &err) < 0);
      if (err)
        CHECK (strstr (err->msg, "invalid duration") != NULL);
      else
        printf ("# accepted \"%s\"\n", bad[i]);
      kago_error_release (&err);
    }
  int64_t ns;
  kago_error_t err = NULL;
  CHECK (kago_parse_duration ("100000000h", &ns, &err) < 0 && err && err->errnum == ERANGE);
  kago_error_release (&err);
}

int
main (void)
{
  snprintf (root, sizeof root, "/tmp/kago-stats-XXXXXX");
  if (!mkdtemp (root))
    {
      printf ("Bail out! mkdtemp: %s\n", strerror (errno));
      return 1;
    }
  RUN (hybrid_v1_files);
  RUN (absent_controllers_are_empty);
  RUN (read_errors_are_errors);
  RUN (v2_files);
  RUN (oom_watch_v2);
  RUN (oom_watch_v1);
  RUN (go_durations);
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", root);
  if (system (cmd) != 0)
    printf ("# could not remove %s\n", root);
  return tap_done ();
}
