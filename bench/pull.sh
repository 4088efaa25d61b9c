#!/bin/bash
# bench/pull.sh: cold pull time, kago vs podman, of the same images from the
# same local registry (Debian's docker-registry, plain HTTP on 127.0.0.1).
# Every run pulls into a fresh, empty store: kago into a new --root, podman
# into a new --root/--runroot (overlay driver), both under BENCH_TMP.  Runs
# are interleaved (the order alternates each round) so that a noisy machine
# slows both alike.  Prints per image the medians, p10/p90 and the ratio
# kago/podman (target: <= 0.5).
#
#   make build && bench/pull.sh          (as root; `make bench-pull`)
#   RUNS=21 bench/pull.sh
#
# Images (made here, pushed with skopeo from docker-save archives, so the
# registry holds gzip layers as skopeo compresses them):
#   small  busybox-static's rootfs (scripts/make-bundle.sh), one layer
#   big    one layer per directory of BIG_LAYERS (host directories, relative
#          to /; default "usr/lib/python3.11 usr/share/perl usr/lib/x86_64-linux-gnu/perl
#          usr/share/zoneinfo": ~85 MB, ~25 MB gzipped, 4 layers)
# Environment: RUNS (default 11), BENCH_TMP (default /dev/shm if writable,
# else /var/tmp; the stores and the registry's storage), BIG_LAYERS,
# KAGO_BIN (default build/kago), BENCH_RAW (a CSV file for every run).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
RUNS="${RUNS:-11}"
KAGO_BIN="${KAGO_BIN:-$REPO/build/kago}"
BIG_LAYERS="${BIG_LAYERS:-usr/lib/python3.11 usr/share/perl usr/lib/x86_64-linux-gnu/perl usr/share/zoneinfo}"

die() {
  echo "bench/pull: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$KAGO_BIN" ] || die "$KAGO_BIN missing: run 'make build'"
for c in docker-registry skopeo podman curl python3 jq; do
  command -v "$c" >/dev/null || die "$c is not installed (scripts/install-deps.sh)"
done

base="${BENCH_TMP:-}"
if [ -z "$base" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; else base=/var/tmp; fi
fi
T="$(mktemp -d "$base/kago-pull-bench.XXXXXX")"
REG_PID=""
cleanup() {
  [ -z "$REG_PID" ] || kill "$REG_PID" 2>/dev/null || true
  local d
  for d in "$T"/p-*; do
    [ -d "$d" ] || continue
    podman --root "$d/root" --runroot "$d/run" system reset -f >/dev/null 2>&1 || true
  done
  rm -rf "$T"
}
trap cleanup EXIT

# ---- the registry
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
REG="127.0.0.1:$port"
mkdir -p "$T/registry"
cat >"$T/registry/config.yml" <<EOC
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/registry/storage
http:
  addr: $REG
EOC
docker-registry serve "$T/registry/config.yml" >"$T/registry/log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do
  curl -sf "http://$REG/v2/" >/dev/null && break
  sleep 0.1
done
curl -sf "http://$REG/v2/" >/dev/null || die "the registry did not start: $(cat "$T/registry/log")"

# ---- the images: docker-save archives by hand, pushed with skopeo
# archive OUT TAG LAYER.tar...
archive() {
  local out="$1" tag="$2" d diffs="" layers="" l h
  shift 2
  d="$T/arch"
  rm -rf "$d"
  mkdir -p "$d"
  for l in "$@"; do
    h="$(sha256sum "$l" | cut -d' ' -f1)"
    mkdir -p "$d/$h"
    mv "$l" "$d/$h/layer.tar"
    diffs="$diffs${diffs:+,}\"sha256:$h\""
    layers="$layers${layers:+,}\"$h/layer.tar\""
  done
  printf '{"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05Z","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" >"$d/config.json"
  h="$(sha256sum "$d/config.json" | cut -d' ' -f1)"
  mv "$d/config.json" "$d/$h.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":[%s]}]' "$h" "$tag" "$layers" >"$d/manifest.json"
  tar -C "$d" -cf "$out" .
  rm -rf "$d"
}

push() { # ARCHIVE NAME
  skopeo copy --insecure-policy --dest-tls-verify=false "docker-archive:$1" "docker://$REG/$2" >/dev/null
  rm -f "$1"
}

echo "bench/pull: making the images ..."
"$REPO/scripts/make-bundle.sh" "$T/bb" --no-config >/dev/null
tar -C "$T/bb/rootfs" -cf "$T/small.tar" .
rm -rf "$T/bb"
archive "$T/small-img.tar" small:1 "$T/small.tar"
push "$T/small-img.tar" small:1
n=0
big_layers=()
for dir in $BIG_LAYERS; do
  [ -d "/$dir" ] || die "/$dir: no such directory (set BIG_LAYERS)"
  n=$((n + 1))
  tar -C / -cf "$T/big$n.tar" "$dir" 2>/dev/null || true
  big_layers+=("$T/big$n.tar")
done
archive "$T/big-img.tar" big:1 "${big_layers[@]}"
push "$T/big-img.tar" big:1

# Size of an image in the registry: layers (compressed) and their count.
reg_size() {
  local m
  m="$(curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/$1/manifests/1")"
  printf '%s layer(s), %s bytes compressed' "$(jq '.layers | length' <<<"$m")" "$(jq '[.layers[].size] | add' <<<"$m")"
}

now_ns() { date +%s%N; }

# One cold pull; prints its milliseconds.
pull_kago() { # IMAGE RUN
  local root="$T/k-$2" t0 t1
  t0="$(now_ns)"
  "$KAGO_BIN" --root "$root" pull -q "$REG/$1:1" >/dev/null || die "kago pull $1 failed"
  t1="$(now_ns)"
  rm -rf "$root"
  echo $(((t1 - t0) / 1000000))
}

pull_podman() { # IMAGE RUN
  local d="$T/p-$2" t0 t1
  mkdir -p "$d"
  t0="$(now_ns)"
  podman --root "$d/root" --runroot "$d/run" --storage-driver overlay \
    pull -q --tls-verify=false "$REG/$1:1" >/dev/null || die "podman pull $1 failed"
  t1="$(now_ns)"
  podman --root "$d/root" --runroot "$d/run" system reset -f >/dev/null 2>&1 || true
  rm -rf "$d"
  echo $(((t1 - t0) / 1000000))
}

# stats MS... -> "median p10 p90"
stats() {
  printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    p10 = a[int((NR - 1) * 0.1) + 1]; p90 = a[int((NR - 1) * 0.9 + 0.5) + 1]
    printf "%d %d %d", m, p10, p90 }'
}

# Correctness once, before timing: both pull the same image ID.
kid="$("$KAGO_BIN" --root "$T/check-k" pull -q "$REG/big:1" >/dev/null && "$KAGO_BIN" --root "$T/check-k" images -q --no-trunc)"
pid="$(podman --root "$T/p-check/root" --runroot "$T/p-check/run" pull -q --tls-verify=false "$REG/big:1")"
[ "$kid" = "sha256:$pid" ] || die "kago pulled $kid, podman $pid"
rm -rf "$T/check-k"

[ -z "${BENCH_RAW:-}" ] || echo "image,tool,run,ms" >"$BENCH_RAW"
echo "bench/pull: $RUNS cold pulls per tool and image, interleaved, stores under $base"
printf '%-6s %-44s %-7s %8s %8s %8s\n' image size tool median p10 p90
fails=0
for img in small big; do
  k=() p=()
  for i in $(seq 1 "$RUNS"); do
    if ((i % 2)); then
      k+=("$(pull_kago "$img" "$i")")
      p+=("$(pull_podman "$img" "$i")")
    else
      p+=("$(pull_podman "$img" "$i")")
      k+=("$(pull_kago "$img" "$i")")
    fi
    if [ -n "${BENCH_RAW:-}" ]; then
      echo "$img,kago,$i,${k[-1]}" >>"$BENCH_RAW"
      echo "$img,podman,$i,${p[-1]}" >>"$BENCH_RAW"
    fi
  done
  read -r km k10 k90 <<<"$(stats "${k[@]}")"
  read -r pm p10 p90 <<<"$(stats "${p[@]}")"
  size="$(reg_size "$img")"
  printf '%-6s %-44s %-7s %8s %8s %8s\n' "$img" "$size" kago "$km" "$k10" "$k90"
  printf '%-6s %-44s %-7s %8s %8s %8s\n' "" "" podman "$pm" "$p10" "$p90"
  ratio="$(awk -v a="$km" -v b="$pm" 'BEGIN { printf "%.2f", a / b }')"
  verdict="$(awk -v r="$ratio" 'BEGIN { print (r <= 0.5) ? "met" : "MISSED" }')"
  [ "$verdict" = met ] || fails=$((fails + 1))
  echo "       ratio kago/podman = $ratio (target <= 0.50: $verdict)"
done
exit $((fails > 0))
