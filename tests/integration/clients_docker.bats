#!/usr/bin/env bats
# dockerd 20.10 driving kago-runtime through containerd-shim-runc-v2 (see
# ../shared/design/clients.md): per test, a private containerd and a private
# dockerd (`--add-runtime kago=$KAGO`), everything under $TEST_DIR, no bridge,
# no iptables, no forwarding (the host network is not touched: containers use
# --network none), an image `docker load`ed from an archive built from the
# busybox rootfs of make_bundle (there is no registry).  The shim calls the
# runtime with `--root <exec-root>/runtime-runc/moby --log <bundle>/log.json
# --log-format json`; dockerd adds a prestart hook (libnetwork-setkey) to
# every container.  Skipped when dockerd, docker or containerd is absent.

load helpers
load lib/containerd

# The Debian client matches the daemon (20.10); another docker on PATH works
# too (the API version is negotiated).
DOCKER_CLI="${DOCKER_CLI:-}"
if [ -z "$DOCKER_CLI" ]; then
  if [ -x /usr/bin/docker ]; then
    DOCKER_CLI=/usr/bin/docker
  else
    DOCKER_CLI="$(command -v docker || true)"
  fi
fi

# docker's default rlimits are dockerd's own; this host's hard nofile is
# 20000, so pass a limit every container can have.
RUN_OPTS=(--runtime kago --network none)
DIMAGE=kago-busybox

setup() {
  kago_setup
  requires_cmd dockerd containerd ctr containerd-shim-runc-v2
  [ -n "$DOCKER_CLI" ] && [ -x "$DOCKER_CLI" ] || skip "requires the docker client"
  make_bundle '["true"]'
  ctd_start
  dockerd_start
  make_image_tar "$TEST_DIR/image.tar"
  run docker_ load -i "$TEST_DIR/image.tar"
  [ "$status" -eq 0 ] || fail "docker load: $output"
  [[ "$output" == *"Loaded image: $DIMAGE:latest"* ]] || fail "docker load: $output"
}

teardown() {
  dockerd_cleanup
  ctd_cleanup "$CID"
  kago_teardown
}

DK_DIR=""

dockerd_start() {
  DK_DIR="$TEST_DIR/docker"
  DK_SOCK="$DK_DIR/docker.sock"
  mkdir -p "$DK_DIR"
  # daemon.json: only so that dockerd reads no host config (/etc/docker) and
  # keeps its key in $DK_DIR, not /etc/docker/key.json.
  jq -n --arg k "$DK_DIR/key.json" '{ "deprecated-key-path": $k }' >"$DK_DIR/daemon.json"
  # The containers' cgroups: /$CID/<container id> (kago_teardown checks $CID).
  (cd "$DK_DIR" && exec dockerd \
    --config-file "$DK_DIR/daemon.json" \
    --data-root "$DK_DIR/data" --exec-root "$DK_DIR/exec" --pidfile "$DK_DIR/dockerd.pid" \
    -H "unix://$DK_SOCK" --containerd "$CTD_SOCK" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
    --userland-proxy=false \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$CID" \
    --add-runtime "kago=$KAGO" \
    --default-ulimit nofile=1024:1024 \
    </dev/null >"$DK_DIR/dockerd.log" 2>&1 3>&-) &
  DK_PID=$!
  if ! wait_until 20 _dockerd_answers; then
    fail "dockerd did not start: $(tail -n 20 "$DK_DIR/dockerd.log")"
    return 1
  fi
}

_dockerd_answers() {
  kill -0 "$DK_PID" 2>/dev/null || return 2
  [ -S "$DK_SOCK" ] && "$DOCKER_CLI" -H "unix://$DK_SOCK" version >/dev/null 2>&1
}

docker_() {
  timeout -k 5 60 "$DOCKER_CLI" -H "unix://$DK_SOCK" "$@" 3>&-
}

# Like bats' `run docker_ ARGS` (sets status, output, lines), without bats'
# warning about status 127, an exit status docker gives on purpose.
run_docker() {
  status=0
  output="$(docker_ "$@" 2>&1)" || status=$?
  lines=()
  [ -z "$output" ] || mapfile -t lines <<<"$output"
  echo "# \$ docker $*"
  echo "# status $status"
  [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/# | /'
  return 0
}

dockerd_cleanup() {
  # Called in a || list, the body runs without errexit: every step is tried.
  _dockerd_cleanup || true
}

_dockerd_cleanup() {
  [ -n "$DK_DIR" ] || return 0
  local ids
  if [ -n "${DK_PID:-}" ] && kill -0 "$DK_PID" 2>/dev/null; then
    ids="$(timeout 20 "$DOCKER_CLI" -H "unix://$DK_SOCK" ps -aq 2>/dev/null)"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || timeout 30 "$DOCKER_CLI" -H "unix://$DK_SOCK" rm -f $ids >/dev/null 2>&1
    kill "$DK_PID" 2>/dev/null
    for _ in $(seq 100); do
      kill -0 "$DK_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$DK_PID" 2>/dev/null
  fi
  [ -z "${DK_PID:-}" ] || wait "$DK_PID" 2>/dev/null
  return 0
}

# The runtime's state dir of a docker container.
state_dir() {
  echo "$DK_DIR/exec/runtime-runc/moby/$1"
}

# After `docker rm` of the container with full id ID: no runtime state,
# cgroup, shim, container process or mount of it is left.
assert_nothing_left() {
  local id="$1" left p
  [ ! -e "$(state_dir "$id")" ] || fail "runtime state left: $(find "$(state_dir "$id")")" || return 1
  left="$(ls -d /sys/fs/cgroup/*/"$CID/$id" 2>/dev/null || true)"
  [ -z "$left" ] || fail "cgroups left: $left" || return 1
  for p in $(shim_pids); do
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "-id $id " && fail "the shim of $id is still running" && return 1
  done
  left="$(test_mounts | grep -F "$id" || true)"
  [ -z "$left" ] || fail "mounts of $id left: $left" || return 1
  left="$(_kago_test_pids)"
  [ -z "$left" ] || fail "container processes left: $(ps -o pid,stat,args -p "$(echo $left | tr ' ' ,)")" || return 1
}

full_id() {
  docker_ inspect -f '{{.Id}}' "$1"
}

@test "docker run --rm: output, PID 1, capabilities, hostname, rlimits, network none, prestart hook" {
  run_docker run --rm "${RUN_OPTS[@]}" --hostname kago-dk -e FOO=bar -w /tmp "$DIMAGE" sh -c '
    echo "hostname=$(hostname) etc=$(cat /etc/hostname)"
    echo "pid=$$"
    grep CapEff /proc/self/status
    echo "uid=$(id -u) cwd=$(pwd) foo=$FOO nofile=$(ulimit -n)"
    echo "net=$(ls /sys/class/net | tr "\n" " ")"
    ip -o link show lo
    grep -E "^[0-9]+:memory:" /proc/self/cgroup'
  [ "$status" -eq 0 ] || fail "docker run failed ($status): $output"
  [ "${lines[0]}" = "hostname=kago-dk etc=kago-dk" ] || fail "hostname: ${lines[0]}"
  [ "${lines[1]}" = "pid=1" ] || fail "not PID 1: ${lines[1]}"
  # docker's default capability set
  [ "${lines[2]}" = "CapEff:	00000000a80425fb" ] || fail "capabilities: ${lines[2]}"
  [ "${lines[3]}" = "uid=0 cwd=/tmp foo=bar nofile=1024" ] || fail "process: ${lines[3]}"
  [ "${lines[4]}" = "net=lo " ] || fail "network namespace: ${lines[4]}"
  # lo is brought up by libnetwork through dockerd's prestart hook
  # (libnetwork-setkey), which the runtime must run during create.
  [[ "${lines[5]}" == *"<LOOPBACK,UP,LOWER_UP>"* ]] || fail "lo is not up (prestart hook not run?): ${lines[5]}"
  [[ "${lines[6]}" =~ ^[0-9]+:memory:/$CID/[0-9a-f]{64}$ ]] || fail "cgroup: ${lines[6]}"
}

@test "docker run: resources, user, read-only rootfs and dropped capabilities take effect" {
  run_docker run --rm "${RUN_OPTS[@]}" --memory 64m --pids-limit 50 --cpus 0.5 \
    --user 1000:1000 --read-only --cap-drop ALL "$DIMAGE" sh -c '
    echo "uid=$(id -u) gid=$(id -g)"
    grep CapEff /proc/self/status
    touch /x 2>/dev/null && echo rootfs-writable || echo rootfs-ro
    cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us'
  [ "$status" -eq 0 ] || fail "docker run failed ($status): $output"
  [ "${lines[0]}" = "uid=1000 gid=1000" ] || fail "user: ${lines[0]}"
  [ "${lines[1]}" = "CapEff:	0000000000000000" ] || fail "capabilities: ${lines[1]}"
  [ "${lines[2]}" = rootfs-ro ] || fail "rootfs: ${lines[2]}"
  [ "${lines[3]}" = 67108864 ] || fail "memory limit: ${lines[3]}"
  [ "${lines[4]}" = 50 ] || fail "pids limit: ${lines[4]}"
  [ "${lines[5]}" = 50000 ] || fail "cpu quota: ${lines[5]}"
}

@test "docker run: the exit status, stdin and a runtime error reach the user" {
  run_docker run --rm "${RUN_OPTS[@]}" "$DIMAGE" sh -c 'echo out; echo err >&2; exit 7'
  [ "$status" -eq 7 ] || fail "exit status $status, not 7: $output"
  [[ "$output" == *out* ]] && [[ "$output" == *err* ]] || fail "output: $output"

  run bash -c 'echo from-stdin | "$@"' _ "$DOCKER_CLI" -H "unix://$DK_SOCK" run -i --rm "${RUN_OPTS[@]}" "$DIMAGE" cat
  [ "$status" -eq 0 ] && [ "$output" = from-stdin ] || fail "docker run -i: $status: $output"

  # dockerd shows the last error line of the runtime's --log JSON file
  run_docker run --rm "${RUN_OPTS[@]}" "$DIMAGE" nosuchcmd
  [ "$status" -eq 127 ] || fail "a command not in PATH: status $status, not 127: $output"
  [[ "$output" == *"OCI runtime create failed"*'exec: "nosuchcmd": executable file not found in $PATH'* ]] \
    || fail "error not shown: $output"
  [ -z "$(docker_ ps -aq)" ] || fail "containers left: $(docker_ ps -a)"
}

@test "docker run: a missing or non-executable command exits 127 or 126, as with runc" {
  # docker (CLI and daemon) maps the runtime's create error to these exit
  # codes by matching runc's (Go's) texts "no such file or directory" and
  # "permission denied"; runc checks the command during create.
  local cmd want errs=()
  for cmd in /nonexistent:127 /etc/passwd:126 /tmp:126; do
    want="${cmd##*:}"
    cmd="${cmd%:*}"
    run_docker run --rm "${RUN_OPTS[@]}" "$DIMAGE" "$cmd"
    [[ "$output" == *"OCI runtime create failed"*"$cmd"* ]] || errs+=("$cmd: not a create error: $output")
    [ "$status" -eq "$want" ] || errs+=("$cmd: status $status, not $want: $output")
  done
  [ ${#errs[@]} -eq 0 ] || fail "$(printf '%s\n' "${errs[@]}")"
  [ -z "$(docker_ ps -aq)" ] || fail "containers left: $(docker_ ps -a)"
}

@test "docker run -d, exec, top, stats, logs, kill, stop, restart, rm" {
  local id pid
  run_docker run -d --name kd "${RUN_OPTS[@]}" --memory 64m "$DIMAGE" \
    sh -c 'echo started; trap "echo got-term; exit 3" TERM; sleep 1000 & wait'
  [ "$status" -eq 0 ] || fail "docker run -d: $output"
  id="$(full_id kd)"
  [ -d "$(state_dir "$id")" ] || fail "no runtime state in $(state_dir "$id")"
  pid="$(docker_ inspect -f '{{.State.Pid}}' kd)"
  grep -qx "$pid" "/sys/fs/cgroup/memory/$CID/$id/cgroup.procs" || fail "init $pid not in its cgroup"
  [ "$(cat "/sys/fs/cgroup/memory/$CID/$id/memory.limit_in_bytes")" = 67108864 ] || fail "memory limit not set"

  run_docker exec kd sh -c 'echo exec-ok $$; cat /proc/1/cmdline | tr "\0" " "'
  [ "$status" -eq 0 ] || fail "exec: $output"
  [[ "${lines[0]}" == "exec-ok "* ]] && [ "${lines[0]}" != "exec-ok 1" ] || fail "exec: $output"
  [[ "${lines[1]}" == "sh -c echo started"* ]] || fail "exec does not see the init: $output"
  run_docker exec kd sh -c 'exit 4'
  [ "$status" -eq 4 ] || fail "exec exit status $status, not 4"
  run_docker exec -d kd sleep 997
  [ "$status" -eq 0 ] || fail "exec -d: $output"
  run_docker exec -u 1000 -w /home/user -e BAR=baz kd sh -c 'echo $(id -u) $(pwd) $BAR'
  [ "$output" = "1000 /home/user baz" ] || fail "exec -u -w -e: $output"

  run_docker top kd
  [ "$status" -eq 0 ] || fail "top: $output"
  [[ "$output" == *"sleep 997"* ]] || fail "the exec'd process is not in docker top: $output"
  run_docker stats --no-stream --format '{{.MemUsage}} {{.PIDs}}' kd
  [ "$status" -eq 0 ] || fail "stats: $output"
  [[ "$output" == *" / 64MiB "* ]] || fail "stats does not read the container's cgroup: $output"

  # a signal the init traps; a non-fatal one leaves it running
  run_docker kill -s USR1 kd
  [ "$status" -eq 0 ] || fail "kill -s USR1: $output"
  sleep 0.2
  [ "$(docker_ inspect -f '{{.State.Status}}' kd)" = running ] || fail "USR1 stopped the container"

  run_docker stop -t 10 kd
  [ "$status" -eq 0 ] || fail "stop: $output"
  [ "$(docker_ inspect -f '{{.State.Status}} {{.State.ExitCode}}' kd)" = "exited 3" ] \
    || fail "after stop: $(docker_ inspect -f '{{.State.Status}} {{.State.ExitCode}}' kd)"
  run_docker logs kd
  [ "$output" = "$(printf 'started\ngot-term')" ] || fail "logs: $output"

  # start again: create + start under the same id
  run_docker start kd
  [ "$status" -eq 0 ] || fail "start: $output"
  [ "$(docker_ inspect -f '{{.State.Status}}' kd)" = running ] || fail "not running after start"
  run_docker restart -t 10 kd
  [ "$status" -eq 0 ] || fail "restart: $output"
  run_docker exec kd echo after-restart
  [ "$output" = after-restart ] || fail "exec after restart: $output"

  # SIGKILL of a running container, then rm
  run_docker kill kd
  [ "$status" -eq 0 ] || fail "kill: $output"
  [ "$(docker_ inspect -f '{{.State.ExitCode}}' kd)" = 137 ] || fail "exit code after kill: $(docker_ inspect -f '{{.State.ExitCode}}' kd)"
  run_docker rm kd
  [ "$status" -eq 0 ] || fail "rm: $output"
  assert_nothing_left "$id"
}

@test "docker pause/unpause freezes and thaws the container; rm -f of a paused one" {
  local id pid fz c1 c2
  run_docker run -d --name kp "${RUN_OPTS[@]}" "$DIMAGE" \
    sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.05; done'
  [ "$status" -eq 0 ] || fail "docker run -d: $output"
  id="$(full_id kp)"
  pid="$(docker_ inspect -f '{{.State.Pid}}' kp)"
  fz="/sys/fs/cgroup/freezer/$CID/$id/freezer.state"
  sleep 0.2

  run_docker pause kp
  [ "$status" -eq 0 ] || fail "pause: $output"
  [ "$(docker_ inspect -f '{{.State.Status}}' kp)" = paused ] || fail "not paused"
  if [ -f "$fz" ]; then
    [ "$(cat "$fz")" = FROZEN ] || fail "freezer.state: $(cat "$fz")"
  fi
  c1="$(cat "/proc/$pid/root/tmp/count")"
  sleep 0.3
  c2="$(cat "/proc/$pid/root/tmp/count")"
  [ "$c1" = "$c2" ] || fail "the container ran while paused ($c1 -> $c2)"

  run_docker unpause kp
  [ "$status" -eq 0 ] || fail "unpause: $output"
  [ "$(docker_ inspect -f '{{.State.Status}}' kp)" = running ] || fail "not running after unpause"
  sleep 0.3
  c2="$(cat "/proc/$pid/root/tmp/count")"
  [ "$c1" != "$c2" ] || fail "the container did not run again after unpause"

  run_docker pause kp
  [ "$status" -eq 0 ] || fail "pause: $output"
  run_docker rm -f kp
  [ "$status" -eq 0 ] || fail "rm -f of a paused container: $output"
  assert_nothing_left "$id"
}

@test "docker run -t: the terminal comes through the console socket" {
  requires_cmd script
  run timeout -k 5 60 script -qec "'$DOCKER_CLI' -H 'unix://$DK_SOCK' run --rm -t --runtime kago --network none $DIMAGE sh -c 'tty; test -t 0 && echo stdin-is-tty; exit 5'" /dev/null </dev/null
  echo "# $output"
  [ "$status" -eq 5 ] || fail "exit status $status, not 5: $output"
  [[ "$output" == *"/dev/pts/0"* ]] || fail "no terminal: $output"
  [[ "$output" == *stdin-is-tty* ]] || fail "stdin is not the terminal: $output"
}

@test "docker update changes the container's cgroup (runtime update --resources -)" {
  local id
  run_docker run -d --name ku "${RUN_OPTS[@]}" --memory 64m "$DIMAGE" sleep 1000
  [ "$status" -eq 0 ] || fail "docker run -d: $output"
  id="$(full_id ku)"
  # docker sends zeros for what it does not change: the memory limit stays
  run_docker update --cpus 0.5 --pids-limit 40 ku
  [ "$status" -eq 0 ] || fail "update: $output"
  [ "$(cat "/sys/fs/cgroup/cpu/$CID/$id/cpu.cfs_quota_us")" = 50000 ] || fail "cpu quota not updated"
  [ "$(cat "/sys/fs/cgroup/pids/$CID/$id/pids.max")" = 40 ] || fail "pids limit not updated"
  [ "$(cat "/sys/fs/cgroup/memory/$CID/$id/memory.limit_in_bytes")" = 67108864 ] || fail "memory limit changed"
  run_docker update --memory 96m --memory-swap 96m ku
  [ "$status" -eq 0 ] || fail "update: $output"
  [ "$(cat "/sys/fs/cgroup/memory/$CID/$id/memory.limit_in_bytes")" = 100663296 ] || fail "memory limit not updated"
  [ "$(cat "/sys/fs/cgroup/cpu/$CID/$id/cpu.cfs_quota_us")" = 50000 ] || fail "cpu quota changed by a memory update"
  run_docker rm -f ku
  [ "$status" -eq 0 ] || fail "rm -f: $output"
  assert_nothing_left "$id"
}
