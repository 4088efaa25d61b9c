#!/bin/sh
# Install every Debian 12 package that kago's build, tests, demo and benchmark
# need.  Idempotent and fast: packages already installed are skipped, and
# `apt-get update` runs only when something has to be installed.
#
#   ./scripts/install-deps.sh          (as root; `make deps` runs it)
#   KAGO_DEPS_DRY_RUN=1 ./scripts/install-deps.sh   lists what is missing
set -eu

# Build.  Images: libarchive (layer and image archives) with the static
# libraries it is linked from (nettle for sha256, zlib, zstd); libcurl's
# headers (the registry client loads libcurl.so.4 with dlopen); libmnl
# (netlink: bridges, veths, addresses, routes); libnftables1 (the bridge
# network's NAT table, loaded with dlopen: no headers needed).
BUILD_PKGS="build-essential gcc meson ninja-build pkg-config libseccomp-dev git libarchive-dev nettle-dev zlib1g-dev libzstd-dev libcurl4-openssl-dev libmnl-dev libnftables1"
# Tests: bats drives the integration tests; jq edits config.json; busybox-static
# is the root filesystem of every test bundle; the rest are the tools the tests
# use to look at containers (ip, nsenter/unshare/mount, ps/pgrep, fuser, capsh);
# docker-registry and skopeo: tests/integration/registry.bats runs a local
# registry and pushes an image to it for `kago pull`; umoci unpacks the
# reference tree registry_images.bats compares kago's with; attr (setfattr,
# getfattr) and libcap2-bin (setcap) make and read xattrs; apache2-utils
# (htpasswd) writes the registry's Basic auth file; iputils-ping checks
# reachability between the network tests' own namespaces; nftables (nft)
# reads kago's table back in tests/integration/network.bats.
TEST_PKGS="nftables bats jq busybox-static iproute2 iputils-ping util-linux procps psmisc libcap2-bin coreutils findutils uidmap strace docker-registry skopeo curl python3 umoci attr apache2-utils"
# Comparisons: runc and crun (the reference runtimes the bench and some tests run
# side by side with kago) and hyperfine.
BENCH_PKGS="runc crun hyperfine"
# Clients: podman drives kago-runtime through conmon in tests/integration/clients.bats.
CLIENT_PKGS="podman containerd docker.io"

# The cgroup v2 lane (tests/vm): QEMU boots Debian's kernel with its own
# modules (/boot/vmlinuz-V and /lib/modules/V come together in the package);
# busybox-static (above) is its initramfs, kmod resolves the modules, xz-utils
# unpacks the kernel.
VM_PKGS="qemu-system-x86 qemu-system-data linux-image-amd64 kmod xz-utils"

PKGS="$BUILD_PKGS $TEST_PKGS $BENCH_PKGS $CLIENT_PKGS $VM_PKGS"

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing:$missing"
if [ "${KAGO_DEPS_DRY_RUN:-0}" = 1 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: must run as root (or have sudo)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS="-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

# A fresh machine has no package lists; an old machine may have stale ones.
# shellcheck disable=SC2086
$SUDO apt-get update -q || true
# shellcheck disable=SC2086
if ! $SUDO apt-get install $APT_OPTS $missing; then
  echo "install-deps: install failed; refreshing package lists and retrying" >&2
  $SUDO apt-get update -q
  # shellcheck disable=SC2086
  $SUDO apt-get install $APT_OPTS $missing
fi
echo "install-deps: done"
