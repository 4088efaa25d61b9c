#!/usr/bin/env bats
# The OCI lifecycle and process model of kago-runtime, checked in the kernel:
# state transitions, hooks (order, timing, stdin), pid file, console socket,
# exec, pause/resume through the freezer, kill --all, delete semantics, and
# bad input that must leave nothing behind.

load helpers

cgroup_dir() { # cgroup dir of a container in a v1 controller (kago default parent)
  echo "/sys/fs/cgroup/$1/kago/$2"
}

@test "state: created -> running -> stopped, with pid, bundle and annotations" {
  make_bundle '["sleep", "100"]'
  update_config '.annotations = {"org.kago.test": "yes"}'
  kago_create "$CID"
  run container_state "$CID"
  [ "$(jq -r .ociVersion <<<"$output")" = 1.3.0 ]
  [ "$(jq -r .id <<<"$output")" = "$CID" ]
  [ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
  [ "$(jq -r '.annotations["org.kago.test"]' <<<"$output")" = yes ]
  pid="$(jq -r .pid <<<"$output")"
  # The init waits for start in the container: it is not sleep yet.
  [ "$(cat /proc/$pid/comm)" != sleep ]
  kago_ok start "$CID"
  [ "$(container_status "$CID")" = running ]
  wait_until 5 grep -qx sleep "/proc/$pid/comm"
  kago_ok kill "$CID" KILL
  wait_for_status "$CID" stopped
  kago_fails start "$CID"
  [[ "$output" == *"stopped"* ]]
  kago_ok delete "$CID"
  kago_fails state "$CID"
  [[ "$output" == *"does not exist"* ]]
}

@test "start: a second start of a running container fails" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  kago_fails start "$CID"
  [[ "$output" == *"running"* ]]
}

@test "create: the init is non-dumpable while it waits for start, and in the container's cgroup" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  pid="$(container_pid "$CID")"
  # Non-dumpable: /proc/PID/environ is not readable through ptrace checks by
  # an unprivileged user, and the files are owned by root.
  [ "$(stat -c %u /proc/$pid/environ)" = 0 ]
  grep -q ":/kago/$CID\$" /proc/$pid/cgroup
}

@test "create without process succeeds, start fails" {
  make_bundle '["true"]'
  update_config 'del(.process)'
  kago_create "$CID"
  kago_fails start "$CID"
  [[ "$output" == *"no process"* ]]
  kago_ok delete --force "$CID"
}

@test "pid-file: create writes the init's host pid" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID" --pid-file "$TEST_DIR/pidfile"
  [ "$(cat "$TEST_DIR/pidfile")" = "$(container_pid "$CID")" ]
  [ -d "/proc/$(cat "$TEST_DIR/pidfile")" ]
}

@test "hooks: order, timing and the state on stdin" {
  make_bundle '["sh", "-c", "echo process >> /hooklog"]' --rw
  log="$BUNDLE/rootfs/hooklog"
  : >"$log"
  hook="$TEST_DIR/hook.sh"
  cat >"$hook" <<HOOK
#!/bin/sh
state=\$(cat)
status=\$(echo "\$state" | jq -r .status)
pid=\$(echo "\$state" | jq -r '.pid // 0')
echo "\$1 \$status \$(echo "\$state" | jq -r .id)" >> "$log"
HOOK
  chmod +x "$hook"
  update_config '.hooks = {
     "prestart": [{"path": $h, "args": ["hook", "prestart"]}],
     "createRuntime": [{"path": $h, "args": ["hook", "createRuntime"]}],
     "createContainer": [{"path": $h, "args": ["hook", "createContainer"]}],
     "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo startContainer >> /hooklog"]}],
     "poststart": [{"path": $h, "args": ["hook", "poststart"]}],
     "poststop": [{"path": $h, "args": ["hook", "poststop"]}]}' --arg h "$hook"
  kago_create "$CID"
  run cat "$log"
  # runtime-spec lifecycle: these run after step 2, when the status is "created".
  [ "${lines[0]}" = "prestart created $CID" ]
  [ "${lines[1]}" = "createRuntime created $CID" ]
  [ "${lines[2]}" = "createContainer created $CID" ]
  [ "${#lines[@]}" -eq 3 ]
  kago_ok start "$CID"
  wait_for_status "$CID" stopped
  kago_ok delete "$CID"
  run cat "$log"
  [ "${lines[3]}" = "startContainer" ]
  # poststart runs after start, the process may have run before or after it.
  printf '%s\n' "${lines[@]}" | grep -qx "poststart running $CID"
  printf '%s\n' "${lines[@]}" | grep -qx process
  [ "${lines[-1]}" = "poststop stopped $CID" ]
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
  make_bundle '["true"]'
  update_config '.hooks = {"createRuntime": [{"path": "/bin/false"}]}'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"createRuntime hook 0"*"/bin/false"* ]]
  kago_fails state "$CID"
  [ ! -e "$KAGO_ROOT/$CID" ]
  [ ! -e "$(cgroup_dir memory "$CID")" ]
}

@test "hooks: a hook that outlives its timeout is killed and fails create" {
  make_bundle '["true"]'
  update_config '.hooks = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}'
  start=$(date +%s)
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"timed out"* ]]
  [ $(( $(date +%s) - start )) -lt 10 ]
  [ ! -e "$KAGO_ROOT/$CID" ]
}

@test "hooks: a failing poststop hook only warns" {
  make_bundle '["true"]'
  update_config '.hooks = {"poststop": [{"path": "/bin/false"}]}'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ ! -e "$KAGO_ROOT/$CID" ]
}

@test "console socket: the pty master is sent and the process has a terminal" {
  make_bundle '["sh", "-c", "tty; stty size"]'
  update_config '.process.terminal = true | .process.consoleSize = {"height": 31, "width": 97}'
  start_recvtty
  kago_create "$CID" --console-socket "$TEST_DIR/tty.sock"
  kago_ok start "$CID"
  wait_for_status "$CID" stopped
  wait $RECVTTY_PID || true
  run cat "$TEST_DIR/tty.out"
  [[ "${lines[0]}" == /dev/pts/* || "${lines[0]}" == /dev/console* ]]
  [ "$(tr -d '\r' <<<"${lines[1]}")" = "31 97" ]
}

@test "exec: runs in the container's namespaces and cgroup, with its exit status" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  pid="$(container_pid "$CID")"
  kago_ok exec "$CID" sh -c 'for n in mnt pid uts net ipc; do readlink /proc/self/ns/$n; done'
  i=0
  for n in mnt pid uts net ipc; do
    [ "${lines[$i]}" = "$(readlink /proc/$pid/ns/$n)" ] || fail "exec: $n namespace ${lines[$i]} is not the init's"
    i=$((i + 1))
  done
  # In the container's cgroup, seen from the host.
  # (not through bats' `run`: its command substitution takes detached children down)
  kago exec -d --pid-file "$TEST_DIR/e.pid" "$CID" sleep 50 >"$TEST_DIR/e.out" 2>&1
  grep -q "^4:memory:/kago/$CID\$" "/proc/$(cat "$TEST_DIR/e.pid")/cgroup" \
    || grep -q "memory:/kago/$CID\$" "/proc/$(cat "$TEST_DIR/e.pid")/cgroup"
  run_kago exec "$CID" sh -c 'exit 7'
  [ "$status" -eq 7 ]
  # -u 1 is uid 1, not root (CVE-2026-30892), with --cwd and -e.
  kago_ok exec -u 1:2 --cwd /tmp -e FOO=bar "$CID" sh -c 'id -u; id -g; pwd; echo $FOO'
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = 2 ]
  [ "${lines[2]}" = /tmp ]
  [ "${lines[3]}" = bar ]
}

@test "exec: --process file, --detach and --pid-file" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  jq '.process | .args = ["sleep", "77"]' "$BUNDLE/config.json" >"$TEST_DIR/process.json"
  kago exec --process "$TEST_DIR/process.json" --detach --pid-file "$TEST_DIR/exec.pid" "$CID" \
    >"$TEST_DIR/e.out" 2>&1 || fail "exec --detach failed: $(cat "$TEST_DIR/e.out")"
  epid="$(cat "$TEST_DIR/exec.pid")"
  wait_until 5 grep -q 77 "/proc/$epid/cmdline"
  [ "$(readlink /proc/$epid/ns/pid)" = "$(init_ns "$CID" pid)" ]
}

@test "exec: unknown command and stopped container are clear errors" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  kago_fails exec "$CID" no-such-command
  [[ "$output" == *"no-such-command"*"not found"* ]]
  kago_ok kill "$CID" 9
  wait_for_status "$CID" stopped
  kago_fails exec "$CID" true
  [[ "$output" == *"stopped"* ]]
}

@test "pause/resume: the freezer stops and thaws the container" {
  requires_cgroup_v1 freezer
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  kago_ok pause "$CID"
  [ "$(container_status "$CID")" = paused ]
  [ "$(cat "$(cgroup_dir freezer "$CID")/freezer.state")" = FROZEN ]
  kago_fails exec "$CID" true
  kago_ok resume "$CID"
  [ "$(container_status "$CID")" = running ]
  [ "$(cat "$(cgroup_dir freezer "$CID")/freezer.state")" = THAWED ]
}

@test "kill --all: signals every process of the container; bad signal is an error" {
  make_bundle '["sh", "-c", "sleep 100 & sleep 100 & wait"]'
  kago_create "$CID"
  kago_ok start "$CID"
  wait_until 5 sh -c "[ \$(wc -l < $(cgroup_dir pids "$CID")/cgroup.procs) -ge 3 ]"
  kago_fails kill "$CID" SIGFOO
  [[ "$output" == *"invalid signal"* ]]
  kago_ok kill --all "$CID" KILL
  wait_for_status "$CID" stopped
  wait_until 5 sh -c "[ ! -s $(cgroup_dir pids "$CID")/cgroup.procs ]"
}

@test "delete: refuses a live container, --force kills it, and is idempotent" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_fails delete "$CID"
  [[ "$output" == *"not stopped"* ]]
  kago_ok start "$CID"
  pid="$(container_pid "$CID")"
  kago_fails delete "$CID"
  kago_ok delete --force "$CID"
  [ ! -e "$KAGO_ROOT/$CID" ]
  [ ! -e "$(cgroup_dir memory "$CID")" ]
  ! kill -0 "$pid" 2>/dev/null || grep -q '^State:.*Z' "/proc/$pid/status"
  kago_ok delete --force "$CID"
  kago_ok delete --force never-existed
  kago_fails delete never-existed
  [[ "$output" == *"does not exist"* ]]
}

@test "bad input: duplicate id, unknown id, bad id" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"already exists"* ]]
  [ "$(container_status "$CID")" = created ]
  kago_fails start unknown-id
  [[ "$output" == *"does not exist"* ]]
  kago_fails kill unknown-id KILL
  kago_fails create --bundle "$BUNDLE" "../escape"
  [[ "$output" == *"invalid container id"* ]]
}

@test "bad input: malformed config names the JSON path; nothing is left" {
  make_bundle '["true"]'
  update_config '.process.args = [1]'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"process.args[0]"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
  update_config '.process.args = ["true"] | .ociVersion = "2.0.0"'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"ociVersion"*"2.0.0"* ]]
  echo '{"ociVersion": "1.0.2",' >"$BUNDLE/config.json"
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"config.json"*"line"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
  [ ! -e "$(cgroup_dir memory "$CID")" ]
}

@test "bad input: missing rootfs and missing bundle" {
  make_bundle '["true"]'
  update_config '.root.path = "nope"'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"rootfs"*"does not exist"* ]]
  kago_fails create --bundle "$TEST_DIR/no-bundle" "$CID"
  [[ "$output" == *"no-bundle"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
}

@test "bad input: an error inside the init is one clear line, with nothing left" {
  make_bundle '["true"]'
  update_config '.mounts += [{"destination": "/mnt", "type": "nosuchfs", "source": "none"}]'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"/mnt"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
  [ ! -e "$(cgroup_dir memory "$CID")" ]
  [ ! -e "$(cgroup_dir pids "$CID")" ]
}

@test "log: --log-format json writes the error as a JSON line" {
  make_bundle '["true"]'
  update_config '.root.path = "nope"'
  run "$KAGO" --root "$KAGO_ROOT" --log "$TEST_DIR/log.json" --log-format json create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  tail -1 "$TEST_DIR/log.json" | jq -e '.level == "error" and (.msg | test("rootfs")) and (.time | length > 0)'
}

@test "list: shows every container with -q and json" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  id2="$(new_id)"
  kago_create "$id2"
  kago_ok list -q
  [ "${lines[0]}" = "$CID" ]
  [ "${lines[1]}" = "$id2" ]
  kago_ok list --format json
  [ "$(jq length <<<"$output")" = 2 ]
  [ "$(jq -r '.[0].status' <<<"$output")" = created ]
}

@test "user namespace: create/start with uid/gid mappings" {
  make_bundle '["sh", "-c", "id -u; cat /proc/self/uid_map"]'
  # The container's root (host uid 100000) must be able to traverse to its rootfs.
  d="$BUNDLE"
  while [ "$d" != / ]; do chmod o+x "$d"; d="$(dirname "$d")"; done
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  kago_create "$CID"
  pid="$(container_pid "$CID")"
  [ "$(awk '{print $2}' /proc/$pid/uid_map)" = 100000 ]
  [ "$(init_ns "$CID" user)" != "$(readlink /proc/self/ns/user)" ]
  kago_ok start "$CID"
  wait_for_status "$CID" stopped
  run cat "$TEST_DIR/$CID.out"
  [ "${lines[0]}" = 0 ]
  [ "$(echo ${lines[1]})" = "0 100000 65536" ]
}

@test "CVE-2019-5736: the init runs from a sealed copy, not the host binary" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  pid="$(container_pid "$CID")"
  exe="$(readlink /proc/$pid/exe)"
  [[ "$exe" == /memfd:kago* ]]
  kago_ok start "$CID"
  # The exec process too.
  kago_ok exec "$CID" sh -c 'readlink /proc/self/exe'
  [ "$output" = /bin/busybox ]
}

@test "CVE-2024-21626: a cwd through a leaked fd is refused" {
  make_bundle '["true"]'
  update_config '.process.cwd = "/proc/self/fd/7"'
  kago_fails run --bundle "$BUNDLE" "$CID" 7</
  [ ! -e "$KAGO_ROOT/$CID" ]
}

@test "no mount namespace: mounts live under the rootfs in the host's namespace and go with delete" {
  make_bundle '["sleep", "100"]'
  update_config '.linux.namespaces = [{"type": "pid"}] | .root.readonly = false | del(.hostname)'
  kago_create "$CID"
  [ "$(init_ns "$CID" mnt)" = "$(readlink /proc/self/ns/mnt)" ]
  grep -q " $BUNDLE/rootfs/proc " /proc/self/mountinfo
  kago_ok start "$CID"
  kago_ok delete --force "$CID"
  ! grep -q " $BUNDLE/rootfs/" /proc/self/mountinfo
  # root.readonly would remount the host's filesystem: refused, nothing left.
  update_config '.root.readonly = true'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"root.readonly"*"mount namespace"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
}

@test "time namespace: boottime offset shows in /proc/uptime, the host's clock is untouched" {
  make_bundle '["sh", "-c", "cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time"]'
  update_config '.linux.namespaces += [{"type": "time"}]
    | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}, "monotonic": {"secs": 3600, "nanosecs": 0}}'
  host_up=$(cut -d. -f1 /proc/uptime)
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" -ge $((host_up + 864000)) ]
  [ "${lines[0]}" -lt $((host_up + 864000 + 60)) ]
  [ "${lines[1]}" != "$(readlink /proc/self/ns/time)" ]
  [ "$(readlink /proc/self/ns/time_for_children)" = "$(readlink /proc/self/ns/time)" ]
  # offsets without a time namespace: refused
  update_config '.linux.namespaces |= map(select(.type != "time"))'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"timeOffsets"* ]]
}

@test "joined mount namespace: mounts go into it and are detached from it at delete" {
  make_bundle '["sleep", "100"]'
  unshare -m --propagation private sleep 100 &
  holder=$!
  wait_until 5 sh -c "[ \"\$(readlink /proc/$holder/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ]"
  update_config '.linux.namespaces |= map(if .type == "mount" then .path = $p else . end) | .root.readonly = false' \
    --arg p "/proc/$holder/ns/mnt"
  kago_create "$CID"
  [ "$(init_ns "$CID" mnt)" = "$(readlink /proc/$holder/ns/mnt)" ]
  grep -q " $BUNDLE/rootfs/proc " "/proc/$holder/mountinfo"
  ! grep -q " $BUNDLE/rootfs/" /proc/self/mountinfo
  kago_ok delete --force "$CID"
  ! grep -q " $BUNDLE/rootfs/" "/proc/$holder/mountinfo"
  kill "$holder"
}

@test "poststart: runs after the process is executed, before start returns" {
  make_bundle '["sleep", "100"]'
  cat >"$TEST_DIR/poststart.sh" <<HOOK
#!/bin/sh
pid=\$(jq -r .pid)
readlink /proc/\$pid/exe > "$TEST_DIR/exe"
HOOK
  chmod +x "$TEST_DIR/poststart.sh"
  update_config '.hooks = {"poststart": [{"path": $h}]}' --arg h "$TEST_DIR/poststart.sh"
  kago_create "$CID"
  kago_ok start "$CID"
  # When start returns the hook has run, and it saw the user's program, not kago.
  [ "$(cat "$TEST_DIR/exe")" = /bin/busybox ]
}

@test "run with a terminal and no console socket: kago proxies the pty in the foreground" {
  make_bundle '["sh", "-c", "tty; echo hi"]' --terminal
  kago_ok run --bundle "$BUNDLE" "$CID"
  [[ "${lines[0]}" == /dev/pts/* ]]
  [ "$(tr -d '\r' <<<"${lines[1]}")" = hi ]
  # stdin goes to the container's terminal; its exit status comes back.
  make_bundle '["sh"]' --terminal
  run bash -c "printf 'echo marker-\$((6*7))\nexit 5\n' | $KAGO --root $KAGO_ROOT run --bundle $BUNDLE $(new_id)"
  [ "$status" -eq 5 ]
  [[ "$output" == *"marker-42"* ]]
  # create cannot keep a terminal without a console socket.
  kago_fails create --bundle "$BUNDLE" "$(new_id)"
  [[ "$output" == *"console-socket"* ]]
}

@test "errors before exec reach create: an rlimit above the host's hard limit fails create, not start" {
  make_bundle '["true"]'
  hard=$(ulimit -Hn)
  update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": ($h + 1), "soft": ($h + 1)}]' --argjson h "$hard"
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"setrlimit RLIMIT_NOFILE"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
}

@test "a non-root process user: the init waits for start as that user and startContainer hooks run as it" {
  make_bundle '["id", "-u"]'
  update_config '.process.user = {"uid": 1000, "gid": 1000}
    | .hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "id -u > /tmp/hook-uid"]}]'
  update_config '.root.readonly = false'
  kago_create "$CID"
  grep -q "^Uid:.*1000" "/proc/$(container_pid "$CID")/status"
  kago_ok start "$CID"
  wait_for_status "$CID" stopped
  [ "$(cat "$TEST_DIR/$CID.out")" = 1000 ]
  [ "$(cat "$BUNDLE/rootfs/tmp/hook-uid")" = 1000 ]
}

# ---- attack setups and races found in review: each must stay closed ----

@test "CVE-2024-21626: args[0] through /proc/self/fd/N cannot reach the host, in run or exec" {
  make_bundle '["true"]'
  # A static program that exists only on the host (busybox, named after its
  # echo applet): if the path reaches the host, it runs and says so.
  mkdir "$TEST_DIR/hostbin"
  cp /bin/busybox "$TEST_DIR/hostbin/echo"
  for n in 3 4 5 6 7 8 9 10 11 12; do
    update_config '.process.args = [$a, "host-only-escape"]' --arg a "/proc/self/fd/$n/../../../../../../../../$TEST_DIR/hostbin/echo"
    run_kago run --bundle "$BUNDLE" "$(new_id)"
    [[ "$output" != *host-only-escape* ]] || fail "run reached the host through fd $n"
    [ "$status" -ne 0 ]
  done
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  for n in 3 4 5 6 7 8 9 10 11 12; do
    run_kago exec "$CID" "/proc/self/fd/$n/../../../../../../../../$TEST_DIR/hostbin/echo" host-only-escape
    [[ "$output" != *host-only-escape* ]] || fail "exec reached the host through fd $n"
  done
}

@test "caller fds do not leak, even when the seccomp profile blocks close_range" {
  make_bundle '["sh", "-c", "ls /proc/self/fd"]'
  update_config '.process.noNewPrivileges = false
    | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["close_range"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
  run bash -c "exec 5</ 7<$BUNDLE; $KAGO --root $KAGO_ROOT run --bundle $BUNDLE $CID"
  [ "$status" -eq 0 ] || fail "run failed: $output"
  # ls sees 0 1 2 and its own directory fd only.
  [ "$(echo $output)" = "0 1 2 3" ] || fail "leaked fds: $output"
}

@test "exec into a container without its own mount namespace stays in its root" {
  make_bundle '["sleep", "100"]'
  update_config '.linux.namespaces = [{"type": "pid"}, {"type": "ipc"}] | .root.readonly = false | del(.hostname)
    | .mounts = [] | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
  echo host-only >"$TEST_DIR/host-marker"
  kago_create "$CID"
  kago_ok start "$CID"
  run_kago exec "$CID" cat "$TEST_DIR/host-marker"
  [[ "$output" != *host-only* ]] || fail "exec saw the host's root"
  kago_ok exec "$CID" ls /bin/busybox
}

@test "exec --process without capabilities keeps the container's, not root's full set" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  want="$(grep CapEff "/proc/$(container_pid "$CID")/status")"
  echo '{"args": ["grep", "CapEff", "/proc/self/status"], "cwd": "/", "user": {"uid": 0, "gid": 0}}' >"$TEST_DIR/p.json"
  kago_ok exec --process "$TEST_DIR/p.json" "$CID"
  [ "$output" = "$want" ] || fail "exec got '$output', the container has '$want'"
}

@test "a foreground exec does not hold the container's lock while it runs" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  kago exec "$CID" sleep 3 >/dev/null 2>&1 &
  execpid=$!
  sleep 0.5
  start=$(date +%s%N)
  kago_ok state "$CID"
  [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 1500 ] || fail "state waited for the exec"
  wait $execpid
}

@test "start reports a failing startContainer hook, and the container is stopped" {
  make_bundle '["sleep", "100"]'
  update_config '.hooks.startContainer = [{"path": "/bin/false"}]'
  kago_create "$CID"
  kago_fails start "$CID"
  [[ "$output" == *"startContainer hook 0"* ]]
  wait_for_status "$CID" stopped
}

@test "pause of a created container: it reports paused, resumes, and starts" {
  requires_cgroup_v1 freezer
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok pause "$CID"
  [ "$(container_status "$CID")" = paused ]
  kago_fails start "$CID"
  kago_ok resume "$CID"
  [ "$(container_status "$CID")" = created ]
  kago_ok start "$CID"
  [ "$(container_status "$CID")" = running ]
}

@test "a failed createRuntime hook still runs the poststop hooks (runtime-spec lifecycle)" {
  make_bundle '["true"]'
  update_config '.hooks = {"createRuntime": [{"path": "/bin/false"}],
    "poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($d)/poststop.json"]}]}' --arg d "$TEST_DIR"
  kago_fails create --bundle "$BUNDLE" "$CID"
  [ "$(jq -r .status "$TEST_DIR/poststop.json")" = stopped ]
  [ ! -e "$KAGO_ROOT/$CID" ]
}

@test "delete --force during a slow create waits for it and removes everything" {
  make_bundle '["sleep", "100"]'
  update_config '.hooks = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "1"]}]}'
  kago create --bundle "$BUNDLE" "$CID" >"$TEST_DIR/c.out" 2>&1 </dev/null &
  cpid=$!
  wait_until 5 test -e "$KAGO_ROOT/$CID/state.json"
  kago_ok delete --force "$CID"
  wait $cpid || true
  [ ! -e "$KAGO_ROOT/$CID" ]
  [ ! -e "/sys/fs/cgroup/memory/kago/$CID" ]
}

@test "a seccomp profile that blocks getcwd does not break the cwd check (no_new_privs off)" {
  make_bundle '["sh", "-c", "echo ran"]'
  update_config '.process.noNewPrivileges = false | .process.cwd = "/tmp"
    | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$output" = ran ]
}

@test "without a pid namespace, processes that outlive the init are killed with the cgroup" {
  make_bundle '["sh", "-c", "sleep 100 & sleep 100 & exit 0"]'
  update_config '.linux.namespaces |= map(select(.type != "pid"))'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ ! -e "/sys/fs/cgroup/pids/kago/$CID" ]
  ! pgrep -f "^sleep 100$" >/dev/null
}

@test "exec errors are worded as runc's and refused at create (docker maps them to 127/126)" {
  make_bundle '["/nonexistent"]'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *'exec: "/nonexistent": stat /nonexistent: no such file or directory'* ]]
  update_config '.process.args = ["/etc/passwd"]'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *'exec: "/etc/passwd": permission denied'* ]]
  update_config '.process.args = ["/tmp"]'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *'exec: "/tmp": permission denied'* ]]
  update_config '.process.args = ["no-such-cmd"]'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *'exec: "no-such-cmd": executable file not found in $PATH'* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
}

@test "seccomp notify without listenerPath is refused, not left to hang; features lists NOTIFY" {
  make_bundle '["true"]'
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
  kago_ok features
  [ "$(jq '.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") != null' <<<"$output")" = true ]
  [ "$(jq '.linux.mountExtensions.idmap.enabled' <<<"$output")" = true ]
}

# ---- second review: device policy, foreign cgroups, /proc through a symlink ----

@test "no linux.resources.devices: the device cgroup still denies host devices" {
  requires_cgroup_v1 devices
  make_bundle '["sh", "-c", "mknod /tmp/disk b 7 0 && head -c 1 /tmp/disk; mknod /tmp/mapper c 10 236 && head -c 1 /tmp/mapper; exit 0"]' --rw
  update_config 'del(.linux.resources) | .process.capabilities.bounding += ["CAP_MKNOD"]
    | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
  kago_create "$CID"
  run cat "/sys/fs/cgroup/devices/kago/$CID/devices.list"
  [[ "$output" != *"a *:* rwm"* ]] || fail "allow-all device cgroup: $output"
  [[ "$output" == *"c 1:3 rwm"* ]]
  kago_ok start "$CID"
  wait_for_status "$CID" stopped
  run cat "$TEST_DIR/$CID.err"
  [ "$(grep -c "Operation not permitted" <<<"$output")" -eq 2 ] || fail "a host device was opened: $output"
}

@test "cgroupsPath naming another service's populated cgroup is refused, its process untouched" {
  requires_cgroup_v1 pids
  foreign="/kago-foreign-$$-$BATS_TEST_NUMBER"
  mkdir "/sys/fs/cgroup/pids$foreign"
  sleep 100 &
  victim=$!
  echo "$victim" >"/sys/fs/cgroup/pids$foreign/cgroup.procs"
  make_bundle '["true"]'
  update_config '.linux.cgroupsPath = $p' --arg p "$foreign"
  run_kago create --bundle "$BUNDLE" "$CID"
  kill -0 "$victim"
  kill "$victim"; wait "$victim" 2>/dev/null || true
  rmdir "/sys/fs/cgroup/pids$foreign"
  [ "$status" -ne 0 ]
  [[ "$output" == *"already exists and holds"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
  update_config '.linux.cgroupsPath = "../../escape"'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *'".." is not allowed'* ]]
}

@test "a mount whose destination is an image symlink into /proc is refused (CVE-2019-19921)" {
  make_bundle '["true"]' --rw
  ln -s /proc "$BUNDLE/rootfs/data"
  update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs"}]'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"resolves into /proc"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
}

@test "ipc and uts sysctls are refused when the joined namespace is the host's" {
  make_bundle '["true"]'
  update_config '.linux.namespaces |= map(if .type == "ipc" then .path = "/proc/self/ns/ipc" else . end)
    | .linux.sysctl = {"kernel.shmmni": "4096"}'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"not allowed in the host's ipc namespace"* ]]
  update_config '.linux.namespaces |= map(if .type == "ipc" then del(.path) else . end)
    | .linux.namespaces |= map(if .type == "uts" then .path = "/proc/self/ns/uts" else . end)
    | .linux.sysctl = {"kernel.domainname": "x"} | del(.hostname)'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"not allowed in the host's uts namespace"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
}
