#!/usr/bin/env bats
# Idmapped mounts (seed 003, runtime-spec 1.2 idmap/ridmap): a container in a
# 0 -> 100000 user namespace sees a host-root-owned directory as its own root
# and can write it through an idmapped bind mount, without any chown; without
# the idmap it sees nobody (65534) and cannot.  The rootfs itself idmapped on
# request (annotation io.kago.rootfs.idmap).

load helpers

USERNS='.linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'

# The container's root (host uid 100000) must be able to reach its rootfs
# and the shared directory.
open_path() {
  local d="$1"
  while [ "$d" != / ]; do
    chmod o+x "$d"
    d="$(dirname "$d")"
  done
}

setup() {
  kago_setup
  SHARED="$TEST_DIR/shared"
  mkdir -p "$SHARED"
  chown 0:0 "$SHARED"
  chmod 755 "$SHARED"
  echo host >"$SHARED/owned-by-root"
  open_path "$SHARED"
}

run_in_userns() { # args-json extra-jq
  make_bundle "$1"
  open_path "$BUNDLE/rootfs"
  mkdir -p "$BUNDLE/rootfs/mnt"
  update_config "$USERNS | $2" --arg s "$SHARED"
  kago_ok run --bundle "$BUNDLE" "$CID"
}

@test "idmap: a host-root-owned dir is the container root's, and writable" {
  run_in_userns '["sh","-c","stat -c %u:%g /mnt /mnt/owned-by-root && touch /mnt/new && echo wrote"]' \
    '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["bind", "idmap"]}]'
  [ "${lines[0]}" = 0:0 ]
  [ "${lines[1]}" = 0:0 ]
  [ "${lines[2]}" = wrote ]
  # What the container's root wrote is host root's on disk: no chown anywhere.
  [ "$(stat -c %u:%g "$SHARED/new")" = 0:0 ]
  [ "$(stat -c %u:%g "$SHARED")" = 0:0 ]
}

@test "idmap: without it the same dir is nobody's and read-only to the container's root" {
  run_in_userns '["sh","-c","stat -c %u:%g /mnt; touch /mnt/new 2>&1; echo rc=$?"]' \
    '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["bind"]}]'
  [ "${lines[0]}" = 65534:65534 ]
  [[ "$output" == *"Permission denied"* ]]
  [[ "$output" == *"rc=1"* ]]
  [ ! -e "$SHARED/new" ]
}

@test "idmap: explicit mappings on the mount (a throwaway user namespace), ridmap" {
  # Host uid 0 appears as container uid 7 (mapping 7 -> 0 on the mount),
  # so the dir is owned by container uid 7, who is host uid 100007.
  run_in_userns '["sh","-c","stat -c %u:%g /mnt"]' \
    '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["rbind", "ridmap"],
                  "uidMappings": [{"containerID": 0, "hostID": 100007, "size": 1}],
                  "gidMappings": [{"containerID": 0, "hostID": 100007, "size": 1}]}]'
  [ "$output" = 7:7 ]
}

@test "idmap: the rootfs idmapped on request, so the container's root owns its image" {
  run_in_userns '["sh","-c","stat -c %u /etc; touch /etc/kago-was-here && echo wrote; true"]' \
    '.annotations["io.kago.rootfs.idmap"] = "true" | .root.readonly = false'
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = wrote ]
  [ "$(stat -c %u "$BUNDLE/rootfs/etc/kago-was-here")" = 0 ]

  # Without it, / is nobody's.
  rm -f "$BUNDLE/rootfs/etc/kago-was-here"
  update_config 'del(.annotations["io.kago.rootfs.idmap"])'
  kago_ok run --bundle "$BUNDLE" "$CID"
  [ "${lines[0]}" = 65534 ]
  [ "${lines[1]}" != wrote ]
}

@test "idmap: refused where it cannot work, with nothing left behind" {
  make_bundle '["true"]'
  update_config '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["bind", "idmap"]}]' \
    --arg s "$SHARED"
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"mounts["*"(\`/mnt\`): idmap without uidMappings/gidMappings uses the container's user namespace, and this container has none"* ]]
  kago_fails state "$CID"

  update_config "$USERNS"' | .mounts[-1] = {"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"idmap applies to bind mounts only"* ]]

  update_config 'del(.linux.namespaces[] | select(.type == "user")) | del(.linux.uidMappings, .linux.gidMappings)
    | del(.mounts[-1]) | .annotations["io.kago.rootfs.idmap"] = "true"'
  kago_fails create --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"an idmapped rootfs needs a user namespace"* ]]
  kago_fails state "$CID"
}
