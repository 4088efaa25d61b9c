/* Pure logic of the cgroup manager: mountinfo and /proc/self/cgroup
   parsing, cgroupsPath resolution, systemd paths, v2 conversions, device
   rules and the device eBPF program, layout detection on a fake tree and the
   state round trip.  */
#include <linux/bpf.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "tap.h"

static const char hybrid_mountinfo[]
    = "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
      "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
      "99 98 0:32 /docker/x /var/lib/c/rootfs/sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
      "100 31 0:32 / /sys/fs/cgroup/mem\\040ory rw - cgroup cgroup rw,memory\n";

static const struct cg_mount *
find_mount (const struct cg_layout *l, const char *ctrls)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->m[i].controllers, ctrls) == 0)
      return &l->m[i];
  return NULL;
}

TEST (mountinfo_hybrid)
{
  struct cg_layout l = { 0 };
  cg_parse_mountinfo (hybrid_mountinfo, "/sys/fs/cgroup", &l);
  CHECK (l.n == 6);
  const struct cg_mount *m = find_mount (&l, "cpu,cpuacct");
  CHECK (m && strcmp (m->mount_point, "/sys/fs/cgroup/cpu,cpuacct") == 0);
  CHECK (find_mount (&l, "cpuset") != NULL);
  m = find_mount (&l, "name=systemd");
  CHECK (m && strcmp (m->mount_point, "/sys/fs/cgroup/systemd") == 0);
  m = find_mount (&l, "memory");
  /* The second mount of the memory hierarchy (escaped name) is dropped.  */
  CHECK (m && strcmp (m->mount_point, "/sys/fs/cgroup/memory") == 0);
  m = find_mount (&l, "");
  CHECK (m && m->unified && strcmp (m->mount_point, "/sys/fs/cgroup/unified") == 0);
  cg_layout_clear (&l);

  /* The escape is decoded; a mount with a non-root root is kept as such.  */
  cg_parse_mountinfo ("100 31 0:32 /docker/x /c/mem\\040ory rw - cgroup cgroup rw,memory\n", "/c", &l);
  CHECK (l.n == 1);
  if (l.n == 1)
    {
      CHECK_STR (l.m[0].mount_point, "/c/mem ory");
      CHECK_STR (l.m[0].mount_root, "/docker/x");
    }
  cg_layout_clear (&l);

  /* A tmpfs mounted over a hierarchy hides it.  */
  cg_parse_mountinfo ("1 0 0:1 / /r/cpu rw - cgroup cgroup rw,cpu\n2 0 0:2 / /r/cpu rw - tmpfs tmpfs rw\n",
                      "/r", &l);
  CHECK (l.n == 0);
  cg_layout_clear (&l);
}

TEST (mountinfo_v2)
{
  struct cg_layout l = { 0 };
  cg_parse_mountinfo ("30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
                      "/sys/fs/cgroup", &l);
  CHECK (l.n == 1 && l.m[0].unified);
  cg_layout_clear (&l);
}

TEST (controllers_sets)
{
  CHECK (cg_controllers_has ("cpu,cpuacct", "cpuacct"));
  CHECK (cg_controllers_has ("cpu,cpuacct", "cpu"));
  CHECK (!cg_controllers_has ("cpuacct", "cpu"));
  CHECK (!cg_controllers_has ("", "cpu"));
  CHECK (cg_controllers_equal ("cpu,cpuacct", "cpuacct,cpu"));
  CHECK (!cg_controllers_equal ("cpu,cpuacct", "cpu"));
}

TEST (proc_cgroup)
{
  const char *t = "9:name=systemd:/\n4:memory:/process_api/8a1a\n2:cpuacct,cpu:/a:b\n0::/user.slice\n";
  cleanup_free char *m = cg_proc_cgroup_lookup (t, "memory");
  CHECK_STR (m, "/process_api/8a1a");
  cleanup_free char *c = cg_proc_cgroup_lookup (t, "cpu,cpuacct");
  CHECK_STR (c, "/a:b");
  cleanup_free char *u = cg_proc_cgroup_lookup (t, "");
  CHECK_STR (u, "/user.slice");
  cleanup_free char *s = cg_proc_cgroup_lookup (t, "name=systemd");
  CHECK_STR (s, "/");
  CHECK (cg_proc_cgroup_lookup (t, "pids") == NULL);
}

TEST (clean_and_resolve)
{
  struct
  {
    const char *in, *out;
  } clean[] = {
    { "/a//b/../c/.", "/a/c" }, { "/../..", "/" }, { "", "/" }, { "a/b", "/a/b" }, { "/a/b/", "/a/b" }
  };
  for (size_t i = 0; i < sizeof clean / sizeof *clean; i++)
    {
      cleanup_free char *r = cg_clean_path (clean[i].in);
      CHECK_STR (r, clean[i].out);
    }
  cleanup_free char *a = cg_resolve_path ("/docker/abc", "abc", "/ignored");
  CHECK_STR (a, "/docker/abc");
  cleanup_free char *b = cg_resolve_path ("/libpod_parent/libpod-abc", "abc", NULL);
  CHECK_STR (b, "/libpod_parent/libpod-abc");
  cleanup_free char *c = cg_resolve_path (NULL, "abc", "/x");
  CHECK_STR (c, "/kago/abc");
  cleanup_free char *d = cg_resolve_path ("", "abc", "/x");
  CHECK_STR (d, "/kago/abc");
  cleanup_free char *e = cg_resolve_path ("ns/abc", "abc", "/process_api/8a1a");
  CHECK_STR (e, "/process_api/8a1a/ns/abc");
  cleanup_free char *f = cg_resolve_path ("../../../../x", "abc", "/own");
  CHECK_STR (f, "/x");
  cleanup_free char *g = cg_resolve_path ("/default/abc/../../etc", "abc", NULL);
  CHECK_STR (g, "/etc");
}

TEST (systemd_paths)
{
  kago_error_t err = NULL;
  cleanup_free char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *f = NULL;
  CHECK (cg_systemd_path ("system.slice:docker:ID", "ID", &a, &err) == 0);
  CHECK_STR (a, "/system.slice/docker-ID.scope");
  CHECK (cg_systemd_path ("user-1000.slice:libpod:x", "x", &b, &err) == 0);
  CHECK_STR (b, "/user.slice/user-1000.slice/libpod-x.scope");
  CHECK (cg_systemd_path ("-.slice:p:x", "x", &c, &err) == 0);
  CHECK_STR (c, "/p-x.scope");
  CHECK (cg_systemd_path ("machine.slice:p:sub.slice", "x", &d, &err) == 0);
  CHECK_STR (d, "/machine.slice/sub.slice");
  CHECK (cg_systemd_path (NULL, "id1", &e, &err) == 0);
  CHECK_STR (e, "/system.slice/kago-id1.scope");
  CHECK (cg_systemd_path (":p:n", "n", &f, &err) == 0);
  CHECK_STR (f, "/system.slice/p-n.scope");

  char *bad = NULL;
  CHECK (cg_systemd_path ("/docker/abc", "abc", &bad, &err) < 0);
  CHECK (err && strstr (err->msg, "slice:prefix:name"));
  kago_error_release (&err);
  CHECK (cg_systemd_path ("a:b:c:d", "d", &bad, &err) < 0);
  kago_error_release (&err);
  CHECK (cg_systemd_path ("a--b.slice:p:n", "n", &bad, &err) < 0);
  kago_error_release (&err);
  CHECK (cg_systemd_path ("notaslice:p:n", "n", &bad, &err) < 0);
  kago_error_release (&err);
  CHECK (cg_systemd_expand_slice ("-a.slice", &bad, &err) < 0);
  kago_error_release (&err);
  CHECK (cg_systemd_expand_slice (".slice", &bad, &err) < 0);
  kago_error_release (&err);
}

TEST (shares_to_weight)
{
  CHECK (cg_shares_to_weight (0) == 0);
  CHECK (cg_shares_to_weight (2) == 1);
  CHECK (cg_shares_to_weight (262144) == 10000);
  CHECK (cg_shares_to_weight (1024) == 39);
  CHECK (cg_shares_to_weight (512) == 20);
  CHECK (cg_shares_to_weight (1) == 1);
  CHECK (cg_shares_to_weight (1000000) == 10000);
  CHECK (cg_blkio_weight_to_io_weight (10) == 1);
  CHECK (cg_blkio_weight_to_io_weight (1000) == 10000);
  CHECK (cg_blkio_weight_to_io_weight (500) == 1 + (490 * 9999) / 990);
}

TEST (swap_v2)
{
  kago_error_t err = NULL;
  int64_t out = 7;
  CHECK (cg_v2_swap (268435456, 536870912, &out, &err) == 1 && out == 268435456);
  CHECK (cg_v2_swap (268435456, 268435456, &out, &err) == 1 && out == 0);
  CHECK (cg_v2_swap (-1, 0, &out, &err) == 1 && out == -1);
  CHECK (cg_v2_swap (100, -1, &out, &err) == 1 && out == -1);
  CHECK (cg_v2_swap (100, 0, &out, &err) == 0);
  CHECK (cg_v2_swap (0, 0, &out, &err) == 0);
  CHECK (cg_v2_swap (200, 100, &out, &err) < 0);
  CHECK (err && strstr (err->msg, "memory.swap"));
  kago_error_release (&err);
  CHECK (cg_v2_swap (0, 100, &out, &err) < 0);
  kago_error_release (&err);
}

TEST (cpu_max)
{
  cleanup_free char *a = cg_v2_cpu_max (50000, 100000, NULL);
  CHECK_STR (a, "50000 100000");
  cleanup_free char *b = cg_v2_cpu_max (-1, 100000, NULL);
  CHECK_STR (b, "max 100000");
  cleanup_free char *c = cg_v2_cpu_max (0, 20000, "30000");
  CHECK_STR (c, "30000 20000");
  cleanup_free char *d = cg_v2_cpu_max (0, 20000, NULL);
  CHECK_STR (d, "max 20000");
  cleanup_free char *e = cg_v2_cpu_max (25000, 0, NULL);
  CHECK_STR (e, "25000");
  CHECK (cg_v2_cpu_max (0, 0, NULL) == NULL);
}

static oci_device_cgroup
rule (bool allow, char type, int64_t major, int64_t minor, const char *access)
{
  oci_device_cgroup d = { 0 };
  d.allow = allow;
  d.type = type;
  d.has_major = major >= 0;
  d.major = major;
  d.has_minor = minor >= 0;
  d.minor = minor;
  d.access = (char *) access;
  return d;
}

TEST (v1_device_lines)
{
  oci_device_cgroup a = rule (false, 'a', -1, -1, "rwm");
  cleanup_free char *la = cg_v1_device_line (&a);
  CHECK_STR (la, "a *:* rwm");
  oci_device_cgroup b = rule (true, 'c', 1, 3, "rwm");
  cleanup_free char *lb = cg_v1_device_line (&b);
  CHECK_STR (lb, "c 1:3 rwm");
  oci_device_cgroup c = rule (true, 'c', 136, -1, NULL);
  cleanup_free char *lc = cg_v1_device_line (&c);
  CHECK_STR (lc, "c 136:* rwm");
  oci_device_cgroup d = rule (true, 'b', -1, -1, "m");
  cleanup_free char *ld = cg_v1_device_line (&d);
  CHECK_STR (ld, "b *:* m");

  kago_error_t err = NULL;
  oci_device_cgroup bad[] = { rule (true, 'x', 1, 1, "r") };
  CHECK (cg_devices_validate (bad, 1, &err) < 0);
  kago_error_release (&err);
  oci_device_cgroup bad2[] = { rule (true, 'c', 1, 1, "rx") };
  CHECK (cg_devices_validate (bad2, 1, &err) < 0);
  CHECK (err && strstr (err->msg, "devices[0].access"));
  kago_error_release (&err);
  oci_device_cgroup bad3[] = { rule (true, 'c', 1, 1, "") };
  CHECK (cg_devices_validate (bad3, 1, &err) < 0);
  kago_error_release (&err);
}

/* A tiny interpreter for the generated program's subset, to check its
   decisions and not only its shape.  */
static int
run_prog (const struct bpf_insn *p, size_t n, uint32_t type, uint32_t access, uint32_t major, uint32_t minor)
{
  uint64_t r[11] = { 0 };
  uint32_t ctx[3] = { (access << 16) | type, major, minor };
  for (size_t pc = 0; pc < n; pc++)
    {
      const struct bpf_insn *i = &p[pc];
      switch (i->code)
        {
        case BPF_LDX | BPF_MEM | BPF_W:
          r[i->dst_reg] = ctx[i->off / 4];
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          r[i->dst_reg] = (uint32_t) (r[i->dst_reg] & (uint32_t) i->imm);
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          r[i->dst_reg] = (uint32_t) r[i->dst_reg] >> i->imm;
          break;
        case BPF_ALU | BPF_MOV | BPF_X:
          r[i->dst_reg] = (uint32_t) r[i->src_reg];
          break;
        case BPF_ALU | BPF_MOV | BPF_K:
          r[i->dst_reg] = (uint32_t) i->imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
          if (r[i->dst_reg] != (uint64_t) (int64_t) i->imm)
            pc += (size_t) i->off;
          break;
        case BPF_JMP | BPF_JNE | BPF_X:
          if (r[i->dst_reg] != r[i->src_reg])
            pc += (size_t) i->off;
          break;
        case BPF_JMP | BPF_JEQ | BPF_K:
          if (r[i->dst_reg] == (uint64_t) (int64_t) i->imm)
            pc += (size_t) i->off;
          break;
        case BPF_JMP | BPF_EXIT:
          return (int) r[0];
        default:
          return -1;
        }
    }
  return -2;
}

#define CHR BPF_DEVCG_DEV_CHAR
#define BLK BPF_DEVCG_DEV_BLOCK
#define RD BPF_DEVCG_ACC_READ
#define WR BPF_DEVCG_ACC_WRITE
#define MK BPF_DEVCG_ACC_MKNOD

TEST (bpf_program)
{
  kago_error_t err = NULL;
  /* Docker's default list.  */
  oci_device_cgroup rules[] = {
    rule (false, 'a', -1, -1, "rwm"), rule (true, 'c', -1, -1, "m"), rule (true, 'b', -1, -1, "m"),
    rule (true, 'c', 1, 3, "rwm"),    rule (true, 'c', 1, 5, "rwm"), rule (true, 'c', 136, -1, "rwm"),
    rule (false, 'c', 1, 5, "w"),
  };
  size_t nr = sizeof rules / sizeof *rules;
  struct bpf_insn *p = NULL;
  size_t n = 0;
  CHECK (cg_bpf_devices_prog (rules, nr, &p, &n, &err) == 0);
  /* prologue 6; deny c 1:5 w: 1+3+1+1+2 = 8; c 136:* rwm: 1+1+2 = 4;
     c 1:5 rwm: 1+1+1+2 = 5; c 1:3 rwm: 5; b *:* m: 1+3+2 = 6; c *:* m: 6;
     deny-all "a": 2 (ends the list).  */
  CHECK (n == 6 + 8 + 4 + 5 + 5 + 6 + 6 + 2);
  CHECK (p[0].code == (BPF_LDX | BPF_MEM | BPF_W) && p[0].dst_reg == BPF_REG_2);
  CHECK (p[n - 1].code == (BPF_JMP | BPF_EXIT));
  CHECK (p[n - 2].code == (BPF_ALU | BPF_MOV | BPF_K) && p[n - 2].imm == 0);

  CHECK (run_prog (p, n, CHR, RD, 1, 3) == 1);
  CHECK (run_prog (p, n, CHR, WR, 1, 3) == 1);
  CHECK (run_prog (p, n, CHR, RD, 1, 5) == 1);
  CHECK (run_prog (p, n, CHR, WR, 1, 5) == 0); /* the last rule wins */
  /* A deny of "w" applies to a read-write open too, as in the v1 kernel.  */
  CHECK (run_prog (p, n, CHR, RD | WR, 1, 5) == 0);
  CHECK (run_prog (p, n, CHR, RD | WR, 1, 3) == 1);
  CHECK (run_prog (p, n, CHR, RD, 136, 7) == 1);
  CHECK (run_prog (p, n, CHR, RD, 1, 4) == 0);
  CHECK (run_prog (p, n, CHR, MK, 1, 4) == 1);
  CHECK (run_prog (p, n, BLK, MK, 8, 0) == 1);
  CHECK (run_prog (p, n, BLK, RD, 8, 0) == 0);
  free (p);

  /* No "a" rule: nothing matched is denied.  */
  oci_device_cgroup one[] = { rule (true, 'c', 1, 3, "r") };
  CHECK (cg_bpf_devices_prog (one, 1, &p, &n, &err) == 0);
  CHECK (n == 6 + 1 + 3 + 1 + 1 + 2 + 2);
  CHECK (run_prog (p, n, CHR, RD, 1, 3) == 1);
  CHECK (run_prog (p, n, CHR, WR, 1, 3) == 0);
  CHECK (run_prog (p, n, BLK, RD, 1, 3) == 0);
  free (p);

  /* Allow all then deny one.  */
  oci_device_cgroup open[] = { rule (true, 'a', -1, -1, "rwm"), rule (false, 'b', 8, -1, "rwm") };
  CHECK (cg_bpf_devices_prog (open, 2, &p, &n, &err) == 0);
  CHECK (run_prog (p, n, CHR, RD, 1, 3) == 1);
  CHECK (run_prog (p, n, BLK, RD, 8, 1) == 0);
  CHECK (run_prog (p, n, BLK, RD, 9, 1) == 1);
  free (p);
}

static void
touch (const char *dir, const char *name)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, name);
  FILE *f = fopen (p, "w");
  if (f)
    fclose (f);
}

static void
mkdirf (const char *dir, const char *name)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, name);
  mkdir (p, 0755);
}

TEST (detect_fake_tree)
{
  char tmpl[] = "/tmp/kago-cgtest-XXXXXX";
  char *root = mkdtemp (tmpl);
  CHECK (root != NULL);
  if (!root)
    return;
  kago_error_t err = NULL;
  enum kago_cgroup_mode mode;
  mkdirf (root, "cpu,cpuacct");
  touch (root, "cpu,cpuacct/cgroup.procs");
  mkdirf (root, "memory");
  touch (root, "memory/cgroup.procs");
  CHECK (kago_cgroup_detect (root, &mode, &err) == 0 && mode == KAGO_CGROUP_V1);
  mkdirf (root, "unified");
  touch (root, "unified/cgroup.controllers");
  CHECK (kago_cgroup_detect (root, &mode, &err) == 0 && mode == KAGO_CGROUP_HYBRID);
  struct cg_layout l = { 0 };
  CHECK (cg_layout_detect (root, &l, &err) == 0 && l.n == 3);
  cg_layout_clear (&l);

  char tmpl2[] = "/tmp/kago-cgtest-XXXXXX";
  char *root2 = mkdtemp (tmpl2);
  touch (root2, "cgroup.controllers");
  CHECK (kago_cgroup_detect (root2, &mode, &err) == 0 && mode == KAGO_CGROUP_V2);

  char tmpl3[] = "/tmp/kago-cgtest-XXXXXX";
  char *root3 = mkdtemp (tmpl3);
  CHECK (kago_cgroup_detect (root3, &mode, &err) < 0);
  kago_error_release (&err);

  cleanup_free char *cmd = xasprintf ("rm -rf '%s' '%s' '%s'", root, root2, root3);
  CHECK (system (cmd) == 0);
}

TEST (detect_this_host)
{
  kago_error_t err = NULL;
  enum kago_cgroup_mode mode;
  if (access ("/sys/fs/cgroup", F_OK) != 0)
    return;
  CHECK (kago_cgroup_detect (NULL, &mode, &err) == 0);
  printf ("# this host: %s\n", kago_cgroup_mode_name (mode));
  kago_error_release (&err);
}

TEST (systemd_flag_errors)
{
  kago_error_t err = NULL;
  struct kago_cgroup *cg = NULL;
  struct kago_cgroup_config cfg = { .id = "abc", .cgroups_path = "system.slice:docker:abc", .systemd = true };
  CHECK (kago_cgroup_create (&cfg, &cg, &err) < 0);
  if (access ("/run/systemd/system", F_OK) != 0)
    CHECK_STR (err ? err->msg : NULL,
               "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system)");
  else
    CHECK (err && strstr (err->msg, "not supported yet"));
  kago_error_release (&err);
  cfg.cgroups_path = "/docker/abc";
  CHECK (kago_cgroup_create (&cfg, &cg, &err) < 0);
  CHECK (err && strstr (err->msg, "slice:prefix:name"));
  kago_error_release (&err);
}

TEST (state_round_trip)
{
  struct kago_cgroup cg = { 0 };
  struct cg_hier h[2] = {
    { "cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct", "/kago/x", "/sys/fs/cgroup/cpu,cpuacct/kago/x", 2, false },
    { "", "/sys/fs/cgroup/unified", "/kago/x", "/sys/fs/cgroup/unified/kago/x", 1, true },
  };
  cg.mode = KAGO_CGROUP_HYBRID;
  cg.h = h;
  cg.n = 2;
  cg.clone_fd = -1;
  json_value *j = kago_cgroup_to_json (&cg);
  cleanup_free char *s = json_to_string (j, false);
  kago_error_t err = NULL;
  struct kago_cgroup *back = NULL;
  json_value *parsed = json_parse (s, strlen (s), &err);
  CHECK (parsed && kago_cgroup_from_json (parsed, &back, &err) == 0);
  if (back)
    {
      CHECK (kago_cgroup_get_mode (back) == KAGO_CGROUP_HYBRID);
      CHECK_STR (kago_cgroup_path (back, "cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/kago/x");
      CHECK_STR (kago_cgroup_path (back, NULL), "/sys/fs/cgroup/unified/kago/x");
      CHECK (kago_cgroup_path (back, "memory") == NULL);
      CHECK (back->h[0].created == 2 && back->h[1].created == 1 && back->h[1].unified && !back->h[0].unified);
      CHECK (kago_cgroup_clone_fd (back) == -1);
      const char *c, *m, *d;
      CHECK (kago_cgroup_hierarchy (back, 1, &c, &m, &d) && c[0] == '\0');
      CHECK (!kago_cgroup_hierarchy (back, 2, &c, &m, &d));
    }
  kago_cgroup_free (back);
  json_free (parsed);
  json_free (j);
  kago_error_release (&err);
}

static char *
validate_msg (const oci_resources *r, const char *cpus, const char *mems)
{
  kago_error_t err = NULL;
  if (cg_resources_validate (r, cpus, mems, &err) == 0)
    return NULL;
  char *m = kago_error_string (err);
  kago_error_release (&err);
  return m;
}

TEST (resource_ranges)
{
  oci_resources r;
  memset (&r, 0, sizeof r);
  CHECK (validate_msg (&r, "0-1", "0") == NULL);

  r.has_cpu_shares = true;
  r.cpu_shares = 1;
  cleanup_free char *m1 = validate_msg (&r, "0-1", "0");
  CHECK_STR (m1, "linux.resources.cpu.shares: 1 is out of range (2-262144)");
  r.cpu_shares = 262144;
  CHECK (validate_msg (&r, "0-1", "0") == NULL);
  r.cpu_shares = 0; /* unset */
  CHECK (validate_msg (&r, "0-1", "0") == NULL);

  r.has_cpu_quota = true;
  r.cpu_quota = 999;
  cleanup_free char *m2 = validate_msg (&r, NULL, NULL);
  CHECK_CONTAINS (m2, "linux.resources.cpu.quota: 999 is out of range");
  r.cpu_quota = -1;
  CHECK (validate_msg (&r, NULL, NULL) == NULL);
  r.has_cpu_period = true;
  r.cpu_period = 1000001;
  cleanup_free char *m3 = validate_msg (&r, NULL, NULL);
  CHECK_CONTAINS (m3, "linux.resources.cpu.period: 1000001 is out of range");
  r.cpu_period = 100000;

  r.has_mem_limit = r.has_mem_swap = true;
  r.mem_limit = 256 << 20;
  r.mem_swap = 128 << 20;
  cleanup_free char *m4 = validate_msg (&r, NULL, NULL);
  CHECK_CONTAINS (m4, "linux.resources.memory.swap: 134217728 is below the memory limit 268435456");
  r.mem_swap = -1;
  CHECK (validate_msg (&r, NULL, NULL) == NULL);
  r.mem_limit = -2;
  cleanup_free char *m5 = validate_msg (&r, NULL, NULL);
  CHECK_CONTAINS (m5, "linux.resources.memory.limit: invalid value -2");
  r.mem_limit = 256 << 20;

  r.has_mem_swappiness = true;
  r.mem_swappiness = 101;
  cleanup_free char *m6 = validate_msg (&r, NULL, NULL);
  CHECK_STR (m6, "linux.resources.memory.swappiness: 101 is out of range (0-100)");
  r.mem_swappiness = UINT64_MAX; /* docker's -1: unset */
  CHECK (validate_msg (&r, NULL, NULL) == NULL);

  r.has_blkio_weight = true;
  r.blkio_weight = 9;
  cleanup_free char *m7 = validate_msg (&r, NULL, NULL);
  CHECK_STR (m7, "linux.resources.blockIO.weight: 9 is out of range (10-1000)");
  r.blkio_weight = 1000;
  CHECK (validate_msg (&r, NULL, NULL) == NULL);

  r.cpu_cpus = (char *) "0-1,3";
  cleanup_free char *m8 = validate_msg (&r, "0-1", "0");
  CHECK_STR (m8, "linux.resources.cpu.cpus: \"0-1,3\": CPU 3 does not exist here (available: 0-1)");
  r.cpu_cpus = (char *) "1-0";
  cleanup_free char *m9 = validate_msg (&r, "0-1", "0");
  CHECK_CONTAINS (m9, "linux.resources.cpu.cpus: invalid value \"1-0\"");
  r.cpu_cpus = (char *) "0,1";
  r.cpu_mems = (char *) "1";
  cleanup_free char *m10 = validate_msg (&r, "0-1", "0");
  CHECK_CONTAINS (m10, "linux.resources.cpu.mems: \"1\": memory node 1 does not exist here");
}

TEST (cpuset_lists)
{
  unsigned long miss = 0;
  CHECK (cg_list_valid ("0"));
  CHECK (cg_list_valid ("0-3,5,7-8"));
  CHECK (cg_list_valid ("2\n"));
  CHECK (!cg_list_valid (""));
  CHECK (!cg_list_valid ("0-"));
  CHECK (!cg_list_valid ("a"));
  CHECK (!cg_list_valid ("0,,1"));
  CHECK (!cg_list_valid ("3-1"));
  CHECK (cg_list_subset ("0,2-3", "0-3", &miss) == 0);
  CHECK (cg_list_subset ("0,4", "0-3", &miss) == 1 && miss == 4);
  CHECK (cg_list_subset ("1", "0,2-5", &miss) == 1 && miss == 1);
  CHECK (cg_list_subset ("x", "0-3", &miss) == -1);
}

static char *
slurp (const char *dir, const char *file)
{
  char *out = NULL;
  kago_error_t err = NULL;
  if (cg_read (dir, file, &out, &err) < 0)
    kago_error_release (&err);
  return out;
}

/* The journal on plain files standing in for cgroup files.  */
TEST (journal_rollback)
{
  char dir[] = "/tmp/kago-journal-XXXXXX";
  CHECK (mkdtemp (dir) != NULL);
  kago_error_t err = NULL;
  cleanup_free char *f1 = cg_join (dir, "cpu.shares");
  cleanup_free char *f2 = cg_join (dir, "blkio.throttle.write_bps_device");
  CHECK (write_file (f1, "1024\n", 5, &err) == 0);
  CHECK (write_file (f2, "8:0 1000\n", 9, &err) == 0);

  cg_journal_begin ();
  CHECK (cg_set ("f", dir, "cpu.shares", "512", &err) == 0);
  CHECK (cg_set ("f", dir, "blkio.throttle.write_bps_device", "7:1 2000", &err) == 0);
  CHECK (cg_set ("f", dir, "cpu.shares", "300", &err) == 0); /* recorded once */
  cleanup_free char *mid = slurp (dir, "cpu.shares");
  CHECK_STR (mid, "300");
  CHECK (cg_journal_rollback (&err) == 0);
  cleanup_free char *shares = slurp (dir, "cpu.shares");
  CHECK_STR (shares, "1024");
  /* A plain file keeps only the last write: the rollback reset the device
     the update added ("7:1 0"), then wrote the old line back.  */
  cleanup_free char *bps = slurp (dir, "blkio.throttle.write_bps_device");
  CHECK_STR (bps, "8:0 1000");

  /* Without a journal nothing is recorded, and ending one is harmless.  */
  CHECK (cg_set ("f", dir, "cpu.shares", "2", &err) == 0);
  cg_journal_end ();
  cleanup_free char *after = slurp (dir, "cpu.shares");
  CHECK_STR (after, "2");
  unlink (f1);
  unlink (f2);
  rmdir (dir);
  kago_error_release (&err);
}

int
main (void)
{
  RUN (mountinfo_hybrid);
  RUN (mountinfo_v2);
  RUN (controllers_sets);
  RUN (proc_cgroup);
  RUN (clean_and_resolve);
  RUN (systemd_paths);
  RUN (shares_to_weight);
  RUN (swap_v2);
  RUN (cpu_max);
  RUN (v1_device_lines);
  RUN (bpf_program);
  RUN (detect_fake_tree);
  RUN (detect_this_host);
  RUN (systemd_flag_errors);
  RUN (state_round_trip);
  RUN (resource_ranges);
  RUN (cpuset_lists);
  RUN (journal_rollback);
  return tap_done ();
}
