#!/usr/bin/env bats
# `kago pull` against a local registry: Debian's docker-registry on
# 127.0.0.1:<free port> with its storage in $TEST_DIR, an image pushed there
# with skopeo from what `kago save` writes, then pulled into a fresh store.

load helpers
load registry_helpers

# busybox imported into a scratch store, saved, pushed with skopeo.
push_busybox() {
  local src="$TEST_DIR/src-store"
  make_bundle --no-config
  tar -C "$BUNDLE/rootfs" -cf "$TEST_DIR/rootfs.tar" .
  "$KAGO_BIN" --root "$src" import "$TEST_DIR/rootfs.tar" busybox:latest >/dev/null
  "$KAGO_BIN" --root "$src" save -o "$TEST_DIR/busybox.tar" busybox:latest
  skopeo copy --insecure-policy --dest-tls-verify=false \
    "docker-archive:$TEST_DIR/busybox.tar" "docker://$REG/busybox:latest" >/dev/null
  SRC_ID="$("$KAGO_BIN" --root "$src" images -q --no-trunc busybox:latest)"
}

setup() {
  kago_setup
  requires_cmd docker-registry skopeo curl python3
  [ -x "$KAGO_BIN" ] || fail "$KAGO_BIN not found: run 'make build' first"
  IMG_ROOT="$TEST_DIR/store"
  start_registry
  push_busybox
}

teardown() {
  stop_registries
  local m
  for m in $(awk -v d="$TEST_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || true
  done
  kago_teardown
}

@test "pull: by tag from a local registry, listed, mounted, same image ID" {
  kimg_ok pull "$REG/busybox:latest"
  [[ "$output" == *"latest: Pulling from $REG/busybox"* ]] || fail "no header"
  [[ "$output" == *": Pull complete"* ]] || fail "no layer line"
  [[ "$output" == *"Digest: sha256:"* ]] || fail "no digest"
  [[ "$output" == *"Status: Downloaded newer image for $REG/busybox:latest"* ]] || fail "no status"
  [ "$(printf '%s\n' "$output" | tail -1)" = "$REG/busybox:latest" ]
  kimg_ok images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  [ "$output" = "$REG/busybox:latest ${SRC_ID#sha256:}" ] || [[ "$output" == "$REG/busybox:latest ${SRC_ID:7:12}"* ]] \
    || fail "unexpected images: $output (source $SRC_ID)"
  kimg_ok image mount --copy "$REG/busybox:latest" "$TEST_DIR/c"
  [ -x "$TEST_DIR/c/rootfs/bin/busybox" ] || fail "no busybox in the mounted tree"
  cmp "$BUNDLE/rootfs/bin/busybox" "$TEST_DIR/c/rootfs/bin/busybox"
  kimg_ok image unmount "$TEST_DIR/c"
  # A second pull finds everything.
  kimg_ok pull "$REG/busybox:latest"
  [[ "$output" == *"Already exists"* ]] || fail "layer fetched again"
  [[ "$output" == *"Status: Image is up to date for $REG/busybox:latest"* ]] || fail "not up to date"
}

@test "pull -q prints only the reference; pull by digest" {
  kimg_ok pull -q "$REG/busybox:latest"
  [ "$output" = "$REG/busybox:latest" ]
  local digest
  digest="$(kimg image inspect -f '{{json .RepoDigests}}' "$REG/busybox:latest" | jq -r '.[0]')"
  [[ "$digest" == "$REG/busybox@sha256:"* ]] || fail "no repo digest: $digest"
  IMG_ROOT="$TEST_DIR/store2"
  kimg_ok pull "$digest"
  [[ "$output" == *"Digest: ${digest#*@}"* ]] || fail "wrong digest"
  kimg_ok images -q --no-trunc
  [ "$output" = "$SRC_ID" ]
}

@test "pull: unknown tag, unknown repository, bad platform: clear errors, nothing stored" {
  kimg_fails pull "$REG/busybox:nope"
  [[ "$output" == *"manifest for $REG/busybox:nope not found: manifest unknown"* ]] || fail "unclear: $output"
  kimg_fails pull "$REG/nothere:latest"
  [[ "$output" == *"not found"* ]] || fail "unclear: $output"
  kimg_fails pull --platform bogus "$REG/busybox:latest"
  [[ "$output" == *"invalid platform"* ]] || fail "unclear: $output"
  kimg_fails pull "127.0.0.1:$(free_port)/busybox:latest"
  kimg_ok images -q
  [ -z "$output" ]
  [ -z "$(ls "$IMG_ROOT/image/blobs/sha256" 2>/dev/null)" ] || fail "blobs left: $(ls "$IMG_ROOT/image/blobs/sha256")"
}

@test "pull: a corrupted blob in the registry is refused, nothing half-written" {
  # The layer: the biggest blob the registry keeps.
  local data
  data="$(find "$REG_DIR/storage" -path '*/blobs/sha256/*/data' -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)"
  [ -n "$data" ] || fail "no blob in the registry storage"
  printf 'X' | dd of="$data" bs=1 seek=100 conv=notrunc status=none
  kimg_fails pull "$REG/busybox:latest"
  [[ "$output" == *"digest mismatch: expected sha256:"*", the content is sha256:"* ]] || fail "unclear: $output"
  [[ "$output" != *"multibyte"* ]] || fail "a meaningless errno string: $output"
  kimg_ok images -q
  [ -z "$output" ]
  [ -z "$(ls "$IMG_ROOT/image/blobs/sha256" 2>/dev/null)" ] || fail "blobs left: $(ls "$IMG_ROOT/image/blobs/sha256")"
  [ -z "$(ls "$IMG_ROOT/image/layers" 2>/dev/null)" ] || fail "layers left"
  [ -z "$(ls "$IMG_ROOT/image/tmp" 2>/dev/null)" ] || fail "tmp left"
}

@test "login: credentials checked and stored 0600; logout removes them" {
  export KAGO_AUTH_FILE="$TEST_DIR/auth/auth.json"
  kimg_ok login -u alice -p secret "$REG"
  [ "$output" = "Login Succeeded" ]
  [ "$(stat -c %a "$KAGO_AUTH_FILE")" = 600 ]
  jq -e --arg r "$REG" '.auths[$r].auth == "YWxpY2U6c2VjcmV0"' "$KAGO_AUTH_FILE"
  kimg_ok pull -q "$REG/busybox:latest"
  kimg_ok logout "$REG"
  jq -e --arg r "$REG" '.auths | has($r) | not' "$KAGO_AUTH_FILE"
}
