#!/usr/bin/env bats
# The OCI face's command line: runc's flags, output formats and exit codes.
# Most tests also pass against runc:
#   KAGO_RUNTIME=/usr/sbin/runc bats tests/integration/cli.bats
# (those about kago's own messages and verbs kago does not offer are skipped).

load helpers

is_kago() {
  [ "$(basename "$KAGO")" = kago-runtime ] || [ "$(basename "$KAGO")" = kago ]
}

requires_kago() {
  is_kago || skip "kago-specific"
}

# A running `sleep 100` container named $CID.
start_sleeper() {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  [ "$(container_status "$CID")" = running ]
}

@test "--version prints the version, the commit and the spec version" {
  kago_ok --version
  [[ "${lines[0]}" == *" version "[0-9]* ]]
  printf '%s\n' "${lines[@]}" | grep -q '^commit: '
  printf '%s\n' "${lines[@]}" | grep -Eq '^spec: [0-9]+\.[0-9]+\.[0-9]+'
}

@test "--version: kago-runtime and 'kago runtime' agree" {
  requires_kago
  kago_ok --version
  [ "${lines[0]}" = "kago-runtime version 0.1.0" ]
  printf '%s\n' "${lines[@]}" | grep -qx 'spec: 1.3.0'
  run "$REPO/build/kago" runtime --version
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "kago-runtime version 0.1.0" ]
}

@test "kago runtime ... is the OCI face" {
  requires_kago
  run "$REPO/build/kago" runtime --root "$KAGO_ROOT" list -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run "$REPO/build/kago"
  [ "$status" -eq 0 ]
  [[ "$output" == *"kago runtime"* ]] || [[ "$output" == *"runtime "* ]]
}

@test "spec writes a parseable config.json and refuses to overwrite it" {
  mkdir "$TEST_DIR/b"
  kago_ok spec --bundle "$TEST_DIR/b"
  jq -e '.ociVersion and (.process.args | length > 0) and .root.path == "rootfs"' "$TEST_DIR/b/config.json"
  jq -e '[.linux.namespaces[].type] | index("pid") != null' "$TEST_DIR/b/config.json"
  sum="$(md5sum <"$TEST_DIR/b/config.json")"

  kago_fails spec --bundle "$TEST_DIR/b"
  [ "$status" -eq 1 ]
  [[ "$output" == *"config.json exists"* ]]
  [ "$(md5sum <"$TEST_DIR/b/config.json")" = "$sum" ]
}

@test "spec in the current directory; spec --rootless adds a user namespace" {
  mkdir "$TEST_DIR/c" "$TEST_DIR/r"
  (cd "$TEST_DIR/c" && "$KAGO" spec) || fail "spec in the cwd failed"
  jq -e . "$TEST_DIR/c/config.json" >/dev/null
  kago_ok spec --rootless -b "$TEST_DIR/r"
  jq -e '[.linux.namespaces[].type] | index("user") != null' "$TEST_DIR/r/config.json"
  jq -e '.linux.uidMappings | length > 0' "$TEST_DIR/r/config.json"
}

@test "an unknown flag is a usage error with exit status 1" {
  kago_fails create --foo "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *foo* ]]
  if is_kago; then
    [[ "$output" == *'unknown flag "--foo" for "create"'* ]]
    [[ "$output" == *"Usage:"*"create"* ]]
  fi
}

@test "a missing container id is a usage error" {
  kago_fails create
  [ "$status" -eq 1 ]
  kago_fails start
  [ "$status" -eq 1 ]
}

@test "--log-format accepts text and json only" {
  requires_kago
  kago_fails --log-format xml list
  [ "$status" -eq 1 ]
  [[ "$output" == *log-format*text*json* ]]
  kago_ok --log-format=text list
  kago_ok --log-format json list
}

@test "--log-format json --log FILE: a failing create writes a JSON error line" {
  kago_fails --log-format=json --log "$TEST_DIR/log.json" create --bundle "$TEST_DIR/no-such-bundle" "$CID"
  [ "$status" -eq 1 ]
  [ -s "$TEST_DIR/log.json" ]
  last="$(grep '"level":"error"' "$TEST_DIR/log.json" | tail -1)"
  [ -n "$last" ] || fail "no error line in: $(cat "$TEST_DIR/log.json")"
  jq -e '.level == "error" and (.msg | length > 0) and (.time | length > 0)' <<<"$last"
  # the error is on stderr too
  [ -n "$output" ]
}

@test "--log-format json: a usage error after the global flags is logged too" {
  requires_kago
  kago_fails --log-format json --log "$TEST_DIR/log.json" create --bogus "$CID"
  [ "$status" -eq 1 ]
  jq -e 'select(.level == "error") | .msg | contains("--bogus")' "$TEST_DIR/log.json"
}

@test "verb --help prints the usage and flags" {
  kago_ok create --help
  [[ "$output" == *--bundle* ]]
  [[ "$output" == *--pid-file* ]]
  [[ "$output" == *--console-socket* ]]
  kago_ok exec --help
  [[ "$output" == *--process* ]]
  [[ "$output" == *--detach* ]]
  kago_ok kill -h
  [[ "$output" == *--all* ]]
}

@test "state prints the OCI state, pretty-printed with two-space indent" {
  start_sleeper
  kago_ok state "$CID"
  jq -e --arg id "$CID" --arg b "$BUNDLE" \
    '.id == $id and .status == "running" and .pid > 0 and .bundle == $b and (.ociVersion | length > 0) and (.created | length > 0)' \
    <<<"$output"
  [ "${lines[0]}" = "{" ]
  printf '%s\n' "${lines[@]}" | grep -q '^  "ociVersion": "'
  printf '%s\n' "${lines[@]}" | grep -q "^  \"id\": \"$CID\",\$"
}

@test "list: table, quiet and json formats" {
  start_sleeper
  pid="$(container_pid "$CID")"

  kago_ok list
  [[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER$ ]]
  row="$(printf '%s\n' "${lines[@]}" | awk -v id="$CID" '$1 == id')"
  [ -n "$row" ] || fail "no row for $CID"
  read -r r_id r_pid r_status r_bundle r_created r_owner <<<"$row"
  [ "$r_pid" = "$pid" ]
  [ "$r_status" = running ]
  [ "$r_bundle" = "$BUNDLE" ]
  [[ "$r_created" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]]
  [ "$r_owner" = root ]
  # tab-aligned: every column starts at the same offset on every line
  off_h="$(awk 'NR==1 { print index($0, "STATUS") }' <<<"$output")"
  off_r="$(awk -v id="$CID" '$1 == id { print index($0, "running") }' <<<"$output")"
  [ "$off_h" = "$off_r" ]

  kago_ok list -q
  [ "$output" = "$CID" ]

  kago_ok list --format json
  jq -e --arg id "$CID" --argjson pid "$pid" \
    'length == 1 and .[0].id == $id and .[0].pid == $pid and .[0].status == "running"' <<<"$output"

  kago_fails list --format yaml
}

@test "list of an empty root" {
  kago_ok list -q
  [ -z "$output" ]
  kago_ok list -f json
  jq -e 'length == 0' <<<"$output" >/dev/null || [ "$output" = null ]
}

@test "ps: json pids, the ps -ef table, and ps options" {
  start_sleeper
  pid="$(container_pid "$CID")"

  kago_ok ps --format json "$CID"
  jq -e --argjson pid "$pid" 'type == "array" and index($pid) != null' <<<"$output"

  kago_ok ps "$CID"
  [[ "${lines[0]}" =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD$ ]]
  row="$(printf '%s\n' "${lines[@]:1}" | awk -v p="$pid" '$2 == p')"
  [ -n "$row" ] || fail "no row for pid $pid"
  [[ "$row" == *"sleep 100" ]]
  [ "$(awk '{ print $1 }' <<<"$row")" = root ]
  # only the container's processes
  [ "${#lines[@]}" -eq 2 ]

  kago_ok ps "$CID" -o pid,comm
  [[ "${lines[0]}" =~ PID\ +COMMAND ]]
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[1]}" =~ ^\ *$pid\ +sleep$ ]]
}

@test "kill: signal names and numbers; an unknown signal is an error" {
  start_sleeper
  kago_fails kill "$CID" NOSUCHSIG
  [ "$(container_status "$CID")" = running ]
  # SIGCONT leaves sleep running: by name with and without SIG, by number
  kago_ok kill "$CID" CONT
  kago_ok kill "$CID" SIGCONT
  kago_ok kill "$CID" 18
  [ "$(container_status "$CID")" = running ]
  kago_ok kill "$CID" SIGKILL
  wait_for_status "$CID" stopped
  kago_ok delete "$CID"
}

@test "kill defaults to SIGTERM; --all" {
  make_bundle '["sh", "-c", "trap \"exit 42\" TERM; while :; do sleep 0.1; done"]'
  kago_create "$CID"
  kago_ok start "$CID"
  kago_ok kill "$CID"
  wait_for_status "$CID" stopped

  id2="$(new_id)"
  make_bundle '["sleep", "100"]'
  kago_create "$id2"
  kago_ok start "$id2"
  kago_ok kill --all "$id2" 9
  wait_for_status "$id2" stopped
  kago_ok delete "$id2"
}

@test "exec: arguments after the id, exit status, env, user" {
  start_sleeper
  kago_ok exec "$CID" sh -c 'echo out; exit 0'
  [ "$output" = out ]

  run_kago exec "$CID" sh -c 'exit 7'
  [ "$status" -eq 7 ]

  kago_ok exec --env FOO=bar --env BAZ=qux "$CID" sh -c 'echo $FOO $BAZ'
  [ "$output" = "bar qux" ]

  kago_ok exec --user 1000:1001 "$CID" sh -c 'echo $(id -u) $(id -g)'
  [ "$output" = "1000 1001" ]

  kago_ok exec --cwd /tmp "$CID" pwd
  [ "$output" = /tmp ]
}

@test "exec: a non-numeric user and a missing command are errors" {
  start_sleeper
  kago_fails exec --user nobody "$CID" true
  kago_fails exec "$CID"
}

@test "exec --process FILE --detach --pid-file" {
  start_sleeper
  cat >"$TEST_DIR/process.json" <<'EOF'
{"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sleep", "50"], "env": ["PATH=/bin:/usr/bin"], "cwd": "/"}
EOF
  kago exec --process "$TEST_DIR/process.json" --detach --pid-file "$TEST_DIR/exec.pid" "$CID" \
    </dev/null >"$TEST_DIR/exec.out" 2>"$TEST_DIR/exec.err" || fail "exec failed: $(cat "$TEST_DIR/exec.err")"
  epid="$(cat "$TEST_DIR/exec.pid")"
  [ "$epid" -gt 0 ]
  [ "$(tr '\0' ' ' <"/proc/$epid/cmdline")" = "sleep 50 " ]
  kago_ok ps --format json "$CID"
  jq -e --argjson p "$epid" 'index($p) != null' <<<"$output"
}

@test "features prints what the runtime supports" {
  kago_ok features
  jq -e '.ociVersionMax and (.hooks | length == 6) and (.linux.namespaces | length >= 7)' <<<"$output"
  jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") != null' <<<"$output"
  jq -e '.linux.seccomp.enabled == true and (.linux.seccomp.actions | index("SCMP_ACT_ERRNO") != null)' <<<"$output"
  if is_kago; then
    jq -e '.linux.namespaces | length == 8' <<<"$output"
    jq -e '.linux.cgroup.v1 == true and .linux.cgroup.v2 == true and .linux.cgroup.systemd == false' <<<"$output"
  fi
}

@test "update: runc's flags reach the kernel; bad values and unknown containers are clear errors" {
  requires_kago
  requires_cgroup_v1 memory
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  kago_ok update --memory 64m --memory-swap 128m --cpu-share 256 --pids-limit 77 "$CID"
  [ "$(cat /sys/fs/cgroup/memory/kago/$CID/memory.limit_in_bytes)" = 67108864 ]
  [ "$(cat /sys/fs/cgroup/memory/kago/$CID/memory.memsw.limit_in_bytes)" = 134217728 ]
  [ "$(cat /sys/fs/cgroup/cpu/kago/$CID/cpu.shares)" = 256 ]
  [ "$(cat /sys/fs/cgroup/pids/kago/$CID/pids.max)" = 77 ]
  # --resources - as docker sends it; the flags win over the file
  run bash -c "echo '{\"memory\": {\"limit\": 33554432, \"swap\": 0}}' | $KAGO --root $KAGO_ROOT update --resources - --pids-limit 99 $CID"
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(cat /sys/fs/cgroup/memory/kago/$CID/memory.limit_in_bytes)" = 33554432 ]
  [ "$(cat /sys/fs/cgroup/pids/kago/$CID/pids.max)" = 99 ]
  kago_fails update --memory 12zz "$CID"
  [[ "$output" == *"--memory: invalid size"* ]]
  kago_fails update --l3-cache-schema L3:0=f "$CID"
  [[ "$output" == *"Intel RDT"* ]]
  kago_fails update --memory 64m no-such-container
  [[ "$output" == *"does not exist"* ]]
}

@test "events on no container, checkpoint: a clear error, not a pretence" {
  requires_kago
  kago_fails events "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not exist"* ]]
  kago_fails checkpoint --image-path "$TEST_DIR/cp" --work-path "$TEST_DIR" "$CID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"not supported"* ]]
}
