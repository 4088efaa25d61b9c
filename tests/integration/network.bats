#!/usr/bin/env bats
# `kago run --network bridge`: the bridge kago0, a veth + address per
# container, NAT, and their cleanup.  The engine runs inside a network
# namespace each test creates (the "host", $H, entered with nsenter so that
# the mounts stay the machine's), with a second namespace ($O, the
# "outside") on a veth from it.  Both are deleted in teardown, whatever
# happened; nothing touches the machine's own network and all traffic stays
# between these namespaces.

load helpers
load lib/netns
bats_require_minimum_version 1.5.0

setup() {
  netns_setup
}

teardown() {
  netns_teardown
}


ip_of() {
  kn inspect -f '{{.NetworkSettings.IPAddress}}' "$1"
}

@test "network: two containers on the bridge get .2 and .3, their own lo and eth0, and ping each other" {
  run_kn run -d --name ca --network bridge busybox sleep 100 3>&-
  [ "$status" -eq 0 ] || fail "$output"
  # The host namespace had forwarding off: kago says it turned it on.
  [[ "$output" == *"IPv4 forwarding was disabled"* ]] || fail "no forwarding notice: $output"
  [ "$(ip netns exec "$H" cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
  kn_d run -d --name cb --network bridge busybox sleep 100
  [[ "$output" != *"forwarding"* ]] || fail "a second notice: $output"
  [ "$(ip_of ca)" = 172.17.0.2 ] || fail "ca has $(ip_of ca)"
  [ "$(ip_of cb)" = 172.17.0.3 ] || fail "cb has $(ip_of cb)"
  kn_ok inspect -f '{{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.Networks.bridge.IPAddress}} {{.HostConfig.NetworkMode}}' cb
  [ "$output" = "16 172.17.0.1 02:42:ac:11:00:03 172.17.0.3 bridge" ]
  # The bridge in the host namespace, with the gateway address.
  ip -n "$H" -o addr show dev kago0 | grep -q 'inet 172.17.0.1/16'
  [ "$(host_veths | wc -l)" = 2 ]
  # Inside: lo and eth0 only, the address, the default route.
  kn_ok exec ca ip -o link
  [ "$(printf '%s\n' "$output" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' ')" = "eth0 lo " ] \
    || fail "links: $output"
  kn_ok exec ca ip -o addr show dev eth0
  [[ "$output" == *"inet 172.17.0.2/16"* ]] || fail "$output"
  kn_ok exec ca ip route
  [[ "$output" == *"default via 172.17.0.1 dev eth0"* ]] || fail "$output"
  kn_ok exec ca ping -c1 -W2 127.0.0.1
  kn_ok exec ca ping -c1 -W2 172.17.0.3
  kn_ok exec cb ping -c1 -W2 172.17.0.2
  kn_ok exec cb ping -c1 -W2 172.17.0.1
  # stats' NET I/O counts eth0's traffic.
  kn_ok stats --no-stream --format '{{.Name}} {{.NetIO}}' ca
  [[ "$output" != "ca 0B / 0B" ]] || fail "no traffic in stats: $output"
  [ "$(leases)" = 2 ]
}

@test "network: a subnet that clashes with a route of the host is not taken" {
  ip -n "$H" link add kt-d0 type veth peer name kt-d1
  ip -n "$H" addr add 172.17.5.1/24 dev kt-d0
  ip -n "$H" link set kt-d1 up
  ip -n "$H" link set kt-d0 up
  kn_d run -d --name ca --network bridge busybox sleep 100
  [ "$(ip_of ca)" = 172.18.0.2 ] || fail "ca has $(ip_of ca)"
  grep -qx 'subnet 172.18.0.0/16' "$IMG_ROOT/networks/bridge/network"
}

@test "network: a container reaches an outside host, its address masqueraded to the host's" {
  outside_host
  mkdir -p "$TEST_DIR/www"
  echo from-outside >"$TEST_DIR/www/x"
  ip netns exec "$O" busybox httpd -f -vv -p 8080 -h "$TEST_DIR/www" 2>"$TEST_DIR/httpd.log" 3>&- &
  HTTPD_PID=$!
  # (nc, not wget: the static busybox's wget crashes resolving in a
  # container.)
  kn_ok run --rm --network bridge busybox sh -c 'for i in 1 2 3 4 5; do printf "GET /x HTTP/1.0\r\n\r\n" | nc -w 2 10.200.0.2 8080 | grep from-outside && exit 0; sleep 0.2; done; exit 1'
  [[ "$output" == *from-outside* ]] || fail "$output"
  # The outside saw the host's address (the outside has no route to
  # 172.17.0.0/16: without the masquerade no answer would come back).
  grep -q '10.200.0.1\]*:[0-9]*: url:/x' "$TEST_DIR/httpd.log" || fail "$(cat "$TEST_DIR/httpd.log")"
  ! grep -q '172\.17\.' "$TEST_DIR/httpd.log"
  ip netns exec "$H" nft list table ip kago | grep -q 'ip saddr 172.17.0.0/16 oifname != "kago0" masquerade'
  # Without a netns of its own (--network none) nothing gets out.
  run kn run --rm --network none busybox sh -c 'printf "GET /x HTTP/1.0\r\n\r\n" | nc -w 1 10.200.0.2 8080'
  [[ "$output" != *from-outside* ]] || fail "$output"
}

@test "network: rm -f of all leaves no veth and no lease; the bridge stays" {
  kn_d run -d --name ca --network bridge busybox sleep 100
  kn_d run -d --name cb --network bridge busybox sleep 100
  kn_d create --name cc --network bridge busybox sleep 100
  kn_ok start cc
  [ "$(host_veths | wc -l)" = 3 ]
  [ "$(leases)" = 3 ]
  kn_ok rm -f ca cb cc
  [ -z "$(host_veths)" ] || fail "veths left: $(host_veths)"
  [ "$(leases)" = 0 ] || fail "leases left: $(cat "$IMG_ROOT/networks/bridge/ipam")"
  ip -n "$H" link show kago0 >/dev/null
  # A stopped container keeps no address either, and gets one again.
  kn_d run -d --name cs --network bridge busybox sleep 100
  kn_ok stop -t 0 cs
  [ "$(leases)" = 0 ] && [ -z "$(host_veths)" ]
  kn_ok inspect -f '[{{.NetworkSettings.IPAddress}}]' cs
  [ "$output" = "[]" ]
  kn_ok start cs
  [ -n "$(ip_of cs)" ] && [ "$(leases)" = 1 ]
  # /etc/hosts names the container's hostname (its short id) at its
  # address, as Docker's, once, after a restart too.
  local short
  short="$(kn inspect -f '{{.Id}}' cs | cut -c1-12)"
  kn_ok exec cs cat /etc/hosts
  [ "$(printf '%s\n' "$output" | grep -c "	$short\$")" = 1 ] || fail "hosts: $output"
  printf '%s\n' "$output" | grep -qx "$(ip_of cs)	$short"
}

@test "network: run --rm frees the lease at once and the dying namespace takes the veth soon after" {
  local i
  for i in 1 2 3; do
    kn_ok run --rm --network bridge busybox true
    # The lease is released before run returns ...
    [ "$(leases)" = 0 ] || fail "lease left: $(cat "$IMG_ROOT/networks/bridge/ipam")"
    # ... the veth goes with the container's namespace, in the kernel's
    # time (the monitor waits for it, and deletes it itself after 500 ms).
    for _ in $(seq 100); do
      [ -z "$(host_veths)" ] && break
      sleep 0.02
    done
    [ -z "$(host_veths)" ] || fail "veth left: $(host_veths)"
  done
  # No monitor stays behind in this host namespace either.
  sleep 0.6
  local ino p left=""
  ino="$(stat -L -c %i "/run/netns/$H")"
  for p in $(pgrep -f "kago-mon-" || true); do
    [ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" != "$ino" ] || left="$left $p"
  done
  [ -z "$left" ] || fail "monitors left:$left"
}

@test "network: a failed start leaves no veth and no lease" {
  run -127 kn run --network bridge busybox no-such-command
  [ -z "$(host_veths)" ] || fail "veths left: $(host_veths)"
  [ "$(leases)" = 0 ] || fail "leases left: $(cat "$IMG_ROOT/networks/bridge/ipam")"
  run -127 kn run -d --network bridge busybox no-such-command 3>&-
  [ -z "$(host_veths)" ] && [ "$(leases)" = 0 ]
}

@test "network: a lease whose container record is gone is released" {
  kn_d run -d --name ca --network bridge busybox sleep 100
  # A crash leftover: a lease held by a container that no longer exists.
  printf 'lease 172.17.0.200 %064d\n' 7 >>"$IMG_ROOT/networks/bridge/ipam"
  [ "$(leases)" = 2 ]
  kn_d run -d --name cb --network bridge busybox sleep 100
  [ "$(leases)" = 2 ] || fail "$(cat "$IMG_ROOT/networks/bridge/ipam")"
  ! grep -q 172.17.0.200 "$IMG_ROOT/networks/bridge/ipam"
}

@test "network: 50 concurrent run -d -p get 50 distinct addresses and host ports; rm -f of all leaves nothing" {
  local i n=50
  for i in $(seq 1 $n); do
    kn run -d --name "p$i" --network bridge -p 80 busybox sleep 100 >"$TEST_DIR/run$i.log" 2>&1 3>&- &
  done
  wait
  for i in $(seq 1 $n); do
    ip_of "p$i"
  done >"$TEST_DIR/ips"
  [ "$(sort -u "$TEST_DIR/ips" | grep -c '^172\.17\.0\.')" = $n ] || fail "$(cat "$TEST_DIR/ips" "$TEST_DIR"/run*.log)"
  [ "$(leases)" = $n ]
  [ "$(host_veths | wc -l)" = $n ]
  for i in $(seq 1 $n); do
    kn port "p$i" 80/tcp
  done >"$TEST_DIR/ports"
  [ "$(sed 's/.*://' "$TEST_DIR/ports" | sort -u | wc -l)" = $n ] || fail "$(cat "$TEST_DIR/ports")"
  # One DNAT map element per container.
  [ "$(ip netns exec "$H" nft -j list map ip kago tcp_any | jq '[.nftables[].map.elem // empty | length] | add')" = $n ]
  kn_ok rm -f $(seq -f 'p%g' 1 $n)
  [ -z "$(host_veths)" ] || fail "veths left: $(host_veths)"
  [ "$(leases)" = 0 ] || fail "leases left: $(cat "$IMG_ROOT/networks/bridge/ipam")"
  run ip netns exec "$H" nft -j list map ip kago tcp_any
  [ "$(printf '%s' "$output" | jq '[.nftables[].map.elem // empty | length] | add // 0')" = 0 ] || fail "elements left: $output"
}
