#!/usr/bin/env bats
# Smoke tests: kago-runtime runs a container in a busybox bundle end to end.
# They also pass against runc: KAGO_RUNTIME=/usr/sbin/runc bats tests/integration/smoke.bats

load helpers

@test "run: the container's exit status is kago's" {
  make_bundle '["sh", "-c", "exit 3"]'
  run_kago run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 3 ]

  make_bundle '["/bin/true"]'
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ -z "$output" ]
}

@test "run: the container's stdout reaches the caller" {
  make_bundle '["echo", "hello from kago"]'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$output" = "hello from kago" ]
}

@test "run: hostname comes from config.json" {
  make_bundle '["hostname"]' --hostname kago-smoke
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$output" = kago-smoke ]
  [ "$(hostname)" != kago-smoke ]
}

@test "run: the command is PID 1 of its own PID namespace" {
  make_bundle '["/bin/sh", "-c", "echo pid=$$; tr \"\\0\" \" \" </proc/1/cmdline; echo; ps -o pid,args"]'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = "pid=1" ]
  [[ "${lines[1]}" == "/bin/sh -c echo pid=\$\$;"* ]]
  # Only the container's own processes are visible: sh (1) and ps.
  [ "$(printf '%s\n' "${lines[@]:2}" | grep -c .)" -le 3 ]
}

@test "run: the container gets new pid, net, ipc, uts and mount namespaces" {
  local ns script
  script='for n in pid net ipc uts mnt; do echo "$n $(readlink /proc/self/ns/$n)"; done'
  make_bundle "$(jq -cn --arg s "$script" '["sh", "-c", $s]')"
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${#lines[@]}" -eq 5 ]
  for ns in pid net ipc uts mnt; do
    inside="$(printf '%s\n' "${lines[@]}" | awk -v n="$ns" '$1 == n { print $2 }')"
    [ -n "$inside" ] || fail "no $ns namespace line in: $output"
    [ "$inside" != "$(readlink /proc/self/ns/$ns)" ] || fail "$ns namespace is the host's: $inside"
  done
}

@test "run: the root filesystem is the bundle's rootfs and /proc is mounted" {
  make_bundle '["sh", "-c", "ls /bin/busybox && cat /etc/passwd | head -1 && test -r /proc/self/status && echo ok"]'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = /bin/busybox ]
  [ "${lines[1]}" = "root:x:0:0:root:/root:/bin/sh" ]
  [ "${lines[2]}" = ok ]
}

@test "lifecycle: create -> created, start -> running, kill -> stopped, delete" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"

  run container_state "$CID"
  [ "$status" -eq 0 ]
  [ "$(jq -r .id <<<"$output")" = "$CID" ]
  [ "$(jq -r .status <<<"$output")" = created ]
  [ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
  [ -n "$(jq -r .ociVersion <<<"$output")" ]
  pid="$(jq -r .pid <<<"$output")"
  [ "$pid" -gt 0 ]
  [ -d "/proc/$pid" ]
  [ "$(init_ns "$CID" uts)" != "$(readlink /proc/self/ns/uts)" ]

  kago_ok start "$CID"
  [ "$(container_status "$CID")" = running ]
  # The same process, now running the command.
  [ "$(container_pid "$CID")" = "$pid" ]
  wait_until 10 grep -q sleep "/proc/$pid/cmdline"
  [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 100 " ]

  # A running container cannot be deleted without --force.
  kago_fails delete "$CID"
  [ "$(container_status "$CID")" = running ]

  kago_ok kill "$CID" KILL
  wait_for_status "$CID" stopped
  kago_ok delete "$CID"
  kago_fails state "$CID"
  [ ! -d "/proc/$pid" ] || [ "$(awk '/^State:/ { print $2 }' "/proc/$pid/status")" = Z ] \
    || fail "init $pid still exists"
}

@test "lifecycle: a container whose process exits is stopped, and delete removes it" {
  make_bundle '["sh", "-c", "exit 0"]'
  kago_create "$CID"
  kago_ok start "$CID"
  wait_for_status "$CID" stopped
  kago_ok delete "$CID"
  kago_fails state "$CID"
  run_kago list -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "delete --force of an unknown container succeeds" {
  kago_ok delete --force "$CID-never-created"
}

@test "state of an unknown container fails" {
  kago_fails state "$CID-never-created"
}
