#!/bin/bash
# bench/layers.sh: the incremental rebuild of a layered image, as a ratio of
# the full build. The image stacks a large layer `bulk` (synth-all: N
# generated packages, like bench/run.sh's nN case) and a small top layer `app`
# (hello from the demo repository plus one inline file). The script times
#   full:        the build with an empty layer cache (every layer composed and
#                compressed), the fastest of BENCH_REPEAT runs;
#   incremental: the build after only the top layer's inline file changed,
#                with the layer cache the previous build left (the bulk layer is
#                restored: blob, tree snapshot and package records; its packages
#                are neither fetched nor extracted), fastest of BENCH_REPEAT.
# and prints both, their ratio (target < 0.20) and which layers came from the
# cache. The image digests of the two builds must differ only in the top
# layer: the script checks that the bulk layer's digest is unchanged.
#
#   ninja -C build cairn cairn-mkrepo && bench/layers.sh build
#
# Environment: BENCH_PACKAGES (default 2000), BENCH_REPEAT (default 3),
# BENCH_LEVEL (default 6). docs/benchmarks.md records measured numbers.
set -euo pipefail

build=${1:-build}
[ -d "$build" ] || { echo "bench/layers.sh: no build directory '$build'" >&2; exit 2; }
build=$(cd "$build" && pwd)
cairn=$build/cairn
mkrepo=$build/tools/mkrepo/cairn-mkrepo
demo=$build/demo-repo
src=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "bench/layers.sh: $1" >&2; exit "${2:-1}"; }
for b in "$cairn" "$mkrepo"; do [ -x "$b" ] || die "missing '$b' (ninja -C $build cairn cairn-mkrepo)" 2; done
[ -f "$demo/cairn-demo.rsa.pub" ] || die "missing $demo (ninja -C $build builds it)" 2

n=${BENCH_PACKAGES:-2000}
repeat=${BENCH_REPEAT:-3}
level=${BENCH_LEVEL:-6}
epoch=1700000000
dir=$build/bench-data/layers-n$n
# shellcheck source=bench/synth_layers.sh
. "$src/bench/synth_layers.sh"
synth_repo_and_bulk_layer
app_layer() {  # VERSION: the top layer, whose inline file changes between builds
  cat >"$dir/project/layers/app.yaml" <<EOF2
description: the app on top
packages: {apk: [hello]}
files:
  - path: /etc/app.conf
    content: "build=$1\n"
EOF2
}
cat >"$dir/project/images/layered.yaml" <<EOF2
# written by bench/layers.sh
contents:
  repositories: [$dir/repo, $demo]
  keyring: [$demo/cairn-demo.rsa.pub]
archs: [x86_64]
layers: [bulk, app]
EOF2

build_once() {  # LOG -> prints wall seconds
  local t0 t1
  t0=$(now)
  "$cairn" -v --color never --cache-dir "$dir/cache" build "$dir/project/images/layered.yaml" \
    -o "$dir/out" --source-date-epoch "$epoch" --compression-level "$level" --json \
    >"$dir/build.json" 2>"$1" || { cat "$1" >&2; exit 1; }
  t1=$(now)
  calc "$t1 - $t0"
  echo
}
fastest() { sort -g | head -1; }

# Fill the package cache once.
app_layer 0
rm -rf "$dir/cache/layers"
build_once "$dir/warmup.log" >/dev/null

full=$(for i in $(seq "$repeat"); do
  rm -rf "$dir/cache/layers"
  app_layer "full-$i"
  build_once "$dir/full.log"
done | fastest)
bulk_full=$(jq -r '.archs[0].layers[0]' "$dir/build.json")

incr=$(for i in $(seq "$repeat"); do
  app_layer "incremental-$i"   # only the top layer changes; the cache has the last build's layers
  build_once "$dir/incremental.log"
done | fastest)
bulk_incr=$(jq -r '.archs[0].layers[0]' "$dir/build.json")
[ "$bulk_full" = "$bulk_incr" ] || die "the bulk layer changed: $bulk_full vs $bulk_incr"
reused=$(grep -c "from the layer cache" "$dir/incremental.log" || true)

packages=$(jq '.archs[0].packages' "$dir/build.json")
lock=$dir/out/cairn.lock
bulk_n=$(jq '.archs.x86_64.layers[0].packages | length' "$lock")
app_n=$(jq '.archs.x86_64.layers[1].packages | length' "$lock")
ratio=$(calc "$incr / $full" 2)
echo "packages: $packages (bulk $bulk_n, app $app_n), level $level"
echo "full build:        $full s (every layer composed and compressed)"
echo "incremental build: $incr s ($reused layer(s) from the layer cache, the top layer rebuilt)"
verdict=$(awk "BEGIN { print ($ratio < 0.20) ? \"meets\" : \"MISSES\" }")
echo "ratio: $ratio ($verdict the < 0.20 target)"
echo "bulk layer: $bulk_incr (unchanged)"
