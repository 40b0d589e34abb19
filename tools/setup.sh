#!/bin/sh
# Installs everything cairn needs to build, run and test on Debian 12.
# Idempotent: re-running only installs what is missing.
set -eu
PKGS="build-essential cmake ninja-build pkg-config git
  libarchive-dev libyaml-cpp-dev nlohmann-json3-dev libssl-dev zlib1g-dev libcurl4-openssl-dev libfmt-dev
  libsolv-dev libsolvext-dev catch2 libguestfs-dev libguestfs-xfs xfsprogs btrfs-progs
  squashfs-tools umoci skopeo docker-registry curl jq openssl time gpgv gpg gpg-agent debian-archive-keyring mmdebstrap qemu-user
  xz-utils zstd lz4 bzip2 systemd fakeroot liblzma-dev libpam-systemd libpam-cap kmod
  e2fsprogs dosfstools mtools fdisk qemu-utils cpio dpkg binutils erofs-utils attr python3
  qemu-system-x86 qemu-system-arm ovmf qemu-efi-aarch64 binutils-aarch64-linux-gnu
  linux-image-cloud-amd64 clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
