/* What `kago stats` shows of a container, computed from the cgroup
 * statistics model (cgroup/stats.h) as `docker stats` computes it, and
 * formatted with Docker's units.
 *
 * The numbers (docker/cli's stats_helpers.go, moby's stats collector):
 *   - CPU % = (container cpu delta / host cpu delta) * online cpus * 100,
 *     both deltas between two samples (docker's calculateCPUPercentUnix; the
 *     same for cgroup v1 and v2).  The host's cpu time is the "cpu" line of
 *     /proc/stat: the sum of its first seven fields (user nice system idle
 *     iowait irq softirq) in clock ticks, in ns.  0 when either delta is not
 *     positive.
 *   - MEM USAGE = usage minus the inactive page cache: on cgroup v1 (a
 *     memory.stat with "total_inactive_file") usage_in_bytes minus
 *     total_inactive_file, on v2 memory.current minus inactive_file, each
 *     only when smaller than the usage (docker >= 20.10; 19.03 and older
 *     subtracted "cache").
 *   - LIMIT = the cgroup's memory limit, or the host's MemTotal when the
 *     limit is larger (unlimited), as moby clamps it.
 *   - MEM % = usage / limit * 100 (0 with no limit).
 *   - NET I/O = rx / tx bytes summed over every interface of the container's
 *     network namespace but lo (/proc/PID/net/dev of its init).
 *   - BLOCK I/O = the sums of the "Read" and "Write" entries (any op whose
 *     first letter is r/R or w/W, as docker tests it) of
 *     io_service_bytes_recursive.
 *   - PIDS = pids.current.
 *
 * The text: seed 000 (Docker 1.10) and the engine issue show MEM USAGE /
 * LIMIT in decimal units with four significant digits ("57.34kB /
 * 1.041GB", `--memory=256mb` as "268.4MB"): go-units HumanSize, which is
 * what docker 1.10 to 1.12 printed for every size column (from go-units
 * v0.3, Docker 1.11, without the space between number and unit).  Docker
 * 1.13 and later print MEM USAGE / LIMIT with BytesSize ("56KiB / 256MiB")
 * and NET I/O, BLOCK I/O with three digits; kago follows the seed, the
 * acceptance test: HumanSize (4 digits, decimal) for every size column.
 * Percentages are "%.2f%%"; a container without a valid sample shows "--"
 * ("-- / --" for MEM USAGE / LIMIT) as docker/cli does.
 *
 * Nothing here prints.  */
#ifndef KAGO_ENGINE_STATS_VIEW_H
#define KAGO_ENGINE_STATS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/stats.h"
#include "common/error.h"
#include "common/json.h"

/* The host's side of a sample.  */
struct kago_stats_host
{
  uint64_t system_cpu_ns; /* /proc/stat "cpu", docker's SystemUsage */
  uint32_t online_cpus;
  uint64_t mem_total; /* /proc/meminfo MemTotal, bytes */
};

/* One moment of one container, reduced to what stats shows.  */
struct kago_stats_sample
{
  uint64_t cpu_ns;        /* the container's total cpu time */
  uint64_t system_cpu_ns; /* the host's, at the same moment */
  uint32_t online_cpus;
  uint64_t mem_usage; /* without the inactive page cache */
  uint64_t mem_limit; /* clamped to MemTotal */
  uint64_t net_rx, net_tx;
  uint64_t blk_read, blk_write;
  uint64_t pids;
};

/* The numbers of one row.  */
struct kago_stats_view
{
  bool valid; /* false: "--" everywhere */
  double cpu_percent;
  uint64_t mem_usage, mem_limit;
  double mem_percent;
  uint64_t net_rx, net_tx;
  uint64_t blk_read, blk_write;
  uint64_t pids;
};

/* The text of one row, as docker's --format fields name them.  */
struct kago_stats_row
{
  char cpu_perc[32];  /* CPUPerc "0.00%" */
  char mem_usage[64]; /* MemUsage "57.34kB / 1.041GB" */
  char mem_perc[32];  /* MemPerc "0.01%" */
  char net_io[64];    /* NetIO "648B / 648B" */
  char block_io[64];  /* BlockIO "0B / 0B" */
  char pids[24];      /* PIDs "1" */
};

/* ---- the rules ---- */

/* docker's calculateCPUPercentUnix.  */
double kago_stats_cpu_percent (uint64_t prev_cpu, uint64_t prev_system, uint64_t cpu, uint64_t system,
                               uint32_t online_cpus);
/* docker's calculateMemUsageUnixNoCache on the model's usage and memory.stat.  */
uint64_t kago_stats_mem_usage (const struct kago_cgroup_stats *st);
/* The cgroup limit, or MEM_TOTAL when the limit is larger (0: no clamp).  */
uint64_t kago_stats_mem_limit (uint64_t cgroup_limit, uint64_t mem_total);
/* Sum of the read and write bytes of io_service_bytes_recursive.  */
void kago_stats_blkio (const struct kago_cgroup_stats *st, uint64_t *read, uint64_t *write);

/* Reduce one reading: ST from kago_ctr_stats, HOST read just before or
   after it, NET_RX/NET_TX from kago_stats_read_net.  */
void kago_stats_sample_make (const struct kago_cgroup_stats *st, const struct kago_stats_host *host,
                             uint64_t net_rx, uint64_t net_tx, struct kago_stats_sample *out);
/* The row's numbers from CUR and the PREV sample (NULL: no CPU % yet, 0).  */
void kago_stats_view_compute (const struct kago_stats_sample *prev, const struct kago_stats_sample *cur,
                              struct kago_stats_view *v);
/* The row's text.  */
void kago_stats_view_format (const struct kago_stats_view *v, struct kago_stats_row *row);
/* `{{json .}}` of a row: an object with docker's keys in docker's (sorted)
   order: BlockIO, CPUPerc, Container, ID, MemPerc, MemUsage, Name, NetIO,
   PIDs.  CONTAINER is the name or id as the user gave it (the short id when
   none was named), ID the id (full, or 12 characters when truncating), NAME
   without a leading '/' ("--" when empty).  */
json_value *kago_stats_row_json (const struct kago_stats_row *row, const char *container, const char *id,
                                 const char *name);

/* ---- units (go-units) ---- */

/* HumanSizeWithPrecision: decimal (1000) steps, B kB MB GB TB PB EB ZB YB,
   Go's %.*g: "0B", "57.34kB", "1000kB" (999.95 kB at 4 digits),
   "1e+03kB" (at 3 digits).  */
void kago_units_human_size (double size, int precision, char *buf, size_t len);
/* BytesSize: binary (1024) steps, B KiB MiB ..., 4 digits: "256MiB".  */
void kago_units_bytes_size (double size, char *buf, size_t len);

/* ---- host readers and their parsers ---- */

/* The "cpu" line of /proc/stat TEXT in ns (TICKS per second).  */
int kago_stats_parse_proc_stat (const char *text, long ticks, uint64_t *ns, kago_error_t *err);
/* MemTotal of /proc/meminfo TEXT, in bytes.  */
int kago_stats_parse_meminfo (const char *text, uint64_t *bytes, kago_error_t *err);
/* rx and tx bytes of every interface but lo in a /proc/net/dev TEXT.  */
int kago_stats_parse_net_dev (const char *text, uint64_t *rx, uint64_t *tx, kago_error_t *err);

/* Fill *HOST from /proc/stat, /proc/meminfo and the online cpu count.  */
int kago_stats_read_host (struct kago_stats_host *host, kago_error_t *err);
/* The network counters of PID's network namespace (/proc/PID/net/dev);
   0 and 0 when that is the caller's own namespace (--network host).  */
int kago_stats_read_net (pid_t pid, uint64_t *rx, uint64_t *tx, kago_error_t *err);

#endif
