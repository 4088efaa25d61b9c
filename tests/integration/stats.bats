#!/usr/bin/env bats
# kago stats and kago top on real engine containers (seed 000's `docker
# stats` table, its --memory=256mb limit shown as 268.4MB; docker top), in the
# test's own engine root ($IMG_ROOT) with busybox:latest imported from the
# busybox-static rootfs.  Skipped until `kago run` exists.

load helpers

setup() {
  kago_setup
  IMG_ROOT="$TEST_DIR/store"
  [ -x "$KAGO_BIN" ] || fail "$KAGO_BIN not built" || return 1
  if "$KAGO_BIN" --root "$IMG_ROOT" run --help 2>&1 | grep -q 'unknown command'; then
    skip "kago run is not there yet"
  fi
  make_bundle
  tar -C "$BUNDLE/rootfs" -cf "$TEST_DIR/rootfs.tar" .
  kimg_ok import "$TEST_DIR/rootfs.tar" busybox:latest
}

teardown() {
  if [ -n "${IMG_ROOT:-}" ] && [ -d "$IMG_ROOT" ]; then
    local ids
    ids="$(kimg ps -aq --no-trunc 2>/dev/null || true)"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || kimg rm -f $ids >/dev/null 2>&1 || true
  fi
  kago_teardown
}

# A detached container; its monitor must not hold bats' fd 3.
run_d() {
  kimg_ok run -d --network none "$@" 3>&-
}

# go-units HumanSize of N bytes: decimal steps, 4 significant digits.
human() {
  awk -v n="$1" 'BEGIN { split("B kB MB GB TB PB EB", u, " "); i = 1
    while (n >= 1000 && i < 7) { n /= 1000; i++ }
    printf "%.4g%s\n", n, u[i] }'
}

SIZE='[0-9.]+(B|kB|MB|GB)'
HEADER='^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$'

@test "stats --no-stream: seed 000's table, the host's memory as the limit, --memory=256mb as 268.4MB" {
  run_d --name st-idle busybox sleep 1000
  run_d --name st-mem --memory=256mb busybox sleep 1000
  run_d --name st-gone busybox true
  total="$(human "$(awk '/^MemTotal:/ { printf "%.0f\n", $2 * 1024 }' /proc/meminfo)")"

  kimg_ok stats --no-stream
  [[ "${lines[0]}" =~ $HEADER ]] || fail "header: ${lines[0]}"
  [ "${#lines[@]}" -eq 3 ] || fail "not two rows (the exited container must not show): $output"
  row="$(printf '%s\n' "$output" | grep ' st-mem ')" || fail "no st-mem row: $output"
  [[ "$row" =~ ^[0-9a-f]{12}\ +st-mem\ +[0-9]+\.[0-9]{2}%\ +$SIZE\ /\ 268\.4MB\ +[0-9]+\.[0-9]{2}%\ +0B\ /\ 0B\ +$SIZE\ /\ $SIZE\ +1$ ]] ||
    fail "st-mem row: $row"
  row="$(printf '%s\n' "$output" | grep ' st-idle ')" || fail "no st-idle row: $output"
  [[ "$row" == *" / $total "* ]] || fail "st-idle's limit is not MemTotal ($total): $row"

  # Names select, in the order given.
  kimg_ok stats --no-stream st-mem st-idle
  [ "${#lines[@]}" -eq 3 ] && [[ "${lines[1]}" == *" st-mem "* ]] && [[ "${lines[2]}" == *" st-idle "* ]] ||
    fail "named rows: $output"
}

@test "stats: CPU % of a busy container is counted over an interval" {
  run_d --name st-busy busybox sh -c 'while :; do :; done'
  kimg_ok stats --no-stream --format '{{.CPUPerc}}' st-busy
  pct="${output%\%}"
  [[ "$pct" =~ ^[0-9]+\.[0-9]{2}$ ]] || fail "CPU %: $output"
  awk -v p="$pct" 'BEGIN { exit !(p >= 40 && p <= 205) }' || fail "a busy loop at $pct%, not about one cpu"
}

@test "stats --format: json, table templates, --no-trunc" {
  run_d --name st-fmt busybox sleep 1000
  id="$(kimg inspect -f '{{.Id}}' st-fmt)"
  kimg_ok stats --no-stream --format json st-fmt
  printf '%s' "$output" | jq -e --arg id "${id:0:12}" '
    (keys == ["BlockIO","CPUPerc","Container","ID","MemPerc","MemUsage","Name","NetIO","PIDs"])
    and .Container == "st-fmt" and .Name == "st-fmt" and .ID == $id and .PIDs == "1"
    and .NetIO == "0B / 0B"' >/dev/null || fail "json: $output"
  [ "$(printf '%s' "$output" | head -c 11)" = '{"BlockIO":' ] || fail "keys not in docker's order: $output"

  kimg_ok stats --no-stream --format 'table {{.Name}}\t{{.PIDs}}' st-fmt
  [[ "${lines[0]}" =~ ^NAME\ +PIDS$ ]] && [[ "${lines[1]}" =~ ^st-fmt\ +1$ ]] || fail "table template: $output"

  kimg_ok stats --no-stream --no-trunc --format '{{.ID}} {{.Container}}' "${id:0:8}"
  [ "$output" = "$id ${id:0:8}" ] || fail "--no-trunc / Container as given: $output"

  kimg_fails stats --no-stream --format '{{.Nope}}' st-fmt
}

@test "stats: a missing name is an error; a stopped container shows --; -a lists it" {
  kimg_fails stats --no-stream st-nosuch
  [ "$status" -eq 1 ] && [ "$output" = "kago: No such container: st-nosuch" ] || fail "missing name: $output"

  run_d --name st-stop busybox sleep 1000
  kimg_ok stop -t 1 st-stop
  kimg_ok stats --no-stream st-stop
  [[ "${lines[1]}" =~ st-stop\ +--\ +--\ /\ --\ +--\ +--\ +--\ +--$ ]] || fail "stopped row: ${lines[1]}"
  kimg_ok stats --no-stream
  [ "${#lines[@]}" -eq 1 ] || fail "a stopped container listed without -a: $output"
  kimg_ok stats --no-stream -a
  [ "${#lines[@]}" -eq 2 ] && [[ "${lines[1]}" == *" st-stop "* ]] || fail "-a: $output"
}

@test "stats without --no-stream prints a table every second, without escapes when not on a terminal" {
  run_d --name st-live busybox sleep 1000
  out="$(timeout 3.5 "$KAGO_BIN" --root "$IMG_ROOT" stats st-live || true)"
  n="$(printf '%s\n' "$out" | grep -c '^CONTAINER ID')"
  [ "$n" -ge 2 ] || fail "$n tables in 3.5 s: $out"
  [[ "$out" != *$'\033'* ]] || fail "escape sequences on a pipe"
  out="$(timeout 2.5 script -qc "$KAGO_BIN --root $IMG_ROOT stats st-live" /dev/null || true)"
  [[ "$out" == *$'\033[2J\033[H'* ]] || fail "no clear screen on a terminal: $out"
}

@test "top: ps -ef rows of the container, ps options, errors" {
  run_d --name st-top busybox sh -c 'sleep 1000 & sleep 1001'
  kimg_ok top st-top
  [[ "${lines[0]}" =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD$ ]] || fail "header: ${lines[0]}"
  # sh execs its last command: the init is "sleep 1001", its child "sleep 1000".
  [ "${#lines[@]}" -eq 3 ] || fail "not the 2 processes: $output"
  [[ "$output" == *"sleep 1000"* ]] && [[ "$output" == *"sleep 1001"* ]] || fail "rows: $output"
  pid="$(kimg inspect -f '{{.State.Pid}}' st-top)"
  [[ "${lines[1]}" =~ ^root\ +$pid\  ]] || fail "the init first: ${lines[1]}"

  kimg_ok top st-top -o pid,args
  [[ "${lines[0]}" =~ ^PID\ +COMMAND$ ]] && [ "${#lines[@]}" -eq 3 ] || fail "-o pid,args: $output"

  kimg_fails top st-top -o user=PID
  [[ "$output" == *'specifying "user=PID" is not allowed'* ]] || fail "user=PID: $output"
  kimg_fails top st-nosuch
  [ "$output" = "kago: No such container: st-nosuch" ] || fail "missing: $output"
  kimg_ok stop -t 1 st-top
  kimg_fails top st-top
  [[ "$output" == *"is not running"* ]] || fail "stopped: $output"
}
