#!/usr/bin/env bats
# Process attributes in a real container: capabilities, no_new_privs,
# rlimits, user/groups/umask, oom_score_adj, sysctl, seccomp, personality,
# and configs that must fail early with a clear error and leave no state.
# They also pass against runc (exact kago messages are checked only for kago):
#   KAGO_RUNTIME=/usr/sbin/runc bats tests/integration/process.bats

load helpers

DOCKER_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'

is_kago() {
  [ -z "${KAGO_RUNTIME:-}" ] || [[ "$(basename "$KAGO_RUNTIME")" == kago* ]]
}

# status_field NAME: the value of NAME: in the container's /proc/self/status
# output held in $output.
status_field() {
  printf '%s\n' "$output" | awk -v k="$1:" '$1 == k { print $2 }'
}

# sh_bundle SCRIPT [make_bundle options]: a bundle running sh -c SCRIPT.
sh_bundle() {
  local script="$1"
  shift
  make_bundle "$(jq -cn --arg s "$script" '["sh", "-c", $s]')" "$@"
}

# No state may remain after a create/run that failed.
no_state_left() {
  [ ! -e "$KAGO_ROOT/$1" ] || fail "state dir $KAGO_ROOT/$1 left behind: $(ls -la "$KAGO_ROOT/$1")"
}

@test "caps: root gets exactly Docker's 14 capabilities, nothing inheritable or ambient" {
  sh_bundle 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status'
  update_config '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}
    | .process.noNewPrivileges = false' --argjson c "$DOCKER_CAPS"
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$(status_field CapBnd)" = 00000000a80425fb ]
  [ "$(status_field CapEff)" = 00000000a80425fb ]
  [ "$(status_field CapPrm)" = 00000000a80425fb ]
  [ "$(status_field CapInh)" = 0000000000000000 ]
  [ "$(status_field CapAmb)" = 0000000000000000 ]
  [ "$(status_field NoNewPrivs)" = 0 ]
}

@test "caps: a non-root user keeps only the ambient capabilities it was given" {
  sh_bundle 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status; id -u; id -g'
  update_config '.process.user = {uid: 1000, gid: 1000}
    | .process.capabilities = {bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        effective: ["CAP_NET_BIND_SERVICE"], permitted: ["CAP_NET_BIND_SERVICE"],
        inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"]}'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$(status_field CapBnd)" = 0000000000000421 ]
  [ "$(status_field CapEff)" = 0000000000000400 ]
  [ "$(status_field CapPrm)" = 0000000000000400 ]
  [ "$(status_field CapInh)" = 0000000000000400 ]
  [ "$(status_field CapAmb)" = 0000000000000400 ]
  [ "$(status_field NoNewPrivs)" = 1 ]
  [ "${lines[6]}" = 1000 ]
  [ "${lines[7]}" = 1000 ]
}

@test "caps: a non-root user without ambient capabilities has none in effect" {
  sh_bundle 'grep -E "^Cap" /proc/self/status'
  update_config '.process.user = {uid: 1000, gid: 1000}
    | .process.capabilities = {bounding: $c, effective: [], permitted: []}' --argjson c "$DOCKER_CAPS"
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$(status_field CapBnd)" = 00000000a80425fb ]
  [ "$(status_field CapEff)" = 0000000000000000 ]
  [ "$(status_field CapPrm)" = 0000000000000000 ]
  [ "$(status_field CapInh)" = 0000000000000000 ]
  [ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "caps: ambient without inheritable (runc 1.1's spec) runs, with nothing ambient" {
  sh_bundle 'grep -E "^Cap(Inh|Amb)" /proc/self/status'
  update_config '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"],
    permitted: ["CAP_KILL"], ambient: ["CAP_KILL"]}'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$(status_field CapInh)" = 0000000000000000 ]
  [ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "caps: an unknown capability fails with a clear error and leaves no state" {
  # kago refuses a name it does not know (a typo must not pass silently);
  # runc >= 1.1 warns and ignores it.
  is_kago || skip "runc ignores unknown capabilities with a warning"
  make_bundle '["true"]'
  update_config '.process.capabilities.bounding += ["CAP_FOO"]'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *'process.capabilities.bounding: unknown capability "CAP_FOO"'* ]]
  no_state_left "$CID"
}

@test "no_new_privs: follows process.noNewPrivileges" {
  sh_bundle 'grep NoNewPrivs /proc/self/status'
  update_config '.process.noNewPrivileges = true'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$(status_field NoNewPrivs)" = 1 ]
  update_config '.process.noNewPrivileges = false'
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "$(status_field NoNewPrivs)" = 0 ]
}

@test "rlimits: set as configured, seen in /proc/self/limits" {
  sh_bundle 'grep -E "^Max (open files|core file size|processes)" /proc/self/limits'
  update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1234, hard: 5678},
    {type: "RLIMIT_CORE", soft: 0, hard: 0}, {type: "RLIMIT_NPROC", soft: 500, hard: 600}]'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"Max open files            1234                 5678                 files"* ]]
  [[ "$output" == *"Max core file size        0                    0                    bytes"* ]]
  [[ "$output" == *"Max processes             500                  600                  processes"* ]]
}

@test "rlimits: a hard limit above the host's fails clearly and leaves no state" {
  local hard
  hard="$(ulimit -Hn)"
  [ "$hard" != unlimited ] || skip "no hard nofile limit on this host"
  # Only meaningful when we cannot raise it (no CAP_SYS_RESOURCE, as here).
  if grep -q '^CapEff:' /proc/self/status && (($(printf '%d' "0x$(awk '/^CapEff:/ {print $2}' /proc/self/status)") & (1 << 24))); then
    skip "the runtime holds CAP_SYS_RESOURCE and may raise the hard limit"
  fi
  local want=$((hard + 10000))
  make_bundle '["true"]'
  update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: $n, hard: $n}]' --argjson n "$want"
  kago_fails run --bundle "$BUNDLE" "$CID"
  if is_kago; then
    [[ "$output" == *"setrlimit RLIMIT_NOFILE (soft $want, hard $want): Operation not permitted"* ]]
  fi
  no_state_left "$CID"
}

@test "user: numeric uid 1 is uid 1, with its gid and additional groups (CVE-2026-30892)" {
  sh_bundle 'id -u; id -g; id -G; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
  update_config '.process.user = {uid: 1, gid: 1, additionalGids: [10, 20]}'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = 1 ]
  [ "$(printf '%s\n' "$output" | awk '$1 == "Uid:" { print $2, $3, $4, $5 }')" = "1 1 1 1" ]
  [ "$(printf '%s\n' "$output" | awk '$1 == "Gid:" { print $2, $3, $4, $5 }')" = "1 1 1 1" ]
  [ "$(printf '%s\n' "$output" | awk '$1 == "Groups:" { $1 = ""; print }' | xargs)" = "10 20" ]
}

@test "user: umask from process.user.umask, 0022 by default" {
  sh_bundle 'umask'
  update_config '.process.user.umask = 23'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$output" = 0027 ]
  update_config 'del(.process.user.umask)'
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "$output" = 0022 ]
}

@test "oom_score_adj: set on the container process" {
  sh_bundle 'cat /proc/self/oom_score_adj'
  update_config '.process.oomScoreAdj = 123'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "$output" = 123 ]
}

@test "sysctl: namespaced net and ipc values are applied" {
  sh_bundle 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ping_group_range'
  update_config '.linux.sysctl = {"net.ipv4.ip_unprivileged_port_start": "0", "kernel.shmmni": "1234",
    "net.ipv4.ping_group_range": "0 2147483647"}'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 1234 ]
  [ "$(echo ${lines[2]})" = "0 2147483647" ]
  # The host's values are untouched.
  [ "$(cat /proc/sys/kernel/shmmni)" != 1234 ] || [ "$(cat /proc/sys/kernel/shmmni)" = 4096 ]
}

@test "sysctl: a sysctl outside the container's namespaces fails and leaves no state" {
  make_bundle '["true"]'
  update_config '.linux.sysctl = {"vm.swappiness": "10"}'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *'vm.swappiness'*'is not in a separate kernel namespace'* ]]
  no_state_left "$CID"

  update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
  kago_fails run --bundle "$BUNDLE" "$(new_id)"
  [[ "$output" == *'net.ipv4.ip_forward'* ]]
  [[ "$output" == *'host'* ]]
}

@test "seccomp: an ERRNO rule makes mkdir fail with Operation not permitted, other calls work" {
  sh_bundle 'echo pid=$$; mkdir /dev/shm/blocked; echo rc=$?'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[1]}" = rc=0 ] || fail "mkdir should work without seccomp: $output"

  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "${lines[0]}" = pid=1 ]
  [[ "$output" == *"Operation not permitted"* ]]
  [ "${lines[-1]}" = rc=1 ]
}

@test "seccomp: errnoRet and argument filters (MASKED_EQ) are honoured" {
  # personality(0xffffffff) queries; allow only that, refuse any other value.
  sh_bundle 'mkdir /dev/shm/x; echo rc=$?; uname -m'
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [
    {names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28},
    {names: ["uname"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
     args: [{index: 0, value: 0, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ"}]}]}'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"No space left on device"* ]]
  [[ "$output" == *"rc=1"* ]]
  # arg0 & 0 == 0 always matches: uname fails
  [[ "$output" != *x86_64* ]]
}

@test "seccomp: KILL_PROCESS kills the container process with SIGSYS" {
  sh_bundle 'echo before; exec mkdir /dev/shm/x'
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL_PROCESS"}]}'
  run_kago run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq $((128 + 31)) ]
  [ "$output" = before ]
}

@test "seccomp: a malformed rule fails with an error naming it and leaves no state" {
  make_bundle '["true"]'
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [
    {names: ["read"], action: "SCMP_ACT_ERRNO"}, {names: ["write"], action: "SCMP_ACT_FOO"}]}'
  kago_fails run --bundle "$BUNDLE" "$CID"
  if is_kago; then
    [[ "$output" == *'linux.seccomp.syscalls[1]: unknown action "SCMP_ACT_FOO"'* ]]
  fi
  no_state_left "$CID"
}

@test "personality: LINUX32 makes uname -m say i686" {
  [ "$(uname -m)" = x86_64 ] || skip "x86_64 host only"
  make_bundle '["uname", "-m"]'
  update_config '.linux.personality = {domain: "LINUX32"}'
  kago_ok run --bundle "$BUNDLE" "$CID"
  if ! is_kago && [ "$output" = x86_64 ]; then
    skip "this runtime ignores linux.personality (runc < 1.2)"
  fi
  [ "$output" = i686 ]
  update_config '.linux.personality = {domain: "LINUX"}'
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  [ "$output" = x86_64 ]
}

@test "lsm: an AppArmor profile on a host without AppArmor fails clearly and leaves no state" {
  [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || skip "AppArmor is enabled here"
  make_bundle '["true"]'
  update_config '.process.apparmorProfile = "kago-test-profile"'
  kago_fails run --bundle "$BUNDLE" "$CID"
  if is_kago; then
    [[ "$output" == *'process.apparmorProfile "kago-test-profile": AppArmor is not enabled on this host'* ]]
  fi
  no_state_left "$CID"
}

@test "lsm: an SELinux label on a host without SELinux fails clearly and leaves no state" {
  [ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled here"
  make_bundle '["true"]'
  update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"'
  kago_fails run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *[Ss][Ee][Ll]inux* ]]
  if is_kago; then
    [[ "$output" == *'process.selinuxLabel "system_u:system_r:container_t:s0:c1,c2": SELinux is not enabled on this host'* ]]
  fi
  no_state_left "$CID"
}

@test "terminal: the console is a pty from the container's devpts, with the configured size" {
  [ -x "$REPO/build/tests/helpers/recvtty" ] || skip "no recvtty helper"
  make_bundle '["sh", "-c", "tty; stty size; readlink /proc/self/fd/0; ls -l /dev/console"]'
  update_config '.process.terminal = true | .process.consoleSize = {"height": 25, "width": 132}'
  start_recvtty
  kago_create "$CID" --console-socket "$TEST_DIR/tty.sock"
  kago_ok start "$CID"
  wait_for_status "$CID" stopped
  wait $RECVTTY_PID || true
  run tr -d '\r' <"$TEST_DIR/tty.out"
  [[ "${lines[0]}" == /dev/pts/* ]] || fail "tty: ${lines[0]}"
  [ "${lines[1]}" = "25 132" ]
  [[ "${lines[2]}" == /dev/pts/* ]]
  # /dev/console is the same pty (bound onto it), a character device 136:N
  [[ "${lines[3]}" == c* ]] || fail "/dev/console: ${lines[3]}"
  [[ "${lines[3]}" == *" 136, "* ]] || fail "/dev/console: ${lines[3]}"
}

@test "exec: --user 1 runs as uid 1, not root (CVE-2026-30892), and --cap adds to the exec's sets" {
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  kago_ok start "$CID"
  kago_ok exec --user 1:1 "$CID" sh -c 'id -u; id -g; grep -E "^Cap(Eff|Prm)" /proc/self/status'
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = 1 ]
  kago_ok exec --user 0:0 "$CID" id -u
  [ "$output" = 0 ]
  kago_ok exec --cap CAP_SYS_ADMIN "$CID" grep -E "^CapBnd" /proc/self/status
  # CAP_SYS_ADMIN is bit 21
  (( (0x$(awk '{print $2}' <<<"$output") >> 21) & 1 )) || fail "CAP_SYS_ADMIN not in the exec's bounding set: $output"
}
