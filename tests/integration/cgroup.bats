#!/usr/bin/env bats
# cgroups of kago-runtime containers, checked in the kernel: cgroupsPath as
# the engines write it, resources (v1 files or their v2 conversions), device
# rules, the freezer, `update`, refused settings, and that delete removes
# exactly the cgroups kago made (never a pre-existing parent).
#
# Runs on the hybrid development hosts (v1 controllers + cgroup2 at
# /sys/fs/cgroup/unified) and on a pure v2 host (the v2 lane, tests/vm; run
# this file there with `tests/vm/run-v2-lane.sh tests/integration/cgroup.bats`):
# every check reads the file of the layout it runs on (helpers' cgroup_layout,
# cgroup_dir, container_cgroup_file).  Every cgroup of a test lives under a
# parent named after the test ("/kago-bats-$CID") so that the hierarchies'
# other cgroups are never touched.

load helpers

is_v2() {
  [ "$(cgroup_layout)" = v2 ]
}

# Every cgroup mount point (v1 hierarchies and cgroup2).
cg_mounts() {
  awk '($9 == "cgroup" || $9 == "cgroup2") && $5 ~ "^/sys/fs/cgroup" { print $5 }' /proc/self/mountinfo
}

no_dir_left() { # no directory $1 in any hierarchy
  local m
  for m in $(cg_mounts); do
    [ ! -d "$m$1" ] || fail "left behind: $m$1" || return 1
  done
}

setup() {
  kago_setup
  PARENT="/kago-bats-$CID"
}

teardown() {
  local m
  kago_teardown
  local rc=$?
  for m in $(cg_mounts); do
    [ -d "$m$PARENT" ] && find "$m$PARENT" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return $rc
}

@test "cgroupsPath /parent/id: the init joins every hierarchy, delete removes what kago made" {
  make_bundle '["sleep", "100"]'
  update_config '.linux.cgroupsPath = $p' --arg p "$PARENT/$CID"
  kago_create "$CID"
  run init_proc "$CID" cgroup
  [ "$status" -eq 0 ]
  n=0
  while IFS=: read -r _ ctrls path; do
    [ "$path" = "$PARENT/$CID" ] || fail "init is in $ctrls:$path, not $PARENT/$CID"
    n=$((n + 1))
  done <<<"$output"
  [ "$n" -ge 1 ]
  # v2: the one line; hybrid: the unified hierarchy is joined too, as runc does.
  [ "$(cgroup_layout)" = v1 ] || grep -qx "0::$PARENT/$CID" <<<"$output"
  kago_ok delete --force "$CID"
  no_dir_left "$PARENT"
}

@test "cgroupsPath: a parent that existed before create survives delete" {
  make_bundle '["sleep", "100"]'
  for m in $(cg_mounts); do mkdir -p "$m$PARENT"; done
  update_config '.linux.cgroupsPath = $p' --arg p "$PARENT/$CID"
  kago_create "$CID"
  kago_ok delete --force "$CID"
  for m in $(cg_mounts); do
    [ -d "$m$PARENT" ] || fail "pre-existing $m$PARENT was removed"
    [ ! -d "$m$PARENT/$CID" ] || fail "$m$PARENT/$CID left behind"
  done
}

@test "resources: memory, cpu, cpuset and pids reach the kernel" {
  make_bundle '["sleep", "100"]'
  update_config '.linux.cgroupsPath = $p
    | .linux.resources.memory = {"limit": 268435456, "reservation": 134217728}
    | .linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}
    | .linux.resources.pids = {"limit": 10}' --arg p "$PARENT/$CID"
  kago_create "$CID"
  if is_v2; then
    d="$(cgroup_dir unified "$PARENT/$CID")"
    [ "$(cat $d/memory.max)" = 268435456 ]
    [ "$(cat $d/memory.low)" = 134217728 ]
    [ "$(cat $d/cpu.weight)" = 20 ]
    [ "$(cat $d/cpu.max)" = "50000 100000" ]
    [ "$(cat $d/cpuset.cpus)" = 0 ]
    [ "$(cat $d/pids.max)" = 10 ]
  else
    [ "$(cat $(cgroup_dir memory "$PARENT/$CID")/memory.limit_in_bytes)" = 268435456 ]
    [ "$(cat $(cgroup_dir memory "$PARENT/$CID")/memory.soft_limit_in_bytes)" = 134217728 ]
    [ "$(cat $(cgroup_dir cpu "$PARENT/$CID")/cpu.shares)" = 512 ]
    [ "$(cat $(cgroup_dir cpu "$PARENT/$CID")/cpu.cfs_quota_us)" = 50000 ]
    [ "$(cat $(cgroup_dir cpuset "$PARENT/$CID")/cpuset.cpus)" = 0 ]
    [ "$(cat $(cgroup_dir pids "$PARENT/$CID")/pids.max)" = 10 ]
  fi
}

@test "resources (v2): swap, block IO weight and hugepage limits reach their v2 files" {
  requires_cgroup_v2
  make_bundle '["sleep", "100"]'
  update_config '.linux.cgroupsPath = $p
    | .linux.resources.memory = {"limit": 268435456, "swap": 402653184}
    | .linux.resources.blockIO = {"weight": 500}
    | .linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 8388608}]' --arg p "$PARENT/$CID"
  kago_create "$CID"
  d="$(cgroup_dir unified "$PARENT/$CID")"
  # OCI's swap is memory+swap; v2 limits swap alone.
  [ "$(cat "$d/memory.swap.max")" = 134217728 ]
  # blkio weight 10..1000 is io.bfq.weight as is, or io.weight 1..10000.
  if [ -f "$d/io.bfq.weight" ]; then
    grep -qx "default 500" "$d/io.bfq.weight"
  else
    grep -qx "default 4950" "$d/io.weight"
  fi
  [ "$(cat "$d/hugetlb.2MB.max")" = 8388608 ]
}

@test "resources: the pids limit stops a fork bomb" {
  make_bundle '["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done; wait"]'
  update_config '.linux.cgroupsPath = $p | .linux.resources.pids = {"limit": 4}' --arg p "$PARENT/$CID"
  kago_create "$CID"
  kago_ok start "$CID"
  if is_v2; then f="$(cgroup_dir unified "$PARENT/$CID")/pids.current"; else f="$(cgroup_dir pids "$PARENT/$CID")/pids.current"; fi
  sleep 0.5
  [ "$(cat "$f")" -le 4 ]
  grep -q "can't fork\|Resource temporarily unavailable\|fork" "$TEST_DIR/$CID.err" \
    || fail "no fork failure reported: $(cat "$TEST_DIR/$CID.err")"
}

@test "resources: a memory hog is OOM-killed at the limit" {
  # busybox tail keeps the whole newline-free input in memory.
  make_bundle '["sh", "-c", "head -c 200000000 /dev/zero | tail >/dev/null; echo tail-status=$?"]'
  update_config '.linux.cgroupsPath = $p | .linux.resources.memory = {"limit": 33554432, "swap": 33554432}' \
    --arg p "$PARENT/$CID"
  kago_create "$CID"
  kago_ok start "$CID"
  wait_for_status "$CID" stopped 20
  grep -qx "tail-status=137" "$TEST_DIR/$CID.out" && return 0
  # Under memory pressure the kernel may pick the shell (the container's
  # PID 1) rather than tail: then the cgroup's own OOM-kill count says it.
  local n
  if is_v2; then
    n="$(awk '$1 == "oom_kill" { print $2 }' "$(cgroup_dir unified "$PARENT/$CID")/memory.events")"
  else
    n="$(awk '$1 == "oom_kill" { print $2 }' "$(cgroup_dir memory "$PARENT/$CID")/memory.oom_control")"
  fi
  [ "${n:-0}" -ge 1 ] || fail "not OOM-killed: $(cat "$TEST_DIR/$CID.out"), oom_kill=${n:-none}"
}

@test "devices: deny all then allow c 1:3 — /dev/null works, a device outside the list does not" {
  make_bundle '["sh", "-c", "mknod /dev/null2 c 1 3 && echo x >/dev/null2 && echo null-ok; mknod /dev/loop-test b 7 0 && echo mknod-ok; : </dev/loop-test && echo blk-ok; true"]'
  # The runtime appends its default allowed devices (c *:* m, b *:* m,
  # /dev/zero, ...) as runc does; block 7:0 (loop0) may be made, not opened.
  update_config '.linux.cgroupsPath = $p
    | .process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
    | .process.capabilities.permitted += ["CAP_MKNOD"]
    | .linux.resources.devices = [{"allow": false, "access": "rwm"},
                                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]' \
    --arg p "$PARENT/$CID"
  kago_create "$CID"
  if ! is_v2; then
    run cat "$(cgroup_dir devices "$PARENT/$CID")/devices.list"
    grep -qx "c 1:3 rwm" <<<"$output"
    ! grep -qx "a \*:\* rwm" <<<"$output"
  fi
  kago_ok start "$CID"
  wait_for_status "$CID" stopped
  grep -qx null-ok "$TEST_DIR/$CID.out"
  grep -qx mknod-ok "$TEST_DIR/$CID.out" || fail "mknod failed: $(cat "$TEST_DIR/$CID.err")"
  ! grep -qx blk-ok "$TEST_DIR/$CID.out"
}

@test "pause/resume: freezer state in the container's cgroup" {
  make_bundle '["sleep", "100"]'
  update_config '.linux.cgroupsPath = $p' --arg p "$PARENT/$CID"
  kago_create "$CID"
  kago_ok start "$CID"
  kago_ok pause "$CID"
  [ "$(container_status "$CID")" = paused ]
  if is_v2; then
    grep -qx "frozen 1" "$(cgroup_dir unified "$PARENT/$CID")/cgroup.events"
  else
    [ "$(cat "$(cgroup_dir freezer "$PARENT/$CID")/freezer.state")" = FROZEN ]
  fi
  kago_ok resume "$CID"
  [ "$(container_status "$CID")" = running ]
  if is_v2; then
    grep -qx "frozen 0" "$(cgroup_dir unified "$PARENT/$CID")/cgroup.events"
  else
    [ "$(cat "$(cgroup_dir freezer "$PARENT/$CID")/freezer.state")" = THAWED ]
  fi
  # A paused container can be killed and deleted.
  kago_ok pause "$CID"
  kago_ok delete --force "$CID"
  no_dir_left "$PARENT"
}

@test "update: memory and cpu of a running container (docker's zeros mean unchanged)" {
  make_bundle '["sleep", "100"]'
  update_config '.linux.cgroupsPath = $p | .linux.resources.memory = {"limit": 268435456}
    | .linux.resources.cpu = {"shares": 512}' --arg p "$PARENT/$CID"
  kago_create "$CID"
  kago_ok start "$CID"
  echo '{"memory":{"limit":67108864,"reservation":0,"swap":67108864,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0},"blockIO":{"weight":0}}' \
    >"$TEST_DIR/res.json"
  run_kago update --resources "$TEST_DIR/res.json" "$CID"
  [[ "$output" != *"not available yet"* ]] || skip "the update verb is not wired yet"
  [ "$status" -eq 0 ]
  if is_v2; then
    d="$(cgroup_dir unified "$PARENT/$CID")"
    [ "$(cat $d/memory.max)" = 67108864 ]
    [ "$(cat $d/cpu.weight)" = 20 ]
  else
    [ "$(cat $(cgroup_dir memory "$PARENT/$CID")/memory.limit_in_bytes)" = 67108864 ]
    [ "$(cat $(cgroup_dir cpu "$PARENT/$CID")/cpu.shares)" = 512 ]
  fi
}

@test "refused settings name the field, and nothing is left behind" {
  make_bundle '["true"]'
  update_config '.linux.cgroupsPath = $p | .linux.resources.blockIO = {"leafWeight": 300}' --arg p "$PARENT/$CID"
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"linux.resources.blockIO.leafWeight"* ]]
  no_dir_left "$PARENT"
  kago_fails state "$CID"

  update_config 'del(.linux.resources.blockIO) | .linux.resources.cpu = {"cpus": "4095"}'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"linux.resources.cpu.cpus: \"4095\": CPU 4095 does not exist here"* ]]
  no_dir_left "$PARENT"
}

@test "--systemd-cgroup: a clear error without systemd" {
  [ ! -d /run/systemd/system ] || skip "systemd is running here"
  make_bundle '["true"]'
  update_config '.linux.cgroupsPath = $p' --arg p "system.slice:kago:$CID"
  run_kago --systemd-cgroup create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"--systemd-cgroup: systemd is not running on this host (no /run/systemd/system)"* ]]
  kago_fails state "$CID"
}

@test "kill --all reaches every process of the cgroup" {
  make_bundle '["sh", "-c", "sleep 100 & sleep 100 & sleep 100"]'
  update_config '.linux.cgroupsPath = $p' --arg p "$PARENT/$CID"
  kago_create "$CID"
  kago_ok start "$CID"
  if is_v2; then f="$(cgroup_dir unified "$PARENT/$CID")/cgroup.procs"; else f="$(cgroup_dir freezer "$PARENT/$CID")/cgroup.procs"; fi
  wait_until 5 test "$(wc -l <"$f")" -ge 3
  kago_ok kill --all "$CID" KILL
  wait_until 5 test "$(wc -l <"$f")" -eq 0
  kago_ok delete "$CID"
  no_dir_left "$PARENT"
}

@test "no cgroupsPath: the container gets a cgroup of its own, removed by delete" {
  make_bundle '["sleep", "100"]'
  update_config 'del(.linux.cgroupsPath) | .linux.resources.pids = {"limit": 33}'
  kago_create "$CID"
  f="$(container_cgroup_file "$CID" pids pids.max)"
  [[ "$f" == */"$CID"/pids.max ]] || fail "the default cgroup is not named after the container: $f"
  [ "$(cat "$f")" = 33 ]
  kago_ok delete --force "$CID"
  [ ! -d "$(dirname "$f")" ] || fail "$(dirname "$f") left behind"
}

@test "cgroup namespace: /sys/fs/cgroup in the container is rooted at its own cgroup" {
  make_bundle
  update_config '.process.args = ["sh", "-c", $s] | .linux.cgroupsPath = $p
    | .linux.namespaces = [(.linux.namespaces[] | select(.type != "cgroup")), {"type": "cgroup"}]
    | .linux.resources.pids = {"limit": 42}' \
    --arg p "$PARENT/$CID" \
    --arg s 'sed "s/^/cg=/" /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo | sed "s/^/mnt=/";
             echo "pids=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)"'
  kago_ok run --bundle "$BUNDLE" "$CID"
  # In its own cgroup namespace the container is at the root of every hierarchy.
  grep -q '^cg=' <<<"$output"
  ! grep '^cg=' <<<"$output" | grep -qv ':/$' || fail "a cgroup path other than / inside the namespace"
  grep -qx "pids=42" <<<"$output" || fail "the container does not see its own pids.max"
  if is_v2; then
    grep -qx 'cg=0::/' <<<"$output"
    grep -q '^mnt=.* /sys/fs/cgroup .* - cgroup2 ' <<<"$output" || fail "/sys/fs/cgroup is not a cgroup2 mount"
  else
    # v1: a tmpfs holding one directory per hierarchy, as runc makes it.
    grep -q '^mnt=.* /sys/fs/cgroup .* - tmpfs ' <<<"$output" || fail "/sys/fs/cgroup is not a tmpfs"
  fi
}

@test "unified: linux.resources.unified writes cgroup v2 files, an unknown key is refused by name" {
  requires_cgroup_v2
  make_bundle '["sleep", "100"]'
  update_config '.linux.cgroupsPath = $p
    | .linux.resources.unified = {"memory.high": "104857600", "pids.max": "17"}' --arg p "$PARENT/$CID"
  kago_create "$CID"
  d="$(cgroup_dir unified "$PARENT/$CID")"
  [ "$(cat "$d/memory.high")" = 104857600 ]
  [ "$(cat "$d/pids.max")" = 17 ]

  id2="$(new_id)"
  update_config '.linux.cgroupsPath = $p | .linux.resources.unified = {"nosuch.file": "1"}' --arg p "$PARENT/$id2"
  kago_fails create --bundle "$BUNDLE" "$id2"
  [[ "$output" == *'linux.resources.unified["nosuch.file"]'* ]]
  [ ! -d "$(cgroup_dir unified "$PARENT/$id2")" ] || fail "$PARENT/$id2 left behind"
}

@test "update: --pids-limit, --cpu-quota and --memory flags on a running container" {
  make_bundle '["sleep", "100"]'
  update_config '.linux.cgroupsPath = $p | .linux.resources.pids = {"limit": 10}
    | .linux.resources.cpu = {"quota": 50000, "period": 100000}
    | .linux.resources.memory = {"limit": 268435456}' --arg p "$PARENT/$CID"
  kago_create "$CID"
  kago_ok start "$CID"
  kago_ok update --pids-limit 20 --cpu-quota 25000 --memory 134217728 "$CID"
  if is_v2; then
    [ "$(cat "$(container_cgroup_file "$CID" pids pids.max)")" = 20 ]
    [ "$(cat "$(container_cgroup_file "$CID" cpu cpu.max)")" = "25000 100000" ]
    [ "$(cat "$(container_cgroup_file "$CID" memory memory.max)")" = 134217728 ]
  else
    [ "$(cat "$(container_cgroup_file "$CID" pids pids.max)")" = 20 ]
    [ "$(cat "$(container_cgroup_file "$CID" cpu cpu.cfs_quota_us)")" = 25000 ]
    [ "$(cat "$(container_cgroup_file "$CID" memory memory.limit_in_bytes)")" = 134217728 ]
  fi
}
