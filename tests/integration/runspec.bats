#!/usr/bin/env bats
# The engine's run/create spec (src/engine/container/spec_*.c) run for real:
# tests/helpers/specgen builds the OCI config from docker-style flags for a
# busybox bundle, and kago-runtime runs it.  Until `kago run` exists this is
# how the flags of seeds 000 and 004 are checked end to end.

load helpers

SPECGEN="$REPO/build/tests/helpers/specgen"

# spec [run flags...] IMAGE [CMD...]: a fresh bundle whose config.json is
# specgen's output for these flags.
spec() {
  make_bundle
  SPECGEN_ID="$(printf '%s' "$CID-$RANDOM" | sha256sum | cut -c1-64)"
  export SPECGEN_ID
  run "$SPECGEN" "$BUNDLE" "$@"
  [ "$status" -eq 0 ] || fail "specgen $*: $output" || return 1
  printf '%s\n' "$output" >"$BUNDLE/config.json"
}

@test "runspec: docker's default container (hostname, caps, seccomp, masked paths, read-only /sys)" {
  spec busybox sh -c 'hostname; grep -E "^(CapEff|Seccomp):" /proc/self/status; wc -c </proc/timer_list; touch /sys/x 2>&1; cat /etc/hostname; id'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = "${SPECGEN_ID:0:12}" ]
  [[ "$output" == *"CapEff:	00000000a80425fb"* ]]
  [[ "$output" == *"Seccomp:	2"* ]]
  [ "${lines[3]}" = 0 ]
  [[ "$output" == *"Read-only file system"* ]]
  [ "${lines[5]}" = "${SPECGEN_ID:0:12}" ]
  [[ "${lines[6]}" == "uid=0(root) gid=0(root) groups=0(root)"* ]]
}

@test "runspec: --user 1000:1000 has no effective capabilities (seed 004)" {
  spec --user 1000:1000 busybox sh -c 'echo $(id -u) $(id -g) $(id -G); grep CapEff /proc/self/status'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = "1000 1000 1000" ]
  [ "${lines[1]}" = "CapEff:	0000000000000000" ]
}

@test "runspec: --privileged: all capabilities, no seccomp, the host's devices (seed 004)" {
  spec --privileged busybox sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; ls /dev | wc -l; touch /sys/kernel/x 2>&1 | grep -c Read-only; true'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = "$(grep CapBnd /proc/self/status | sed 's/CapBnd/CapEff/')" ]
  [ "${lines[1]}" = "Seccomp:	0" ]
  [ "${lines[2]}" -gt 20 ]
  [ "${lines[3]}" = 0 ]
}

@test "runspec: --ulimit nofile=2048 and 1024:4096 (seed 000)" {
  spec --ulimit nofile=2048 busybox sh -c 'ulimit -n; ulimit -Hn'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = 2048 ] && [ "${lines[1]}" = 2048 ]
  spec --ulimit nofile=1024:4096 busybox sh -c 'ulimit -n; ulimit -Hn'
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "${lines[0]}" = 1024 ] && [ "${lines[1]}" = 4096 ]
}

@test "runspec: --pid=host and --uts=host (seed 004)" {
  spec --pid=host --uts=host busybox sh -c 'hostname; cat /proc/1/comm; ls -d /proc/[0-9]* | wc -l'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = "$(hostname)" ]
  [ "${lines[1]}" = "$(cat /proc/1/comm)" ]
  [ "${lines[2]}" -gt 5 ]
}

@test "runspec: -w is created, -e and --read-only, --tmpfs, a bind and a named volume with the image's content" {
  mkdir -p "$TEST_DIR/host"
  echo from-host >"$TEST_DIR/host/f"
  spec -w /new/dir -e FOO=bar --read-only --tmpfs /run:size=1m -v "$TEST_DIR/host:/h:ro" -v vol:/etc/network \
    busybox sh -c 'pwd; echo $FOO; touch /x 2>&1 | grep -c Read-only; touch /run/ok && grep " /run " /proc/mounts | cut -d" " -f3; cat /h/f; touch /h/g 2>&1 | grep -c Read-only; ls /etc/network | head -1'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = /new/dir ]
  [ "${lines[1]}" = bar ]
  [ "${lines[2]}" = 1 ]
  [ "${lines[3]}" = tmpfs ]
  [ "${lines[4]}" = from-host ]
  [ "${lines[5]}" = 1 ]
  [ -d "$BUNDLE/volumes/vol/_data" ]
  if [ -n "$(ls "$BUNDLE/rootfs/etc/network" 2>/dev/null)" ]; then
    [ "${lines[6]}" = "$(ls "$BUNDLE/rootfs/etc/network" | head -1)" ]
  fi
}

@test "runspec: --memory=256mb, --cpu-shares, --pids-limit reach the cgroup (seed 000)" {
  spec --memory=256mb --cpu-shares 512 --pids-limit 50 busybox sh -c 'cat /proc/self/cgroup'
  kago_create "$CID"
  local pid
  pid="$(container_pid "$CID")"
  local mem
  mem="$(awk -F: '$2 == "memory" {print $3}' "/proc/$pid/cgroup")"
  if [ -n "$mem" ]; then
    [ "$(cat "/sys/fs/cgroup/memory$mem/memory.limit_in_bytes")" = 268435456 ]
    [ "$(cat "/sys/fs/cgroup/memory$mem/memory.memsw.limit_in_bytes" 2>/dev/null || echo 536870912)" = 536870912 ]
  else
    local u
    u="$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")"
    [ "$(cat "/sys/fs/cgroup$u/memory.max")" = 268435456 ]
  fi
  kago delete -f "$CID"
}

@test "runspec: --init runs the command under kago-init as PID 1 and keeps its status" {
  export KAGO_INIT="$REPO/build/kago-init"
  spec --init busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; exit 5'
  run_kago run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 5 ]
  [[ "${lines[0]}" == "/sbin/kago-init -- sh -c"* ]]
}

@test "runspec: seccomp profile without mkdir, then unconfined (seed 002)" {
  jq '.syscalls |= map(.names -= ["mkdir","mkdirat"])' "$REPO/tests/data/docker-default-seccomp.json" >"$TEST_DIR/nomkdir.json"
  spec --security-opt "seccomp=$TEST_DIR/nomkdir.json" busybox sh -c 'mkdir /tmp/d 2>&1; echo rc=$?'
  run_kago run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"Operation not permitted"* ]]
  spec --security-opt seccomp=unconfined busybox sh -c 'mkdir /tmp/d && grep Seccomp: /proc/self/status'
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "$output" = "Seccomp:	0" ]
}

@test "runspec: --device adds a node and its cgroup rule; a missing one is an error" {
  spec --device /dev/null:/dev/mynull busybox sh -c 'echo hi >/dev/mynull && ls -l /dev/mynull | cut -c1'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$output" = c ]
  make_bundle
  run "$SPECGEN" "$BUNDLE" --device /dev/nonexistent busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *'error gathering device information while adding custom device "/dev/nonexistent"'* ]]
}
