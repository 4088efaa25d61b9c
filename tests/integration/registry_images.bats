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
  left="$(find "$IMG_ROOT/image/blobs" "$IMG_ROOT/image/layers" "$IMG_ROOT/image/tmp" -mindepth 1 2>/dev/null | head -5)"
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
