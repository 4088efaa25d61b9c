#!/usr/bin/env bats
# Mounts, the rootfs, /dev, masked and read-only paths, propagation, and the
# symlink attacks on mount targets (CVE-2021-30465, CVE-2019-16884,
# CVE-2025-31133, CVE-2026-41579).
# Written to pass against runc too where runc behaves:
#   KAGO_RUNTIME=/usr/sbin/runc bats tests/integration/mounts.bats

load helpers

HOST_MOUNTS_BEFORE=""

setup() {
  kago_setup
  HOST_MOUNTS_BEFORE="$(grep -c . /proc/self/mountinfo)"
}

teardown() {
  # host mounts a test made itself, deepest first
  if [ -n "${TEST_DIR:-}" ]; then
    awk -v d="$TEST_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r \
      | while read -r m; do
        case "$m" in
          */vol/sub | */shared | */shared/* | */fakedev) umount -l "$m" 2>/dev/null || true ;;
        esac
      done
  fi
  kago_teardown
}

# A bundle whose process runs the shell script given on stdin (as /test.sh).
script_bundle() {
  make_bundle '["sh", "/test.sh"]' "$@"
  cat >"$BUNDLE/rootfs/test.sh"
}

# Run the bundle's process and succeed only if it exits 0.
run_container() {
  kago_ok run --bundle "$BUNDLE" "${1:-$CID}"
}

# The line of the container's mountinfo for mount point $2, from output $1.
mi_line() {
  printf '%s\n' "$1" | awk -v m="$2" '$5 == m' | tail -n 1
}

# Options (per-mount, field 6) of that line.
mi_opts() {
  mi_line "$1" "$2" | awk '{ print $6 }'
}

# fstype of that line.
mi_fstype() {
  mi_line "$1" "$2" | awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 1); exit } }'
}

# Super options of that line.
mi_super() {
  mi_line "$1" "$2" | awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 3); exit } }'
}

has_opt() { # has_opt "a,b,c" b
  case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac
}

@test "mounts: the default mount table has the expected filesystems and options" {
  make_bundle '["cat", "/proc/self/mountinfo"]'
  run_container
  local out="$output"

  [ "$(mi_fstype "$out" /proc)" = proc ]
  [ "$(mi_fstype "$out" /dev)" = tmpfs ]
  [ "$(mi_fstype "$out" /dev/pts)" = devpts ]
  [ "$(mi_fstype "$out" /dev/shm)" = tmpfs ]
  [ "$(mi_fstype "$out" /dev/mqueue)" = mqueue ]
  [ "$(mi_fstype "$out" /sys)" = sysfs ]
  [ -n "$(mi_line "$out" /sys/fs/cgroup)" ]

  local o
  o="$(mi_opts "$out" /dev)"
  has_opt "$o" nosuid && ! has_opt "$o" relatime && ! has_opt "$o" noatime   # strictatime
  has_opt "$(mi_super "$out" /dev)" mode=755
  has_opt "$(mi_super "$out" /dev)" size=65536k
  o="$(mi_opts "$out" /dev/pts)"
  has_opt "$o" nosuid && has_opt "$o" noexec
  has_opt "$(mi_super "$out" /dev/pts)" gid=5
  has_opt "$(mi_super "$out" /dev/pts)" mode=620
  has_opt "$(mi_super "$out" /dev/pts)" ptmxmode=666
  o="$(mi_opts "$out" /dev/shm)"
  has_opt "$o" nosuid && has_opt "$o" nodev && has_opt "$o" noexec
  o="$(mi_opts "$out" /sys)"
  has_opt "$o" ro && has_opt "$o" nosuid && has_opt "$o" nodev && has_opt "$o" noexec
  # /sys/fs/cgroup: read-only (on v1 the tmpfs is read-only in kago, rw in
  # runc 1.1; the hierarchies in it are read-only in both)
  if [ "$(mi_fstype "$out" /sys/fs/cgroup)" = tmpfs ]; then
    o="$(mi_opts "$out" /sys/fs/cgroup/memory)"
  else
    o="$(mi_opts "$out" /sys/fs/cgroup)"
  fi
  has_opt "$o" ro
  o="$(mi_opts "$out" /dev/mqueue)"
  has_opt "$o" nosuid && has_opt "$o" nodev && has_opt "$o" noexec
  # the root is read-only (root.readonly in the default spec)
  has_opt "$(mi_opts "$out" /)" ro
}

@test "mounts: /sys/fs/cgroup holds the container's cgroups, read-only" {
  make_bundle '["sh", "-c", "grep \" /sys/fs/cgroup\" /proc/self/mountinfo; echo x > /sys/fs/cgroup/probe 2>&1; ls /sys/fs/cgroup"]'
  run_container
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    [[ "$output" == *" - cgroup2 "* ]]
  else
    # v1 / hybrid: a tmpfs with one directory per hierarchy
    [[ "$output" == *"/sys/fs/cgroup "*" - tmpfs "* ]]
    for c in memory pids cpu; do
      if requires_cgroup_v1_quiet "$c"; then
        printf '%s\n' "$output" | grep -q " /sys/fs/cgroup/$c .* - cgroup "
      fi
    done
  fi
  [[ "$output" == *"Read-only file system"* || "$output" == *"Permission denied"* ]]
}

requires_cgroup_v1_quiet() {
  awk -v c="$1" '$9 == "cgroup" && ("," $NF ",") ~ ("," c ",") { f = 1 } END { exit !f }' /proc/self/mountinfo
}

@test "mounts: bind, rbind, ro and recursive rro on a tree with a submount" {
  local vol="$TEST_DIR/vol"
  mkdir -p "$vol/sub"
  echo top >"$vol/top"
  mount -t tmpfs -o size=1m tmpfs "$vol/sub"
  echo below >"$vol/sub/f"

  script_bundle <<'EOF'
cat /b/top; ls /b/sub | wc -l
cat /rb/sub/f; echo w >/rb/sub/new && echo rb-sub-writable
echo w >/ro/new 2>/dev/null || echo ro-refused
echo w >/rbro/top2 2>/dev/null || echo rbro-top-refused
echo w >/rbro/sub/new 2>/dev/null && echo rbro-sub-writable
echo w >/rro/top2 2>/dev/null || echo rro-top-refused
echo w >/rro/sub/new 2>/dev/null || echo rro-sub-refused
echo w >/rw/top3 && echo rw-writable
EOF
  update_config '.mounts += [
      {"destination": "/b", "type": "bind", "source": $v, "options": ["bind"]},
      {"destination": "/rb", "type": "bind", "source": $v, "options": ["rbind"]},
      {"destination": "/ro", "type": "bind", "source": $v, "options": ["bind", "ro"]},
      {"destination": "/rbro", "type": "bind", "source": $v, "options": ["rbind", "ro"]},
      {"destination": "/rro", "type": "bind", "source": $v, "options": ["rbind", "rro"]},
      {"destination": "/rw", "type": "bind", "source": $v, "options": ["rbind", "rw"]}]' --arg v "$vol"
  run_container
  [ "${lines[0]}" = top ]
  [ "${lines[1]}" = 0 ]          # non-recursive bind: the submount is not there
  [ "${lines[2]}" = below ]
  [[ "$output" == *rb-sub-writable* ]]
  [[ "$output" == *ro-refused* ]]
  [[ "$output" == *rbro-top-refused* ]]
  [[ "$output" == *rbro-sub-writable* ]]   # plain ro is not recursive
  [[ "$output" == *rro-top-refused* ]]
  [[ "$output" == *rro-sub-refused* ]]
  [[ "$output" == *rw-writable* ]]
  # the host's tree is untouched by the container's read-only flags
  echo host >"$vol/sub/hostwrite"
  [ -f "$vol/top3" ]
}

@test "mounts: tmpfs with mode and size, tmpcopyup" {
  make_bundle '["sh", "-c", "stat -c %a /t; grep \" /t \" /proc/self/mountinfo; cat /etc/copied; echo w >/ro-t/x 2>/dev/null || echo ro-refused"]'
  mkdir -p "$BUNDLE/rootfs/etc"
  echo from-image >"$BUNDLE/rootfs/etc/copied"
  update_config '.mounts += [
      {"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777", "size=1m", "nosuid"]},
      {"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]},
      {"destination": "/ro-t", "type": "tmpfs", "source": "tmpfs", "options": ["ro"]}]'
  if [ -n "${KAGO_RUNTIME:-}" ]; then
    : # runc knows tmpcopyup too
  fi
  run_container
  [ "${lines[0]}" = 1777 ]
  [[ "${lines[1]}" == *"size=1024k"* ]]
  [[ "${lines[1]}" == *nosuid* ]]
  [ "${lines[2]}" = from-image ]
  [[ "$output" == *ro-refused* ]]
}

@test "mounts: masked paths are empty, read-only paths refuse writes" {
  script_bundle <<'EOF'
echo keys=$(cat /proc/keys | wc -c)
echo timer=$(cat /proc/timer_list | wc -c)
echo acpi=$(ls -A /proc/acpi | wc -l)
echo firmware=$(ls -A /sys/firmware | wc -l)
echo x >/proc/sys/kernel/domainname 2>&1
echo x >/proc/acpi/new 2>&1
if [ -e /proc/sysrq-trigger ]; then echo h >/proc/sysrq-trigger 2>&1; fi
grep -E " /proc/(keys|acpi|sys) " /proc/self/mountinfo
EOF
  run_container
  [[ "$output" == *"keys=0"* ]]
  [[ "$output" == *"timer=0"* ]]
  [[ "$output" == *"acpi=0"* ]]
  [[ "$output" == *"firmware=0"* ]]
  [[ "$(printf '%s\n' "$output" | grep -c 'Read-only file system')" -ge 2 ]]
  # /proc/keys is a bind of the container's /dev/null (char 1:3 on /dev's tmpfs)
  printf '%s\n' "$output" | grep -q " /proc/keys .* - tmpfs "
  printf '%s\n' "$output" | grep -q " /proc/acpi ro,.* - tmpfs "
  printf '%s\n' "$output" | grep -q " /proc/sys ro,.* - proc "
}

@test "mounts: relative maskedPaths and readonlyPaths are refused" {
  make_bundle '["true"]'
  update_config '.linux.maskedPaths += ["masked-relpath"]'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"not an absolute path"* ]]
  make_bundle '["true"]'
  update_config '.linux.readonlyPaths += ["readonly-relpath"]'
  kago_fails run --bundle "$BUNDLE" "$(new_id)"
}

@test "mounts: masked device nodes, fifos and a dangling masked symlink" {
  script_bundle --rw <<'EOF'
cat /masked-fifo </dev/null && echo fifo-masked
stat -c "%t:%T" /masked-blk
wc -c </masked-file
EOF
  mknod "$BUNDLE/rootfs/masked-fifo" p
  mknod "$BUNDLE/rootfs/masked-blk" b 7 200
  echo secret >"$BUNDLE/rootfs/masked-file"
  ln -s /nowhere "$BUNDLE/rootfs/masked-dangling"
  update_config '.linux.maskedPaths += ["/masked-fifo", "/masked-blk", "/masked-file", "/masked-dangling"]'
  run_container
  [ "${lines[0]}" = fifo-masked ]
  [ "${lines[1]}" = "1:3" ]
  [ "${lines[2]}" = 0 ]
}

@test "mounts: root.readonly makes / read-only, --rw keeps it writable" {
  make_bundle '["sh", "-c", "touch /newfile && echo writable"]'
  run_kago run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Read-only file system"* ]]

  make_bundle '["sh", "-c", "touch /newfile && echo writable"]' --rw
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "$output" = writable ]
}

@test "devices: the default devices with their majors, minors and modes" {
  make_bundle '["sh", "-c", "for d in null zero full random urandom tty; do stat -c \"%n %F %t:%T %a %u:%g\" /dev/$d; done"]'
  run_container
  [ "${lines[0]}" = "/dev/null character special file 1:3 666 0:0" ]
  [ "${lines[1]}" = "/dev/zero character special file 1:5 666 0:0" ]
  [ "${lines[2]}" = "/dev/full character special file 1:7 666 0:0" ]
  [ "${lines[3]}" = "/dev/random character special file 1:8 666 0:0" ]
  [ "${lines[4]}" = "/dev/urandom character special file 1:9 666 0:0" ]
  [ "${lines[5]}" = "/dev/tty character special file 5:0 666 0:0" ]
}

@test "devices: /dev symlinks, ptmx, and nothing else in /dev" {
  make_bundle '["sh", "-c", "for l in fd stdin stdout stderr ptmx; do echo $l=$(readlink /dev/$l); done; ls -A /dev | tr \"\\n\" \" \""]'
  run_container
  [ "${lines[0]}" = "fd=/proc/self/fd" ]
  [ "${lines[1]}" = "stdin=/proc/self/fd/0" ]
  [ "${lines[2]}" = "stdout=/proc/self/fd/1" ]
  [ "${lines[3]}" = "stderr=/proc/self/fd/2" ]
  [ "${lines[4]}" = "ptmx=pts/ptmx" ]
  local expected="fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero"
  [ -e /proc/kcore ] && expected="core $expected"
  [ "$(echo ${lines[5]})" = "$expected" ]
}

@test "devices: linux.devices are created with type, numbers, mode and owner" {
  make_bundle '["sh", "-c", "stat -c \"%n %F %t:%T %a %u:%g\" /dev/kmsg-like /dev/sub/fuse /dev/myfifo"]'
  update_config '.linux.devices = [
      {"path": "/dev/kmsg-like", "type": "c", "major": 1, "minor": 11, "fileMode": 384, "uid": 1, "gid": 2},
      {"path": "/dev/sub/fuse", "type": "c", "major": 10, "minor": 229},
      {"path": "/dev/myfifo", "type": "p", "fileMode": 420}]'
  run_container
  [ "${lines[0]}" = "/dev/kmsg-like character special file 1:b 600 1:2" ]
  [ "${lines[1]}" = "/dev/sub/fuse character special file a:e5 666 0:0" ]
  [ "${lines[2]}" = "/dev/myfifo fifo 0:0 644 0:0" ]
}

@test "mounts: nothing is left mounted on the host after run" {
  make_bundle '["true"]'
  run_container
  [ -z "$(awk -v d="$TEST_DIR/" 'index($5, d) == 1' /proc/self/mountinfo)" ]
  [ "$(grep -c . /proc/self/mountinfo)" -eq "$HOST_MOUNTS_BEFORE" ]
}

# ---- propagation ----

make_shared_dir() {
  mkdir -p "$TEST_DIR/shared"
  mount --bind "$TEST_DIR/shared" "$TEST_DIR/shared"
  mount --make-shared "$TEST_DIR/shared"
}

@test "propagation: rootfsPropagation shared: host and container mounts propagate both ways" {
  make_shared_dir
  script_bundle --rw <<'EOF'
mkdir -p /shared/fromc && mount -t tmpfs ctmp /shared/fromc && touch /shared/fromc/by-container
touch /shared/ready
i=0
while [ $i -lt 100 ]; do
  [ -e /shared/fromh/by-host ] && echo seen-host-mount && exit 0
  sleep 0.1; i=$((i+1))
done
exit 1
EOF
  update_config '.linux.rootfsPropagation = "shared"
    | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
    | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]
    | .mounts += [{"destination": "/shared", "type": "bind", "source": $s, "options": ["rbind", "rshared"]}]' \
    --arg s "$TEST_DIR/shared"
  kago_create "$CID"
  kago_ok start "$CID"
  wait_until 10 test -e "$TEST_DIR/shared/ready"
  mkdir -p "$TEST_DIR/shared/fromh"
  mount -t tmpfs htmp "$TEST_DIR/shared/fromh"
  touch "$TEST_DIR/shared/fromh/by-host"
  wait_for_status "$CID" stopped 15
  grep -q seen-host-mount "$TEST_DIR/$CID.out"
  # the container's mount reached the host
  [ -e "$TEST_DIR/shared/fromc/by-container" ]
  grep -q " $TEST_DIR/shared/fromc " /proc/self/mountinfo
}

@test "propagation: by default a container's mounts never reach the host" {
  make_shared_dir
  make_bundle '["sh", "-c", "mkdir -p /shared/fromc && mount -t tmpfs ctmp /shared/fromc && echo mounted"]' --rw
  update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
    | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]
    | .mounts += [{"destination": "/shared", "type": "bind", "source": $s, "options": ["rbind", "rshared"]}]' \
    --arg s "$TEST_DIR/shared"
  run_container
  [ "$output" = mounted ]
  ! grep -q " $TEST_DIR/shared/fromc " /proc/self/mountinfo
}

# runc 1.1.5 fails this one (its / stays private): the spec is the judge.
@test "propagation: rootfsPropagation unbindable makes / unbindable" {
  script_bundle --rw <<'EOF'
awk '$5 == "/"' /proc/self/mountinfo
mkdir -p /tmp/x
mount --bind / /tmp/x 2>&1 && echo bound
EOF
  update_config '.linux.rootfsPropagation = "unbindable"
    | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
    | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
  run_kago run --bundle "$BUNDLE" "$CID"
  [[ "${lines[0]}" == *unbindable* ]]
  [[ "$output" != *bound* ]]
}

@test "propagation: an unknown rootfsPropagation is refused" {
  make_bundle '["true"]'
  update_config '.linux.rootfsPropagation = "sideways"'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *rootfsPropagation* ]]
}

# ---- attacks ----

@test "attack: mount destinations that are symlinks to / or ../../etc stay inside the rootfs" {
  make_bundle '["sh", "-c", "grep -E \" /(etc|evil-target) \" /proc/self/mountinfo; ls /etc"]'
  ln -s / "$BUNDLE/rootfs/toroot"
  ln -s ../../../../../../../../etc "$BUNDLE/rootfs/toetc"
  update_config '.mounts += [
      {"destination": "/toroot/evil-target", "type": "tmpfs", "source": "evil1"},
      {"destination": "/toetc", "type": "tmpfs", "source": "evil2"}]'
  local etc_before
  etc_before="$(grep -c ' /etc ' /proc/self/mountinfo || true)"
  run_container
  # inside: the mounts landed on the rootfs's own /etc and /evil-target
  printf '%s\n' "$output" | grep -q " /etc .* - tmpfs evil2 "
  printf '%s\n' "$output" | grep -q " /evil-target .* - tmpfs evil1 "
  # on the host: no tmpfs over /etc or /evil-target, /etc still has files
  [ "$(grep -c ' /etc ' /proc/self/mountinfo || true)" = "$etc_before" ]
  ! grep -q ' /evil-target ' /proc/self/mountinfo
  ! grep -q 'evil[12]' /proc/self/mountinfo
  [ ! -e /evil-target ]
  [ -e /etc/passwd ]
  [ -d "$BUNDLE/rootfs/evil-target" ]
}

@test "attack: a bind destination through a symlink to the host's /etc stays inside" {
  echo secret >"$TEST_DIR/payload"
  make_bundle '["cat", "/etc/payload"]'
  mkdir -p "$BUNDLE/rootfs/etc"
  ln -s /etc "$BUNDLE/rootfs/link"
  update_config '.mounts += [{"destination": "/link/payload", "type": "bind", "source": $p, "options": ["bind", "ro"]}]' \
    --arg p "$TEST_DIR/payload"
  run_container
  [ "$output" = secret ]
  [ ! -e /etc/payload ]
  ! grep -q ' /etc/payload ' /proc/self/mountinfo
}

@test "attack: /proc in the rootfs being a symlink is refused" {
  make_bundle '["true"]'
  mkdir -p "$BUNDLE/rootfs/fakeproc"
  rm -rf "$BUNDLE/rootfs/proc"
  ln -s /fakeproc "$BUNDLE/rootfs/proc"
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"/proc"* ]]
  [ -z "$(awk -v d="$TEST_DIR/" 'index($5, d) == 1' /proc/self/mountinfo)" ]
}

# CVE-2019-19921.  runc 1.1 checks only binds; kago refuses any non-procfs.
@test "attack: nothing but procfs may be mounted over /proc" {
  make_bundle '["true"]'
  update_config '.mounts += [{"destination": "/proc/sys", "type": "tmpfs", "source": "fake"}]'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"/proc/sys"* ]]
}

@test "attack: /dev in the rootfs being a symlink is refused" {
  make_bundle '["true"]'
  mkdir -p "$BUNDLE/rootfs/elsewhere"
  rm -rf "$BUNDLE/rootfs/dev"
  ln -s /elsewhere "$BUNDLE/rootfs/dev"
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"/dev"* ]]
}

@test "attack: /dev/null replaced by a symlink to a host file is never used to mask" {
  # /dev is the image's own directory (no tmpfs): its null is a symlink.
  # kago replaces it with the real node; runc 1.1.5 keeps the symlink.
  echo host-secret >"$TEST_DIR/secret"
  make_bundle '["sh", "-c", "stat -c \"%F %t:%T\" /dev/null; wc -c </proc/keys"]' --rw
  update_config 'del(.mounts[] | select(.destination == "/dev" or (.destination | startswith("/dev/"))))'
  mkdir -p "$BUNDLE/rootfs/dev"
  ln -sf "$TEST_DIR/secret" "$BUNDLE/rootfs/dev/null"
  run_container
  [ "${lines[0]}" = "character special file 1:3" ]
  [ "${lines[1]}" = 0 ]
  [ "$(cat "$TEST_DIR/secret")" = host-secret ]
}

@test "attack: a bound /dev whose null is a symlink makes masking fail, not bind the target" {
  echo host-secret >"$TEST_DIR/secret"
  mkdir -p "$TEST_DIR/fakedev"
  ln -s "$TEST_DIR/secret" "$TEST_DIR/fakedev/null"
  make_bundle '["cat", "/proc/keys"]'
  update_config 'del(.mounts[] | select(.destination | startswith("/dev/")))
    | (.mounts[] | select(.destination == "/dev")) |= {"destination": "/dev", "type": "bind", "source": $d, "options": ["rbind"]}' \
    --arg d "$TEST_DIR/fakedev"
  run_kago run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" != *host-secret* ]]
  [[ "$output" == *"/dev/null"* ]]
}

