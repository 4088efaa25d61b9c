#!/usr/bin/env bats
# The hardening suite: tests/helpers/probe (static, built with the project)
# is bind-mounted into containers and reports what a process there can do.
# With Docker's defaults (14 capabilities, masked and read-only paths, no
# host fds) the checks come out confined; a negative control (all
# capabilities, nothing masked, writable /proc/sys and /sys) shows the same
# checks flip, so none of them can pass by accident.

load helpers

PROBE="$REPO/build/tests/helpers/probe"

DOCKER_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW",
  "CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT",
  "CAP_KILL","CAP_AUDIT_WRITE"]'

# probe_run [JQ-EXPR]: run the probe in a container of the default bundle
# with the edit applied; its key=value lines land in PROBE_OUT.
probe_run() { # [jq-expr [jq args...]]
  [ -x "$PROBE" ] || fail "$PROBE not built" || return 1
  local expr="${1:-.}"
  shift || true
  make_bundle '["/probe"]'
  update_config '.mounts += [{"destination": "/probe", "type": "bind", "source": $p, "options": ["bind", "ro"]}]
    | .process.capabilities = {"bounding": $c, "effective": $c, "permitted": $c}
    | .process.noNewPrivileges = false
    | '"$expr" --arg p "$PROBE" --argjson c "$DOCKER_CAPS" "$@"
  # An extra fd open in the runtime's caller must not reach the container.
  exec 7</etc/hostname
  kago_ok run --bundle "$BUNDLE" "$CID"
  exec 7<&-
  PROBE_OUT="$output"
}

val() { # key
  sed -n "s|^$1=||p" <<<"$PROBE_OUT" | head -n 1
}

expect() { # key value
  local got
  got="$(val "$1")"
  [ "$got" = "$2" ] || fail "$1: expected '$2', got '$got'"
}

# Every capability this kernel has and this test holds (these hosts lack
# CAP_SYS_RESOURCE), as a JSON array of names.
all_caps_json() {
  local names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
    NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
    SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
    AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
    PERFMON BPF CHECKPOINT_RESTORE)
  local last i out="" held
  last="$(cat /proc/sys/kernel/cap_last_cap)"
  held="$((16#$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)))"
  for ((i = 0; i <= last && i < ${#names[@]}; i++)); do
    ((held >> i & 1)) || continue
    out="$out${out:+,}\"CAP_${names[$i]}\""
  done
  echo "[$out]"
}

@test "hardening: Docker's default capabilities, masked and read-only paths, no stray fds" {
  probe_run
  expect cap_eff 00000000a80425fb
  expect cap_prm 00000000a80425fb
  expect cap_bnd 00000000a80425fb
  expect cap_inh 0000000000000000
  expect cap_amb 0000000000000000
  expect nnp 0
  # Without CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_BOOT the kernel refuses.
  expect sys.mount EPERM
  expect sys.unshare_mnt EPERM
  expect sys.setns EPERM
  expect sys.reboot EPERM
  expect sys.swapon EPERM
  for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do
    v="$(val "masked.$p")"
    [ "$v" = null ] || [ "$v" = absent ] || fail "$p is $v, not masked"
  done
  for p in /proc/acpi /proc/scsi /sys/firmware; do
    v="$(val "masked.$p")"
    [ "$v" = empty ] || [ "$v" = absent ] || fail "$p is $v, not masked"
  done
  expect write.proc_sys EROFS
  v="$(val write.proc_sysrq)"
  [ "$v" = EROFS ] || [ "$v" = ENOENT ] || fail "/proc/sysrq-trigger: $v"
  v="$(val write.sys)"
  [ "$v" = EROFS ] || [ "$v" = ENOENT ] || fail "/sys: $v"
  expect extra_fds 0
}

@test "hardening: the negative control flips every check" {
  probe_run '.process.capabilities = {"bounding": $all, "effective": $all, "permitted": $all}
    | .linux.maskedPaths = [] | .linux.readonlyPaths = []
    | (.mounts[] | select(.destination == "/sys")).options |= map(select(. != "ro"))' \
    --argjson all "$(all_caps_json)"
  [ "$(val cap_eff)" != 00000000a80425fb ] || fail "all capabilities did not reach the container"
  expect sys.mount OK
  expect sys.unshare_mnt OK
  expect sys.setns OK
  v="$(val sys.reboot)"
  [ "$v" = EINVAL ] || fail "reboot with CAP_SYS_BOOT: $v"
  expect write.proc_sys OK
  v="$(val masked./proc/keys)"
  [ "$v" = visible ] || fail "/proc/keys is $v with no maskedPaths"
}

@test "hardening: kago's default seccomp profile blocks what Docker's does (and the control does not)" {
  "$REPO/build/kago" seccomp default >"$TEST_DIR/seccomp.json"
  probe_run '.linux.seccomp = $s[0]' --slurpfile s "$TEST_DIR/seccomp.json"
  PROBE_OUT_CONFINED="$PROBE_OUT"
  expect seccomp 2
  expect seccomp_filters 1
  # Blocked by the profile (EPERM) even where the kernel would answer
  # otherwise (keyctl works and bpf says EINVAL without a filter).
  expect sys.keyctl EPERM
  expect sys.bpf EPERM
  expect sys.unshare_user EPERM
  expect sys.mount EPERM
  expect sys.personality EPERM
  # CVE-2022-0492: no new user namespace to mount cgroupfs in, and the
  # container's view of the hierarchies is read-only without release_agent.
  v="$(val write.release_agent)"
  [ "$v" = ENOENT ] || [ "$v" = EROFS ] || fail "release_agent: $v"
  v="$(val mkdir.cgroup)"
  [ "$v" = EROFS ] || [ "$v" = ENOENT ] || fail "mkdir in /sys/fs/cgroup/memory: $v"

  # The control: the same container without the profile.
  probe_run
  expect seccomp 0
  expect sys.keyctl OK
  expect sys.bpf EINVAL
  expect sys.unshare_user OK
  expect sys.personality OK
}

# CVE-2016-9962: a process of the runtime that has entered the container is
# non-dumpable until its execve, so nothing without CAP_SYS_PTRACE over the
# host can ptrace it, or read its memory or fds.  Checked with the probe's
# PTRACE_ATTACH from a root shell without CAP_SYS_PTRACE (the container's
# root has none by default); the target's capabilities are a subset of the
# caller's, so only its dumpability can refuse the attach.
attach_without_ptrace_cap() { # pid
  setpriv --bounding-set -sys_ptrace "$PROBE" attach "$1"
}

@test "CVE-2016-9962: the init (waiting for start) and an exec child (before its execve) cannot be ptraced" {
  requires_cmd setpriv strace
  make_bundle '["sleep", "100"]'
  kago_create "$CID"
  pid="$(container_pid "$CID")"
  # The control: a dumpable process with no capabilities can be attached.
  setpriv --bounding-set -all sleep 30 &
  ctl=$!
  sleep 0.2
  [ "$(attach_without_ptrace_cap "$ctl")" = OK ] || fail "the control is not attachable: the check is broken"
  kill "$ctl"
  [ "$(attach_without_ptrace_cap "$pid")" = EPERM ] || fail "the init waiting for start can be ptraced"
  kago_ok start "$CID"

  # The exec child: hold it just before its execve (strace delays every
  # execve of the traced tree by 3 s: kago's own start, then the child's; the
  # sealed re-exec is execveat) and look at it meanwhile.
  strace -f -o /dev/null -e trace=execve -e inject=execve:delay_enter=3000000 \
    "$KAGO" --root "$KAGO_ROOT" exec "$CID" true </dev/null >/dev/null 2>&1 &
  spid=$!
  child=""
  for _ in $(seq 1 200); do
    for p in $(pgrep -f -- "exec $CID true"); do
      [ "$p" != "$spid" ] || continue
      # the exec child is the one in the container's pid namespace
      if [ "$(readlink /proc/$p/ns/pid)" = "$(readlink /proc/$pid/ns/pid)" ]; then
        child="$p"
      fi
    done
    [ -n "$child" ] && break
    sleep 0.05
  done
  [ -n "$child" ] || fail "no exec child seen in the container's pid namespace"
  # strace already traces it, so any attach is refused: ask the kernel's
  # dumpability through what needs the same ptrace access, following its fds
  # (the control's are followable).  And it is not the host binary either
  # (CVE-2019-5736).
  [[ "$(readlink /proc/$child/exe)" == /memfd:kago* ]] || fail "the exec child runs the host binary"
  setpriv --bounding-set -all sleep 30 &
  ctl=$!
  sleep 0.2
  setpriv --bounding-set -sys_ptrace readlink /proc/$ctl/fd/0 >/dev/null || fail "the control's fds cannot be followed"
  kill "$ctl"
  ! setpriv --bounding-set -sys_ptrace readlink /proc/$child/fd/0 >/dev/null 2>&1 ||
    fail "the exec child's fds can be followed without CAP_SYS_PTRACE"
  wait "$spid"
}
