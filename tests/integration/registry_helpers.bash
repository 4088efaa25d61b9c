# registry_helpers.bash: local registries for the pull tests
# (registry.bats, registry_images.bats).  Load after helpers:
#
#     load helpers
#     load registry_helpers
#
#   free_port                 prints a free TCP port on 127.0.0.1
#   start_registry [USER:PASS]
#                             Debian's docker-registry on 127.0.0.1:<free
#                             port>, storage in $TEST_DIR; sets REG
#                             (host:port), REG_DIR, REG_PID.  With USER:PASS:
#                             htpasswd (bcrypt) Basic auth
#   start_fake [fake_registry.py options...]
#                             tests/helpers/fake_registry.py on a free port;
#                             sets FAKE (host:port), FAKE_LOG (its request
#                             log); repeatable (each one is stopped by
#                             stop_registries)
#   stop_registries           kills what the two above started (teardown)
#   oci_image DIR TAG ARCH LAYER.tar...
#                             an OCI image layout in DIR (created or added
#                             to) by hand: each layer gzipped (-n), a config
#                             with ARCH (arm64 gets variant v8) and the
#                             layers' diff IDs, a manifest, index.json entry
#                             TAG; prints the config digest
#   push_oci DIR TAG DEST [skopeo copy options...]
#                             skopeo copy oci:DIR:TAG docker://$REG/DEST
#   manifest_digest REPO:TAG  the digest the registry keeps for it (curl)

REG_PIDS=()

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_registry() {
  local creds="${1:-}"
  REG_DIR="$TEST_DIR/registry"
  mkdir -p "$REG_DIR/storage"
  local port
  port="$(free_port)"
  REG="127.0.0.1:$port"
  local auth=""
  if [ -n "$creds" ]; then
    htpasswd -Bbn "${creds%%:*}" "${creds#*:}" >"$REG_DIR/htpasswd"
    auth="auth:
  htpasswd:
    realm: kago-test
    path: $REG_DIR/htpasswd"
  fi
  cat >"$REG_DIR/config.yml" <<EOC
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $REG_DIR/storage
  delete:
    enabled: true
http:
  addr: $REG
$auth
EOC
  docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
  REG_PID=$!
  REG_PIDS+=("$REG_PID")
  # Any HTTP answer (401 with auth) means it is up.
  wait_until 10 sh -c "curl -s -o /dev/null -w '%{http_code}' 'http://$REG/v2/' | grep -q '^[24]'" \
    || fail "the registry did not start: $(cat "$REG_DIR/log")"
}

start_fake() {
  local pf
  pf="$(mktemp -u "$TEST_DIR/fake.XXXXXX")"
  FAKE_LOG="$pf.log"
  python3 "$REPO/tests/helpers/fake_registry.py" --port-file "$pf.port" --log "$FAKE_LOG" "$@" \
    >"$pf.out" 2>&1 &
  REG_PIDS+=("$!")
  wait_until 10 test -s "$pf.port" || fail "the fake registry did not start: $(cat "$pf.out")"
  FAKE="127.0.0.1:$(cat "$pf.port")"
}

stop_registries() {
  local p
  for p in "${REG_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  REG_PIDS=()
}

_blob() { # DIR FILE: move FILE into DIR/blobs/sha256 under its digest; print the digest
  local h
  h="$(sha256sum "$2" | cut -d' ' -f1)"
  mv "$2" "$1/blobs/sha256/$h"
  echo "sha256:$h"
}

oci_image() {
  local dir="$1" tag="$2" arch="$3" l diffs="" layers="" d size variant=""
  shift 3
  mkdir -p "$dir/blobs/sha256"
  [ -f "$dir/oci-layout" ] || echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  [ -f "$dir/index.json" ] || echo '{"schemaVersion":2,"manifests":[]}' >"$dir/index.json"
  for l in "$@"; do
    diffs="$diffs${diffs:+,}\"sha256:$(sha256sum "$l" | cut -d' ' -f1)\""
    gzip -n -1 -c "$l" >"$dir/layer.tmp"
    size="$(stat -c %s "$dir/layer.tmp")"
    d="$(_blob "$dir" "$dir/layer.tmp")"
    layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$d\",\"size\":$size}"
  done
  [ "$arch" = arm64 ] && variant=',"variant":"v8"'
  printf '{"architecture":"%s"%s,"os":"linux","created":"2024-01-02T03:04:05Z","config":{"Cmd":["/bin/sh"],"Env":["IMAGE_ARCH=%s"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$arch" "$variant" "$arch" "$diffs" >"$dir/config.tmp"
  size="$(stat -c %s "$dir/config.tmp")"
  local config
  config="$(_blob "$dir" "$dir/config.tmp")"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
    "$config" "$size" "$layers" >"$dir/manifest.tmp"
  size="$(stat -c %s "$dir/manifest.tmp")"
  d="$(_blob "$dir" "$dir/manifest.tmp")"
  jq --arg d "$d" --argjson s "$size" --arg t "$tag" \
    '.manifests += [{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":$d,"size":$s,"annotations":{"org.opencontainers.image.ref.name":$t}}]' \
    "$dir/index.json" >"$dir/index.tmp"
  mv "$dir/index.tmp" "$dir/index.json"
  echo "$config"
}

push_oci() {
  local dir="$1" tag="$2" dest="$3"
  shift 3
  skopeo copy --insecure-policy --dest-tls-verify=false "$@" "oci:$dir:$tag" "docker://$REG/$dest" >/dev/null
}

manifest_digest() {
  curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://$REG/v2/${1%:*}/manifests/${1##*:}" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}
