# The test network of network.bats, networks.bats and ports.bats: the
# engine runs inside a "host" network namespace $H each test creates
# (entered with nsenter, not `ip netns exec`, so that the mounts and /sys
# stay the machine's), with a second namespace $O, the "outside", that
# outside_host connects to it (H 10.200.0.1, O 10.200.0.2).  Both are
# deleted in teardown, whatever happened; nothing touches the machine's own
# network and all traffic stays between these namespaces.  A background
# process a test starts goes in HTTPD_PID (killed in teardown).

netns_setup() {
  kago_setup
  H="kago-test-$$-${BATS_TEST_NUMBER}-h"
  O="kago-test-$$-${BATS_TEST_NUMBER}-o"
  IMG_ROOT="$TEST_DIR/store"
  ip netns add "$H"
  ip netns add "$O"
  for ns in "$H" "$O"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  make_bundle
  tar -C "$BUNDLE/rootfs" -cf "$TEST_DIR/rootfs.tar" .
  kn_ok import "$TEST_DIR/rootfs.tar" busybox:latest
}

netns_teardown() {
  if [ -n "${IMG_ROOT:-}" ] && [ -d "$IMG_ROOT" ] && [ -e "/run/netns/$H" ]; then
    local ids
    ids="$(kn ps -aq --no-trunc 2>/dev/null || true)"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || kn rm -f $ids >/dev/null 2>&1 || true
  fi
  [ -z "${HTTPD_PID:-}" ] || kill "$HTTPD_PID" 2>/dev/null || true
  ip netns del "$H" 2>/dev/null || true
  ip netns del "$O" 2>/dev/null || true
  kago_teardown
  ! ip netns list | grep -q "^kago-test-$$-${BATS_TEST_NUMBER}-"
}

# The outside host at 10.200.0.2 on a veth (kt-hv / kt-ov) from $H.
outside_host() {
  ip link add kt-hv netns "$H" type veth peer name kt-ov netns "$O"
  ip -n "$H" addr add 10.200.0.1/24 dev kt-hv
  ip -n "$H" link set kt-hv up
  ip -n "$O" addr add 10.200.0.2/24 dev kt-ov
  ip -n "$O" link set kt-ov up
  ip -n "$O" link set lo up
}

# The engine in the test's host namespace.
kn() {
  nsenter --net="/run/netns/$H" timeout -k 5 120 "$KAGO_BIN" --root "$IMG_ROOT" "$@"
}

run_kn() {
  run kn "$@"
  echo "# \$ kago $*"
  echo "# status $status"
  [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/# | /'
  return 0
}

kn_ok() {
  run_kn "$@"
  [ "$status" -eq 0 ] || fail "kago $* failed with status $status: $output"
}

# Detached: bats' fd 3 closed (a monitor must not keep bats waiting).
kn_d() {
  run_kn "$@" 3>&-
  [ "$status" -eq 0 ] || fail "kago $* failed with status $status: $output"
}

# The containers' veths in the host namespace (names, one a line; the
# test's own kt-* links left out).
host_veths() {
  ip -n "$H" -o link show type veth | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -v '^kt-' || true
}

# The leases of the default network.
leases() {
  if [ -f "$IMG_ROOT/networks/bridge/ipam" ]; then
    grep -c '^lease ' "$IMG_ROOT/networks/bridge/ipam" || true
  else
    echo 0
  fi
}

# busybox httpd serving /x ("from-container") on port 80 in a container.
HTTPD='mkdir -p /www && echo from-container >/www/x && exec httpd -f -p 80 -h /www'

# An HTTP GET of /x from namespace NS to ADDR:PORT, retried while the
# server comes up.
fetch() {
  local ns="$1" addr="$2" port="$3" i
  for i in $(seq 1 20); do
    if ip netns exec "$ns" sh -c "printf 'GET /x HTTP/1.0\r\n\r\n' | busybox nc -w 2 $addr $port" 2>/dev/null | grep -q from-container; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}
