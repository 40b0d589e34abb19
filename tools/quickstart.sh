#!/bin/sh
# One command on a fresh Debian 12 machine: install dependencies, build, and
# run the main job: build the shipped demo image (x86_64 + aarch64) offline
# from the project's own signed APK repository (build/demo-repo).
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
./tools/build.sh
build/cairn build images/demo.yaml "$@"
echo "outputs: out/demo/oci (OCI layout), out/demo/sbom (SPDX), out/demo/cairn.lock" >&2
