#!/bin/sh
# bench/disk.sh: disk assembly, cairn against genimage on the same root tree
# (bench/disk_bench.cc says what is timed). Needs genimage (apt-get install genimage).
#
#   ninja -C build cairn-bench-disk && bench/disk.sh build [REPEAT]
set -eu
build=${1:-build}
[ -x "$build/bench/cairn-bench-disk" ] || { echo "bench/disk.sh: build cairn-bench-disk first" >&2; exit 2; }
command -v genimage >/dev/null || { echo "bench/disk.sh: genimage is not installed (apt-get install genimage)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bench/cairn-bench-disk" "$work/run" "${2:-3}"
