/* engine/container/stats_view.c: docker stats' numbers (CPU % from deltas,
   memory without the inactive cache, the MemTotal clamp, block I/O sums)
   and text (go-units sizes; the expected strings were produced by Go's
   fmt with go-units' algorithm), the JSON row, and the /proc parsers.  */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/container/stats_view.h"
#include "tap.h"

static const char *
hs (double v, int prec)
{
  static char buf[8][32];
  static int k;
  char *b = buf[k++ % 8];
  kago_units_human_size (v, prec, b, 32);
  return b;
}

static const char *
bs (double v)
{
  static char buf[8][32];
  static int k;
  char *b = buf[k++ % 8];
  kago_units_bytes_size (v, b, 32);
  return b;
}

TEST (human_size_small_and_exact)
{
  CHECK_STR (hs (0, 4), "0B");
  CHECK_STR (hs (1, 4), "1B");
  CHECK_STR (hs (648, 4), "648B");
  CHECK_STR (hs (999, 4), "999B");
  CHECK_STR (hs (1000, 4), "1kB");
  CHECK_STR (hs (1023, 4), "1.023kB");
  CHECK_STR (hs (1000000, 4), "1MB");
}

TEST (human_size_seed_values)
{
  /* seed 000: "57.34 kB / 1.041 GB" and --memory=256mb as "268.4 MB".  */
  CHECK_STR (hs (57344, 4), "57.34kB");
  CHECK_STR (hs (1040834560, 4), "1.041GB");
  CHECK_STR (hs (1041000000, 4), "1.041GB");
  CHECK_STR (hs (268435456, 4), "268.4MB");
  CHECK_STR (hs (61440, 4), "61.44kB");
}

TEST (human_size_rounding_at_the_unit_edge)
{
  /* go-units divides only while >= 1000, then rounds: 999.95 kB becomes
     "1000kB" at 4 digits and "1e+03kB" at 3 (Go's %g), never "1MB".  */
  CHECK_STR (hs (999900, 4), "999.9kB");
  CHECK_STR (hs (999949, 4), "999.9kB");
  CHECK_STR (hs (999950, 4), "1000kB");
  CHECK_STR (hs (999999, 4), "1000kB");
  CHECK_STR (hs (999900, 3), "1e+03kB");
  CHECK_STR (hs (57344, 3), "57.3kB");
  CHECK_STR (hs (1040834560, 3), "1.04GB");
  CHECK_STR (hs (1048575, 3), "1.05MB");
}

TEST (human_size_huge)
{
  CHECK_STR (hs (18446744073709551615.0, 4), "18.45EB");
  CHECK_STR (hs (1.5e24, 4), "1.5YB");
  CHECK_STR (hs (1e27, 4), "1000YB");
  CHECK_STR (hs (1e30, 4), "1e+06YB");
}

TEST (bytes_size_binary)
{
  CHECK_STR (bs (0), "0B");
  CHECK_STR (bs (1000), "1000B");
  CHECK_STR (bs (1023), "1023B");
  CHECK_STR (bs (1024), "1KiB");
  CHECK_STR (bs (57344), "56KiB");
  CHECK_STR (bs (1433600), "1.367MiB");
  CHECK_STR (bs (268435456), "256MiB");
  CHECK_STR (bs (1048575), "1024KiB");
  CHECK_STR (bs (999999), "976.6KiB");
  CHECK_STR (bs (18446744073709551615.0), "16EiB");
}

TEST (cpu_percent_rules)
{
  /* One cpu busy for the whole interval on a 2-cpu host: the host's
     counter advances 2 s per second, the container's 1 s: 100%.  */
  CHECK (fabs (kago_stats_cpu_percent (0, 0, 1000000000, 2000000000, 2) - 100.0) < 1e-9);
  /* Half a cpu on 4: 50%.  */
  CHECK (fabs (kago_stats_cpu_percent (5000000000, 100000000000, 5500000000, 104000000000, 4) - 50.0) < 1e-9);
  /* No progress, a counter going back, or no host delta: 0.  */
  CHECK (kago_stats_cpu_percent (100, 1000, 100, 2000, 2) == 0.0);
  CHECK (kago_stats_cpu_percent (200, 1000, 100, 2000, 2) == 0.0);
  CHECK (kago_stats_cpu_percent (100, 1000, 200, 1000, 2) == 0.0);
  CHECK (kago_stats_cpu_percent (100, 2000, 200, 1000, 2) == 0.0);
  /* Two cpus busy on 2: 200% (docker's scale is per cpu).  */
  CHECK (fabs (kago_stats_cpu_percent (0, 0, 2000000000, 2000000000, 2) - 200.0) < 1e-9);
}

static struct kago_stats_kv *
kvs (size_t n, const char *const *keys, const uint64_t *vals)
{
  struct kago_stats_kv *kv = xcalloc (n, sizeof *kv);
  for (size_t i = 0; i < n; i++)
    {
      kv[i].key = xstrdup (keys[i]);
      kv[i].value = vals[i];
    }
  return kv;
}

/* A cgroup v1 sample: cpuacct.usage, memory.usage_in_bytes, memory.stat with
   the total_* keys, blkio per device.  */
static void
v1_sample (struct kago_cgroup_stats *st, uint64_t cpu, uint64_t usage, uint64_t limit, uint64_t inactive)
{
  memset (st, 0, sizeof *st);
  st->cpu.present = true;
  st->cpu.total = cpu;
  st->cpu.percpu = xcalloc (2, sizeof *st->cpu.percpu);
  st->cpu.n_percpu = 2;
  st->memory.present = true;
  st->memory.usage.usage = usage;
  st->memory.usage.limit = limit;
  static const char *const keys[] = { "cache", "rss", "inactive_file", "total_cache", "total_inactive_file" };
  const uint64_t vals[] = { 4096, 8192, inactive / 2, 4096, inactive };
  st->memory.raw = kvs (5, keys, vals);
  st->memory.n_raw = 5;
  st->pids.present = true;
  st->pids.current = 3;
  st->blkio.present = true;
  struct kago_stats_blkio_entry *e = xcalloc (6, sizeof *e);
  const char *ops[] = { "Read", "Write", "Sync", "Async", "Total", "Read" };
  const uint64_t v[] = { 4096, 8192, 12288, 0, 12288, 1000 };
  for (int i = 0; i < 6; i++)
    {
      e[i].major = i < 5 ? 8 : 253;
      e[i].op = xstrdup (ops[i]);
      e[i].value = v[i];
    }
  st->blkio.service_bytes.e = e;
  st->blkio.service_bytes.n = 6;
}

/* A cgroup v2 sample: memory.current, memory.stat without total_* keys,
   io.stat as Read/Write entries.  */
static void
v2_sample (struct kago_cgroup_stats *st, uint64_t cpu, uint64_t usage, uint64_t limit, uint64_t inactive)
{
  memset (st, 0, sizeof *st);
  st->cpu.present = true;
  st->cpu.total = cpu;
  st->memory.present = true;
  st->memory.usage.usage = usage;
  st->memory.usage.limit = limit;
  static const char *const keys[] = { "anon", "file", "active_file", "inactive_file" };
  const uint64_t vals[] = { 8192, 4096, 0, inactive };
  st->memory.raw = kvs (4, keys, vals);
  st->memory.n_raw = 4;
  st->pids.present = true;
  st->pids.current = 1;
  st->blkio.present = true;
  struct kago_stats_blkio_entry *e = xcalloc (2, sizeof *e);
  e[0].op = xstrdup ("Read");
  e[0].value = 0;
  e[1].op = xstrdup ("Write");
  e[1].value = 1024;
  st->blkio.service_bytes.e = e;
  st->blkio.service_bytes.n = 2;
}

TEST (mem_usage_v1_subtracts_total_inactive_file)
{
  struct kago_cgroup_stats st;
  v1_sample (&st, 0, 1000000, UINT64_MAX, 300000);
  CHECK (kago_stats_mem_usage (&st) == 700000);
  kago_cgroup_stats_clear (&st);
  /* total_inactive_file not below usage: v1's rule does not apply; the v2
     rule then uses inactive_file (150000 here).  */
  v1_sample (&st, 0, 200000, UINT64_MAX, 300000);
  CHECK (kago_stats_mem_usage (&st) == 50000);
  kago_cgroup_stats_clear (&st);
  v1_sample (&st, 0, 100000, UINT64_MAX, 300000);
  CHECK (kago_stats_mem_usage (&st) == 100000);
  kago_cgroup_stats_clear (&st);
}

TEST (mem_usage_v2_subtracts_inactive_file)
{
  struct kago_cgroup_stats st;
  v2_sample (&st, 0, 1433600 + 4096, UINT64_MAX, 4096);
  CHECK (kago_stats_mem_usage (&st) == 1433600);
  kago_cgroup_stats_clear (&st);
  /* inactive_file >= usage: usage as is.  */
  v2_sample (&st, 0, 4096, UINT64_MAX, 4096);
  CHECK (kago_stats_mem_usage (&st) == 4096);
  kago_cgroup_stats_clear (&st);
  /* No memory.stat at all: usage.  */
  memset (&st, 0, sizeof st);
  st.memory.present = true;
  st.memory.usage.usage = 12345;
  CHECK (kago_stats_mem_usage (&st) == 12345);
}

TEST (mem_limit_clamped_to_memtotal)
{
  uint64_t total = 1040834560;
  CHECK (kago_stats_mem_limit (UINT64_MAX, total) == total);
  CHECK (kago_stats_mem_limit (UINT64_C (9223372036854771712), total) == total);
  CHECK (kago_stats_mem_limit (268435456, total) == 268435456);
  CHECK (kago_stats_mem_limit (total, total) == total);
  CHECK (kago_stats_mem_limit (UINT64_MAX, 0) == UINT64_MAX);
}

TEST (blkio_sums_reads_and_writes)
{
  struct kago_cgroup_stats st;
  v1_sample (&st, 0, 0, 0, 0);
  uint64_t r, w;
  kago_stats_blkio (&st, &r, &w);
  CHECK (r == 5096); /* both devices' Read */
  CHECK (w == 8192);
  kago_cgroup_stats_clear (&st);
  v2_sample (&st, 0, 0, 0, 0);
  kago_stats_blkio (&st, &r, &w);
  CHECK (r == 0 && w == 1024);
  kago_cgroup_stats_clear (&st);
}

static const struct kago_stats_host host1 = { 100000000000, 2, 1040834560 };
static const struct kago_stats_host host2 = { 102000000000, 2, 1040834560 };

TEST (view_v1_two_samples)
{
  struct kago_cgroup_stats a, b;
  /* 0.5 s of cpu over 1 s on 2 cpus: 50%.  */
  v1_sample (&a, 3000000000, 1000000, UINT64_C (9223372036854771712), 942656);
  v1_sample (&b, 3500000000, 1000000, UINT64_C (9223372036854771712), 942656);
  struct kago_stats_sample sa, sb;
  kago_stats_sample_make (&a, &host1, 648, 648, &sa);
  kago_stats_sample_make (&b, &host2, 648, 648, &sb);
  struct kago_stats_view v;
  kago_stats_view_compute (&sa, &sb, &v);
  CHECK (v.valid);
  CHECK (fabs (v.cpu_percent - 50.0) < 1e-9);
  CHECK (v.mem_usage == 57344);
  CHECK (v.mem_limit == 1040834560);
  struct kago_stats_row row;
  kago_stats_view_format (&v, &row);
  CHECK_STR (row.cpu_perc, "50.00%");
  CHECK_STR (row.mem_usage, "57.34kB / 1.041GB");
  CHECK_STR (row.mem_perc, "0.01%");
  CHECK_STR (row.net_io, "648B / 648B");
  CHECK_STR (row.block_io, "5.096kB / 8.192kB");
  CHECK_STR (row.pids, "3");
  /* The first sample alone: no CPU % yet.  */
  kago_stats_view_compute (NULL, &sa, &v);
  kago_stats_view_format (&v, &row);
  CHECK_STR (row.cpu_perc, "0.00%");
  kago_cgroup_stats_clear (&a);
  kago_cgroup_stats_clear (&b);
}

TEST (view_v2_memory_limit_seed)
{
  /* seed 000's --memory=256mb: 256 MiB, shown as 268.4MB, 61.44 kB used.  */
  struct kago_cgroup_stats a, b;
  v2_sample (&a, 1000, 61440 + 8192, 268435456, 8192);
  v2_sample (&b, 1000, 61440 + 8192, 268435456, 8192);
  struct kago_stats_sample sa, sb;
  kago_stats_sample_make (&a, &host1, 508, 508, &sa);
  kago_stats_sample_make (&b, &host2, 508, 508, &sb);
  struct kago_stats_view v;
  kago_stats_view_compute (&sa, &sb, &v);
  struct kago_stats_row row;
  kago_stats_view_format (&v, &row);
  CHECK_STR (row.cpu_perc, "0.00%");
  CHECK_STR (row.mem_usage, "61.44kB / 268.4MB");
  CHECK_STR (row.mem_perc, "0.02%");
  CHECK_STR (row.net_io, "508B / 508B");
  CHECK_STR (row.block_io, "0B / 1.024kB");
  CHECK_STR (row.pids, "1");
  kago_cgroup_stats_clear (&a);
  kago_cgroup_stats_clear (&b);
}

TEST (view_percent_rounding)
{
  struct kago_stats_sample s = { 0 };
  s.mem_usage = 5;
  s.mem_limit = 1000; /* 0.5% */
  struct kago_stats_view v;
  kago_stats_view_compute (NULL, &s, &v);
  struct kago_stats_row row;
  kago_stats_view_format (&v, &row);
  CHECK_STR (row.mem_perc, "0.50%");
  s.mem_usage = 1;
  s.mem_limit = 20000; /* 0.005 -> Go's %.2f: "0.01" (0.005 is above in binary) */
  kago_stats_view_compute (NULL, &s, &v);
  kago_stats_view_format (&v, &row);
  CHECK_STR (row.mem_perc, "0.01%");
  s.mem_limit = 0; /* no limit at all: 0 */
  kago_stats_view_compute (NULL, &s, &v);
  kago_stats_view_format (&v, &row);
  CHECK_STR (row.mem_perc, "0.00%");
  CHECK_STR (row.mem_usage, "1B / 0B");
}

TEST (view_invalid_is_dashes)
{
  struct kago_stats_view v;
  kago_stats_view_compute (NULL, NULL, &v);
  CHECK (!v.valid);
  struct kago_stats_row row;
  kago_stats_view_format (&v, &row);
  CHECK_STR (row.cpu_perc, "--");
  CHECK_STR (row.mem_usage, "-- / --");
  CHECK_STR (row.mem_perc, "--");
  CHECK_STR (row.net_io, "--");
  CHECK_STR (row.block_io, "--");
  CHECK_STR (row.pids, "--");
}

TEST (sample_without_controllers)
{
  /* No memory controller: usage 0, limit MemTotal; online cpus from
     percpu when the host count is unknown.  */
  struct kago_cgroup_stats st = { 0 };
  st.cpu.present = true;
  st.cpu.total = 7;
  st.cpu.n_percpu = 3;
  struct kago_stats_host h = { 5, 0, 4096 };
  struct kago_stats_sample s;
  kago_stats_sample_make (&st, &h, 1, 2, &s);
  CHECK (s.cpu_ns == 7 && s.system_cpu_ns == 5 && s.online_cpus == 3);
  CHECK (s.mem_usage == 0 && s.mem_limit == 4096);
  CHECK (s.net_rx == 1 && s.net_tx == 2 && s.blk_read == 0 && s.pids == 0);
}

TEST (row_json_docker_keys)
{
  struct kago_stats_view v;
  struct kago_stats_sample s = { 0 };
  s.mem_usage = 57344;
  s.mem_limit = 1040834560;
  s.pids = 1;
  kago_stats_view_compute (NULL, &s, &v);
  struct kago_stats_row row;
  kago_stats_view_format (&v, &row);
  json_value *j = kago_stats_row_json (&row, "web", "ac9206ea6439", "/web");
  cleanup_free char *txt = json_to_string (j, false);
  CHECK_STR (txt,
             "{\"BlockIO\":\"0B / 0B\",\"CPUPerc\":\"0.00%\",\"Container\":\"web\",\"ID\":\"ac9206ea6439\","
             "\"MemPerc\":\"0.01%\",\"MemUsage\":\"57.34kB / 1.041GB\",\"Name\":\"web\",\"NetIO\":\"0B / "
             "0B\",\"PIDs\":\"1\"}");
  json_free (j);
  j = kago_stats_row_json (&row, "x", "y", "");
  CHECK_STR (json_get_string (json_object_get (j, "Name")), "--");
  json_free (j);
}

TEST (proc_stat)
{
  const char *t = "cpu  100 20 30 400 5 6 7 8 0 0\ncpu0 50 10 15 200 2 3 3 4 0 0\nintr 1\n";
  uint64_t ns = 0;
  kago_error_t err = NULL;
  CHECK (kago_stats_parse_proc_stat (t, 100, &ns, &err) == 0);
  /* 568 ticks (steal excluded, as docker) at 100 Hz.  */
  CHECK (ns == UINT64_C (5680000000));
  CHECK (kago_stats_parse_proc_stat ("cpu  1 2 3\n", 100, &ns, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "cpu fields");
  kago_error_release (&err);
  CHECK (kago_stats_parse_proc_stat ("cpu0 1 2 3 4 5 6 7\n", 100, &ns, &err) < 0);
  kago_error_release (&err);
  CHECK (kago_stats_parse_proc_stat (t, 0, &ns, &err) < 0);
  kago_error_release (&err);
}

TEST (meminfo)
{
  uint64_t b = 0;
  kago_error_t err = NULL;
  CHECK (kago_stats_parse_meminfo ("MemTotal:        1016440 kB\nMemFree: 1 kB\n", &b, &err) == 0);
  CHECK (b == UINT64_C (1016440) * 1024);
  CHECK (kago_stats_parse_meminfo ("MemFree: 1 kB\nMemTotal: 3 kB\n", &b, &err) == 0 && b == 3072);
  CHECK (kago_stats_parse_meminfo ("MemFree: 1 kB\n", &b, &err) < 0);
  kago_error_release (&err);
  CHECK (kago_stats_parse_meminfo ("MemTotal: x kB\n", &b, &err) < 0);
  kago_error_release (&err);
}

TEST (net_dev_skips_lo)
{
  const char *t
      = "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
        "drop fifo colls carrier compressed\n"
        "    lo:  123456     100    0    0    0     0          0         0   123456     100    0    0 "
        "   0     0       0          0\n"
        "  eth0:     648       8    0    0    0     0          0         0      508       6    0    0 "
        "   0     0       0          0\n"
        "  eth1:1000 1 0 0 0 0 0 0 2000 2 0 0 0 0 0 0\n";
  uint64_t rx = 0, tx = 0;
  kago_error_t err = NULL;
  CHECK (kago_stats_parse_net_dev (t, &rx, &tx, &err) == 0);
  CHECK (rx == 1648 && tx == 2508);
  /* Only lo (--network none): 0 / 0.  */
  CHECK (kago_stats_parse_net_dev ("    lo: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n", &rx, &tx, &err) == 0);
  CHECK (rx == 0 && tx == 0);
  /* "lo0" is not lo.  */
  CHECK (kago_stats_parse_net_dev ("lo0: 5 1 0 0 0 0 0 0 6 1 0 0 0 0 0 0\n", &rx, &tx, &err) == 0);
  CHECK (rx == 5 && tx == 6);
  CHECK (kago_stats_parse_net_dev ("eth0: 5 1 0\n", &rx, &tx, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "eth0");
  kago_error_release (&err);
}

TEST (host_and_self_readers)
{
  struct kago_stats_host h;
  kago_error_t err = NULL;
  CHECK (kago_stats_read_host (&h, &err) == 0);
  CHECK (h.system_cpu_ns > 0 && h.online_cpus > 0 && h.mem_total > 0);
  uint64_t rx, tx;
  CHECK (kago_stats_read_net (getpid (), &rx, &tx, &err) == 0);
  CHECK (kago_stats_read_net (0x7ffffff0, &rx, &tx, &err) < 0);
  kago_error_release (&err);
}

int
main (void)
{
  RUN (human_size_small_and_exact);
  RUN (human_size_seed_values);
  RUN (human_size_rounding_at_the_unit_edge);
  RUN (human_size_huge);
  RUN (bytes_size_binary);
  RUN (cpu_percent_rules);
  RUN (mem_usage_v1_subtracts_total_inactive_file);
  RUN (mem_usage_v2_subtracts_inactive_file);
  RUN (mem_limit_clamped_to_memtotal);
  RUN (blkio_sums_reads_and_writes);
  RUN (view_v1_two_samples);
  RUN (view_v2_memory_limit_seed);
  RUN (view_percent_rounding);
  RUN (view_invalid_is_dashes);
  RUN (sample_without_controllers);
  RUN (row_json_docker_keys);
  RUN (proc_stat);
  RUN (meminfo);
  RUN (net_dev_skips_lo);
  RUN (host_and_self_readers);
  return tap_done ();
}
