#!/bin/bash
# bench/shared_cache.sh: a second builder with an empty local cache, sharing a
# registry with the first, as a ratio of the first builder's time. The image
# is bench/layers.sh's: a large layer `bulk` (synth-all: N generated packages)
# under a small `app` layer. Against Debian's docker-registry on 127.0.0.1
# (plain HTTP, a fresh storage directory), the script times, fastest of
# BENCH_REPEAT runs, each builder with an empty local cache:
#   cold:   no shared cache (the baseline: fetch, verify, extract, compose, compress);
#   first:  --cache-registry on an empty repository: the cold build plus
#           uploading every layer and package it made;
#   second: --cache-registry on the repository the first filled: every layer
#           is downloaded (blob and snapshot) instead of built.
# It prints the three times and the ratios second/first and second/cold,
# checks the second build took every layer from the shared cache and that the
# three builds wrote the same image digest.
#
#   ninja -C build cairn cairn-mkrepo && bench/shared_cache.sh build
#
# Environment: BENCH_PACKAGES (default 500), BENCH_REPEAT (default 3).
set -euo pipefail

build=${1:-build}
[ -d "$build" ] || { echo "bench/shared_cache.sh: no build directory '$build'" >&2; exit 2; }
build=$(cd "$build" && pwd)
cairn=$build/cairn
mkrepo=$build/tools/mkrepo/cairn-mkrepo
demo=$build/demo-repo
src=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "bench/shared_cache.sh: $1" >&2; exit "${2:-1}"; }
for b in "$cairn" "$mkrepo"; do [ -x "$b" ] || die "missing '$b' (ninja -C $build cairn cairn-mkrepo)" 2; done
[ -f "$demo/cairn-demo.rsa.pub" ] || die "missing $demo (ninja -C $build builds it)" 2
command -v docker-registry >/dev/null || die "docker-registry is not installed (tools/setup.sh)" 2

n=${BENCH_PACKAGES:-500}
repeat=${BENCH_REPEAT:-3}
epoch=1700000000
dir=$build/bench-data/shared-cache-n$n
# shellcheck source=bench/synth_layers.sh
. "$src/bench/synth_layers.sh"
synth_repo_and_bulk_layer
cat >"$dir/project/layers/app.yaml" <<EOF2
description: the app on top
packages: {apk: [hello]}
files:
  - path: /etc/app.conf
    content: "shared\n"
EOF2
cat >"$dir/project/images/layered.yaml" <<EOF2
# written by bench/shared_cache.sh
contents:
  repositories: [$dir/repo, $demo]
  keyring: [$demo/cairn-demo.rsa.pub]
archs: [x86_64]
layers: [bulk, app]
EOF2

# The registry: a free port, fresh storage, killed on exit.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -rf "$dir/registry"
mkdir -p "$dir/registry/storage"
cat >"$dir/registry/config.yml" <<EOF2
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/registry/storage
http:
  addr: 127.0.0.1:$port
  secret: cairn-bench
EOF2
docker-registry serve "$dir/registry/config.yml" >"$dir/registry/log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null; wait $registry_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/v2/" >/dev/null || die "the registry did not start: $(cat "$dir/registry/log")"

build_once() {  # NAME LOG [ARGS...] -> prints wall seconds; every builder starts from an empty cache
  local name=$1 log=$2 t0 t1
  shift 2
  rm -rf "$dir/cache-$name" "$dir/out-$name"
  t0=$(now)
  "$cairn" -v --color never --cache-dir "$dir/cache-$name" build \
    "$dir/project/images/layered.yaml" -o "$dir/out-$name" --source-date-epoch "$epoch" --json \
    "$@" >"$dir/$name.json" 2>"$log" || { cat "$log" >&2; exit 1; }
  t1=$(now)
  calc "$t1 - $t0"
  echo
}
fastest() { sort -g | head -1; }

# Fill the page cache with the repository once.
build_once warmup "$dir/warmup.log" >/dev/null

cold=$(for i in $(seq "$repeat"); do build_once cold "$dir/cold.log"; done | fastest)
first=""
second=""
for i in $(seq "$repeat"); do
  repo=127.0.0.1:$port/bench/run$i   # an empty repository for each pair of builders
  first+="$(build_once first "$dir/first.log" --cache-registry "$repo" --plain-http)"$'\n'
  second+="$(build_once second "$dir/second.log" --cache-registry "$repo" --plain-http)"$'\n'
done
first=$(printf '%s' "$first" | fastest)
second=$(printf '%s' "$second" | fastest)

layers=$(jq '.archs.x86_64.layers | length' "$dir/out-cold/cairn.lock")
shared=$(grep -c "x86_64: layer '.*' from the shared cache" "$dir/second.log" || true)
[ "$shared" -eq "$layers" ] ||
  die "the second builder took $shared of $layers layers from the shared cache (see $dir/second.log)"
for b in first second; do
  [ "$(jq -r .digest "$dir/$b.json")" = "$(jq -r .digest "$dir/cold.json")" ] ||
    die "the $b builder wrote another image than the cold build"
done
packages=$(jq '.archs[0].packages' "$dir/cold.json")
stored=$(grep -o "shared cache .*" "$dir/first.log" | tail -1)
taken=$(grep -o "shared cache .*" "$dir/second.log" | tail -1)
echo "packages: $packages; registry: docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}') on 127.0.0.1"
echo "cold build (no shared cache):       $cold s"
echo "first builder (fills the registry): $first s  [$stored]"
echo "second builder (empty local cache): $second s  [$taken]"
echo "ratio second/first: $(calc "$second / $first" 2)"
echo "ratio second/cold:  $(calc "$second / $cold" 2)"
