#!/usr/bin/env bats
# containerd's ctr driving kago-runtime through containerd-shim-runc-v2 (see
# ../shared/design/clients.md): a private containerd per test, everything
# under $TEST_DIR, an image built from the busybox rootfs of make_bundle and
# imported from an archive (there is no registry).  Each call the shim makes
# is prefixed `--root $RUNC_ROOT/<ns> --log <bundle>/log.json --log-format
# json`.  Skipped when containerd or ctr is absent.

load helpers
load lib/containerd

setup() {
  kago_setup
  requires_cmd containerd ctr containerd-shim-runc-v2
  make_bundle '["true"]'
  ctd_start
  ctd_import_image
}

teardown() {
  ctd_cleanup
  kago_teardown
}

# ctr run with kago-runtime as the shim's runtime, its state under $RUNC_ROOT.
ctr_run() {
  ctr_ run --fifo-dir "$CTD_DIR/fifo" --runc-binary "$KAGO" --runc-root "$RUNC_ROOT" "$@"
}

run_ctr() {
  run ctr_ "$@"
  echo "# \$ ctr $*"
  echo "# status $status"
  [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/# | /'
  return 0
}

run_ctr_run() {
  run ctr_run "$@"
  echo "# \$ ctr run $*"
  echo "# status $status"
  [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/# | /'
  return 0
}

task_status() {
  ctr_ tasks ls | awk -v id="$1" '$1 == id { print $3 }'
}

_task_status_is() {
  [ "$(task_status "$1")" = "$2" ]
}

task_pid() {
  ctr_ tasks ls | awk -v id="$1" '$1 == id { print $2 }'
}

_no_shim_for() {
  local p
  for p in $(shim_pids); do
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "-id $1 " && return 1
  done
  return 0
}

# After `ctr task rm` + `ctr container rm` of ID: no task, container, shim,
# runtime state dir, cgroup, mount or container process is left.
assert_nothing_left() {
  local id="$1" left
  run ctr_ tasks ls -q
  [[ "$output" != *"$id"* ]] || fail "task $id still listed: $output" || return 1
  run ctr_ containers ls -q
  [[ "$output" != *"$id"* ]] || fail "container $id still listed: $output" || return 1
  wait_until 5 _no_shim_for "$id" || fail "the shim of $id is still running" || return 1
  [ ! -e "$RUNC_ROOT/$CTD_NS/$id" ] \
    || fail "runtime state left: $(find "$RUNC_ROOT/$CTD_NS/$id")" || return 1
  left="$(find "$RUNC_ROOT" -mindepth 2 2>/dev/null || true)"
  [ -z "$left" ] || fail "runtime state left under $RUNC_ROOT: $left" || return 1
  left="$(ls -d /sys/fs/cgroup/*/"$CTD_NS/$id" 2>/dev/null || true)"
  [ -z "$left" ] || fail "cgroups left: $left" || return 1
  left="$(test_mounts)"
  [ -z "$left" ] || fail "mounts left under $TEST_DIR: $left" || return 1
  left="$(_kago_test_pids)"
  [ -z "$left" ] || fail "container processes left: $(ps -o pid,stat,args -p "$(echo $left | tr ' ' ,)")" || return 1
  [ ! -e "$CTD_DIR/state/io.containerd.runtime.v2.task/$CTD_NS/$id" ] || fail "bundle of $id left" || return 1
}

@test "ctr run --rm: output, PID 1, capabilities, namespaces, cgroup, image config" {
  local id host_ns
  id="$(new_id)"
  host_ns="$(readlink /proc/self/ns/pid /proc/self/ns/uts /proc/self/ns/ipc /proc/self/ns/net /proc/self/ns/mnt | tr '\n' ' ')"
  run_ctr_run --rm "$IMAGE" "$id" /bin/sh -c '
    echo "hostname=$(hostname)"
    echo "pid=$$"
    grep CapEff /proc/self/status
    echo "uid=$(id -u) cwd=$(pwd) path=$PATH"
    echo "ns=$(for n in pid uts ipc net mnt; do readlink /proc/self/ns/$n; done | tr "\n" " ")"
    echo "net=$(ls /sys/class/net | tr "\n" " ")"
    grep -E "^[0-9]+:memory:" /proc/self/cgroup
    echo "rootfs=$(cat /proc/1/mountinfo | awk "\$5 == \"/\" { print \$9 }")"'
  [ "$status" -eq 0 ] || fail "ctr run failed ($status): $output"
  # ctr sets no hostname: the new UTS namespace keeps the host's name, as with runc.
  [ "${lines[0]}" = "hostname=$(hostname)" ] || fail "hostname: ${lines[0]}"
  [ "${lines[1]}" = "pid=1" ] || fail "not PID 1: ${lines[1]}"
  # containerd's default capability set
  [ "${lines[2]}" = "CapEff:	00000000a80425fb" ] || fail "capabilities: ${lines[2]}"
  [ "${lines[3]}" = "uid=0 cwd=/ path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ] \
    || fail "process: ${lines[3]}"
  local ns
  for ns in $host_ns; do
    [[ "${lines[4]}" != *"$ns"* ]] || fail "shares the host's $ns: ${lines[4]}"
  done
  [ "${lines[5]}" = "net=lo " ] || fail "network namespace: ${lines[5]}"
  [[ "${lines[6]}" =~ ^[0-9]+:memory:/$CTD_NS/$id$ ]] || fail "cgroup: ${lines[6]}"
  [ "${lines[7]}" = "rootfs=overlay" ] || fail "rootfs: ${lines[7]}"
  assert_nothing_left "$id"
}

@test "ctr run --rm: the exit status propagates; a runtime error reaches the user" {
  local id
  id="$(new_id)"
  run_ctr_run --rm "$IMAGE" "$id" /bin/sh -c 'echo out; echo err >&2; exit 7'
  [ "$status" -eq 7 ] || fail "exit status $status, not 7: $output"
  [[ "$output" == *out* ]] && [[ "$output" == *err* ]] || fail "output: $output"
  assert_nothing_left "$id"

  # The shim reports the last error line of the runtime's --log JSON file.
  id="$(new_id)"
  run_ctr_run --rm "$IMAGE" "$id" /nonexistent-binary
  [ "$status" -ne 0 ] || fail "running a missing binary succeeded"
  [[ "$output" == *"OCI runtime create failed"*"/nonexistent-binary"* ]] || fail "error not shown: $output"
  ctr_ containers rm "$id" >/dev/null 2>&1 || true
  assert_nothing_left "$id"
}

@test "ctr run -d, task exec, ps, metrics, kill, task rm, container rm" {
  local id pid cg
  id="$(new_id)"
  run_ctr_run -d --memory-limit 67108864 "$IMAGE" "$id" \
    /bin/sh -c 'trap "echo got-term; exit 42" TERM; echo started >/tmp/started; sleep 1000 & wait $!'
  [ "$status" -eq 0 ] || fail "ctr run -d: $output"
  wait_until 10 _task_status_is "$id" RUNNING || fail "task not running: $(ctr_ tasks ls 2>&1)"
  pid="$(task_pid "$id")"
  [ -n "$pid" ] && [ "$pid" -gt 0 ] || fail "no pid for $id"
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] || fail "init in the host pid namespace"

  # the cgroup the runtime made, named as containerd asks: /<namespace>/<id>
  cg=/sys/fs/cgroup/memory/$CTD_NS/$id
  [ "$(cat "$cg/memory.limit_in_bytes")" = 67108864 ] || fail "memory limit: $(cat "$cg/memory.limit_in_bytes")"
  grep -qx "$pid" "$cg/cgroup.procs" || fail "init $pid not in $cg"

  run_ctr tasks exec --fifo-dir "$CTD_DIR/fifo" --exec-id e1 "$id" /bin/sh -c 'echo exec-ok pid=$$; cat /tmp/started; cat /proc/1/cmdline | tr "\0" " "'
  [ "$status" -eq 0 ] || fail "exec: $output"
  [ "${lines[0]}" != "exec-ok pid=1" ] && [[ "${lines[0]}" == "exec-ok pid="* ]] || fail "exec output: $output"
  [ "${lines[1]}" = started ] || fail "exec does not see the container's /tmp: $output"
  [[ "${lines[2]}" == "/bin/sh -c trap"* ]] || fail "exec does not see the init: $output"

  run_ctr tasks exec --fifo-dir "$CTD_DIR/fifo" --exec-id e2 "$id" /bin/sh -c 'exit 3'
  [ "$status" -eq 3 ] || fail "exec exit status $status, not 3"

  # a detached exec is listed by `ctr task ps` (runtime `ps --format json`)
  run_ctr tasks exec --fifo-dir "$CTD_DIR/fifo" -d --exec-id e3 "$id" /bin/sleep 997
  [ "$status" -eq 0 ] || fail "exec -d: $output"
  run_ctr tasks ps "$id"
  [ "$status" -eq 0 ] || fail "task ps: $output"
  [[ "$output" == *"$pid "* ]] || fail "init $pid not in task ps: $output"
  [[ "$output" == *"ExecID:e3"* ]] || fail "exec e3 not in task ps: $output"

  run_ctr tasks metrics "$id"
  [ "$status" -eq 0 ] || fail "task metrics: $output"
  [[ "$output" =~ memory.limit_in_bytes\ +67108864 ]] || fail "metrics: $output"

  # SIGTERM (ctr's default) reaches the init, whose trap exits 42
  run_ctr tasks kill "$id"
  [ "$status" -eq 0 ] || fail "task kill: $output"
  wait_until 10 _task_status_is "$id" STOPPED || fail "task did not stop: $(ctr_ tasks ls 2>&1)"
  run_ctr tasks rm "$id"
  [ "$status" -eq 0 ] || fail "task rm: $output"
  [[ "$output" == *"exit code 42"* ]] || fail "exit code 42 not reported: $output"
  run_ctr containers rm "$id"
  [ "$status" -eq 0 ] || fail "container rm: $output"
  assert_nothing_left "$id"
}

@test "ctr task kill --all reaches every process; task rm -f of a running task" {
  local id id2 pids p
  id="$(new_id)"
  run_ctr_run -d "$IMAGE" "$id" /bin/sh -c 'sleep 1000 & sleep 1000 & wait'
  [ "$status" -eq 0 ] || fail "ctr run -d: $output"
  wait_until 10 _task_status_is "$id" RUNNING || fail "task not running"
  run_ctr tasks exec --fifo-dir "$CTD_DIR/fifo" -d --exec-id e1 "$id" /bin/sleep 998
  [ "$status" -eq 0 ] || fail "exec -d: $output"
  wait_until 5 eval '[ "$(wc -l </sys/fs/cgroup/pids/$CTD_NS/$id/cgroup.procs)" -eq 4 ]' \
    || fail "expected 4 processes: $(cat "/sys/fs/cgroup/pids/$CTD_NS/$id/cgroup.procs")"
  pids="$(cat "/sys/fs/cgroup/pids/$CTD_NS/$id/cgroup.procs")"
  run_ctr tasks kill --all -s SIGKILL "$id"
  [ "$status" -eq 0 ] || fail "task kill --all: $output"
  wait_until 10 _task_status_is "$id" STOPPED || fail "task did not stop: $(ctr_ tasks ls 2>&1)"
  for p in $pids; do
    wait_until 5 eval "[ ! -d /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status" || fail "process $p survived kill --all"
  done
  run_ctr tasks rm "$id"
  [[ "$output" == *"exit code 137"* ]] || fail "exit code 137 not reported: $output"
  run_ctr containers rm "$id"
  [ "$status" -eq 0 ] || fail "container rm: $output"
  assert_nothing_left "$id"

  # the shim's kill + `delete --force` of a running task
  id2="$(new_id)"
  run_ctr_run -d "$IMAGE" "$id2" /bin/sleep 1000
  [ "$status" -eq 0 ] || fail "ctr run -d: $output"
  wait_until 10 _task_status_is "$id2" RUNNING || fail "task not running"
  run_ctr tasks rm -f "$id2"
  [ "$status" -eq 0 ] || fail "task rm -f: $output"
  run_ctr containers rm "$id2"
  [ "$status" -eq 0 ] || fail "container rm: $output"
  assert_nothing_left "$id2"
}

@test "ctr task pause/resume freezes and thaws the container; rm -f of a paused task" {
  local id pid fz
  id="$(new_id)"
  run_ctr_run -d "$IMAGE" "$id" /bin/sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.05; done'
  [ "$status" -eq 0 ] || fail "ctr run -d: $output"
  wait_until 10 _task_status_is "$id" RUNNING || fail "task not running"
  pid="$(task_pid "$id")"
  fz=/sys/fs/cgroup/freezer/$CTD_NS/$id/freezer.state

  run_ctr tasks pause "$id"
  [ "$status" -eq 0 ] || fail "pause: $output"
  [ "$(task_status "$id")" = PAUSED ] || fail "status after pause: $(task_status "$id")"
  if [ -f "$fz" ]; then
    [ "$(cat "$fz")" = FROZEN ] || fail "freezer.state: $(cat "$fz")"
  fi
  local c1 c2
  c1="$(cat "/proc/$pid/root/tmp/count")"
  sleep 0.3
  c2="$(cat "/proc/$pid/root/tmp/count")"
  [ "$c1" = "$c2" ] || fail "the container ran while paused ($c1 -> $c2)"

  run_ctr tasks resume "$id"
  [ "$status" -eq 0 ] || fail "resume: $output"
  [ "$(task_status "$id")" = RUNNING ] || fail "status after resume: $(task_status "$id")"
  if [ -f "$fz" ]; then
    [ "$(cat "$fz")" = THAWED ] || fail "freezer.state: $(cat "$fz")"
  fi
  sleep 0.3
  c2="$(cat "/proc/$pid/root/tmp/count")"
  [ "$c1" != "$c2" ] || fail "the container did not run again after resume"
  run_ctr tasks exec --fifo-dir "$CTD_DIR/fifo" --exec-id e1 "$id" /bin/echo after-resume
  [ "$output" = after-resume ] || fail "exec after resume: $output"

  # pause again and remove by force: the runtime must thaw to kill
  run_ctr tasks pause "$id"
  [ "$status" -eq 0 ] || fail "pause: $output"
  run_ctr tasks rm -f "$id"
  [ "$status" -eq 0 ] || fail "task rm -f of a paused task: $output"
  run_ctr containers rm "$id"
  [ "$status" -eq 0 ] || fail "container rm: $output"
  assert_nothing_left "$id"
}

@test "ctr run -t: the terminal comes through the console socket" {
  requires_cmd script
  local id
  id="$(new_id)"
  # ctr -t needs a terminal of its own: script(1) gives it one.
  run timeout -k 5 60 script -qec "ctr -a '$CTD_SOCK' -n '$CTD_NS' run --rm -t --fifo-dir '$CTD_DIR/fifo' --runc-binary '$KAGO' --runc-root '$RUNC_ROOT' '$IMAGE' '$id' /bin/sh -c 'tty; test -t 0 && echo stdin-is-tty; exit 5'" /dev/null </dev/null
  echo "# $output"
  [ "$status" -eq 5 ] || fail "exit status $status, not 5: $output"
  [[ "$output" == *"/dev/pts/0"* ]] || fail "no terminal: $output"
  [[ "$output" == *stdin-is-tty* ]] || fail "stdin is not the terminal: $output"
  assert_nothing_left "$id"
}
