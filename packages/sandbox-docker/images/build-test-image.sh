#!/usr/bin/env bash
# Builds the lane image the integration tests and the benchmark use, without any registry:
# a root filesystem made of Debian's statically linked busybox, imported with `docker import`.
# Idempotent: an image built from the same busybox and this same script is kept as is.
#
#   bash packages/sandbox-docker/images/build-test-image.sh [tag]   (default bga-sandbox-test:1)
set -euo pipefail

tag="${1:-${BGA_SANDBOX_TEST_IMAGE:-bga-sandbox-test:1}}"
busybox="${BUSYBOX:-/bin/busybox}"

if ! "$busybox" --list >/dev/null 2>&1 || [ -n "$(ldd "$busybox" 2>/dev/null | grep -v 'not a dynamic' || true)" ]; then
  echo "build-test-image: $busybox is missing or not static; install Debian's busybox-static" >&2
  exit 1
fi

# Same busybox + same script = same image: skip the rebuild.
fingerprint=$(cat "$busybox" "$0" | sha256sum | cut -c1-32)
current=$(docker image inspect --format '{{ index .Config.Labels "dev.bga.image-fingerprint" }}' "$tag" 2>/dev/null || true)
if [ "$current" = "$fingerprint" ]; then
  echo "build-test-image: $tag is up to date ($fingerprint)"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,workspace,usr}
ln -s ../bin "$root/usr/bin"
ln -s bin "$root/sbin"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"
# The lane user owns /workspace, so a fresh workspace volume (which copies it) is writable.
chown 65534:65534 "$root/workspace"

tar -C "$root" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/bin' \
  --change 'USER 65534:65534' \
  --change 'WORKDIR /tmp' \
  --change 'CMD ["sleep", "2147483647"]' \
  --change "LABEL dev.bga.image-fingerprint=$fingerprint" \
  --message "bga sandbox test image (busybox-static)" \
  - "$tag" >/dev/null
echo "build-test-image: built $tag ($fingerprint)"
