#!/usr/bin/env bats
# Published ports (`kago run -p/-P --network bridge`): DNAT from the outside
# and from the host itself, kago port / ps / inspect, conflicts, bad values
# and cleanup.  As in network.bats, the engine runs inside a "host" network
# namespace $H each test creates (entered with nsenter), with an "outside"
# namespace $O on a veth from it (H 10.200.0.1, O 10.200.0.2); both are
# deleted in teardown, whatever happened.  No traffic leaves them.

load helpers
load lib/netns
bats_require_minimum_version 1.5.0

setup() {
  netns_setup
  ip -n "$H" link set lo up
  outside_host
}

teardown() {
  netns_teardown
}


# The map elements of the table (one a line, "8080 : 172.17.0.2 . 80").
elements() {
  ip netns exec "$H" nft list table ip kago 2>/dev/null | sed -n 's/^[[:space:]]*elements = { \(.*\) }$/\1/p' | tr ',' '\n' | sed 's/^ *//'
}


# Once: is there an answer (no retry).
fetch_once() {
  ip netns exec "$1" sh -c "printf 'GET /x HTTP/1.0\r\n\r\n' | busybox nc -w 1 $2 $3" 2>/dev/null | grep -q from-container
}


@test "ports: -p 8080:80 is reached from outside, from the host's own address and from 127.0.0.1" {
  kn_d run -d --name web --network bridge -p 8080:80 busybox sh -c "$HTTPD"
  fetch "$O" 10.200.0.1 8080 || fail "not reached from the outside"
  fetch "$H" 10.200.0.1 8080 || fail "not reached on the host's address from the host"
  fetch "$H" 127.0.0.1 8080 || fail "not reached on 127.0.0.1"
  fetch "$H" 172.17.0.1 8080 || fail "not reached on the gateway address"
  # A container reaches it through the host (hairpin).
  kn_ok run --rm --network bridge busybox sh -c 'for i in 1 2 3 4 5; do printf "GET /x HTTP/1.0\r\n\r\n" | nc -w 2 10.200.0.1 8080 | grep from-container && exit 0; sleep 0.2; done; exit 1'
  kn_ok port web
  [ "$output" = "80/tcp -> 0.0.0.0:8080" ]
  kn_ok port web 80
  [ "$output" = "0.0.0.0:8080" ]
  kn_ok port web 80/tcp
  [ "$output" = "0.0.0.0:8080" ]
  run_kn port web 81
  [ "$status" -eq 1 ] && [ "$output" = "Error: No public port '81/tcp' published for web" ]
  kn_ok inspect -f '{{json .HostConfig.PortBindings}} {{json .NetworkSettings.Ports}} {{json .Config.ExposedPorts}} {{.HostConfig.PublishAllPorts}}' web
  [ "$output" = '{"80/tcp":[{"HostIp":"","HostPort":"8080"}]} {"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]} {"80/tcp":{}} false' ]
  kn_ok ps --format '{{.Names}} {{.Ports}}'
  [ "$output" = "web 0.0.0.0:8080->80/tcp" ]
  kn_ok ps
  [[ "$output" == *"0.0.0.0:8080->80/tcp"* ]] || fail "$output"
  [ "$(elements)" = "8080 : 172.17.0.2 . 80" ] || fail "$(elements)"
  # Stopped: no ports shown, no element; started again: published again.
  kn_ok stop -t 1 web
  kn_ok inspect -f '{{json .NetworkSettings.Ports}}' web
  [ "$output" = '{}' ]
  [ -z "$(elements)" ] || fail "elements left: $(elements)"
  kn_ok start web
  fetch "$O" 10.200.0.1 8080 || fail "not reached after a restart"
  kn_ok rm -f web
  [ -z "$(elements)" ] || fail "elements left: $(elements)"
  [ -z "$(host_veths)" ] && [ "$(leases)" = 0 ]
  [ -z "$(ls -A "$IMG_ROOT/networks/bridge/ports")" ]
}

@test "ports: a 127.0.0.1 mapping is reached from the host only; a range maps port to port" {
  kn_d run -d --name lo --network bridge -p 127.0.0.1:8081:80 busybox sh -c "$HTTPD"
  fetch "$H" 127.0.0.1 8081 || fail "not reached on 127.0.0.1"
  ! fetch_once "$O" 10.200.0.1 8081
  ! fetch_once "$H" 10.200.0.1 8081
  kn_ok port lo
  [ "$output" = "80/tcp -> 127.0.0.1:8081" ]
  kn_ok inspect -f '{{json .HostConfig.PortBindings}}' lo
  [ "$output" = '{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8081"}]}' ]
  kn_d run -d --name rg --network bridge -p 9000-9001:80-81 busybox sh -c "$HTTPD"
  fetch "$O" 10.200.0.1 9000 || fail "9000 not reached"
  kn_ok port rg
  [ "$output" = "$(printf '80/tcp -> 0.0.0.0:9000\n81/tcp -> 0.0.0.0:9001')" ]
  # A host range for one port: the first free one of it.
  kn_d run -d --name hr --network bridge -p 9000-9010:80 busybox sh -c "$HTTPD"
  kn_ok port hr 80
  [ "$output" = "0.0.0.0:9002" ]
  kn_ok inspect -f '{{json .HostConfig.PortBindings}}' hr
  [ "$output" = '{"80/tcp":[{"HostIp":"","HostPort":"9000-9010"}]}' ]
  fetch "$O" 10.200.0.1 9002 || fail "9002 not reached"
  kn_ok rm -f lo rg hr
  [ -z "$(elements)" ] && [ -z "$(host_veths)" ] && [ "$(leases)" = 0 ]
}

@test "ports: a udp mapping" {
  # busybox's nc has no -u: the container's side listens with the host's
  # python3 entered into the container's network namespace, the outside
  # sends with bash's /dev/udp.
  kn_d run -d --name ud --network bridge -p 5353:53/udp busybox sleep 100
  kn_ok port ud
  [ "$output" = "53/udp -> 0.0.0.0:5353" ]
  [ "$(elements)" = "5353 : 172.17.0.2 . 53" ] || fail "$(elements)"
  local pid
  pid="$(kn inspect -f '{{.State.Pid}}' ud)"
  nsenter --net="/proc/$pid/ns/net" timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
print("ready", flush=True)
data, peer = s.recvfrom(100)
print(data.decode().strip(), peer[0], flush=True)
' >"$TEST_DIR/udp.out" 2>&1 3>&- &
  local lpid=$! i
  for i in $(seq 1 50); do
    grep -q ready "$TEST_DIR/udp.out" && break
    sleep 0.1
  done
  for i in $(seq 1 20); do
    ip netns exec "$O" bash -c 'echo hello-udp >/dev/udp/10.200.0.1/5353' || true
    grep -q hello-udp "$TEST_DIR/udp.out" && break
    sleep 0.2
  done
  wait "$lpid" || true
  grep -q 'hello-udp 10.200.0.2' "$TEST_DIR/udp.out" || fail "received: $(cat "$TEST_DIR/udp.out")"
  kn_ok rm -f ud
  [ -z "$(elements)" ]
}

@test "ports: -P publishes the exposed ports on ports of ip_local_port_range" {
  ip netns exec "$H" sysctl -qw net.ipv4.ip_local_port_range="40000 40100"
  tar -C "$BUNDLE/rootfs" -cf - . | kn import --change 'EXPOSE 80' - exposed:latest >/dev/null
  kn_d run -d --name pa --network bridge -P --expose 443 exposed sh -c "$HTTPD"
  kn_ok port pa 80
  local port=${output##*:}
  [[ "$output" == 0.0.0.0:* ]] && [ "$port" -ge 40000 ] && [ "$port" -le 40100 ] || fail "$output"
  kn_ok port pa 443
  [[ "$output" == 0.0.0.0:4* ]] || fail "$output"
  fetch "$O" 10.200.0.1 "$port" || fail "$port not reached"
  kn_ok inspect -f '{{.HostConfig.PublishAllPorts}} {{json .HostConfig.PortBindings}}' pa
  [ "$output" = "true {}" ]
  kn_ok inspect -f '{{json .NetworkSettings.Ports}}' pa
  [ "$(jq -r 'keys | join(" ")' <<<"$output")" = "443/tcp 80/tcp" ] || fail "$output"
  [ "$(jq -r '.["80/tcp"][0].HostPort' <<<"$output")" = "$port" ]
  # Without -P, an exposed port is shown unpublished (null).
  kn_d run -d --name ex --network bridge -p 8080:80 --expose 443 busybox sleep 100
  kn_ok inspect -f '{{json .NetworkSettings.Ports}}' ex
  [ "$output" = '{"443/tcp":null,"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}' ] \
    || [ "$output" = '{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}],"443/tcp":null}' ] || fail "$output"
  kn_ok ps --format '{{.Ports}}' -f name=ex
  [ "$output" = "443/tcp, 0.0.0.0:8080->80/tcp" ]
  kn_ok rm -f pa ex
  [ -z "$(elements)" ]
}

@test "ports: the same host port twice is refused and the second container leaves nothing" {
  kn_d run -d --name one --network bridge -p 8080:80 busybox sleep 100
  run_kn run -d --name two --network bridge -p 8080:80 busybox sleep 100 3>&-
  [ "$status" -eq 125 ] || fail "status $status"
  [[ "$output" == *"Bind for 0.0.0.0:8080 failed: port is already allocated"* ]] || fail "$output"
  kn_ok inspect -f '{{.State.Status}}' two
  [ "$output" != running ]
  [ "$(elements)" = "8080 : 172.17.0.2 . 80" ] || fail "$(elements)"
  [ "$(host_veths | wc -l)" = 1 ] && [ "$(leases)" = 1 ]
  # 127.0.0.1:8080 is taken too by 0.0.0.0:8080.
  run_kn run -d --network bridge -p 127.0.0.1:8080:80 busybox sleep 100 3>&-
  [ "$status" -eq 125 ] && [[ "$output" == *"Bind for 127.0.0.1:8080 failed: port is already allocated"* ]]
  # A host process listening on a port.
  ip netns exec "$H" busybox nc -l -p 8090 </dev/null >/dev/null 2>&1 3>&- &
  HTTPD_PID=$!
  sleep 0.3
  run_kn run -d --network bridge -p 8090:80 busybox sleep 100 3>&-
  [ "$status" -eq 125 ] && [[ "$output" == *"Bind for 0.0.0.0:8090 failed: port is already allocated"* ]]
  [ "$(elements)" = "8080 : 172.17.0.2 . 80" ] && [ "$(host_veths | wc -l)" = 1 ] && [ "$(leases)" = 1 ]
  kn_ok rm -f one
  # The port is free again.
  kn_d run -d --name three --network bridge -p 8080:80 busybox sleep 100
  kn_ok rm -f three two
  [ -z "$(elements)" ] && [ -z "$(host_veths)" ] && [ "$(leases)" = 0 ]
}

@test "ports: malformed -p values exit 125 with docker's message and create nothing" {
  local bad msg
  while IFS='|' read -r bad msg; do
    run_kn run --network bridge -p "$bad" busybox true
    [ "$status" -eq 125 ] || fail "-p $bad: status $status"
    [[ "$output" == *"kago: $msg"* ]] || fail "-p $bad: $output"
  done <<'EOF'
x|invalid containerPort: x
8080:x|invalid containerPort: x
x:80|invalid hostPort: x
80/foo|invalid proto: foo
1.2.3:8080:80|invalid IP address: 1.2.3
8000-8001:80-82|invalid ranges specified for container and host Ports: 80-82 and 8000-8001
70000:80|invalid hostPort: 70000
8080:|no port specified: 8080:<empty>
[::1]:8080:80|publishing on an IPv6 address is not supported: [::1]
80/sctp|publishing sctp ports is not supported (tcp and udp are): 80/sctp
EOF
  run_kn run --network none -p 80 busybox true
  [ "$status" -eq 125 ] && [[ "$output" == *"conflicting options: port publishing and the container type network mode"* ]]
  run_kn run --network host -p 80 busybox true
  [ "$status" -eq 0 ] && [[ "$output" == *"Published ports are discarded when using host network mode"* ]]
  run_kn ps -aq
  [ "$(printf '%s' "$output" | grep -c .)" -le 1 ] || fail "containers left: $output"
  [ -z "$(elements)" ]
}

@test "ports: a killed monitor's elements are removed by rm, and by the next start when its record is gone" {
  kn_d run -d --name km --network bridge -p 8080:80 busybox sleep 100
  local pid mon
  pid="$(kn inspect -f '{{.State.Pid}}' km)"
  mon="$(awk '{print $4}' "/proc/$pid/stat")"
  kill -9 "$mon"
  sleep 0.2
  [ "$(elements)" = "8080 : 172.17.0.2 . 80" ]
  kn_ok rm -f km
  [ -z "$(elements)" ] || fail "$(elements)"
  # A ports file whose container is gone (a directory removed by hand).
  kn_d run -d --name gm --network bridge -p 8081:80 busybox sleep 100
  local id
  id="$(kn inspect -f '{{.Id}}' gm)"
  cp "$IMG_ROOT/networks/bridge/ports/$id" "$IMG_ROOT/networks/bridge/ports/$(printf '%064d' 7)"
  sed -i 's/ 8081 / 8082 /' "$IMG_ROOT/networks/bridge/ports/$(printf '%064d' 7)"
  ip netns exec "$H" nft add element ip kago tcp_any '{ 8082 : 172.17.0.200 . 80 }'
  kn_d run -d --name hm --network bridge -p 8082:80 busybox sleep 100
  [ ! -e "$IMG_ROOT/networks/bridge/ports/$(printf '%064d' 7)" ]
  kn_ok port hm 80
  [ "$output" = "0.0.0.0:8082" ]
}

@test "ports: a table set up before published ports existed gets its maps and chains at the first -p" {
  kn_d run -d --name plain --network bridge busybox sleep 100
  # The table as a kago without ports made it.
  ip netns exec "$H" nft -f - <<'NFT'
flush chain ip kago postrouting
add rule ip kago postrouting ip saddr 172.17.0.0/16 oifname != "kago0" masquerade
delete chain ip kago prerouting
delete chain ip kago output
delete chain ip kago ports
delete map ip kago tcp_any
delete map ip kago tcp_ip
delete map ip kago udp_any
delete map ip kago udp_ip
NFT
  kn_d run -d --name web --network bridge -p 8080:80 busybox sh -c "$HTTPD"
  fetch "$O" 10.200.0.1 8080 || fail "not reached"
  fetch "$H" 127.0.0.1 8080 || fail "not reached on 127.0.0.1"
  [ "$(elements)" = "8080 : 172.17.0.3 . 80" ] || fail "$(elements)"
}

@test "ports: restarts publish again; the last exit leaves no element" {
  kn_d run -d --name rs --network bridge --restart on-failure:2 -p 8085:80 busybox sh -c 'sleep 0.5; exit 1'
  kn_ok port rs
  [ "$output" = "80/tcp -> 0.0.0.0:8085" ]
  kn_ok wait rs
  local i
  for i in $(seq 1 50); do
    [ "$(kn inspect -f '{{.RestartCount}} {{.State.Status}}' rs)" = "2 exited" ] && break
    sleep 0.2
  done
  kn_ok inspect -f '{{.RestartCount}} {{.State.Status}} {{json .NetworkSettings.Ports}}' rs
  [ "$output" = "2 exited {}" ] || fail "$output"
  [ -z "$(elements)" ] || fail "$(elements)"
  [ -z "$(ls -A "$IMG_ROOT/networks/bridge/ports")" ]
}
