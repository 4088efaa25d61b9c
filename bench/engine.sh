#!/bin/bash
# bench/engine.sh [RUNS]: an engine's whole `run --rm --network none busybox
# true`, kago vs podman vs docker, interleaved in one run (bench/lifecycle.c),
# each engine with its own temporary store holding the same busybox image
# (Debian's busybox-static).  Prints medians, p10/p90, peak RSS, the ratios
# kago/podman and kago/docker, and the issue's targets: kago <= 25 ms and
# at least 10x faster than podman.  See bench/README.md.  Needs root.
#
#   kago    build/kago --root T/kago run --rm --network none busybox true
#           (busybox:latest made with `kago import` of the rootfs tarball)
#   podman  podman --root T/podman/root --runroot T/podman/run --tmpdir T/podman/tmp
#           --cgroup-manager cgroupfs [--runtime CRUN-WRAPPER]
#           run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 busybox true
#           (the image from `podman load` of a docker-save/OCI archive of the same rootfs;
#           podman's default runtime, crun, refuses a hybrid cgroup layout: on such a
#           host it runs behind the wrapper bench/run.sh uses, a private mount namespace
#           with /sys/fs/cgroup/unified unmounted; podman's default nofile/nproc are
#           above this host's hard limits, hence the --ulimit flags)
#   docker  docker -H unix://T/docker/sock run --rm --network none busybox true
#           (a private containerd and a dockerd started here: --bridge=none
#           --iptables=false --ip6tables=false, own --data-root/--exec-root/socket,
#           cgroupfs under /kago-bench-docker-PID; `docker load` of the same archive;
#           dockerd's default runtime, runc; stopped and removed at the end)
#
# A peer that is not installed is skipped with a note.  Before timing, each
# engine must print "bench-ok pid=1" from `sh -c 'echo bench-ok pid=$$'` in
# the same image; one that cannot is reported as FAILED with its error.
#
# Environment: KAGO (default build/kago), RUNS (default 20), WARMUP (default
# 2), BENCH_TMP (default /dev/shm if writable, else /tmp), BENCH_RAW (also
# write every run to this CSV file), DOCKER_CLI (default /usr/bin/docker if
# present: the client matching Debian's dockerd), NO_PODMAN=1, NO_DOCKER=1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
RUNS="${1:-${RUNS:-20}}"
WARMUP="${WARMUP:-2}"
KAGO="${KAGO:-$REPO/build/kago}"
# NETWORKS: the --network modes to time, each engine once per mode (default
# "none"; bench/network.sh sets "none bridge" inside a network namespace of
# its own).  With one mode the commands are named kago, podman, docker; with
# several, kago-none, kago-bridge, ...
NETWORKS="${NETWORKS:-none}"
read -r -a NETS <<<"$NETWORKS"
for n in "${NETS[@]}"; do
  case "$n" in
  none) ;;
  bridge)
    # The bridge, NAT rules and forwarding are made in the caller's network
    # namespace: never the machine's own.
    if [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
      echo "bench-engine: NETWORKS=bridge must run in a network namespace of its own (bench/network.sh makes one)" >&2
      exit 1
    fi
    ;;
  *)
    echo "bench-engine: NETWORKS: unknown mode '$n' (none, bridge)" >&2
    exit 1
    ;;
  esac
done
HAS_BRIDGE=""
case " $NETWORKS " in *" bridge "*) HAS_BRIDGE=1 ;; esac
cmd_name() { # engine net
  if [ "${#NETS[@]}" -eq 1 ]; then echo "$1"; else echo "$1-$2"; fi
}

if [ "$(id -u)" != 0 ]; then
  echo "bench-engine: must run as root" >&2
  exit 1
fi

base="${BENCH_TMP:-}"
if [ -z "$base" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; else base=/tmp; fi
fi
T="$(mktemp -d "$base/kago-bench-engine.XXXXXX")"
CG_PARENT="kago-bench-docker-$$"
CTD_PID=""
DK_PID=""

note() { echo "bench-engine: $*" >&2; }

docker_() { timeout -k 5 60 "$DOCKER_CLI" -H "unix://$T/docker/sock" "$@" </dev/null; }
podman_() {
  podman --root "$T/podman/root" --runroot "$T/podman/run" --tmpdir "$T/podman/tmp" \
    --cgroup-manager cgroupfs "${PODMAN_RUNTIME[@]+"${PODMAN_RUNTIME[@]}"}" "$@"
}

stop_pid() { # pid: TERM, up to 10 s, then KILL
  local p="$1"
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

cleanup() {
  set +e
  if [ -n "$DK_PID" ]; then
    ids="$(docker_ ps -aq 2>/dev/null)"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || docker_ rm -f $ids >/dev/null 2>&1
    stop_pid "$DK_PID"
  fi
  if [ -n "$CTD_PID" ]; then
    stop_pid "$CTD_PID"
    # Shims of this containerd that outlived it.
    for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $T/ctd/sock" 2>/dev/null); do
      kill -9 "$p" 2>/dev/null
    done
  fi
  if [ -d "$T/podman" ]; then
    podman_ rm -af >/dev/null 2>&1
    podman_ system reset -f >/dev/null 2>&1
  fi
  # Whatever is still mounted under T (overlays, shm, netns files), deepest first.
  awk -v t="$T" '$5 ~ "^"t {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null
  done
  for d in /sys/fs/cgroup/*/"$CG_PARENT"; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
  done
  rm -rf "$T"
}
trap cleanup EXIT

broken_cmd() { # name message: a command that fails with MESSAGE (reported as FAILED)
  printf '%s\n' "$2" >"$T/$1.broken"
  cmds+=("$1" /bin/sh -c 'cat "$1" >&2; exit 1' sh "$T/$1.broken" ";;")
}

expect="bench-ok pid=1"
verify() { # name argv-prefix...: `PREFIX run --rm --network NET busybox sh -c ...`
  local name="$1" out
  shift
  out="$("$@" sh -c 'echo bench-ok pid=$$' 2>"$T/verify.err" </dev/null)" || true
  if [ "$out" != "$expect" ]; then
    broken_cmd "$name" "$name does not run the container: expected '$expect', got '$(printf '%s' "$out" | head -c 200 | tr '\n' ' ')', stderr: $(head -c 400 "$T/verify.err" | tr '\n' ' ')"
    return 1
  fi
}

echo "bench-engine: preparing the busybox image in $T"
KAGO_BUNDLE_CACHE="$T/cache" "$REPO/scripts/make-bundle.sh" "$T/bundle" --spec builtin --no-config
tar -C "$T/bundle/rootfs" --numeric-owner -cf "$T/rootfs.tar" .
"$REPO/tests/integration/lib/make-oci-image.sh" "$T/bundle/rootfs" "$T/image.tar" docker.io/library/busybox:latest
gcc -O2 -Wall -Wextra -o "$T/lifecycle" "$HERE/lifecycle.c"

cmds=()
versions=()

# ---- kago
if [ ! -x "$KAGO" ]; then
  broken_cmd kago "$KAGO: not built (make build)"
elif ! "$KAGO" --root "$T/kago" import "$T/rootfs.tar" busybox:latest >"$T/kago-import.log" 2>&1; then
  broken_cmd kago "kago import failed: $(tail -c 300 "$T/kago-import.log" | tr '\n' ' ')"
else
  for net in "${NETS[@]}"; do
    KAGO_RUN=("$KAGO" --root "$T/kago" run --rm --network "$net" busybox)
    if verify "$(cmd_name kago "$net")" "${KAGO_RUN[@]}"; then
      cmds+=("$(cmd_name kago "$net")" "${KAGO_RUN[@]}" true ";;")
    fi
  done
fi
versions+=("kago $("$KAGO" --version 2>/dev/null | head -1 || echo '?')")

# ---- podman
PODMAN_RUNTIME=()
if [ -n "${NO_PODMAN:-}" ]; then
  note "podman: skipped (NO_PODMAN)"
elif ! command -v podman >/dev/null; then
  note "podman: not installed (apt-get install podman); skipped"
else
  mkdir -p "$T/podman"
  rt_note="default runtime"
  if [ "$(podman_ info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null)" = crun ] &&
    mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
    printf '%s\n' '#!/bin/sh' \
      "exec unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun \"\$@\"' crun \"\$@\"" \
      >"$T/crun-wrap"
    chmod +x "$T/crun-wrap"
    PODMAN_RUNTIME=(--runtime "$T/crun-wrap")
    rt_note="crun behind the hybrid-cgroup wrapper"
  fi
  if ! podman_ load -i "$T/image.tar" >"$T/podman-load.log" 2>&1; then
    broken_cmd podman "podman load failed: $(tail -c 300 "$T/podman-load.log" | tr '\n' ' ')"
  else
    for net in "${NETS[@]}"; do
      PODMAN_RUN=(podman_ run --rm --network "$net" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 busybox)
      if verify "$(cmd_name podman "$net")" "${PODMAN_RUN[@]}"; then
        # lifecycle execs a program: spell the function out.
        cmds+=("$(cmd_name podman "$net")" podman --root "$T/podman/root" --runroot "$T/podman/run"
          --tmpdir "$T/podman/tmp" --cgroup-manager cgroupfs "${PODMAN_RUNTIME[@]+"${PODMAN_RUNTIME[@]}"}"
          run --rm --network "$net" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 busybox true ";;")
      fi
    done
  fi
  versions+=("$(podman --version) ($rt_note)")
fi

# ---- docker
DOCKER_CLI="${DOCKER_CLI:-}"
if [ -z "$DOCKER_CLI" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER_CLI=/usr/bin/docker; else DOCKER_CLI="$(command -v docker || true)"; fi
fi
if [ -n "${NO_DOCKER:-}" ]; then
  note "docker: skipped (NO_DOCKER)"
elif ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null || [ -z "$DOCKER_CLI" ]; then
  note "docker: dockerd, containerd or the docker client not installed (apt-get install docker.io); skipped"
else
  mkdir -p "$T/ctd" "$T/docker"
  cat >"$T/ctd/config.toml" <<EOF
version = 2
root = "$T/ctd/root"
state = "$T/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$T/ctd/sock"
[ttrpc]
  address = "$T/ctd/sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$T/ctd/opt"
EOF
  (cd "$T/ctd" && exec containerd --config "$T/ctd/config.toml" </dev/null >"$T/ctd/log" 2>&1) &
  CTD_PID=$!
  for _ in $(seq 100); do [ -S "$T/ctd/sock" ] && break; sleep 0.1; done
  # daemon.json: so that dockerd reads nothing of the host's /etc/docker.
  jq -n --arg k "$T/docker/key.json" '{ "deprecated-key-path": $k }' >"$T/docker/daemon.json"
  # Without a bridge mode, no docker0 and no rules; with one, dockerd's own
  # defaults (docker0, iptables) in the namespace bench/network.sh made.
  if [ -n "$HAS_BRIDGE" ]; then
    DOCKER_NET_FLAGS=(--ip6tables=false)
  else
    DOCKER_NET_FLAGS=(--bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false)
  fi
  (cd "$T/docker" && exec dockerd --config-file "$T/docker/daemon.json" \
    --data-root "$T/docker/data" --exec-root "$T/docker/exec" --pidfile "$T/docker/pid" \
    -H "unix://$T/docker/sock" --containerd "$T/ctd/sock" \
    "${DOCKER_NET_FLAGS[@]}" \
    --userland-proxy=false --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$CG_PARENT" \
    --default-ulimit nofile=1024:1024 </dev/null >"$T/docker/log" 2>&1) &
  DK_PID=$!
  up=""
  for _ in $(seq 200); do
    kill -0 "$DK_PID" 2>/dev/null || break
    if [ -S "$T/docker/sock" ] && docker_ version >/dev/null 2>&1; then up=1; break; fi
    sleep 0.1
  done
  if [ -z "$up" ]; then
    broken_cmd docker "dockerd did not start: $(tail -n 5 "$T/docker/log" | tr '\n' ' ')"
  elif ! docker_ load -i "$T/image.tar" >"$T/docker-load.log" 2>&1; then
    broken_cmd docker "docker load failed: $(tail -c 300 "$T/docker-load.log" | tr '\n' ' ')"
  else
    for net in "${NETS[@]}"; do
      if verify "$(cmd_name docker "$net")" docker_ run --rm --network "$net" busybox; then
        cmds+=("$(cmd_name docker "$net")" "$DOCKER_CLI" -H "unix://$T/docker/sock" run --rm --network "$net" busybox true ";;")
      fi
    done
  fi
  versions+=("docker $(docker_ version --format '{{.Server.Version}}' 2>/dev/null || echo '?') (client $("$DOCKER_CLI" --version | sed 's/^Docker version //'))")
fi

[ "${#cmds[@]}" -gt 0 ] || { note "nothing to measure"; exit 1; }
unset 'cmds[${#cmds[@]}-1]' # the last ";;"

echo "bench-engine: $(uname -sr), $(nproc) cpus"
for v in "${versions[@]}"; do echo "bench-engine: $v"; done
echo
raw="$T/raw.csv"
rc=0
"$T/lifecycle" -n "$RUNS" -w "$WARMUP" -r "$(cmd_name kago "${NETS[0]}")" -f none -T -o "$raw" -- "${cmds[@]}" || rc=$?
[ -z "${BENCH_RAW:-}" ] || cp "$raw" "$BENCH_RAW"

# The issue's targets, from the successful runs' medians.
median() { # name
  awk -F, -v n="$1" 'NR > 1 && $1 >= 0 && $2 == n && $3 == 1 { print $4 }' "$raw" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
k="$(median "$(cmd_name kago "${NETS[0]}")")"
echo
echo "engine targets (issue 6, --network ${NETS[0]}):"
if [ -z "$k" ]; then
  echo "  kago: no successful run, targets not measured"
else
  awk -v k="$k" 'BEGIN { printf "  kago median <= 25 ms (%.2f ms): %s\n", k, k <= 25 ? "PASS" : "MISS" }'
fi
for peer in podman docker; do
  p="$(median "$(cmd_name "$peer" "${NETS[0]}")")"
  [ -n "$p" ] || { echo "  $peer: not measured"; continue; }
  if [ -z "$k" ]; then
    awk -v p="$p" -v n="$peer" 'BEGIN { printf "  %s median %.2f ms (kago not measured)\n", n, p }'
    continue
  fi
  awk -v k="$k" -v p="$p" -v n="$peer" 'BEGIN {
    printf "  kago/%s = %.3f (%s takes %.1fx kago'"'"'s time)", n, k / p, n, p / k
    if (n == "podman") printf ": >= 10x faster: %s", ((p >= 10 * k) ? "PASS" : "MISS")
    printf "\n" }'
done

# Each further mode's cost over the first, per engine (median - median).
if [ "${#NETS[@]}" -gt 1 ]; then
  echo
  echo "network cost (median of --network MODE minus median of --network ${NETS[0]}):"
  for net in "${NETS[@]:1}"; do
    for eng in kago podman docker; do
      a="$(median "$(cmd_name "$eng" "${NETS[0]}")")"
      b="$(median "$(cmd_name "$eng" "$net")")"
      if [ -z "$a" ] || [ -z "$b" ]; then
        echo "  $eng $net: not measured"
        continue
      fi
      awk -v a="$a" -v b="$b" -v e="$eng" -v n="$net" 'BEGIN {
        printf "  %-7s %s %.2f ms - %s %.2f ms = +%.2f ms", e, n, b, "'"${NETS[0]}"'", a, b - a
        if (e == "kago" && n == "bridge") printf ": <= 5 ms (issue 7): %s", ((b - a <= 5) ? "PASS" : "MISS")
        printf "\n" }'
    done
  done
fi

# --rm: nothing of kago's containers may be left in its store.
if [ -d "$T/kago/containers" ]; then
  left="$(find "$T/kago/containers" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l)"
  if [ "$left" != 0 ]; then
    echo "bench-engine: kago left $left container(s) behind with --rm"
    rc=1
  fi
fi
exit "$rc"
