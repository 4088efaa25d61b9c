/* cgroup manager internals shared by detect.c, cgroup.c, v1.c, v2.c,
 * freezer.c and devices_bpf.c.  The pure functions (no file system access)
 * are declared here so that tests/unit/test_cgroup.c can call them.
 */
#ifndef KAGO_CGROUP_INTERNAL_H
#define KAGO_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup/cgroup.h"

#define CG_DEFAULT_ROOT "/sys/fs/cgroup"
#define CG_DEFAULT_PARENT "/kago"
#define CG_SYSTEMD_RUNNING "/run/systemd/system"

/* One mounted hierarchy.  */
struct cg_mount
{
  char *controllers; /* "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
  char *mount_point; /* where it is mounted: /sys/fs/cgroup/cpu,cpuacct */
  char *mount_root;  /* the cgroup the mount shows ("/" unless bind/cgroupns) */
  bool unified;      /* cgroup2 */
};

struct cg_layout
{
  enum kago_cgroup_mode mode;
  struct cg_mount *m;
  size_t n;
};

/* One hierarchy the container belongs to.  */
struct cg_hier
{
  char *controllers; /* as in cg_mount; "" for the unified hierarchy */
  char *mount_point;
  char *path;       /* cgroup path inside the mount, "/kago/ID" */
  char *dir;        /* mount_point + path */
  unsigned created; /* trailing components of PATH that kago created */
  bool unified;
};

struct kago_cgroup
{
  enum kago_cgroup_mode mode;
  struct cg_hier *h;
  size_t n;
  int clone_fd;    /* v2 leaf, opened lazily; -1 */
  bool pending_v1; /* created with defer_v1: the v1 hierarchies are not made yet */
};

/* ---- detect.c ---- */
void cg_layout_clear (struct cg_layout *l);
int cg_layout_detect (const char *root, struct cg_layout *l, kago_error_t *err);
/* Pure: collect the cgroup v1 and cgroup2 mounts at or below ROOT from the
   text of a /proc/self/mountinfo.  A later mount on the same mount point
   hides an earlier one; a v1 hierarchy mounted twice is kept once.  */
void cg_parse_mountinfo (const char *text, const char *root, struct cg_layout *l);
/* Pure: the cgroup path of the hierarchy with CONTROLLERS ("" = cgroup2 "0::")
   in the text of a /proc/<pid>/cgroup, or NULL.  */
char *cg_proc_cgroup_lookup (const char *text, const char *controllers);
/* Does the comma-separated LIST contain CTRL?  */
bool cg_controllers_has (const char *list, const char *ctrl);
/* Same set of controllers (order-independent)?  */
bool cg_controllers_equal (const char *a, const char *b);

/* ---- path resolution (cgroup.c, pure) ---- */
/* Lexically clean an absolute path ("/a//b/../c/." -> "/a/c"); ".." stops at "/". */
char *cg_clean_path (const char *p);
/* cgroupsPath as runc reads it: absolute -> cleaned; relative -> under OWN
   (the runtime's own cgroup in that hierarchy); NULL or empty ->
   "/kago/<id>".  */
char *cg_resolve_path (const char *cgroups_path, const char *id, const char *own);
/* systemd "slice:prefix:name" -> "/system.slice/prefix-name.scope" (empty
   CGROUPS_PATH: "system.slice:kago:<id>").  */
int cg_systemd_path (const char *cgroups_path, const char *id, char **out, kago_error_t *err);
/* "a-b.slice" -> "/a.slice/a-b.slice", "-.slice" -> "/".  */
int cg_systemd_expand_slice (const char *slice, char **out, kago_error_t *err);

/* ---- file helpers (cgroup.c) ---- */
char *cg_join (const char *dir, const char *file);
bool cg_has_file (const char *dir, const char *file);
/* One write(2) of VALUE; error "write `VALUE` to `DIR/FILE`".  */
int cg_write (const char *dir, const char *file, const char *value, kago_error_t *err);
int cg_read (const char *dir, const char *file, char **out, kago_error_t *err);
/* Write for a resource FIELD ("linux.resources.memory.limit"): a missing file
   is "FIELD: not supported on this host (no FILE file)", a refused value is
   "FIELD: write `V` to `PATH`: <errno>".  */
int cg_set (const char *field, const char *dir, const char *file, const char *value, kago_error_t *err);
int cg_setf (const char *field, const char *dir, const char *file, kago_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));
/* The hierarchy that has CONTROLLER (v1), or the unified one for NULL/"" or
   when the layout is v2.  NULL when absent.  */
struct cg_hier *cg_find (const struct kago_cgroup *cg, const char *controller);
struct cg_hier *cg_unified (const struct kago_cgroup *cg);
/* The hierarchy to list processes from (freezer, pids, ... or unified).  */
struct cg_hier *cg_procs_hier (const struct kago_cgroup *cg);
/* Read the pids listed in DIR/cgroup.procs and below, appended to *PIDS.  */
int cg_read_pids_recursive (const char *dir, pid_t **pids, size_t *n, size_t *cap, kago_error_t *err);
/* Write the unified map (v2, or the unified mount on hybrid) into DIR.  */
int cg_apply_unified_map (const char *dir, const oci_map *m, kago_error_t *err);
/* Is a memory/cpu value "set" (runc reads 0 as "leave unchanged")?  */
#define CG_SET(r, f) ((r)->has_##f && (r)->f != 0)

/* ---- conversions (v2.c, pure) ---- */
/* cpu.shares (2..262144) -> cpu.weight (1..10000); 0 -> 0 (unset).  */
uint64_t cg_shares_to_weight (uint64_t shares);
/* blkio.weight (10..1000) -> io.weight (1..10000); 0 -> 0.  */
uint64_t cg_blkio_weight_to_io_weight (uint64_t weight);
/* memory.swap.max from OCI limit and swap (memory+swap; 0 = unset, -1 =
   unlimited).  Returns 1 and *out (-1 = "max") when swap.max is to be
   written, 0 when it is left alone, -1 with err on an impossible pair.  */
int cg_v2_swap (int64_t limit, int64_t swap, int64_t *out, kago_error_t *err);
/* "quota period" for cpu.max: quota > 0 -> number, -1 -> "max"; CUR_QUOTA
   (the current cpu.max's first word, or NULL) is kept when only the period
   is given.  Returns NULL when neither is set.  */
char *cg_v2_cpu_max (int64_t quota, uint64_t period, const char *cur_quota);

/* ---- resources ---- */
int cg_v1_apply (struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err);
int cg_v2_apply (struct kago_cgroup *cg, const oci_resources *r, kago_error_t *err);
/* Check every device rule (type, access, major/minor range).  */
int cg_devices_validate (const oci_device_cgroup *rules, size_t n, kago_error_t *err);
/* Pure: the v1 devices.allow/deny line of a rule: "c 1:3 rwm", "a *:* rwm".  */
char *cg_v1_device_line (const oci_device_cgroup *rule);
int cg_v1_devices (const char *dir, const oci_device_cgroup *rules, size_t n, bool incremental, kago_error_t *err);
int cg_v1_apply_devices (struct kago_cgroup *cg, const oci_device_cgroup *rules, size_t n, bool incremental,
                         kago_error_t *err);

/* ---- devices_bpf.c ---- */
struct bpf_insn;
/* Pure: the BPF_PROG_TYPE_CGROUP_DEVICE program for RULES (last matching
   rule wins, no match = deny).  *INSNS is malloc'ed.  */
int cg_bpf_devices_prog (const oci_device_cgroup *rules, size_t n, struct bpf_insn **insns, size_t *count,
                         kago_error_t *err);
/* Load the program and attach it (BPF_F_ALLOW_MULTI) to the cgroup DIR,
   replacing the device programs kago attached before.  */
int cg_bpf_devices_apply (const char *dir, const oci_device_cgroup *rules, size_t n, kago_error_t *err);

/* ---- freezer.c ---- */
int cg_freeze_dir_v1 (const char *dir, bool frozen, kago_error_t *err);
int cg_freeze_dir_v2 (const char *dir, bool frozen, kago_error_t *err);

/* memory.checkBeforeUpdate: refuse LIMIT when the usage in USAGE_FILE is above it. */
int cg_check_before_update (const char *dir, const char *usage_file, int64_t limit, kago_error_t *err);
/* The rdma.max line for one device (caller frees).  */
char *cg_rdma_max_line (const oci_rdma *d);
/* ---- validate.c ---- */
/* Check every value of R against the kernel's ranges before anything is
   written; CPUS_AVAIL/MEMS_AVAIL ("0-3") are the CPUs and memory nodes that
   exist (NULL: syntax only).  The error names the field.  */
int cg_resources_validate (const oci_resources *r, const char *cpus_avail, const char *mems_avail,
                           kago_error_t *err);
/* cpuset list syntax ("0-3,5"); cg_list_subset: -1 malformed, 0 every
   member of LIST is in AVAIL, 1 (with *MISSING) otherwise.  */
bool cg_list_valid (const char *list);
int cg_list_subset (const char *list, const char *avail, unsigned long *missing);

/* ---- journal.c: restore every file a failed update touched ---- */
void cg_journal_begin (void);
/* Called by cg_set before each write (a no-op when no journal is active).  */
void cg_journal_note (const char *dir, const char *file, const char *value);
/* Forget the journal (the update succeeded).  */
void cg_journal_end (void);
/* Put every recorded file back, newest first; ends the journal.  */
int cg_journal_rollback (kago_error_t *err);

/* Read a file holding one unsigned number.  */
int cg_read_u64 (const char *dir, const char *file, uint64_t *out, kago_error_t *err);

/* ---- stats.c ---- */
/* The number after KEY in a "key value" file (memory.events, ...): 1 found,
   0 when the file or the key is absent, -1 on a read or parse error.  */
int cg_read_key_u64 (const char *dir, const char *file, const char *key, uint64_t *out, kago_error_t *err);
/* The directory holding CTRL's files: its v1 hierarchy when there is one
   (v1, hybrid), else the unified one (v2; on hybrid, for controllers only
   cgroup2 has).  *V2 says which file names apply.  NULL when neither.  */
const char *cg_source_dir (const struct kago_cgroup *cg, const char *ctrl, bool *v2);

#endif
