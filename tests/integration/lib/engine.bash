# The engine tests' own root: engine.bats and selfexe.bats run kago's
# engine against $IMG_ROOT, a store in the test's directory holding
# busybox:latest imported from the busybox-static rootfs.  Teardown removes
# every container and fails the test when one left a mount behind.

engine_setup() {
  kago_setup
  IMG_ROOT="$TEST_DIR/store"
  make_bundle
  tar -C "$BUNDLE/rootfs" -cf "$TEST_DIR/rootfs.tar" .
  kimg_ok import "$TEST_DIR/rootfs.tar" busybox:latest
}

engine_teardown() {
  if [ -n "${IMG_ROOT:-}" ] && [ -d "$IMG_ROOT" ]; then
    local ids
    ids="$(kimg ps -aq --no-trunc 2>/dev/null || true)"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || kimg rm -f $ids >/dev/null 2>&1 || true
    # No container may leave a mount behind.
    if grep -q " $IMG_ROOT/containers/" /proc/self/mountinfo; then
      grep " $IMG_ROOT/containers/" /proc/self/mountinfo >&2
      kago_teardown
      fail "a container's mount was left behind"
      return 1
    fi
  fi
  kago_teardown
}

# kimg with bats' fd 3 closed (a detached container's monitor must not be
# what keeps bats waiting).
kd() {
  run kimg "$@" 3>&-
  [ "$status" -eq 0 ] || fail "kago $* failed with status $status: $output"
}
