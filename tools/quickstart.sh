#!/bin/sh
# One command on a fresh Debian 12 machine: install dependencies, build, and
# run the main job: build the shipped Debian image (images/debian-bookworm.yaml:
# the essential set plus systemd, x86_64 + aarch64) from the Debian archive the
# host's apt sources name, verified with debian-archive-keyring.
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
./tools/build.sh
build/cairn build images/debian-bookworm.yaml "$@"
echo "outputs: out/debian-bookworm/oci (OCI layout), out/debian-bookworm/sbom (SPDX)," \
  "out/debian-bookworm/cairn.lock" >&2
