/* The cgroup manager against the real kernel (needs root; skipped
   otherwise).  Runs on the hybrid development hosts and, through
   tests/vm or shared/tools/v2vm, on a pure cgroup v2 host.

   Everything lives under a parent of the test's own, "/kago-test-<pid>",
   and is removed at the end: the hierarchies hold other services' cgroups
   that must not be touched.  */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "common/cleanup.h"
#include "common/syscalls.h"
#include "common/xalloc.h"
#include "tap.h"

static char parent[64];
static enum kago_cgroup_mode mode;

static char *
slurp (const char *path)
{
  char *out = NULL;
  kago_error_t err = NULL;
  if (cg_read ("/", path[0] == '/' ? path + 1 : path, &out, &err) < 0)
    {
      kago_error_release (&err);
      return NULL;
    }
  size_t n = strlen (out);
  while (n && out[n - 1] == '\n')
    out[--n] = '\0';
  return out;
}

static char *
cg_file (struct kago_cgroup *cg, const char *ctrl, const char *file)
{
  const char *dir = kago_cgroup_path (cg, ctrl);
  if (!dir)
    return NULL;
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  return slurp (p);
}

static pid_t
spawn_sleeper (void)
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      for (;;)
        pause ();
    }
  return pid;
}

static bool
dir_exists (const char *p)
{
  struct stat st;
  return stat (p, &st) == 0 && S_ISDIR (st.st_mode);
}

/* Is any directory named PARENT (the test's) left in any hierarchy?  */
static bool
leftovers (struct kago_cgroup *cg)
{
  bool any = false;
  const char *mp;
  for (size_t i = 0; kago_cgroup_hierarchy (cg, i, NULL, &mp, NULL); i++)
    {
      cleanup_free char *p = xasprintf ("%s%s", mp, parent);
      if (dir_exists (p))
        {
          printf ("# left behind: %s\n", p);
          any = true;
        }
    }
  return any;
}

static oci_device_cgroup dev_rules[2];

static void
init_resources (oci_resources *r)
{
  memset (r, 0, sizeof *r);
  r->has_memory = r->has_mem_limit = true;
  r->mem_limit = 268435456;
  r->has_cpu = r->has_cpu_shares = true;
  r->cpu_shares = 512;
  r->cpu_cpus = (char *) "0";
  r->has_pids_limit = true;
  r->pids_limit = 10;
  dev_rules[0] = (oci_device_cgroup){ .allow = false, .type = 'a', .access = (char *) "rwm" };
  dev_rules[1] = (oci_device_cgroup){ .allow = true,
                                      .type = 'c',
                                      .has_major = true,
                                      .major = 1,
                                      .has_minor = true,
                                      .minor = 3,
                                      .access = (char *) "rwm" };
  r->devices = dev_rules;
  r->n_devices = 2;
}

static void
report (kago_error_t *err)
{
  if (*err)
    {
      cleanup_free char *m = kago_error_string (*err);
      printf ("# %s\n", m);
      kago_error_release (err);
    }
}

static struct kago_cgroup *cg;
static pid_t sleeper = -1;

TEST (create_and_enter)
{
  kago_error_t err = NULL;
  oci_resources r;
  init_resources (&r);
  cleanup_free char *path = xasprintf ("%s/c1", parent);
  struct kago_cgroup_config cfg = { .id = "c1", .cgroups_path = path, .resources = &r };
  if (kago_cgroup_create (&cfg, &cg, &err) < 0)
    {
      cleanup_free char *m = kago_error_string (err);
      printf ("# create: %s\n", m);
      kago_error_release (&err);
      CHECK (0);
      return;
    }
  CHECK (kago_cgroup_get_mode (cg) == mode);
  sleeper = spawn_sleeper ();
  CHECK (kago_cgroup_enter (cg, sleeper, &err) == 0);
  if (err)
    {
      cleanup_free char *m = kago_error_string (err);
      printf ("# enter: %s\n", m);
      kago_error_release (&err);
    }
  cleanup_free char *pc = xasprintf ("/proc/%d/cgroup", sleeper);
  cleanup_free char *text = slurp (pc);
  const char *ctrls;
  size_t n = 0;
  for (size_t i = 0; kago_cgroup_hierarchy (cg, i, &ctrls, NULL, NULL); i++, n++)
    {
      cleanup_free char *got = cg_proc_cgroup_lookup (text, ctrls);
      if (!got || strcmp (got, path) != 0)
        {
          printf ("# %s: in %s, expected %s\n", ctrls[0] ? ctrls : "unified", got ? got : "(none)", path);
          tap_cur_failed = 1;
        }
    }
  CHECK (n >= 1);
  if (mode == KAGO_CGROUP_HYBRID)
    CHECK (cg_find (cg, NULL) && strstr (text, "0::") != NULL);
  printf ("# mode %s, %zu hierarchies\n", kago_cgroup_mode_name (mode), n);
}

TEST (resources_written)
{
  if (!cg)
    {
      CHECK (0);
      return;
    }
  if (mode == KAGO_CGROUP_V2)
    {
      cleanup_free char *mem = cg_file (cg, NULL, "memory.max");
      CHECK_STR (mem, "268435456");
      cleanup_free char *w = cg_file (cg, NULL, "cpu.weight");
      CHECK_STR (w, "20");
      cleanup_free char *cs = cg_file (cg, NULL, "cpuset.cpus");
      CHECK_STR (cs, "0");
      cleanup_free char *p = cg_file (cg, NULL, "pids.max");
      CHECK_STR (p, "10");
    }
  else
    {
      cleanup_free char *mem = cg_file (cg, "memory", "memory.limit_in_bytes");
      CHECK_STR (mem, "268435456");
      cleanup_free char *sh = cg_file (cg, "cpu", "cpu.shares");
      CHECK_STR (sh, "512");
      cleanup_free char *cs = cg_file (cg, "cpuset", "cpuset.cpus");
      CHECK_STR (cs, "0");
      cleanup_free char *p = cg_file (cg, "pids", "pids.max");
      CHECK_STR (p, "10");
      cleanup_free char *dl = cg_file (cg, "devices", "devices.list");
      CHECK_STR (dl, "c 1:3 rwm");
    }
}

/* A process in the cgroup may open /dev/null (c 1:3) but not /dev/zero.  */
TEST (devices_enforced)
{
  if (!cg)
    {
      CHECK (0);
      return;
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      kago_error_t err = NULL;
      if (kago_cgroup_enter (cg, getpid (), &err) < 0)
        _exit (10);
      int a = open ("/dev/null", O_RDWR);
      if (a < 0)
        _exit (11);
      int b = open ("/dev/zero", O_RDONLY);
      if (b >= 0)
        _exit (12);
      _exit (errno == EPERM ? 0 : 13);
    }
  int st = 0;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  if (WIFEXITED (st) && WEXITSTATUS (st))
    printf ("# device check child exited %d\n", WEXITSTATUS (st));
}

static int
device_probe (void)
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      kago_error_t err = NULL;
      if (kago_cgroup_enter (cg, getpid (), &err) < 0)
        _exit (10);
      int a = open ("/dev/null", O_RDWR) >= 0;
      int b = open ("/dev/zero", O_RDONLY) >= 0;
      _exit (a | (b << 1));
    }
  int st = 0;
  waitpid (pid, &st, 0);
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

/* Re-applying replaces the rules (v2: the old program is detached).  */
TEST (devices_update)
{
  if (!cg)
    {
      CHECK (0);
      return;
    }
  kago_error_t err = NULL;
  oci_resources r;
  memset (&r, 0, sizeof r);
  oci_device_cgroup rules[2] = {
    { .allow = false, .type = 'a', .access = (char *) "rwm" },
    { .allow = true,
      .type = 'c',
      .has_major = true,
      .major = 1,
      .has_minor = true,
      .minor = 5,
      .access = (char *) "r" },
  };
  r.devices = rules;
  r.n_devices = 2;
  CHECK (kago_cgroup_apply_resources (cg, &r, &err) == 0);
  report (&err);
  CHECK (device_probe () == 2); /* /dev/zero yes, /dev/null no */
  if (mode != KAGO_CGROUP_V2)
    {
      cleanup_free char *dl = cg_file (cg, "devices", "devices.list");
      CHECK_STR (dl, "c 1:5 r");
    }
  memset (&r, 0, sizeof r);
  r.devices = dev_rules;
  r.n_devices = 2;
  CHECK (kago_cgroup_apply_resources (cg, &r, &err) == 0);
  CHECK (device_probe () == 1);
  report (&err);
}

/* CLONE_INTO_CGROUP into the unified hierarchy (v2, and hybrid's cgroup2),
   plus the v1 self-join (the child writes "0" to each v1 tasks file that
   the parent opened), the way the runtime launches the init.  */
TEST (clone_into_cgroup)
{
  if (!cg)
    {
      CHECK (0);
      return;
    }
  kago_error_t err = NULL;
  int fd = kago_cgroup_clone_fd (cg);
  if (mode == KAGO_CGROUP_V1)
    {
      CHECK (fd == -1);
      return;
    }
  CHECK (fd >= 0);
  int jfds[32];
  int nj = kago_cgroup_open_self_join (cg, jfds, 32, &err);
  CHECK (nj >= 0 && (mode == KAGO_CGROUP_V2 ? nj == 0 : nj >= 1));
  report (&err);
  struct kago_clone_args a = { 0 };
  a.flags = CLONE_INTO_CGROUP;
  a.exit_signal = SIGCHLD;
  a.cgroup = (uint64_t) fd;
  long pid = kago_clone3 (&a, sizeof a);
  if (pid == 0)
    {
      if (kago_cgroup_self_join (jfds, nj > 0 ? (size_t) nj : 0, &err) < 0)
        _exit (1);
      pause ();
      _exit (0);
    }
  for (int i = 0; i < nj; i++)
    close (jfds[i]);
  CHECK (pid > 0);
  if (pid <= 0)
    return;
  CHECK (kago_cgroup_enter_rest (cg, (pid_t) pid, true, true, &err) == 0);
  report (&err);
  cleanup_free char *want = xasprintf ("%s/c1", parent);
  cleanup_free char *pc = xasprintf ("/proc/%ld/cgroup", pid);
  /* The self-join happens in the child: wait for it.  */
  bool ok = false;
  for (int i = 0; i < 200 && !ok; i++)
    {
      cleanup_free char *text = slurp (pc);
      const char *ctrls;
      ok = text != NULL;
      for (size_t k = 0; ok && kago_cgroup_hierarchy (cg, k, &ctrls, NULL, NULL); k++)
        {
          cleanup_free char *got = cg_proc_cgroup_lookup (text, ctrls);
          ok = got && strcmp (got, want) == 0;
        }
      if (!ok)
        {
          struct timespec ts = { 0, 5 * 1000 * 1000 };
          nanosleep (&ts, NULL);
        }
    }
  CHECK (ok);
  kill ((pid_t) pid, SIGKILL);
  waitpid ((pid_t) pid, NULL, 0);
}

TEST (pids_listed)
{
  if (!cg)
    {
      CHECK (0);
      return;
    }
  kago_error_t err = NULL;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  CHECK (kago_cgroup_pids (cg, &pids, &n, &err) == 0);
  bool found = false;
  for (size_t i = 0; i < n; i++)
    found |= pids[i] == sleeper;
  CHECK (found);
}

TEST (freeze_thaw)
{
  if (!cg)
    {
      CHECK (0);
      return;
    }
  kago_error_t err = NULL;
  bool frozen = true;
  CHECK (kago_cgroup_is_frozen (cg, &frozen, &err) == 0 && !frozen);
  CHECK (kago_cgroup_freeze (cg, true, &err) == 0);
  if (err)
    {
      cleanup_free char *m = kago_error_string (err);
      printf ("# freeze: %s\n", m);
      kago_error_release (&err);
    }
  CHECK (kago_cgroup_is_frozen (cg, &frozen, &err) == 0 && frozen);
  if (mode != KAGO_CGROUP_V2)
    {
      cleanup_free char *st = cg_file (cg, "freezer", "freezer.state");
      CHECK_STR (st, "FROZEN");
    }
  else
    {
      cleanup_free char *ev = cg_file (cg, NULL, "cgroup.events");
      CHECK_CONTAINS (ev, "frozen 1");
    }
  CHECK (kago_cgroup_freeze (cg, false, &err) == 0);
  CHECK (kago_cgroup_is_frozen (cg, &frozen, &err) == 0 && !frozen);
  if (mode != KAGO_CGROUP_V2)
    {
      cleanup_free char *st = cg_file (cg, "freezer", "freezer.state");
      CHECK_STR (st, "THAWED");
    }
  kago_error_release (&err);
}

/* A process that keeps forking cannot escape kill_all (the freeze, signal,
   thaw path, on v1 and v2).  */
TEST (kill_all_forker)
{
  if (!cg)
    {
      CHECK (0);
      return;
    }
  kago_error_t err = NULL;
  pid_t forker = fork ();
  if (forker == 0)
    {
      if (kago_cgroup_enter (cg, getpid (), &err) < 0)
        _exit (1);
      for (;;)
        {
          pid_t c = fork ();
          if (c == 0)
            {
              struct timespec ts = { 0, 20 * 1000 * 1000 };
              nanosleep (&ts, NULL);
              _exit (0);
            }
          if (c > 0)
            waitpid (c, NULL, 0);
        }
    }
  struct timespec ts = { 0, 100 * 1000 * 1000 };
  nanosleep (&ts, NULL);
  CHECK (kago_cgroup_kill_all (cg, SIGTERM, &err) == 0);
  report (&err);
  int st = 0;
  CHECK (waitpid (forker, &st, 0) == forker && WIFSIGNALED (st) && WTERMSIG (st) == SIGTERM);
  CHECK (waitpid (sleeper, &st, 0) == sleeper && WIFSIGNALED (st) && WTERMSIG (st) == SIGTERM);
  sleeper = -1;
  bool frozen = true;
  CHECK (kago_cgroup_is_frozen (cg, &frozen, &err) == 0 && !frozen);
  /* Let the grandchildren (reparented to init) go.  */
  cleanup_free pid_t *pids = NULL;
  size_t n = 1;
  for (int i = 0; i < 100 && n; i++)
    {
      free (pids);
      pids = NULL;
      kago_cgroup_pids (cg, &pids, &n, &err);
      if (n)
        nanosleep (&ts, NULL);
    }
  CHECK (n == 0);
  kago_error_release (&err);
}

/* SIGKILL reaches a paused container, which is thawed afterwards.  */
TEST (kill_all_frozen)
{
  if (!cg)
    {
      CHECK (0);
      return;
    }
  kago_error_t err = NULL;
  pid_t p = spawn_sleeper ();
  CHECK (kago_cgroup_enter (cg, p, &err) == 0);
  CHECK (kago_cgroup_freeze (cg, true, &err) == 0);
  CHECK (kago_cgroup_kill_all (cg, SIGKILL, &err) == 0);
  report (&err);
  int st = 0;
  CHECK (waitpid (p, &st, 0) == p && WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL);
  bool frozen = true;
  CHECK (kago_cgroup_is_frozen (cg, &frozen, &err) == 0 && !frozen);
  kago_error_release (&err);
}

TEST (state_and_destroy)
{
  if (!cg)
    {
      CHECK (0);
      return;
    }
  kago_error_t err = NULL;
  json_value *j = kago_cgroup_to_json (cg);
  struct kago_cgroup *back = NULL;
  CHECK (kago_cgroup_from_json (j, &back, &err) == 0);
  json_free (j);
  if (!back)
    return;
  /* A process is still inside: destroy kills it.  */
  pid_t p = spawn_sleeper ();
  CHECK (kago_cgroup_enter (back, p, &err) == 0);
  CHECK (kago_cgroup_destroy (back, &err) == 0);
  if (err)
    {
      cleanup_free char *m = kago_error_string (err);
      printf ("# destroy: %s\n", m);
      kago_error_release (&err);
    }
  waitpid (p, NULL, 0);
  CHECK (!leftovers (back));
  /* Idempotent.  */
  CHECK (kago_cgroup_destroy (back, &err) == 0);
  CHECK (kago_cgroup_destroy (cg, &err) == 0);
  kago_cgroup_free (back);
  kago_cgroup_free (cg);
  cg = NULL;
}

/* A failing create leaves nothing, and a pre-existing parent survives.  */
TEST (failure_leaves_nothing)
{
  kago_error_t err = NULL;
  oci_resources r;
  init_resources (&r);
  r.cpu_cpus = (char *) "4095";
  cleanup_free char *path = xasprintf ("%s/deep/c2", parent);
  struct kago_cgroup_config cfg = { .id = "c2", .cgroups_path = path, .resources = &r };
  struct kago_cgroup *c2 = NULL;
  CHECK (kago_cgroup_create (&cfg, &c2, &err) < 0);
  CHECK (err && strstr (err->msg, "linux.resources.cpu.cpus: write `4095` to"));
  if (err)
    printf ("# %s\n", err->msg);
  kago_error_release (&err);

  /* Unsupported settings are refused by name.  */
  init_resources (&r);
  r.has_blkio = r.has_blkio_leaf_weight = true;
  r.blkio_leaf_weight = 300;
  struct cg_layout l = { 0 };
  CHECK (cg_layout_detect (NULL, &l, &err) == 0);
  CHECK (kago_cgroup_create (&cfg, &c2, &err) < 0);
  CHECK (err && strstr (err->msg, "linux.resources.blockIO.leafWeight"));
  if (err)
    printf ("# %s\n", err->msg);
  kago_error_release (&err);

  /* Nothing is left, in any hierarchy.  */
  for (size_t i = 0; i < l.n; i++)
    {
      cleanup_free char *p = xasprintf ("%s%s", l.m[i].mount_point, parent);
      if (dir_exists (p))
        {
          printf ("# left behind: %s\n", p);
          tap_cur_failed = 1;
        }
    }

  /* The parent exists beforehand: destroy leaves it.  */
  for (size_t i = 0; i < l.n; i++)
    {
      cleanup_free char *p = xasprintf ("%s%s", l.m[i].mount_point, parent);
      mkdir (p, 0755);
    }
  init_resources (&r);
  cleanup_free char *p3 = xasprintf ("%s/c3", parent);
  cfg.cgroups_path = p3;
  cfg.id = "c3";
  CHECK (kago_cgroup_create (&cfg, &c2, &err) == 0);
  if (c2)
    {
      CHECK (c2->h[0].created == 1);
      CHECK (kago_cgroup_destroy (c2, &err) == 0);
      kago_cgroup_free (c2);
    }
  for (size_t i = 0; i < l.n; i++)
    {
      cleanup_free char *p = xasprintf ("%s%s", l.m[i].mount_point, parent);
      cleanup_free char *leaf = xasprintf ("%s/c3", p);
      CHECK (dir_exists (p));
      CHECK (!dir_exists (leaf));
      rmdir (p);
    }
  cg_layout_clear (&l);
  kago_error_release (&err);
}

/* Memory+swap in both write orders, cpu quota/period, unified, errors.  */
TEST (more_resources)
{
  kago_error_t err = NULL;
  oci_resources r;
  memset (&r, 0, sizeof r);
  r.has_memory = r.has_mem_limit = r.has_mem_swap = r.has_mem_reservation = r.has_mem_kernel = true;
  r.mem_limit = 134217728;
  r.mem_swap = 268435456;
  r.mem_reservation = 67108864;
  r.mem_kernel = 67108864; /* a warning, never an error */
  r.has_cpu = r.has_cpu_quota = r.has_cpu_period = true;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  oci_kv kv = { (char *) "cgroup.max.descendants", (char *) "5" };
  if (mode != KAGO_CGROUP_V1)
    {
      r.unified.items = &kv;
      r.unified.n = 1;
    }
  bool swap = mode == KAGO_CGROUP_V2
                  ? true
                  : access ("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0;
  if (!swap)
    r.has_mem_swap = false;
  cleanup_free char *path = xasprintf ("%s/c4", parent);
  struct kago_cgroup_config cfg = { .id = "c4", .cgroups_path = path, .resources = &r };
  struct kago_cgroup *c4 = NULL;
  CHECK (kago_cgroup_create (&cfg, &c4, &err) == 0);
  report (&err);
  if (!c4)
    return;
  const char *memctl = mode == KAGO_CGROUP_V2 ? NULL : "memory";
  const char *cpuctl = mode == KAGO_CGROUP_V2 ? NULL : "cpu";
  struct
  {
    int64_t limit, swap;
    const char *v1_limit, *v1_swap, *v2_max, *v2_swap;
  } steps[] = {
    { 134217728, 268435456, "134217728", "268435456", "134217728", "134217728" },
    { 67108864, 67108864, "67108864", "67108864", "67108864", "0" },                /* shrink: limit first */
    { 536870912, 1073741824, "536870912", "1073741824", "536870912", "536870912" }, /* grow: swap first */
    { -1, 0, "9223372036854771712", "9223372036854771712", "max", "max" },
  };
  for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
    {
      if (i > 0)
        {
          memset (&r, 0, sizeof r);
          r.has_memory = r.has_mem_limit = true;
          r.has_mem_swap = swap;
          r.mem_limit = steps[i].limit;
          r.mem_swap = steps[i].swap;
          CHECK (kago_cgroup_apply_resources (c4, &r, &err) == 0);
          report (&err);
        }
      cleanup_free char *l
          = cg_file (c4, memctl, mode == KAGO_CGROUP_V2 ? "memory.max" : "memory.limit_in_bytes");
      CHECK_STR (l, mode == KAGO_CGROUP_V2 ? steps[i].v2_max : steps[i].v1_limit);
      if (swap)
        {
          cleanup_free char *s = cg_file (
              c4, memctl, mode == KAGO_CGROUP_V2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
          CHECK_STR (s, mode == KAGO_CGROUP_V2 ? steps[i].v2_swap : steps[i].v1_swap);
        }
    }
  if (mode == KAGO_CGROUP_V2)
    {
      cleanup_free char *cm = cg_file (c4, NULL, "cpu.max");
      CHECK_STR (cm, "50000 100000");
      cleanup_free char *low = cg_file (c4, NULL, "memory.low");
      CHECK_STR (low, "67108864");
    }
  else
    {
      cleanup_free char *q = cg_file (c4, cpuctl, "cpu.cfs_quota_us");
      CHECK_STR (q, "50000");
      cleanup_free char *soft = cg_file (c4, memctl, "memory.soft_limit_in_bytes");
      CHECK_STR (soft, "67108864");
    }
  if (mode != KAGO_CGROUP_V1)
    {
      cleanup_free char *d = cg_file (c4, NULL, "cgroup.max.descendants");
      CHECK_STR (d, "5");
    }
  /* hugetlb where the hierarchy has it (v2; v1 hugetlb is absent here).  */
  const char *hdir = mode == KAGO_CGROUP_V2 ? kago_cgroup_path (c4, NULL) : kago_cgroup_path (c4, "hugetlb");
  if (hdir && (cg_has_file (hdir, "hugetlb.2MB.max") || cg_has_file (hdir, "hugetlb.2MB.limit_in_bytes")))
    {
      oci_hugepage_limit hp = { (char *) "2MB", 4194304 };
      memset (&r, 0, sizeof r);
      r.hugepage_limits = &hp;
      r.n_hugepage_limits = 1;
      CHECK (kago_cgroup_apply_resources (c4, &r, &err) == 0);
      report (&err);
      cleanup_free char *v
          = cg_file (c4, mode == KAGO_CGROUP_V2 ? NULL : "hugetlb",
                     mode == KAGO_CGROUP_V2 ? "hugetlb.2MB.max" : "hugetlb.2MB.limit_in_bytes");
      CHECK_STR (v, "4194304");
    }
  else
    printf ("# no hugetlb controller here: hugepageLimits not tested\n");
  /* Only the period: the quota stays.  */
  memset (&r, 0, sizeof r);
  r.has_cpu = r.has_cpu_period = true;
  r.cpu_period = 200000;
  CHECK (kago_cgroup_apply_resources (c4, &r, &err) == 0);
  report (&err);
  if (mode == KAGO_CGROUP_V2)
    {
      cleanup_free char *cm = cg_file (c4, NULL, "cpu.max");
      CHECK_STR (cm, "50000 200000");
    }
  else
    {
      cleanup_free char *q = cg_file (c4, cpuctl, "cpu.cfs_quota_us");
      CHECK_STR (q, "50000");
      cleanup_free char *pe = cg_file (c4, cpuctl, "cpu.cfs_period_us");
      CHECK_STR (pe, "200000");
    }
  /* A value the kernel refuses names the field and the file.  */
  memset (&r, 0, sizeof r);
  r.has_pids_limit = true;
  r.pids_limit = 5;
  r.has_cpu = r.has_cpu_shares = true;
  r.cpu_shares = 1;
  int rc = kago_cgroup_apply_resources (c4, &r, &err);
  if (mode == KAGO_CGROUP_V2)
    CHECK (rc == 0); /* clamped to weight 1 */
  else
    CHECK (rc < 0 && err && strstr (err->msg, "linux.resources.cpu.shares"));
  report (&err);
  /* blockIO.weight: no blkio.weight without BFQ on the hybrid hosts.  */
  memset (&r, 0, sizeof r);
  r.has_blkio = r.has_blkio_weight = true;
  r.blkio_weight = 500;
  rc = kago_cgroup_apply_resources (c4, &r, &err);
  if (mode != KAGO_CGROUP_V2 && !cg_has_file (kago_cgroup_path (c4, "blkio"), "blkio.weight")
      && !cg_has_file (kago_cgroup_path (c4, "blkio"), "blkio.bfq.weight"))
    {
      CHECK (rc < 0);
      CHECK_STR (err ? err->msg : NULL,
                 "linux.resources.blockIO.weight: not supported on this host (no blkio.weight file)");
    }
  else if (mode != KAGO_CGROUP_V2 && cg_has_file (kago_cgroup_path (c4, "blkio"), "blkio.bfq.weight"))
    {
      cleanup_free char *w = cg_file (c4, "blkio", "blkio.bfq.weight");
      CHECK (rc == 0);
      CHECK_STR (w, "500");
    }
  report (&err);
  /* network on v2 / without net_cls is refused by name.  */
  memset (&r, 0, sizeof r);
  r.has_net_class_id = true;
  r.net_class_id = 7;
  rc = kago_cgroup_apply_resources (c4, &r, &err);
  if (!cg_find (c4, "net_cls") || mode == KAGO_CGROUP_V2)
    CHECK (rc < 0 && err && strstr (err->msg, "linux.resources.network.classID"));
  report (&err);
  CHECK (kago_cgroup_destroy (c4, &err) == 0);
  report (&err);
  kago_cgroup_free (c4);
}

int
main (void)
{
  if (geteuid () != 0)
    {
      printf ("ok 1 # SKIP not root\n1..1\n");
      return 0;
    }
  kago_error_t err = NULL;
  if (kago_cgroup_detect (NULL, &mode, &err) < 0)
    {
      printf ("ok 1 # SKIP no cgroup file system: %s\n1..1\n", err->msg);
      return 0;
    }
  snprintf (parent, sizeof parent, "/kago-test-%d", (int) getpid ());
  RUN (create_and_enter);
  RUN (resources_written);
  RUN (devices_enforced);
  RUN (devices_update);
  RUN (clone_into_cgroup);
  RUN (pids_listed);
  RUN (freeze_thaw);
  RUN (kill_all_forker);
  RUN (kill_all_frozen);
  RUN (state_and_destroy);
  RUN (more_resources);
  RUN (failure_leaves_nothing);
  if (sleeper > 0)
    {
      kill (sleeper, SIGKILL);
      waitpid (sleeper, NULL, 0);
    }
  if (cg)
    {
      kago_cgroup_destroy (cg, &err);
      kago_cgroup_free (cg);
    }
  return tap_done ();
}
