#!/bin/bash
# tests/vm/run-in-vm.sh [--share DIR | --no-share] 'SHELL COMMAND'
# tests/vm/run-in-vm.sh --check
#
# Run a shell command as root on a pure cgroup v2 host: boot the installed
# Debian kernel in QEMU with cgroup_no_v1=all, cgroup2 mounted at
# /sys/fs/cgroup with cpu cpuset memory io pids (and hugetlb rdma misc when
# present) enabled for children, the host's / as the root filesystem
# (virtio-9p, read-only, under a RAM overlay: the host's binaries run inside),
# and DIR (default: this repository) shared read-write at its own path.  The
# command runs with /bin/sh in DIR; its stdout and stderr come out here; the
# script exits with its exit status.  No network device; no systemd.
#
# Exit status: the command's; 124 if KAGO_VM_TIMEOUT ran out; 125 if the VM
# died (or could not start) before reporting one; 2 on a usage error.
# --check boots nothing: it prints the kernel it would boot and exits 0, or
# says what is missing and exits 1.
#
# Environment:
#   KAGO_VM_TIMEOUT   seconds for the whole VM (boot included), default 1800
#   KAGO_VM_MEM       guest RAM, default 2G (the overlay's writes and every
#                     tmpfs live there)
#   KAGO_VM_CPUS      vCPUs, default 2, as the hosts (tests of cpusets such
#                     as "0-1" need them); on an idle host 1 and 2 run as
#                     fast, on a busy one 1 can be ~1.5x faster
#   KAGO_VM_CPU       the emulated CPU model (TCG), default max
#   KAGO_VM_KERNEL    kernel image, default the newest /boot/vmlinuz-* whose
#                     /lib/modules/<version> is installed
#   KAGO_VM_QEMU      the QEMU binary, default qemu-system-x86_64
#   KAGO_VM_ACCEL     tcg, kvm or auto (default: kvm only with kvm_intel or
#                     kvm_amd loaded; a paravirtual /dev/kvm such as kvm_pvm
#                     cannot boot a stock kernel)
#   KAGO_VM_ENV       names of variables to pass into the VM, e.g. "A B"
#   KAGO_VM_DEBUG=1   kernel console on stderr (default: shown only when the
#                     VM dies)
#   KAGO_VM_NO_PVH=1  boot the compressed bzImage as it is (default: boot the
#                     ELF kernel extracted from it, ~3 s faster under TCG)
#
# Under TCG (software emulation) the VM boots in ~6 s and fork/exec is 50-100x
# slower than on the host: run focused tests here (tests/vm/run-v2-lane.sh).
# Needs qemu-system-x86 qemu-system-data linux-image-amd64 busybox-static kmod
# (./scripts/install-deps.sh).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHARE="$(cd "$HERE/../.." && pwd)"
CHECK=0
usage() {
  sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --share) SHARE="${2:?--share needs a directory}"; shift 2 ;;
    --no-share) SHARE=""; shift ;;
    --check) CHECK=1; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    -*) echo "run-in-vm: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# = 1 ] || [ "$CHECK" = 1 ] || usage
CMD="${1:-}"

vm_fail() { # the VM could not run the command
  echo "run-in-vm: $*" >&2
  [ "$CHECK" = 1 ] && exit 1
  exit 125
}

# The kernel must be the one whose modules are installed: the VM loads 9p and
# overlay from /lib/modules/<version>, and later modules through the host's
# modprobe.  (The running host kernel may be another one.)
kernel_image() {
  local k v
  if [ -n "${KAGO_VM_KERNEL:-}" ]; then
    echo "$KAGO_VM_KERNEL"
    return
  fi
  for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -rV); do
    v="${k#/boot/vmlinuz-}"
    [ -f "/lib/modules/$v/modules.dep" ] && { echo "$k"; return; }
  done
}
KERNEL="$(kernel_image)"
[ -n "$KERNEL" ] && [ -r "$KERNEL" ] \
  || vm_fail "no kernel image: need /boot/vmlinuz-<version> with /lib/modules/<version> (apt-get install linux-image-amd64)"
KVER="${KERNEL##*/vmlinuz-}"
QEMU="$(command -v "${KAGO_VM_QEMU:-qemu-system-x86_64}")" \
  || vm_fail "${KAGO_VM_QEMU:-qemu-system-x86_64} is not installed (apt-get install qemu-system-x86)"
[ -x "${KAGO_VM_BUSYBOX:-/bin/busybox}" ] || vm_fail "no busybox for the initramfs (apt-get install busybox-static)"
if [ "$CHECK" = 1 ]; then
  echo "$KERNEL"
  exit 0
fi
BIOS=/usr/share/qemu/qboot.rom # minimal firmware, boots faster than SeaBIOS
[ -r "$BIOS" ] || BIOS=""

ACCEL="${KAGO_VM_ACCEL:-auto}"
if [ "$ACCEL" = auto ]; then
  ACCEL=tcg
  if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
    ACCEL=kvm
  fi
fi
case "$ACCEL" in
  kvm) ACCEL_ARGS=(-accel kvm -cpu host) ;;
  tcg) ACCEL_ARGS=(-accel "tcg,thread=multi,tb-size=512" -cpu "${KAGO_VM_CPU:-max}") ;;
  *) echo "run-in-vm: KAGO_VM_ACCEL must be tcg, kvm or auto" >&2; exit 2 ;;
esac

if [ -n "$SHARE" ]; then
  SHARE="$(cd "$SHARE" 2>/dev/null && pwd -P)" || { echo "run-in-vm: no directory ${SHARE}" >&2; exit 2; }
fi

RUN="$(mktemp -d "${TMPDIR:-/tmp}/kago-vm.XXXXXX")" || vm_fail "mktemp failed"
QEMU_PID=""
READERS=()
# The FIFO readers end at EOF; one QEMU never opened would block them in
# open(): opening it read-write here (never blocks) and closing it ends them.
end_readers() {
  [ ${#READERS[@]} = 0 ] && return
  [ -p "$RUN/out" ] && : <>"$RUN/out"
  [ -p "$RUN/err" ] && : <>"$RUN/err"
  wait "${READERS[@]}" 2>/dev/null
  READERS=()
}
cleanup() {
  [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
  end_readers
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$HERE/mkinitramfs.sh" "$RUN/initramfs.cpio" "$KVER" || vm_fail "building the initramfs failed"

# Boot the uncompressed ELF kernel inside the bzImage when we can get at it
# (QEMU enters it through its PVH note): decompressing it here takes ~1 s,
# decompressing it in the emulated guest ~3 s.  The bzImage header says where
# the payload is: setup sectors at 0x1f1, payload offset and length at 0x248.
extract_vmlinux() { # bzImage out
  local sects off len
  sects="$(od -An -tu1 -j $((0x1f1)) -N1 "$1" | tr -d ' ')"
  [ "${sects:-0}" != 0 ] || sects=4
  read -r off len < <(od -An -tu4 -j $((0x248)) -N8 "$1")
  [ -n "$len" ] || return 1
  # (head stops reading early: tail's SIGPIPE is expected)
  tail -c +$(((sects + 1) * 512 + off + 1)) "$1" 2>/dev/null | head -c "$len" >"$2.payload"
  [ "$(stat -c %s "$2.payload")" = "$len" ] || return 1
  case "$(od -An -tx1 -N4 "$2.payload" | tr -d ' ')" in
    fd377a58) xz -dc --single-stream <"$2.payload" >"$2" 2>/dev/null ;;
    1f8b*) gzip -dc <"$2.payload" >"$2" 2>/dev/null ;;
    28b52ffd) zstd -qdc <"$2.payload" >"$2" 2>/dev/null ;;
  esac
  rm -f "$2.payload"
  [ "$(od -An -tx1 -N4 "$2" 2>/dev/null | tr -d ' ')" = 7f454c46 ] # ELF
}
BOOT_KERNEL="$KERNEL"
if [ "${KAGO_VM_NO_PVH:-0}" != 1 ] && extract_vmlinux "$KERNEL" "$RUN/vmlinux"; then
  BOOT_KERNEL="$RUN/vmlinux"
else
  rm -f "$RUN/vmlinux"
fi

# The control share: the command, its environment and working directory in,
# its exit status out.
mkdir "$RUN/ctl"
printf '%s\n' "$CMD" >"$RUN/ctl/cmd"
: >"$RUN/ctl/env"
for v in ${KAGO_VM_ENV:-}; do
  [[ "$v" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "run-in-vm: bad variable name in KAGO_VM_ENV: $v" >&2; exit 2; }
  # single-quoted for dash: ' becomes '\''
  [ -n "${!v+set}" ] && printf "export %s='%s'\n" "$v" "${!v//\'/\'\\\'\'}" >>"$RUN/ctl/env"
done
SHARE_ARGS=()
if [ -n "$SHARE" ]; then
  printf '%s' "$SHARE" >"$RUN/ctl/dir"
  SHARE_ARGS=(-fsdev "local,id=shared,path=$SHARE,security_model=passthrough,multidevs=remap"
    -device "virtio-9p-pci,fsdev=shared,mount_tag=shared")
fi

# The command's stdout and stderr: virtio-serial ports written into FIFOs
# that we copy out as the data comes.
mkfifo "$RUN/out" "$RUN/err" || vm_fail "mkfifo failed"
cat "$RUN/out" &
READERS+=($!)
cat "$RUN/err" >&2 &
READERS+=($!)

CONSOLE="$RUN/console.log"
[ "${KAGO_VM_DEBUG:-0}" = 1 ] && CONSOLE=/dev/stderr
APPEND="console=ttyS0 loglevel=4 panic=-1 rdinit=/init cgroup_no_v1=all"
# Boot faster under emulation: no mitigations, no TSC calibration, no
# keyboard controller probing.
APPEND+=" mitigations=off tsc=reliable no_timer_check random.trust_cpu=on i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd"
[ "${KAGO_VM_DEBUG:-0}" = 1 ] || APPEND+=" quiet"

timeout -s TERM -k 10 "${KAGO_VM_TIMEOUT:-1800}" "$QEMU" "${ACCEL_ARGS[@]}" \
  -machine q35,vmport=off,smbus=off -smp "${KAGO_VM_CPUS:-2}" -m "${KAGO_VM_MEM:-2G}" \
  -nodefaults -no-user-config -nographic -no-reboot ${BIOS:+-bios "$BIOS"} \
  -kernel "$BOOT_KERNEL" -initrd "$RUN/initramfs.cpio" -append "$APPEND" \
  -nic none -serial "file:$CONSOLE" \
  -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap" \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev "local,id=ctl,path=$RUN/ctl,security_model=none" \
  -device virtio-9p-pci,fsdev=ctl,mount_tag=ctl \
  "${SHARE_ARGS[@]}" \
  -device virtio-serial-pci,id=vser \
  -chardev "file,id=out,path=$RUN/out" -device virtserialport,bus=vser.0,chardev=out,name=kago-vm.out \
  -chardev "file,id=err,path=$RUN/err" -device virtserialport,bus=vser.0,chardev=err,name=kago-vm.err \
  </dev/null >"$RUN/qemu.log" 2>&1 &
QEMU_PID=$!
wait "$QEMU_PID"
qrc=$?
QEMU_PID=""
end_readers

if [ -s "$RUN/ctl/rc" ]; then
  exit "$(cat "$RUN/ctl/rc")"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  echo "run-in-vm: timed out after ${KAGO_VM_TIMEOUT:-1800} s (KAGO_VM_TIMEOUT)" >&2
  exit 124
fi
echo "run-in-vm: the VM ended without an exit status (qemu exit status $qrc)" >&2
tail -n 20 "$RUN/qemu.log" >&2
[ -f "$RUN/console.log" ] && tail -n 40 "$RUN/console.log" >&2
exit 125
