#!/usr/bin/env bats
# `kago --bip CIDR` / $KAGO_BIP: the default network's subnet, chosen by the
# user (dockerd's --bip).  The engine runs inside a network namespace each
# test creates (lib/netns.bash); nothing touches the machine's own network.

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
  kn inspect -f '{{.NetworkSettings.IPAddress}}/{{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.Gateway}}' "$1"
}

# A network's IPAM config as `network inspect` shows it: "SUBNET GATEWAY".
ipam_of() {
  kn network inspect "$1" | jq -r '.[0].IPAM.Config[] | "\(.Subnet) \(.Gateway)"'
}

# The IPv4 addresses of kago0 in the host namespace, one a line.
bridge_addrs() {
  ip -n "$H" -o -4 addr show dev kago0 | awk '{ print $4 }'
}

@test "bip: --bip on first use gives the bridge its address and the containers their subnet, masqueraded out" {
  outside_host
  mkdir -p "$TEST_DIR/www"
  echo from-outside >"$TEST_DIR/www/x"
  ip netns exec "$O" busybox httpd -f -vv -p 8080 -h "$TEST_DIR/www" 2>"$TEST_DIR/httpd.log" 3>&- &
  HTTPD_PID=$!
  kn_d --bip 10.123.4.1/24 run -d --name ca --network bridge busybox sleep 100
  kn_d --bip=10.123.4.1/24 run -d --name cb --network bridge busybox sleep 100
  [ "$(ip_of ca)" = "10.123.4.2/24 10.123.4.1" ] || fail "ca: $(ip_of ca)"
  [ "$(ip_of cb)" = "10.123.4.3/24 10.123.4.1" ] || fail "cb: $(ip_of cb)"
  [ "$(bridge_addrs)" = 10.123.4.1/24 ] || fail "kago0: $(bridge_addrs)"
  kn_ok exec ca ip route
  [[ "$output" == *"default via 10.123.4.1 dev eth0"* ]] || fail "$output"
  kn_ok exec ca ping -c1 -W2 10.123.4.3
  [ "$(ipam_of bridge)" = "10.123.4.0/24 10.123.4.1" ] || fail "$(ipam_of bridge)"
  grep -qx 'subnet 10.123.4.0/24' "$IMG_ROOT/networks/bridge/network"
  # Out through the masquerade of the new subnet (the outside has no route
  # to 10.123.4.0/24).
  ip netns exec "$H" nft list table ip kago | grep -q 'ip saddr 10.123.4.0/24 oifname != "kago0" masquerade'
  kn_ok exec ca sh -c 'for i in 1 2 3 4 5; do printf "GET /x HTTP/1.0\r\n\r\n" | nc -w 2 10.200.0.2 8080 | grep from-outside && exit 0; sleep 0.2; done; exit 1'
  grep -q '10.200.0.1\]*:[0-9]*: url:/x' "$TEST_DIR/httpd.log" || fail "$(cat "$TEST_DIR/httpd.log")"
  # Without --bip the network keeps what it has.
  kn_d run -d --name cc --network bridge busybox sleep 100
  [ "$(ip_of cc)" = "10.123.4.4/24 10.123.4.1" ] || fail "cc: $(ip_of cc)"
}

@test "bip: a new --bip moves the bridge once nothing is attached, and is refused while containers are" {
  kn_d --bip 10.123.4.1/24 run -d --name ca --network bridge busybox sleep 100
  id="$(kn inspect -f '{{.Id}}' ca)"
  # Refused while ca is attached: the error names it, nothing changes.
  run_kn --bip 10.77.0.1/16 run --rm --network bridge busybox true
  [ "$status" -eq 125 ] || fail "status $status"
  [[ "$output" == *"cannot change the subnet of the network bridge from 10.123.4.0/24 to 10.77.0.0/16 (--bip 10.77.0.1/16): containers use it: ${id:0:12}; stop them first"* ]] \
    || fail "$output"
  grep -qx 'subnet 10.123.4.0/24' "$IMG_ROOT/networks/bridge/network"
  [ "$(bridge_addrs)" = 10.123.4.1/24 ] || fail "kago0: $(bridge_addrs)"
  kn_ok exec ca ping -c1 -W2 10.123.4.1
  # Stopped, ca holds no address: the change goes through, said once.
  kn_ok rm -f ca
  KAGO_BIP=10.77.0.1/16 run_kn ps -a
  [ "$status" -eq 0 ] || fail "status $status"
  [[ "$output" == *"the network bridge (kago0) now has the subnet 10.77.0.0/16, gateway 10.77.0.1 (it had 10.123.4.0/24)"* ]] \
    || fail "$output"
  KAGO_BIP=10.77.0.1/16 run_kn ps -a
  [[ "$output" != *"now has the subnet"* ]] || fail "said twice: $output"
  # The old bridge (and its address) went; the next container makes it anew.
  ! ip -n "$H" link show kago0 2>/dev/null
  grep -qx 'subnet 10.77.0.0/16' "$IMG_ROOT/networks/bridge/network"
  grep -qx 'subnet 10.77.0.0/16' "$IMG_ROOT/networks/bridge/ipam"
  ! ip netns exec "$H" nft list table ip kago | grep -q '10\.123\.4\.'
  ip netns exec "$H" nft list table ip kago | grep -q 'ip saddr 10.77.0.0/16 oifname != "kago0" masquerade'
  kn_ok run --rm --network bridge busybox ip -o -4 addr show dev eth0
  [[ "$output" == *"inet 10.77.0.2/16"* ]] || fail "$output"
  [ "$(bridge_addrs)" = 10.77.0.1/16 ] || fail "kago0: $(bridge_addrs)"
  # A gateway that is not the subnet's first address.
  kn_ok --bip 192.168.77.129/25 network ls
  [ "$(ipam_of bridge)" = "192.168.77.128/25 192.168.77.129" ] || fail "$(ipam_of bridge)"
  kn_ok run --rm --network bridge busybox ip route
  [[ "$output" == *"default via 192.168.77.129 dev eth0"* ]] || fail "$output"
}

@test "bip: malformed values and a subnet of another network are clear errors that change nothing" {
  kn_d --bip 10.123.4.1/24 run -d --name ca --network bridge busybox sleep 100
  kn_ok rm -f ca
  kn_ok network create --subnet 10.50.0.0/16 other
  before="$(cat "$IMG_ROOT/networks/bridge/network")"
  check() { # VALUE EXPECTED-MESSAGE
    run_kn --bip "$1" run --rm busybox true
    [ "$status" -eq 125 ] || fail "--bip $1: status $status"
    [[ "$output" == *"$2"* ]] || fail "--bip $1: $output"
    [ "$(cat "$IMG_ROOT/networks/bridge/network")" = "$before" ] || fail "--bip $1 changed the record"
  }
  check 10.9.0.0/24 'invalid --bip "10.9.0.0/24": 10.9.0.0 is the network address of 10.9.0.0/24; the bridge needs a host address, e.g. 10.9.0.1/24'
  check 10.9.0.255/24 'is the broadcast address of 10.9.0.0/24'
  check 10.9.0.1 'invalid --bip "10.9.0.1": give the bridge'"'"'s address and the prefix length, e.g. 192.168.5.1/24'
  check 10.9.0.1/31 'invalid --bip "10.9.0.1/31": the prefix length must be 1 to 30'
  check 10.9.0.1/x 'the prefix length must be 1 to 30'
  check 300.9.0.1/24 'invalid --bip "300.9.0.1/24": invalid IPv4 address'
  check 10.50.3.1/24 'invalid --bip "10.50.3.1/24": 10.50.3.0/24 overlaps with the network other (10.50.0.0/16)'
  run_kn run --rm --bip 10.9.0.1/24 busybox true
  [ "$status" -eq 125 ] || fail "status $status"
  run kn --bip
  [ "$status" -eq 1 ]
  [[ "$output" == *"flag needs an argument: --bip"* ]] || fail "$output"
  # On a new root a bad --bip makes no record at all.
  IMG_ROOT="$TEST_DIR/store2"
  run_kn --bip 10.9.0.0/24 network ls
  [ "$status" -eq 1 ] || fail "status $status"
  [ ! -e "$IMG_ROOT/networks/bridge/network" ] || fail "a record was made: $(cat "$IMG_ROOT/networks/bridge/network")"
}

@test "bip: --add-host entries in /etc/hosts, host-gateway the bridge's gateway; bad ones refused before anything is made" {
  kn_ok --bip 10.123.4.1/24 run --rm --network bridge \
    --add-host db:10.1.2.3 --add-host v6:fd00::5 --add-host br6:[fd00::6] --add-host gw:host-gateway \
    busybox sh -c 'cat /etc/hosts; ping -c1 -W2 gw'
  [[ "$output" == *$'10.1.2.3\tdb'* ]] || fail "$output"
  [[ "$output" == *$'fd00::5\tv6'* ]] || fail "$output"
  [[ "$output" == *$'fd00::6\tbr6'* ]] || fail "$output"
  [[ "$output" == *$'10.123.4.1\tgw'* ]] || fail "$output"
  [[ "$output" == *"1 packets received"* ]] || fail "the gateway did not answer: $output"
  # Recorded as given, as Docker's HostConfig.ExtraHosts.
  kn_ok create --name made --add-host gw:host-gateway busybox true
  kn_ok inspect -f '{{json .HostConfig.ExtraHosts}}' made
  [ "$output" = '["gw:host-gateway"]' ] || fail "$output"
  kn_ok rm -f made
  local v
  for v in foo ':1.2.3.4' 'foo:bar' 'foo:' 'foo:1.2.3' 'foo:[1.2.3.4' 'foo:host-gateway2'; do
    run_kn run --rm --add-host "$v" busybox true
    [ "$status" -eq 125 ] || fail "--add-host $v: status $status"
    case "$v" in
    foo | :1.2.3.4) [[ "$output" == *"invalid argument \"$v\" for \"--add-host\" flag: bad format for add-host: \"$v\""* ]] ;;
    *) [[ "$output" == *"invalid argument \"$v\" for \"--add-host\" flag: invalid IP address in add-host: \"${v#foo:}\""* ]] ;;
    esac || fail "--add-host $v: $output"
  done
  [ -z "$(kn ps -aq)" ] || fail "a container was made: $(kn ps -a)"
}
