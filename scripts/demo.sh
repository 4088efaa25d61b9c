#!/bin/bash
# demo.sh: kago's main job for now: build kago, make a busybox bundle and run a
# container in it with `kago-runtime run`, showing that the container has its
# own hostname, its own PID 1 and its own mounts.  Run as root (`make demo`).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
KAGO="${KAGO:-$REPO/build/kago-runtime}"

if [ "$(id -u)" != 0 ]; then
  echo "demo: must run as root (containers need namespaces and mounts)" >&2
  exit 1
fi
if [ -z "${KAGO_DEMO_NO_BUILD:-}" ]; then
  make -s -C "$REPO" build >/dev/null
fi

tmp=/tmp
if [ -d /dev/shm ] && [ -w /dev/shm ]; then tmp=/dev/shm; fi
T="$(mktemp -d "$tmp/kago-demo.XXXXXX")"
trap 'rm -rf "$T"' EXIT

# What the container runs (busybox applets only), as /demo.sh in its rootfs so
# that its PID 1 reads "/bin/sh /demo.sh".
KAGO_BUNDLE_CACHE="$T/cache" "$REPO/scripts/make-bundle.sh" "$T/bundle" \
  --args '["/bin/sh", "/demo.sh"]' --hostname kago-demo
cat >"$T/bundle/rootfs/demo.sh" <<'SH'
echo "hostname: $(hostname)"
echo "PID 1: $(tr '\0' ' ' </proc/1/cmdline)"
echo "processes:"
ps
echo "mounts (/proc/self/mountinfo):"
cat /proc/self/mountinfo
SH

echo "== host =="
echo "hostname: $(hostname)"
echo "PID 1: $(tr '\0' ' ' </proc/1/cmdline)"
echo "mounts: $(wc -l </proc/self/mountinfo)"
echo
echo "== container: $KAGO --root $T/state run --bundle $T/bundle kago-demo =="
rc=0
"$KAGO" --root "$T/state" run --bundle "$T/bundle" kago-demo </dev/null || rc=$?
echo
echo "== container exited with status $rc =="
if [ "$rc" != 0 ]; then
  "$KAGO" --root "$T/state" delete --force kago-demo >/dev/null 2>&1 || true
fi
exit "$rc"
