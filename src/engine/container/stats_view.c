/* `docker stats` numbers and text from the cgroup statistics model; see
   stats_view.h for the rules and where they come from.  */
#include "engine/container/stats_view.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"

double
kago_stats_cpu_percent (uint64_t prev_cpu, uint64_t prev_system, uint64_t cpu, uint64_t system,
                        uint32_t online_cpus)
{
  /* As docker: the deltas in float64, so that a counter that went back
     (a restarted container) gives a negative delta, hence 0.  */
  double cpu_delta = (double) cpu - (double) prev_cpu;
  double system_delta = (double) system - (double) prev_system;
  if (system_delta > 0.0 && cpu_delta > 0.0)
    return cpu_delta / system_delta * (double) online_cpus * 100.0;
  return 0.0;
}

static bool
raw_get (const struct kago_cgroup_stats *st, const char *key, uint64_t *v)
{
  for (size_t i = 0; i < st->memory.n_raw; i++)
    if (strcmp (st->memory.raw[i].key, key) == 0)
      {
        *v = st->memory.raw[i].value;
        return true;
      }
  return false;
}

uint64_t
kago_stats_mem_usage (const struct kago_cgroup_stats *st)
{
  uint64_t usage = st->memory.usage.usage, v;
  /* cgroup v1: memory.stat has the hierarchical total_* keys.  */
  if (raw_get (st, "total_inactive_file", &v) && v < usage)
    return usage - v;
  /* cgroup v2 (docker reads a missing key as 0).  */
  if (!raw_get (st, "inactive_file", &v))
    v = 0;
  if (v < usage)
    return usage - v;
  return usage;
}

uint64_t
kago_stats_mem_limit (uint64_t cgroup_limit, uint64_t mem_total)
{
  if (mem_total > 0 && cgroup_limit > mem_total)
    return mem_total;
  return cgroup_limit;
}

void
kago_stats_blkio (const struct kago_cgroup_stats *st, uint64_t *read, uint64_t *write)
{
  *read = *write = 0;
  const struct kago_stats_blkio_list *l = &st->blkio.service_bytes;
  for (size_t i = 0; i < l->n; i++)
    {
      const char *op = l->e[i].op;
      if (op == NULL || op[0] == '\0')
        continue;
      if (op[0] == 'r' || op[0] == 'R')
        *read += l->e[i].value;
      else if (op[0] == 'w' || op[0] == 'W')
        *write += l->e[i].value;
    }
}

void
kago_stats_sample_make (const struct kago_cgroup_stats *st, const struct kago_stats_host *host,
                        uint64_t net_rx, uint64_t net_tx, struct kago_stats_sample *out)
{
  memset (out, 0, sizeof *out);
  out->cpu_ns = st->cpu.present ? st->cpu.total : 0;
  out->system_cpu_ns = host->system_cpu_ns;
  /* docker falls back on the length of percpu_usage when the daemon sent
     no online count.  */
  out->online_cpus = host->online_cpus ? host->online_cpus : (uint32_t) st->cpu.n_percpu;
  if (st->memory.present)
    {
      out->mem_usage = kago_stats_mem_usage (st);
      out->mem_limit = kago_stats_mem_limit (st->memory.usage.limit, host->mem_total);
    }
  else
    out->mem_limit = host->mem_total;
  out->net_rx = net_rx;
  out->net_tx = net_tx;
  if (st->blkio.present)
    kago_stats_blkio (st, &out->blk_read, &out->blk_write);
  out->pids = st->pids.present ? st->pids.current : 0;
}

void
kago_stats_view_compute (const struct kago_stats_sample *prev, const struct kago_stats_sample *cur,
                         struct kago_stats_view *v)
{
  memset (v, 0, sizeof *v);
  if (cur == NULL)
    return;
  v->valid = true;
  if (prev)
    v->cpu_percent = kago_stats_cpu_percent (prev->cpu_ns, prev->system_cpu_ns, cur->cpu_ns,
                                             cur->system_cpu_ns, cur->online_cpus);
  v->mem_usage = cur->mem_usage;
  v->mem_limit = cur->mem_limit;
  /* docker: usage / limit * 100 in float64, 0 without a limit.  */
  if (cur->mem_limit != 0)
    v->mem_percent = (double) cur->mem_usage / (double) cur->mem_limit * 100.0;
  v->net_rx = cur->net_rx;
  v->net_tx = cur->net_tx;
  v->blk_read = cur->blk_read;
  v->blk_write = cur->blk_write;
  v->pids = cur->pids;
}

/* ------------------------------------------------------------- units */

static const char *const decimal_units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
static const char *const binary_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB" };

/* go-units getSizeAndUnit: divide while >= BASE, up to the last unit.  */
static void
size_and_unit (double size, double base, const char *const *units, size_t n, int precision, char *buf,
               size_t len)
{
  size_t i = 0;
  while (size >= base && i + 1 < n)
    {
      size /= base;
      i++;
    }
  /* C's %.*g matches Go's for these values: the same rounding to
     PRECISION significant digits, trailing zeros dropped, and %e
     ("1e+03") when the rounded exponent reaches the precision.  */
  snprintf (buf, len, "%.*g%s", precision, size, units[i]);
}

void
kago_units_human_size (double size, int precision, char *buf, size_t len)
{
  size_and_unit (size, 1000.0, decimal_units, sizeof decimal_units / sizeof decimal_units[0], precision, buf,
                 len);
}

void
kago_units_bytes_size (double size, char *buf, size_t len)
{
  size_and_unit (size, 1024.0, binary_units, sizeof binary_units / sizeof binary_units[0], 4, buf, len);
}

/* Every size column: go-units HumanSize (4 digits), see stats_view.h.  */
#define SIZE_PRECISION 4

static void
pair (uint64_t a, uint64_t b, char *buf, size_t len)
{
  char x[24], y[24];
  kago_units_human_size ((double) a, SIZE_PRECISION, x, sizeof x);
  kago_units_human_size ((double) b, SIZE_PRECISION, y, sizeof y);
  snprintf (buf, len, "%s / %s", x, y);
}

void
kago_stats_view_format (const struct kago_stats_view *v, struct kago_stats_row *row)
{
  if (!v->valid)
    {
      snprintf (row->cpu_perc, sizeof row->cpu_perc, "--");
      snprintf (row->mem_usage, sizeof row->mem_usage, "-- / --");
      snprintf (row->mem_perc, sizeof row->mem_perc, "--");
      snprintf (row->net_io, sizeof row->net_io, "--");
      snprintf (row->block_io, sizeof row->block_io, "--");
      snprintf (row->pids, sizeof row->pids, "--");
      return;
    }
  snprintf (row->cpu_perc, sizeof row->cpu_perc, "%.2f%%", v->cpu_percent);
  pair (v->mem_usage, v->mem_limit, row->mem_usage, sizeof row->mem_usage);
  snprintf (row->mem_perc, sizeof row->mem_perc, "%.2f%%", v->mem_percent);
  pair (v->net_rx, v->net_tx, row->net_io, sizeof row->net_io);
  pair (v->blk_read, v->blk_write, row->block_io, sizeof row->block_io);
  snprintf (row->pids, sizeof row->pids, "%" PRIu64, v->pids);
}

json_value *
kago_stats_row_json (const struct kago_stats_row *row, const char *container, const char *id,
                     const char *name)
{
  if (name && name[0] == '/')
    name++;
  json_value *o = json_object_new ();
  json_object_set (o, "BlockIO", json_string_new (row->block_io));
  json_object_set (o, "CPUPerc", json_string_new (row->cpu_perc));
  json_object_set (o, "Container", json_string_new (container ? container : ""));
  json_object_set (o, "ID", json_string_new (id ? id : ""));
  json_object_set (o, "MemPerc", json_string_new (row->mem_perc));
  json_object_set (o, "MemUsage", json_string_new (row->mem_usage));
  json_object_set (o, "Name", json_string_new (name && *name ? name : "--"));
  json_object_set (o, "NetIO", json_string_new (row->net_io));
  json_object_set (o, "PIDs", json_string_new (row->pids));
  return o;
}

/* ---------------------------------------------------- host readers */

static bool
parse_u64 (const char **p, uint64_t *v)
{
  const char *s = *p;
  while (*s == ' ' || *s == '\t')
    s++;
  if (!isdigit ((unsigned char) *s))
    return false;
  errno = 0;
  char *end;
  unsigned long long x = strtoull (s, &end, 10);
  if (errno != 0)
    return false;
  *v = x;
  *p = end;
  return true;
}

int
kago_stats_parse_proc_stat (const char *text, long ticks, uint64_t *ns, kago_error_t *err)
{
  if (ticks <= 0)
    return kago_error_set (err, EINVAL, "clock ticks per second: %ld", ticks);
  for (const char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      if (strncmp (line, "cpu ", 4) != 0)
        continue;
      const char *p = line + 4;
      uint64_t total = 0;
      for (int i = 0; i < 7; i++)
        {
          uint64_t v;
          if (!parse_u64 (&p, &v))
            return kago_error_set (err, EINVAL, "/proc/stat: invalid number of cpu fields");
          total += v;
        }
      /* docker: ticks * 1e9 / ticks-per-second, in integers.  */
      *ns = total * UINT64_C (1000000000) / (uint64_t) ticks;
      return 0;
    }
  return kago_error_set (err, EINVAL, "/proc/stat: no \"cpu\" line");
}

int
kago_stats_parse_meminfo (const char *text, uint64_t *bytes, kago_error_t *err)
{
  for (const char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      if (strncmp (line, "MemTotal:", 9) != 0)
        continue;
      const char *p = line + 9;
      uint64_t v;
      if (!parse_u64 (&p, &v))
        return kago_error_set (err, EINVAL, "/proc/meminfo: bad MemTotal");
      while (*p == ' ')
        p++;
      /* The kernel writes kB (KiB); a line without a unit is bytes.  */
      if (strncmp (p, "kB", 2) == 0)
        v *= 1024;
      *bytes = v;
      return 0;
    }
  return kago_error_set (err, EINVAL, "/proc/meminfo: no MemTotal");
}

int
kago_stats_parse_net_dev (const char *text, uint64_t *rx, uint64_t *tx, kago_error_t *err)
{
  *rx = *tx = 0;
  for (const char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      const char *colon = strchr (line, ':');
      const char *eol = strchr (line, '\n');
      if (colon == NULL || (eol && colon > eol))
        continue; /* the two header lines have '|', not ':' */
      const char *name = line;
      while (*name == ' ')
        name++;
      size_t nlen = (size_t) (colon - name);
      if (nlen == 2 && strncmp (name, "lo", 2) == 0)
        continue;
      const char *p = colon + 1;
      uint64_t f[9];
      for (int i = 0; i < 9; i++)
        if (!parse_u64 (&p, &f[i]))
          return kago_error_set (err, EINVAL, "/proc/net/dev: bad line for %.*s", (int) nlen, name);
      *rx += f[0]; /* receive bytes */
      *tx += f[8]; /* transmit bytes: the first of the second group of 8 */
    }
  return 0;
}

int
kago_stats_read_host (struct kago_stats_host *host, kago_error_t *err)
{
  memset (host, 0, sizeof *host);
  cleanup_free char *stat = NULL, *meminfo = NULL;
  size_t len;
  if (read_file ("/proc/stat", &stat, &len, err) < 0)
    return -1;
  if (kago_stats_parse_proc_stat (stat, sysconf (_SC_CLK_TCK), &host->system_cpu_ns, err) < 0)
    return -1;
  if (read_file ("/proc/meminfo", &meminfo, &len, err) < 0)
    return -1;
  if (kago_stats_parse_meminfo (meminfo, &host->mem_total, err) < 0)
    return -1;
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  host->online_cpus = n > 0 ? (uint32_t) n : 0;
  return 0;
}

int
kago_stats_read_net (pid_t pid, uint64_t *rx, uint64_t *tx, kago_error_t *err)
{
  char path[64];
  *rx = *tx = 0;
  /* docker lists no network for a container in the host's namespace
     (--network host): not the host's traffic.  */
  struct stat self, other;
  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  if (stat (path, &other) < 0)
    return kago_error_set (err, errno, "stat `%s`", path);
  if (stat ("/proc/self/ns/net", &self) == 0 && self.st_dev == other.st_dev && self.st_ino == other.st_ino)
    return 0;
  snprintf (path, sizeof path, "/proc/%d/net/dev", (int) pid);
  cleanup_free char *text = NULL;
  size_t len;
  if (read_file (path, &text, &len, err) < 0)
    return -1;
  return kago_stats_parse_net_dev (text, rx, tx, err);
}
