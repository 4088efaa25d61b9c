#!/usr/bin/env bats
# Docker seccomp profiles resolved by `kago seccomp resolve` and enforced in
# real containers: seed 002's examples (a profile without mkdir; unshare
# under the default profile and unconfined), the personality() argument
# rule, the kernel's view (/proc/PID/status), malformed profiles, and the
# compiled-filter cache.  The container tests also pass against runc:
#   KAGO_RUNTIME=/usr/sbin/runc bats tests/integration/seccomp.bats
# (`kago seccomp` itself is always build/kago).

load helpers

DOCKER_PROFILE="$REPO/tests/data/docker-default-seccomp.json"
KAGO_CLI="$REPO/build/kago"

is_kago() {
  [ -z "${KAGO_RUNTIME:-}" ] || [[ "$(basename "$KAGO_RUNTIME")" == kago* ]]
}

# sh_bundle SCRIPT [make_bundle options]: a bundle running sh -c SCRIPT.
sh_bundle() {
  local script="$1"
  shift
  make_bundle "$(jq -cn --arg s "$script" '["sh", "-c", $s]')" "$@"
}

# resolve OUT [kago seccomp resolve args...]: the OCI linux.seccomp into OUT.
resolve() {
  local out="$1"
  shift
  "$KAGO_CLI" seccomp resolve "$@" >"$out" || fail "kago seccomp resolve $* failed"
}

DOCKER_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'

# docker_caps: the container gets Docker's 14 default capabilities, the set
# `kago seccomp resolve` assumes unless told otherwise.
docker_caps() {
  update_config '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}' --argjson c "$DOCKER_CAPS"
}

# use_seccomp FILE: put FILE (OCI linux.seccomp JSON) into config.json.
use_seccomp() {
  update_config '.linux.seccomp = $s[0]' --slurpfile s "$1"
}

# The rootfs is read-only unless a test asks otherwise; mkdir goes to /tmp
# on a writable rootfs.
@test "seed 002: a profile without mkdir makes mkdir fail with Operation not permitted; the default allows it" {
  jq '(.syscalls[] | select(.names | index("mkdir")) | .names) |= map(select(. != "mkdir"))' \
    "$DOCKER_PROFILE" >"$TEST_DIR/no-mkdir.json"
  resolve "$TEST_DIR/no-mkdir-oci.json" "$TEST_DIR/no-mkdir.json"
  run jq -r '[.syscalls[].names[]] | index("mkdir")' "$TEST_DIR/no-mkdir-oci.json"
  [ "$output" = null ]

  sh_bundle 'mkdir /tmp/x && echo made' --rw
  use_seccomp "$TEST_DIR/no-mkdir-oci.json"
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"can't create directory '/tmp/x': Operation not permitted"* ]]
  [[ "$output" != *made* ]]
  [ ! -e "$BUNDLE/rootfs/tmp/x" ]

  resolve "$TEST_DIR/default-oci.json" "$DOCKER_PROFILE"
  use_seccomp "$TEST_DIR/default-oci.json"
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "$output" = made ]
  [ -d "$BUNDLE/rootfs/tmp/x" ]
}

@test "seed 002: unshare --map-root-user --user fails under the default profile, prints root unconfined" {
  sh_bundle 'unshare -r -U sh -c whoami'
  # Mapping root into a new user namespace needs CAP_SETFCAP (Linux 5.12),
  # one of Docker's defaults.
  docker_caps
  # Unconfined (no linux.seccomp): a user namespace needs no other capability.
  update_config 'del(.linux.seccomp)'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$output" = root ]

  # Docker's default profile: unshare needs CAP_SYS_ADMIN.
  resolve "$TEST_DIR/default-oci.json" "$DOCKER_PROFILE"
  use_seccomp "$TEST_DIR/default-oci.json"
  kago_fails run --bundle "$BUNDLE" "$(new_id)"
  [[ "$output" == *"Operation not permitted"* ]]
  [[ "$output" != *root* ]]

  # kago's own default profile: the same.
  "$KAGO_CLI" seccomp default >"$TEST_DIR/kago-default-oci.json"
  use_seccomp "$TEST_DIR/kago-default-oci.json"
  kago_fails run --bundle "$BUNDLE" "$(new_id)"
  [[ "$output" == *"Operation not permitted"* ]]

  # Resolved for a container with CAP_SYS_ADMIN (includes.caps): allowed.
  resolve "$TEST_DIR/admin-oci.json" --cap-add SYS_ADMIN "$DOCKER_PROFILE"
  use_seccomp "$TEST_DIR/admin-oci.json"
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "$output" = root ]
}

@test "personality(): the default profile allows PER_LINUX32 only through its argument rule" {
  [ "$(uname -m)" = x86_64 ] || skip "x86_64 host only"
  make_bundle '["linux32", "uname", "-m"]'
  resolve "$TEST_DIR/default-oci.json" "$DOCKER_PROFILE"
  # The rule as Docker writes it: personality with arg0 == 8.
  run jq -c '[.syscalls[] | select(.names == ["personality"]) | .args[0].value] | sort' "$TEST_DIR/default-oci.json"
  [ "$output" = '[0,8,131072,131080,4294967295]' ]
  use_seccomp "$TEST_DIR/default-oci.json"
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$output" = i686 ]

  # Without the arg0 == 8 rule, personality(PER_LINUX32) falls to the
  # default action (EPERM) while the other values stay allowed.
  jq '.syscalls |= map(select(.names != ["personality"] or .args[0].value != 8))' \
    "$TEST_DIR/default-oci.json" >"$TEST_DIR/no-linux32.json"
  use_seccomp "$TEST_DIR/no-linux32.json"
  kago_fails run --bundle "$BUNDLE" "$(new_id)"
  [[ "$output" == *"Operation not permitted"* ]]
  [[ "$output" != *i686* ]]
}

@test "the kernel sees one filter (Seccomp: 2) under a profile, none unconfined" {
  make_bundle '["sleep", "100"]'
  resolve "$TEST_DIR/default-oci.json" "$DOCKER_PROFILE"
  use_seccomp "$TEST_DIR/default-oci.json"
  kago_create "$CID"
  kago_ok start "$CID"
  run init_proc "$CID" status
  [[ "$output" == *$'\nSeccomp:\t2\n'* ]] || fail "no filter mode: $(grep Seccomp <<<"$output")"
  [[ "$output" == *$'\nSeccomp_filters:\t1\n'* ]] || fail "filters: $(grep Seccomp <<<"$output")"
  kago_ok delete --force "$CID"

  local id2
  id2="$(new_id)"
  update_config 'del(.linux.seccomp)'
  kago_create "$id2"
  kago_ok start "$id2"
  run init_proc "$id2" status
  [[ "$output" == *$'\nSeccomp:\t0\n'* ]] || fail "mode: $(grep Seccomp <<<"$output")"
  [[ "$output" == *$'\nSeccomp_filters:\t0\n'* ]]
  kago_ok delete --force "$id2"
}

@test "kago seccomp resolve: kago's default equals Docker's for several capability sets" {
  local norm='[.syscalls[] | . as $r | .names[] | {n: ., a: $r.action, e: $r.errnoRet, args: $r.args}] | unique'
  local caps
  for caps in "" "--cap-add SYS_ADMIN" "--cap-add SYS_PTRACE" "--cap-add ALL" "--cap-drop ALL" "--kernel 4.4"; do
    # shellcheck disable=SC2086
    "$KAGO_CLI" seccomp resolve $caps "$DOCKER_PROFILE" | jq -cS "{d: .defaultAction, e: .defaultErrnoRet, a: .architectures, s: ($norm)}" >"$TEST_DIR/d.json"
    # shellcheck disable=SC2086
    "$KAGO_CLI" seccomp default $caps | jq -cS "{d: .defaultAction, e: .defaultErrnoRet, a: .architectures, s: ($norm)}" >"$TEST_DIR/k.json"
    cmp -s "$TEST_DIR/d.json" "$TEST_DIR/k.json" || fail "differs for '$caps': $(diff <(jq -c '.s[]' "$TEST_DIR/d.json") <(jq -c '.s[]' "$TEST_DIR/k.json") | head)"
  done
  # The capability sets matter: mount only with SYS_ADMIN, ptrace on 4.4 only with SYS_PTRACE.
  run "$KAGO_CLI" seccomp default
  [[ "$output" != *'"mount"'* ]]
  run "$KAGO_CLI" seccomp default --cap-add CAP_SYS_ADMIN
  [[ "$output" == *'"mount"'* ]]
  run "$KAGO_CLI" seccomp default --kernel 4.4
  [[ "$output" != *'"ptrace"'* ]]
  # --unresolved: Docker's format, which resolve takes back.
  "$KAGO_CLI" seccomp default --unresolved >"$TEST_DIR/kago-profile.json"
  jq -e '.archMap and (.syscalls[] | select(.includes.caps == ["CAP_SYS_ADMIN"]))' "$TEST_DIR/kago-profile.json" >/dev/null
  "$KAGO_CLI" seccomp resolve "$TEST_DIR/kago-profile.json" >"$TEST_DIR/a.json"
  "$KAGO_CLI" seccomp default >"$TEST_DIR/b.json"
  cmp "$TEST_DIR/a.json" "$TEST_DIR/b.json"
}

@test "kago seccomp resolve: unknown capabilities and malformed profiles are clear errors" {
  run "$KAGO_CLI" seccomp resolve --cap-add SYS_WIZARD "$DOCKER_PROFILE"
  [ "$status" -eq 1 ]
  [[ "$output" == *'--cap-add: unknown capability "SYS_WIZARD"'* ]]
  run "$KAGO_CLI" seccomp resolve --cap-add SYS_ADMIN --cap-drop sys_admin "$DOCKER_PROFILE"
  [ "$status" -eq 1 ]
  [[ "$output" == *"CAP_SYS_ADMIN is both added and dropped"* ]]

  printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [\n' >"$TEST_DIR/bad.json"
  run "$KAGO_CLI" seccomp resolve "$TEST_DIR/bad.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *"$TEST_DIR/bad.json"*"line 2"* ]]

  jq '.syscalls[3].args = [{index: 0, value: 1, op: "SCMP_CMP_FOO"}]' "$DOCKER_PROFILE" >"$TEST_DIR/badop.json"
  run "$KAGO_CLI" seccomp resolve "$TEST_DIR/badop.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *'syscalls[3].args[0].op: unknown operator "SCMP_CMP_FOO"'* ]]
  [ "${#lines[@]}" -eq 1 ]

  jq '.syscalls[1].includes.minKernel = "four"' "$DOCKER_PROFILE" >"$TEST_DIR/badk.json"
  run "$KAGO_CLI" seccomp resolve "$TEST_DIR/badk.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *'syscalls[1].includes.minKernel: invalid kernel version "four"'* ]]

  jq '.syscalls[0].name = "read"' "$DOCKER_PROFILE" >"$TEST_DIR/both.json"
  run "$KAGO_CLI" seccomp resolve "$TEST_DIR/both.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *'syscalls[0]: both "name" and "names"'* ]]
}

@test "malformed linux.seccomp in config.json: refused naming the rule, nothing left behind" {
  make_bundle '["true"]'
  resolve "$TEST_DIR/default-oci.json" "$DOCKER_PROFILE"
  jq '.syscalls[3].args = [{index: 0, value: 1, op: "SCMP_CMP_FOO"}]' "$TEST_DIR/default-oci.json" >"$TEST_DIR/s.json"
  use_seccomp "$TEST_DIR/s.json"
  kago_fails run --bundle "$BUNDLE" "$CID"
  if is_kago; then
    [[ "$output" == *'linux.seccomp.syscalls[3].args[0].op: unknown operator "SCMP_CMP_FOO"'* ]]
  fi
  [ ! -e "$KAGO_ROOT/$CID" ]

  jq '.syscalls[5].args = [{index: 6, value: 1, op: "SCMP_CMP_EQ"}]' "$TEST_DIR/default-oci.json" >"$TEST_DIR/s.json"
  use_seccomp "$TEST_DIR/s.json"
  kago_fails create --bundle "$BUNDLE" "$CID"
  if is_kago; then
    [[ "$output" == *'linux.seccomp.syscalls[5].args[0].index: 6 out of range (0..5)'* ]]
  fi
  [ ! -e "$KAGO_ROOT/$CID" ]

  jq '.syscalls[2].action = "SCMP_ACT_EXPLODE"' "$TEST_DIR/default-oci.json" >"$TEST_DIR/s.json"
  use_seccomp "$TEST_DIR/s.json"
  kago_fails run --bundle "$BUNDLE" "$CID"
  if is_kago; then
    [[ "$output" == *'linux.seccomp.syscalls[2]: unknown action "SCMP_ACT_EXPLODE"'* ]]
  fi
  [ ! -e "$KAGO_ROOT/$CID" ]
}

@test "the compiled filter is cached under the state root and reused; a damaged entry is replaced" {
  is_kago || skip "kago's filter cache"
  make_bundle '["sh", "-c", "mkdir /proc/x 2>&1; echo done"]'
  docker_caps
  resolve "$TEST_DIR/default-oci.json" "$DOCKER_PROFILE"
  use_seccomp "$TEST_DIR/default-oci.json"
  kago_ok --debug --log "$TEST_DIR/log1" run --bundle "$BUNDLE" "$CID"
  [ "${lines[-1]}" = done ]
  grep -q 'seccomp cache: compiled and stored' "$TEST_DIR/log1"
  local entries
  entries=("$KAGO_ROOT"/.seccomp-cache/*.bpf)
  [ "${#entries[@]}" -eq 1 ]
  [ "$(stat -c %a "$KAGO_ROOT/.seccomp-cache")" = 700 ]
  [ "$(stat -c %a "${entries[0]}")" = 600 ]

  kago_ok --debug --log "$TEST_DIR/log2" run --bundle "$BUNDLE" "$(new_id)"
  [ "${lines[-1]}" = done ]
  grep -q 'seccomp cache: hit' "$TEST_DIR/log2"

  # Damage it: the checksum refuses it, the profile is compiled again, and
  # the container still runs confined (unshare still refused).
  printf 'XXXX' | dd of="${entries[0]}" bs=1 seek=200 conv=notrunc 2>/dev/null
  update_config '.process.args = ["sh", "-c", "unshare -r -U true; echo rc=$?"]'
  kago_ok --debug --log "$TEST_DIR/log3" run --bundle "$BUNDLE" "$(new_id)"
  [ "${lines[-1]}" = rc=1 ]
  grep -q 'checksum mismatch, removed' "$TEST_DIR/log3"
  grep -q 'seccomp cache: compiled and stored' "$TEST_DIR/log3"

  # Off: nothing read or written.
  rm -rf "$KAGO_ROOT/.seccomp-cache"
  KAGO_SECCOMP_CACHE=0 kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ ! -e "$KAGO_ROOT/.seccomp-cache" ]
}

@test "exec: the process started by exec runs under the container's profile" {
  make_bundle '["sleep", "100"]'
  docker_caps
  resolve "$TEST_DIR/default-oci.json" "$DOCKER_PROFILE"
  use_seccomp "$TEST_DIR/default-oci.json"
  kago_create "$CID"
  kago_ok start "$CID"
  kago_ok exec "$CID" grep -E '^Seccomp(_filters)?:' /proc/self/status
  [ "${lines[0]}" = $'Seccomp:\t2' ]
  [ "${lines[1]}" = $'Seccomp_filters:\t1' ]
  run_kago exec "$CID" unshare -r -U true
  [ "$status" -ne 0 ]
  [[ "$output" == *"Operation not permitted"* ]]
  kago_ok delete --force "$CID"
}
