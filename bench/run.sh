#!/bin/bash
# bench/run.sh [RUNS]: the full lifecycle (`run` = create+start+wait+delete) of
# a /bin/true container, kago-runtime vs runc vs crun vs the floor
# (`unshare -pmuinC chroot ROOTFS /bin/true`), interleaved in one run, on one
# busybox bundle with one config.  Prints medians, p10/p90, peak RSS and ratios.
# Row kago-ro is the same kago from a read-only bind mount (as on a read-only
# /usr): no sealed copy is needed then (CVE-2019-5736); the whole bench runs
# in a private mount namespace of its own for that mount.
# See bench/README.md.  Needs root.
#
# Environment: KAGO (default build/kago-runtime), RUNS (default 50),
# WARMUP (default 3), BENCH_TMP (default /dev/shm if writable, else /tmp),
# BENCH_RAW (write every run to this CSV file), NO_KAGO_RO=1 (no kago-ro row).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
RUNS="${1:-${RUNS:-50}}"
WARMUP="${WARMUP:-3}"
KAGO="${KAGO:-$REPO/build/kago-runtime}"

if [ "$(id -u)" != 0 ]; then
  echo "bench: must run as root" >&2
  exit 1
fi
if [ "${NO_KAGO_RO:-}" != 1 ] && [ -z "${BENCH_PRIVATE_MNTNS:-}" ]; then
  export BENCH_PRIVATE_MNTNS=1
  exec unshare -m --propagation private "$0" "$@"
fi

base="${BENCH_TMP:-}"
if [ -z "$base" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; else base=/tmp; fi
fi
T="$(mktemp -d "$base/kago-bench.XXXXXX")"

cleanup() {
  local r id
  for r in kago kago-ro runc crun; do
    [ -d "$T/$r-root" ] || continue
    case "$r" in
      kago) [ -x "$KAGO" ] || continue; set -- "$KAGO" ;;
      kago-ro) [ -x "$T/ro/kago-runtime" ] || continue; set -- "$T/ro/kago-runtime" ;;
      runc) set -- runc ;;
      crun) set -- "${CRUN_WRAP[@]}" ;;
    esac
    for id in $("$@" --root "$T/$r-root" list -q 2>/dev/null); do
      "$@" --root "$T/$r-root" delete --force "$id" >/dev/null 2>&1 || true
    done
  done
  umount "$T/ro" 2>/dev/null || true
  rm -rf "$T"
}
CRUN_WRAP=(crun)
trap cleanup EXIT

# crun refuses the hybrid cgroup layout: run it in a private mount namespace
# with the cgroup2 mount hidden (see docs; the wrapper's cost is in its time).
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  CRUN_WRAP=(unshare -m sh -c 'umount /sys/fs/cgroup/unified; exec crun "$@"' crun)
fi

echo "bench: preparing bundle in $T"
KAGO_BUNDLE_CACHE="$T/cache" "$REPO/scripts/make-bundle.sh" "$T/bundle" --args '["/bin/true"]' --spec builtin
gcc -O2 -Wall -Wextra -o "$T/lifecycle" "$HERE/lifecycle.c"
mkdir -p "$T/kago-root" "$T/kago-ro-root" "$T/runc-root" "$T/crun-root"
if [ -n "${BENCH_PRIVATE_MNTNS:-}" ] && [ -x "$KAGO" ]; then
  mkdir "$T/ro"
  cp "$(readlink -f "$KAGO")" "$T/ro/kago"
  ln -s kago "$T/ro/kago-runtime"
  mount --bind "$T/ro" "$T/ro"
  mount -o remount,bind,ro "$T/ro"
fi

# Before timing, check that each runtime really runs a container: a bundle on
# the same rootfs whose process prints its PID (1 in a new PID namespace) and
# hostname.  A runtime that fails this is reported as failing, whatever its
# exit codes would say.
mkdir -p "$T/verify"
jq --arg rootfs "$T/bundle/rootfs" '.root.path = $rootfs | .process.args = ["/bin/sh", "-c", "echo bench-ok pid=$$ host=$(hostname)"] | .hostname = "benchhost"' \
  "$T/bundle/config.json" >"$T/verify/config.json"
expect="bench-ok pid=1 host=benchhost"
broken_cmd() { # name message
  printf '%s\n' "$2" >"$T/$1.broken"
  cmds+=("$1" /bin/sh -c 'cat "$1" >&2; exit 1' sh "$T/$1.broken" ";;")
}
verify() { # name argv...
  local name="$1" out
  shift
  out="$("$@" --root "$T/$name-root" run --bundle "$T/verify" "verify-$name" 2>"$T/verify.err" </dev/null)" || true
  if [ "$out" != "$expect" ]; then
    broken_cmd "$name" "$name does not run a container: expected '$expect', got '$(printf '%s' "$out" | head -c 200 | tr '\n' ' ')', stderr: $(head -c 300 "$T/verify.err" | tr '\n' ' ')"
    return 1
  fi
}

cmds=()
if [ ! -x "$KAGO" ]; then
  broken_cmd kago "$KAGO: not built (make build)"
elif verify kago "$KAGO"; then
  cmds+=(kago "$KAGO" --root "$T/kago-root" run --bundle "$T/bundle" "{id}" ";;")
fi
also=()
if [ -x "$T/ro/kago-runtime" ] && verify kago-ro "$T/ro/kago-runtime"; then
  cmds+=(kago-ro "$T/ro/kago-runtime" --root "$T/kago-ro-root" run --bundle "$T/bundle" "{id}" ";;")
  also=(-R kago-ro)
fi
if ! command -v runc >/dev/null; then
  echo "bench: runc not installed (./scripts/install-deps.sh); skipped" >&2
elif verify runc runc; then
  cmds+=(runc runc --root "$T/runc-root" run --bundle "$T/bundle" "{id}" ";;")
fi
if ! command -v crun >/dev/null; then
  echo "bench: crun not installed (./scripts/install-deps.sh); skipped" >&2
elif verify crun "${CRUN_WRAP[@]}"; then
  cmds+=(crun "${CRUN_WRAP[@]}" --root "$T/crun-root" run --bundle "$T/bundle" "{id}" ";;")
fi
cmds+=(floor unshare -pmuinC chroot "$T/bundle/rootfs" /bin/true)
# What the crun wrapper alone costs (it is inside crun's time).
if [ "${#CRUN_WRAP[@]}" -gt 1 ] && command -v crun >/dev/null; then
  cmds+=(";;" crun-wrap unshare -m sh -c 'umount /sys/fs/cgroup/unified; exec "$@"' sh /bin/true)
fi

echo "bench: $(uname -sr), $(nproc) cpus; kago $("$KAGO" --version 2>/dev/null | head -1 || echo '?');" \
     "$(runc --version 2>/dev/null | head -1 || echo 'no runc');" \
     "$(crun --version 2>/dev/null | head -1 || echo 'no crun')"
echo "bench: config: make-bundle.sh --spec builtin (runc spec's defaults), args [\"/bin/true\"]"
raw=()
[ -n "${BENCH_RAW:-}" ] && raw=(-o "$BENCH_RAW")
echo
rc=0
"$T/lifecycle" -n "$RUNS" -w "$WARMUP" -r kago "${also[@]+"${also[@]}"}" -f floor -c crun "${raw[@]+"${raw[@]}"}" -- "${cmds[@]}" || rc=$?

# Every run deletes its container: nothing may be left in any state root.
for r in kago kago-ro runc crun; do
  left="$(find "$T/$r-root" -mindepth 1 -maxdepth 1 -type d ! -name .seccomp-cache 2>/dev/null | wc -l)"
  if [ "$left" != 0 ]; then
    echo "bench: $r left $left container state dir(s) behind in $T/$r-root"
    rc=1
  fi
done

# CVE-2019-5736: what the sealed re-exec costs kago, next to the same memfd
# mechanism applied to runc's binary (runc 1.1 clones itself into a memfd for
# every container start).
echo
echo "sealed re-exec (CVE-2019-5736) cost: copy into a sealed memfd + fexecve, vs a plain exec"
gcc -O2 -Wall -Wextra -o "$T/seal" "$HERE/seal.c"
seal_bins=("$(readlink -f "$KAGO")")
command -v runc >/dev/null && seal_bins+=("$(command -v runc)")
RUNS="$RUNS" "$T/seal" "${seal_bins[@]}" || rc=$?
exit $rc
