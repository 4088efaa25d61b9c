#!/usr/bin/env bats
# The netlink library (src/engine/network/netlink.h) through its test helper
# (tests/helpers/nettool.c), on links in network namespaces each test makes
# and deletes: a "host" namespace with the bridge kt0 (10.99.0.1/24) and two
# "container" namespaces with an eth0 on it.  Nothing here touches the
# machine's own network; all traffic stays inside these namespaces.

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
NETTOOL="${KAGO_NETTOOL:-$REPO/build/tests/helpers/nettool}"

setup() {
  [ -x "$NETTOOL" ] || skip "build/tests/helpers/nettool is not built"
  H="kago-test-$$-${BATS_TEST_NUMBER}-h"
  A="kago-test-$$-${BATS_TEST_NUMBER}-a"
  B="kago-test-$$-${BATS_TEST_NUMBER}-b"
  for ns in "$H" "$A" "$B"; do
    ip netns add "$ns"
    # No IPv6: no router solicitations or DAD moving the counters.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  if command -v ping >/dev/null; then PING=(ping); else PING=(busybox ping); fi
}

teardown() {
  for ns in "$H" "$A" "$B"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  # Deleting a namespace takes its links with it; none of ours are left.
  ! ip netns list | grep -q "^kago-test-$$-${BATS_TEST_NUMBER}-"
}

fail() {
  echo "$*" >&2
  return 1
}

# nettool in namespace NS: `nt NS ARGS...`
nt() {
  local ns="$1"
  shift
  ip netns exec "$ns" "$NETTOOL" "$@"
}

# nettool on container namespace NS through a socket opened there, run from
# inside the test's host namespace as the engine will: `ntc NS ARGS...`
ntc() {
  local ns="$1"
  shift
  nt "$H" -n "/run/netns/$ns" "$@"
}

# The bridge, and a veth from it into each container namespace, set up in
# the order the engine will.
make_net() {
  nt "$H" bridge kt0 1400
  nt "$H" addr kt0 10.99.0.1/24
  nt "$H" up kt0
  local ns host addr
  for x in "A vA 10.99.0.2" "B vB 10.99.0.3"; do
    read -r ns host addr <<<"$x"
    ns="${!ns}"
    nt "$H" veth "$host" eth0 "/run/netns/$ns" 1400
    nt "$H" master "$host" kt0
    nt "$H" up "$host"
    ntc "$ns" addr eth0 "$addr/24"
    ntc "$ns" up lo
    ntc "$ns" up eth0
    ntc "$ns" route 10.99.0.1 eth0
  done
}

# ip's view of a counter: ip_counter NS DEV rx|tx
ip_counter() {
  ip -n "$1" -j -s link show "$2" | jq ".[0].stats64.$3.bytes"
}

@test "netlink: a bridge and two namespaces on veths reach each other" {
  make_net

  # The bridge and the host ends, as ip sees them.
  run ip -n "$H" -o link show kt0
  [[ "$output" == *"mtu 1400"* && "$output" == *",UP"* ]]
  for v in vA vB; do
    run ip -n "$H" -o link show "$v"
    [[ "$output" == *"master kt0"* && "$output" == *"mtu 1400"* ]]
  done
  run ip -n "$H" -o -4 addr show kt0
  [[ "$output" == *"inet 10.99.0.1/24 brd 10.99.0.255"* ]]
  # eth0 was made in the container namespaces, never in the host's.
  ! ip -n "$H" link show eth0 2>/dev/null
  for x in "A 10.99.0.2" "B 10.99.0.3"; do
    read -r ns addr <<<"$x"
    ns="${!ns}"
    run ip -n "$ns" -o link show eth0
    [[ "$output" == *"mtu 1400"* && "$output" == *"state UP"* ]]
    run ip -n "$ns" -o -4 addr show eth0
    [[ "$output" == *"inet $addr/24 brd 10.99.0.255"* ]]
    run ip -n "$ns" route show default
    [[ "$output" == "default via 10.99.0.1 dev eth0"* ]]
  done
  # nettool's own view: kinds, the bridge port, the interface index.
  run nt "$H" show vA
  [[ "$output" == "vA veth 1400 kt0 up "* ]]
  run nt "$H" ifindex kt0
  [ "$output" = "$(ip -n "$H" -j link show kt0 | jq '.[0].ifindex')" ]

  # Each namespace reaches the other and the gateway.
  ip netns exec "$A" "${PING[@]}" -c 2 -W 2 10.99.0.3
  ip netns exec "$B" "${PING[@]}" -c 2 -W 2 10.99.0.2
  ip netns exec "$A" "${PING[@]}" -c 1 -W 2 10.99.0.1
}

@test "netlink: per-interface byte counters grow with traffic and agree with ip's" {
  make_net
  read -r _ _ _ _ _ rx0 tx0 _ _ < <(ntc "$A" show eth0)
  ip netns exec "$A" "${PING[@]}" -c 5 -i 0.2 -s 1000 -W 2 10.99.0.3
  read -r _ _ _ _ _ rx1 tx1 rxp txp < <(ntc "$A" show eth0)
  # Five 1000-byte echo requests out, five replies in.
  [ $((tx1 - tx0)) -ge 5000 ]
  [ $((rx1 - rx0)) -ge 5000 ]
  [ "$txp" -ge 5 ] && [ "$rxp" -ge 5 ]
  # The same numbers as ip's (read before and after ours: an ARP packet may
  # pass in between).
  local before after ours
  before="$(ip_counter "$A" eth0 tx)"
  read -r _ _ _ _ _ _ ours _ _ < <(ntc "$A" show eth0)
  after="$(ip_counter "$A" eth0 tx)"
  [ "$before" -le "$ours" ] && [ "$ours" -le "$after" ]
  # The host end counts what eth0 sent as received.
  read -r _ _ _ _ _ hrx _ _ _ < <(nt "$H" show vA)
  [ "$hrx" -ge 5000 ]
}

@test "netlink: deleting the veths leaves nothing behind in any namespace" {
  make_net
  nt "$H" del vA
  nt "$H" del vB
  # Each container namespace has only its loopback again.
  for ns in "$A" "$B"; do
    run ntc "$ns" links
    [ "$status" -eq 0 ]
    [[ "$output" == "lo - 65536 - up "* ]]
    [ "${#lines[@]}" -eq 1 ]
  done
  run nt "$H" links
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[1]}" == "kt0 bridge 1400 - "* ]]
  nt "$H" del kt0
  run ip -n "$H" -o link show
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"lo:"* ]]
}

@test "netlink: MTU, down/up and leaving the bridge" {
  make_net
  nt "$H" mtu vA 1280
  run ip -n "$H" -o link show vA
  [[ "$output" == *"mtu 1280"* ]]
  nt "$H" down vA
  run nt "$H" show vA
  [[ "$output" == "vA veth 1280 kt0 down "* ]]
  nt "$H" master vA -
  run nt "$H" show vA
  [[ "$output" == "vA veth 1280 - down "* ]]
  run ip -n "$H" -o link show vA
  [[ "$output" != *"master"* ]]
}

@test "netlink: errors are clear and leave nothing half made" {
  make_net
  run nt "$H" bridge kt0 1400
  [ "$status" -eq 1 ]
  [ "$output" = "nettool: create bridge kt0: File exists" ]
  # A second eth0 in A: refused there, and no host end is left over.
  run nt "$H" veth vA2 eth0 "/run/netns/$A" 1400
  [ "$status" -eq 1 ]
  [[ "$output" == "nettool: create veth vA2 (peer eth0): "*"File exists" ]]
  ! ip -n "$H" link show vA2 2>/dev/null
  run nt "$H" del nope0
  [ "$status" -eq 1 ]
  [[ "$output" == "nettool: delete link nope0: "*"No such device" ]]
  run nt "$H" addr nope0 10.99.0.9/24
  [ "$output" = "nettool: no such link \`nope0\`: No such device" ]
  run nt "$H" master vA nope0
  [[ "$output" == "nettool: attach vA to nope0: no such link \`nope0\`: No such device" ]]
  # The kernel's own explanation comes through (extended ack).
  run ntc "$A" route 10.50.0.1 eth0
  [ "$status" -eq 1 ]
  [[ "$output" == "nettool: add default route via 10.50.0.1: "*"Network is unreachable" ]]
  run nt "$H" bridge this-name-is-too-long 1400
  [ "$output" = "nettool: invalid interface name \`this-name-is-too-long\`: Invalid argument" ]
  run nt "$H" addr kt0 10.99.0.1/24
  [[ "$output" == *"File exists" ]]
  # Not a network namespace: setns refuses it.
  run nt "$H" -n /dev/null links
  [ "$status" -eq 1 ]
  [[ "$output" == "nettool: join the network namespace (fd "*"): Invalid argument" ]]
  # Nothing new appeared in the host namespace.
  run nt "$H" links
  [ "${#lines[@]}" -eq 4 ]
}

@test "netlink: wait-gone sees a veth go with its peer's namespace, and times out on one that stays" {
  nt "$H" bridge kt0 1500
  # A namespace held only by a process: when it exits the kernel destroys
  # the namespace, and the veth with it, without any delete request.
  unshare --net sleep 60 &
  local holder=$!
  for _ in $(seq 50); do
    [ "$(readlink "/proc/$holder/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
    sleep 0.05
  done
  nt "$H" veth vC eth0 "/proc/$holder/ns/net" 1500
  # Still there: "present" after the timeout.
  local t0 t1
  t0="$(date +%s%N)"
  run nt "$H" wait-gone vC 300
  t1="$(date +%s%N)"
  [ "$status" -eq 0 ] && [ "$output" = present ] || fail "vC: $output"
  [ $(((t1 - t0) / 1000000)) -ge 300 ] || fail "returned after $(((t1 - t0) / 1000000)) ms"
  kill -9 "$holder"
  wait "$holder" 2>/dev/null || true
  t0="$(date +%s%N)"
  run nt "$H" wait-gone vC 5000
  t1="$(date +%s%N)"
  [ "$status" -eq 0 ] && [ "$output" = gone ] || fail "vC: $output"
  echo "# gone after $(((t1 - t0) / 1000000)) ms"
  [ $(((t1 - t0) / 1000000)) -lt 5000 ]
  run nt "$H" links
  [ "${#lines[@]}" -eq 2 ] || fail "$output"
  # A link that never existed is gone at once.
  run nt "$H" wait-gone nosuch 5000
  [ "$output" = gone ]
}
