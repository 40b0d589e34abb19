#!/bin/sh
# One command on a fresh Debian 12 machine: install dependencies, build, and
# run the whole test suite (unit and end-to-end) with CTest.
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
./tools/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
