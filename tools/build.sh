#!/bin/sh
# Configures (once) and builds cairn into build/. Used by quickstart.sh and test.sh.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
ninja -C build -j"$(nproc)"
