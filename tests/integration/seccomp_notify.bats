#!/usr/bin/env bats
# Seccomp notify end to end: kago-runtime hands the listener of an
# SCMP_ACT_NOTIFY profile to `kago seccomp-agent` (linux.seccomp.listenerPath),
# and the agent creates allowed device nodes and mounts allowed filesystems
# for an unprivileged, user-namespaced container that cannot do either
# itself.  Every "works" case has a control run without the agent that fails.

load helpers

DOCKER_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'

setup() {
  kago_setup
  requires_cmd jq
  AGENT_PID=""
  AGENT_SOCK="$TEST_DIR/agent.sock"
}

teardown() {
  if [ -n "$AGENT_PID" ]; then
    kill "$AGENT_PID" 2>/dev/null || true
    wait "$AGENT_PID" 2>/dev/null || true
  fi
  [ ! -f "$TEST_DIR/agent.log" ] || sed 's/^/# agent: /' "$TEST_DIR/agent.log"
  kago_teardown
}

# start_agent [agent options]: the agent on $AGENT_SOCK, log in agent.log.
start_agent() {
  "$REPO/build/kago" seccomp-agent --socket "$AGENT_SOCK" "$@" >"$TEST_DIR/agent.log" 2>&1 3>&- &
  AGENT_PID=$!
  wait_until 5 grep -q listening "$TEST_DIR/agent.log" || fail "the agent did not start: $(cat "$TEST_DIR/agent.log")"
}

# notify_bundle SCRIPT: a writable busybox bundle running sh -c SCRIPT as root
# of a user namespace (0 -> 100000, 65536 ids) with Docker's capabilities
# (CAP_MKNOD, no CAP_SYS_ADMIN) and a profile that notifies mknod, mknodat
# and mount to the agent at $AGENT_SOCK.
notify_bundle() {
  make_bundle "$(jq -cn --arg s "$1" '["sh", "-c", $s]')" --rw
  local d="$BUNDLE"
  while [ "$d" != / ]; do chmod o+x "$d"; d="$(dirname "$d")"; done
  mkdir -p "$BUNDLE/rootfs/mnt"
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
    | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock,
        syscalls: [{names: ["mknod", "mknodat", "mount"], action: "SCMP_ACT_NOTIFY"}]}' \
    --argjson caps "$DOCKER_CAPS" --arg sock "$AGENT_SOCK"
}

without_notify() {
  update_config 'del(.linux.seccomp)'
}

@test "mknod of an allowed device is done by the agent and the node works (no_new_privs on and off)" {
  start_agent --allow-mknod c:1:3,c:1:5 --allow-mount tmpfs
  notify_bundle 'mknod /tmp/null c 1 3 && echo x > /tmp/null && echo null-ok; stat -c "%F %t:%T %u:%g" /tmp/null'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = null-ok ]
  [ "${lines[1]}" = "character special file 1:3 0:0" ]
  # On the host: a real 1:3 node, owned by the container's root.
  [ "$(stat -c '%F %t:%T %u:%g' "$BUNDLE/rootfs/tmp/null")" = "character special file 1:3 100000:100000" ]
  grep -q "mknod \"/tmp/null\" c 1:3 .*: created" "$TEST_DIR/agent.log"

  # The filter goes on at a different point without no_new_privs.
  rm -f "$BUNDLE/rootfs/tmp/null"
  update_config '.process.noNewPrivileges = false'
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "${lines[0]}" = null-ok ]

  # Control: without the agent the same container cannot make the node.
  rm -f "$BUNDLE/rootfs/tmp/null"
  without_notify
  run_kago run --bundle "$BUNDLE" "$(new_id)"
  [[ "$output" == *"mknod: /tmp/null: Operation not permitted"* ]]
  [[ "$output" != *null-ok* ]]
}

@test "mknodat relative to the cwd honours the umask; non-devices continue; a caller without CAP_MKNOD is refused" {
  start_agent --allow-mknod c:1:5
  notify_bundle 'cd /tmp && umask 027 && mknod zero c 1 5 && stat -c "%a %t:%T" zero && head -c 3 zero | od -An -tx1;
    mkfifo /tmp/fifo && stat -c %F /tmp/fifo;
    su -s /bin/sh nobody -c "mknod /tmp/z2 c 1 5" 2>&1; echo rc=$?'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = "640 1:5" ]
  [ "$(echo ${lines[1]})" = "00 00 00" ]
  [ "${lines[2]}" = fifo ]
  [[ "${lines[3]}" == *"mknod: /tmp/z2: Operation not permitted"* ]]
  [ "${lines[4]}" = rc=1 ]
  [ ! -e "$BUNDLE/rootfs/tmp/z2" ]
  grep -q 'mknod "/tmp/z2" c 1:5: denied (the caller has no CAP_MKNOD)' "$TEST_DIR/agent.log"
}

@test "mount of an allowed tmpfs is done by the agent, owned by the container's user namespace" {
  start_agent --allow-mount tmpfs
  notify_bundle 'mount -t tmpfs -o size=1m,mode=750 none /mnt && echo hi > /mnt/f && cat /mnt/f &&
    stat -c "%u:%g %a" /mnt && grep " /mnt " /proc/self/mountinfo'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = hi ]
  [ "${lines[1]}" = "0:0 750" ]
  [[ "${lines[2]}" == *" /mnt rw,relatime - tmpfs none rw,size=1024k,mode=750,uid=100000,gid=100000"* ]]
  # Not on the host.
  ! grep -q " $BUNDLE/rootfs/mnt " /proc/self/mountinfo

  # Control: the container alone cannot mount it.
  without_notify
  run_kago run --bundle "$BUNDLE" "$(new_id)"
  [ "$status" -ne 0 ]
  [[ "$output" == *"mount: permission denied"* ]]
  [[ "$output" != *hi* ]]
}

@test "a device or filesystem type not in the allow lists is refused with EPERM" {
  start_agent --allow-mknod c:1:3 --allow-mount tmpfs
  notify_bundle 'mknod /tmp/mem c 1 1; echo rc=$?; mknod /tmp/sda b 8 0; echo rc=$?;
    mount -t proc proc /mnt; echo rc=$?; mount --bind /tmp /mnt; echo rc=$?'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"mknod: /tmp/mem: Operation not permitted"* ]]
  [[ "$output" == *"mknod: /tmp/sda: Operation not permitted"* ]]
  [ "$(printf '%s\n' "$output" | grep -c '^rc=1$')" = 4 ]
  # busybox mount words EPERM as "permission denied (are you root?)"
  [ "$(printf '%s\n' "$output" | grep -c 'mount: permission denied')" = 2 ]
  [ ! -e "$BUNDLE/rootfs/tmp/mem" ] && [ ! -e "$BUNDLE/rootfs/tmp/sda" ]
  grep -q 'mknod c 1:1: denied (not in the allow list)' "$TEST_DIR/agent.log"
  grep -q 'mount -t proc on "/mnt": denied (type not in the allow list)' "$TEST_DIR/agent.log"
  grep -q 'mount -t (none) on "/mnt": denied' "$TEST_DIR/agent.log"
}

@test "an exec'd process gets its listener to the agent too" {
  start_agent --allow-mknod c:1:5
  notify_bundle 'sleep 100'
  kago_create "$CID"
  kago_ok start "$CID"
  kago_ok exec "$CID" sh -c 'mknod /tmp/e c 1 5 && stat -c "%t:%T" /tmp/e'
  [ "$output" = "1:5" ]
  [ "$(grep -c 'connected' "$TEST_DIR/agent.log")" = 2 ]
  kago_ok kill "$CID" KILL
  wait_for_status "$CID" stopped
}

@test "when the agent goes away the notified calls fail with ENOSYS instead of hanging; SIGTERM ends it cleanly" {
  start_agent --allow-mknod c:1:3 --allow-mount tmpfs
  notify_bundle 'while [ ! -e /tmp/go ]; do sleep 0.05; done; mknod /tmp/null c 1 3; echo rc=$?;
    mount -t tmpfs none /mnt; echo rc=$?'
  kago_create "$CID"
  kago_ok start "$CID"
  wait_until 5 grep -q "container $CID .*connected" "$TEST_DIR/agent.log"
  kill -TERM "$AGENT_PID"
  local st=0
  wait "$AGENT_PID" || st=$?
  AGENT_PID=""
  [ "$st" -eq 0 ] || fail "the agent exited with $st on SIGTERM"
  [ ! -e "$AGENT_SOCK" ] || fail "the agent left its socket behind"
  touch "$BUNDLE/rootfs/tmp/go"
  wait_for_status "$CID" stopped 10
  run cat "$TEST_DIR/$CID.out" "$TEST_DIR/$CID.err"
  [[ "$output" == *"mknod: /tmp/null: Function not implemented"* ]]
  [[ "$output" == *"mount: mounting none on /mnt failed: Function not implemented"* ]]
  # busybox mount exits 255 on failure
  [ "${lines[0]}" = rc=1 ] && [ "${lines[1]}" = rc=255 ]
  [ ! -e "$BUNDLE/rootfs/tmp/null" ]
}

@test "a listenerPath nobody listens on fails create clearly and leaves nothing behind" {
  notify_bundle 'true'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"linux.seccomp.listenerPath: connect to the seccomp agent at \"$AGENT_SOCK\": No such file or directory"* ]]
  [ ! -e "$KAGO_ROOT/$CID" ]
  kago_fails run --bundle "$BUNDLE" "$(new_id)"
  [[ "$output" == *"connect to the seccomp agent"* ]]
  [ -z "$(ls -A "$KAGO_ROOT" | grep -vx .seccomp-cache)" ]
  # listenerMetadata without listenerPath is refused (the spec's MUST NOT),
  # a listenerPath without NOTIFY rules is ignored.
  update_config '.linux.seccomp |= (del(.listenerPath) | .listenerMetadata = "m")'
  kago_fails run --bundle "$BUNDLE" "$(new_id)"
  [[ "$output" == *"listenerMetadata: must not be set without listenerPath"* ]]
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/nonexistent/sock"}'
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
}

@test "bad connections and dead containers do not take the agent down" {
  requires_cmd python3
  start_agent --allow-mknod c:1:3
  # Garbage, a message without an fd, and a connection that just closes.
  python3 - "$AGENT_SOCK" <<'EOF'
import socket, sys
for payload in [b"not json", b'{"ociVersion":"1","fds":["seccompFd"],"pid":1,"state":{}}', b""]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(payload)
    s.close()
EOF
  wait_until 5 [ "$(grep -c 'connection refused' "$TEST_DIR/agent.log")" -ge 3 ]
  # A container killed while the agent holds its listener.
  notify_bundle 'sleep 100'
  kago_create "$CID"
  kago_ok start "$CID"
  kago_ok kill "$CID" KILL
  wait_for_status "$CID" stopped
  wait_until 5 grep -q "container $CID .*no process uses the filter" "$TEST_DIR/agent.log"
  kill -0 "$AGENT_PID"
  # Still serving.
  notify_bundle 'mknod /tmp/null c 1 3 && echo made'
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "$output" = made ]
}

@test "seccomp-agent: --config adds to the lists; bad lists and configs are refused" {
  notify_bundle 'mount -t tmpfs none /mnt && echo mounted; mknod /tmp/null c 1 3 && echo made'
  echo '{"allowMount": ["tmpfs"], "allowMknod": ["c:1:3"]}' >"$TEST_DIR/agent.json"
  start_agent --config "$TEST_DIR/agent.json"
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = mounted ]
  [ "${lines[1]}" = made ]

  run "$REPO/build/kago" seccomp-agent --socket "$TEST_DIR/x.sock" --allow-mknod c:1
  [ "$status" -ne 0 ]
  [[ "$output" == *'invalid item "c:1"'* ]]
  echo '{"allowMnt": ["tmpfs"]}' >"$TEST_DIR/bad.json"
  run "$REPO/build/kago" seccomp-agent --socket "$TEST_DIR/x.sock" --config "$TEST_DIR/bad.json"
  [ "$status" -ne 0 ]
  [[ "$output" == *'unknown member "allowMnt"'* ]]
  run "$REPO/build/kago" seccomp-agent --allow-mount tmpfs
  [ "$status" -ne 0 ]
  [[ "$output" == *"--socket PATH is required"* ]]
  # A second agent on a live socket is refused.
  run "$REPO/build/kago" seccomp-agent --socket "$AGENT_SOCK"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Address already in use"* ]]
  [ ! -e "$TEST_DIR/x.sock" ]
}
