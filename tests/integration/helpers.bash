# helpers.bash: shared helpers for kago's bats integration tests.
#
# Use at the top of every tests/integration/*.bats file:
#
#     load helpers
#
# Tests run as root against the real binary.  Every test gets its own
# temporary directory, state root and container ids, and a teardown that
# force-deletes what the test left and FAILS the test if a container process,
# cgroup, mount or state dir of the test survived the deletion.
#
# Variables (set for every test by kago_setup):
#   REPO         the source tree
#   KAGO         absolute path of the runtime under test: $KAGO_RUNTIME if set
#                (e.g. KAGO_RUNTIME=/usr/sbin/runc, to check that a test is
#                right by running it against runc), else build/kago-runtime
#   TEST_DIR     per-test temporary directory (removed in teardown); short,
#                on tmpfs when /dev/shm is writable
#   KAGO_ROOT    per-test state root ($TEST_DIR/root), passed as --root
#   CID          a container id unique to this test: "t<pid>-<test number>"
#   BUNDLE       set by make_bundle
#
# Functions:
#   kago ARGS...             "$KAGO" --root "$KAGO_ROOT" ARGS... (under a
#                            timeout of $KAGO_CMD_TIMEOUT s, default 60)
#   run_kago ARGS...         bats `run kago ARGS...`, logging the command, its
#                            status and output (shown when the test fails)
#   kago_ok ARGS...          run_kago and fail unless the status is 0
#   kago_fails ARGS...       run_kago and fail if the status is 0
#   kimg ARGS...             the engine: $KAGO_BIN (build/kago) --root "$IMG_ROOT" ARGS...
#                            ($IMG_ROOT is the test's image store, not
#                            $KAGO_ROOT, which teardown checks for containers);
#                            run_kimg / kimg_ok / kimg_fails as for kago
#   new_id                   prints another unique id ("$CID-N") for tests
#                            that need several containers
#   make_bundle [ARGS-JSON] [make-bundle.sh options...]
#                            fresh busybox bundle from the cached template
#                            rootfs; sets BUNDLE.  Default args ["sh"];
#                            terminal false.  e.g. make_bundle '["sleep","100"]'
#                            or make_bundle '["/bin/true"]' --rw --hostname h
#   update_config JQ-EXPR [jq options...]
#                            edit $BUNDLE/config.json in place, e.g.
#                            update_config '.hostname = $h' --arg h foo
#   kago_create ID [create options...]
#                            `kago create --bundle $BUNDLE ID` with the
#                            container's stdio on $TEST_DIR/ID.{out,err}
#                            (never on bats' pipes: a container holding them
#                            would hang bats), then checks the state is
#                            "created"
#   container_state ID       prints `kago state ID` (JSON)
#   container_status ID      prints .status of the state
#   container_pid ID         prints .pid of the state (the init's host pid)
#   init_proc ID FILE        prints /proc/<init pid>/FILE (e.g. status, cgroup)
#   init_ns ID NS            prints the init's namespace link (readlink
#                            /proc/PID/ns/NS), e.g. "uts:[4026532...]"
#   wait_for_status ID STATUS [TIMEOUT_S]
#   wait_until TIMEOUT_S CMD...   retry CMD every 50 ms until it succeeds
#   fail MESSAGE...          print MESSAGE and return 1 (fails the test)
#   start_recvtty            receive a console-socket pty master on
#                            $TEST_DIR/tty.sock (see tests/helpers/recvtty)
#   requires_root            skip unless uid 0
#   requires_cmd CMD...      skip unless every CMD is installed
#   requires_cgroup_v1 CTRL  skip unless the v1 controller CTRL is mounted
#   requires_cgroup_v2       skip unless /sys/fs/cgroup is cgroup2
#
# cgroup layouts (tests run on the hybrid development hosts and on a pure v2
# kernel in tests/vm; write cgroup checks for both):
#   cgroup_layout            prints "v2" (cgroup2 at /sys/fs/cgroup), "hybrid"
#                            (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)
#                            or "v1" (v1 controllers only)
#   cgroup_dir CTRL PATH     prints the directory of cgroup PATH (e.g.
#                            "/kago/$CID") as the host sees it: on v2
#                            /sys/fs/cgroup/PATH whatever CTRL is; on v1/hybrid
#                            PATH under the mount of controller CTRL's v1
#                            hierarchy (CTRL "unified": the cgroup2 mount)
#   container_cgroup_file ID CTRL FILE
#                            prints the path of FILE in the cgroup of container
#                            ID's init for controller CTRL (its /proc/PID/cgroup
#                            line), e.g. on v2
#                              container_cgroup_file $CID memory memory.max
#                            and on v1
#                              container_cgroup_file $CID memory memory.limit_in_bytes
#                            Pick the file by layout:
#                              if [ "$(cgroup_layout)" = v2 ]; then f=memory.max
#                              else f=memory.limit_in_bytes; fi
#
# A file that needs its own setup/teardown must call kago_setup /
# kago_teardown from them:
#
#     setup() { kago_setup; make_bundle '["sleep", "100"]'; }
#     teardown() { my_cleanup; kago_teardown; }
#
# Environment: KAGO_RUNTIME (runtime under test), KAGO_TEST_TMPDIR (where
# per-test dirs go), KAGO_BUNDLE_CACHE (template rootfs cache),
# KAGO_CMD_TIMEOUT (seconds per kago command), KAGO_KEEP_TEST_DIR=1 (keep
# $TEST_DIR for debugging).

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
KAGO="${KAGO_RUNTIME:-$REPO/build/kago-runtime}"
case "$KAGO" in
  /*) ;;
  */*) KAGO="$PWD/$KAGO" ;;
  *) KAGO="$(command -v "$KAGO" || echo "$KAGO")" ;;
esac
KAGO_CMD_TIMEOUT="${KAGO_CMD_TIMEOUT:-60}"

_kago_tmpbase() {
  if [ -n "${KAGO_TEST_TMPDIR:-}" ]; then
    echo "$KAGO_TEST_TMPDIR"
  elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
    echo /dev/shm
  else
    echo "${BATS_TMPDIR:-/tmp}"
  fi
}

export KAGO_BUNDLE_CACHE="${KAGO_BUNDLE_CACHE:-$(_kago_tmpbase)/kago-bundle-cache}"

fail() {
  printf '%s\n' "$*" >&2
  return 1
}

requires_root() {
  [ "$(id -u)" = 0 ] || skip "requires root"
}

requires_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip "requires $c"
  done
}

requires_cgroup_v1() {
  local m
  m="$(awk -v c="$1" '$9 == "cgroup" && ("," $NF ",") ~ ("," c ",") { print $5; exit }' /proc/self/mountinfo)"
  [ -n "$m" ] || skip "requires the cgroup v1 $1 controller"
}

requires_cgroup_v2() {
  [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] || skip "requires a cgroup v2 host"
}

kago_setup() {
  requires_root
  [ -x "$KAGO" ] || fail "$KAGO not found: run 'make build' first" || return 1
  local base
  base="$(_kago_tmpbase)"
  mkdir -p "$base"
  TEST_DIR="$(mktemp -d "$base/kt.XXXXXX")"
  KAGO_ROOT="$TEST_DIR/root"
  mkdir -p "$KAGO_ROOT"
  CID="t$$-${BATS_TEST_NUMBER:-0}"
  BUNDLE=""
  export TEST_DIR KAGO_ROOT CID KAGO
}

setup() {
  kago_setup
}

teardown() {
  kago_teardown
}

kago() {
  timeout -k 5 "$KAGO_CMD_TIMEOUT" "$KAGO" --root "$KAGO_ROOT" "$@"
}

run_kago() {
  run kago "$@"
  echo "# \$ kago $*"
  echo "# status $status"
  [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/# | /'
  return 0
}

kago_ok() {
  run_kago "$@"
  [ "$status" -eq 0 ] || fail "kago $* failed with status $status: $output"
}

kago_fails() {
  run_kago "$@"
  [ "$status" -ne 0 ] || fail "kago $* succeeded but should have failed: $output"
}

new_id() {
  local n=0
  [ -f "$TEST_DIR/.idseq" ] && n="$(cat "$TEST_DIR/.idseq")"
  n=$((n + 1))
  echo "$n" >"$TEST_DIR/.idseq"
  echo "$CID-$n"
}

make_bundle() {
  local args="" dir n=1
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    args="$1"
    shift
  fi
  dir="$TEST_DIR/bundle"
  while [ -e "$dir" ]; do
    n=$((n + 1))
    dir="$TEST_DIR/bundle$n"
  done
  if [ -n "$args" ]; then
    set -- --args "$args" "$@"
  fi
  "$REPO/scripts/make-bundle.sh" "$dir" "$@" || fail "make-bundle.sh $dir $* failed" || return 1
  BUNDLE="$dir"
}

update_config() {
  local expr="$1"
  shift
  [ -n "$BUNDLE" ] || fail "update_config: no bundle (call make_bundle first)" || return 1
  jq "$@" "$expr" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" \
    || fail "update_config: jq failed on: $expr" || return 1
  mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

kago_create() {
  local id="$1"
  shift
  kago create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$TEST_DIR/$id.out" 2>"$TEST_DIR/$id.err" 3>&- \
    || fail "kago create $id failed: $(cat "$TEST_DIR/$id.err")" || return 1
  local st
  st="$(container_status "$id")"
  [ "$st" = created ] || fail "after create, $id is '$st', not 'created'"
}

container_state() {
  kago state "$1"
}

container_status() {
  kago state "$1" | jq -r .status
}

container_pid() {
  kago state "$1" | jq -r .pid
}

init_proc() {
  local pid
  pid="$(container_pid "$1")" || return 1
  [ -n "$pid" ] && [ "$pid" != null ] && [ "$pid" != 0 ] || fail "no pid for $1" || return 1
  cat "/proc/$pid/$2"
}

init_ns() {
  local pid
  pid="$(container_pid "$1")" || return 1
  readlink "/proc/$pid/ns/$2"
}

# Start tests/helpers/recvtty on $TEST_DIR/tty.sock (output in tty.out,
# diagnostics in tty.err) and wait until it listens; sets RECVTTY_PID.
start_recvtty() {
  "$REPO/build/tests/helpers/recvtty" "$TEST_DIR/tty.sock" >"$TEST_DIR/tty.out" 2>"$TEST_DIR/tty.err" &
  RECVTTY_PID=$!
  wait_until 5 grep -q ready "$TEST_DIR/tty.err"
}

wait_until() {
  local timeout="$1" i=0
  shift
  local tries=$((timeout * 20))
  until "$@"; do
    i=$((i + 1))
    [ "$i" -lt "$tries" ] || return 1
    sleep 0.05
  done
}

_status_is() {
  [ "$(container_status "$1" 2>/dev/null)" = "$2" ]
}

wait_for_status() {
  wait_until "${3:-10}" _status_is "$1" "$2" \
    || fail "$1 did not reach status '$2' (is '$(container_status "$1" 2>&1)')"
}

# Pids of processes whose root directory is inside $TEST_DIR: the test's
# container processes, seen from the host.
_kago_test_pids() {
  find /proc -mindepth 2 -maxdepth 2 -name root -lname "$TEST_DIR/*" 2>/dev/null \
    | sed -n 's|^/proc/\([0-9]*\)/root$|\1|p'
}

kago_teardown() {
  [ -n "${TEST_DIR:-}" ] && [ -d "$TEST_DIR" ] || return 0
  local problems=() id ids pids left d

  # 1. Force-delete every container the test left (kago's own list, and
  #    whatever state dirs exist, in case `list` is what is broken).
  if [ -d "$KAGO_ROOT" ]; then
    # (.seccomp-cache holds compiled seccomp filters, not containers)
    ids="$( (kago list -q 2>/dev/null; find "$KAGO_ROOT" -mindepth 1 -maxdepth 1 -type d ! -name .seccomp-cache -printf '%f\n') | sort -u)"
    for id in $ids; do
      if ! out="$(kago delete --force "$id" 2>&1)"; then
        problems+=("delete --force $id failed: $out")
      fi
    done
    left="$(find "$KAGO_ROOT" -mindepth 1 -maxdepth 1 ! -name .seccomp-cache -printf '%f ' 2>/dev/null)"
    [ -z "$left" ] || problems+=("state left in $KAGO_ROOT after delete --force: $left")
  fi

  # 2. No container process may survive.
  pids="$(_kago_test_pids)"
  if [ -n "$pids" ]; then
    problems+=("container processes still running after delete: $(echo $pids)" "$(ps -o pid,stat,args -p "$(echo $pids | tr ' ' ,)" 2>/dev/null)")
    kill -9 $pids 2>/dev/null || true
    sleep 0.1
  fi

  # 3. No cgroup named after one of this test's containers may remain, in any
  #    hierarchy and under any parent (kago's default is /kago/<id>).
  left="$(find /sys/fs/cgroup -mindepth 1 -maxdepth 10 -type d \( -name "$CID" -o -name "$CID-*" \) 2>/dev/null)"
  if [ -n "$left" ]; then
    problems+=("cgroups left behind: $(echo $left)")
    for d in $left; do
      [ -f "$d/cgroup.procs" ] && xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null
    done
    sleep 0.1
    # deepest first
    printf '%s\n' $left | sort -r | xargs -r rmdir 2>/dev/null || true
  fi

  # 4. No mount under the test dir may remain in the host's mount namespace.
  left="$(awk -v d="$TEST_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo)"
  if [ -n "$left" ]; then
    problems+=("mounts left behind: $(echo $left)")
    printf '%s\n' $left | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  fi

  if [ "${KAGO_KEEP_TEST_DIR:-0}" = 1 ]; then
    echo "# kept $TEST_DIR" >&2
  else
    rm -rf "$TEST_DIR" 2>/dev/null || problems+=("could not remove $TEST_DIR")
  fi

  if [ ${#problems[@]} -gt 0 ]; then
    printf 'teardown: %s\n' "${problems[@]}" >&2
    return 1
  fi
  return 0
}

# ---- cgroup layouts (documented at the top) ----

cgroup_layout() {
  if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
    echo v2
  elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    echo hybrid
  else
    echo v1
  fi
}

# The mount point of the v1 hierarchy holding controller $1 (or of the
# cgroup2 mount for "unified"); mountinfo's optional fields end at "-".
_cgroup_mount_of() {
  awk -v c="$1" '{
    for (i = 7; i < NF && $i != "-"; i++) ;
    if (c == "unified" ? $(i + 1) == "cgroup2" : $(i + 1) == "cgroup" && ("," $(i + 3) ",") ~ ("," c ",")) {
      print $5; exit
    }
  }' /proc/self/mountinfo
}

cgroup_dir() {
  local ctrl="$1" path="$2" m
  if [ "$(cgroup_layout)" = v2 ]; then
    echo "/sys/fs/cgroup$path"
    return
  fi
  m="$(_cgroup_mount_of "$ctrl")"
  [ -n "$m" ] || fail "cgroup_dir: no cgroup hierarchy for controller $ctrl" || return 1
  echo "$m$path"
}

container_cgroup_file() {
  local id="$1" ctrl="$2" file="$3" pid path
  pid="$(container_pid "$id")" || return 1
  [ -n "$pid" ] && [ "$pid" != null ] && [ "$pid" != 0 ] || fail "no pid for $id" || return 1
  if [ "$(cgroup_layout)" = v2 ] || [ "$ctrl" = unified ]; then
    path="$(awk -F: '$1 == "0" && $2 == "" { print $3; exit }' "/proc/$pid/cgroup")"
  else
    path="$(awk -F: -v c="$ctrl" '("," $2 ",") ~ ("," c ",") { print $3; exit }' "/proc/$pid/cgroup")"
  fi
  [ -n "$path" ] || fail "container_cgroup_file: $id's init has no $ctrl cgroup: $(cat "/proc/$pid/cgroup")" || return 1
  echo "$(cgroup_dir "$ctrl" "$path")/$file"
}

# The engine's image commands on the test's image store ($IMG_ROOT).
KAGO_BIN="$REPO/build/kago"
kimg() {
  timeout -k 5 120 "$KAGO_BIN" --root "$IMG_ROOT" "$@"
}

run_kimg() {
  run kimg "$@"
  echo "# \$ kago $*"
  echo "# status $status"
  [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/# | /'
  return 0
}

kimg_ok() {
  run_kimg "$@"
  [ "$status" -eq 0 ] || fail "kago $* failed with status $status: $output"
}

kimg_fails() {
  run_kimg "$@"
  [ "$status" -ne 0 ] || fail "kago $* succeeded but should have failed: $output"
}
