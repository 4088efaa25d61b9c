#!/usr/bin/env bats
# The engine's container commands (kago run, create, start, stop, rm, ps,
# logs, exec, inspect, wait, kill, pause, rename, update) against real
# containers, replaying what seeds 000, 001, 002 and 004 type with kago in
# place of docker.  Each test has its own engine root ($IMG_ROOT) holding
# busybox:latest imported from the busybox-static rootfs.

load helpers
load lib/engine
bats_require_minimum_version 1.5.0

setup() {
  engine_setup
}

teardown() {
  engine_teardown
}

# pid_cgroup_file PID CONTROLLER FILE: FILE of PID's cgroup for CONTROLLER.
pid_cgroup_file() {
  local pid="$1" ctrl="$2" file="$3" path
  if [ "$(cgroup_layout)" = v2 ]; then
    path="$(awk -F: '$1 == "0" { print $3; exit }' "/proc/$pid/cgroup")"
  else
    path="$(awk -F: -v c="$ctrl" '("," $2 ",") ~ ("," c ",") { print $3; exit }' "/proc/$pid/cgroup")"
  fi
  echo "$(cgroup_dir "$ctrl" "$path")/$file"
}

# Nothing of any container left: no record, no name, no cgroup, no mount.
assert_no_containers() {
  local left
  left="$(find "$IMG_ROOT/containers" -mindepth 1 -maxdepth 1 ! -name .names | wc -l)"
  [ "$left" = 0 ] || fail "container directories left: $(ls "$IMG_ROOT/containers")" || return 1
  [ -z "$(ls -A "$IMG_ROOT/containers/.names")" ] || fail "names left: $(ls "$IMG_ROOT/containers/.names")" || return 1
  [ -z "$(ls -A "$IMG_ROOT/runtime" | grep -v '^\.')" ] || fail "runtime state left" || return 1
}

@test "engine: run prints the output, returns the exit status, --rm leaves nothing" {
  kimg_ok run --rm busybox echo hello
  [ "$output" = hello ]
  run_kimg run --rm busybox sh -c 'echo out; echo err >&2; exit 3'
  [ "$status" -eq 3 ] || fail "status $status"
  [[ "$output" == *out* && "$output" == *err* ]]
  assert_no_containers
  # Without --rm the container stays, exited, with its exit code.
  run_kimg run --name keep busybox sh -c 'exit 7'
  [ "$status" -eq 7 ]
  kimg_ok inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' keep
  [ "$output" = "exited 7 false" ]
  kimg_ok rm keep
  assert_no_containers
}

@test "engine: docker's exit statuses: 125 engine error, 127 not found, 126 cannot invoke" {
  run -127 kimg run --rm busybox no-such-command
  [[ "$output" == *"executable file not found"* ]]
  run_kimg run --rm busybox /etc/passwd
  [ "$status" -eq 126 ] || fail "status $status: $output"
  run_kimg run --rm no-such-image true
  [ "$status" -eq 125 ] || fail "status $status: $output"
  [[ "$output" == *"No such image"* ]]
  run_kimg run --bogus busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"unknown flag: --bogus"* && "$output" == *"See 'kago run --help'"* ]]
  assert_no_containers
}

@test "engine: bad input is a 125 with a clear message and creates nothing" {
  local bad
  while IFS='|' read -r flags msg; do
    # shellcheck disable=SC2086
    run_kimg run --rm $flags busybox true
    [ "$status" -eq 125 ] || fail "$flags: status $status: $output" || return 1
    [[ "$output" == *"$msg"* ]] || fail "$flags: '$output' lacks '$msg'" || return 1
  done <<'EOF'
-m 12x|invalid argument "12x" for "-m, --memory" flag
--memory-swap 1g|Memory limit
-m 64m --memory-swap 32m|larger than memory limit
--cpu-shares 1|cpu-shares
--blkio-weight 5|blkio weight
--memory-swappiness 101|swappiness
--oom-score-adj 1001|oom score adj
--ulimit nofile=4096:1024|nofile
--ulimit bogus=1|bogus
--device /dev/no-such-device|no-such-device
--cap-add NOT_A_CAP|NOT_A_CAP
EOF
  assert_no_containers
  kimg_ok images -q
  [ "$(printf '%s\n' "$output" | wc -l)" = 1 ]
}

@test "engine: -d, ps, logs, stop, rm; the monitor is the container's parent (seed 001)" {
  kd run -d --name web busybox sh -c 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done'
  [ "$status" -eq 0 ] || fail "$output"
  local id="$output"
  [[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed '$id'"
  kimg_ok ps
  [[ "${lines[0]}" == "CONTAINER ID"*"IMAGE"*"COMMAND"*"CREATED"*"STATUS"*"PORTS"*"NAMES" ]]
  [[ "${lines[1]}" == "${id:0:12}"*busybox*"Up "*web ]] || fail "ps: ${lines[1]}"
  kimg_ok inspect -f '{{.State.Pid}}' web
  local pid="$output" ppid
  ppid="$(awk '{print $4}' "/proc/$pid/stat")"
  [[ "$(cat "/proc/$ppid/cmdline" | tr '\0' ' ')" == "kago-monitor ${id:0:12}"* ]] ||
    fail "the init's parent $ppid is $(tr '\0' ' ' <"/proc/$ppid/cmdline")"
  sleep 0.5
  kimg_ok logs --tail 2 web
  [ "${#lines[@]}" -eq 2 ] && [[ "${lines[0]}" == "line "* ]]
  kimg_ok logs -t web
  [[ "${lines[0]}" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ line\ 0$ ]] || fail "logs -t: ${lines[0]}"
  # The json-file lines as Docker writes them.
  head -n 1 "$IMG_ROOT/containers/$id/$id-json.log" | grep -Eq '^\{"log":"line 0\\n","stream":"stdout","time":"[^"]+"\}$'
  kimg_ok stop -t 1 web
  kimg_ok inspect -f '{{.State.Status}} {{.State.ExitCode}}' web
  [ "$output" = "exited 137" ]
  [ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
  kimg_ok ps -a --filter status=exited --format '{{.Names}} {{.State}}'
  [ "$output" = "web exited" ]
  kimg_ok rm web
  assert_no_containers
}

@test "engine: stop delivers the stop signal; wait returns the exit code; start again" {
  kd run -d --name tt busybox sh -c 'trap "exit 42" TERM; while true; do sleep 0.1; done'
  kimg_ok stop tt
  kimg_ok wait tt
  [ "$output" = 42 ]
  kd start tt
  [ "$status" -eq 0 ]
  kimg_ok inspect -f '{{.State.Running}}' tt
  [ "$output" = true ]
  kimg_ok kill -s TERM tt
  kimg_ok wait tt
  [ "$output" = 42 ]
  run_kimg kill tt
  [ "$status" -ne 0 ] && [[ "$output" == *"is not running"* ]]
}

@test "engine: two 'run --name x' at once: one wins, the other gets a conflict" {
  local pa pb
  (rc=0; kimg run -d --name same busybox sleep 30 >"$TEST_DIR/a" 2>&1 || rc=$?; echo "$rc" >"$TEST_DIR/a.rc") 3>&- &
  pa=$!
  (rc=0; kimg run -d --name same busybox sleep 30 >"$TEST_DIR/b" 2>&1 || rc=$?; echo "$rc" >"$TEST_DIR/b.rc") 3>&- &
  pb=$!
  wait "$pa" "$pb"
  local rcs
  rcs="$(cat "$TEST_DIR/a.rc" "$TEST_DIR/b.rc" | sort | tr '\n' ' ')"
  [ "$rcs" = "0 125 " ] || fail "exit statuses $rcs: $(cat "$TEST_DIR/a" "$TEST_DIR/b")"
  grep -q 'Conflict. The container name "/same" is already in use' "$TEST_DIR/a" "$TEST_DIR/b"
  kimg_ok ps -aq
  [ "${#lines[@]}" -eq 1 ]
}

@test "engine: exec into a running container's namespaces (seed 001)" {
  kd run -d --name ex -h box busybox sleep 30
  kimg_ok exec ex hostname
  [ "$output" = box ]
  kimg_ok exec ex sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "'
  [ "${lines[1]}" = "sleep 30 " ]
  kimg_ok exec -u 1000:1000 -w /tmp -e FOO=bar ex sh -c 'id -u; pwd; echo $FOO'
  [ "${lines[0]}" = 1000 ] && [ "${lines[1]}" = /tmp ] && [ "${lines[2]}" = bar ]
  run_kimg exec ex sh -c 'exit 5'
  [ "$status" -eq 5 ]
  run -127 kimg exec ex no-such-command
}

@test "engine: hostname defaults to the short id; -h, --uts=host, --pid=host (seed 004)" {
  kd run -d --name hh busybox sleep 30
  local id="$output"
  kimg_ok exec hh hostname
  [ "$output" = "${id:0:12}" ]
  kimg_ok run --rm -h myhost busybox hostname
  [ "$output" = myhost ]
  kimg_ok run --rm --uts=host busybox hostname
  [ "$output" = "$(hostname)" ]
  # Private PID namespace: the command is PID 1 and sees only itself.
  kimg_ok run --rm busybox sh -c 'echo $$; ls -d /proc/[0-9]* | wc -l'
  [ "${lines[0]}" = 1 ] && [ "${lines[1]}" -le 3 ]
  kimg_ok run --rm --pid=host busybox sh -c 'ls -d /proc/[0-9]* | wc -l; cat /proc/1/comm'
  [ "${lines[0]}" -gt 10 ] && [ "${lines[1]}" = "$(cat /proc/1/comm)" ]
}

@test "engine: --ipc=host sees a queue made on the host, private IPC does not (seed 004)" {
  local q
  q="$(ipcmk -Q | grep -o '[0-9]*$')"
  kimg_ok run --rm --ipc=host busybox cat /proc/sysvipc/msg
  local seen="$output"
  ipcrm -q "$q"
  [[ "$seen" == *" $q "* ]] || fail "host queue $q not seen: $seen"
  kimg_ok run --rm busybox cat /proc/sysvipc/msg
  [ "${#lines[@]}" -eq 1 ] || fail "private IPC shows queues: $output"
}

@test "engine: --cgroupns private vs host; --user 1000:1000; --privileged sees host devices (seed 004)" {
  kimg_ok run --rm --cgroupns=private busybox cat /proc/self/cgroup
  [[ "$output" == *"pids:/"$'\n'* || "$output" == *"pids:/" || "$output" == "0::/" ]] || fail "private: $output"
  kimg_ok run --rm --cgroupns=host busybox cat /proc/self/cgroup
  [[ "$output" == *"/kago/"* ]] || fail "host: $output"
  kimg_ok run --rm --user 1000:1000 busybox id
  [[ "$output" == "uid=1000"*" gid=1000"* ]]
  kimg_ok run --rm busybox sh -c 'ls /dev | wc -l'
  local plain="$output"
  kimg_ok run --rm --privileged busybox sh -c 'ls /dev | wc -l; grep CapEff /proc/self/status'
  [ "${lines[0]}" -gt "$((plain + 10))" ] || fail "privileged /dev has ${lines[0]} entries, plain $plain"
}

@test "engine: seccomp=profile without mkdir, seccomp=unconfined, the default profile (seed 002)" {
  "$KAGO_BIN" seccomp default >"$TEST_DIR/default.json" 2>/dev/null ||
    cp "$REPO/tests/data/docker-default-seccomp.json" "$TEST_DIR/default.json"
  python3 - "$REPO/tests/data/docker-default-seccomp.json" "$TEST_DIR/nomkdir.json" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
for s in p["syscalls"]:
    if "names" in s:
        s["names"] = [n for n in s["names"] if n not in ("mkdir", "mkdirat")]
json.dump(p, open(sys.argv[2], "w"))
EOF
  run_kimg run --rm --security-opt "seccomp=$TEST_DIR/nomkdir.json" busybox mkdir /tmp/x
  [ "$status" -ne 0 ] && [[ "$output" == *"Operation not permitted"* ]] || fail "$status: $output"
  kimg_ok run --rm busybox mkdir /tmp/x
  run_kimg run --rm busybox unshare --map-root-user --user sh -c whoami
  [ "$status" -ne 0 ]
  kimg_ok run --rm --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status
  [[ "$output" == *"Seccomp:	0"* ]]
}

@test "engine: seed 000's limits land in the cgroup; update changes them live; inspect shows them" {
  kd run -d --name lim -m 256mb --cpu-shares 512 --ulimit nofile=2048 busybox sleep 60
  [ "$status" -eq 0 ] || fail "$output"
  kimg_ok inspect -f '{{.State.Pid}} {{.HostConfig.Memory}} {{.HostConfig.CpuShares}}' lim
  local pid mem shares
  read -r pid mem shares <<<"$output"
  [ "$mem" = 268435456 ] && [ "$shares" = 512 ]
  [ "$(awk '/Max open files/ {print $4}' "/proc/$pid/limits")" = 2048 ]
  if [ "$(cgroup_layout)" = v2 ]; then
    [ "$(cat "$(pid_cgroup_file "$pid" memory memory.max)")" = 268435456 ]
    [ "$(cat "$(pid_cgroup_file "$pid" cpu cpu.weight)")" = 20 ]
  else
    [ "$(cat "$(pid_cgroup_file "$pid" memory memory.limit_in_bytes)")" = 268435456 ]
    [ "$(cat "$(pid_cgroup_file "$pid" cpu cpu.shares)")" = 512 ]
  fi
  kimg_ok update -m 128m --memory-swap 256m --cpu-shares 1024 lim
  if [ "$(cgroup_layout)" = v2 ]; then
    [ "$(cat "$(pid_cgroup_file "$pid" memory memory.max)")" = 134217728 ]
  else
    [ "$(cat "$(pid_cgroup_file "$pid" memory memory.limit_in_bytes)")" = 134217728 ]
    [ "$(cat "$(pid_cgroup_file "$pid" memory memory.memsw.limit_in_bytes)")" = 268435456 ] ||
      [ ! -e "$(pid_cgroup_file "$pid" memory memory.memsw.limit_in_bytes)" ]
    [ "$(cat "$(pid_cgroup_file "$pid" cpu cpu.shares)")" = 1024 ]
  fi
  kimg_ok inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}}' lim
  [ "$output" = "134217728 268435456 1024" ]
  # A stopped container: the record and the next start.
  kimg_ok stop -t 0 lim
  kimg_ok update -m 64m --memory-swap 128m lim
  kd start lim
  kimg_ok inspect -f '{{.State.Pid}} {{.HostConfig.Memory}}' lim
  read -r pid mem <<<"$output"
  [ "$mem" = 67108864 ]
  if [ "$(cgroup_layout)" = v2 ]; then
    [ "$(cat "$(pid_cgroup_file "$pid" memory memory.max)")" = 67108864 ]
  else
    [ "$(cat "$(pid_cgroup_file "$pid" memory memory.limit_in_bytes)")" = 67108864 ]
  fi
}

@test "engine: kill -9 of the monitor leaves a container ps, stop and rm handle" {
  kd run -d --name orphan busybox sleep 60
  kimg_ok inspect -f '{{.State.Pid}}' orphan
  local pid="$output" mon
  mon="$(awk '{print $4}' "/proc/$pid/stat")"
  kill -9 "$mon"
  sleep 0.2
  kimg_ok ps --format '{{.Names}} {{.State}}'
  [ "$output" = "orphan running" ]
  kimg_ok stop -t 1 orphan
  kimg_ok ps -a --format '{{.Names}} {{.State}}'
  [ "$output" = "orphan exited" ]
  kimg_ok rm orphan
  assert_no_containers
}

@test "engine: restart policy on-failure:2 restarts twice; the log keeps every run" {
  kd run -d --name rs --restart on-failure:2 busybox sh -c 'echo run; exit 1'
  local i
  for i in $(seq 50); do
    kimg_ok inspect -f '{{.State.Status}} {{.RestartCount}}' rs
    [ "$output" = "exited 2" ] && break
    sleep 0.1
  done
  [ "$output" = "exited 2" ] || fail "after 5 s: $output"
  kimg_ok logs rs
  [ "${#lines[@]}" -eq 3 ] || fail "logs: $output"
  run_kimg run --rm --restart always busybox true
  [ "$status" -eq 125 ]
  # wait answers at the first exit even while the policy restarts it.
  kd run -d --name rw --restart always busybox sh -c 'sleep 0.5; exit 5'
  kimg_ok wait rw
  [ "$output" = 5 ]
  kimg_ok stop -t 1 rw
}

@test "engine: pause, unpause, rename, create + start -a" {
  kd run -d --name pp busybox sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' 
  kimg_ok pause pp
  kimg_ok ps --format '{{.Names}} {{.Status}}'
  [[ "$output" == "pp Up "*"(Paused)" ]]
  run_kimg exec pp true
  [ "$status" -ne 0 ]
  kimg_ok unpause pp
  kimg_ok pause pp
  # A paused container stops (thawed first) without waiting for the timeout.
  local t0
  t0="$(date +%s)"
  kimg_ok stop -t 20 pp
  [ $(($(date +%s) - t0)) -lt 10 ] || fail "stop of a paused container took $(($(date +%s) - t0)) s"
  kd start pp
  kimg_ok rename pp qq
  kimg_ok inspect -f '{{.Name}}' qq
  [ "$output" = /qq ]
  run_kimg inspect pp
  [ "$status" -ne 0 ]
  kimg_ok create --name cc busybox echo from-create
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  kimg_ok ps -a --filter name=cc --format '{{.Status}}'
  [ "$output" = Created ]
  kimg_ok start -a cc
  [ "$output" = from-create ]
}

@test "engine: rmi refuses an image a container uses (even -f); --rm leaves no cgroup" {
  kimg_ok create --name user busybox true
  run_kimg rmi busybox
  [ "$status" -ne 0 ] && [[ "$output" == *"image is being used by container"* ]] || fail "$output"
  run_kimg rmi -f busybox
  [ "$status" -ne 0 ] && [[ "$output" == *"cannot be forced"* ]] || fail "$output"
  kimg_ok image prune -a -f
  kimg_ok images -q
  [ "${#lines[@]}" -eq 1 ]
  kimg_ok rm user
  # --rm: the container's cgroups go too (its id from --cidfile).
  kimg_ok run --rm --cidfile "$TEST_DIR/cid" -m 64m busybox true
  local id
  id="$(cat "$TEST_DIR/cid")"
  [[ "$id" =~ ^[0-9a-f]{64}$ ]]
  if find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" | grep -q .; then
    fail "cgroups left: $(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id")"
  fi
  assert_no_containers
  kimg_ok rmi busybox
}

@test "engine: rm -v removes anonymous volumes, not named ones; the log rotates by --log-opt" {
  kimg_ok run --name vols -v /anon -v named:/named busybox sh -c 'echo a >/anon/f; echo n >/named/f'
  local anon
  anon="$(kimg inspect -f '{{json .Mounts}}' vols | python3 -c 'import json,sys; print([m["Name"] for m in json.load(sys.stdin) if m["Destination"] == "/anon"][0])')"
  [ -f "$IMG_ROOT/volumes/$anon/_data/f" ] && [ -f "$IMG_ROOT/volumes/named/_data/f" ]
  kimg_ok rm -v vols
  [ ! -e "$IMG_ROOT/volumes/$anon" ] || fail "anonymous volume $anon left"
  [ "$(cat "$IMG_ROOT/volumes/named/_data/f")" = n ]
  # Rotation: max-size 1k, 3 files kept; logs reads them oldest first.
  kimg_ok run --name rot --log-opt max-size=1k --log-opt max-file=3 busybox sh -c 'i=0; while [ $i -lt 200 ]; do echo "line $i"; i=$((i+1)); done'
  local id
  id="$(kimg inspect -f '{{.Id}}' rot)"
  local log="$IMG_ROOT/containers/$id/$id-json.log"
  [ -f "$log.1" ] && [ -f "$log.2" ] && [ ! -e "$log.3" ] || fail "rotated files: $(ls "$IMG_ROOT/containers/$id")"
  [ "$(stat -c %s "$log")" -le 1024 ]
  kimg_ok logs rot
  [ "${lines[-1]}" = "line 199" ]
  [ "${#lines[@]}" -lt 200 ]
  # Consecutive: what is kept is the last lines, without gaps.
  local first="${lines[0]#line }"
  [ "${#lines[@]}" -eq "$((200 - first))" ]
}

@test "engine: a container over its memory limit is OOM-killed: 137 and State.OOMKilled" {
  run_kimg run --name oomk -m 16m --memory-swap 16m busybox sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'
  [ "$status" -eq 137 ] || fail "status $status: $output"
  kimg_ok inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' oomk
  [ "$output" = "true 137" ]
  kimg_ok run --name fine -m 64m busybox true
  kimg_ok inspect -f '{{.State.OOMKilled}}' fine
  [ "$output" = false ]
}

@test "engine: run -it on a terminal; ctrl-p ctrl-q detaches and the container keeps running (seed 001)" {
  command -v script >/dev/null || skip "script(1) is not installed"
  (sleep 1; printf 'echo typed-in\r'; sleep 0.5; printf '\020\021'; sleep 1) |
    timeout 20 script -qec "stty rows 24 cols 80; $KAGO_BIN --root $IMG_ROOT run -it --name dk busybox sh" /dev/null \
      >"$TEST_DIR/tty.out" 3>&-
  tr -d '\r' <"$TEST_DIR/tty.out" | grep -qx 'typed-in' || fail "no echo: $(cat -v "$TEST_DIR/tty.out")"
  kimg_ok ps --format '{{.Names}} {{.State}}'
  [ "$output" = "dk running" ]
  kimg_ok exec dk sh -c 'stty size </dev/console 2>/dev/null || true; tty </proc/1/fd/0 2>/dev/null || ls -l /proc/1/fd/0'
  [[ "$output" == *"/dev/pts/"* || "$output" == *"24 80"* ]] || fail "$output"
  kimg_ok logs dk
  [[ "$output" == *typed-in* ]]
}

@test "engine: --init runs kago-init as PID 1; --read-only with a --tmpfs" {
  kimg_ok run --rm --init busybox sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo $$'
  [[ "${lines[0]}" == "/sbin/kago-init -- sh -c "* ]] || fail "PID 1: ${lines[0]}"
  [ "${lines[1]}" != 1 ]
  run_kimg run --rm --read-only --tmpfs /run busybox sh -c 'touch /x 2>&1; touch /run/x && echo tmpfs-ok'
  [[ "$output" == *"Read-only file system"* && "$output" == *tmpfs-ok* ]] || fail "$output"
}

@test "engine: attach to a -d -i container: input goes in, output comes back, the exit status returns" {
  kd run -d -i --name att busybox sh
  run bash -c "printf 'echo attached-ok\nexit 6\n' | timeout 20 '$KAGO_BIN' --root '$IMG_ROOT' attach att" 3>&-
  [ "$status" -eq 6 ] || fail "status $status: $output"
  [ "$output" = attached-ok ]
  kimg_ok inspect -f '{{.State.Status}} {{.State.ExitCode}}' att
  [ "$output" = "exited 6" ]
  run_kimg attach att
  [ "$status" -ne 0 ] && [[ "$output" == *"stopped container"* ]]
}
