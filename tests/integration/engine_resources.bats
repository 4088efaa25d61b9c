#!/usr/bin/env bats
# Seed 000's limits through `kago run`, measured in their effect: CPU shares
# proportions of busy containers pinned to one CPU, and a 1mb/s
# --device-write-bps holding dd under 1 MB/s (resources.bats measures the same
# through kago-runtime; here the engine's flags and units are what is tested).

load helpers

setup() {
  kago_setup
  IMG_ROOT="$TEST_DIR/store"
  make_bundle
  tar -C "$BUNDLE/rootfs" -cf "$TEST_DIR/rootfs.tar" .
  kimg_ok import "$TEST_DIR/rootfs.tar" busybox:latest
  LOOPDEV=""
}

teardown() {
  if [ -n "${IMG_ROOT:-}" ] && [ -d "$IMG_ROOT" ]; then
    local ids
    ids="$(kimg ps -aq --no-trunc 2>/dev/null || true)"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || kimg rm -f $ids >/dev/null 2>&1 || true
  fi
  if [ -n "$LOOPDEV" ]; then
    umount "$TEST_DIR/disk" 2>/dev/null || true
    losetup -d "$LOOPDEV" 2>/dev/null || true
  fi
  kago_teardown
}

# CPU time (µs) of a container's cgroup, by name.
cpu_us() {
  local pid path
  pid="$(kimg inspect -f '{{.State.Pid}}' "$1")"
  if [ "$(cgroup_layout)" = v2 ]; then
    path="$(awk -F: '$1 == "0" { print $3; exit }' "/proc/$pid/cgroup")"
    awk '$1 == "usage_usec" { print $2 }' "/sys/fs/cgroup$path/cpu.stat"
  else
    path="$(awk -F: '("," $2 ",") ~ /,cpuacct,/ { print $3; exit }' "/proc/$pid/cgroup")"
    echo $(($(cat "$(cgroup_dir cpuacct "$path")/cpuacct.usage") / 1000))
  fi
}

@test "engine: --cpu-shares 2048/512/1024/1024 on --cpuset-cpus 0 share it 4/9, 1/9, 2/9, 2/9 (seed 000)" {
  local shares=(2048 512 1024 1024) i
  for i in 0 1 2 3; do
    run kimg run -d --name "busy$i" --cpuset-cpus 0 --cpu-shares "${shares[$i]}" busybox sh -c 'while :; do :; done' 3>&-
    [ "$status" -eq 0 ] || fail "$output"
  done
  sleep 1
  local u0=() u1=() total=0 got w
  for i in 0 1 2 3; do u0+=("$(cpu_us "busy$i")"); done
  sleep 4
  for i in 0 1 2 3; do u1+=("$(cpu_us "busy$i")"); done
  for i in 0 1 2 3; do total=$((total + u1[i] - u0[i])); done
  [ "$total" -gt 0 ]
  local want=(4 1 2 2)
  for i in 0 1 2 3; do
    got=$(((u1[i] - u0[i]) * 1000 / total))
    w=$((want[i] * 1000 / 9))
    echo "busy$i shares ${shares[$i]}: $got/1000 (want $w/1000)"
    [ $((got * 100)) -ge $((w * 90)) ] && [ $((got * 100)) -le $((w * 110)) ] ||
      fail "busy$i with shares ${shares[$i]} got $got/1000, want $w/1000 +-10%"
  done
}

@test "engine: --device-write-bps DEV:1mb holds dd under 1 MB/s (seed 000)" {
  requires_cmd losetup mkfs.ext4
  truncate -s 64M "$TEST_DIR/disk.img"
  mkfs.ext4 -q -F "$TEST_DIR/disk.img"
  LOOPDEV="$(losetup -f --show "$TEST_DIR/disk.img")"
  mkdir -p "$TEST_DIR/disk"
  mount "$LOOPDEV" "$TEST_DIR/disk"
  local t0 t1 rate
  t0="$(date +%s%N)"
  kimg_ok run --rm --device-write-bps "$LOOPDEV:1mb" -v "$TEST_DIR/disk:/data" busybox \
    dd if=/dev/zero of=/data/f bs=1M count=3 oflag=direct
  t1="$(date +%s%N)"
  rate=$((3 * 1048576 * 1000000000 / (t1 - t0)))
  echo "limited write: $rate B/s"
  [ "$rate" -lt 1100000 ] || fail "wrote at $rate B/s with --device-write-bps 1mb"
  # Unlimited, the same write is much faster.
  t0="$(date +%s%N)"
  kimg_ok run --rm -v "$TEST_DIR/disk:/data" busybox dd if=/dev/zero of=/data/g bs=1M count=3 oflag=direct
  t1="$(date +%s%N)"
  rate=$((3 * 1048576 * 1000000000 / (t1 - t0)))
  echo "unlimited write: $rate B/s"
  [ "$rate" -gt 2000000 ] || fail "the unlimited write ran at $rate B/s only"
}
