/* Container statistics from cgroup files into one model (stats.h).
 *
 * Where each value comes from:
 *
 *   value              v1 (and hybrid's v1 side)             v2
 *   cpu total/percpu   cpuacct.usage, cpuacct.usage_percpu   cpu.stat usage_usec
 *   cpu kernel/user    cpuacct.stat (USER_HZ ticks)          cpu.stat system_usec, user_usec
 *   percpu modes       cpuacct.usage_all                     -
 *   throttling         cpu.stat nr_periods, nr_throttled,    cpu.stat nr_periods, nr_throttled,
 *                      throttled_time                        throttled_usec
 *   memory usage       memory.usage_in_bytes, .max_usage_in_bytes, .limit_in_bytes, .failcnt
 *                                                            memory.current, .peak, .max,
 *                                                            memory.events "max"
 *   swap (mem+swap)    memory.memsw.*                        memory.swap.current + memory.current,
 *                                                            memory.swap.max + memory.max
 *   kernel / TCP       memory.kmem.*, memory.kmem.tcp.*      memory.stat "kernel" / -
 *   cache, raw         memory.stat ("cache")                 memory.stat ("file")
 *   OOM kills          memory.oom_control oom_kill           memory.events oom_kill
 *   pids               pids.current, pids.max ("max" = 0)
 *   blkio              blkio.{bfq.,}io_service{d,_bytes}_recursive, else
 *                      blkio.throttle.io_service{d,_bytes}{_recursive,}
 *                                                            io.stat rbytes/wbytes (bytes),
 *                                                            rios/wios (serviced) as Read/Write
 *   hugetlb            hugetlb.SIZE.usage_in_bytes, .max_usage_in_bytes, .limit_in_bytes, .failcnt
 *                                                            hugetlb.SIZE.current, .max,
 *                                                            .events "max"
 *
 * The v1 blkio files are tried in runc's order: the first set whose
 * io_serviced file has entries is used.
 */
#include "cgroup/stats.h"
#include "cgroup/internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"

/* ------------------------------------------------------------ reading */

/* Read DIR/FILE: 1 when read, 0 when the file does not exist, -1 on error. */
static int
read_opt (const char *dir, const char *file, char **out, kago_error_t *err)
{
  kago_error_t e = NULL;
  *out = NULL;
  if (cg_read (dir, file, out, &e) == 0)
    return 1;
  if (e->errnum == ENOENT)
    {
      kago_error_release (&e);
      return 0;
    }
  *err = e;
  return -1;
}

static bool
only_space (const char *s)
{
  while (*s == ' ' || *s == '\t' || *s == '\n')
    s++;
  return *s == '\0';
}

/* One unsigned number (or "max" -> UINT64_MAX when ALLOW_MAX) from the
   start of S up to END (NULL: the end of S, surrounding white space
   allowed).  */
static bool
parse_u64 (const char *s, const char *end, bool allow_max, uint64_t *out)
{
  cleanup_free char *copy = end ? xstrndup (s, (size_t) (end - s)) : NULL;
  const char *p = copy ? copy : s;
  while (*p == ' ' || *p == '\t')
    p++;
  if (allow_max && strncmp (p, "max", 3) == 0 && only_space (p + 3))
    {
      *out = UINT64_MAX;
      return true;
    }
  if (*p < '0' || *p > '9')
    return false;
  char *e;
  errno = 0;
  unsigned long long v = strtoull (p, &e, 10);
  if (errno || !only_space (e))
    return false;
  *out = v;
  return true;
}

static int
bad_value (kago_error_t *err, const char *dir, const char *file, const char *what)
{
  cleanup_free char *shown = xstrndup (what, strcspn (what, "\n"));
  return kago_error_set (err, EINVAL, "`%s/%s`: cannot parse \"%s\"", dir, file, shown);
}

/* DIR/FILE holding one number: 1 read, 0 absent, -1 error.  */
static int
read_num (const char *dir, const char *file, bool allow_max, uint64_t *out, kago_error_t *err)
{
  cleanup_free char *text = NULL;
  int r = read_opt (dir, file, &text, err);
  if (r <= 0)
    return r;
  if (!parse_u64 (text, NULL, allow_max, out))
    return bad_value (err, dir, file, text);
  return 1;
}

static void
kv_free (struct kago_stats_kv *kv, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (kv[i].key);
  free (kv);
}

/* "key value" lines (memory.stat, cpu.stat, memory.events, ...).  */
static int
parse_kv (const char *text, const char *dir, const char *file, struct kago_stats_kv **out, size_t *n,
          kago_error_t *err)
{
  struct kago_stats_kv *kv = NULL;
  size_t len = 0;
  for (const char *line = text; *line;)
    {
      const char *nl = strchr (line, '\n');
      const char *end = nl ? nl : line + strlen (line);
      if (end > line)
        {
          const char *sp = memchr (line, ' ', (size_t) (end - line));
          uint64_t v;
          if (!sp || sp == line || !parse_u64 (sp + 1, end, false, &v))
            {
              kv_free (kv, len);
              return bad_value (err, dir, file, line);
            }
          kv = xrealloc (kv, (len + 1) * sizeof *kv);
          kv[len].key = xstrndup (line, (size_t) (sp - line));
          kv[len].value = v;
          len++;
        }
      line = nl ? nl + 1 : end;
    }
  *out = kv;
  *n = len;
  return 0;
}

static bool
kv_get (const struct kago_stats_kv *kv, size_t n, const char *key, uint64_t *out)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (kv[i].key, key) == 0)
      {
        *out = kv[i].value;
        return true;
      }
  return false;
}

/* Read a "key value" file: 1 read (*KV owned by the caller), 0 absent.  */
static int
read_kv (const char *dir, const char *file, struct kago_stats_kv **kv, size_t *n, kago_error_t *err)
{
  cleanup_free char *text = NULL;
  *kv = NULL;
  *n = 0;
  int r = read_opt (dir, file, &text, err);
  if (r <= 0)
    return r;
  if (parse_kv (text, dir, file, kv, n, err) < 0)
    return -1;
  return 1;
}

int
cg_read_key_u64 (const char *dir, const char *file, const char *key, uint64_t *out, kago_error_t *err)
{
  struct kago_stats_kv *kv;
  size_t n;
  int r = read_kv (dir, file, &kv, &n, err);
  if (r <= 0)
    return r;
  bool found = kv_get (kv, n, key, out);
  kv_free (kv, n);
  return found ? 1 : 0;
}

/* Space-separated numbers (cpuacct.usage_percpu).  */
static int
parse_list (const char *text, const char *dir, const char *file, uint64_t **out, size_t *n, kago_error_t *err)
{
  uint64_t *v = NULL;
  size_t len = 0;
  const char *p = text;
  for (;;)
    {
      p += strspn (p, " \t\n");
      if (!*p)
        break;
      const char *e = p + strcspn (p, " \t\n");
      uint64_t x;
      if (!parse_u64 (p, e, false, &x))
        {
          free (v);
          return bad_value (err, dir, file, p);
        }
      v = xrealloc (v, (len + 1) * sizeof *v);
      v[len++] = x;
      p = e;
    }
  *out = v;
  *n = len;
  return 0;
}

const char *
cg_source_dir (const struct kago_cgroup *cg, const char *ctrl, bool *v2)
{
  if (cg->mode != KAGO_CGROUP_V2)
    {
      struct cg_hier *h = cg_find (cg, ctrl);
      if (h)
        {
          *v2 = false;
          return h->dir;
        }
    }
  struct cg_hier *u = cg_unified (cg);
  *v2 = true;
  return u ? u->dir : NULL;
}

/* ---------------------------------------------------------------- cpu */

static int
cpu_v1_usage (const char *dir, struct kago_cgroup_stats *st, kago_error_t *err)
{
  int r = read_num (dir, "cpuacct.usage", false, &st->cpu.total, err);
  if (r <= 0)
    return r;
  st->cpu.present = true;

  cleanup_free char *text = NULL;
  if ((r = read_opt (dir, "cpuacct.usage_percpu", &text, err)) < 0)
    return -1;
  if (r > 0 && parse_list (text, dir, "cpuacct.usage_percpu", &st->cpu.percpu, &st->cpu.n_percpu, err) < 0)
    return -1;

  /* "user N\nsystem N\n" in USER_HZ ticks.  */
  struct kago_stats_kv *kv;
  size_t n;
  if ((r = read_kv (dir, "cpuacct.stat", &kv, &n, err)) < 0)
    return -1;
  if (r > 0)
    {
      long hz = sysconf (_SC_CLK_TCK);
      uint64_t ticks;
      if (hz <= 0)
        hz = 100;
      if (kv_get (kv, n, "user", &ticks))
        st->cpu.user = ticks * 1000000000ULL / (uint64_t) hz;
      if (kv_get (kv, n, "system", &ticks))
        st->cpu.kernel = ticks * 1000000000ULL / (uint64_t) hz;
      kv_free (kv, n);
    }

  /* "cpu user system\n0 U S\n1 U S\n" in ns.  */
  free (text);
  text = NULL;
  if ((r = read_opt (dir, "cpuacct.usage_all", &text, err)) < 0)
    return -1;
  if (r == 0)
    return 0;
  const char *line = strchr (text, '\n'); /* skip the header */
  while (line && *++line)
    {
      const char *nl = strchr (line, '\n');
      const char *end = nl ? nl : line + strlen (line);
      cleanup_free char *l = xstrndup (line, (size_t) (end - line));
      unsigned long long cpu, user, sys;
      char extra;
      if (sscanf (l, "%llu %llu %llu %c", &cpu, &user, &sys, &extra) != 3)
        return bad_value (err, dir, "cpuacct.usage_all", l);
      size_t k = st->cpu.n_percpu_modes++;
      st->cpu.percpu_user = xrealloc (st->cpu.percpu_user, (k + 1) * sizeof (uint64_t));
      st->cpu.percpu_kernel = xrealloc (st->cpu.percpu_kernel, (k + 1) * sizeof (uint64_t));
      st->cpu.percpu_user[k] = user;
      st->cpu.percpu_kernel[k] = sys;
      line = nl;
    }
  return 0;
}

/* cpu.stat: v1 (cpu controller: throttling only) or v2 (usage and
   throttling, times in microseconds).  */
static int
cpu_stat (const char *dir, bool v2, bool usage, bool throttling, struct kago_cgroup_stats *st,
          kago_error_t *err)
{
  struct kago_stats_kv *kv;
  size_t n;
  int r = read_kv (dir, "cpu.stat", &kv, &n, err);
  if (r <= 0)
    return r;
  uint64_t v;
  if (usage && v2 && kv_get (kv, n, "usage_usec", &v))
    {
      st->cpu.present = true;
      st->cpu.total = v * 1000;
      if (kv_get (kv, n, "user_usec", &v))
        st->cpu.user = v * 1000;
      if (kv_get (kv, n, "system_usec", &v))
        st->cpu.kernel = v * 1000;
    }
  if (throttling)
    {
      if (kv_get (kv, n, "nr_periods", &v))
        st->cpu.periods = v;
      if (kv_get (kv, n, "nr_throttled", &v))
        st->cpu.throttled_periods = v;
      if (v2 ? kv_get (kv, n, "throttled_usec", &v) : kv_get (kv, n, "throttled_time", &v))
        st->cpu.throttled_time = v2 ? v * 1000 : v;
    }
  kv_free (kv, n);
  return 0;
}

static int
stats_cpu (const struct kago_cgroup *cg, struct kago_cgroup_stats *st, kago_error_t *err)
{
  bool v2_acct, v2_cpu;
  const char *acct = cg_source_dir (cg, "cpuacct", &v2_acct);
  const char *cpu = cg_source_dir (cg, "cpu", &v2_cpu);
  if (acct && !v2_acct && cpu_v1_usage (acct, st, err) < 0)
    return -1;
  if (acct && v2_acct && cpu_stat (acct, true, true, cpu && v2_cpu, st, err) < 0)
    return -1;
  if (cpu && !v2_cpu && cpu_stat (cpu, false, false, true, st, err) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------- memory */

/* PREFIX.usage_in_bytes, .max_usage_in_bytes, .limit_in_bytes, .failcnt:
   absent usage = absent entry (no swap accounting, no kmem).  */
static int
mem_entry_v1 (const char *dir, const char *prefix, struct kago_stats_memory_entry *m, kago_error_t *err)
{
  static const char *const files[] = { "usage_in_bytes", "max_usage_in_bytes", "limit_in_bytes", "failcnt" };
  uint64_t *dst[] = { &m->usage, &m->max_usage, &m->limit, &m->failcnt };
  for (size_t i = 0; i < 4; i++)
    {
      cleanup_free char *f = xasprintf ("%s.%s", prefix, files[i]);
      int r = read_num (dir, f, false, dst[i], err);
      if (r < 0)
        return -1;
      if (r == 0 && i == 0)
        return 0;
    }
  m->present = true;
  return 0;
}

static int
memory_v1 (const char *dir, struct kago_cgroup_stats *st, kago_error_t *err)
{
  if (mem_entry_v1 (dir, "memory", &st->memory.usage, err) < 0)
    return -1;
  if (!st->memory.usage.present)
    return 0;
  st->memory.present = true;
  if (mem_entry_v1 (dir, "memory.memsw", &st->memory.swap, err) < 0
      || mem_entry_v1 (dir, "memory.kmem", &st->memory.kernel, err) < 0
      || mem_entry_v1 (dir, "memory.kmem.tcp", &st->memory.kernel_tcp, err) < 0)
    return -1;
  if (read_kv (dir, "memory.stat", &st->memory.raw, &st->memory.n_raw, err) < 0)
    return -1;
  kv_get (st->memory.raw, st->memory.n_raw, "cache", &st->memory.cache);
  if (cg_read_key_u64 (dir, "memory.oom_control", "oom_kill", &st->memory.oom_kill, err) < 0)
    return -1;
  return 0;
}

static int
memory_v2 (const char *dir, struct kago_cgroup_stats *st, kago_error_t *err)
{
  struct kago_stats_memory_entry *u = &st->memory.usage, *s = &st->memory.swap;
  int r = read_num (dir, "memory.current", false, &u->usage, err);
  if (r <= 0)
    return r;
  u->present = st->memory.present = true;
  if (read_num (dir, "memory.max", true, &u->limit, err) < 0
      || read_num (dir, "memory.peak", false, &u->max_usage, err) < 0)
    return -1;

  struct kago_stats_kv *kv;
  size_t n;
  if ((r = read_kv (dir, "memory.events", &kv, &n, err)) < 0)
    return -1;
  if (r > 0)
    {
      kv_get (kv, n, "max", &u->failcnt);
      kv_get (kv, n, "oom_kill", &st->memory.oom_kill);
      kv_free (kv, n);
    }

  /* Reported as memory+swap, as v1's memsw (and runc) do.  */
  uint64_t swap_cur, swap_max = UINT64_MAX;
  if ((r = read_num (dir, "memory.swap.current", false, &swap_cur, err)) < 0)
    return -1;
  if (r > 0)
    {
      if (read_num (dir, "memory.swap.max", true, &swap_max, err) < 0)
        return -1;
      s->present = true;
      s->usage = swap_cur + u->usage;
      s->limit = swap_max == UINT64_MAX || u->limit == UINT64_MAX ? UINT64_MAX : swap_max + u->limit;
      if (cg_read_key_u64 (dir, "memory.swap.events", "max", &s->failcnt, err) < 0)
        return -1;
    }

  if (read_kv (dir, "memory.stat", &st->memory.raw, &st->memory.n_raw, err) < 0)
    return -1;
  kv_get (st->memory.raw, st->memory.n_raw, "file", &st->memory.cache);
  if (kv_get (st->memory.raw, st->memory.n_raw, "kernel", &st->memory.kernel.usage))
    st->memory.kernel.present = true;
  return 0;
}

/* --------------------------------------------------------------- pids */

static int
stats_pids (const char *dir, struct kago_cgroup_stats *st, kago_error_t *err)
{
  int r = read_num (dir, "pids.current", false, &st->pids.current, err);
  if (r <= 0)
    return r;
  st->pids.present = true;
  uint64_t max = 0;
  if (read_num (dir, "pids.max", true, &max, err) < 0)
    return -1;
  st->pids.limit = max == UINT64_MAX ? 0 : max;
  return 0;
}

/* -------------------------------------------------------------- blkio */

static void
blkio_add (struct kago_stats_blkio_list *l, uint64_t major, uint64_t minor, const char *op, size_t oplen,
           uint64_t value)
{
  l->e = xrealloc (l->e, (l->n + 1) * sizeof *l->e);
  l->e[l->n].major = major;
  l->e[l->n].minor = minor;
  l->e[l->n].op = xstrndup (op, oplen);
  l->e[l->n].value = value;
  l->n++;
}

static void
blkio_list_clear (struct kago_stats_blkio_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    free (l->e[i].op);
  free (l->e);
  l->e = NULL;
  l->n = 0;
}

/* v1 "MAJ:MIN Op VALUE" lines (a last "Total N" line is skipped): 1 read,
   0 absent.  */
static int
blkio_v1_file (const char *dir, const char *file, struct kago_stats_blkio_list *l, kago_error_t *err)
{
  cleanup_free char *text = NULL;
  int r = read_opt (dir, file, &text, err);
  if (r <= 0)
    return r;
  for (char *line = text; *line;)
    {
      char *nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      unsigned long long maj, min, val;
      char op[32];
      int used = 0;
      if (*line == '\0' || (sscanf (line, "Total %llu%n", &val, &used) == 1 && line[used] == '\0'))
        ;
      else if (sscanf (line, "%llu:%llu %31s %llu%n", &maj, &min, op, &val, &used) == 4 && line[used] == '\0')
        blkio_add (l, maj, min, op, strlen (op), val);
      else
        {
          blkio_list_clear (l);
          return bad_value (err, dir, file, line);
        }
      if (!nl)
        break;
      line = nl + 1;
    }
  return 1;
}

static int
blkio_v1 (const char *dir, struct kago_cgroup_stats *st, kago_error_t *err)
{
  static const char *const sets[][2] = {
    { "blkio.bfq.io_serviced_recursive", "blkio.bfq.io_service_bytes_recursive" },
    { "blkio.io_serviced_recursive", "blkio.io_service_bytes_recursive" },
    { "blkio.throttle.io_serviced_recursive", "blkio.throttle.io_service_bytes_recursive" },
    { "blkio.throttle.io_serviced", "blkio.throttle.io_service_bytes" },
  };
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
    {
      int r = blkio_v1_file (dir, sets[i][0], &st->blkio.serviced, err);
      if (r < 0)
        return -1;
      if (r > 0)
        st->blkio.present = true;
      if (st->blkio.serviced.n == 0)
        continue;
      return blkio_v1_file (dir, sets[i][1], &st->blkio.service_bytes, err) < 0 ? -1 : 0;
    }
  return 0;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N".  */
static int
blkio_v2 (const char *dir, struct kago_cgroup_stats *st, kago_error_t *err)
{
  cleanup_free char *text = NULL;
  int r = read_opt (dir, "io.stat", &text, err);
  if (r <= 0)
    return r;
  st->blkio.present = true;
  for (char *line = text; *line;)
    {
      char *nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      unsigned long long maj, min;
      int used = 0;
      if (*line
          && (sscanf (line, "%llu:%llu%n", &maj, &min, &used) != 2 || (line[used] && line[used] != ' ')))
        return bad_value (err, dir, "io.stat", line);
      for (char *p = line + used; *line && *p;)
        {
          p += strspn (p, " ");
          if (!*p)
            break;
          char *end = p + strcspn (p, " ");
          char *eq = memchr (p, '=', (size_t) (end - p));
          uint64_t v;
          if (!eq || !parse_u64 (eq + 1, end, false, &v))
            return bad_value (err, dir, "io.stat", line);
          size_t klen = (size_t) (eq - p);
          struct kago_stats_blkio_list *l = NULL;
          const char *op = NULL;
          if (klen == 6 && strncmp (p, "rbytes", 6) == 0)
            l = &st->blkio.service_bytes, op = "Read";
          else if (klen == 6 && strncmp (p, "wbytes", 6) == 0)
            l = &st->blkio.service_bytes, op = "Write";
          else if (klen == 4 && strncmp (p, "rios", 4) == 0)
            l = &st->blkio.serviced, op = "Read";
          else if (klen == 4 && strncmp (p, "wios", 4) == 0)
            l = &st->blkio.serviced, op = "Write";
          if (l)
            blkio_add (l, maj, min, op, strlen (op), v);
          p = end;
        }
      if (!nl)
        break;
      line = nl + 1;
    }
  return 0;
}

/* ------------------------------------------------------------ hugetlb */

static int
cmp_hugetlb (const void *a, const void *b)
{
  return strcmp (((const struct kago_stats_hugetlb *) a)->page_size,
                 ((const struct kago_stats_hugetlb *) b)->page_size);
}

/* Page sizes are found from the file names: hugetlb.SIZE.usage_in_bytes
   (v1) or hugetlb.SIZE.current (v2; not the .rsvd. ones).  */
static int
stats_hugetlb (const char *dir, bool v2, struct kago_cgroup_stats *st, kago_error_t *err)
{
  const char *suffix = v2 ? ".current" : ".usage_in_bytes";
  size_t sl = strlen (suffix);
  cleanup_dir DIR *d = opendir (dir);
  if (!d)
    {
      if (errno == ENOENT)
        return 0;
      return kago_error_set (err, errno, "open `%s`", dir);
    }
  struct dirent *de;
  while ((de = readdir (d)))
    {
      const char *name = de->d_name;
      size_t len = strlen (name);
      if (strncmp (name, "hugetlb.", 8) != 0 || len <= 8 + sl || strcmp (name + len - sl, suffix) != 0)
        continue;
      cleanup_free char *size = xstrndup (name + 8, len - 8 - sl);
      if (strchr (size, '.'))
        continue;
      struct kago_stats_hugetlb h = { 0 };
      cleanup_free char *f_usage = xasprintf ("hugetlb.%s%s", size, suffix);
      cleanup_free char *f_limit = xasprintf ("hugetlb.%s.%s", size, v2 ? "max" : "limit_in_bytes");
      cleanup_free char *f_max = xasprintf ("hugetlb.%s.max_usage_in_bytes", size);
      cleanup_free char *f_fail = xasprintf ("hugetlb.%s.%s", size, v2 ? "events" : "failcnt");
      if (read_num (dir, f_usage, false, &h.usage, err) < 0
          || read_num (dir, f_limit, true, &h.limit, err) < 0)
        return -1;
      if (!v2 && read_num (dir, f_max, false, &h.max_usage, err) < 0)
        return -1;
      if (v2 ? cg_read_key_u64 (dir, f_fail, "max", &h.failcnt, err) < 0
             : read_num (dir, f_fail, false, &h.failcnt, err) < 0)
        return -1;
      h.page_size = steal_pointer (&size);
      st->hugetlb.e = xrealloc (st->hugetlb.e, (st->hugetlb.n + 1) * sizeof h);
      st->hugetlb.e[st->hugetlb.n++] = h;
    }
  if (st->hugetlb.n > 1)
    qsort (st->hugetlb.e, st->hugetlb.n, sizeof *st->hugetlb.e, cmp_hugetlb);
  return 0;
}

/* -------------------------------------------------------------- model */

void
kago_cgroup_stats_clear (struct kago_cgroup_stats *st)
{
  free (st->cpu.percpu);
  free (st->cpu.percpu_kernel);
  free (st->cpu.percpu_user);
  kv_free (st->memory.raw, st->memory.n_raw);
  blkio_list_clear (&st->blkio.service_bytes);
  blkio_list_clear (&st->blkio.serviced);
  for (size_t i = 0; i < st->hugetlb.n; i++)
    free (st->hugetlb.e[i].page_size);
  free (st->hugetlb.e);
  memset (st, 0, sizeof *st);
}

uint64_t
kago_cgroup_stats_raw (const struct kago_cgroup_stats *st, const char *key, uint64_t def)
{
  uint64_t v;
  return kv_get (st->memory.raw, st->memory.n_raw, key, &v) ? v : def;
}

int
kago_cgroup_stats (struct kago_cgroup *cg, struct kago_cgroup_stats *st, kago_error_t *err)
{
  memset (st, 0, sizeof *st);
  bool v2;
  const char *dir;
  if (stats_cpu (cg, st, err) < 0)
    goto fail;
  if ((dir = cg_source_dir (cg, "memory", &v2))
      && (v2 ? memory_v2 (dir, st, err) : memory_v1 (dir, st, err)) < 0)
    goto fail;
  if ((dir = cg_source_dir (cg, "pids", &v2)) && stats_pids (dir, st, err) < 0)
    goto fail;
  if ((dir = cg_source_dir (cg, "blkio", &v2))
      && (v2 ? blkio_v2 (dir, st, err) : blkio_v1 (dir, st, err)) < 0)
    goto fail;
  if ((dir = cg_source_dir (cg, "hugetlb", &v2)) && stats_hugetlb (dir, v2, st, err) < 0)
    goto fail;
  return 0;
fail:
  kago_cgroup_stats_clear (st);
  return kago_error_wrap (err, "container statistics");
}
