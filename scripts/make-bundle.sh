#!/bin/bash
# make-bundle.sh DIR [OPTIONS]: create an OCI bundle at DIR with a busybox root
# filesystem (from Debian's busybox-static) and a config.json.
#
# Options:
#   --args JSON        process.args, e.g. --args '["/bin/true"]' (default ["sh"])
#   --terminal         process.terminal = true (default false: tests and
#                      benchmarks have no terminal)
#   --hostname NAME    hostname (default: what the spec generator says)
#   --rw               root.readonly = false (writable rootfs)
#   --jq EXPR          apply a jq filter to config.json last (repeatable)
#   --spec SOURCE      where the base config comes from: auto (default: `kago-runtime
#                      spec` if it works, else builtin), kago, builtin, runc
#   --kago PATH        the kago-runtime binary for --spec auto|kago
#                      (default: build/kago-runtime beside this script)
#   --no-config        rootfs only
#
# The rootfs is copied from a template built once per busybox binary and
# cached under $KAGO_BUNDLE_CACHE (default ${TMPDIR:-/tmp}/kago-bundle-cache),
# so making a bundle costs a few milliseconds.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"

die() { echo "make-bundle: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

DIR=""
ARGS_JSON=""
TERMINAL=false
HOSTNAME_SET=""
RW=0
SPEC=auto
KAGO_BIN="${KAGO_RUNTIME_FOR_SPEC:-$REPO/build/kago-runtime}"
NO_CONFIG=0
JQ_EXPRS=()

while [ $# -gt 0 ]; do
  case "$1" in
    --args) ARGS_JSON="${2?--args needs a value}"; shift 2 ;;
    --args=*) ARGS_JSON="${1#*=}"; shift ;;
    --terminal) TERMINAL=true; shift ;;
    --no-terminal) TERMINAL=false; shift ;;
    --hostname) HOSTNAME_SET="${2?--hostname needs a value}"; shift 2 ;;
    --rw) RW=1; shift ;;
    --jq) JQ_EXPRS+=("${2?--jq needs a value}"); shift 2 ;;
    --spec) SPEC="${2?--spec needs a value}"; shift 2 ;;
    --kago) KAGO_BIN="${2?--kago needs a value}"; shift 2 ;;
    --no-config) NO_CONFIG=1; shift ;;
    -h|--help) usage ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$DIR" ] || die "only one DIR"; DIR="$1"; shift ;;
  esac
done
[ -n "$DIR" ] || usage

BUSYBOX="${KAGO_BUSYBOX:-}"
if [ -z "$BUSYBOX" ]; then
  for b in /bin/busybox /usr/bin/busybox; do
    if [ -x "$b" ]; then BUSYBOX="$b"; break; fi
  done
fi
[ -n "$BUSYBOX" ] || die "busybox not found: apt-get install busybox-static (or ./scripts/install-deps.sh)"

# ---- template rootfs, built once per busybox binary and cached ----

build_template() {
  local t
  # The rootfs must not need the host's libraries.
  if LC_ALL=C ldd "$BUSYBOX" 2>&1 | grep -q '=>'; then
    die "$BUSYBOX is dynamically linked: install busybox-static"
  fi
  mkdir -p "$CACHE"
  t="$(mktemp -d "$CACHE/.build.XXXXXX")"
  mkdir -p "$t"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,etc,tmp,root,home/user,var/tmp,run}
  chmod 1777 "$t/tmp" "$t/var/tmp"
  chmod 700 "$t/root"
  cp "$BUSYBOX" "$t/bin/busybox"
  chmod 755 "$t/bin/busybox"
  # One link per applet, made by one process: ~400 `ln` runs cost a minute
  # in the emulated cgroup v2 VM (tests/vm).  perl-base is Essential in Debian.
  "$BUSYBOX" --list | grep -vx busybox \
    | (cd "$t/bin" && perl -ne 'chomp; symlink("busybox", $_) or die "make-bundle: ln -s busybox $_: $!\n"')
  cat >"$t/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
  cat >"$t/etc/group" <<'GR'
root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
GR
  chown 1000:1000 "$t/home/user"
  : >"$t/etc/hostname"
  : >"$t/etc/hosts"
  : >"$t/etc/resolv.conf"
  chmod 755 "$t"
  # Publish atomically: concurrent callers may race to build the same template.
  if ! mv -T "$t" "$TEMPLATE" 2>/dev/null; then
    rm -rf "$t"
  fi
}

# The cache key: the busybox binary and this function's text, so a changed
# template is never served from an old cache.
CACHE="${KAGO_BUNDLE_CACHE:-${TMPDIR:-/tmp}/kago-bundle-cache}"
key="$(stat -L -c '%s-%Y-%i' "$BUSYBOX")-$(declare -f build_template | cksum | cut -d' ' -f1)"
TEMPLATE="$CACHE/rootfs-$key"
[ -d "$TEMPLATE" ] || build_template
[ -d "$TEMPLATE" ] || die "could not build the template rootfs in $CACHE"

mkdir -p "$DIR"
[ ! -e "$DIR/rootfs" ] || die "$DIR/rootfs already exists"
cp -a "$TEMPLATE" "$DIR/rootfs"

[ "$NO_CONFIG" = 1 ] && exit 0

# ---- config.json ----
builtin_config() {
  cat <<'JSON'
{
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "sh" ],
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm"
    ],
    "cwd": "/",
    "capabilities": {
      "bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
    },
    "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": true },
  "hostname": "kago",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
      "options": [ "nosuid", "noexec", "nodev" ] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": [ "nosuid", "noexec", "nodev", "ro" ] },
    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
      "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] }
  ],
  "linux": {
    "resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
    "namespaces": [
      { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
      { "type": "uts" }, { "type": "mount" }
    ],
    "maskedPaths": [
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
    ],
    "readonlyPaths": [
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
    ]
  }
}
JSON
}

# Run a spec generator in an empty scratch dir; print its config.json.
spec_from() {
  local scratch rc=1
  scratch="$(mktemp -d)"
  if (cd "$scratch" && "$@" >/dev/null 2>&1) && [ -s "$scratch/config.json" ]; then
    cat "$scratch/config.json"
    rc=0
  fi
  rm -rf "$scratch"
  return $rc
}

# One jq run validates the base config and applies every edit (jq takes ~40 ms
# to start, and tests make many bundles).
filter='if (.process.args and .root.path and .linux.namespaces) then . else error("not an OCI config") end'
filter+=' | .process.terminal = $terminal | .root.path = "rootfs"'
jq_args=(--argjson terminal "$TERMINAL")
if [ -n "$ARGS_JSON" ]; then
  filter+=' | if ($args | type) == "array" and ($args | length) > 0 then .process.args = $args
              else error("--args must be a non-empty JSON array") end'
  jq_args+=(--argjson args "$ARGS_JSON")
fi
if [ -n "$HOSTNAME_SET" ]; then
  filter+=' | .hostname = $hostname'
  jq_args+=(--arg hostname "$HOSTNAME_SET")
fi
if [ "$RW" = 1 ]; then
  filter+=' | .root.readonly = false'
fi
for e in "${JQ_EXPRS[@]+"${JQ_EXPRS[@]}"}"; do
  filter+=" | ($e)"
done

write_config() { # base-json
  jq "${jq_args[@]}" "$filter" <<<"$1" >"$DIR/config.json.tmp" 2>"$DIR/config.json.err"
}

fail_config() {
  local msg
  msg="$(cat "$DIR/config.json.err" 2>/dev/null)"
  rm -f "$DIR/config.json.tmp" "$DIR/config.json.err"
  die "jq failed: $msg"
}

base=""
case "$SPEC" in
  auto)
    if [ -x "$KAGO_BIN" ]; then base="$(spec_from "$KAGO_BIN" spec || true)"; fi
    if [ -z "$base" ] || ! write_config "$base"; then
      base="$(builtin_config)"
      write_config "$base" || fail_config
    fi ;;
  kago)
    [ -x "$KAGO_BIN" ] || die "$KAGO_BIN not found (build first)"
    base="$(spec_from "$KAGO_BIN" spec)" || die "$KAGO_BIN spec failed"
    write_config "$base" || fail_config ;;
  runc)
    base="$(spec_from runc spec)" || die "runc spec failed"
    write_config "$base" || fail_config ;;
  builtin)
    write_config "$(builtin_config)" || fail_config ;;
  *) die "unknown --spec $SPEC" ;;
esac
rm -f "$DIR/config.json.err"
mv "$DIR/config.json.tmp" "$DIR/config.json"
