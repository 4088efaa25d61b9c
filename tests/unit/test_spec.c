/* Unit tests for the OCI config.json model (src/oci/).  */
#include "oci/default_spec.h"
#include "oci/features.h"
#include "oci/spec.h"
#include "oci/state_json.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tap.h"

/* A runc/containerd-style config using (nearly) every field.  */
static const char full_config[]
    = "{\n"
      "  \"ociVersion\": \"1.2.0\",\n"
      "  \"process\": {\n"
      "    \"terminal\": true,\n"
      "    \"consoleSize\": {\"height\": 25, \"width\": 80},\n"
      "    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, 6, 4294967295]},\n"
      "    \"args\": [\"/bin/sh\", \"-c\", \"echo hi\"],\n"
      "    \"env\": [\"PATH=/usr/bin:/bin\", \"TERM=xterm\"],\n"
      "    \"cwd\": \"/work\",\n"
      "    \"capabilities\": {\n"
      "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\"],\n"
      "      \"effective\": [\"CAP_KILL\"],\n"
      "      \"inheritable\": [],\n"
      "      \"permitted\": [\"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
      "      \"ambient\": [\"CAP_NET_BIND_SERVICE\"]\n"
      "    },\n"
      "    \"rlimits\": [\n"
      "      {\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 512},\n"
      "      {\"type\": \"RLIMIT_CORE\", \"hard\": 18446744073709551615, \"soft\": 0}\n"
      "    ],\n"
      "    \"noNewPrivileges\": true,\n"
      "    \"apparmorProfile\": \"docker-default\",\n"
      "    \"oomScoreAdj\": -500,\n"
      "    \"selinuxLabel\": \"system_u:system_r:container_t:s0:c1,c2\",\n"
      "    \"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 4},\n"
      "    \"scheduler\": {\"policy\": \"SCHED_BATCH\", \"nice\": -5, \"priority\": 0, \"flags\": "
      "[\"SCHED_FLAG_RESET_ON_FORK\"],"
      " \"runtime\": 1, \"deadline\": 2, \"period\": 3},\n"
      "    \"execCPUAffinity\": {\"initial\": \"0\", \"final\": \"0-3\"},\n"
      "    \"someFutureField\": {\"ignored\": [1, 2, 3]}\n"
      "  },\n"
      "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
      "  \"hostname\": \"box\",\n"
      "  \"domainname\": \"example.org\",\n"
      "  \"mounts\": [\n"
      "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
      "    {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv/data\", \"options\": "
      "[\"rbind\", \"ro\"],\n"
      "     \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
      "     \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 1000}]}\n"
      "  ],\n"
      "  \"hooks\": {\n"
      "    \"prestart\": [{\"path\": \"/usr/bin/fix\", \"args\": [\"fix\", \"up\"], \"env\": [\"A=1\"], "
      "\"timeout\": 5}],\n"
      "    \"createRuntime\": [{\"path\": \"/bin/a\"}, {\"path\": \"/bin/b\"}],\n"
      "    \"createContainer\": [{\"path\": \"/bin/c\"}],\n"
      "    \"startContainer\": [{\"path\": \"/bin/d\"}],\n"
      "    \"poststart\": [{\"path\": \"/bin/e\"}],\n"
      "    \"poststop\": [{\"path\": \"/bin/f\", \"timeout\": 60}]\n"
      "  },\n"
      "  \"annotations\": {\"org.example.key\": \"value\", \"io.kubernetes.cri.container-type\": "
      "\"sandbox\"},\n"
      "  \"linux\": {\n"
      "    \"namespaces\": [\n"
      "      {\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/var/run/netns/x\"}, {\"type\": "
      "\"mount\"},\n"
      "      {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"user\"}, {\"type\": \"cgroup\"}, "
      "{\"type\": \"time\"}\n"
      "    ],\n"
      "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}, {\"containerID\": 1, "
      "\"hostID\": 100000, \"size\": 65535}],\n"
      "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],\n"
      "    \"timeOffsets\": {\"monotonic\": {\"secs\": 172800, \"nanosecs\": 0}, \"boottime\": {\"secs\": "
      "-3600, \"nanosecs\": 500}},\n"
      "    \"devices\": [\n"
      "      {\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 438, "
      "\"uid\": 0, \"gid\": 0},\n"
      "      {\"path\": \"/dev/sda\", \"type\": \"b\", \"major\": 8, \"minor\": 0},\n"
      "      {\"path\": \"/dev/myfifo\", \"type\": \"p\"}\n"
      "    ],\n"
      "    \"cgroupsPath\": \"/kago/c1\",\n"
      "    \"resources\": {\n"
      "      \"devices\": [\n"
      "        {\"allow\": false, \"access\": \"rwm\"},\n"
      "        {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"},\n"
      "        {\"allow\": true, \"type\": \"b\", \"major\": 8}\n"
      "      ],\n"
      "      \"memory\": {\"limit\": 536870912, \"reservation\": 268435456, \"swap\": -1, \"kernel\": -1, "
      "\"kernelTCP\": 0,"
      " \"swappiness\": 60, \"disableOOMKiller\": false, \"useHierarchy\": true, \"checkBeforeUpdate\": "
      "true},\n"
      "      \"cpu\": {\"shares\": 1024, \"quota\": 50000, \"burst\": 10000, \"period\": 100000, "
      "\"realtimeRuntime\": 950000,"
      " \"realtimePeriod\": 1000000, \"cpus\": \"0-3\", \"mems\": \"0\", \"idle\": 1},\n"
      "      \"pids\": {\"limit\": 32771},\n"
      "      \"blockIO\": {\"weight\": 500, \"leafWeight\": 300,\n"
      "        \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 600}, {\"major\": 8, \"minor\": "
      "16, \"leafWeight\": 200}],\n"
      "        \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 104857600}],\n"
      "        \"throttleWriteBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 52428800}],\n"
      "        \"throttleReadIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1000}],\n"
      "        \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 500}, {\"major\": 8, "
      "\"minor\": 16, \"rate\": 400}]},\n"
      "      \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 209715200}, {\"pageSize\": \"1GB\", "
      "\"limit\": 0}],\n"
      "      \"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": "
      "500}]},\n"
      "      \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}, \"mlx4_0\": {\"hcaObjects\": "
      "1000}},\n"
      "      \"unified\": {\"memory.high\": \"1073741824\", \"io.weight\": \"default 100\"}\n"
      "    },\n"
      "    \"rootfsPropagation\": \"rslave\",\n"
      "    \"seccomp\": {\n"
      "      \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,\n"
      "      \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],\n"
      "      \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],\n"
      "      \"listenerPath\": \"/run/seccomp.sock\", \"listenerMetadata\": \"meta\",\n"
      "      \"syscalls\": [\n"
      "        {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
      "        {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [\n"
      "          {\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\"},\n"
      "          {\"index\": 1, \"value\": 18446744073709551615, \"valueTwo\": 8, \"op\": "
      "\"SCMP_CMP_MASKED_EQ\"}]},\n"
      "        {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}\n"
      "      ]\n"
      "    },\n"
      "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\", \"kernel.shmmax\": \"4294967296\"},\n"
      "    \"maskedPaths\": [\"/proc/kcore\", \"/sys/firmware\"],\n"
      "    \"readonlyPaths\": [\"/proc/sys\"],\n"
      "    \"mountLabel\": \"system_u:object_r:container_file_t:s0:c1,c2\",\n"
      "    \"personality\": {\"domain\": \"LINUX32\", \"flags\": []},\n"
      "    \"intelRdt\": {\"closID\": \"guaranteed_group\", \"l3CacheSchema\": \"L3:0=7f0\"},\n"
      "    \"memoryPolicy\": {\"mode\": \"MPOL_INTERLEAVE\", \"nodes\": \"0-1\"},\n"
      "    \"netDevices\": {\"eth1\": {\"name\": \"ctr1\"}}\n"
      "  },\n"
      "  \"windows\": {\"layerFolders\": [\"C:\\\\x\"]}\n"
      "}\n";

static bool
starts_with (const char *s, const char *prefix)
{
  return s && strncmp (s, prefix, strlen (prefix)) == 0;
}

static oci_spec *
parse_spec_str (const char *s, kago_error_t *err)
{
  json_value *v = json_parse (s, strlen (s), err);
  if (v == NULL)
    return NULL;
  oci_spec *spec = oci_spec_parse (v, err);
  json_free (v);
  return spec;
}

TEST (full_config_top_and_process)
{
  kago_error_t err = NULL;
  oci_spec *s = parse_spec_str (full_config, &err);
  CHECK (s != NULL);
  if (s == NULL)
    {
      printf ("# %s\n", err ? err->msg : "?");
      kago_error_release (&err);
      return;
    }
  CHECK_STR (s->oci_version, "1.2.0");
  CHECK_STR (s->root_path, "rootfs");
  CHECK (s->root_readonly);
  CHECK_STR (s->hostname, "box");
  CHECK_STR (s->domainname, "example.org");

  CHECK (s->n_mounts == 2);
  CHECK_STR (s->mounts[0].destination, "/proc");
  CHECK_STR (s->mounts[0].type, "proc");
  CHECK (s->mounts[0].options.v == NULL && s->mounts[0].options.n == 0);
  CHECK_STR (s->mounts[1].source, "/srv/data");
  CHECK (s->mounts[1].options.n == 2);
  CHECK_STR (s->mounts[1].options.v[1], "ro");
  CHECK (s->mounts[1].options.v[2] == NULL);
  CHECK (s->mounts[1].uid_mappings.n == 1 && s->mounts[1].uid_mappings.items[0].host_id == 100000
         && s->mounts[1].uid_mappings.items[0].size == 65536);
  CHECK (s->mounts[1].gid_mappings.n == 1 && s->mounts[1].gid_mappings.items[0].host_id == 200000);

  oci_process *p = s->process;
  CHECK (p != NULL);
  if (p)
    {
      CHECK (p->terminal);
      CHECK (p->has_console_size && p->console_height == 25 && p->console_width == 80);
      CHECK (p->user.uid == 1000 && p->user.gid == 1001);
      CHECK (p->user.has_umask && p->user.umask == 18);
      CHECK (p->user.n_additional_gids == 3 && p->user.additional_gids[2] == 4294967295u);
      CHECK (p->args.n == 3);
      CHECK_STR (p->args.v[2], "echo hi");
      CHECK (p->args.v[3] == NULL);
      CHECK (p->env.n == 2);
      CHECK_STR (p->env.v[1], "TERM=xterm");
      CHECK_STR (p->cwd, "/work");
      CHECK (p->capabilities.present);
      CHECK (p->capabilities.bounding.n == 2);
      CHECK (p->capabilities.inheritable.v != NULL && p->capabilities.inheritable.n == 0);
      CHECK_STR (p->capabilities.ambient.v[0], "CAP_NET_BIND_SERVICE");
      CHECK (p->n_rlimits == 2);
      CHECK_STR (p->rlimits[0].type, "RLIMIT_NOFILE");
      CHECK (p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].hard == 1024
             && p->rlimits[0].soft == 512);
      CHECK (p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].hard == UINT64_MAX);
      CHECK (p->no_new_privileges);
      CHECK_STR (p->apparmor_profile, "docker-default");
      CHECK (p->has_oom_score_adj && p->oom_score_adj == -500);
      CHECK_STR (p->selinux_label, "system_u:system_r:container_t:s0:c1,c2");
      CHECK (p->has_io_priority && p->io_priority == 4);
      CHECK_STR (p->io_priority_class, "IOPRIO_CLASS_BE");
      CHECK (p->has_scheduler && p->sched_nice == -5 && p->sched_runtime == 1 && p->sched_deadline == 2
             && p->sched_period == 3);
      CHECK_STR (p->sched_policy, "SCHED_BATCH");
      CHECK (p->sched_flags.n == 1);
      CHECK_STR (p->exec_cpu_affinity_initial, "0");
      CHECK_STR (p->exec_cpu_affinity_final, "0-3");
    }

  CHECK (s->hooks.prestart.n == 1);
  CHECK_STR (s->hooks.prestart.items[0].path, "/usr/bin/fix");
  CHECK (s->hooks.prestart.items[0].args.n == 2 && s->hooks.prestart.items[0].env.n == 1);
  CHECK (s->hooks.prestart.items[0].has_timeout && s->hooks.prestart.items[0].timeout == 5);
  CHECK (s->hooks.create_runtime.n == 2 && !s->hooks.create_runtime.items[1].has_timeout);
  CHECK_STR (s->hooks.create_runtime.items[1].path, "/bin/b");
  CHECK (s->hooks.create_container.n == 1 && s->hooks.start_container.n == 1 && s->hooks.poststart.n == 1);
  CHECK (s->hooks.poststop.n == 1 && s->hooks.poststop.items[0].timeout == 60);

  CHECK (s->annotations.n == 2);
  CHECK_STR (oci_map_get (&s->annotations, "io.kubernetes.cri.container-type"), "sandbox");
  CHECK (oci_map_get (&s->annotations, "missing") == NULL);
  oci_spec_free (s);
}

TEST (full_config_linux)
{
  kago_error_t err = NULL;
  oci_spec *s = parse_spec_str (full_config, &err);
  CHECK (s != NULL);
  kago_error_release (&err);
  if (s == NULL)
    return;
  oci_linux *l = &s->linux_;
  CHECK (s->has_linux);
  CHECK (l->n_namespaces == 8);
  CHECK (l->namespaces[0].type == OCI_NS_PID && l->namespaces[0].path == NULL);
  CHECK (l->namespaces[1].type == OCI_NS_NETWORK);
  CHECK_STR (l->namespaces[1].path, "/var/run/netns/x");
  CHECK (l->namespaces[7].type == OCI_NS_TIME);
  const oci_namespace *ns = oci_spec_namespace (s, OCI_NS_USER);
  CHECK (ns && ns->type == OCI_NS_USER);
  CHECK (l->uid_mappings.n == 2 && l->uid_mappings.items[1].container_id == 1
         && l->uid_mappings.items[1].host_id == 100000 && l->uid_mappings.items[1].size == 65535);
  CHECK (l->gid_mappings.n == 1);
  CHECK (l->time_offsets.has_monotonic && l->time_offsets.monotonic_secs == 172800);
  CHECK (l->time_offsets.has_boottime && l->time_offsets.boottime_secs == -3600
         && l->time_offsets.boottime_nsecs == 500);

  CHECK (l->n_devices == 3);
  CHECK (l->devices[0].type == 'c' && l->devices[0].major == 10 && l->devices[0].minor == 229);
  CHECK (l->devices[0].has_file_mode && l->devices[0].file_mode == 438);
  CHECK (l->devices[0].has_uid && l->devices[0].has_gid);
  CHECK (l->devices[1].type == 'b' && !l->devices[1].has_file_mode && !l->devices[1].has_uid);
  CHECK (l->devices[2].type == 'p');
  CHECK_STR (l->cgroups_path, "/kago/c1");

  oci_resources *r = &l->resources;
  CHECK (l->has_resources);
  CHECK (r->n_devices == 3);
  CHECK (!r->devices[0].allow && r->devices[0].type == 'a' && !r->devices[0].has_major);
  CHECK_STR (r->devices[0].access, "rwm");
  CHECK (r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].has_major
         && r->devices[1].major == 1 && r->devices[1].minor == 3);
  CHECK (r->devices[2].type == 'b' && r->devices[2].has_major && !r->devices[2].has_minor
         && r->devices[2].access == NULL);
  CHECK (r->has_memory && r->has_mem_limit && r->mem_limit == 536870912);
  CHECK (r->has_mem_reservation && r->mem_reservation == 268435456);
  CHECK (r->has_mem_swap && r->mem_swap == -1 && r->has_mem_kernel && r->mem_kernel == -1);
  CHECK (r->has_mem_kernel_tcp && r->mem_kernel_tcp == 0);
  CHECK (r->has_mem_swappiness && r->mem_swappiness == 60);
  CHECK (r->has_disable_oom_killer && !r->disable_oom_killer);
  CHECK (r->has_use_hierarchy && r->use_hierarchy && r->has_check_before_update && r->check_before_update);
  CHECK (r->has_cpu && r->has_cpu_shares && r->cpu_shares == 1024 && r->cpu_quota == 50000);
  CHECK (r->has_cpu_burst && r->cpu_burst == 10000 && r->cpu_period == 100000);
  CHECK (r->has_cpu_rt_runtime && r->cpu_rt_runtime == 950000 && r->cpu_rt_period == 1000000);
  CHECK_STR (r->cpu_cpus, "0-3");
  CHECK_STR (r->cpu_mems, "0");
  CHECK (r->has_cpu_idle && r->cpu_idle == 1);
  CHECK (r->has_pids_limit && r->pids_limit == 32771);
  CHECK (r->has_blkio && r->has_blkio_weight && r->blkio_weight == 500 && r->blkio_leaf_weight == 300);
  CHECK (r->n_blkio_weight_device == 2);
  CHECK (r->blkio_weight_device[0].has_weight && !r->blkio_weight_device[0].has_leaf_weight
         && r->blkio_weight_device[0].weight == 600);
  CHECK (r->blkio_weight_device[1].minor == 16 && r->blkio_weight_device[1].leaf_weight == 200);
  CHECK (r->throttle_read_bps.n == 1 && r->throttle_read_bps.items[0].rate == 104857600);
  CHECK (r->throttle_write_bps.n == 1 && r->throttle_read_iops.n == 1);
  CHECK (r->throttle_write_iops.n == 2 && r->throttle_write_iops.items[1].rate == 400);
  CHECK (r->n_hugepage_limits == 2);
  CHECK_STR (r->hugepage_limits[0].page_size, "2MB");
  CHECK (r->hugepage_limits[0].limit == 209715200);
  CHECK (r->has_net_class_id && r->net_class_id == 1048577);
  CHECK (r->n_net_priorities == 1 && r->net_priorities[0].priority == 500);
  CHECK_STR (r->net_priorities[0].name, "eth0");
  CHECK (r->n_rdma == 2);
  CHECK_STR (r->rdma[0].device, "mlx5_1");
  CHECK (r->rdma[0].has_hca_handles && r->rdma[0].hca_handles == 3 && r->rdma[0].hca_objects == 10000);
  CHECK (!r->rdma[1].has_hca_handles && r->rdma[1].has_hca_objects);
  CHECK (r->unified.n == 2);
  CHECK_STR (oci_map_get (&r->unified, "io.weight"), "default 100");

  CHECK_STR (l->rootfs_propagation, "rslave");
  oci_seccomp *sc = l->seccomp;
  CHECK (sc != NULL);
  if (sc)
    {
      CHECK_STR (sc->default_action, "SCMP_ACT_ERRNO");
      CHECK (sc->has_default_errno_ret && sc->default_errno_ret == 1);
      CHECK (sc->architectures.n == 2 && sc->flags.n == 1);
      CHECK_STR (sc->listener_path, "/run/seccomp.sock");
      CHECK_STR (sc->listener_metadata, "meta");
      CHECK (sc->n_syscalls == 3);
      CHECK (sc->syscalls[0].names.n == 2 && sc->syscalls[0].n_args == 0 && !sc->syscalls[0].has_errno_ret);
      CHECK (sc->syscalls[1].n_args == 2);
      CHECK (sc->syscalls[1].args[0].value == 4294967295u);
      CHECK (sc->syscalls[1].args[1].index == 1 && sc->syscalls[1].args[1].value == UINT64_MAX
             && sc->syscalls[1].args[1].value_two == 8);
      CHECK_STR (sc->syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ");
      CHECK (sc->syscalls[2].has_errno_ret && sc->syscalls[2].errno_ret == 38);
    }
  CHECK (l->sysctl.n == 2);
  CHECK_STR (oci_map_get (&l->sysctl, "net.ipv4.ip_forward"), "1");
  CHECK (l->masked_paths.n == 2 && l->readonly_paths.n == 1);
  CHECK_STR (l->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
  CHECK (l->has_personality);
  CHECK_STR (l->personality_domain, "LINUX32");
  CHECK (l->has_intel_rdt && l->has_memory_policy && l->has_net_devices);
  oci_spec_free (s);
}

#define MIN_HEAD "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}"
#define MIN_PROC "\"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\"}"
#define PROC_WITH(extra)                                                                                     \
  "\"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\", " extra "}"

static const struct
{
  const char *doc;
  const char *error;
} bad_configs[] = {
  { "[]", "the configuration must be a JSON object, got array" },
  { "{\"root\": {\"path\": \"r\"}}", "ociVersion: required" },
  { "{\"ociVersion\": 1, \"root\": {\"path\": \"r\"}}", "ociVersion: expected a string, got number" },
  { "{\"ociVersion\": \"2.0.0\", \"root\": {\"path\": \"r\"}}",
    "ociVersion: unsupported version \"2.0.0\" (kago supports 1.0.0 through 1.3.x)" },
  { "{\"ociVersion\": \"1.0.0\"}", "root: required" },
  { "{\"ociVersion\": \"1.0.0\", \"root\": {}}", "root.path: required" },
  { "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"\"}}", "root.path: must not be empty" },
  { "{\"ociVersion\": \"1.0.0\", \"root\": \"rootfs\"}", "root: expected an object, got string" },
  { "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\", \"readonly\": \"yes\"}}",
    "root.readonly: expected a boolean, got string" },
  { MIN_HEAD ", \"hostname\": 5}", "hostname: expected a string, got number" },
  { MIN_HEAD ", \"mounts\": {}}", "mounts: expected an array, got object" },
  { MIN_HEAD ", \"mounts\": [{\"destination\": \"/a\"}, {\"type\": \"tmpfs\"}]}",
    "mounts[1].destination: required" },
  { MIN_HEAD ", \"mounts\": [{\"destination\": \"/a\", \"options\": [\"ro\", 3]}]}",
    "mounts[0].options[1]: expected a string, got number" },
  { MIN_HEAD
    ", \"mounts\": [{\"destination\": \"/a\", \"uidMappings\": [{\"containerID\": 0, \"size\": 1}]}]}",
    "mounts[0].uidMappings[0].hostID: required" },
  { MIN_HEAD ", \"mounts\": [\"x\"]}", "mounts[0]: expected an object, got string" },
  { MIN_HEAD ", \"process\": []}", "process: expected an object, got array" },
  { MIN_HEAD ", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [1], \"cwd\": \"/\"}}",
    "process.args[0]: expected a string, got number" },
  { MIN_HEAD ", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [], \"cwd\": \"/\"}}",
    "process.args: must not be empty" },
  { MIN_HEAD ", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"cwd\": \"/\"}}",
    "process.args: required" },
  { MIN_HEAD ", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"]}}",
    "process.cwd: required" },
  { MIN_HEAD ", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"work\"}}",
    "process.cwd: must be an absolute path, got \"work\"" },
  { MIN_HEAD ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}}", "process.user: required" },
  { MIN_HEAD ", \"process\": {\"user\": {\"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\"}}",
    "process.user.uid: required" },
  { MIN_HEAD ", \"process\": {\"user\": {\"uid\": \"0\", \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\"}}",
    "process.user.uid: expected an integer, got string" },
  { MIN_HEAD ", \"process\": {\"user\": {\"uid\": -1, \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\"}}",
    "process.user.uid: -1 is out of range (0 to 4294967295)" },
  { MIN_HEAD
    ", \"process\": {\"user\": {\"uid\": 4294967296, \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\"}}",
    "process.user.uid: 4294967296 is out of range" },
  { MIN_HEAD ", \"process\": {\"user\": {\"uid\": 1.5, \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\"}}",
    "process.user.uid: expected an integer, got 1.5" },
  { MIN_HEAD
    ", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0, \"additionalGids\": [1, -2]}, \"args\": [\"sh\"], "
    "\"cwd\": \"/\"}}",
    "process.user.additionalGids[1]: -2 is out of range" },
  { MIN_HEAD ", " PROC_WITH ("\"terminal\": 1") "}", "process.terminal: expected a boolean, got number" },
  { MIN_HEAD ", " PROC_WITH ("\"env\": \"A=1\"") "}", "process.env: expected an array, got string" },
  { MIN_HEAD ", " PROC_WITH ("\"consoleSize\": {\"height\": 10}") "}",
    "process.consoleSize.width: required" },
  { MIN_HEAD ", " PROC_WITH ("\"capabilities\": {\"bounding\": [\"CAP_KILL\", null]}") "}",
    "process.capabilities.bounding[1]: expected a string, got null" },
  { MIN_HEAD ", " PROC_WITH ("\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"hard\": 1, \"soft\": 1}]") "}",
    "process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\"" },
  { MIN_HEAD ", " PROC_WITH ("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 1}, "
                             "{\"type\": \"RLIMIT_NOFILE\", \"hard\": 2, \"soft\": 2}]") "}",
    "process.rlimits[1].type: duplicate rlimit type \"RLIMIT_NOFILE\"" },
  { MIN_HEAD ", " PROC_WITH ("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 2}]") "}",
    "process.rlimits[0]: soft limit 2 is greater than hard limit 1" },
  { MIN_HEAD ", " PROC_WITH ("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1}]") "}",
    "process.rlimits[0].soft: required" },
  { MIN_HEAD ", " PROC_WITH ("\"oomScoreAdj\": 1001") "}", "process.oomScoreAdj: 1001 is out of range" },
  { MIN_HEAD ", " PROC_WITH ("\"scheduler\": {\"policy\": \"SCHED_FAST\"}") "}",
    "process.scheduler.policy: unknown scheduling policy \"SCHED_FAST\"" },
  { MIN_HEAD ", " PROC_WITH ("\"scheduler\": {\"nice\": 1}") "}", "process.scheduler.policy: required" },
  { MIN_HEAD ", " PROC_WITH ("\"scheduler\": {\"policy\": \"SCHED_RR\", \"flags\": [\"X\"]}") "}",
    "process.scheduler.flags[0]: unknown scheduler flag \"X\"" },
  { MIN_HEAD ", " PROC_WITH ("\"ioPriority\": {\"class\": \"IOPRIO_CLASS_XX\"}") "}",
    "process.ioPriority.class: unknown I/O priority class" },
  { MIN_HEAD ", " PROC_WITH ("\"ioPriority\": {\"class\": \"IOPRIO_CLASS_RT\", \"priority\": 8}") "}",
    "process.ioPriority.priority: 8 is out of range (0 to 7)" },
  { MIN_HEAD ", " PROC_WITH ("\"args\": [\"a\\u0000b\"]") "}",
    "process.args[0]: must not contain a NUL character" },
  { MIN_HEAD ", \"hooks\": {\"prestart\": [{\"path\": \"hook\"}]}}",
    "hooks.prestart[0].path: must be an absolute path, got \"hook\"" },
  { MIN_HEAD ", \"hooks\": {\"poststop\": [{\"args\": []}]}}", "hooks.poststop[0].path: required" },
  { MIN_HEAD ", \"hooks\": {\"createRuntime\": [{\"path\": \"/h\", \"timeout\": 0}]}}",
    "hooks.createRuntime[0].timeout: must be greater than zero, got 0" },
  { MIN_HEAD ", \"hooks\": {\"startContainer\": {}}}",
    "hooks.startContainer: expected an array, got object" },
  { MIN_HEAD ", \"annotations\": {\"a\": \"b\", \"c.d\": 1}}",
    "annotations[\"c.d\"]: expected a string, got number" },
  { MIN_HEAD ", \"linux\": []}", "linux: expected an object, got array" },
  { MIN_HEAD
    ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"foo\"}]}}",
    "linux.namespaces[2].type: unknown namespace type \"foo\"" },
  { MIN_HEAD ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, "
             "{\"type\": \"pid\"}]}}",
    "linux.namespaces[3]: duplicate namespace type \"pid\"" },
  { MIN_HEAD ", \"linux\": {\"namespaces\": [{}]}}", "linux.namespaces[0].type: required" },
  { MIN_HEAD ", \"linux\": {\"namespaces\": [{\"type\": \"network\", \"path\": \"run/netns/x\"}]}}",
    "linux.namespaces[0].path: must be an absolute path" },
  { MIN_HEAD ", \"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 0, \"size\": -1}]}}",
    "linux.uidMappings[0].size: -1 is out of range" },
  { MIN_HEAD ", \"linux\": {\"timeOffsets\": {\"realtime\": {\"secs\": 1}}}}",
    "linux.timeOffsets.realtime: unknown clock" },
  { MIN_HEAD ", \"linux\": {\"timeOffsets\": {\"boottime\": {\"nanosecs\": 1000000000}}}}",
    "linux.timeOffsets.boottime.nanosecs: 1000000000 is out of range" },
  { MIN_HEAD
    ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"z\", \"major\": 1, \"minor\": 1}]}}",
    "linux.devices[0].type: invalid device type \"z\"" },
  { MIN_HEAD
    ", \"linux\": {\"devices\": [{\"path\": \"dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 1}]}}",
    "linux.devices[0].path: must be an absolute path" },
  { MIN_HEAD ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"u\", \"major\": 1}]}}",
    "linux.devices[0].minor: required" },
  { MIN_HEAD ", \"linux\": {\"devices\": [{\"type\": \"c\", \"major\": 1, \"minor\": 2}]}}",
    "linux.devices[0].path: required" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"devices\": [{\"access\": \"rwm\"}]}}}",
    "linux.resources.devices[0].allow: required" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}}}",
    "linux.resources.devices[0].access: invalid access \"rwx\"" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"devices\": [{\"allow\": true, \"type\": \"p\"}]}}}",
    "linux.resources.devices[0].type: invalid device type \"p\"" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"memory\": {\"limit\": \"1g\"}}}}",
    "linux.resources.memory.limit: expected an integer, got string" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"memory\": {\"limit\": 9223372036854775808}}}}",
    "linux.resources.memory.limit: 9223372036854775808 is out of range" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"memory\": {\"swappiness\": -1}}}}",
    "linux.resources.memory.swappiness: -1 is out of range" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"cpu\": {\"shares\": -2}}}}",
    "linux.resources.cpu.shares: -2 is out of range" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"cpu\": {\"cpus\": 3}}}}",
    "linux.resources.cpu.cpus: expected a string, got number" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"pids\": {\"limit\": true}}}}",
    "linux.resources.pids.limit: expected an integer, got boolean" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"blockIO\": {\"weight\": 70000}}}}",
    "linux.resources.blockIO.weight: 70000 is out of range (0 to 65535)" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"blockIO\": {\"weightDevice\": [{\"major\": 8}]}}}}",
    "linux.resources.blockIO.weightDevice[0].minor: required" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"blockIO\": {\"throttleWriteIOPSDevice\": [{\"major\": 8, "
             "\"minor\": 0}]}}}}",
    "linux.resources.blockIO.throttleWriteIOPSDevice[0].rate: required" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"hugepageLimits\": [{\"limit\": 1}]}}}",
    "linux.resources.hugepageLimits[0].pageSize: required" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"network\": {\"priorities\": [{\"name\": \"eth0\"}]}}}}",
    "linux.resources.network.priorities[0].priority: required" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"rdma\": {\"mlx5_1\": {}}}}}",
    "linux.resources.rdma[\"mlx5_1\"]: hcaHandles or hcaObjects required" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"rdma\": {\"mlx5_1\": 3}}}}",
    "linux.resources.rdma[\"mlx5_1\"]: expected an object, got number" },
  { MIN_HEAD ", \"linux\": {\"resources\": {\"unified\": {\"memory.max\": 5}}}}",
    "linux.resources.unified[\"memory.max\"]: expected a string, got number" },
  { MIN_HEAD ", \"linux\": {\"rootfsPropagation\": \"everywhere\"}}",
    "linux.rootfsPropagation: invalid value \"everywhere\"" },
  { MIN_HEAD ", \"linux\": {\"seccomp\": {\"syscalls\": []}}}", "linux.seccomp.defaultAction: required" },
  { MIN_HEAD ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": "
             "\"SCMP_ACT_ERRNO\"}]}}}",
    "linux.seccomp.syscalls[0].names: required" },
  { MIN_HEAD
    ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [], "
    "\"action\": \"SCMP_ACT_ERRNO\"}]}}}",
    "linux.seccomp.syscalls[0].names: must not be empty" },
  { MIN_HEAD ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
             "[\"a\"]}]}}}",
    "linux.seccomp.syscalls[0].action: required" },
  { MIN_HEAD
    ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
    "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}}}",
    "linux.seccomp.syscalls[0].args[0].value: required" },
  { MIN_HEAD
    ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
    "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1}]}]}}}",
    "linux.seccomp.syscalls[0].args[0].op: required" },
  { MIN_HEAD
    ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
    "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}}}",
    "linux.seccomp.syscalls[0].args[0].value: -1 is out of range" },
  { MIN_HEAD ", \"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": 1}}}",
    "linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, got number" },
  { MIN_HEAD ", \"linux\": {\"maskedPaths\": [\"/proc/kcore\", {}]}}",
    "linux.maskedPaths[1]: expected a string, got object" },
  { MIN_HEAD ", \"linux\": {\"personality\": {\"domain\": \"LINUX64\"}}}",
    "linux.personality.domain: unknown personality domain \"LINUX64\"" },
  { MIN_HEAD ", \"linux\": {\"personality\": {\"flags\": []}}}", "linux.personality.domain: required" },
  { MIN_HEAD ", \"linux\": {\"intelRdt\": \"x\"}}", "linux.intelRdt: expected an object, got string" },
};

TEST (bad_configs_name_the_path)
{
  for (size_t i = 0; i < sizeof bad_configs / sizeof bad_configs[0]; i++)
    {
      kago_error_t err = NULL;
      oci_spec *s = parse_spec_str (bad_configs[i].doc, &err);
      if (s != NULL)
        {
          printf ("# config %zu parsed but should fail: %s\n", i, bad_configs[i].doc);
          tap_cur_failed = 1;
          oci_spec_free (s);
          continue;
        }
      CHECK_CONTAINS (err ? err->msg : NULL, bad_configs[i].error);
      kago_error_release (&err);
    }
}

TEST (null_means_absent_and_unknown_ignored)
{
  kago_error_t err = NULL;
  oci_spec *s
      = parse_spec_str (MIN_HEAD ", \"hostname\": null, \"process\": null, \"mounts\": null, \"hooks\": null,"
                                 " \"x-vendor\": {\"anything\": [1]},"
                                 " \"linux\": {\"resources\": {\"memory\": {\"limit\": null, \"swap\": 5},"
                                 " \"cpu\": null, \"pids\": {}}, \"seccomp\": null, \"sysctl\": null}}",
                        &err);
  CHECK (s != NULL);
  if (err)
    printf ("# %s\n", err->msg);
  kago_error_release (&err);
  if (s == NULL)
    return;
  CHECK (s->hostname == NULL && s->process == NULL && s->n_mounts == 0);
  CHECK (s->has_linux && s->linux_.has_resources);
  CHECK (s->linux_.resources.has_memory && !s->linux_.resources.has_mem_limit
         && s->linux_.resources.has_mem_swap);
  CHECK (!s->linux_.resources.has_cpu && !s->linux_.resources.has_pids_limit);
  CHECK (s->linux_.seccomp == NULL && s->linux_.sysctl.n == 0);
  oci_spec_free (s);

  /* No linux section at all, no process: create would still work.  */
  s = parse_spec_str (MIN_HEAD "}", &err);
  CHECK (s != NULL && !s->has_linux && s->process == NULL);
  CHECK (oci_spec_namespace (s, OCI_NS_PID) == NULL);
  oci_spec_free (s);
  kago_error_release (&err);

  /* Duplicate map keys: the last value wins, one entry.  */
  s = parse_spec_str (MIN_HEAD ", \"annotations\": {\"a\": \"1\", \"b\": \"2\", \"a\": \"3\"}}", &err);
  CHECK (s && s->annotations.n == 2);
  if (s)
    CHECK_STR (oci_map_get (&s->annotations, "a"), "3");
  oci_spec_free (s);
  kago_error_release (&err);
}

TEST (version_matrix)
{
  static const char *const good[] = {
    "1.0.0", "1.0.1", "1.0.2",     "1.0.2-dev", "1.1.0",     "1.1.0-rc.1",         "1.1.0-rc.3",  "1.2.0",
    "1.2.1", "1.3.0", "1.3.0+dev", "1.3.7",     "1.0.0-rc5", "1.2.0-rc.1+build.5", "1.3.0-0.3.7",
  };
  static const char *const bad[] = {
    "",        "1",      "1.0",         "1.4.0",  "2.0.0",  "0.9.0",     "0.1.0",
    "1.0.0.0", "v1.0.0", "1.0.0-",      "1.0.0+", "01.0.0", "1.00.0",    "1.0.x",
    " 1.0.0",  "1.0.0 ", "1.0.0-rc..1", "1.10.0", "1.3",    "1.0.0_dev",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    {
      kago_error_t err = NULL;
      if (oci_version_check (good[i], &err) < 0)
        {
          printf ("# \"%s\" rejected: %s\n", good[i], err ? err->msg : "?");
          tap_cur_failed = 1;
        }
      kago_error_release (&err);
    }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      kago_error_t err = NULL;
      if (oci_version_check (bad[i], &err) == 0)
        {
          printf ("# \"%s\" accepted\n", bad[i]);
          tap_cur_failed = 1;
        }
      else
        {
          char want[128];
          snprintf (want, sizeof want,
                    "ociVersion: unsupported version \"%s\" (kago supports 1.0.0 through 1.3.x)", bad[i]);
          CHECK_STR (err ? err->msg : NULL, want);
        }
      kago_error_release (&err);
    }
}

static oci_spec *
parse_default (bool rootless, char **text)
{
  kago_error_t err = NULL;
  *text = kago_default_spec_json (rootless);
  oci_spec *s = parse_spec_str (*text, &err);
  if (s == NULL)
    printf ("# default spec does not parse: %s\n", err ? err->msg : "?");
  kago_error_release (&err);
  return s;
}

TEST (default_spec_round_trip)
{
  char *text;
  oci_spec *s = parse_default (false, &text);
  CHECK (s != NULL);
  CHECK (starts_with (
      text, "{\n\t\"ociVersion\": \"1.3.0\",\n\t\"process\": {\n\t\t\"terminal\": true,\n\t\t\"user\": {\n"));
  CHECK (strstr (text, "  ") == NULL); /* tabs only */
  CHECK (text[strlen (text) - 1] == '}');
  CHECK_CONTAINS (text, "\n\t\t\t\t{\n\t\t\t\t\t\"allow\": false,\n\t\t\t\t\t\"access\": \"rwm\"\n\t\t\t\t}");
  if (s)
    {
      CHECK_STR (s->oci_version, KAGO_OCI_VERSION);
      CHECK_STR (s->hostname, "kago");
      CHECK_STR (s->root_path, "rootfs");
      CHECK (s->root_readonly);
      oci_process *p = s->process;
      CHECK (p && p->terminal && p->args.n == 1 && p->no_new_privileges);
      if (p)
        {
          CHECK_STR (p->args.v[0], "sh");
          CHECK_STR (p->cwd, "/");
          CHECK_STR (p->env.v[1], "TERM=xterm");
          CHECK (p->user.uid == 0 && p->user.gid == 0);
          CHECK (p->capabilities.bounding.n == 3 && p->capabilities.effective.n == 3
                 && p->capabilities.permitted.n == 3);
          CHECK (p->capabilities.inheritable.v == NULL && p->capabilities.ambient.v == NULL);
          CHECK (p->n_rlimits == 1 && p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 1024);
        }
      CHECK (s->n_mounts == 7);
      CHECK_STR (s->mounts[2].destination, "/dev/pts");
      CHECK_STR (s->mounts[2].options.v[5], "gid=5");
      CHECK_STR (s->mounts[6].destination, "/sys/fs/cgroup");
      CHECK (s->mounts[0].options.v == NULL);
      CHECK (s->linux_.n_namespaces == 6);
      CHECK (oci_spec_namespace (s, OCI_NS_NETWORK) != NULL && oci_spec_namespace (s, OCI_NS_CGROUP) != NULL);
      CHECK (oci_spec_namespace (s, OCI_NS_USER) == NULL);
      CHECK (s->linux_.has_resources && s->linux_.resources.n_devices == 1
             && !s->linux_.resources.devices[0].allow);
      CHECK (s->linux_.masked_paths.n >= 10 && s->linux_.readonly_paths.n == 5);
      CHECK_STR (s->linux_.masked_paths.v[0], "/proc/acpi");
      CHECK_STR (s->linux_.readonly_paths.v[4], "/proc/sysrq-trigger");
    }
  oci_spec_free (s);
  free (text);

  s = parse_default (true, &text);
  CHECK (s != NULL);
  if (s)
    {
      CHECK (oci_spec_namespace (s, OCI_NS_NETWORK) == NULL);
      CHECK (oci_spec_namespace (s, OCI_NS_USER) != NULL);
      CHECK (s->linux_.uid_mappings.n == 1 && s->linux_.uid_mappings.items[0].host_id == geteuid ()
             && s->linux_.uid_mappings.items[0].container_id == 0
             && s->linux_.uid_mappings.items[0].size == 1);
      CHECK (s->linux_.gid_mappings.n == 1 && s->linux_.gid_mappings.items[0].host_id == getegid ());
      CHECK (!s->linux_.has_resources);
      CHECK (s->n_mounts == 6);
      CHECK_STR (s->mounts[5].destination, "/sys");
      CHECK_STR (s->mounts[5].type, "none");
      CHECK_STR (s->mounts[5].source, "/sys");
      CHECK_STR (s->mounts[5].options.v[0], "rbind");
      CHECK (s->mounts[2].options.n == 5); /* devpts without gid=5 */
      for (size_t i = 0; i < s->n_mounts; i++)
        CHECK (s->mounts[i].type == NULL || strcmp (s->mounts[i].type, "cgroup") != 0);
    }
  oci_spec_free (s);
  free (text);
}

TEST (process_and_resources_alone)
{
  kago_error_t err = NULL;
  const char *doc
      = "{\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"ls\"], \"cwd\": \"/\", \"terminal\": \"no\"}";
  json_value *v = json_parse (doc, strlen (doc), NULL);
  oci_process *p = oci_process_parse (v, "process", &err);
  CHECK (p == NULL);
  CHECK_STR (err ? err->msg : NULL, "process.terminal: expected a boolean, got string");
  kago_error_release (&err);
  json_free (v);

  doc = "{\"user\": {\"uid\": 7, \"gid\": 8}, \"args\": [\"ls\", \"-l\"], \"cwd\": \"/tmp\"}";
  v = json_parse (doc, strlen (doc), NULL);
  p = oci_process_parse (v, "process", &err);
  CHECK (p && p->user.uid == 7 && p->args.n == 2 && !p->capabilities.present && !p->has_oom_score_adj);
  oci_process_free (p);
  json_free (v);

  oci_resources r;
  doc = "{\"memory\": {\"limit\": -1}, \"pids\": {\"limit\": 0}, \"cpu\": {\"quota\": -1}}";
  v = json_parse (doc, strlen (doc), NULL);
  CHECK (oci_resources_parse (v, "", &r, &err) == 0);
  CHECK (r.has_mem_limit && r.mem_limit == -1 && r.has_pids_limit && r.pids_limit == 0);
  CHECK (r.has_cpu_quota && r.cpu_quota == -1 && !r.has_cpu_shares);
  oci_resources_clear (&r);
  json_free (v);

  doc = "{\"memory\": {\"limit\": \"x\"}}";
  v = json_parse (doc, strlen (doc), NULL);
  CHECK (oci_resources_parse (v, "", &r, &err) < 0);
  CHECK_STR (err ? err->msg : NULL, "memory.limit: expected an integer, got string");
  kago_error_release (&err);
  CHECK (oci_resources_parse (v, "resources", &r, &err) < 0);
  CHECK_STR (err ? err->msg : NULL, "resources.memory.limit: expected an integer, got string");
  kago_error_release (&err);
  json_free (v);
}

TEST (load_from_file)
{
  char dir[] = "/tmp/kago-test-spec-XXXXXX";
  CHECK (mkdtemp (dir) != NULL);
  char path[64];
  snprintf (path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen (path, "w");
  CHECK (f != NULL);
  if (f == NULL)
    return;
  fputs (MIN_HEAD ", " PROC_WITH ("\"env\": [1]") "}", f);
  fclose (f);
  kago_error_t err = NULL;
  oci_spec *s = oci_spec_load (path, &err);
  CHECK (s == NULL);
  char want[160];
  snprintf (want, sizeof want, "%s: process.env[0]: expected a string, got number", path);
  CHECK_STR (err ? err->msg : NULL, want);
  kago_error_release (&err);

  f = fopen (path, "w");
  fputs (full_config, f);
  fclose (f);
  s = oci_spec_load (path, &err);
  CHECK (s != NULL && s->process != NULL);
  oci_spec_free (s);
  kago_error_release (&err);

  f = fopen (path, "w");
  fputs ("{\"ociVersion\": \"1.0.0\",\n \"root\": {\"path\": \"r\"}\n \"x\": 1}", f);
  fclose (f);
  s = oci_spec_load (path, &err);
  CHECK (s == NULL);
  snprintf (want, sizeof want, "%s: line 3, column 2:", path);
  CHECK_CONTAINS (err ? err->msg : NULL, want);
  kago_error_release (&err);
  unlink (path);
  rmdir (dir);
}

TEST (namespace_helpers)
{
  CHECK_STR (oci_ns_type_name (OCI_NS_NETWORK), "network");
  CHECK_STR (oci_ns_proc_name (OCI_NS_NETWORK), "net");
  CHECK_STR (oci_ns_proc_name (OCI_NS_MOUNT), "mnt");
  CHECK_STR (oci_ns_type_name (OCI_NS_TIME), "time");
  CHECK (oci_ns_clone_flag (OCI_NS_PID) == CLONE_NEWPID);
  CHECK (oci_ns_clone_flag (OCI_NS_USER) == CLONE_NEWUSER);
  CHECK (oci_ns_clone_flag (OCI_NS_CGROUP) == CLONE_NEWCGROUP);
  CHECK (oci_ns_clone_flag (OCI_NS_TIME) == 0x80);
  CHECK (oci_ns_type_name (OCI_NS_COUNT) == NULL);
  CHECK (oci_map_get (NULL, "x") == NULL);
}

TEST (state_object)
{
  oci_kv kv[] = { { (char *) "a", (char *) "1" } };
  oci_map m = { kv, 1 };
  json_value *o = kago_state_json_new ("1.3.0", "c1", "running", 1234, "/b", &m);
  char *s = json_to_string (o, false);
  CHECK_STR (s,
             "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"running\",\"pid\":1234,\"bundle\":\"/b\","
             "\"annotations\":{\"a\":\"1\"}}");
  free (s);
  json_free (o);
  oci_map empty = { NULL, 0 };
  o = kago_state_json_new ("1.3.0", "c1", "stopped", 0, "/b", &empty);
  s = json_to_string (o, false);
  CHECK_STR (s, "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"stopped\",\"bundle\":\"/b\"}");
  free (s);
  json_free (o);
}

TEST (features_document)
{
  static const char *const hooks[] = { "prestart", "createRuntime", NULL };
  static const char *const ns[] = { "pid", "user", NULL };
  static const char *const acts[] = { "SCMP_ACT_ALLOW", NULL };
  oci_kv kv[] = { { (char *) "org.kago.version", (char *) "0.1.0" } };
  oci_map ann = { kv, 1 };
  struct kago_features_input in = {
    .hooks = hooks,
    .linux_present = true,
    .namespaces = ns,
    .cgroup_present = true,
    .cgroup_v1 = KAGO_FEATURE_YES,
    .cgroup_v2 = KAGO_FEATURE_YES,
    .cgroup_systemd = KAGO_FEATURE_NO,
    .seccomp_present = true,
    .seccomp_enabled = KAGO_FEATURE_YES,
    .seccomp_actions = acts,
    .apparmor_enabled = KAGO_FEATURE_YES,
    .idmap_mounts = KAGO_FEATURE_YES,
    .annotations = &ann,
  };
  json_value *f = kago_features_new (&in);
  char *s = json_to_string (f, false);
  CHECK_STR (
      s,
      "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.3.0\",\"hooks\":[\"prestart\",\"createRuntime\"],"
      "\"linux\":{\"namespaces\":[\"pid\",\"user\"],\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":false},"
      "\"seccomp\":{\"enabled\":true,\"actions\":[\"SCMP_ACT_ALLOW\"]},\"apparmor\":{\"enabled\":true},"
      "\"mountExtensions\":{\"idmap\":{\"enabled\":true}}},"
      "\"annotations\":{\"org.kago.version\":\"0.1.0\"}}");
  free (s);
  json_free (f);
  s = kago_features_json (&in);
  CHECK (starts_with (s, "{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.3.0\",\n  \"hooks\": "
                         "[\n    \"prestart\","));
  free (s);
}

int
main (void)
{
  RUN (full_config_top_and_process);
  RUN (full_config_linux);
  RUN (bad_configs_name_the_path);
  RUN (null_means_absent_and_unknown_ignored);
  RUN (version_matrix);
  RUN (default_spec_round_trip);
  RUN (process_and_resources_alone);
  RUN (load_from_file);
  RUN (namespace_helpers);
  RUN (state_object);
  RUN (features_document);
  return tap_done ();
}
