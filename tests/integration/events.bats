#!/usr/bin/env bats
# `kago-runtime events`: one JSON object per line as runc prints them, the
# stats read from the container's real cgroups (checked against the kernel's
# files), the OOM event of a container that allocates past its limit, the
# end of the stream when the container stops, and the errors.

load helpers

is_v2() {
  [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]
}

# A file of the container's cgroup: the v1 hierarchy of controller $1, or
# the unified one on v2.  The tests that read them set cgroupsPath to kago's
# default, /kago/<id>, so that they also run against runc.
cg_file() {
  if is_v2; then
    echo "/sys/fs/cgroup/kago/$CID/$2"
  else
    local m
    m="$(awk -v c="$1" '$9 == "cgroup" && ("," $NF ",") ~ ("," c ",") { print $5; exit }' /proc/self/mountinfo)"
    echo "$m/kago/$CID/$2"
  fi
}

memory_limit_file() {
  if is_v2; then cg_file memory memory.max; else cg_file memory memory.limit_in_bytes; fi
}

# Start `kago events ARGS... $CID` in the background, output in
# $TEST_DIR/events.{out,err}; sets EVENTS_PID.
start_events() {
  kago events "$@" "$CID" </dev/null >"$TEST_DIR/events.out" 2>"$TEST_DIR/events.err" 3>&- &
  EVENTS_PID=$!
}

# Wait (up to $1 s) for the background events to exit; its status in
# EVENTS_STATUS.
wait_events() {
  wait_until "$1" eval '! kill -0 $EVENTS_PID 2>/dev/null' \
    || { kill "$EVENTS_PID" 2>/dev/null; fail "events did not exit: $(cat "$TEST_DIR/events.err")"; return 1; }
  EVENTS_STATUS=0
  wait "$EVENTS_PID" || EVENTS_STATUS=$?
}

teardown() {
  [ -n "${EVENTS_PID:-}" ] && kill "$EVENTS_PID" 2>/dev/null
  kago_teardown
}

@test "events --stats: one stats line with the memory limit, the pids and the cpu time of a busy loop" {
  make_bundle '["sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo busy-done; sleep 100"]'
  update_config '.linux.cgroupsPath = "/kago/" + $id | .linux.resources.memory = {"limit": 67108864}
    | .linux.resources.pids = {"limit": 40}' --arg id "$CID"
  kago_create "$CID"
  kago_ok start "$CID"
  wait_until 30 grep -q busy-done "$TEST_DIR/$CID.out" || fail "the busy loop did not finish"

  kago_ok events --stats "$CID"
  [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
  line="$output"
  [ "$(jq -r .type <<<"$line")" = stats ]
  [ "$(jq -r .id <<<"$line")" = "$CID" ]
  [ "$(jq -r .data.memory.usage.limit <<<"$line")" = 67108864 ]
  [ "$(cat "$(memory_limit_file)")" = 67108864 ]
  [ "$(jq -r .data.pids.current <<<"$line")" -ge 1 ]
  [ "$(jq -r .data.pids.limit <<<"$line")" = 40 ]
  # The memory in use is the kernel's (a live shell uses some) and within the limit.
  usage="$(jq -r .data.memory.usage.usage <<<"$line")"
  [ "$usage" -gt 0 ] && [ "$usage" -le 67108864 ]
  # 100000 shell iterations take well over 10 ms of cpu; the counter only grows.
  total="$(jq -r .data.cpu.usage.total <<<"$line")"
  [ "$total" -gt 10000000 ] || fail "cpu total $total ns"
  if is_v2; then
    now="$(awk '$1 == "usage_usec" { print $2 "000" }' "$(cg_file cpu cpu.stat)")"
  else
    now="$(cat "$(cg_file cpuacct cpuacct.usage)")"
  fi
  [ "$total" -le "$now" ] || fail "reported $total ns, the kernel now says $now"
  [ "$(jq -r '.data.cpu.usage.user + .data.cpu.usage.kernel' <<<"$line")" -gt 0 ]
  # runc's shape: the same sections, raw memory.stat keys included.
  jq -e '.data | has("cpu") and has("memory") and has("pids") and has("blkio") and has("hugetlb")' <<<"$line"
  jq -e '.data.memory.raw | length > 5' <<<"$line"
}

@test "events --stats: the memory limit follows kago update --memory" {
  make_bundle '["sleep", "100"]'
  update_config '.linux.cgroupsPath = "/kago/" + $id | .linux.resources.memory = {"limit": 67108864}' --arg id "$CID"
  kago_create "$CID"
  kago_ok start "$CID"
  kago_ok events --stats "$CID"
  [ "$(jq -r .data.memory.usage.limit <<<"$output")" = 67108864 ]

  kago_ok update --memory 128m "$CID"
  [ "$(cat "$(memory_limit_file)")" = 134217728 ]
  kago_ok events --stats "$CID"
  [ "$(jq -r .data.memory.usage.limit <<<"$output")" = 134217728 ]
}

@test "events: stats every interval and an oom event when the container is OOM-killed" {
  # busybox tail keeps the whole newline-free input in memory.
  make_bundle '["sh", "-c", "sleep 1; head -c 200000000 /dev/zero | tail >/dev/null; echo tail-status=$?; sleep 1"]'
  update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
  kago_create "$CID"
  start_events --interval 200ms
  kago_ok start "$CID"
  wait_until 30 grep -q '"type":"oom"' "$TEST_DIR/events.out" \
    || fail "no oom event: $(cat "$TEST_DIR/events.out" "$TEST_DIR/events.err")"
  wait_for_status "$CID" stopped 30
  # kago's stream ends when the container stops (the next test); runc 1.1's
  # only when the cgroup goes away.
  kago_ok delete "$CID"
  wait_events 30
  [ "$EVENTS_STATUS" -eq 0 ] || fail "events exited $EVENTS_STATUS: $(cat "$TEST_DIR/events.err")"

  # Every line is one JSON object of this container.
  jq -e --arg id "$CID" 'select(.id != $id)' "$TEST_DIR/events.out" && fail "a line of another id"
  [ "$(jq -r 'select(.type == "oom") | keys | join(",")' "$TEST_DIR/events.out" | sort -u)" = "id,type" ]
  # Stats came every 200 ms while it ran, with the limit in them; the peak
  # reached it.
  [ "$(jq -r 'select(.type == "stats") | .type' "$TEST_DIR/events.out" | wc -l)" -ge 3 ]
  [ "$(jq -s '[.[] | select(.type == "stats")][0].data.memory.usage.limit' "$TEST_DIR/events.out")" = 33554432 ]
  # The kernel counted the kill too.
  [ "$(jq -s '[.[] | select(.type == "stats") | .data.memory.usage.max] | max' "$TEST_DIR/events.out")" -ge 30000000 ]
}

@test "events: the stream ends with status 0 when the container stops" {
  [ "$(basename "$KAGO")" != runc ] || skip "runc 1.1 ends events when the cgroup is removed (delete), not at stop"
  make_bundle '["sleep", "1"]'
  kago_create "$CID"
  kago_ok start "$CID"
  start_events --interval 100ms
  wait_events 15
  [ "$EVENTS_STATUS" -eq 0 ] || fail "events exited $EVENTS_STATUS: $(cat "$TEST_DIR/events.err")"
  [ "$(container_status "$CID")" = stopped ]
  n="$(jq -r 'select(.type == "stats" and .id == env.CID) | .type' "$TEST_DIR/events.out" | wc -l)"
  [ "$n" -ge 2 ] || fail "$n stats lines: $(cat "$TEST_DIR/events.out")"
  ! grep -q '"type":"oom"' "$TEST_DIR/events.out"
}

@test "events: a bad --interval is an error naming --interval" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  run_kago events --interval bogus "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *interval* && "$output" == *bogus* ]]
  run_kago events --interval 5 "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *interval* ]]
  run_kago events --interval 0s "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *interval* && "$output" == *"greater than 0"* ]]
  # Nothing was printed on stdout as an event.
  [[ "$output" != *'"type"'* ]]
}

@test "events: an unknown id and a stopped container are errors" {
  run_kago events --stats "nope-$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not exist"* ]]
  run_kago events --interval 1s "nope-$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not exist"* ]]

  make_bundle '["true"]'
  kago_create "$CID"
  kago_ok start "$CID"
  wait_for_status "$CID" stopped
  run_kago events --stats "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"$CID is not running"* ]]
  run_kago events "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"$CID is not running"* ]]
}
