#!/usr/bin/env bats
# CVE-2019-5736 through the engine: `kago run|start|restart|exec` fork the
# monitor (whose clone is the container's init) or the exec's process from
# a sealed copy of kago, or from a binary on a read-only mount, never from a
# writable host binary.  The attack setup: an entrypoint script whose
# interpreter is /proc/self/exe makes the init execute "its own" binary
# inside the container, with the image's libraries (here a preloaded
# library that reports what that binary is).

load helpers
load lib/engine
bats_require_minimum_version 1.5.0

setup() {
  engine_setup
}

teardown() {
  engine_teardown
}

# The monitor of container $1 (the parent of its init).
monitor_of() {
  local pid
  pid="$(kimg inspect -f '{{.State.Pid}}' "$1")"
  awk '{ print $4 }' "/proc/$pid/stat"
}

@test "selfexe: #!/proc/self/exe in an image reaches a sealed copy of kago, not the host binary" {
  command -v gcc >/dev/null || skip "gcc is not installed"
  local rf="$TEST_DIR/evil-rootfs" lib
  cp -a "$BUNDLE/rootfs" "$rf"
  # What the binary needs to run in the container (the image's own copies:
  # the attacker's, in the real attack).
  for lib in $(ldd "$KAGO_BIN" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
    mkdir -p "$rf$(dirname "$lib")"
    cp -L "$lib" "$rf$lib"
  done
  cat >"$TEST_DIR/evil.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
__attribute__ ((constructor)) static void evil (void)
{
  char exe[4096];
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  printf ("evil: exe=%s\n", exe);
  fflush (stdout);
  _exit (0);
}
EOF
  gcc -shared -fPIC -o "$rf/evil.so" "$TEST_DIR/evil.c"
  printf '#!/proc/self/exe\n' >"$rf/evil"
  chmod +x "$rf/evil"
  tar -C "$rf" -cf "$TEST_DIR/evil.tar" .
  kimg_ok import "$TEST_DIR/evil.tar" evil:1
  local sum
  sum="$(sha256sum <"$KAGO_BIN")"
  kimg_ok run --rm -e LD_PRELOAD=/evil.so evil:1 /evil
  [[ "$output" == *"evil: exe=/memfd:kago (deleted)"* ]] || fail "the entrypoint reached: $output"
  # Through an exec too.
  kd run -d --name c1 -e LD_PRELOAD=/evil.so evil:1 sleep 100
  kimg_ok exec c1 /evil
  [[ "$output" == *"evil: exe=/memfd:kago (deleted)"* ]] || fail "the exec reached: $output"
  [ "$(sha256sum <"$KAGO_BIN")" = "$sum" ]
}

@test "selfexe: the monitor runs from the sealed copy; from a read-only mount of the binary, no copy is made" {
  kd run -d --name c1 busybox sleep 100
  mon="$(monitor_of c1)"
  [ "$(readlink "/proc/$mon/exe")" = "/memfd:kago (deleted)" ] || fail "monitor exe: $(readlink "/proc/$mon/exe")"
  kimg_ok rm -f c1
  # kago on a read-only bind mount of itself (as on a read-only /usr), in a
  # mount namespace of the test's own: used as it is.
  cp "$KAGO_BIN" "$TEST_DIR/kago-ro"
  unshare -m --propagation private sh -c '
    mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
    exec "$1" --root "$2" run -d --name c2 busybox sleep 100' sh "$TEST_DIR/kago-ro" "$IMG_ROOT" 3>&-
  mon="$(monitor_of c2)"
  [ "$(readlink "/proc/$mon/exe")" = "$TEST_DIR/kago-ro" ] || fail "monitor exe: $(readlink "/proc/$mon/exe")"
  # The attack's next step: hold the exe link open, wait until no process
  # executes the file (no ETXTBSY), then reopen it for writing.  Through the
  # read-only mount that fails.
  exec 5<"/proc/$mon/exe"
  kimg_ok rm -f c2
  run sh -c 'exec 3>>/proc/self/fd/5'
  exec 5<&-
  [ "$status" -ne 0 ]
  [[ "$output" == *"Read-only file system"* ]] || fail "$output"
  # (The same on a writable copy succeeds: the check can fail.)
  cp "$KAGO_BIN" "$TEST_DIR/kago-rw"
  exec 5<"$TEST_DIR/kago-rw"
  run sh -c 'exec 3>>/proc/self/fd/5'
  exec 5<&-
  [ "$status" -eq 0 ] || fail "control: $output"
}
