#!/usr/bin/env bats
# Images: kago's store and its commands (import, images, image inspect, tag,
# rmi, image prune, save, load, image mount) through the real binary, with a
# temporary store ($IMG_ROOT, passed as --root).  Images are made here from
# the busybox rootfs of the bundle helpers, or layer by layer with tar; podman
# (when installed) checks that kago's archives are what docker-save readers
# expect and that kago reads what podman writes.

load helpers

podman_t() {
  podman --root "$TEST_DIR/podman-root" --runroot "$TEST_DIR/podman-run" --cgroup-manager cgroupfs "$@"
}

setup() {
  kago_setup
  [ -x "$KAGO_BIN" ] || fail "$KAGO_BIN not found: run 'make build' first"
  IMG_ROOT="$TEST_DIR/store"
  make_bundle --no-config
  ROOTFS_TAR="$TEST_DIR/rootfs.tar"
  tar -C "$BUNDLE/rootfs" -cf "$ROOTFS_TAR" .
}

teardown() {
  if [ -d "$TEST_DIR/podman-root" ]; then
    podman_t rm -af >/dev/null 2>&1 || true
    podman_t system reset -f >/dev/null 2>&1 || true
  fi
  local m
  for m in $(awk -v d="$TEST_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || true
  done
  kago_teardown
}

# The number of unpacked layers and of blobs in the store.
nlayers() { find "$IMG_ROOT/image/layers" -mindepth 1 -maxdepth 1 | wc -l; }
nblobs() { find "$IMG_ROOT/image/blobs/sha256" -mindepth 1 -maxdepth 1 | wc -l; }
ntmp() { find "$IMG_ROOT/image/tmp" -mindepth 1 -maxdepth 1 | wc -l; }

# make_archive OUT TAG LAYER.tar...: a docker-save archive by hand: a config
# whose diff IDs are the layers' sha256, manifest.json, the layers.
make_archive() {
  local out="$1" tag="$2" d diffs="" layers="" l h
  shift 2
  d="$(mktemp -d "$TEST_DIR/arch.XXXXXX")"
  for l in "$@"; do
    h="$(sha256sum "$l" | cut -d' ' -f1)"
    mkdir -p "$d/$h"
    cp "$l" "$d/$h/layer.tar"
    diffs="$diffs${diffs:+,}\"sha256:$h\""
    layers="$layers${layers:+,}\"$h/layer.tar\""
  done
  printf '{"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05Z","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" >"$d/config.json"
  h="$(sha256sum "$d/config.json" | cut -d' ' -f1)"
  mv "$d/config.json" "$d/$h.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":[%s]}]' "$h" "$tag" "$layers" >"$d/manifest.json"
  tar -C "$d" -cf "$out" .
  echo "sha256:$h"
}

@test "import a busybox rootfs tar, with --change, and list it" {
  kimg_ok import \
    -c 'CMD ["/bin/sh", "-c", "echo hi"]' -c 'ENTRYPOINT /bin/env' -c 'ENV A=1 B="two words"' -c 'ENV C three' \
    -c 'WORKDIR /srv' -c 'WORKDIR app' -c 'USER 1000:1000' -c 'EXPOSE 80 53/udp' -c 'LABEL org.a=b "c d"=e' \
    -m 'from the bundle' "$ROOTFS_TAR" bb:t1
  id="$output"
  [[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed '$id', not an image ID"
  short="${id:7:12}"

  kimg_ok images
  [ "${lines[0]}" = "REPOSITORY   TAG       IMAGE ID       CREATED                  SIZE" ] \
    || [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]] || fail "header: ${lines[0]}"
  [ "${#lines[@]}" -eq 2 ] || fail "want 1 image row"
  [[ "${lines[1]}" =~ ^bb\ +t1\ +$short\ +.*\ ago\ +[0-9.]+[kM]B$ ]] || fail "row: ${lines[1]}"

  kimg_ok images -q
  [ "$output" = "$short" ]
  kimg_ok images --no-trunc -q
  [ "$output" = "$id" ]
  kimg_ok images --digests
  [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +DIGEST\ +IMAGE\ ID ]]
  [[ "${lines[1]}" =~ ^bb\ +t1\ +\<none\>\ +$short ]]
  kimg_ok images --format json
  [ "$(jq -r .Repository <<<"$output")" = bb ]
  [ "$(jq -r .Tag <<<"$output")" = t1 ]
  [ "$(jq -r .ID <<<"$output")" = "$short" ]
  kimg_ok images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  [ "$output" = "bb:t1 $short" ]

  kimg_ok image inspect bb:t1
  inspect="$output"
  [ "$(jq -r '.[0].Id' <<<"$inspect")" = "$id" ]
  [ "$(jq -c '.[0].RepoTags' <<<"$inspect")" = '["bb:t1"]' ]
  [ "$(jq -c '.[0].RepoDigests' <<<"$inspect")" = '[]' ]
  [ "$(jq -c '.[0].Config.Cmd' <<<"$inspect")" = '["/bin/sh","-c","echo hi"]' ]
  [ "$(jq -c '.[0].Config.Entrypoint' <<<"$inspect")" = '["/bin/sh","-c","/bin/env"]' ]
  [ "$(jq -c '.[0].Config.Env' <<<"$inspect")" = '["A=1","B=two words","C=three"]' ]
  [ "$(jq -r '.[0].Config.WorkingDir' <<<"$inspect")" = /srv/app ]
  [ "$(jq -r '.[0].Config.User' <<<"$inspect")" = 1000:1000 ]
  [ "$(jq -c '.[0].Config.ExposedPorts' <<<"$inspect")" = '{"80/tcp":{},"53/udp":{}}' ]
  [ "$(jq -c '.[0].Config.Labels' <<<"$inspect")" = '{"org.a":"b","c d":"e"}' ]
  [ "$(jq -r '.[0].Comment' <<<"$inspect")" = "from the bundle" ]
  [ "$(jq -r '.[0].Architecture' <<<"$inspect")" = amd64 ]
  [ "$(jq -r '.[0].Os' <<<"$inspect")" = linux ]
  [ "$(jq -r '.[0].RootFS.Type' <<<"$inspect")" = layers ]
  # The single layer's diff ID is the digest of the tar imported.
  [ "$(jq -r '.[0].RootFS.Layers[0]' <<<"$inspect")" = "sha256:$(sha256sum "$ROOTFS_TAR" | cut -d' ' -f1)" ]
  [ "$(jq -r '.[0].Size' <<<"$inspect")" -gt 1000000 ]
  kimg_ok image inspect --format '{{.Id}} {{json .RepoTags}}' "$short"
  [ "$output" = "$id [\"bb:t1\"]" ]

  # The layer is unpacked: busybox is there, with its mode.
  lower="$(jq -r '.[0].GraphDriver.Data.LowerDir' <<<"$inspect")"
  [ -x "$lower/bin/busybox" ]
  cmp "$lower/bin/busybox" "$BUNDLE/rootfs/bin/busybox"

  # From stdin, gzip-compressed: the same content, the same layer.
  gzip -c "$ROOTFS_TAR" >"$TEST_DIR/rootfs.tar.gz"
  run_kimg import - bb:gz <"$TEST_DIR/rootfs.tar.gz"
  [ "$status" -eq 0 ] || fail "import from stdin: $output"
  [ "$(nlayers)" -eq 1 ] || fail "the same tar was unpacked twice"
  kimg_ok images --format '{{.Tag}}'
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "gz t1 " ]
}

@test "save then load keeps the image ID, tags and layers" {
  kimg_ok import -c 'CMD ["/bin/sh"]' "$ROOTFS_TAR" bb:t1
  id="$output"
  kimg_ok tag bb:t1 localhost:5000/team/bb:v2
  kimg_ok save -o "$TEST_DIR/out.tar" bb:t1 localhost:5000/team/bb:v2
  [ -f "$TEST_DIR/out.tar" ]
  # docker-save layout: manifest.json, repositories, the config byte for byte.
  tar -xOf "$TEST_DIR/out.tar" manifest.json >"$TEST_DIR/manifest.json"
  [ "$(jq -r '.[0].Config' "$TEST_DIR/manifest.json")" = "${id#sha256:}.json" ]
  [ "$(jq -c '.[0].RepoTags' "$TEST_DIR/manifest.json")" = '["bb:t1","localhost:5000/team/bb:v2"]' ]
  [ "$(tar -xOf "$TEST_DIR/out.tar" "${id#sha256:}.json" | sha256sum | cut -d' ' -f1)" = "${id#sha256:}" ]
  layer="$(jq -r '.[0].Layers[0]' "$TEST_DIR/manifest.json")"
  [ "$(tar -xOf "$TEST_DIR/out.tar" "$layer" | sha256sum | cut -d' ' -f1)" = "$(sha256sum "$ROOTFS_TAR" | cut -d' ' -f1)" ]
  tar -xOf "$TEST_DIR/out.tar" repositories | jq -e '.bb.t1 and .["localhost:5000/team/bb"].v2' >/dev/null

  kimg_ok rmi bb:t1 localhost:5000/team/bb:v2
  kimg_ok images -q
  [ -z "$output" ]
  [ "$(nlayers)" -eq 0 ]
  [ "$(nblobs)" -eq 0 ]

  kimg_ok load -i "$TEST_DIR/out.tar"
  [ "${lines[0]}" = "Loaded image: bb:t1" ]
  [ "${lines[1]}" = "Loaded image: localhost:5000/team/bb:v2" ]
  kimg_ok image inspect --format '{{.Id}}' bb:t1
  [ "$output" = "$id" ]
  kimg_ok images --format '{{.Repository}}:{{.Tag}}'
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "bb:t1 localhost:5000/team/bb:v2 " ]
  [ "$(nlayers)" -eq 1 ]

  # A compressed archive through stdin loads the same.
  kimg_ok rmi -f "$id"
  gzip -c "$TEST_DIR/out.tar" >"$TEST_DIR/out.tar.gz"
  run_kimg load <"$TEST_DIR/out.tar.gz"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Loaded image: bb:t1" ]
}

@test "podman loads kago's save and runs it; kago loads what podman saves" {
  requires_cmd podman
  kimg_ok import -c 'CMD ["/bin/sh"]' -c 'ENV GREETING=hello-from-a-kago-image' "$ROOTFS_TAR" bb:t1
  id="$output"
  kimg_ok save -o "$TEST_DIR/kago.tar" bb:t1
  run podman_t load -i "$TEST_DIR/kago.tar"
  [ "$status" -eq 0 ] || fail "podman load: $output"
  [[ "$output" == *"Loaded image: localhost/bb:t1"* ]] || fail "podman load said: $output"
  run podman_t image inspect --format '{{.Id}}' localhost/bb:t1
  [ "$output" = "${id#sha256:}" ] || fail "podman sees the image as $output, kago as $id"
  run podman_t --runtime "$KAGO" run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    localhost/bb:t1 sh -c 'echo $GREETING'
  [ "$status" -eq 0 ] || fail "podman run: $output"
  [ "${lines[-1]}" = hello-from-a-kago-image ]

  # podman's own image of the same tar, as docker-archive and as oci-archive.
  run podman_t import "$ROOTFS_TAR" pod:1
  [ "$status" -eq 0 ] || fail "podman import: $output"
  pid="$(podman_t image inspect --format '{{.Id}}' localhost/pod:1)"
  run podman_t save -o "$TEST_DIR/pod.tar" localhost/pod:1
  [ "$status" -eq 0 ] || fail "podman save: $output"
  kimg_ok load -i "$TEST_DIR/pod.tar"
  [ "$output" = "Loaded image: localhost/pod:1" ]
  kimg_ok image inspect --format '{{.Id}}' localhost/pod:1
  [ "$output" = "sha256:$pid" ]
  # Same tar, same diff ID: the layer is shared with kago's import.
  [ "$(nlayers)" -eq 1 ]

  run podman_t save --format oci-archive -o "$TEST_DIR/pod-oci.tar" localhost/pod:1
  [ "$status" -eq 0 ] || fail "podman save --format oci-archive: $output"
  kimg_ok rmi localhost/pod:1
  kimg_ok load -i "$TEST_DIR/pod-oci.tar"
  [ "$output" = "Loaded image: localhost/pod:1" ]
  kimg_ok image inspect --format '{{.Id}}' localhost/pod:1
  [ "$output" = "sha256:$pid" ]
}

# podman run with podman's own runtime.  Debian 12's podman defaults to
# crun, which refuses hybrid cgroup hosts like the development machines
# ("cgroups in hybrid mode not supported"); runc, also installed, is used
# there instead.  Never kago-runtime: this checks the image, not kago.
podman_run_own() {
  run podman_t run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"
  if [ "$status" -ne 0 ] && [[ "$output" == *"cgroups in hybrid mode not supported"* ]]; then
    echo "# podman's default runtime refuses this host's cgroups: runc"
    podman_t rm -af >/dev/null 2>&1 # (the test's own podman root: what the failed run created)
    run podman_t --runtime runc run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"
  fi
}

# Run CMD (JSON args) in image IMG of kago's store: image mount (overlay),
# a bundle whose root is the mounted tree, kago-runtime run.
kago_run_image() {
  local img="$1" args="$2" dir
  dir="$(mktemp -u "$TEST_DIR/ctr.XXXXXX")"
  kimg_ok image mount "$img" "$dir"
  local merged="$output"
  make_bundle "$args"
  update_config '.root.path = $p | .root.readonly = false' --arg p "$merged"
  kago_ok run --bundle "$BUNDLE" "$(new_id)"
  local out="$output"
  kimg_ok image unmount "$dir"
  output="$out"
}

@test "interop: kago's save runs under podman's own runtime; podman's saves (docker and OCI archives) run in kago" {
  requires_cmd podman
  kimg_ok import -c 'CMD ["/bin/sh"]' -c 'ENV GREETING=hello-from-a-kago-image' "$ROOTFS_TAR" bb:t1
  kimg_ok save -o "$TEST_DIR/kago.tar" bb:t1
  run podman_t load -i "$TEST_DIR/kago.tar"
  [ "$status" -eq 0 ] || fail "podman load: $output"
  podman_run_own localhost/bb:t1 sh -c 'echo $GREETING'
  [ "$status" -eq 0 ] || fail "podman run: $output"
  [ "${lines[-1]}" = hello-from-a-kago-image ] || fail "podman run printed: $output"

  # A two-layer image made by podman: its import, then a container that adds
  # a file and deletes one (a whiteout in podman's layer), committed.
  run podman_t import -c 'ENV MADE_BY=podman' "$ROOTFS_TAR" pod:1
  [ "$status" -eq 0 ] || fail "podman import: $output"
  podman_run_own --name "mk$CID" --rm=false localhost/pod:1 sh -c 'echo made-by-podman >/greeting; rm /bin/ls'
  [ "$status" -eq 0 ] || fail "podman run: $output"
  run podman_t commit -q "mk$CID" localhost/pod:2
  [ "$status" -eq 0 ] || fail "podman commit: $output"
  run podman_t rm "mk$CID"
  local pid
  pid="$(podman_t image inspect --format '{{.Id}}' localhost/pod:2)"
  run podman_t save -o "$TEST_DIR/pod2.tar" localhost/pod:2
  [ "$status" -eq 0 ] || fail "podman save: $output"
  run podman_t save --format oci-archive -o "$TEST_DIR/pod2-oci.tar" localhost/pod:2
  [ "$status" -eq 0 ] || fail "podman save --format oci-archive: $output"

  local f
  for f in pod2.tar pod2-oci.tar; do
    kimg_ok load -i "$TEST_DIR/$f"
    [ "$output" = "Loaded image: localhost/pod:2" ] || fail "$f: $output"
    kimg_ok image inspect --format '{{.Id}} {{json .RootFS.Layers}}' localhost/pod:2
    [ "${output%% *}" = "sha256:$pid" ] || fail "$f: loaded as $output, podman's is $pid"
    [ "$(jq length <<<"${output#* }")" -eq 2 ] || fail "$f: not 2 layers: $output"
    kimg_ok image inspect --format '{{json .Config.Env}}' localhost/pod:2
    [[ "$output" == *'"MADE_BY=podman"'* ]] || fail "$f: the config's Env: $output"
    kago_run_image localhost/pod:2 '["sh", "-c", "cat /greeting; test -e /bin/ls || echo ls-deleted"]'
    [ "$output" = "$(printf 'made-by-podman\nls-deleted')" ] || fail "$f: the container printed: $output"
    kimg_ok rmi localhost/pod:2
  done
}

# Two layers: the second deletes a file (.wh.), replaces a directory's content
# (.wh..wh..opq), changes a file and adds a symlink.
make_whiteout_layers() {
  local l1="$TEST_DIR/l1" l2="$TEST_DIR/l2"
  mkdir -p "$l1/etc" "$l1/opq/sub" "$l1/keep"
  echo one >"$l1/etc/motd"
  echo gone >"$l1/etc/gone"
  echo old >"$l1/opq/old"
  echo deep >"$l1/opq/sub/deep"
  echo kept >"$l1/keep/file"
  chmod 4755 "$l1/keep/file"
  mkdir -p "$l2/etc" "$l2/opq"
  echo two >"$l2/etc/motd"
  : >"$l2/etc/.wh.gone"
  : >"$l2/opq/.wh..wh..opq"
  echo new >"$l2/opq/new"
  ln -s /etc/motd "$l2/link"
  tar -C "$l1" -cf "$TEST_DIR/l1.tar" .
  tar -C "$l2" -cf "$TEST_DIR/l2.tar" .
}

check_whiteout_tree() {
  local r="$1"
  [ "$(cat "$r/etc/motd")" = two ] || fail "etc/motd: $(cat "$r/etc/motd")"
  [ ! -e "$r/etc/gone" ] || fail "etc/gone was whited out"
  [ ! -e "$r/etc/.wh.gone" ] || fail "the whiteout file itself is visible"
  [ "$(ls -A "$r/opq")" = new ] || fail "opq holds: $(ls -A "$r/opq")"
  [ "$(cat "$r/keep/file")" = kept ]
  [ "$(stat -c %a "$r/keep/file")" = 4755 ]
  [ "$(readlink "$r/link")" = /etc/motd ]
}

@test "a multi-layer image with whiteouts unpacks to the expected tree (overlay and copy)" {
  make_whiteout_layers
  id="$(make_archive "$TEST_DIR/wh.tar" wh:1 "$TEST_DIR/l1.tar" "$TEST_DIR/l2.tar")"
  kimg_ok load -i "$TEST_DIR/wh.tar"
  [ "$output" = "Loaded image: wh:1" ]
  kimg_ok image inspect wh:1
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
  lower="$(jq -r '.[0].GraphDriver.Data.LowerDir' <<<"$output")"
  top="${lower%%:*}"
  # The top layer holds overlayfs' forms of the whiteouts.
  [ "$(stat -c '%F %t:%T' "$top/etc/gone")" = "character special file 0:0" ]
  # ... and the opaque directory its xattr (read with getfattr when the attr
  # package is there; the mounts below check its effect in any case).
  if command -v getfattr >/dev/null 2>&1; then
    [ "$(getfattr --only-values -n trusted.overlay.opaque "$top/opq")" = y ] || fail "no opaque xattr on $top/opq"
  fi
  [ ! -e "$top/opq/.wh..wh..opq" ]

  kimg_ok image mount wh:1 "$TEST_DIR/c1"
  merged="$output"
  [ "$merged" = "$TEST_DIR/c1/merged" ] || fail "overlay was not mounted: $merged"
  check_whiteout_tree "$merged"
  echo written >"$merged/etc/new"
  [ "$(cat "$TEST_DIR/c1/upper/etc/new")" = written ]
  kimg_ok image unmount "$TEST_DIR/c1"
  [ ! -e "$TEST_DIR/c1" ]

  kimg_ok image mount --copy wh:1 "$TEST_DIR/c2"
  [ "$output" = "$TEST_DIR/c2/rootfs" ]
  check_whiteout_tree "$output"
  kimg_ok image unmount "$TEST_DIR/c2"
  [ ! -e "$TEST_DIR/c2" ]
}

@test "rmi and image prune remove unused layers and keep shared ones" {
  make_whiteout_layers
  mkdir -p "$TEST_DIR/l3"
  echo three >"$TEST_DIR/l3/three"
  tar -C "$TEST_DIR/l3" -cf "$TEST_DIR/l3.tar" .
  make_archive "$TEST_DIR/a.tar" img:a "$TEST_DIR/l1.tar" "$TEST_DIR/l2.tar" >/dev/null
  make_archive "$TEST_DIR/b.tar" img:b "$TEST_DIR/l1.tar" "$TEST_DIR/l3.tar" >/dev/null
  kimg_ok load -i "$TEST_DIR/a.tar"
  kimg_ok load -i "$TEST_DIR/b.tar"
  [ "$(nlayers)" -eq 3 ] || fail "the shared bottom layer was unpacked twice: $(nlayers) layers"
  kimg_ok image inspect --format '{{json .GraphDriver.Data.LowerDir}}' img:b
  b_lower="$(jq -r . <<<"$output")"
  bottom="${b_lower##*:}"

  # A second tag: rmi of one only untags.
  kimg_ok tag img:a img:a2
  kimg_ok rmi img:a2
  [ "$output" = "Untagged: img:a2" ]
  [ "$(nlayers)" -eq 3 ]

  kimg_ok rmi img:a
  [ "${lines[0]}" = "Untagged: img:a" ]
  [[ "${lines[1]}" =~ ^Deleted:\ sha256: ]]
  [ "${#lines[@]}" -eq 3 ] || fail "want the image and its one unshared layer deleted"
  [ "$(nlayers)" -eq 2 ]
  [ -d "$bottom" ] || fail "the layer img:b shares was removed"
  [ "$(cat "$bottom/etc/motd")" = one ]

  # Dangling images go with prune, tagged ones stay.
  kimg_ok import "$ROOTFS_TAR"
  dangling="$output"
  kimg_ok images
  [[ "$output" == *"<none>"*"<none>"*"${dangling:7:12}"* ]]
  kimg_ok image prune -f
  [ "${lines[0]}" = "Deleted Images:" ]
  [ "${lines[1]}" = "deleted: $dangling" ]
  [[ "${lines[-1]}" =~ ^Total\ reclaimed\ space:\ [0-9.]+[kM]B$ ]]
  kimg_ok images -q
  [ "$(wc -l <<<"$output")" -eq 1 ]
  kimg_ok image prune -f
  [ "$output" = "Total reclaimed space: 0B" ]
  kimg_ok image prune -a -f
  kimg_ok images -q
  [ -z "$output" ]
  [ "$(nlayers)" -eq 0 ]
  [ "$(nblobs)" -eq 0 ]
}

@test "bad input: each a clear error, nothing half-written visible" {
  kimg_ok import "$ROOTFS_TAR" ok:1
  base_layers="$(nlayers)" base_blobs="$(nblobs)"

  echo "this is not an archive" >"$TEST_DIR/junk"
  kimg_fails load -i "$TEST_DIR/junk"
  [[ "$output" == "kago: read the archive: "* ]] || fail "message: $output"
  kimg_fails import "$TEST_DIR/junk" junk:1
  [[ "$output" == *"unpack the layer"* ]] || fail "message: $output"

  # A layer that is not what the config's diff ID says.
  mkdir -p "$TEST_DIR/x"
  echo x >"$TEST_DIR/x/x"
  tar -C "$TEST_DIR/x" -cf "$TEST_DIR/x.tar" .
  make_archive "$TEST_DIR/bad.tar" bad:1 "$TEST_DIR/x.tar" >/dev/null
  d="$(mktemp -d "$TEST_DIR/re.XXXXXX")"
  tar -C "$d" -xf "$TEST_DIR/bad.tar"
  echo y >"$TEST_DIR/x/x"
  tar -C "$TEST_DIR/x" -cf "$(ls "$d"/*/layer.tar)" .
  tar -C "$d" -cf "$TEST_DIR/bad.tar" .
  kimg_fails load -i "$TEST_DIR/bad.tar"
  [[ "$output" == *"diff ID mismatch"* ]] || fail "message: $output"

  # An OCI layout whose blob does not hash to its name.
  o="$TEST_DIR/oci"
  mkdir -p "$o/blobs/sha256"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$o/oci-layout"
  echo '{"schemaVersion":2,"manifests":[]}' >"$o/index.json"
  echo tampered >"$o/blobs/sha256/$(echo original | sha256sum | cut -d' ' -f1)"
  tar -C "$o" -cf "$TEST_DIR/oci.tar" .
  kimg_fails load -i "$TEST_DIR/oci.tar"
  [[ "$output" == *"digest mismatch"* ]] || fail "message: $output"

  # A layer that climbs out of its directory.
  mkdir -p "$TEST_DIR/h"
  echo pwned >"$TEST_DIR/h/x"
  tar -C "$TEST_DIR/h" -cf "$TEST_DIR/h.tar" --transform 's,^x$,../../kago-escape-test,' x 2>/dev/null
  make_archive "$TEST_DIR/hostile.tar" hostile:1 "$TEST_DIR/h.tar" >/dev/null
  kimg_fails load -i "$TEST_DIR/hostile.tar"
  [[ "$output" == *"path contains \`..\`, refusing to unpack it"* ]] || fail "message: $output"
  [ ! -e "$IMG_ROOT/kago-escape-test" ]
  [ ! -e "$IMG_ROOT/image/kago-escape-test" ]
  [ ! -e /kago-escape-test ]

  kimg_fails import -c 'RUN rm -rf /' "$ROOTFS_TAR" run:1
  [[ "$output" == *"RUN is not a valid change command"* ]] || fail "message: $output"
  kimg_fails rmi nope
  [ "$output" = "kago: No such image: nope:latest" ]
  kimg_fails tag ok:1 'Bad/Name'
  [[ "$output" == *"invalid reference format"* ]] || fail "message: $output"
  kimg_fails save -o "$TEST_DIR/none.tar" nope
  [ ! -e "$TEST_DIR/none.tar" ]
  [ -z "$(find "$TEST_DIR" -maxdepth 1 -name '.none.tar.kago-*')" ]

  # Only the good image, and nothing else left in the store.
  kimg_ok images --format '{{.Repository}}:{{.Tag}}'
  [ "$output" = "ok:1" ]
  [ "$(nlayers)" -eq "$base_layers" ]
  [ "$(nblobs)" -eq "$base_blobs" ]
  [ "$(ntmp)" -eq 0 ]
}

@test "references are normalized as docker does" {
  kimg_ok import "$ROOTFS_TAR" busybox
  id="$output"
  kimg_ok images --format '{{.Repository}} {{.Tag}}'
  [ "$output" = "busybox latest" ]
  for name in busybox busybox:latest docker.io/library/busybox docker.io/library/busybox:latest \
    index.docker.io/busybox "${id:7:12}" "$id"; do
    kimg_ok image inspect --format '{{.Id}}' "$name"
    [ "$output" = "$id" ] || fail "$name resolved to $output"
  done
  kimg_ok tag busybox localhost:5000/a/b:v1
  kimg_ok tag busybox user/app
  kimg_ok images --format '{{.Repository}} {{.Tag}}'
  [ "$(sort <<<"$output" | tr '\n' ,)" = "busybox latest,localhost:5000/a/b v1,user/app latest," ]
  kimg_ok images localhost:5000/a/b
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[1]}" == localhost:5000/a/b* ]]
  kimg_fails tag busybox "busybox@sha256:$(printf %064d 0)"
  [[ "$output" == *"refusing to create a tag with a digest reference"* ]]
  # An image in several repositories needs -f to go by ID.
  kimg_fails rmi "${id:7:12}"
  [[ "$output" == *"image is referenced in multiple repositories"* ]]
  kimg_ok rmi -f "${id:7:12}"
  [ "${#lines[@]}" -ge 4 ]
  kimg_ok images -q
  [ -z "$output" ]
}

@test "KAGO_ROOT selects the store when --root is not given" {
  KAGO_ROOT="$IMG_ROOT" run "$KAGO_BIN" import "$ROOTFS_TAR" env:1
  [ "$status" -eq 0 ] || fail "import: $output"
  kimg_ok images --format '{{.Repository}}:{{.Tag}}'
  [ "$output" = "env:1" ]
  [ -f "$IMG_ROOT/image/index.json" ]
}
