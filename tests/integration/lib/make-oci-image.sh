#!/bin/bash
# make-oci-image.sh ROOTFS OUT.tar NAME:TAG [--cmd JSON] [--env JSON]
#
# Build a one-layer image archive of the directory ROOTFS (e.g. the busybox
# rootfs of scripts/make-bundle.sh), with no registry and no network:
#
#   OUT.tar
#     oci-layout                     {"imageLayoutVersion":"1.0.0"}
#     index.json                     -> the manifest, annotated with the name
#     manifest.json                  docker-save form of the same image
#     blobs/sha256/<layer>           uncompressed tar of ROOTFS (numeric owners)
#     blobs/sha256/<config>          image config; rootfs.diff_ids = [layer]
#     blobs/sha256/<manifest>        OCI image manifest
#
# The one tarball is both an OCI image layout archive (`ctr images import`)
# and a `docker save` archive (`docker load` of dockerd 20.10 reads
# manifest.json and takes the paths it names).  NAME is a reference such as
# docker.io/library/kago-busybox:latest; docker is given the same name
# without the default docker.io/library/ prefix.
#
#   --cmd JSON   the image's Cmd (default ["sh"])
#   --env JSON   the image's Env (default a PATH)
set -euo pipefail

die() { echo "make-oci-image: $*" >&2; exit 1; }

[ $# -ge 3 ] || die "usage: $0 ROOTFS OUT.tar NAME:TAG [--cmd JSON] [--env JSON]"
ROOTFS="$1"
OUT="$2"
NAME="$3"
shift 3
CMD='["sh"]'
ENV='["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'
while [ $# -gt 0 ]; do
  case "$1" in
    --cmd) CMD="${2?--cmd needs a value}"; shift 2 ;;
    --env) ENV="${2?--env needs a value}"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -d "$ROOTFS" ] || die "$ROOTFS is not a directory"
case "$NAME" in
  *:*) ;;
  *) NAME="$NAME:latest" ;;
esac
TAG="${NAME##*:}"
DOCKER_NAME="${NAME#docker.io/}"
DOCKER_NAME="${DOCKER_NAME#library/}"

work="$(mktemp -d "${TMPDIR:-/tmp}/oci-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256"

# Move file $1 into the blob store; print its sha256 hex digest.
put_blob() {
  local d
  d="$(sha256sum "$1" | cut -d' ' -f1)"
  mv "$1" "$work/blobs/sha256/$d"
  echo "$d"
}
size_of() { stat -c %s "$work/blobs/sha256/$1"; }

# The layer: a reproducible tar of the rootfs (sorted, numeric owners, fixed mtime).
tar --sort=name --numeric-owner --mtime='@0' --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$ROOTFS" -cf "$work/layer.tar" .
layer="$(put_blob "$work/layer.tar")"
layer_size="$(size_of "$layer")"

jq -n -c --arg diff "sha256:$layer" --argjson cmd "$CMD" --argjson env "$ENV" '{
  architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z",
  config: { Env: $env, Cmd: $cmd, WorkingDir: "/" },
  rootfs: { type: "layers", diff_ids: [ $diff ] },
  history: [ { created: "1970-01-01T00:00:00Z", created_by: "kago tests/integration/lib/make-oci-image.sh" } ]
}' >"$work/config.json"
config="$(put_blob "$work/config.json")"
config_size="$(size_of "$config")"

jq -n -c --arg c "sha256:$config" --argjson cs "$config_size" \
  --arg l "sha256:$layer" --argjson ls "$layer_size" '{
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs },
  layers: [ { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls } ]
}' >"$work/manifest"
manifest="$(put_blob "$work/manifest")"
manifest_size="$(size_of "$manifest")"

jq -n -c --arg m "sha256:$manifest" --argjson ms "$manifest_size" --arg name "$NAME" --arg tag "$TAG" '{
  schemaVersion: 2,
  manifests: [ {
    mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
    platform: { architecture: "amd64", os: "linux" },
    annotations: { "io.containerd.image.name": $name, "org.opencontainers.image.ref.name": $tag }
  } ]
}' >"$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"

jq -n -c --arg c "blobs/sha256/$config" --arg l "blobs/sha256/$layer" --arg n "$DOCKER_NAME" \
  '[ { Config: $c, RepoTags: [ $n ], Layers: [ $l ] } ]' >"$work/manifest.json"

tar --sort=name --numeric-owner --owner=0 --group=0 -C "$work" \
  -cf "$OUT" oci-layout index.json manifest.json blobs
