#!/usr/bin/env bats
# Real clients driving kago-runtime the way they drive runc (see
# ../shared/design/clients.md): podman, through conmon, with a rootfs
# directory (no image registry is needed).  Skipped when podman is absent.

load helpers

podman_kago() {
  podman --root "$TEST_DIR/podman-root" --runroot "$TEST_DIR/podman-run" --cgroup-manager cgroupfs \
    --runtime "$KAGO" "$@"
}

# podman's default nofile (1048576) is above this host's hard limit: pass limits the host allows.
LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)

setup() {
  kago_setup
  requires_cmd podman
  make_bundle '["true"]'
}

teardown() {
  podman_kago rm -af >/dev/null 2>&1 || true
  podman --root "$TEST_DIR/podman-root" --runroot "$TEST_DIR/podman-run" system reset -f >/dev/null 2>&1 || true
  kago_teardown
}

@test "podman: run --rm with kago-runtime, the same capabilities as with runc" {
  run podman_kago run --rm "${LIMITS[@]}" --rootfs "$BUNDLE/rootfs" /bin/sh -c 'echo hello; grep CapEff /proc/self/status'
  [ "$status" -eq 0 ] || fail "podman run: $output"
  [ "${lines[0]}" = hello ]
  [ "${lines[1]}" = "CapEff:	00000000800405fb" ]
}

@test "podman: run -d, exec, exec -t, pause/unpause, stop, rm" {
  run podman_kago run -d --name kp "${LIMITS[@]}" --rootfs "$BUNDLE/rootfs" /bin/sleep 100
  [ "$status" -eq 0 ] || fail "podman run -d: $output"
  run podman_kago exec kp sh -c 'echo exec-ok'
  [ "$output" = exec-ok ]
  run podman_kago exec -t kp tty
  [[ "$output" == /dev/pts/* ]] || fail "exec -t: $output"
  run podman_kago pause kp
  [ "$status" -eq 0 ] || fail "pause: $output"
  run podman_kago inspect --format '{{.State.Status}}' kp
  [ "$output" = paused ]
  run podman_kago unpause kp
  [ "$status" -eq 0 ]
  run podman_kago stop -t 1 kp
  [ "$status" -eq 0 ] || fail "stop: $output"
  run podman_kago rm kp
  [ "$status" -eq 0 ] || fail "rm: $output"
}

@test "podman: a runtime error reaches the user as podman shows runc's" {
  run podman_kago run --rm --network none --rootfs "$BUNDLE/rootfs" /bin/true
  [ "$status" -ne 0 ]
  [[ "$output" == *"setrlimit RLIMIT_NOFILE"* ]] || fail "unexpected: $output"
}
