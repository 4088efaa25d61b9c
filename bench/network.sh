#!/bin/bash
# bench/network.sh [RUNS]: what the default bridge network costs a container,
# kago vs podman vs docker: each engine's `run --rm --network none busybox
# true` and `run --rm --network bridge busybox true`, all interleaved in one
# run (bench/engine.sh with NETWORKS="none bridge").  Prints the medians, the
# ratios and, per engine, bridge minus none; the issue's target is kago's
# bridge adding at most 5 ms.  Needs root.
#
# Everything runs in a network namespace this script creates and deletes
# (kago-bench-net-PID): kago0, podman0, docker0, the veths, the NAT rules and
# the forwarding sysctl all live and die there; the machine's own network is
# never touched, and no packet leaves the namespace (the containers run
# /bin/true).  dockerd runs there with its defaults (docker0, iptables),
# podman with its default network backend (netavark).
#
# Environment: as bench/engine.sh (KAGO, RUNS, WARMUP, BENCH_TMP, BENCH_RAW,
# DOCKER_CLI, NO_PODMAN, NO_DOCKER).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$(id -u)" != 0 ]; then
  echo "bench-network: must run as root" >&2
  exit 1
fi
NS="kago-bench-net-$$"
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
# nsenter, not `ip netns exec`: the latter remounts /sys, which the engines'
# cgroup handling must see as the machine's.
rc=0
NETWORKS="none bridge" nsenter --net="/run/netns/$NS" "$HERE/engine.sh" "$@" || rc=$?
exit "$rc"
