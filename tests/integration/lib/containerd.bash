# containerd.bash: a private containerd for the client tests, and the cleanup
# of everything containerd, its shims and the engines above it leave behind.
#
#     load helpers
#     load lib/containerd
#
# Nothing here touches the host's containerd: root, state, the grpc/ttrpc
# sockets, the opt dir and ctr's FIFOs all live under $TEST_DIR/ctd.  The one
# path outside $TEST_DIR that containerd 1.6 writes to is hard-coded in the
# shim: /run/containerd/s/<sha256(address/namespace/id)>, the shim's ttrpc
# socket, which the shim removes when it exits (ctd_cleanup removes the ones
# of the shims it had to kill).
#
# Variables:
#   CTD_DIR    $TEST_DIR/ctd
#   CTD_SOCK   the grpc socket ($CTD_DIR/sock)
#   CTD_PID    the daemon's pid (once started)
#   CTD_NS     the containerd namespace ctr_ uses (default $CID, so that ctr's
#              cgroups, /<namespace>/<id>, are named after the test)
#   RUNC_ROOT  the --runc-root given to the shim ($TEST_DIR/runc-root); the
#              runtime's state dirs are $RUNC_ROOT/<namespace>/<id>
#   IMAGE      the image ctd_import_image imports
#
# Functions:
#   ctd_start            start containerd, wait (<= 10 s) until it answers
#   ctr_ ARGS...         ctr -a $CTD_SOCK -n $CTD_NS ARGS... (stdin /dev/null,
#                        under a timeout)
#   make_image_tar OUT   image archive (OCI layout + docker-save manifest) of
#                        $BUNDLE/rootfs named $IMAGE (lib/make-oci-image.sh)
#   ctd_import_image     make_image_tar + `ctr images import`
#   shim_pids            pids of the shims of this containerd
#   test_mounts          mount points under $TEST_DIR (host mount namespace)
#   cgroups_under NAME   cgroup dirs /sys/fs/cgroup/*/NAME/* (any depth)
#   ctd_cleanup [NAME..] kill tasks, shims, the daemon and the containers'
#                        processes; unmount what is under $TEST_DIR; remove the
#                        cgroups under each /sys/fs/cgroup/*/NAME and NAME
#                        itself (default $CTD_NS).  Never fails: the tests
#                        check that nothing is left; this only cleans up.

IMAGE="${IMAGE:-docker.io/library/kago-busybox:latest}"
CTR_TIMEOUT="${CTR_TIMEOUT:-60}"

ctd_vars() {
  CTD_DIR="$TEST_DIR/ctd"
  CTD_SOCK="$CTD_DIR/sock"
  CTD_NS="${CTD_NS:-$CID}"
  RUNC_ROOT="$TEST_DIR/runc-root"
}

ctd_start() {
  ctd_vars
  mkdir -p "$CTD_DIR" "$RUNC_ROOT" "$CTD_DIR/fifo"
  # The tasks service needs the v1 linux runtime plugin loaded; its dirs are
  # under root and state.  CRI and the snapshotters that cannot work here
  # are off.
  cat >"$CTD_DIR/config.toml" <<EOF
version = 2
root = "$CTD_DIR/root"
state = "$CTD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$CTD_SOCK"
[ttrpc]
  address = "$CTD_SOCK.ttrpc"
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$CTD_DIR/opt"
EOF
  # fd 3 is bats' output pipe: a daemon holding it would hang bats.
  (cd "$CTD_DIR" && exec containerd --config "$CTD_DIR/config.toml" </dev/null >"$CTD_DIR/containerd.log" 2>&1 3>&-) &
  CTD_PID=$!
  echo "$CTD_PID" >"$CTD_DIR/pid"
  if ! wait_until 10 _ctd_answers; then
    fail "containerd did not start: $(tail -n 20 "$CTD_DIR/containerd.log")"
    return 1
  fi
}

_ctd_answers() {
  kill -0 "$CTD_PID" 2>/dev/null || return 2
  [ -S "$CTD_SOCK" ] && ctr -a "$CTD_SOCK" version >/dev/null 2>&1
}

ctr_() {
  timeout -k 5 "$CTR_TIMEOUT" ctr -a "$CTD_SOCK" -n "$CTD_NS" "$@" </dev/null 3>&-
}

make_image_tar() {
  [ -n "$BUNDLE" ] || fail "make_image_tar: no bundle (call make_bundle first)" || return 1
  "$BATS_TEST_DIRNAME/lib/make-oci-image.sh" "$BUNDLE/rootfs" "$1" "$IMAGE" \
    || fail "make-oci-image.sh failed" || return 1
}

ctd_import_image() {
  make_image_tar "$TEST_DIR/image.tar" || return 1
  local out
  out="$(ctr_ images import "$TEST_DIR/image.tar" 2>&1)" || fail "ctr images import: $out" || return 1
  ctr_ images ls -q | grep -qxF "$IMAGE" || fail "$IMAGE not imported: $out"
}

# Shims started by this containerd: `containerd-shim-runc-v2 -namespace NS
# -id ID -address $CTD_SOCK`.  Matched on the exact socket path, which no
# other test's daemon shares.
shim_pids() {
  local p args
  for p in /proc/[0-9]*; do
    args="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" || continue
    case "$args" in
      *containerd-shim*" -address $CTD_SOCK "*) echo "${p#/proc/}" ;;
    esac
  done
}

test_mounts() {
  awk -v d="$TEST_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo
}

cgroups_under() {
  local name="$1"
  [ -n "$name" ] || return 0
  find /sys/fs/cgroup/*/"$name" -mindepth 1 -type d 2>/dev/null
}

# Thaw (a frozen process cannot die) and SIGKILL every process in the cgroup
# dirs given, then remove them deepest first.
_kill_rm_cgroups() {
  local d
  [ $# -gt 0 ] || return 0
  for d in "$@"; do
    [ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
    [ -f "$d/cgroup.freeze" ] && echo 0 >"$d/cgroup.freeze" 2>/dev/null
    [ -f "$d/cgroup.procs" ] && xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null
  done
  sleep 0.1
  printf '%s\n' "$@" | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2- \
    | while read -r d; do rmdir "$d" 2>/dev/null; done
  return 0
}

_remove_shim_socket() {
  # shim's -address/-namespace/-id -> /run/containerd/s/<sha256>
  local args ns id h
  args="$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null)" || return 0
  ns="$(printf '%s\n' "$args" | sed -n '/^-namespace$/{n;p;q}')"
  id="$(printf '%s\n' "$args" | sed -n '/^-id$/{n;p;q}')"
  [ -n "$ns" ] && [ -n "$id" ] || return 0
  h="$(printf '%s' "$CTD_SOCK/$ns/$id" | sha256sum | cut -d' ' -f1)"
  echo "/run/containerd/s/$h"
}

ctd_cleanup() {
  # Called in a || list, the body runs without errexit: every step is tried.
  _ctd_cleanup "$@" || true
}

_ctd_cleanup() {
  [ -n "${TEST_DIR:-}" ] && [ -d "$TEST_DIR" ] || return 0
  ctd_vars
  local names=("$@") p pids socks=() ns id
  [ ${#names[@]} -gt 0 ] || names=("$CTD_NS")

  # 1. Through containerd, while it is up: resume, kill and delete every task
  #    and container of every namespace.
  if [ -n "${CTD_PID:-}" ] && kill -0 "$CTD_PID" 2>/dev/null; then
    for ns in $(timeout 10 ctr -a "$CTD_SOCK" namespaces ls -q 2>/dev/null); do
      for id in $(timeout 10 ctr -a "$CTD_SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
        timeout 10 ctr -a "$CTD_SOCK" -n "$ns" tasks resume "$id" >/dev/null 2>&1
        timeout 10 ctr -a "$CTD_SOCK" -n "$ns" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1
        timeout 10 ctr -a "$CTD_SOCK" -n "$ns" tasks rm -f "$id" >/dev/null 2>&1
      done
      for id in $(timeout 10 ctr -a "$CTD_SOCK" -n "$ns" containers ls -q 2>/dev/null); do
        timeout 10 ctr -a "$CTD_SOCK" -n "$ns" containers rm "$id" >/dev/null 2>&1
      done
    done
  fi

  # 2. Shims that are still there (containerd gone or wedged).
  pids="$(shim_pids)"
  for p in $pids; do
    socks+=("$(_remove_shim_socket "$p")")
  done
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill -9 $pids 2>/dev/null

  # 3. The daemon itself.
  if [ -n "${CTD_PID:-}" ] && kill -0 "$CTD_PID" 2>/dev/null; then
    kill "$CTD_PID" 2>/dev/null
    for _ in $(seq 50); do
      kill -0 "$CTD_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$CTD_PID" 2>/dev/null
  fi
  [ -z "${CTD_PID:-}" ] || wait "$CTD_PID" 2>/dev/null
  for p in "${socks[@]}"; do
    [ -n "$p" ] && rm -f "$p"
  done

  # 4. Container processes, cgroups, mounts.
  for ns in "${names[@]}"; do
    # shellcheck disable=SC2046
    _kill_rm_cgroups $(cgroups_under "$ns")
    for p in /sys/fs/cgroup/*/"$ns"; do
      [ -d "$p" ] && rmdir "$p" 2>/dev/null
    done
  done
  pids="$(_kago_test_pids)"
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill -9 $pids 2>/dev/null
  test_mounts | sort -r | while read -r p; do umount -l "$p" 2>/dev/null; done
  return 0
}
