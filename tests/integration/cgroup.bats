#!/usr/bin/env bats
# cgroups of kago-runtime containers, checked in the kernel: cgroupsPath as
# the engines write it, resources (v1 files or their v2 conversions), device
# rules, the freezer, `update`, refused settings, and that delete removes
# exactly the cgroups kago made (never a pre-existing parent).
#
# Runs on the hybrid development hosts (v1 controllers + cgroup2 at
# /sys/fs/cgroup/unified) and on a pure v2 host (tests/vm).  Every cgroup of
# a test lives under a parent named after the test ("/kago-bats-$CID") so that
# the hierarchies' other cgroups are never touched.

load helpers

is_v2() {
  [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]
}

# The directory of cgroup path $2 in the hierarchy holding controller $1
# (v1), or in the unified hierarchy (v2, or $1 = unified on hybrid).
cg_dir() {
  if is_v2; then
    echo "/sys/fs/cgroup$2"
  elif [ "$1" = unified ]; then
    echo "/sys/fs/cgroup/unified$2"
  else
    local m
    m="$(awk -v c="$1" '$9 == "cgroup" && ("," $NF ",") ~ ("," c ",") { print $5; exit }' /proc/self/mountinfo)"
    echo "$m$2"
  fi
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
  # hybrid: the unified hierarchy is joined too, as runc does.
  grep -qx "0::$PARENT/$CID" <<<"$output"
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
    d="$(cg_dir unified "$PARENT/$CID")"
    [ "$(cat $d/memory.max)" = 268435456 ]
    [ "$(cat $d/memory.low)" = 134217728 ]
    [ "$(cat $d/cpu.weight)" = 20 ]
    [ "$(cat $d/cpu.max)" = "50000 100000" ]
    [ "$(cat $d/cpuset.cpus)" = 0 ]
    [ "$(cat $d/pids.max)" = 10 ]
  else
    [ "$(cat $(cg_dir memory "$PARENT/$CID")/memory.limit_in_bytes)" = 268435456 ]
    [ "$(cat $(cg_dir memory "$PARENT/$CID")/memory.soft_limit_in_bytes)" = 134217728 ]
    [ "$(cat $(cg_dir cpu "$PARENT/$CID")/cpu.shares)" = 512 ]
    [ "$(cat $(cg_dir cpu "$PARENT/$CID")/cpu.cfs_quota_us)" = 50000 ]
    [ "$(cat $(cg_dir cpuset "$PARENT/$CID")/cpuset.cpus)" = 0 ]
    [ "$(cat $(cg_dir pids "$PARENT/$CID")/pids.max)" = 10 ]
  fi
}

@test "resources: the pids limit stops a fork bomb" {
  make_bundle '["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done; wait"]'
  update_config '.linux.cgroupsPath = $p | .linux.resources.pids = {"limit": 4}' --arg p "$PARENT/$CID"
  kago_create "$CID"
  kago_ok start "$CID"
  if is_v2; then f="$(cg_dir unified "$PARENT/$CID")/pids.current"; else f="$(cg_dir pids "$PARENT/$CID")/pids.current"; fi
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
    n="$(awk '$1 == "oom_kill" { print $2 }' "$(cg_dir unified "$PARENT/$CID")/memory.events")"
  else
    n="$(awk '$1 == "oom_kill" { print $2 }' "$(cg_dir memory "$PARENT/$CID")/memory.oom_control")"
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
    run cat "$(cg_dir devices "$PARENT/$CID")/devices.list"
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
    grep -qx "frozen 1" "$(cg_dir unified "$PARENT/$CID")/cgroup.events"
  else
    [ "$(cat "$(cg_dir freezer "$PARENT/$CID")/freezer.state")" = FROZEN ]
  fi
  kago_ok resume "$CID"
  [ "$(container_status "$CID")" = running ]
  if is_v2; then
    grep -qx "frozen 0" "$(cg_dir unified "$PARENT/$CID")/cgroup.events"
  else
    [ "$(cat "$(cg_dir freezer "$PARENT/$CID")/freezer.state")" = THAWED ]
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
    d="$(cg_dir unified "$PARENT/$CID")"
    [ "$(cat $d/memory.max)" = 67108864 ]
    [ "$(cat $d/cpu.weight)" = 20 ]
  else
    [ "$(cat $(cg_dir memory "$PARENT/$CID")/memory.limit_in_bytes)" = 67108864 ]
    [ "$(cat $(cg_dir cpu "$PARENT/$CID")/cpu.shares)" = 512 ]
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
  if is_v2; then f="$(cg_dir unified "$PARENT/$CID")/cgroup.procs"; else f="$(cg_dir freezer "$PARENT/$CID")/cgroup.procs"; fi
  wait_until 5 test "$(wc -l <"$f")" -ge 3
  kago_ok kill --all "$CID" KILL
  wait_until 5 test "$(wc -l <"$f")" -eq 0
  kago_ok delete "$CID"
  no_dir_left "$PARENT"
}
