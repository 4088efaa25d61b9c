#!/usr/bin/env bats
# `kago pull` of images built here layer by layer (GNU tar with xattrs,
# OCI layouts written by hand, pushed with skopeo to Debian's docker-registry
# on 127.0.0.1): what the unpacked tree holds, compared with umoci's unpack
# of the same image; manifest lists and OCI indexes with two platforms;
# digest pulls; Basic (htpasswd) and Bearer auth; 401/404/500 answers;
# SIGKILL at random points of a pull; the progress output on a TTY and off.

load helpers
load registry_helpers

setup() {
  kago_setup
  requires_cmd docker-registry skopeo curl python3 jq
  [ -x "$KAGO_BIN" ] || fail "$KAGO_BIN not found: run 'make build' first"
  IMG_ROOT="$TEST_DIR/store"
  case "$(uname -m)" in
    x86_64) HOST_ARCH=amd64 OTHER_ARCH=arm64 ;;
    aarch64) HOST_ARCH=arm64 OTHER_ARCH=amd64 ;;
    *) skip "platform tests know amd64 and arm64 hosts only" ;;
  esac
}

teardown() {
  stop_registries
  local m
  for m in $(awk -v d="$TEST_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || true
  done
  kago_teardown
}

# The store holds nothing: no image, blob, layer or work file.
store_empty() {
  kimg_ok images -q -a
  [ -z "$output" ] || fail "images listed: $output"
  local left
  left="$(find "$IMG_ROOT/image/blobs/sha256" "$IMG_ROOT/image/layers" "$IMG_ROOT/image/tmp" -mindepth 1 2>/dev/null | head -5)"
  [ -z "$left" ] || fail "left in the store: $left"
}

# ---------------------------------------------------------------- (a) trees

# Three layers: the first has owners, modes (setuid, setgid, sticky), a file
# with security.capability and one with a user xattr, hard links (in one
# directory and across two), symlinks, a fifo, a device; the second deletes
# a file (.wh.) and empties a directory (.wh..wh..opq), changes a file, adds
# another hard-linked pair; the third deletes one name of a hard-linked pair.
make_tree_layers() {
  local l1="$TEST_DIR/t1" l2="$TEST_DIR/t2" l3="$TEST_DIR/t3"
  mkdir -p "$l1"/{etc,opq/sub,bin,data/sub,home/user,tmp,srv/g,dev}
  chmod 755 "$l1" "$l1"/*
  echo one >"$l1/etc/motd"
  echo gone >"$l1/etc/gone"
  echo old >"$l1/opq/old"
  echo deep >"$l1/opq/sub/deep"
  printf '#!/bin/sh\necho ping\n' >"$l1/bin/ping"
  chmod 0755 "$l1/bin/ping"
  setcap cap_net_raw+ep "$l1/bin/ping"
  echo suid >"$l1/bin/suid"
  chmod 4711 "$l1/bin/suid"
  echo note >"$l1/etc/noted"
  setfattr -n user.kago.note -v hello "$l1/etc/noted"
  echo linked >"$l1/data/a"
  ln "$l1/data/a" "$l1/data/b"
  ln "$l1/data/a" "$l1/data/sub/c"
  echo pair >"$l1/data/p"
  ln "$l1/data/p" "$l1/data/q"
  echo secret >"$l1/home/user/secret"
  chmod 0600 "$l1/home/user/secret"
  chown -R 1000:1000 "$l1/home/user"
  chown 123:456 "$l1/etc/motd"
  chmod 1777 "$l1/tmp"
  chmod 2775 "$l1/srv/g"
  chown 0:50 "$l1/srv/g"
  ln -s /etc/motd "$l1/abslink"
  ln -s ../etc/motd "$l1/bin/rellink"
  mkfifo "$l1/data/fifo"
  mknod "$l1/dev/null" c 1 3
  mkdir -p "$l2/etc" "$l2/opq" "$l2/more"
  chmod 755 "$l2" "$l2"/*
  echo two >"$l2/etc/motd"
  chown 123:456 "$l2/etc/motd"
  : >"$l2/etc/.wh.gone"
  : >"$l2/opq/.wh..wh..opq"
  echo new >"$l2/opq/new"
  echo x >"$l2/more/x"
  ln "$l2/more/x" "$l2/more/y"
  mkdir -p "$l3/data"
  chmod 755 "$l3" "$l3/data"
  : >"$l3/data/.wh.p"
  local i
  for i in 1 2 3; do
    tar --xattrs --xattrs-include='*' --numeric-owner -C "$TEST_DIR/t$i" -cf "$TEST_DIR/t$i.tar" .
  done
  # The tar must really carry the capability (what the test is about).
  tar --xattrs --xattrs-include='*' -tvf "$TEST_DIR/t1.tar" >/dev/null
  strings "$TEST_DIR/t1.tar" | grep -q 'SCHILY.xattr.security.capability' \
    || fail "GNU tar did not store security.capability"
}

# One line per entry of the tree ROOT: path, type and mode, owner, size,
# mtime (not for directories: overlay shows the top layer's), link target,
# device numbers, content hash, the first name of its hard-link group (by
# inode), then its xattrs (trusted.overlay.* left out: overlay's own).
tree_listing() {
  local root="$1"
  (
    cd "$root" || exit 1
    find . -mindepth 1 -printf '%i\t%P\t%M\t%U:%G\t%y\n' | sort -t$'\t' -k2,2 | while IFS=$'\t' read -r ino p mode own type; do
      local extra=""
      case "$type" in
        f) extra="size=$(stat -c %s "$p") mtime=$(stat -c %Y "$p") sha=$(sha256sum <"$p" | cut -c1-16)" ;;
        l) extra="-> $(readlink "$p") mtime=$(stat -c %Y "$p")" ;;
        c | b) extra="dev=$(stat -c %t:%T "$p")" ;;
        p) extra="mtime=$(stat -c %Y "$p")" ;;
      esac
      local xa
      xa="$(getfattr -h --absolute-names -d -m - -e hex "$p" 2>/dev/null | grep -v '^#' | grep -v '^trusted.overlay' | grep . | sort | tr '\n' ' ')"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$ino" "$p" "$mode" "$own" "$extra" "$xa"
    done
  ) | awk -F'\t' 'BEGIN { OFS = "\t" }
      { if ($3 ~ /^-/) { if (!($1 in first)) first[$1] = $2; link = "link=" first[$1] } else link = ""
        print $2, $3, $4, $5, link, $6 }'
}

@test "a multi-layer image (whiteouts, hard links, security.capability) unpacks as umoci unpacks it" {
  requires_cmd umoci setcap setfattr getfattr
  start_registry
  make_tree_layers
  local id
  id="$(oci_image "$TEST_DIR/oci" t amd64 "$TEST_DIR/t1.tar" "$TEST_DIR/t2.tar" "$TEST_DIR/t3.tar")"
  push_oci "$TEST_DIR/oci" t tree:1

  kimg_ok pull "$REG/tree:1"
  kimg_ok image inspect -f '{{.Id}}' "$REG/tree:1"
  [ "$output" = "$id" ] || fail "pulled $output, pushed $id"

  # The reference: the registry's image copied back with skopeo, unpacked by umoci.
  skopeo copy --insecure-policy --src-tls-verify=false "docker://$REG/tree:1" "oci:$TEST_DIR/ref:t" >/dev/null
  umoci unpack --image "$TEST_DIR/ref:t" "$TEST_DIR/ref-bundle" >/dev/null
  tree_listing "$TEST_DIR/ref-bundle/rootfs" >"$TEST_DIR/want"
  # What the reference must show, so that an empty or wrong one cannot pass.
  grep -q $'^bin/ping\t-rwxr-xr-x\t0:0\t.*security.capability=0x' "$TEST_DIR/want" || fail "umoci: no capability: $(cat "$TEST_DIR/want")"
  grep -q $'^data/sub/c\t.*link=data/a' "$TEST_DIR/want" || fail "umoci: no hard link"
  ! grep -q '^etc/gone' "$TEST_DIR/want" || fail "umoci: whiteout not applied"

  kimg_ok image mount "$REG/tree:1" "$TEST_DIR/c1"
  [ "$output" = "$TEST_DIR/c1/merged" ] || fail "not mounted with overlay: $output"
  tree_listing "$TEST_DIR/c1/merged" >"$TEST_DIR/got-overlay"
  diff -u "$TEST_DIR/want" "$TEST_DIR/got-overlay" || fail "overlay view differs from umoci's tree"
  kimg_ok image unmount "$TEST_DIR/c1"

  kimg_ok image mount --copy "$REG/tree:1" "$TEST_DIR/c2"
  tree_listing "$TEST_DIR/c2/rootfs" >"$TEST_DIR/got-copy"
  diff -u "$TEST_DIR/want" "$TEST_DIR/got-copy" || fail "copied tree differs from umoci's tree"
  kimg_ok image unmount "$TEST_DIR/c2"
}

# ---------------------------------------------------- (b) platforms, (c) digests

# Two single-platform images (each with /arch naming its platform) pushed as
# multi:amd64 and multi:arm64 (FORMAT: oci or v2s2, skopeo's --format), then
# an index (MEDIA: OCI index or docker manifest list) of the two PUT as
# multi:latest.  Sets ID_amd64, ID_arm64, MAN_amd64, MAN_arm64, INDEX.
push_two_platforms() {
  local format="$1" media="$2" a mt size
  for a in amd64 arm64; do
    mkdir -p "$TEST_DIR/p-$a"
    echo "$a" >"$TEST_DIR/p-$a/arch"
    tar -C "$TEST_DIR/p-$a" -cf "$TEST_DIR/p-$a.tar" .
    printf -v "ID_$a" '%s' "$(oci_image "$TEST_DIR/oci-$a" t "$a" "$TEST_DIR/p-$a.tar")"
    push_oci "$TEST_DIR/oci-$a" t "multi:$a" --format "$format"
    printf -v "MAN_$a" '%s' "$(manifest_digest "multi:$a")"
  done
  [[ "$MAN_amd64" == sha256:* && "$MAN_arm64" == sha256:* ]] || fail "no manifest digests: $MAN_amd64 $MAN_arm64"
  mt="$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REG/v2/multi/manifests/amd64" | jq -r .mediaType)"
  local entries=""
  for a in amd64 arm64; do
    local d="MAN_$a" v=""
    size="$(curl -sf -H "Accept: $mt" "http://$REG/v2/multi/manifests/$a" | wc -c)"
    [ "$a" = arm64 ] && v=',"variant":"v8"'
    entries="$entries${entries:+,}{\"mediaType\":\"$mt\",\"digest\":\"${!d}\",\"size\":$size,\"platform\":{\"architecture\":\"$a\",\"os\":\"linux\"$v}}"
  done
  printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' "$media" "$entries" >"$TEST_DIR/index.json"
  curl -sf -X PUT -H "Content-Type: $media" --data-binary "@$TEST_DIR/index.json" \
    "http://$REG/v2/multi/manifests/latest" >/dev/null || fail "the registry refused the index"
  INDEX="sha256:$(sha256sum "$TEST_DIR/index.json" | cut -d' ' -f1)"
  [ "$(manifest_digest multi:latest)" = "$INDEX" ] || fail "the registry keeps another index"
}

# The image REF in the store is the platform A's: ID, architecture, /arch.
is_platform() {
  local ref="$1" a="$2" id="ID_$2"
  kimg_ok image inspect -f '{{.Id}} {{.Architecture}} {{.Os}}' "$ref"
  [ "$output" = "${!id} $a linux" ] || fail "$ref is $output, not the $a image ${!id}"
  kimg_ok image mount --copy "$ref" "$TEST_DIR/m"
  [ "$(cat "$TEST_DIR/m/rootfs/arch")" = "$a" ] || fail "/arch in $ref: $(cat "$TEST_DIR/m/rootfs/arch")"
  kimg_ok image unmount "$TEST_DIR/m"
}

platform_pulls() {
  kimg_ok pull "$REG/multi:latest"
  [[ "$output" == *"Digest: $INDEX"* ]] || fail "the digest shown is not the index's"
  is_platform "$REG/multi:latest" "$HOST_ARCH"
  kimg_ok image inspect -f '{{json .RepoDigests}}' "$REG/multi:latest"
  [ "$output" = "[\"$REG/multi@$INDEX\"]" ] || fail "repo digests: $output"

  IMG_ROOT="$TEST_DIR/store-other"
  kimg_ok pull --platform "linux/$OTHER_ARCH" "$REG/multi:latest"
  is_platform "$REG/multi:latest" "$OTHER_ARCH"

  # The other platform into the first store: the tag moves, both images stay.
  IMG_ROOT="$TEST_DIR/store"
  kimg_ok pull --platform "linux/$OTHER_ARCH" "$REG/multi:latest"
  is_platform "$REG/multi:latest" "$OTHER_ARCH"
  kimg_ok images -q --no-trunc -a
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "$(printf '%s\n' "$ID_amd64" "$ID_arm64" | sort | tr '\n' ' ')" ] \
    || fail "images: $output"

  IMG_ROOT="$TEST_DIR/store-none"
  kimg_fails pull --platform linux/riscv64 "$REG/multi:latest"
  [[ "$output" == *"no matching manifest for linux/riscv64 in the manifest list entries"* ]] || fail "unclear: $output"
  [[ "$output" == *"linux/amd64"* && "$output" == *"linux/arm64"* ]] || fail "entries not listed: $output"
  store_empty
}

@test "an OCI index with amd64 and arm64: the host's picked, --platform the other" {
  start_registry
  push_two_platforms oci application/vnd.oci.image.index.v1+json
  platform_pulls
}

@test "a docker manifest list with amd64 and arm64: the host's picked, --platform the other" {
  start_registry
  push_two_platforms v2s2 application/vnd.docker.distribution.manifest.list.v2+json
  platform_pulls
}

@test "digest pulls: an index, one platform's manifest, an unknown digest" {
  start_registry
  push_two_platforms oci application/vnd.oci.image.index.v1+json
  # The index by digest: the host's platform, no tag.
  kimg_ok pull "$REG/multi@$INDEX"
  [[ "$output" == "$INDEX: Pulling from $REG/multi"* ]] || fail "header: ${lines[0]}"
  [ "${lines[-1]}" = "$REG/multi@$INDEX" ]
  is_platform "$REG/multi@$INDEX" "$HOST_ARCH"
  kimg_ok images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}'
  [ "$output" = "$REG/multi <none> $INDEX" ] || fail "listed as: $output"

  # The other platform's manifest by its own digest.
  local other="MAN_$OTHER_ARCH"
  kimg_ok pull -q "$REG/multi@${!other}"
  [ "$output" = "$REG/multi@${!other}" ]
  is_platform "$REG/multi@${!other}" "$OTHER_ARCH"

  # A digest the registry does not have: a clear error, nothing new stored.
  local zero="sha256:$(printf '%064d' 0)"
  kimg_fails pull "$REG/multi@$zero"
  [[ "$output" == *"manifest for $REG/multi@$zero not found: manifest unknown"* ]] || fail "unclear: $output"
  kimg_ok images -q -a
  [ "$(wc -l <<<"$output")" -eq 2 ] || fail "images: $output"
}

# ------------------------------------------------- (d) auth and error answers

# A one-layer image pushed as $REG/small:1 (skopeo options: credentials).
push_small() {
  mkdir -p "$TEST_DIR/small"
  echo small >"$TEST_DIR/small/hello"
  tar -C "$TEST_DIR/small" -cf "$TEST_DIR/small.tar" .
  SMALL_ID="$(oci_image "$TEST_DIR/oci-small" t "$HOST_ARCH" "$TEST_DIR/small.tar")"
  push_oci "$TEST_DIR/oci-small" t small:1 "$@"
}

@test "Basic auth (htpasswd registry): refused without login or with a wrong password; login, pull, logout" {
  requires_cmd htpasswd
  export KAGO_AUTH_FILE="$TEST_DIR/auth/auth.json"
  start_registry alice:secret
  push_small --dest-creds alice:secret
  kimg_fails pull "$REG/small:1"
  [[ "$output" == *"$REG needs a login: run \`kago login $REG\`"* ]] || fail "unclear: $output"
  store_empty
  kimg_fails login -u alice -p wrong "$REG"
  [[ "$output" == *"login to $REG"* && "$output" == *"UNAUTHORIZED"* ]] || fail "unclear: $output"
  [ ! -e "$KAGO_AUTH_FILE" ] || jq -e --arg r "$REG" '.auths | has($r) | not' "$KAGO_AUTH_FILE" || fail "a wrong password was stored"
  kimg_ok login -u alice -p secret "$REG"
  [ "$output" = "Login Succeeded" ]
  kimg_ok pull "$REG/small:1"
  kimg_ok images -q --no-trunc
  [ "$output" = "$SMALL_ID" ]
  kimg_ok logout "$REG"
  IMG_ROOT="$TEST_DIR/store2"
  kimg_fails pull "$REG/small:1"
  [[ "$output" == *"needs a login"* ]] || fail "unclear: $output"
  store_empty
}

@test "Bearer token auth: the token comes from the realm, with the stored credentials" {
  export KAGO_AUTH_FILE="$TEST_DIR/auth/auth.json"
  start_registry
  push_small
  # Anonymous tokens (as Docker Hub's public images).
  start_fake --upstream "http://$REG" --bearer anonymous
  kimg_ok pull "$FAKE/small:1"
  grep -q '^GET /token?service=fake-registry&scope=repository%3Asmall%3Apull 200$' "$FAKE_LOG" \
    || fail "no token request: $(cat "$FAKE_LOG")"
  grep -q "^GET /v2/small/blobs/sha256:.* 200$" "$FAKE_LOG" || fail "no blob fetched with the token: $(cat "$FAKE_LOG")"
  # Tokens for alice only.
  start_fake --upstream "http://$REG" --bearer alice:secret
  IMG_ROOT="$TEST_DIR/store2"
  kimg_fails pull "$FAKE/small:1"
  [[ "$output" == *"get a token from http://$FAKE/token"* ]] || fail "unclear: $output"
  store_empty
  kimg_fails login -u alice -p wrong "$FAKE"
  kimg_ok login -u alice -p secret "$FAKE"
  kimg_ok pull "$FAKE/small:1"
  kimg_ok images -q --no-trunc
  [ "$output" = "$SMALL_ID" ]
}

@test "registry answers 500 (retried, then an error), 404 and 401 on blobs: clear errors, nothing stored" {
  start_registry
  push_small
  # 500 for the manifest: tried 4 times (3 retries), then given up.
  start_fake --upstream "http://$REG" --status '/manifests/=500'
  kimg_fails pull "$FAKE/small:1"
  [[ "$output" == *"/v2/small/manifests/1: HTTP 500: fake registry answers 500"* ]] || fail "unclear: $output"
  [ "$(grep -c '/manifests/1 500$' "$FAKE_LOG")" -eq 4 ] || fail "not retried 3 times: $(cat "$FAKE_LOG")"
  store_empty
  # 500 for the layer, after the config came: nothing kept.
  start_fake --upstream "http://$REG" --status "/blobs/sha256:(?!${SMALL_ID#sha256:})=500"
  kimg_fails pull "$FAKE/small:1"
  [[ "$output" == *"pull $FAKE/small: blob sha256:"*": HTTP 500: fake registry answers 500"* ]] || fail "unclear: $output"
  grep -q "/blobs/$SMALL_ID 200$" "$FAKE_LOG" || fail "the config was not fetched: $(cat "$FAKE_LOG")"
  store_empty
  # 404 and 401 (no challenge) for blobs: not retried.
  local code
  for code in 404 401; do
    start_fake --upstream "http://$REG" --status "/blobs/=$code"
    kimg_fails pull "$FAKE/small:1"
    [[ "$output" == *"pull $FAKE/small: blob sha256:"*": HTTP $code: fake registry answers $code"* ]] \
      || fail "unclear ($code): $output"
    [ "$(grep -c "/blobs/.* $code\$" "$FAKE_LOG")" -eq 1 ] || fail "$code retried: $(cat "$FAKE_LOG")"
    store_empty
  done
}

# ------------------------------------------------------------ killed pulls

# The store is consistent: every blob's content matches its name, every
# layer is whole (layer.json written last), nothing but the store's own
# files outside tmp/, and the listed images are none or the one of $1.
store_consistent() {
  local want="$1" f h extra
  kimg_ok images -q --no-trunc -a
  [ -z "$output" ] || [ "$(sort -u <<<"$output")" = "$want" ] || fail "images after a kill: $output"
  for f in "$IMG_ROOT"/image/blobs/sha256/*; do
    [ -e "$f" ] || continue
    h="$(sha256sum "$f" | cut -d' ' -f1)"
    [ "$h" = "${f##*/}" ] || fail "half-written blob ${f##*/} (content $h)"
  done
  for f in "$IMG_ROOT"/image/layers/*; do
    [ -e "$f" ] || continue
    [ -s "$f/layer.json" ] && [ -d "$f/diff" ] || fail "half-written layer $f"
  done
  extra="$(find "$IMG_ROOT/image" -mindepth 1 -maxdepth 1 ! -name lock ! -name index.json ! -name blobs ! -name layers ! -name tmp -printf '%f ')"
  [ -z "$extra" ] || fail "stray files in the store: $extra"
}

@test "pull killed (SIGKILL) at random points: no half-written image, the next pull completes" {
  start_registry
  # Three layers of 4 MiB of random data each (gzip cannot shrink them).
  local i n=3
  for i in $(seq 1 $n); do
    mkdir -p "$TEST_DIR/k$i/d$i"
    head -c 4M /dev/urandom >"$TEST_DIR/k$i/d$i/big"
    echo "$i" >"$TEST_DIR/k$i/d$i/small"
    tar -C "$TEST_DIR/k$i" -cf "$TEST_DIR/k$i.tar" .
  done
  local id
  id="$(oci_image "$TEST_DIR/oci-k" t "$HOST_ARCH" "$TEST_DIR"/k{1,2,3}.tar)"
  push_oci "$TEST_DIR/oci-k" t big:1
  # A throttled way to the same registry (2 MB/s per connection, ~2 s a
  # pull), so that kills also land in the middle of downloads.
  start_fake --upstream "http://$REG" --rate 2000000

  # How long a whole pull takes here.
  local t0 t1 full
  t0="$(date +%s%N)"
  IMG_ROOT="$TEST_DIR/store-timing" kimg pull -q "$REG/big:1" >/dev/null || fail "the timing pull failed"
  t1="$(date +%s%N)"
  full=$(((t1 - t0) / 1000000))
  echo "# a whole pull: $full ms"

  local round delay ref pid killed=0
  for round in $(seq 1 16); do
    if [ $((round % 2)) -eq 0 ]; then
      ref="$FAKE/big:1"
      delay=$((RANDOM % 2000))
    else
      ref="$REG/big:1"
      delay=$((RANDOM % (full + 1)))
    fi
    "$KAGO_BIN" --root "$IMG_ROOT" pull -q "$ref" >"$TEST_DIR/kill.out" 2>&1 &
    pid=$!
    sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
    kill -9 "$pid" 2>/dev/null || true
    local st=0
    wait "$pid" 2>/dev/null || st=$? # (bash reports the kill on stderr)
    [ "$st" -eq 137 ] && killed=$((killed + 1))
    echo "# round $round: $ref, SIGKILL after $delay ms: status $st ($(ls "$IMG_ROOT/image/tmp" 2>/dev/null | wc -l) in tmp/, $(ls "$IMG_ROOT/image/blobs/sha256" 2>/dev/null | wc -l) blobs, $(ls "$IMG_ROOT/image/layers" 2>/dev/null | wc -l) layers)"
    store_consistent "$id"
    # A pull that completed: start again from nothing.  One that was
    # killed: its leftovers stay for the next one.
    if [ -n "$(kimg images -q)" ]; then
      kimg_ok rmi -f "$id"
    fi
  done
  [ "$killed" -ge 6 ] || fail "only $killed of 16 pulls were still running when killed"

  # The next pull completes, and the store holds exactly the image.
  kimg_ok pull "$REG/big:1"
  kimg_ok images -q --no-trunc
  [ "$output" = "$id" ]
  [ -z "$(ls -A "$IMG_ROOT/image/tmp")" ] || fail "tmp/ not emptied: $(ls "$IMG_ROOT/image/tmp")"
  kimg rmi "$FAKE/big:1" >/dev/null 2>&1 || true
  store_consistent "$id"
  [ "$(ls "$IMG_ROOT/image/blobs/sha256" | wc -l)" -eq $((n + 2)) ] || fail "blobs: $(ls "$IMG_ROOT/image/blobs/sha256")"
  [ "$(ls "$IMG_ROOT/image/layers" | wc -l)" -eq $n ] || fail "layers: $(ls "$IMG_ROOT/image/layers")"
  kimg_ok image mount --copy "$REG/big:1" "$TEST_DIR/m"
  for i in $(seq 1 $n); do
    cmp "$TEST_DIR/k$i/d$i/big" "$TEST_DIR/m/rootfs/d$i/big" || fail "layer $i differs"
  done
  kimg_ok image unmount "$TEST_DIR/m"
}

# ---------------------------------------------------------------- progress

# A four-layer image (1 MiB of random data each): with 3 downloads at a
# time, the fourth waits.  Sets PROG_ID.
push_four_layers() {
  local i
  for i in 1 2 3 4; do
    mkdir -p "$TEST_DIR/g$i"
    head -c 1M /dev/urandom >"$TEST_DIR/g$i/f$i"
    tar -C "$TEST_DIR/g$i" -cf "$TEST_DIR/g$i.tar" .
  done
  PROG_ID="$(oci_image "$TEST_DIR/oci-g" t "$HOST_ARCH" "$TEST_DIR"/g{1,2,3,4}.tar)"
  push_oci "$TEST_DIR/oci-g" t prog:1
}

@test "progress on a TTY: a line per layer redrawn in place through every state, then Digest and Status" {
  requires_cmd script
  start_registry
  push_four_layers
  # Throttled, so that downloads are seen in progress.
  start_fake --upstream "http://$REG" --rate 2000000
  script -qec "timeout 120 $KAGO_BIN --root $IMG_ROOT pull $FAKE/prog:1" /dev/null >"$TEST_DIR/tty.out" </dev/null \
    || fail "pull on a TTY failed: $(cat "$TEST_DIR/tty.out")"
  local out
  out="$(tr -d '\r' <"$TEST_DIR/tty.out")"
  echo "$out" | cat -v | sed 's/^/# /' | tail -30
  # Redrawn in place: cursor up over the layer lines, each line cleared.
  [[ "$out" == *$'\e[4A'* ]] || fail "no cursor-up over the 4 layer lines"
  [[ "$out" == *$'\e[2K'* ]] || fail "lines not cleared before redrawing"
  local m short state
  for m in $(jq -r '.layers[].digest' "$TEST_DIR/oci-g/blobs/sha256/$(jq -r '.manifests[0].digest' "$TEST_DIR/oci-g/index.json" | cut -d: -f2)"); do
    short="${m:7:12}"
    for state in "Downloading  " "Verifying Checksum" "Download complete" "Extracting" "Pull complete"; do
      [[ "$out" == *"$short: $state"* ]] || fail "layer $short never showed '$state'"
    done
    # Bytes of the total while downloading: "Downloading  512kB/1.05MB".
    grep -aqE "$short: Downloading  [0-9.]+[kM]?B/1\.05MB" <<<"$out" || fail "layer $short: no bytes/total"
  done
  # ... and the speed, once a download has run for 200 ms (2 MB/s here).
  grep -aqE ": Downloading  [0-9.]+[kM]?B/1\.05MB  [0-9.]+[kM]?B/s" <<<"$out" || fail "no download speed shown"
  [[ "$out" == *": Waiting"* ]] || fail "no layer waited for a download slot"
  [[ "$out" == *"Digest: sha256:"* ]] || fail "no Digest line"
  [[ "$out" == *"Status: Downloaded newer image for $FAKE/prog:1"* ]] || fail "no Status line"
  [ "$(tail -1 <<<"$out")" = "$FAKE/prog:1" ] || fail "last line: $(tail -1 <<<"$out")"
  kimg_ok images -q --no-trunc
  [ "$output" = "$PROG_ID" ]
}

@test "progress off a TTY: one plain line per layer and state, no escape sequences" {
  start_registry
  push_four_layers
  kimg_ok pull "$REG/prog:1"
  [[ "$output" != *$'\e'* ]] || fail "escape sequences in plain output"
  [ "${lines[0]}" = "1: Pulling from $REG/prog" ]
  local short state n
  for short in $(grep -o '^[0-9a-f]\{12\}: Pulling fs layer' <<<"$output" | cut -d: -f1); do
    for state in "Pulling fs layer" "Downloading" "Verifying Checksum" "Download complete" "Extracting" "Pull complete"; do
      n="$(grep -c "^$short: $state\$" <<<"$output")"
      [ "$n" -eq 1 ] || fail "layer $short: '$state' $n times"
    done
  done
  [ "$(grep -c ': Pull complete$' <<<"$output")" -eq 4 ] || fail "not 4 layers"
  [[ "${lines[-3]}" == "Digest: sha256:"* ]]
  [ "${lines[-2]}" = "Status: Downloaded newer image for $REG/prog:1" ]
  [ "${lines[-1]}" = "$REG/prog:1" ]
  # Again: every layer already there.
  kimg_ok pull "$REG/prog:1"
  [ "$(grep -c ': Already exists$' <<<"$output")" -eq 4 ] || fail "not 4 layers already there"
  [ "${lines[-2]}" = "Status: Image is up to date for $REG/prog:1" ]
}
