#!/usr/bin/env bats
# User-defined networks: `kago network create|ls|inspect|rm|prune|connect|
# disconnect`, `run --network NAME --ip --network-alias`, isolation between
# networks, --internal.  The engine runs inside a network namespace each
# test creates (the "host", $H, entered with nsenter so that the mounts stay
# the machine's), with a second namespace ($O, the "outside") on a veth
# from it.  Both are deleted in teardown, whatever happened; nothing touches
# the machine's own network and all traffic stays between these namespaces.

load helpers
load lib/netns
bats_require_minimum_version 1.5.0

setup() {
  netns_setup
}

teardown() {
  netns_teardown
}


# The bridges in the host namespace.
host_bridges() {
  ip -n "$H" -o link show type bridge | awk -F': ' '{ print $2 }'
}

# Leases of every network.
all_leases() {
  cat "$IMG_ROOT"/networks/*/ipam 2>/dev/null | grep -c '^lease ' || true
}

nft_kago() {
  ip netns exec "$H" nft list table ip kago
}

ip_on() { # NETWORK CONTAINER
  kn inspect -f "{{.NetworkSettings.Networks.$1.IPAddress}}" "$2"
}


@test "networks: create, ls, inspect, rm and prune, with the state, the bridge and the rules in the kernel" {
  kn_ok network ls
  [ "$(printf '%s\n' "$output" | head -1)" = "NETWORK ID     NAME      DRIVER    SCOPE" ] || fail "$output"
  [[ "$output" == *" bridge    bridge    local"* && "$output" == *" host      host      local"* && "$output" == *" none      null      local"* ]]
  kn_ok network create --label team=a na
  # The host namespace had forwarding off: kago says it turned it on.
  [[ "$output" == "kago: IPv4 forwarding was disabled"*"for the network na"$'\n'* ]] || fail "$output"
  local id="${output##*$'\n'}"
  [[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "not an id: $id"
  [ -f "$IMG_ROOT/networks/$id/network" ]
  ip -n "$H" -o addr show dev "br-${id:0:12}" | grep -q 'inet 172.18.0.1/16'
  nft_kago | grep -q "ip saddr 172.18.0.0/16 oifname != \"br-${id:0:12}\" masquerade"
  kn_ok network ls --filter name=na --format '{{.ID}} {{.Name}} {{.Driver}} {{.Labels}}'
  [ "$output" = "${id:0:12} na bridge team=a" ]
  kn_ok network ls -q --no-trunc --filter label=team=a
  [ "$output" = "$id" ]
  kn_ok network ls -q --filter driver=null
  [ "$(kn network inspect -f '{{.Id}}' none | cut -c1-12)" = "$output" ]
  kn_ok network inspect "${id:0:5}"
  [ "$(jq -r '.[0] | [.Name, .Id, .Scope, .Driver, .EnableIPv6, .IPAM.Driver, .IPAM.Config[0].Subnet, .IPAM.Config[0].Gateway, .Internal, .Attachable, .Ingress, .ConfigFrom.Network, .ConfigOnly, (.Containers|length), .Labels.team] | map(tostring) | join(" ")' <<<"$output")" \
    = "na $id local bridge false default 172.18.0.0/16 172.18.0.1 false false false  false 0 a" ] || fail "$output"
  kn_ok network inspect -f '{{.Name}} {{.Internal}}' na
  [ "$output" = "na false" ]
  # The next automatic subnet, a chosen one, a bridge name.
  kn_ok network create --subnet 10.7.0.0/24 --gateway 10.7.0.254 --internal -o com.docker.network.bridge.name=kt-br7 nb
  ip -n "$H" -o addr show dev kt-br7 | grep -q 'inet 10.7.0.254/24'
  kn_ok network create nc
  kn_ok network inspect -f '{{json .IPAM.Config}}' nc
  [ "$(jq -r '.[0].Subnet' <<<"$output")" = 172.19.0.0/16 ] || fail "$output"
  # Docker's errors, exit 1, nothing made.
  run_kn network create na
  [ "$status" -eq 1 ] && [ "$output" = "kago: network with name na already exists" ]
  run_kn network create --subnet 10.7.0.128/25 nd
  [ "$status" -eq 1 ] && [ "$output" = "kago: invalid pool request: Pool overlaps with other one on this address space" ]
  run_kn network create --subnet 10.8.0.0/24 --gateway 10.9.0.1 nd
  [ "$status" -eq 1 ] && [ "$output" = "kago: no matching subnet for gateway 10.9.0.1" ]
  run_kn network create --subnet 10.8.0.1/24 nd
  [ "$status" -eq 1 ] && [[ "$output" == *"invalid subnet"* ]]
  run_kn network create -d overlay nd
  [ "$status" -eq 1 ] && [ "$output" = 'kago: plugin "overlay" not found' ]
  # A link of that name that is not a bridge: refused, and left alone.
  ip -n "$H" link add kt-v0 type veth peer name kt-v1
  run_kn network create -o com.docker.network.bridge.name=kt-v0 nd
  [ "$status" -eq 1 ] && [ "$output" = "kago: kt-v0 exists and is not a bridge" ]
  ip -n "$H" link show kt-v0 >/dev/null
  ip -n "$H" link del kt-v0
  run_kn network rm bridge
  [ "$status" -eq 1 ] && [ "$output" = "kago: bridge is a pre-defined network and cannot be removed" ]
  run_kn network rm nope
  [ "$status" -eq 1 ] && [ "$output" = "kago: network nope not found" ]
  [ "$(ls "$IMG_ROOT/networks" | grep -c '^[0-9a-f]\{64\}$')" = 3 ]
  [ "$(host_bridges | wc -l)" = 3 ]
  kn_ok network rm na
  [ "$output" = na ]
  [ ! -e "$IMG_ROOT/networks/$id" ]
  ! ip -n "$H" link show "br-${id:0:12}" 2>/dev/null
  ! nft_kago | grep -q "br-${id:0:12}"
  kn_ok network prune -f
  [ "$output" = "$(printf 'Deleted Networks:\nnb\nnc')" ] || fail "$output"
  [ -z "$(host_bridges)" ] || fail "bridges left: $(host_bridges)"
  [ "$(ls "$IMG_ROOT/networks" | grep -c '^[0-9a-f]\{64\}$')" = 0 ]
  ! nft_kago | grep -q 'br-\|kt-br7'
  kn_ok network ls -q
  [ "$(printf '%s\n' "$output" | wc -l)" = 3 ]
}

@test "networks: containers on a network reach each other, not those of another network" {
  kn_ok network create na
  kn_ok network create nb
  kn_d run -d --name a1 --network na busybox sleep 100
  kn_d run -d --name a2 --network na busybox sleep 100
  kn_d run -d --name b1 --network nb busybox sleep 100
  [ "$(ip_on na a1)" = 172.18.0.2 ] && [ "$(ip_on na a2)" = 172.18.0.3 ] && [ "$(ip_on nb b1)" = 172.19.0.2 ]
  kn_ok inspect -f '{{.HostConfig.NetworkMode}} [{{.NetworkSettings.IPAddress}}] {{.NetworkSettings.Networks.na.Gateway}} {{json .NetworkSettings.Networks.na.DNSNames}}' a1
  [ "$output" = "na [] 172.18.0.1 [\"a1\",\"$(kn inspect -f '{{.Id}}' a1 | cut -c1-12)\"]" ] || fail "$output"
  kn_ok exec a1 ping -c1 -W2 172.18.0.3
  kn_ok exec a2 ping -c1 -W2 172.18.0.2
  kn_ok exec a1 ip route
  [[ "$output" == *"default via 172.18.0.1 dev eth0"* ]] || fail "$output"
  # Isolation: b1 reaches neither a1 nor a2, a1 not b1.
  run kn exec b1 ping -c1 -W1 172.18.0.2
  [ "$status" -ne 0 ] || fail "b1 reached a1: $output"
  run kn exec a1 ping -c1 -W1 172.19.0.2
  [ "$status" -ne 0 ] || fail "a1 reached b1: $output"
  nft_kago | grep -q 'iifname "br-.*" oifname { .* } drop'
  # The endpoints, in the network's inspect and its registry.
  kn_ok network inspect -f '{{json .Containers}}' na
  [ "$(jq length <<<"$output")" = 2 ]
  local id
  id="$(kn network inspect -f '{{.Id}}' na)"
  grep -qx 'name a1' "$IMG_ROOT/networks/$id/endpoints/$(kn inspect -f '{{.Id}}' a1)"
  # The embedded DNS server's resolv.conf.
  kn_ok exec a1 cat /etc/resolv.conf
  [[ "$output" == *"nameserver 127.0.0.11"* && "$output" == *"options ndots:0"* ]] || fail "$output"
  # In use: not removed.
  run_kn network rm na
  [ "$status" -eq 1 ] && [ "$output" = "kago: error while removing network: network na id $id has active endpoints" ]
  kn_ok network prune -f
  [ -z "$output" ]
  # After rm -f of all and network rm: no veth, bridge, lease or rule.
  kn_ok rm -f a1 a2 b1
  [ -z "$(host_veths)" ] || fail "veths left: $(host_veths)"
  [ "$(all_leases)" = 0 ]
  [ -z "$(ls "$IMG_ROOT/networks/$id/endpoints")" ]
  kn_ok network rm na nb
  [ -z "$(host_bridges)" ] || fail "bridges left: $(host_bridges)"
  ! nft_kago | grep -q 'br-'
}

@test "networks: --internal gets no way out, a normal network does" {
  outside_host
  kn_ok network create nn
  kn_ok network create --internal ni
  kn_d run -d --name n1 --network nn busybox sleep 100
  kn_d run -d --name i1 --network ni busybox sleep 100
  kn_d run -d --name i2 --network ni busybox sleep 100
  kn_ok exec n1 ping -c1 -W2 10.200.0.2
  run kn exec i1 ping -c1 -W1 10.200.0.2
  [ "$status" -ne 0 ] || fail "an internal container got out: $output"
  # No default route, but its network works.
  kn_ok exec i1 ip route
  [[ "$output" != *default* ]] || fail "$output"
  kn_ok exec i1 ping -c1 -W2 "$(ip_on ni i2)"
  local subnet
  subnet="$(kn network inspect ni | jq -r '.[0].IPAM.Config[0].Subnet')"
  [ "$subnet" = 172.19.0.0/16 ]
  ! nft_kago | grep -q "ip saddr $subnet"
}

@test "networks: --ip is honoured; a taken, foreign or default-network --ip and an unknown network create nothing" {
  kn_ok network create --subnet 10.30.0.0/24 na
  kn_d run -d --name a1 --network na --ip 10.30.0.77 --network-alias db busybox sleep 100
  [ "$(ip_on na a1)" = 10.30.0.77 ]
  kn_ok exec a1 ip -o -4 addr show dev eth0
  [[ "$output" == *"inet 10.30.0.77/24"* ]] || fail "$output"
  kn_ok inspect -f '{{json .NetworkSettings.Networks.na.IPAMConfig}} {{json .NetworkSettings.Networks.na.Aliases}}' a1
  [ "$output" = '{"IPv4Address":"10.30.0.77"} ["db"]' ] || fail "$output"
  local before
  before="$(kn ps -aq | wc -l)"
  run_kn run -d --network na --ip 10.30.0.77 busybox sleep 100
  [ "$status" -eq 125 ] && [[ "$output" == "kago: Address already in use"* ]] || fail "$output"
  run_kn run -d --network na --ip 10.31.0.5 busybox sleep 100
  [ "$status" -eq 125 ] && [ "$output" = "kago: Invalid address 10.31.0.5: It does not belong to any of this network's subnets" ]
  run_kn run -d --network bridge --ip 172.17.0.50 busybox sleep 100
  [ "$status" -eq 125 ] && [ "$output" = "kago: user specified IP address is supported on user defined networks only" ]
  run_kn create --network nope busybox true
  [ "$status" -eq 125 ] && [ "$output" = "kago: network nope not found" ]
  [ "$(kn ps -aq | wc -l)" = "$before" ]
  [ "$(host_veths | wc -l)" = 1 ] && [ "$(all_leases)" = 1 ]
  # A failed start leaves no veth, lease or endpoint either.
  run -127 kn run --network na busybox no-such-command
  [ "$(host_veths | wc -l)" = 1 ] && [ "$(all_leases)" = 1 ] || fail "left: $(host_veths) $(all_leases)"
  [ "$(cat "$IMG_ROOT"/networks/*/endpoints/* | grep -c "^kago-endpoint")" = 1 ]
  # By id prefix too.
  kn_d run -d --name a2 --network "$(kn network inspect -f '{{.Id}}' na | cut -c1-6)" busybox sleep 100
  [ "$(ip_on na a2)" = 10.30.0.2 ] || fail "$(ip_on na a2)"
}

@test "networks: connect and disconnect a running container, and a stopped one at its next start" {
  kn_ok network create --subnet 10.40.0.0/24 na
  kn_ok network create --subnet 10.41.0.0/24 nb
  kn_d run -d --name a1 --network na busybox sleep 100
  kn_d run -d --name b1 --network nb busybox sleep 100
  run kn exec a1 ping -c1 -W1 10.41.0.2
  [ "$status" -ne 0 ]
  kn_ok network connect --ip 10.41.0.50 --alias second nb a1
  kn_ok exec a1 ip -o -4 addr show dev eth1
  [[ "$output" == *"inet 10.41.0.50/24"* ]] || fail "$output"
  kn_ok exec a1 ping -c1 -W2 10.41.0.2
  kn_ok exec b1 ping -c1 -W2 10.41.0.50
  kn_ok inspect -f '{{.NetworkSettings.Networks.nb.IPAddress}} {{json .NetworkSettings.Networks.nb.Aliases}}' a1
  [ "$output" = '10.41.0.50 ["second"]' ] || fail "$output"
  kn_ok ps --format '{{.Names}} {{.Networks}}'
  [[ "$output" == *"a1 na,nb"* && "$output" == *"b1 nb"* ]] || fail "$output"
  run_kn network connect nb a1
  [ "$status" -eq 1 ] && [ "$output" = "kago: endpoint with name a1 already exists in network nb" ]
  kn_ok network disconnect nb a1
  run kn exec a1 ip link show eth1
  [ "$status" -ne 0 ] || fail "eth1 still there: $output"
  [ "$(host_veths | wc -l)" = 2 ]
  kn_ok inspect -f '{{json .NetworkSettings.Networks}}' a1
  [ "$(jq -r 'keys|join(" ")' <<<"$output")" = na ]
  run_kn network disconnect nb a1
  [ "$status" -eq 1 ] && [[ "$output" == *"is not connected to network nb" ]]
  # A stopped container: connected when it starts.
  kn_ok stop -t 0 a1
  kn_ok network connect nb a1
  kn_ok start a1
  kn_ok exec a1 ip -o -4 addr
  [[ "$output" == *"eth0"*"10.40.0."* && "$output" == *"eth1"*"10.41.0."* ]] || fail "$output"
  # Leaving the network of the default route: the next one takes it.
  kn_ok exec a1 ip route
  [[ "$output" == *"default via 10.40.0.1 dev eth0"* ]] || fail "$output"
  kn_ok network disconnect na a1
  kn_ok exec a1 ip route
  [[ "$output" == *"default via 10.41.0.1 dev eth1"* ]] || fail "$output"
  kn_ok rm -f a1 b1
  [ -z "$(host_veths)" ] && [ "$(all_leases)" = 0 ]
  # A loopback-only container connected while it runs: its monitor
  # disconnects it when it stops and connects it again at its next start.
  kn_d run -d --name d1 busybox sleep 100
  kn_ok network connect na d1
  kn_ok exec d1 ip -o -4 addr show dev eth0
  [[ "$output" == *"inet 10.40.0."* ]] || fail "$output"
  kn_ok stop -t 0 d1
  [ -z "$(host_veths)" ] && [ "$(all_leases)" = 0 ] || fail "left: $(host_veths) $(all_leases)"
  [ -z "$(cat "$IMG_ROOT"/networks/*/endpoints/* 2>/dev/null)" ]
  kn_ok start d1
  kn_ok exec d1 ip -o -4 addr show dev eth0
  [[ "$output" == *"inet 10.40.0."* ]] || fail "$output"
}


@test "networks: -p publishes a port of a container on a user-defined network" {
  outside_host
  ip -n "$H" link set lo up
  kn_ok network create --subnet 10.50.0.0/24 na
  kn_d run -d --name web --network na -p 8080:80 busybox sh -c "$HTTPD"
  fetch "$O" 10.200.0.1 8080 || fail "not reached from the outside"
  fetch "$H" 127.0.0.1 8080 || fail "not reached on 127.0.0.1"
  nft_kago | grep -q '8080 : 10.50.0.2 . 80' || fail "$(nft_kago)"
  [ "$(ip netns exec "$H" cat "/proc/sys/net/ipv4/conf/br-$(kn network inspect -f '{{.Id}}' na | cut -c1-12)/route_localnet")" = 1 ]
  kn_ok rm -f web
  ! nft_kago | grep -q '10.50.0.2'
  kn_ok network rm na
}

@test "networks: containers resolve each other by name, alias and short id at 127.0.0.11; other names are forwarded" {
  local nettool="$REPO/build/tests/helpers/nettool"
  [ -x "$nettool" ] || skip "nettool is not built"
  # A fake upstream on the host namespace's loopback (the containers'
  # --dns): only the monitor's resolver, in the host namespace, reaches it.
  ip -n "$H" link set lo up
  ip netns exec "$H" "$nettool" dns-serve -l 127.0.0.1:53 outside.test=10.9.9.9 >"$TEST_DIR/up.out" 2>&1 3>&- &
  HTTPD_PID=$!
  for _ in $(seq 100); do
    grep -q '^ready$' "$TEST_DIR/up.out" && break
    sleep 0.05
  done
  grep -q '^ready$' "$TEST_DIR/up.out" || fail "upstream: $(cat "$TEST_DIR/up.out")"
  kn_ok network create na
  kn_ok network create nb
  kn_d run -d --name a1 --network na --network-alias www --dns 127.0.0.1 busybox sleep 100
  kn_d run -d --name a2 --network na --dns 127.0.0.1 busybox sleep 100
  kn_d run -d --name b1 --network nb --dns 127.0.0.1 busybox sleep 100
  local a1ip short
  a1ip="$(ip_on na a1)"
  short="$(kn inspect -f '{{.Id}}' a1 | cut -c1-12)"
  kn_ok exec a2 cat /etc/resolv.conf
  [[ "$output" == *"# ExtServers: [127.0.0.1]"* ]] || fail "$output"
  local name
  for name in a1 www WWW. "$short"; do
    kn_ok exec a2 nslookup "$name"
    [[ "$output" == *"Address: $a1ip"* ]] || fail "$name: $output"
  done
  kn_ok exec a2 ping -c1 -W2 a1
  # Forwarded from the host namespace to the upstream.
  kn_ok exec a1 nslookup outside.test
  [[ "$output" == *"Address: 10.9.9.9"* ]] || fail "$output"
  # A container of another network is not a name here (forwarded: unknown).
  run kn exec b1 nslookup a1
  [ "$status" -ne 0 ] && [[ "$output" != *"$a1ip"* ]] || fail "b1 resolved a1: $output"
  # The monitor's server answers in the container's namespace only.
  run kn exec b1 nslookup b1
  [[ "$output" == *"Address: $(ip_on nb b1)"* ]] || fail "$output"
  # Connected at run time, b1 resolves the names of na at once (and a2 b1),
  # until it is disconnected.
  kn_ok network connect na b1
  kn_ok exec b1 nslookup a1
  [[ "$output" == *"Address: $a1ip"* ]] || fail "b1 after connect: $output"
  kn_ok exec a2 nslookup b1
  [[ "$output" == *"Address: $(ip_on na b1)"* ]] || fail "a2 -> b1 after connect: $output"
  kn_ok network disconnect na b1
  run kn exec b1 nslookup a1
  [ "$status" -ne 0 ] && [[ "$output" != *"$a1ip"* ]] || fail "b1 resolved a1 after disconnect: $output"
  # A stopped container's name goes with its endpoint.
  kn_ok stop -t 0 a1
  run kn exec a2 nslookup a1
  [ "$status" -ne 0 ] || fail "a1 still resolves: $output"
  # The server's sockets do not keep a stopped container's namespace (and
  # its veth) alive.
  kn_ok rm -f a1 a2 b1
  [ -z "$(host_veths)" ] || fail "veths left: $(host_veths)"
}
