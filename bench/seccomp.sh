#!/bin/bash
# bench/seccomp.sh [RUNS]: what Docker's default seccomp profile costs a
# container start.  The whole lifecycle (`run` = create+start+wait+delete) of
# a /bin/true container, with and without linux.seccomp = Docker's default
# profile (tests/data/docker-default-seccomp.json resolved for this host by
# `kago seccomp resolve`), for kago-runtime, runc and crun, interleaved by
# bench/lifecycle.c.  "kago-nc" is kago with its compiled-filter cache
# unusable (a file where the cache directory would be), i.e. compiling the
# profile with libseccomp on every start as runc and crun do.  Needs root.
#
# Environment: KAGO (default build/kago-runtime), RUNS (default 30), WARMUP
# (default 3), BENCH_TMP (default /dev/shm if writable).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
RUNS="${1:-${RUNS:-30}}"
WARMUP="${WARMUP:-3}"
KAGO="${KAGO:-$REPO/build/kago-runtime}"
KAGO_CLI="$(dirname "$KAGO")/kago"

[ "$(id -u)" = 0 ] || { echo "bench: must run as root" >&2; exit 1; }
base="${BENCH_TMP:-}"
if [ -z "$base" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; else base=/tmp; fi
fi
T="$(mktemp -d "$base/kago-bench-sc.XXXXXX")"
CRUN_WRAP=(crun)
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  CRUN_WRAP=(unshare -m sh -c 'umount /sys/fs/cgroup/unified; exec crun "$@"' crun)
fi
roots=(kago kago-nocache runc crun)
cleanup() {
  local r id
  for r in "${roots[@]}"; do
    for rr in "$T/$r-root" "$T/$r-sc-root"; do
      [ -d "$rr" ] || continue
      case "$r" in
        kago*) set -- "$KAGO" ;;
        runc) set -- runc ;;
        crun) set -- "${CRUN_WRAP[@]}" ;;
      esac
      for id in $("$@" --root "$rr" list -q 2>/dev/null); do
        "$@" --root "$rr" delete --force "$id" >/dev/null 2>&1 || true
      done
    done
  done
  rm -rf "$T"
}
trap cleanup EXIT

echo "bench: preparing bundles in $T"
KAGO_BUNDLE_CACHE="$T/cache" "$REPO/scripts/make-bundle.sh" "$T/plain" --args '["/bin/true"]' --spec builtin
"$KAGO_CLI" seccomp resolve "$REPO/tests/data/docker-default-seccomp.json" >"$T/seccomp.json"
mkdir -p "$T/sc"
jq --arg rootfs "$T/plain/rootfs" --slurpfile s "$T/seccomp.json" \
  '.root.path = $rootfs | .linux.seccomp = $s[0]' "$T/plain/config.json" >"$T/sc/config.json"
mkdir -p "$T/verify"
jq '.process.args = ["/bin/grep", "^Seccomp:", "/proc/self/status"]' "$T/sc/config.json" >"$T/verify/config.json"
gcc -O2 -Wall -Wextra -o "$T/lifecycle" "$HERE/lifecycle.c"
for r in "${roots[@]}"; do mkdir -p "$T/$r-root" "$T/$r-sc-root"; done
# kago-nocache: the cache directory cannot be made, so every start compiles.
: >"$T/kago-nocache-sc-root/.seccomp-cache"

rc=0
check() { # name argv...: the seccomp bundle's process sees mode 2
  local name="$1" out
  shift
  out="$("$@" --root "$T/$name-sc-root" run --bundle "$T/verify" "verify-$name" 2>/dev/null </dev/null)" || true
  if [ "$(printf '%s' "$out" | tr -d '[:space:]')" != "Seccomp:2" ]; then
    echo "bench: $name does not confine the seccomp bundle: $out" >&2
    rc=1
  fi
}
check kago "$KAGO"
check kago-nocache "$KAGO"
check runc runc
check crun "${CRUN_WRAP[@]}"

cmds=(
  kago "$KAGO" --root "$T/kago-root" run --bundle "$T/plain" "{id}" ";;"
  kago+sc "$KAGO" --root "$T/kago-sc-root" run --bundle "$T/sc" "{id}" ";;"
  kago-nc+sc "$KAGO" --root "$T/kago-nocache-sc-root" run --bundle "$T/sc" "{id}" ";;"
  runc runc --root "$T/runc-root" run --bundle "$T/plain" "{id}" ";;"
  runc+sc runc --root "$T/runc-sc-root" run --bundle "$T/sc" "{id}" ";;"
  crun "${CRUN_WRAP[@]}" --root "$T/crun-root" run --bundle "$T/plain" "{id}" ";;"
  crun+sc "${CRUN_WRAP[@]}" --root "$T/crun-sc-root" run --bundle "$T/sc" "{id}"
)
echo "bench: $(uname -sr), $(nproc) cpus; $(runc --version | head -1); $(crun --version | head -1)"
echo "bench: Docker's default profile resolved for this host: $(jq '[.syscalls[].names[]] | length' "$T/seccomp.json") syscall names in $(jq '.syscalls | length' "$T/seccomp.json") rules"
echo
"$T/lifecycle" -n "$RUNS" -w "$WARMUP" -r kago -c crun -- "${cmds[@]}" || rc=$?
exit $rc
