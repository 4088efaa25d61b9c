#!/bin/bash
# bench/unpack.sh: kago's layer unpacker (src/engine/image/unpack.c, through
# build/bench/unpack_layer) against `tar -xzf` of the same gzip layer, runs
# interleaved, on the same filesystem.  Prints medians and the throughput
# ratio tar_time / kago_time (1.0 = as fast as tar; above is faster).
#
#   make build && bench/unpack.sh            (as root: owners are restored)
#   RUNS=9 bench/unpack.sh
#
# Environment: RUNS (default 5), BENCH_TMP (default /dev/shm if writable, else
# /tmp), LAYER_SRC (host directories the layer is made of, relative to /;
# default "usr/include usr/lib/gcc usr/share/doc": ~500 MB, ~19,000 entries,
# from small headers to large binaries), GZIP_LEVEL (default 6, gzip's).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
RUNS="${RUNS:-5}"
UNPACK="${UNPACK:-$REPO/build/bench/unpack_layer}"
LAYER_SRC="${LAYER_SRC:-usr/include usr/lib/gcc usr/share/doc}"
GZIP_LEVEL="${GZIP_LEVEL:-6}"

[ "$(id -u)" = 0 ] || { echo "bench/unpack: must run as root" >&2; exit 1; }
[ -x "$UNPACK" ] || { echo "bench/unpack: $UNPACK missing: run 'make build'" >&2; exit 1; }

base="${BENCH_TMP:-}"
if [ -z "$base" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; else base=/tmp; fi
fi
T="$(mktemp -d "$base/kago-unpack-bench.XXXXXX")"
trap 'rm -rf "$T"' EXIT

echo "bench/unpack: making the layer from /{${LAYER_SRC// /,}} ..."
# shellcheck disable=SC2086
tar -C / -cf "$T/layer.tar" $LAYER_SRC 2>/dev/null || true
gzip -"$GZIP_LEVEL" -c "$T/layer.tar" >"$T/layer.tar.gz"
entries="$(tar -tf "$T/layer.tar" | wc -l)"
printf 'layer: %s uncompressed, %s gzip, %s entries\n' \
  "$(du -h "$T/layer.tar" | cut -f1)" "$(du -h "$T/layer.tar.gz" | cut -f1)" "$entries"
want_diff="sha256:$(sha256sum "$T/layer.tar" | cut -d' ' -f1)"
rm -f "$T/layer.tar"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

tar_ms=()
kago_ms=()
for i in $(seq 1 "$RUNS"); do
  # Alternate which goes first, so that a noisy machine slows both alike.
  for who in $( ((i % 2)) && echo "tar kago" || echo "kago tar"); do
    rm -rf "$T/out"
    sync
    if [ "$who" = tar ]; then
      mkdir "$T/out"
      t0="$(now_ms)"
      tar -C "$T/out" -xzf "$T/layer.tar.gz"
      t1="$(now_ms)"
      tar_ms+=($((t1 - t0)))
    else
      t0="$(now_ms)"
      res="$("$UNPACK" "$T/layer.tar.gz" "$T/out")"
      t1="$(now_ms)"
      kago_ms+=($((t1 - t0)))
      case "$res" in
        *"diff_id=$want_diff "*) ;;
        *) echo "bench/unpack: wrong diff ID: $res (want $want_diff)" >&2; exit 1 ;;
      esac
      if [ "$i" = 1 ]; then
        # Same tree as tar's: compare once.
        mkdir "$T/ref"
        tar -C "$T/ref" -xzf "$T/layer.tar.gz"
        diff -r --no-dereference "$T/ref" "$T/out" >/dev/null || { echo "bench/unpack: trees differ" >&2; exit 1; }
        rm -rf "$T/ref"
      fi
    fi
  done
done
rm -rf "$T/out"

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mt="$(median "${tar_ms[@]}")"
mk="$(median "${kago_ms[@]}")"
size_mb="$(du -m "$T/layer.tar.gz" | cut -f1)"
printf '%-6s median %6d ms   runs: %s\n' "tar" "$mt" "${tar_ms[*]}"
printf '%-6s median %6d ms   runs: %s\n' "kago" "$mk" "${kago_ms[*]}"
awk -v t="$mt" -v k="$mk" -v s="$size_mb" 'BEGIN {
  printf "throughput: kago %.0f MB/s of gzip input, tar %.0f MB/s; ratio tar/kago = %.2f (>= 0.90 wanted)\n",
    s * 1000 / k, s * 1000 / t, t / k }'
