#!/bin/sh
# One command on a fresh Debian 12 machine: install dependencies, build, and
# run the main job: build the bootable demo image (images/demo-boot.yaml:
# Debian busybox init on the qemu-x86_64 board) from the Debian archive the
# host's apt sources name, verified with debian-archive-keyring, then boot its
# disk under QEMU until its init prints the marker.
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
./tools/build.sh
build/cairn build images/demo-boot.yaml "$@"
build/cairn run images/demo-boot.yaml --board qemu-x86_64 --check "cairn-demo: system started" --timeout 600
echo "outputs: out/demo-boot/disk/qemu-{x86_64,aarch64,aarch64-uboot}.img (bootable disks), out/demo-boot/oci (OCI layout)," \
  "out/demo-boot/sbom (SPDX), out/demo-boot/cairn.lock" >&2
