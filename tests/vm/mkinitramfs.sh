#!/bin/bash
# tests/vm/mkinitramfs.sh OUT.cpio KVER: the initramfs of the cgroup v2 test VM.
#
# Holds a static busybox, tests/vm/init, and the kernel modules the VM needs
# before it can reach the host's root filesystem (virtio PCI + console, 9p,
# overlay), taken from /lib/modules/KVER in the order `modprobe
# --show-depends` gives.  Everything else is loaded later, on demand, by the
# host's own /sbin/modprobe seen through the 9p root.  Takes about a second,
# so tests/vm/run-in-vm.sh builds a fresh one for every boot.
set -euo pipefail

OUT="${1:?usage: mkinitramfs.sh OUT.cpio KVER}"
KVER="${2:?usage: mkinitramfs.sh OUT.cpio KVER}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUSYBOX="${KAGO_VM_BUSYBOX:-/bin/busybox}"
MODULES="virtio_pci virtio_console 9pnet_virtio 9p overlay"

die() { echo "mkinitramfs: $*" >&2; exit 1; }
[ -d "/lib/modules/$KVER" ] || die "/lib/modules/$KVER is missing: the VM's kernel needs its own modules"
[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing (apt-get install busybox-static)"
# The initramfs has no libc: only a static busybox runs there.
if command -v ldd >/dev/null && ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked; install busybox-static"
fi
command -v modprobe >/dev/null || die "modprobe (kmod) is missing"

root="$(mktemp -d "${TMPDIR:-/tmp}/kago-initramfs.XXXXXX")"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,mnt,newroot,modules}
cp "$BUSYBOX" "$root/bin/busybox"
# busybox runs an applet by its argv[0]; the init script calls these by name.
for a in sh mount umount mkdir mknod insmod switch_root cat ln ip sleep; do
  ln -s busybox "$root/bin/$a"
done

# Each module with its dependencies first; a module already listed is skipped.
: >"$root/modules/order"
for m in $MODULES; do
  modprobe -S "$KVER" --show-depends "$m" >"$root/deps" 2>&1 || die "module $m: $(cat "$root/deps")"
  while read -r kind path _; do
    [ "$kind" = insmod ] || continue # "builtin NAME": nothing to load
    name="$(basename "$path")"
    name="${name%%.ko*}.ko"
    grep -qx "$name" "$root/modules/order" && continue
    case "$path" in
      *.ko) cp "$path" "$root/modules/$name" ;;
      *.ko.xz) xz -dc "$path" >"$root/modules/$name" ;;
      *.ko.zst) zstd -qdc "$path" >"$root/modules/$name" ;;
      *.ko.gz) gzip -dc "$path" >"$root/modules/$name" ;;
      *) die "module $m: unexpected file $path" ;;
    esac
    echo "$name" >>"$root/modules/order"
  done <"$root/deps"
done
rm -f "$root/deps"

install -m 0755 "$HERE/init" "$root/init"

(cd "$root" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
