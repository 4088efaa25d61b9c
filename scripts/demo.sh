#!/bin/bash
# demo.sh: kago's main job: build kago, import busybox:latest offline from
# Debian's busybox-static, run a container with seed 000's limits, show it
# from inside (exec) and outside (ps, stats --no-stream), then remove it.
# Run as root (`make demo`).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"

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

KAGO_BIN="$REPO/build/kago"
K=("$KAGO_BIN" --root "$T/root")
cleanup() {
  "${K[@]}" rm -f demo >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT

# busybox:latest, offline: the busybox-static rootfs imported as an image.
KAGO_BUNDLE_CACHE="$T/cache" "$REPO/scripts/make-bundle.sh" "$T/bundle" >/dev/null
tar -C "$T/bundle/rootfs" -cf "$T/busybox.tar" .
echo "== kago import busybox.tar busybox:latest =="
"${K[@]}" import "$T/busybox.tar" busybox:latest
"${K[@]}" images
echo
echo "== kago run -d --name demo with seed 000's limits =="
set -x
"${K[@]}" run -d --name demo --memory=256mb --cpu-shares=512 --cpuset-cpus=0 \
  --ulimit nofile=2048 busybox sh -c 'while true; do :; done' </dev/null
{ set +x; } 2>/dev/null
echo
echo "== inside: kago exec demo ... =="
"${K[@]}" exec demo sh -c 'echo "hostname: $(hostname)"; echo "PID 1: $(tr "\0" " " </proc/1/cmdline)"; echo "nofile: $(ulimit -n)"; ps'
echo
"${K[@]}" ps
echo
sleep 1
echo "== kago stats --no-stream demo =="
"${K[@]}" stats --no-stream demo
echo
echo "== kago rm -f demo =="
"${K[@]}" rm -f demo
"${K[@]}" ps -a
