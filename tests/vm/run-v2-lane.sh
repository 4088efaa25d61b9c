#!/bin/bash
# tests/vm/run-v2-lane.sh [FILE.bats...]: the cgroup v2 lane.  Runs the
# cgroup-related bats files against the already-built build/kago-runtime on a
# pure cgroup v2 kernel (tests/vm/run-in-vm.sh) and prints one TAP stream:
# every result renamed "<file>: <test>" and numbered across files, bats'
# comments as they come, and the plan ("1..N") last.  A file that times out,
# a bats that fails without a "not ok", a VM that dies or runs out of time:
# each is one more "not ok" line.
#
# Exit status: 0 if every test passed (skips included), 1 if not, 77 when
# the lane cannot run here (no QEMU or no kernel image; the first line says
# why: "1..0 # SKIP ..."), 2 on a usage error.
#
# The files: arguments, else $KAGO_V2_FILES, else those of V2_FILES below that
# exist.  Before them, the unit programs of V2_UNITS (from build/tests/unit,
# named "unit: <program>: <test>", 120 s each), unless files are given as
# arguments or KAGO_TEST_FILTER is set; KAGO_V2_UNITS="..." overrides that.
# Environment:
#   KAGO_V2_TIMEOUT        seconds for the whole VM, boot included; default 900
#   KAGO_V2_FILE_TIMEOUT   seconds per bats file inside the VM; default 600
#   KAGO_TEST_FILTER       bats --filter regex (as tests/run-all.sh)
#   KAGO_VM_*              see tests/vm/run-in-vm.sh (memory, CPUs, kernel)
# Under software emulation a kago command is 50-100x slower than on the
# host: keep the lane to the tests that depend on the cgroup layout.
set -uo pipefail

# Every cgroup-related bats file; files not written yet are left out.
V2_FILES="tests/integration/cgroup.bats tests/integration/resources.bats tests/integration/events.bats"
# The unit programs that work on the live cgroup hierarchy (from build/).
V2_UNITS="test_cgroup test_cgroup_live"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd -P)"
CALLER_PWD="$PWD"
cd "$REPO" || exit 2

# Inside the VM: run one TAP producer, renumber and rename its results, and
# add a "not ok" when it timed out, failed without one, or ran short of its
# plan.  N counts the results so far.
N=0
run_tap() { # name timeout what-times-out command...
  local name="$1" limit="$2" knob="$3" tap rc ran plan
  shift 3
  tap="/dev/shm/kago-v2/$name.tap"
  timeout -k 10 "$limit" "$@" </dev/null 2>&1 \
    | awk -v n="$N" -v prefix="$name: " '
        /^(not )?ok / {
          st = "ok"; rest = substr($0, 4)
          if ($1 == "not") { st = "not ok"; rest = substr($0, 8) }
          sub(/^[0-9]+ /, "", rest); sub(/^- /, "", rest)
          print st " " ++n " " prefix rest; fflush(); next
        }
        /^1\.\.[0-9]/ { print "# " $0; fflush(); next }   # its own plan
        { print; fflush() }' \
    | tee "$tap"
  rc=${PIPESTATUS[0]}
  ran="$(grep -cE '^(not )?ok ' "$tap")"
  N=$((N + ran))
  plan="$(sed -n 's/^# 1\.\.\([0-9][0-9]*\).*/\1/p' "$tap" | head -n 1)"
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "not ok $((N += 1)) $name: timed out after $limit s ($knob)"
  elif [ "$rc" != 0 ] && ! grep -q '^not ok ' "$tap"; then
    echo "not ok $((N += 1)) $name: exited with status $rc"
  elif [ -z "$plan" ] || [ "$plan" -gt "$ran" ]; then
    echo "not ok $((N += 1)) $name: planned ${plan:-no} tests, ran $ran"
  fi
}

in_vm() { # "unit programs" bats-files...
  local units="$1" f u t0
  shift
  local filter=()
  [ -n "${KAGO_TEST_FILTER:-}" ] && filter=(--filter "$KAGO_TEST_FILTER")
  local tmp="/dev/shm/kago-v2"
  mkdir -p "$tmp/tests"
  export KAGO_TEST_TMPDIR="$tmp/tests" KAGO_BUNDLE_CACHE="$tmp/bundle-cache"

  # TCG finds the code it has translated by virtual address: without address
  # space randomisation every process maps libc and the rest where the last
  # one did, and runs already-translated code (exec is ~2x faster).
  [ "${KAGO_V2_ASLR:-0}" = 1 ] || echo 0 >/proc/sys/kernel/randomize_va_space

  echo "# v2-vm: kernel $(uname -r), $(stat -f -c %T /sys/fs/cgroup) at /sys/fs/cgroup," \
    "controllers for children: $(cat /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null)"
  if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
    echo "not ok 1 lane: /sys/fs/cgroup is not cgroup2 in the VM"
    return 1
  fi
  # Unit programs run from tests/unit, as meson and run-all.sh run them.
  for u in $units; do
    echo "# v2-vm: unit $u"
    if [ ! -x "build/tests/unit/$u" ]; then
      echo "not ok $((N += 1)) unit: $u: not built (build/tests/unit/$u)"
      continue
    fi
    run_tap "unit: $u" 120 "unit programs' limit" sh -c 'cd tests/unit && exec "$1"' sh "$PWD/build/tests/unit/$u"
  done
  for f in "$@"; do
    t0=$SECONDS
    echo "# v2-vm: $f"
    run_tap "$(basename "$f" .bats)" "${KAGO_V2_FILE_TIMEOUT:-600}" KAGO_V2_FILE_TIMEOUT \
      bats --tap "${filter[@]}" "$f"
    echo "# v2-vm: $f: $((SECONDS - t0)) s"
  done
}

if [ "${1:-}" = --in-vm ]; then
  shift
  in_vm "$@"
  exit 0 # the host counts the results
fi

given=()
if [ $# -gt 0 ]; then
  given=("$@")
elif [ -n "${KAGO_V2_FILES:-}" ]; then
  read -r -a given <<<"$KAGO_V2_FILES"
else
  for f in $V2_FILES; do
    [ -e "$f" ] && given+=("$f")
  done
fi
# As paths relative to the repository (the VM sees it at the same path, and
# nothing else of the host read-write); arguments are relative to the caller.
files=()
for f in "${given[@]}"; do
  [ $# -gt 0 ] && [ "${f#/}" = "$f" ] && f="$CALLER_PWD/$f"
  [ "${f#/}" = "$f" ] && f="$REPO/$f"
  [ -f "$f" ] || { echo "run-v2-lane: no file $f" >&2; exit 2; }
  f="$(realpath "$f")"
  [ "${f#"$REPO"/}" != "$f" ] || { echo "run-v2-lane: $f is not in $REPO" >&2; exit 2; }
  files+=("${f#"$REPO"/}")
done
# The unit programs run with the default files only (or as KAGO_V2_UNITS says).
units="${KAGO_V2_UNITS-$V2_UNITS}"
[ $# -gt 0 ] && [ -z "${KAGO_V2_UNITS+set}" ] && units=""
[ -n "${KAGO_TEST_FILTER:-}" ] && [ -z "${KAGO_V2_UNITS+set}" ] && units=""
[ ${#files[@]} -gt 0 ] || [ -n "$units" ] || { echo "run-v2-lane: nothing to run" >&2; exit 2; }

# Can the lane run here?  Say why not, as a TAP skip.
skip_lane() {
  echo "1..0 # SKIP $*"
  exit 77
}
kernel="$("$HERE/run-in-vm.sh" --check 2>&1)" || skip_lane "${kernel#run-in-vm: }"

TIMEOUT="${KAGO_V2_TIMEOUT:-900}"
log="$(mktemp "${TMPDIR:-/tmp}/kago-v2-lane.XXXXXX")"
trap 'rm -f "$log"' EXIT
start=$SECONDS
if [ ! -x "$REPO/build/kago-runtime" ]; then
  echo "not ok 1 lane: build/kago-runtime is not built (make build)" | tee "$log"
  rc=0
else
  echo "# v2-vm: booting $kernel in QEMU for: ${units:+$units }${files[*]}"
  KAGO_VM_TIMEOUT="$TIMEOUT" KAGO_VM_ENV="KAGO_TEST_FILTER KAGO_V2_FILE_TIMEOUT KAGO_V2_ASLR KAGO_CMD_TIMEOUT" \
    "$HERE/run-in-vm.sh" --share "$REPO" "tests/vm/run-v2-lane.sh --in-vm '$units' ${files[*]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
fi
n="$(grep -cE '^(not )?ok ' "$log")"
case "$rc" in
  0) ;;
  124) echo "not ok $((n += 1)) lane: the VM ran out of time after $TIMEOUT s (KAGO_V2_TIMEOUT); the tests after the last result did not run" ;;
  125) echo "not ok $((n += 1)) lane: the VM died or could not start (see above)" ;;
  *) echo "not ok $((n += 1)) lane: the VM's command exited with status $rc" ;;
esac | tee -a "$log"
n="$(grep -cE '^(not )?ok ' "$log")"
echo "# v2-vm: $((SECONDS - start)) s in all"
echo "1..$n"
! grep -q '^not ok ' "$log"
