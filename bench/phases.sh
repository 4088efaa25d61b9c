#!/bin/bash
# bench/phases.sh [RUNS]: per-phase medians of `kago-runtime run` of a
# /bin/true container, from a build with -Dphase_trace=true (build-phase/).
# A developer aid for finding where start-up time goes; see bench/README.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
RUNS="${1:-${RUNS:-100}}"
if [ "$(id -u)" != 0 ]; then
  echo "bench: must run as root" >&2
  exit 1
fi
B="$REPO/build-phase"
[ -d "$B" ] || meson setup "$B" "$REPO" -Dphase_trace=true >/dev/null
ninja -C "$B" kago >/dev/null
base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
T="$(mktemp -d "$base/kago-phases.XXXXXX")"
trap 'rm -rf "$T"' EXIT
KAGO_BUNDLE_CACHE="$T/cache" "$REPO/scripts/make-bundle.sh" "$T/bundle" --args '["/bin/true"]' --spec builtin >/dev/null
gcc -O2 -Wall -Wextra -o "$T/phases" "$HERE/phases.c"
mkdir -p "$T/root"
"$T/phases" 3 "$B/kago" "$T/root" "$T/bundle" >/dev/null # warm up
"$T/phases" "$RUNS" "$B/kago" "$T/root" "$T/bundle"
