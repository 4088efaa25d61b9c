/* `kago run|create` argv -> struct kago_run_opts, as docker's CLI (pflag)
   parses it: flags stop at the first non-flag argument (IMAGE); "--" ends
   them too; "-itd" combines short booleans; "-m512m", "-m 512m",
   "--memory=512m" and "--memory 512m" are the same; list flags accumulate;
   "--detach=false" sets a boolean.  */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/container/runopts_internal.h"
#include "engine/container/units.h"
#include "engine/network/ports.h"

void
kago_strv_push_take (struct kago_strv *s, char *str)
{
  s->v = xrealloc (s->v, (s->n + 2) * sizeof *s->v);
  s->v[s->n++] = str;
  s->v[s->n] = NULL;
}

void
kago_strv_push (struct kago_strv *s, const char *str)
{
  kago_strv_push_take (s, xstrdup (str));
}

void
kago_strv_clear (struct kago_strv *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->v[i]);
  free (s->v);
  s->v = NULL;
  s->n = 0;
}

bool
ro_strv_has (const struct kago_strv *s, const char *v)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp (s->v[i], v) == 0)
      return true;
  return false;
}

enum kind
{
  K_BOOL,    /* bool at OFF */
  K_STR,     /* char * at OFF (last one wins) */
  K_LIST,    /* struct kago_strv at OFF */
  K_INT64,   /* int64_t at OFF, strconv.ParseInt (v, 0, 64) */
  K_INT,     /* int at OFF */
  K_MEM,     /* int64_t at OFF, RAMInBytes */
  K_FN,      /* FN */
  K_BOOL_FN, /* FN with "true"/"false" */
};

struct flag
{
  const char *name;
  char sh;
  enum kind kind;
  size_t off;
  int (*fn) (struct kago_run_opts *o, const char *v, kago_error_t *err);
  const char *arg; /* usage: the value's type word */
  const char *help;
  unsigned flags;
};
#define RUN_ONLY 1u
#define HIDDEN 2u

#define OFF(f) offsetof (struct kago_run_opts, f)

static int
set_memory_swap (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  if (strcmp (v, "-1") == 0)
    return o->memory_swap = -1, 0;
  return kago_ram_in_bytes (v, &o->memory_swap, err);
}

static int
set_cpus (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  return kago_parse_nano_cpus (v, &o->nano_cpus, err);
}

static int
set_blkio_weight (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  uint64_t w;
  if (kago_go_parse_uint (v, 0, 16, &w, err) < 0)
    return -1;
  o->blkio_weight = (uint16_t) w;
  return 0;
}

static int
set_swappiness (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  return kago_go_parse_int (v, 0, 64, &o->memory_swappiness, err);
}

static int
set_pids_limit (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  if (kago_go_parse_int (v, 0, 64, &o->pids_limit, err) < 0)
    return -1;
  o->pids_limit_set = o->pids_limit != 0;
  return 0;
}

static int
set_oom_kill_disable (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  if (kago_go_parse_bool (v, &o->oom_kill_disable, err) < 0)
    return -1;
  o->oom_kill_disable_set = true;
  return 0;
}

static int
set_entrypoint (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  (void) err;
  free (o->entrypoint);
  o->entrypoint = xstrdup (v);
  o->entrypoint_set = true;
  return 0;
}

static int
set_env (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  char *e;
  if (ro_validate_env (v, &e, err) < 0)
    return -1;
  kago_strv_push_take (&o->env, e);
  return 0;
}

/* --env-file and --label-file are read when parsing ends (docker reads
   the files first, then appends -e / -l): keep the names for now.  */
static int
set_env_file (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  (void) err;
  kago_strv_push (&o->env, "\x01");
  kago_strv_push (&o->env, v);
  return 0;
}

static int
set_label_file (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  (void) err;
  kago_strv_push (&o->labels, "\x01");
  kago_strv_push (&o->labels, v);
  return 0;
}

static int
set_restart (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  struct kago_restart_policy r = { 0 };
  if (ro_parse_restart (v, &r, err) < 0)
    return -1;
  free (o->restart.name);
  o->restart = r;
  return 0;
}

static int
set_stop_signal (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  (void) err;
  free (o->stop_signal_str);
  o->stop_signal_str = xstrdup (v);
  return 0;
}

static int
set_ulimit (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  struct kago_ulimit u;
  if (ro_parse_ulimit (v, &u, err) < 0)
    return -1;
  /* docker's UlimitOpt is a map by name: a repeated name replaces.  */
  for (size_t i = 0; i < o->nulimits; i++)
    if (strcmp (o->ulimits[i].name, u.name) == 0)
      {
        free (o->ulimits[i].name);
        o->ulimits[i] = u;
        return 0;
      }
  o->ulimits = xrealloc (o->ulimits, (o->nulimits + 1) * sizeof *o->ulimits);
  o->ulimits[o->nulimits++] = u;
  return 0;
}

static int
set_device (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  struct kago_device_map d;
  if (ro_parse_device (v, &d, err) < 0)
    return -1;
  o->devices = xrealloc (o->devices, (o->ndevices + 1) * sizeof *o->devices);
  o->devices[o->ndevices++] = d;
  return 0;
}

static int
set_device_cgroup_rule (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  if (ro_validate_device_cgroup_rule (v, err) < 0)
    return -1;
  kago_strv_push (&o->device_cgroup_rules, v);
  return 0;
}

static void
dev_values_push (struct kago_dev_values *dv, struct kago_dev_value d)
{
  dv->v = xrealloc (dv->v, (dv->n + 1) * sizeof *dv->v);
  dv->v[dv->n++] = d;
}

#define DEV_SETTER(fname, field, parser)                                                                     \
  static int fname (struct kago_run_opts *o, const char *v, kago_error_t *err)                               \
  {                                                                                                          \
    struct kago_dev_value d;                                                                                 \
    if (parser (v, &d, err) < 0)                                                                             \
      return -1;                                                                                             \
    dev_values_push (&o->field, d);                                                                          \
    return 0;                                                                                                \
  }
DEV_SETTER (set_weight_device, blkio_weight_device, ro_parse_weight_device)
DEV_SETTER (set_read_bps, read_bps, ro_parse_bps_device)
DEV_SETTER (set_write_bps, write_bps, ro_parse_bps_device)
DEV_SETTER (set_read_iops, read_iops, ro_parse_iops_device)
DEV_SETTER (set_write_iops, write_iops, ro_parse_iops_device)

static int
set_mount (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  struct kago_mount_opt m;
  if (ro_parse_mount (v, &m, err) < 0)
    return -1;
  o->mounts = xrealloc (o->mounts, (o->nmounts + 1) * sizeof *o->mounts);
  o->mounts[o->nmounts++] = m;
  return 0;
}

static int
set_security_opt (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  char *s;
  if (ro_parse_security_opt (v, &s, err) < 0)
    return -1;
  kago_strv_push_take (&o->security_opt, s);
  return 0;
}

static int
set_sysctl (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  if (ro_validate_sysctl (v, err) < 0)
    return -1;
  kago_strv_push (&o->sysctls, v);
  return 0;
}

static int
set_cap (struct kago_strv *s, const char *v, kago_error_t *err)
{
  char *n;
  int num;
  if (ro_normalize_cap (v, &n, &num, err) < 0)
    return -1;
  free (n);
  kago_strv_push (s, v);
  return 0;
}

static int
set_cap_add (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  return set_cap (&o->cap_add, v, err);
}

static int
set_cap_drop (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  return set_cap (&o->cap_drop, v, err);
}

/* Docker's ValidateExtraHost: NAME:IP (split at the first ':', so an IPv6
   address needs no brackets; "[::1]" is taken too), the IP an IPv4 or IPv6
   address or "host-gateway" (the default network's gateway, at create).  */
static int
set_add_host (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  const char *sep = strchr (v, ':');
  if (sep == NULL || sep == v)
    return kago_error_set (err, 0, "bad format for add-host: \"%s\"", v);
  const char *ip = sep + 1;
  size_t len = strlen (ip);
  char buf[INET6_ADDRSTRLEN];
  if (len >= 2 && ip[0] == '[' && ip[len - 1] == ']' && len - 2 < sizeof buf)
    {
      memcpy (buf, ip + 1, len - 2);
      buf[len - 2] = '\0';
    }
  else
    snprintf (buf, sizeof buf, "%s", len < sizeof buf ? ip : "");
  unsigned char a[sizeof (struct in6_addr)];
  if (strcmp (ip, KAGO_HOST_GATEWAY) != 0 && inet_pton (AF_INET, buf, a) != 1 && inet_pton (AF_INET6, buf, a) != 1)
    return kago_error_set (err, 0, "invalid IP address in add-host: \"%s\"", ip);
  kago_strv_push (&o->add_host, v);
  return 0;
}

static int
set_attach (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  if (strcasecmp (v, "stdin") && strcasecmp (v, "stdout") && strcasecmp (v, "stderr"))
    return kago_error_set (err, 0, "valid streams are STDIN, STDOUT and STDERR");
  cleanup_free char *l = xstrdup (v);
  for (char *p = l; *p; p++)
    *p = (char) (*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
  kago_strv_push (&o->attach, l);
  return 0;
}

static int
set_log_opt (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  const char *eq = strchr (v, '=');
  if (eq == NULL || eq == v)
    return kago_error_set (err, 0, "invalid key value pair format in log-opt: %s", v);
  kago_strv_push (&o->log_opts, v);
  return 0;
}

static int
set_workdir (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  (void) err;
  free (o->workdir);
  o->workdir = xstrdup (v);
  return 0;
}

static int
set_tmpfs (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  (void) err;
  kago_strv_push (&o->tmpfs, v);
  return 0;
}

static int
set_expose (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  long a, b;
  const char *proto;
  if (ro_parse_expose (v, &a, &b, &proto, err) < 0)
    return -1;
  kago_strv_push (&o->expose, v);
  return 0;
}

static int
set_ignored (struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  (void) o, (void) v, (void) err;
  return 0;
}

static const struct flag flags[] = {
  { "add-host", 0, K_FN, 0, set_add_host, "list", "Add a custom host-to-IP mapping (host:ip)", 0 },
  { "attach", 'a', K_FN, 0, set_attach, "list", "Attach to STDIN, STDOUT or STDERR", 0 },
  { "blkio-weight", 0, K_FN, 0, set_blkio_weight, "uint16",
    "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)", 0 },
  { "blkio-weight-device", 0, K_FN, 0, set_weight_device, "list", "Block IO weight (relative device weight)", 0 },
  { "cap-add", 0, K_FN, 0, set_cap_add, "list", "Add Linux capabilities", 0 },
  { "cap-drop", 0, K_FN, 0, set_cap_drop, "list", "Drop Linux capabilities", 0 },
  { "cgroup-parent", 0, K_STR, OFF (cgroup_parent), NULL, "string", "Optional parent cgroup for the container", 0 },
  { "cgroupns", 0, K_STR, OFF (cgroupns), NULL, "string",
    "Cgroup namespace to use (host|private)\n"
    "                                       'host':    Run the container in the host's cgroup namespace\n"
    "                                       'private': Run the container in its own private cgroup namespace\n"
    "                                       '':        Use the default (private on cgroup v2, host otherwise)",
    0 },
  { "cidfile", 0, K_STR, OFF (cidfile), NULL, "string", "Write the container ID to the file", 0 },
  { "cpu-period", 0, K_INT64, OFF (cpu_period), NULL, "int", "Limit CPU CFS (Completely Fair Scheduler) period", 0 },
  { "cpu-quota", 0, K_INT64, OFF (cpu_quota), NULL, "int", "Limit CPU CFS (Completely Fair Scheduler) quota", 0 },
  { "cpu-rt-period", 0, K_INT64, OFF (cpu_rt_period), NULL, "int",
    "Limit CPU real-time period in microseconds", 0 },
  { "cpu-rt-runtime", 0, K_INT64, OFF (cpu_rt_runtime), NULL, "int",
    "Limit CPU real-time runtime in microseconds", 0 },
  { "cpu-shares", 'c', K_INT64, OFF (cpu_shares), NULL, "int", "CPU shares (relative weight)", 0 },
  { "cpus", 0, K_FN, 0, set_cpus, "decimal", "Number of CPUs", 0 },
  { "cpuset-cpus", 0, K_STR, OFF (cpuset_cpus), NULL, "string", "CPUs in which to allow execution (0-3, 0,1)", 0 },
  { "cpuset-mems", 0, K_STR, OFF (cpuset_mems), NULL, "string", "MEMs in which to allow execution (0-3, 0,1)", 0 },
  { "detach", 'd', K_BOOL, OFF (detach), NULL, NULL, "Run container in background and print container ID",
    RUN_ONLY },
  { "detach-keys", 0, K_STR, OFF (detach_keys), NULL, "string", "Override the key sequence for detaching a container",
    RUN_ONLY },
  { "device", 0, K_FN, 0, set_device, "list", "Add a host device to the container", 0 },
  { "device-cgroup-rule", 0, K_FN, 0, set_device_cgroup_rule, "list",
    "Add a rule to the cgroup allowed devices list", 0 },
  { "device-read-bps", 0, K_FN, 0, set_read_bps, "list",
    "Limit read rate (bytes per second) from a device", 0 },
  { "device-read-iops", 0, K_FN, 0, set_read_iops, "list", "Limit read rate (IO per second) from a device", 0 },
  { "device-write-bps", 0, K_FN, 0, set_write_bps, "list",
    "Limit write rate (bytes per second) to a device", 0 },
  { "device-write-iops", 0, K_FN, 0, set_write_iops, "list", "Limit write rate (IO per second) to a device", 0 },
  { "disable-content-trust", 0, K_BOOL_FN, 0, set_ignored, NULL, "Skip image verification (default true)", 0 },
  { "dns", 0, K_LIST, OFF (dns), NULL, "list", "Set custom DNS servers", 0 },
  { "dns-option", 0, K_LIST, OFF (dns_option), NULL, "list", "Set DNS options", 0 },
  { "dns-search", 0, K_LIST, OFF (dns_search), NULL, "list", "Set custom DNS search domains", 0 },
  { "domainname", 0, K_STR, OFF (domainname), NULL, "string", "Container NIS domain name", 0 },
  { "entrypoint", 0, K_FN, 0, set_entrypoint, "string", "Overwrite the default ENTRYPOINT of the image", 0 },
  { "env", 'e', K_FN, 0, set_env, "list", "Set environment variables", 0 },
  { "env-file", 0, K_FN, 0, set_env_file, "list", "Read in a file of environment variables", 0 },
  { "expose", 0, K_FN, 0, set_expose, "list", "Expose a port or a range of ports", 0 },
  { "group-add", 0, K_LIST, OFF (group_add), NULL, "list", "Add additional groups to join", 0 },
  { "help", 0, K_BOOL, OFF (help), NULL, NULL, "Print usage", 0 },
  { "hostname", 'h', K_STR, OFF (hostname), NULL, "string", "Container host name", 0 },
  { "ip", 0, K_STR, OFF (ip), NULL, "string", "IPv4 address (e.g., 172.30.100.104)", 0 },
  { "init", 0, K_BOOL, OFF (init), NULL, NULL,
    "Run an init inside the container that forwards signals and reaps processes", 0 },
  { "interactive", 'i', K_BOOL, OFF (interactive), NULL, NULL, "Keep STDIN open even if not attached", 0 },
  { "ipc", 0, K_STR, OFF (ipc), NULL, "string", "IPC mode to use (private, shareable, host, none, container:NAME)",
    0 },
  { "kernel-memory", 0, K_MEM, OFF (kernel_memory), NULL, "bytes", "Kernel memory limit", 0 },
  { "label", 'l', K_LIST, OFF (labels), NULL, "list", "Set meta data on a container", 0 },
  { "label-file", 0, K_FN, 0, set_label_file, "list", "Read in a line delimited file of labels", 0 },
  { "log-driver", 0, K_STR, OFF (log_driver), NULL, "string", "Logging driver for the container (json-file, none)",
    0 },
  { "log-opt", 0, K_FN, 0, set_log_opt, "list", "Log driver options (max-size, max-file)", 0 },
  { "memory", 'm', K_MEM, OFF (memory), NULL, "bytes", "Memory limit", 0 },
  { "memory-reservation", 0, K_MEM, OFF (memory_reservation), NULL, "bytes", "Memory soft limit", 0 },
  { "memory-swap", 0, K_FN, 0, set_memory_swap, "bytes",
    "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", 0 },
  { "memory-swappiness", 0, K_FN, 0, set_swappiness, "int",
    "Tune container memory swappiness (0 to 100) (default -1)", 0 },
  { "mount", 0, K_FN, 0, set_mount, "mount", "Attach a filesystem mount to the container", 0 },
  { "name", 0, K_STR, OFF (name), NULL, "string", "Assign a name to the container", 0 },
  { "network-alias", 0, K_LIST, OFF (network_alias), NULL, "list", "Add network-scoped alias for the container", 0 },
  { "net-alias", 0, K_LIST, OFF (network_alias), NULL, "list", "Add network-scoped alias for the container", HIDDEN },
  { "net", 0, K_STR, OFF (network), NULL, "network", "Connect a container to a network", HIDDEN },
  { "network", 0, K_STR, OFF (network), NULL, "network",
    "Connect a container to a network (none, host, container:NAME)", 0 },
  { "oom-kill-disable", 0, K_BOOL_FN, 0, set_oom_kill_disable, NULL, "Disable OOM Killer", 0 },
  { "oom-score-adj", 0, K_INT, OFF (oom_score_adj), NULL, "int", "Tune host's OOM preferences (-1000 to 1000)", 0 },
  { "pid", 0, K_STR, OFF (pid), NULL, "string", "PID namespace to use (host, container:NAME)", 0 },
  { "pids-limit", 0, K_FN, 0, set_pids_limit, "int", "Tune container pids limit (set -1 for unlimited)", 0 },
  { "privileged", 0, K_BOOL, OFF (privileged), NULL, NULL, "Give extended privileges to this container", 0 },
  { "publish", 'p', K_LIST, OFF (publish), NULL, "list", "Publish a container's port(s) to the host", 0 },
  { "publish-all", 'P', K_BOOL, OFF (publish_all), NULL, NULL, "Publish all exposed ports to random ports", 0 },
  { "read-only", 0, K_BOOL, OFF (read_only), NULL, NULL, "Mount the container's root filesystem as read only", 0 },
  { "restart", 0, K_FN, 0, set_restart, "string", "Restart policy to apply when a container exits (default \"no\")",
    0 },
  { "rm", 0, K_BOOL, OFF (rm), NULL, NULL, "Automatically remove the container when it exits", 0 },
  { "security-opt", 0, K_FN, 0, set_security_opt, "list", "Security Options", 0 },
  { "shm-size", 0, K_MEM, OFF (shm_size), NULL, "bytes", "Size of /dev/shm", 0 },
  { "sig-proxy", 0, K_BOOL, OFF (sig_proxy), NULL, NULL, "Proxy received signals to the process (default true)",
    RUN_ONLY },
  { "stop-signal", 0, K_FN, 0, set_stop_signal, "string", "Signal to stop the container", 0 },
  { "stop-timeout", 0, K_INT, OFF (stop_timeout), NULL, "int", "Timeout (in seconds) to stop a container", 0 },
  { "sysctl", 0, K_FN, 0, set_sysctl, "map", "Sysctl options", 0 },
  { "tmpfs", 0, K_FN, 0, set_tmpfs, "list", "Mount a tmpfs directory", 0 },
  { "tty", 't', K_BOOL, OFF (tty), NULL, NULL, "Allocate a pseudo-TTY", 0 },
  { "ulimit", 0, K_FN, 0, set_ulimit, "ulimit", "Ulimit options", 0 },
  { "user", 'u', K_STR, OFF (user), NULL, "string", "Username or UID (format: <name|uid>[:<group|gid>])", 0 },
  { "userns", 0, K_STR, OFF (userns), NULL, "string", "User namespace to use (host)", 0 },
  { "uts", 0, K_STR, OFF (uts), NULL, "string", "UTS namespace to use (host)", 0 },
  { "volume", 'v', K_LIST, OFF (volumes), NULL, "list", "Bind mount a volume", 0 },
  { "workdir", 'w', K_FN, 0, set_workdir, "string", "Working directory inside the container", 0 },
};
#define NFLAGS (sizeof flags / sizeof flags[0])

static bool
flag_applies (const struct flag *f, bool is_run)
{
  return is_run || !(f->flags & RUN_ONLY);
}

static const struct flag *
find_long (const char *name, size_t len, bool is_run)
{
  for (size_t i = 0; i < NFLAGS; i++)
    if (strlen (flags[i].name) == len && strncmp (flags[i].name, name, len) == 0 && flag_applies (&flags[i], is_run))
      return &flags[i];
  return NULL;
}

static const struct flag *
find_short (char c, bool is_run)
{
  for (size_t i = 0; i < NFLAGS; i++)
    if (flags[i].sh == c && flag_applies (&flags[i], is_run))
      return &flags[i];
  return NULL;
}

static bool
is_bool (const struct flag *f)
{
  return f->kind == K_BOOL || f->kind == K_BOOL_FN;
}

static int
apply (const struct flag *f, struct kago_run_opts *o, const char *v, kago_error_t *err)
{
  kago_error_t e = NULL;
  int rc = 0;
  char *base = (char *) o;
  switch (f->kind)
    {
    case K_BOOL:
      rc = kago_go_parse_bool (v, (bool *) (base + f->off), &e);
      break;
    case K_STR:
      free (*(char **) (base + f->off));
      *(char **) (base + f->off) = xstrdup (v);
      break;
    case K_LIST:
      kago_strv_push ((struct kago_strv *) (base + f->off), v);
      break;
    case K_INT64:
      rc = kago_go_parse_int (v, 0, 64, (int64_t *) (base + f->off), &e);
      break;
    case K_INT:
      {
        int64_t x;
        rc = kago_go_parse_int (v, 0, 64, &x, &e);
        if (rc == 0 && (x < INT32_MIN || x > INT32_MAX))
          rc = kago_error_set (&e, 0, "strconv.ParseInt: parsing \"%s\": value out of range", v);
        if (rc == 0)
          *(int *) (base + f->off) = (int) x;
        break;
      }
    case K_MEM:
      rc = kago_ram_in_bytes (v, (int64_t *) (base + f->off), &e);
      break;
    case K_FN:
    case K_BOOL_FN:
      rc = f->fn (o, v, &e);
      break;
    default:
      break;
    }
  if (rc < 0)
    {
      cleanup_free char *msg = kago_error_string (e);
      kago_error_release (&e);
      if (f->sh)
        return kago_error_set (err, 0, "invalid argument \"%s\" for \"-%c, --%s\" flag: %s", v, f->sh, f->name, msg);
      return kago_error_set (err, 0, "invalid argument \"%s\" for \"--%s\" flag: %s", v, f->name, msg);
    }
  return 0;
}

void
kago_run_opts_init (struct kago_run_opts *o)
{
  memset (o, 0, sizeof *o);
  o->stop_timeout = -1;
  o->log_max_file = 1;
  o->memory_swappiness = -1;
  o->sig_proxy = true;
}

void
kago_run_opts_free (struct kago_run_opts *o)
{
  free (o->verb);
  free (o->name);
  free (o->image);
  for (size_t i = 0; o->cmd && i < o->ncmd; i++)
    free (o->cmd[i]);
  free (o->cmd);
  kago_strv_clear (&o->attach);
  free (o->restart.name);
  free (o->stop_signal_str);
  kago_strv_clear (&o->log_opts);
  free (o->log_driver);
  free (o->detach_keys);
  free (o->cidfile);
  free (o->hostname);
  free (o->domainname);
  free (o->user);
  free (o->workdir);
  free (o->entrypoint);
  kago_strv_clear (&o->env);
  kago_strv_clear (&o->labels);
  kago_strv_clear (&o->expose);
  kago_strv_clear (&o->publish);
  kago_strv_clear (&o->volumes);
  for (size_t i = 0; i < o->nmounts; i++)
    ro_mount_opt_clear (&o->mounts[i]);
  free (o->mounts);
  kago_strv_clear (&o->tmpfs);
  kago_strv_clear (&o->cap_add);
  kago_strv_clear (&o->cap_drop);
  kago_strv_clear (&o->security_opt);
  for (size_t i = 0; i < o->ndevices; i++)
    {
      free (o->devices[i].host);
      free (o->devices[i].container);
      free (o->devices[i].perms);
    }
  free (o->devices);
  kago_strv_clear (&o->device_cgroup_rules);
  kago_strv_clear (&o->group_add);
  for (size_t i = 0; i < o->nulimits; i++)
    free (o->ulimits[i].name);
  free (o->ulimits);
  kago_strv_clear (&o->sysctls);
  kago_strv_clear (&o->dns);
  kago_strv_clear (&o->dns_search);
  kago_strv_clear (&o->dns_option);
  kago_strv_clear (&o->add_host);
  free (o->pid);
  free (o->ipc);
  free (o->uts);
  free (o->userns);
  free (o->cgroupns);
  free (o->network);
  free (o->ip);
  kago_strv_clear (&o->network_alias);
  free (o->cgroup_parent);
  free (o->cpuset_cpus);
  free (o->cpuset_mems);
  struct kago_dev_values *dvs[] = { &o->blkio_weight_device, &o->read_bps, &o->write_bps, &o->read_iops,
                                    &o->write_iops };
  for (size_t k = 0; k < 5; k++)
    {
      for (size_t i = 0; i < dvs[k]->n; i++)
        free (dvs[k]->v[i].path);
      free (dvs[k]->v);
    }
  memset (o, 0, sizeof *o);
}

void
kago_run_usage (FILE *out, const char *verb)
{
  bool is_run = verb == NULL || strcmp (verb, "create") != 0;
  fprintf (out, "\nUsage:  kago %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n%s\n\nOptions:\n", is_run ? "run" : "create",
           is_run ? "Create and run a new container from an image" : "Create a new container");
  for (size_t i = 0; i < NFLAGS; i++)
    {
      const struct flag *f = &flags[i];
      if (!flag_applies (f, is_run) || (f->flags & HIDDEN))
        continue;
      char left[64];
      snprintf (left, sizeof left, "%c%c%s --%s%s%s", f->sh ? '-' : ' ', f->sh ? f->sh : ' ', f->sh ? "," : " ",
                f->name, f->arg ? " " : "", f->arg ? f->arg : "");
      fprintf (out, "  %-37s%s\n", left, f->help);
    }
}

/* Expand the --env-file / --label-file markers ("\x01", FILE) in place:
   the files' lines first, in order, then the -e / -l values.  */
static int
expand_files (struct kago_strv *s, bool env, kago_error_t *err)
{
  struct kago_strv files = { 0 }, direct = { 0 }, outv = { 0 };
  for (size_t i = 0; i < s->n; i++)
    {
      if (strcmp (s->v[i], "\x01") == 0 && i + 1 < s->n)
        kago_strv_push (&files, s->v[++i]);
      else
        kago_strv_push (&direct, s->v[i]);
    }
  int rc = 0;
  for (size_t i = 0; i < files.n && rc == 0; i++)
    rc = ro_read_kv_file (files.v[i], env, &outv, err);
  for (size_t i = 0; i < direct.n && rc == 0; i++)
    kago_strv_push (&outv, direct.v[i]);
  kago_strv_clear (&files);
  kago_strv_clear (&direct);
  if (rc < 0)
    {
      kago_strv_clear (&outv);
      return -1;
    }
  kago_strv_clear (s);
  *s = outv;
  return 0;
}

/* The checks docker (CLI and daemon) makes on the values alone.  */
static int
validate (struct kago_run_opts *o, kago_error_t *err)
{
  if (o->detach && o->attach.n > 0)
    return kago_error_set (err, 0, "Conflicting options: -a and -d");
  /* -p as docker's CLI checks it after the flags: its own words, no
     flag prefix.  */
  for (size_t i = 0; i < o->publish.n; i++)
    {
      struct kago_port_spec *ps;
      size_t n;
      if (kago_port_spec_parse (o->publish.v[i], &ps, &n, err) < 0)
        return -1;
      free (ps);
    }
  if (o->rm && o->restart.name && strcmp (o->restart.name, "no") != 0 && o->restart.name[0] != '\0')
    return kago_error_set (err, 0, "Conflicting options: --restart and --rm");
  if (o->restart.name && ro_validate_restart (&o->restart, err) < 0)
    return -1;
  if (o->memory_swappiness != -1 && (o->memory_swappiness < 0 || o->memory_swappiness > 100))
    return kago_error_set (err, 0, "invalid value: %lld. Valid memory swappiness range is 0-100",
                           (long long) o->memory_swappiness);
  if (o->oom_score_adj < -1000 || o->oom_score_adj > 1000)
    return kago_error_set (err, 0, "Invalid value %d, range for oom score adj is [-1000, 1000]", o->oom_score_adj);
  if (o->shm_size < 0)
    return kago_error_set (err, 0, "SHM size can not be less than 0");
  if (o->stop_signal_str && kago_docker_signal_parse (o->stop_signal_str, &o->stop_signal, err) < 0)
    return -1;
  if (o->workdir && o->workdir[0] != '/')
    return kago_error_set (err, 0, "the working directory '%s' is invalid, it needs to be an absolute path",
                           o->workdir);
  if (o->log_driver && strcmp (o->log_driver, "json-file") != 0 && strcmp (o->log_driver, "none") != 0)
    return kago_error_set (err, 0, "logging driver \"%s\" is not supported (json-file and none are)", o->log_driver);
  for (size_t i = 0; i < o->log_opts.n; i++)
    {
      const char *kv = o->log_opts.v[i];
      const char *v = strchr (kv, '=') + 1;
      if (strncmp (kv, "max-size=", 9) == 0)
        {
          int64_t sz;
          kago_error_t e = NULL;
          if (kago_ram_in_bytes (v, &sz, &e) < 0)
            {
              cleanup_free char *m = kago_error_string (e);
              kago_error_release (&e);
              return kago_error_set (err, 0, "failed to parse max-size: %s", m);
            }
          if (sz == 0 && v[0] != '-')
            return kago_error_set (err, 0, "max-size must be a positive number");
          o->log_max_size = sz < 0 ? 0 : (uint64_t) sz;
        }
      else if (strncmp (kv, "max-file=", 9) == 0)
        {
          int64_t n;
          kago_error_t e = NULL;
          if (kago_go_parse_int (v, 10, 32, &n, &e) < 0)
            {
              cleanup_free char *m = kago_error_string (e);
              kago_error_release (&e);
              return kago_error_set (err, 0, "%s", m);
            }
          if (n < 1)
            return kago_error_set (err, 0, "max-file cannot be less than 1");
          o->log_max_file = (int) n;
        }
      else if (strncmp (kv, "compress=", 9) != 0 && strncmp (kv, "labels=", 7) != 0
               && strncmp (kv, "env=", 4) != 0 && strncmp (kv, "tag=", 4) != 0)
        {
          cleanup_free char *k = xstrndup (kv, (size_t) (strchr (kv, '=') - kv));
          return kago_error_set (err, 0, "unknown log opt '%s' for json-file log driver", k);
        }
    }
  if (o->log_max_file > 1 && o->log_max_size == 0)
    return kago_error_set (err, 0, "max-file cannot be set when max-size is not set");
  if (o->cpu_shares < 0 || (o->cpu_shares > 0 && o->cpu_shares < 2) || o->cpu_shares > 262144)
    return kago_error_set (err, 0, "Invalid value %lld for --cpu-shares: the range is 2 to 262144",
                           (long long) o->cpu_shares);
  struct ro_resources r = {
    .memory = o->memory,
    .memory_swap = o->memory_swap,
    .memory_reservation = o->memory_reservation,
    .kernel_memory = o->kernel_memory,
    .cpu_shares = o->cpu_shares,
    .cpu_period = o->cpu_period,
    .cpu_quota = o->cpu_quota,
    .nano_cpus = o->nano_cpus,
    .cpu_rt_period = o->cpu_rt_period,
    .cpu_rt_runtime = o->cpu_rt_runtime,
    .cpuset_cpus = o->cpuset_cpus,
    .cpuset_mems = o->cpuset_mems,
    .blkio_weight = o->blkio_weight,
  };
  return ro_check_resources (&r, err);
}

int
kago_run_opts_parse (int argc, char **argv, struct kago_run_opts *o, kago_error_t *err)
{
  kago_run_opts_init (o);
  const char *verb = argc > 0 ? argv[0] : "run";
  o->verb = xstrdup (verb);
  bool is_run = strcmp (verb, "create") != 0;
  int i = 1;
  for (; i < argc; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--") == 0)
        {
          i++;
          break;
        }
      if (a[0] != '-' || a[1] == '\0')
        break;
      if (a[1] == '-')
        {
          const char *name = a + 2, *eq = strchr (name, '=');
          size_t len = eq ? (size_t) (eq - name) : strlen (name);
          const struct flag *f = find_long (name, len, is_run);
          if (f == NULL)
            {
              if (eq)
                return kago_error_set (err, 0, "unknown flag: --%.*s", (int) len, name);
              return kago_error_set (err, 0, "unknown flag: %s", a);
            }
          const char *v;
          if (eq)
            v = eq + 1;
          else if (is_bool (f))
            v = "true";
          else if (i + 1 < argc)
            v = argv[++i];
          else
            return kago_error_set (err, 0, "flag needs an argument: --%s", f->name);
          if (apply (f, o, v, err) < 0)
            return -1;
          continue;
        }
      /* Short flags: "-itd", "-m512m", "-e" "X=1", "-d=false".  */
      for (const char *p = a + 1; *p; p++)
        {
          const struct flag *f = find_short (*p, is_run);
          if (f == NULL)
            return kago_error_set (err, 0, "unknown shorthand flag: '%c' in %s", *p, a);
          const char *v;
          if (p[1] == '=')
            {
              v = p + 2;
              if (apply (f, o, v, err) < 0)
                return -1;
              break;
            }
          if (is_bool (f))
            {
              if (apply (f, o, "true", err) < 0)
                return -1;
              continue;
            }
          if (p[1] != '\0')
            v = p + 1;
          else if (i + 1 < argc)
            v = argv[++i];
          else
            return kago_error_set (err, 0, "flag needs an argument: '%c' in -%c", *p, *p);
          if (apply (f, o, v, err) < 0)
            return -1;
          break;
        }
    }
  if (o->help)
    return 0;
  if (i >= argc)
    return kago_error_set (err, 0, "\"kago %s\" requires at least 1 argument.", verb);
  o->image = xstrdup (argv[i++]);
  o->ncmd = (size_t) (argc - i);
  o->cmd = xcalloc (o->ncmd + 1, sizeof *o->cmd);
  for (size_t k = 0; k < o->ncmd; k++)
    o->cmd[k] = xstrdup (argv[i + (int) k]);
  if (expand_files (&o->env, true, err) < 0 || expand_files (&o->labels, false, err) < 0)
    return -1;
  return validate (o, err);
}
