#!/bin/bash
# tests/run-all.sh [unit|integration|v2vm|all]: build and run kago's tests, count
# every TAP result, print each failure, and end with the line
# "N passed, N failed" (always the last line).  Exit status 1 if anything
# failed.  `make check` runs `all`; see docs/testing.md.
#
#   unit         build (build/), run every unit test program
#   integration  build (build/), run every tests/integration/*.bats as root
#   v2vm         build (build/), run the cgroup v2 lane: the cgroup bats files
#                on a pure cgroup v2 kernel in QEMU (tests/vm/run-v2-lane.sh);
#                results are named "v2-vm: <file>: <test>"
#   all          the above, plus the ASan+UBSan build (build-asan/) and the
#                unit tests again under it
#
# Skipped tests count as passed and are reported separately; so does the v2
# lane as a whole (one skip, with the reason) where QEMU or a kernel image is
# missing.
# Environment: BUILD (default build), ASAN_BUILD (default build-asan),
# KAGO_BATS_TIMEOUT (seconds per .bats file, default 900),
# KAGO_UNIT_TIMEOUT (seconds per unit test program, default 300),
# KAGO_TEST_FILTER (bats --filter regex), KAGO_TEST_FILES (space-separated
# .bats files instead of all), KAGO_NO_BUILD=1 (use the builds as they are);
# for the v2 lane, KAGO_V2_FILES, KAGO_V2_TIMEOUT, KAGO_V2_FILE_TIMEOUT (see
# tests/vm/run-v2-lane.sh).
set -uo pipefail

MODE="${1:-all}"
case "$MODE" in
  unit | integration | v2vm | all) ;;
  *)
    echo "usage: $0 [unit|integration|v2vm|all]" >&2
    exit 2
    ;;
esac

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO" || exit 2
BUILD="${BUILD:-build}"
ASAN_BUILD="${ASAN_BUILD:-build-asan}"
BATS_TIMEOUT="${KAGO_BATS_TIMEOUT:-900}"
UNIT_TIMEOUT="${KAGO_UNIT_TIMEOUT:-300}"

passed=0
failed=0
skipped=0
failures=()
skips=()

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/kago-tests.XXXXXX")"
# Per-test dirs and the bundle template cache of this run: on tmpfs when
# possible (bundle copies are ~30x faster there than on this disk).
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  RUN_TMP="$(mktemp -d /dev/shm/kago-tests.XXXXXX)"
else
  RUN_TMP="$LOG_DIR/tmp"
  mkdir -p "$RUN_TMP"
fi
cleanup() {
  rm -rf "$RUN_TMP" 2>/dev/null
  rm -rf "$LOG_DIR"
}
trap cleanup EXIT

section() {
  echo
  echo "=== $* ==="
}

fail_one() {
  failed=$((failed + 1))
  failures+=("$1")
}

# Count the TAP lines of a file; names are prefixed with $2.
count_tap() { # file prefix
  local file="$1" prefix="$2" line name
  local n_ok=0 n_not=0
  while IFS= read -r line; do
    case "$line" in
      "ok "*)
        n_ok=$((n_ok + 1))
        name="${line#ok }"
        name="${name#[0-9]*[ ]}"
        name="${name#- }"
        passed=$((passed + 1))
        shopt -s nocasematch
        if [[ "$line" =~ \#[[:space:]]*skip ]]; then
          skipped=$((skipped + 1))
          skips+=("$prefix${name}")
        fi
        shopt -u nocasematch
        ;;
      "not ok "*)
        n_not=$((n_not + 1))
        name="${line#not ok }"
        name="${name#[0-9]*[ ]}"
        name="${name#- }"
        fail_one "$prefix$name"
        ;;
    esac
  done <"$file"
  TAP_OK=$n_ok
  TAP_NOT_OK=$n_not
}

# The plan line ("1..N") says how many results to expect.
tap_plan() {
  sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$1" | tail -1
}

build() { # target dir
  local target="$1" log="$LOG_DIR/build-$1.log"
  [ "${KAGO_NO_BUILD:-0}" = 1 ] && return 0
  section "build: make $target"
  if make --no-print-directory -C "$REPO" "$target" BUILD="$BUILD" ASAN_BUILD="$ASAN_BUILD" >"$log" 2>&1; then
    tail -n 2 "$log"
    return 0
  fi
  tail -n 40 "$log"
  fail_one "build: make $target"
  return 1
}

unit_tests() { # build-dir label
  local dir="$1" label="$2" src name exe out rc plan
  section "unit tests ($label: $dir)"
  local found=0
  for src in tests/unit/test_*.c; do
    [ -e "$src" ] || continue
    found=1
    name="$(basename "$src" .c)"
    exe="$REPO/$dir/tests/unit/$name"
    if [ ! -x "$exe" ]; then
      echo "not ok - $name: not built ($exe missing)"
      fail_one "$label: $name: not built"
      continue
    fi
    out="$LOG_DIR/$label-$name.tap"
    # meson runs them from tests/unit; so do we.
    # (An inner shell reaps the test, so a crash is reported in its log.)
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:exitcode=23}" \
      UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=24}" \
      bash -c 'cd "$1" || exit 2
               timeout -k 10 "$2" "$3"; rc=$?
               [ "$rc" -le 128 ] || [ "$rc" = 137 ] || echo "# $3: killed by signal $((rc - 128))"
               exit "$rc"' run-unit "$REPO/tests/unit" "$UNIT_TIMEOUT" "$exe" >"$out" 2>&1 </dev/null
    rc=$?
    sed "s/^/[$name] /" "$out"
    count_tap "$out" "$label: $name: "
    plan="$(tap_plan "$out")"
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      fail_one "$label: $name: timed out after ${UNIT_TIMEOUT}s"
    elif grep -q -e 'runtime error:' -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' "$out"; then
      fail_one "$label: $name: sanitizer error (exit $rc)"
    elif [ "$rc" != 0 ] && [ "$TAP_NOT_OK" = 0 ]; then
      fail_one "$label: $name: exited with status $rc"
    elif [ -z "$plan" ]; then
      fail_one "$label: $name: no TAP plan (crashed?)"
    elif [ "$plan" != $((TAP_OK + TAP_NOT_OK)) ]; then
      fail_one "$label: $name: planned $plan tests, ran $((TAP_OK + TAP_NOT_OK))"
    fi
  done
  [ "$found" = 1 ] || echo "(no unit tests in tests/unit/test_*.c)"
}

integration_tests() {
  local f name out rc plan files=() filter=()
  section "integration tests (tests/integration/*.bats)"
  if [ -n "${KAGO_TEST_FILES:-}" ]; then
    read -r -a files <<<"$KAGO_TEST_FILES"
  else
    for f in tests/integration/*.bats; do
      [ -e "$f" ] && files+=("$f")
    done
  fi
  if [ ${#files[@]} = 0 ]; then
    echo "(no integration tests)"
    return 0
  fi
  if ! command -v bats >/dev/null; then
    fail_one "integration: bats is not installed (./scripts/install-deps.sh)"
    return 0
  fi
  [ -n "${KAGO_TEST_FILTER:-}" ] && filter=(--filter "$KAGO_TEST_FILTER")
  for f in "${files[@]}"; do
    name="$(basename "$f" .bats)"
    out="$LOG_DIR/bats-$name.tap"
    echo "--- $f"
    KAGO_TEST_TMPDIR="$RUN_TMP" KAGO_BUNDLE_CACHE="$RUN_TMP/bundle-cache" \
      timeout -k 10 "$BATS_TIMEOUT" bats --tap "${filter[@]}" "$f" </dev/null 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    count_tap "$out" "$name: "
    plan="$(tap_plan "$out")"
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      fail_one "$name: timed out after ${BATS_TIMEOUT}s (KAGO_BATS_TIMEOUT)"
    elif [ "$rc" != 0 ] && [ "$TAP_NOT_OK" = 0 ]; then
      fail_one "$name: bats exited with status $rc"
    elif [ -n "$plan" ] && [ "$plan" -gt $((TAP_OK + TAP_NOT_OK)) ]; then
      fail_one "$name: planned $plan tests, ran $((TAP_OK + TAP_NOT_OK))"
    fi
  done
}

# The cgroup v2 lane: tests/vm/run-v2-lane.sh prints one TAP stream (exit
# status 77 and "1..0 # SKIP reason" when it cannot run here).
v2vm_lane() {
  local out="$LOG_DIR/v2-vm.tap" rc reason
  section "v2-vm lane (tests/vm/run-v2-lane.sh: cgroup tests on a pure cgroup v2 kernel in QEMU)"
  tests/vm/run-v2-lane.sh </dev/null 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  if [ "$rc" = 77 ]; then
    reason="$(sed -n 's/^1\.\.0 # SKIP //p' "$out" | head -n 1)"
    echo "v2-vm: NOT RUN: ${reason:-the lane cannot run here}"
    passed=$((passed + 1))
    skipped=$((skipped + 1))
    skips+=("v2-vm: the whole lane was not run: ${reason:-the lane cannot run here}")
    return 0
  fi
  count_tap "$out" "v2-vm: "
  if [ "$rc" != 0 ] && [ "$TAP_NOT_OK" = 0 ]; then
    fail_one "v2-vm: tests/vm/run-v2-lane.sh exited with status $rc"
  elif [ $((TAP_OK + TAP_NOT_OK)) = 0 ]; then
    fail_one "v2-vm: tests/vm/run-v2-lane.sh reported no results"
  fi
}

start=$SECONDS
built=0
if build build; then built=1; fi
if [ "$MODE" = unit ] || [ "$MODE" = all ]; then
  [ "$built" = 1 ] && unit_tests "$BUILD" unit
  if [ "$MODE" = all ] && build asan; then
    unit_tests "$ASAN_BUILD" asan
  fi
fi
if [ "$MODE" = integration ] || [ "$MODE" = all ]; then
  # Integration tests need a fresh build/: a failed build is counted above.
  [ "$built" = 1 ] && integration_tests
fi
if [ "$MODE" = v2vm ] || [ "$MODE" = all ]; then
  # The lane runs build/kago-runtime: a failed build is counted above.
  [ "$built" = 1 ] && v2vm_lane
fi

section "summary ($MODE, $((SECONDS - start)) s)"
if [ ${#skips[@]} -gt 0 ]; then
  echo "skipped (${#skips[@]}, counted as passed):"
  printf '  %s\n' "${skips[@]}"
fi
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed (${#failures[@]}):"
  printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
