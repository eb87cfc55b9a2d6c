#!/usr/bin/env bash
# Build a local Debian systemd image for podman without any image registry:
# debootstrap (minbase) + apt-get in a chroot + `podman import`.
#
#   build-image.sh [--suite bookworm] [--mirror URL] [--disable UNIT]... NAME [PACKAGE]...
#
# The image is tagged localhost/NAME:<recipe hash> and localhost/NAME:latest. The hash covers
# this script, the suite, the mirror, the packages and the disabled units, so an unchanged recipe
# is a no-op (seconds) and any change builds a new image. The debootstrap base and downloaded
# .debs are cached under $IMAGE_CACHE_DIR (default /var/cache/onprem-calico-images), shared by
# every image built from the same suite and mirror.
# Prints the image reference (localhost/NAME:<hash>) on stdout as its last line.
set -euo pipefail

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
disable_units=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --suite) suite=$2; shift 2 ;;
    --mirror) mirror=$2; shift 2 ;;
    --disable) disable_units+=("$2"); shift 2 ;;
    -h|--help) usage ;;
    --*) echo "build-image.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || usage
name=$1; shift
[[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || { echo "build-image.sh: bad image name '$name'" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "build-image.sh: debootstrap and chroot need root" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

# What every systemd test container needs, whatever the caller adds.
base_packages=(systemd systemd-sysv dbus python3 python3-apt iproute2 iputils-ping procps kmod)
mapfile -t packages < <(printf '%s\n' "${base_packages[@]}" "$@" | sort -u)
mapfile -t disable_units < <(printf '%s\n' "${disable_units[@]}" | sed '/^$/d' | sort -u)

recipe_hash=$( { sha256sum < "$0"; echo "$suite $mirror"; printf 'pkg %s\n' "${packages[@]}";
                 printf 'disable %s\n' "${disable_units[@]}"; } | sha256sum | cut -c1-12)
image=localhost/$name:$recipe_hash

if podman image exists "$image"; then
  podman tag "$image" "localhost/$name:latest"
  echo "image $image is up to date" >&2
  echo "$image"
  exit 0
fi

cache=${IMAGE_CACHE_DIR:-/var/cache/onprem-calico-images}
base_hash=$(echo "$suite $mirror minbase" | sha256sum | cut -c1-12)
base_tar=$cache/base-$suite-$base_hash.tar
debs=$cache/debs-$suite-$base_hash
mkdir -p "$cache" "$debs/partial"

work=$(mktemp -d /var/tmp/build-image.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"

if [[ ! -s $base_tar ]]; then
  echo "debootstrap $suite from $mirror" >&2
  debootstrap --variant=minbase --cache-dir="$debs" "$suite" "$rootfs" "$mirror" >&2
  tar -C "$rootfs" -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
else
  tar -C "$rootfs" -xf "$base_tar"
fi

# Keep maintainer scripts from starting services inside the chroot.
printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

# A private mount namespace: /proc and the .deb cache vanish with it, even on failure.
unshare --mount --propagation private bash -euo pipefail -c '
  rootfs=$1; debs=$2; shift 2
  mount -t proc proc "$rootfs/proc"
  mount --bind "$debs" "$rootfs/var/cache/apt/archives"
  chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "$@"
' _ "$rootfs" "$debs" "${packages[@]}" >&2

for unit in "${disable_units[@]}"; do
  chroot "$rootfs" systemctl disable "$unit" >&2 2>/dev/null || true
done
rm -f "$rootfs/usr/sbin/policy-rc.d"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
# podman provides these per container.
: > "$rootfs/etc/hostname"
rm -f "$rootfs/etc/resolv.conf"

tar -C "$rootfs" -c . | podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --change "LABEL org.onprem-calico.recipe=$recipe_hash" \
  - "$image" >&2
podman tag "$image" "localhost/$name:latest"
echo "built $image" >&2
echo "$image"
