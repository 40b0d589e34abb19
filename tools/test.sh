#!/bin/sh
# One command on a fresh Debian 12 machine: install dependencies, build, and
# run the whole test suite (unit and end-to-end) with CTest.
#
# The Debian end-to-end tests read packages from build/test-cache/debian; this
# fills it once from the archive the host's apt sources name (a no-op when it
# is already there), so the tests themselves run with --offline.
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
./tools/build.sh
# Only the cache is kept: the outputs (gigabytes of disks) are removed after
# each build, as the tests build their own.
fill_out=build/test-cache/fill-out
for image in debian-bookworm device app-hello app-shell demo-boot; do
  rm -rf "$fill_out"
  build/cairn -q build "images/$image.yaml" --cache-dir build/test-cache/debian \
    -o "$fill_out" >/dev/null
done
rm -rf "$fill_out" build/test-cache/*-out
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
