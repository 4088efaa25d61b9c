#!/usr/bin/env bats
# The embedded resolver (src/engine/network/dns.h) through its test helper
# (`nettool dns-serve`), as a container's monitor will run it: the process
# in a "host" namespace H, its socket at 127.0.0.11:53 in a "container"
# namespace C (kago_dns_listen_netns), queried there with busybox nslookup.
# Unknown names go to a fake upstream, another `nettool dns-serve` on H's
# loopback, which C itself cannot reach: only the resolver's own sockets,
# made in H, can.  Both namespaces are the test's and deleted in teardown;
# nothing touches the machine's network.  Starts no container and does not
# `load helpers`.

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
NETTOOL="${KAGO_NETTOOL:-$REPO/build/tests/helpers/nettool}"

setup() {
  [ -x "$NETTOOL" ] || skip "build/tests/helpers/nettool is not built"
  command -v busybox >/dev/null || skip "busybox is not installed"
  H="kago-test-$$-${BATS_TEST_NUMBER}-h"
  C="kago-test-$$-${BATS_TEST_NUMBER}-c"
  PIDS=()
  for ns in "$H" "$C"; do
    ip netns add "$ns"
  done
  ip netns exec "$H" ip link set lo up
}

teardown() {
  local p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  for ns in "$H" "$C"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  ! ip netns list | grep -q "^kago-test-$$-${BATS_TEST_NUMBER}-"
}

# `serve NAME NETNS ARGS...`: nettool ARGS in NETNS, in the background (its
# pid in PIDS and in $NAME_pid), once it says "ready".
serve() {
  local name="$1" ns="$2" out="$BATS_TEST_TMPDIR/$1.out"
  shift 2
  ip netns exec "$ns" "$NETTOOL" "$@" >"$out" 2>&1 3>&- &
  local pid=$!
  PIDS+=("$pid")
  printf -v "${name}_pid" %s "$pid"
  for _ in $(seq 100); do
    grep -q '^ready$' "$out" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "nettool $* did not start:" >&2
  cat "$out" >&2
  return 1
}

# nslookup in the container namespace, at the resolver.
lookup() {
  run ip netns exec "$C" timeout 20 busybox nslookup "$1" 127.0.0.11
  echo "$output"
}

# The resolver of C with the name table of these tests, forwarding to
# 127.0.0.1:5353 in H.
serve_ctr() {
  serve res "$H" -n "/run/netns/$C" dns-serve -u 127.0.0.1:5353 -t 500 "$@" \
    web=10.0.0.2,10.0.0.3 db-alias=10.0.0.2 db=10.0.0.4
}

@test "container names, aliases and reverse lookups are answered at 127.0.0.11" {
  ip netns exec "$C" ip link set lo up
  serve_ctr
  lookup web
  [ "$status" -eq 0 ]
  [ "$(grep -c '^Address: ' <<<"$output")" -eq 2 ]
  grep -q '^Address: 10.0.0.2$' <<<"$output"
  grep -q '^Address: 10.0.0.3$' <<<"$output"
  # AAAA of a container: an empty answer, not an error.
  ! grep -q "server can't find" <<<"$output"

  lookup db-alias
  [ "$status" -eq 0 ]
  [ "$(grep '^Address: ' <<<"$output")" = "Address: 10.0.0.2" ]

  # Case and the trailing dot do not matter.
  lookup DB.
  [ "$status" -eq 0 ]
  [ "$(grep '^Address: ' <<<"$output")" = "Address: 10.0.0.4" ]

  lookup 10.0.0.4
  [ "$status" -eq 0 ]
  grep -q '4.0.0.10.in-addr.arpa.*name = db$' <<<"$output"
}

@test "other names are forwarded to the upstream, from the host namespace" {
  ip netns exec "$C" ip link set lo up
  serve up "$H" dns-serve -l 127.0.0.1:5353 outside.example=192.0.2.7
  serve_ctr
  # The container itself cannot reach the upstream.
  run ip netns exec "$C" timeout 10 busybox nslookup outside.example 127.0.0.1:5353
  [ "$status" -ne 0 ]

  lookup outside.example
  [ "$status" -eq 0 ]
  [ "$(grep '^Address: ' <<<"$output")" = "Address: 192.0.2.7" ]

  # Unknown to the upstream too: its SERVFAIL is relayed.
  lookup nowhere.example
  [ "$status" -ne 0 ]
  grep -q "server can't find nowhere.example: SERVFAIL" <<<"$output"

  # Container names are never asked of the upstream: with it gone they
  # still resolve, and a forwarded name fails after the timeout.
  kill "$up_pid"
  wait "$up_pid"
  lookup web
  [ "$status" -eq 0 ]
  grep -q '^Address: 10.0.0.3$' <<<"$output"
  lookup outside.example
  [ "$status" -ne 0 ]
  grep -q "SERVFAIL" <<<"$output"
}

# A query over TCP to 127.0.0.11:53 from the container namespace (busybox
# nslookup has no TCP): `tcp_query NAME` prints the rcode and the A records.
tcp_query() {
  ip netns exec "$C" python3 - "$1" <<'PY'
import socket, struct, sys
name = sys.argv[1]
q = struct.pack(">HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.create_connection(("127.0.0.11", 53), timeout=10)
s.sendall(struct.pack(">H", len(q)) + q)
def read(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("connection closed")
        b += c
    return b
a = read(struct.unpack(">H", read(2))[0])
ident, flags, qd, an = struct.unpack(">HHHH", a[:8])
assert ident == 0x5151, ident
print("rcode", flags & 15)
off = len(q)
for _ in range(an):
    typ, cls, ttl, rdlen = struct.unpack(">HHIH", a[off + 2 : off + 12])
    if typ == 1:
        print("A", socket.inet_ntoa(a[off + 12 : off + 16]))
    off += 12 + rdlen
PY
}

@test "over TCP too, forwarded over TCP" {
  command -v python3 >/dev/null || skip "python3 is not installed"
  ip netns exec "$C" ip link set lo up
  serve up "$H" dns-serve -l 127.0.0.1:5353 outside.example=192.0.2.9
  serve_ctr
  run tcp_query web
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'rcode 0\nA 10.0.0.2\nA 10.0.0.3')" ]
  run tcp_query outside.example
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'rcode 0\nA 192.0.2.9')" ]
  run tcp_query nowhere.example
  [ "$status" -eq 0 ]
  [ "$output" = "rcode 2" ]
}

@test "the upstreams of a resolv.conf; IPv6 ones are skipped" {
  ip netns exec "$C" ip link set lo up
  serve up "$H" dns-serve -l 127.0.0.1:53 outside.example=192.0.2.8
  printf '# test\nsearch example\nnameserver ::1\nnameserver 127.0.0.1\noptions ndots:0\n' \
    >"$BATS_TEST_TMPDIR/resolv.conf"
  serve res "$H" -n "/run/netns/$C" dns-serve -r "$BATS_TEST_TMPDIR/resolv.conf" web=10.0.0.2
  grep -q "1 nameserver(s) of .* skipped (IPv6)" "$BATS_TEST_TMPDIR/res.out"
  lookup outside.example
  [ "$status" -eq 0 ]
  [ "$(grep '^Address: ' <<<"$output")" = "Address: 192.0.2.8" ]
}

@test "the socket can be made before lo is up; without upstreams, SERVFAIL; SIGTERM stops it" {
  # Answers still come from 127.0.0.11 (a socket bound before lo is up
  # would send from 127.0.0.1 without IP_PKTINFO; nslookup drops those).
  serve res "$H" -n "/run/netns/$C" dns-serve web=10.0.0.2
  ip netns exec "$C" ip link set lo up
  lookup web
  [ "$status" -eq 0 ]
  grep -q '^Address: 10.0.0.2$' <<<"$output"
  lookup outside.example
  [ "$status" -ne 0 ]
  grep -q "SERVFAIL" <<<"$output"
  # It stops on SIGTERM (status 0), and its socket goes with it.
  kill "$res_pid"
  wait "$res_pid"
  run ip netns exec "$C" timeout 10 busybox nslookup web 127.0.0.11
  [ "$status" -ne 0 ]
}

@test "dns-serve reports a bad namespace" {
  run "$NETTOOL" -n /nonexistent dns-serve web=10.0.0.2
  [ "$status" -eq 1 ]
  [[ "$output" == "nettool: open /nonexistent"* ]]
}
