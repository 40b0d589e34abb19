#!/bin/bash
# bench/run.sh: times `cairn build` on synthetic signed APK repositories and
# compares it with the (de)compression floor of the same inputs.
#
#   ninja -C build cairn cairn-mkrepo cairn-bench-floor && bench/run.sh build
#
# For each case it (1) generates, once, a repository with cairn-mkrepo into
# BUILD/bench-data/<case>/repo (x86_64 only, fixed epoch and seed), (2) builds
# an image of `synth-all` (every package) twice with the same cache, timing
# the second, warm run with GNU time (wall, user+sys, peak RSS), and (3) runs
# cairn-bench-floor on the same .apk files and the layer cairn wrote: zlib
# inflate of every package once plus zlib deflate of the layer tar once at the
# same level. ratio = cairn wall / floor; overhead = (wall - floor) / wall;
# cpu ovh = (user+sys - floor) / (user+sys), the same share in CPU time.
# docs/benchmarks.md explains the columns and records measured numbers.
#
# Environment:
#   BENCH_CASES   space-separated subset of: n1 n50 n500 n2000 large1 large4
#   BENCH_REPEAT  timed runs per case, the fastest is kept (default 3)
#   BENCH_LEVEL   gzip level for cairn and the floor (default 6)
#   BENCH_GZIP=0  skip timing GNU gzip as a cross-check (gzip -dc of the .apk files, then
#                 gzip -LEVEL of the layer tar; default 1)
# Delete BUILD/bench-data to regenerate the repositories.
set -euo pipefail

build=${1:-build}
[ -d "$build" ] || { echo "bench/run.sh: no build directory '$build'" >&2; exit 2; }
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
cairn=$build/cairn
mkrepo=$build/tools/mkrepo/cairn-mkrepo
floor=$build/bench/cairn-bench-floor
die() { echo "bench/run.sh: $1" >&2; exit "${2:-1}"; }
for b in "$cairn" "$mkrepo" "$floor"; do
  [ -x "$b" ] || die "missing '$b' (ninja -C $build cairn cairn-mkrepo cairn-bench-floor)" 2
done
[ -x /usr/bin/time ] || die "GNU time is missing (tools/setup.sh installs it)" 2
command -v jq >/dev/null || die "jq is missing (tools/setup.sh installs it)" 2

cases=${BENCH_CASES:-"n1 n50 n500 n2000 large1 large4"}
repeat=${BENCH_REPEAT:-3}
level=${BENCH_LEVEL:-6}
epoch=1700000000
key=$src/tests/data/keys/cairn-demo.rsa
data=$build/bench-data
mkdir -p "$data"

mkrepo_args() {
  case $1 in
    n[0-9]*) echo "--generate ${1#n}" ;;
    large[0-9]*) echo "--large ${1#large} --large-size 32M" ;;
    *) echo "bench/run.sh: unknown case '$1'" >&2; exit 2 ;;
  esac
}

for name in $cases; do mkrepo_args "$name" >/dev/null; done  # unknown names fail early

# Seconds with millisecond precision, and float arithmetic, via awk.
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }

# (1) The repository, generated once per set of arguments.
prepare() {
  local name=$1 dir=$data/$1 args t0
  args="$(mkrepo_args "$name") --seed 1 --epoch $epoch --arch x86_64"
  if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$args" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    t0=$(now)
    # shellcheck disable=SC2086
    "$mkrepo" --quiet --key "$key" $args "$dir/repo"
    echo "  generated $name in $(calc "$(now) - $t0" 1)s" >&2
    echo "$args" >"$dir/stamp"
  fi
  cat >"$dir/image.yaml" <<EOF
# written by bench/run.sh
name: bench-$name
contents:
  repositories: [$dir/repo]
  keyring: [$dir/repo/cairn-demo.rsa.pub]
  packages: [synth-all]
archs: [x86_64]
EOF
}

cairn_build() {  # DIR -> stdout JSON; stderr to DIR/build.log
  local dir=$1
  "$cairn" -v --color never --cache-dir "$dir/cache" build "$dir/image.yaml" -o "$dir/out" \
    --source-date-epoch "$epoch" --compression-level "$level" --json 2>"$dir/build.log"
}

results=$data/results.tsv
: >"$results"
for name in $cases; do
  dir=$data/$name
  echo "== $name" >&2
  prepare "$name"
  rm -rf "$dir/cache" "$dir/out"
  cairn_build "$dir" >/dev/null || { cat "$dir/build.log" >&2; exit 1; }   # fills the cache

  # (2) Warm runs under GNU time: wall, user, sys seconds and max RSS in KiB.
  best=""
  for _ in $(seq "$repeat"); do
    t0=$(now)
    /usr/bin/time -f "%e %U %S %M" -o "$dir/time.txt" \
      "$cairn" -v --color never --cache-dir "$dir/cache" build "$dir/image.yaml" -o "$dir/out" \
      --source-date-epoch "$epoch" --compression-level "$level" --no-layer-cache --json \
      >"$dir/build.json" 2>"$dir/build.log" || { cat "$dir/build.log" >&2; exit 1; }
    t1=$(now)
    # GNU time's %e has centisecond resolution; the shell's clock is finer.
    read -r _ user sys rss <"$dir/time.txt"
    wall=$(calc "$t1 - $t0" 3)
    echo "$wall $user $sys $rss" >"$dir/time.txt"
    if [ -z "$best" ] || awk "BEGIN { exit !($wall < $best) }"; then
      best=$wall
      cp "$dir/time.txt" "$dir/best-time.txt"
      cp "$dir/build.log" "$dir/best-build.log"
    fi
  done
  read -r wall user sys rss <"$dir/best-time.txt"
  packages=$(jq '.archs[0].packages' "$dir/build.json")
  # "layer sha256:X (S bytes, U uncompressed; Cs extracting and composing, Ls layer: ...)"
  line=$(grep -m1 '^ *layer sha256:' "$dir/best-build.log" || true)
  [ -n "$line" ] || die "no layer timings in $dir/best-build.log"
  num='([0-9.]+)'
  pattern=".*layer sha256:([0-9a-f]+) \\(([0-9]+) bytes, ([0-9]+) uncompressed; ${num}s extracting"
  pattern+=" and composing, ${num}s layer: ${num}s compressing, ${num}s hashing, ${num}s writing.*"
  read -r digest tar_bytes compose_s layer_s compress_s hash_s write_s < <(
    echo "$line" | sed -E "s/$pattern/\\1 \\3 \\4 \\5 \\6 \\7 \\8/")
  blob=$dir/out/oci/blobs/sha256/$digest
  # The Fetch step: cache lookups, then opening and verifying every package.
  fetch_s=$(sed -nE 's/.*\(fetching packages for x86_64 took ([0-9.]+)s\).*/\1/p' \
    "$dir/best-build.log")
  fetch_s=${fetch_s:-0}

  # (3) The floor on the same bytes: every .apk inflated once, the layer tar deflated once.
  apks=("$dir"/repo/x86_64/*.apk)
  [ "${#apks[@]}" -eq "$packages" ] ||
    echo "  warning: $packages packages installed but ${#apks[@]} .apk files in the repository" >&2
  apk_bytes=$(cat "${apks[@]}" | wc -c)
  inflate_s=$("$floor" inflate "${apks[@]}" | sed -E 's/seconds=([0-9.]+).*/\1/')
  deflate_s=$("$floor" deflate "$level" "$blob" | sed -E 's/seconds=([0-9.]+).*/\1/')
  floor_s=$(calc "$inflate_s + $deflate_s")
  gzip_s=-
  if [ "${BENCH_GZIP:-1}" = 1 ]; then
    gzip -dc "$blob" >"$dir/layer.tar"
    t0=$(now); cat "${apks[@]}" | gzip -dc >/dev/null; t1=$(now)
    gzip "-$level" -c "$dir/layer.tar" >/dev/null; t2=$(now)
    rm -f "$dir/layer.tar"
    gzip_s=$(calc "$t2 - $t0")
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$name" "$packages" "$tar_bytes" "$apk_bytes" "$wall" "$user" "$sys" "$rss" \
    "$inflate_s" "$deflate_s" "$floor_s" "$gzip_s" "$compose_s" "$layer_s" "$compress_s" \
    "$hash_s" "$write_s" "$fetch_s" >>"$results"
done

# (4) The tables and the two checks.
echo
printf '%-7s %8s %11s %7s %7s %12s %7s %6s %9s %9s %11s\n' case packages "payload MiB" "wall s" \
  "cpu s" "peak RSS MiB" "floor s" ratio overhead "cpu ovh" "ms/package"
while IFS=$'\t' read -r name packages tar_bytes apk_bytes wall user sys rss inflate_s deflate_s \
  floor_s gzip_s compose_s layer_s compress_s hash_s write_s fetch_s; do
  printf '%-7s %8d %11s %7s %7s %12s %7s %6s %8s%% %8s%% %11s\n' "$name" "$packages" \
    "$(calc "$tar_bytes / 1048576" 1)" "$wall" "$(calc "$user + $sys" 2)" \
    "$(calc "$rss / 1024" 1)" "$floor_s" "$(calc "$wall / $floor_s" 2)" \
    "$(calc "100 * ($wall - $floor_s) / $wall" 0)" \
    "$(calc "100 * ($user + $sys - $floor_s) / ($user + $sys)" 0)" \
    "$(calc "1000 * $wall / $packages" 2)"
done <"$results"

echo
echo "where the time went (seconds; floor = inflate of the .apk files + deflate of the layer tar)"
printf '%-7s %8s %8s %8s %8s %7s %11s %7s %8s %6s %6s %6s\n' case "apk MiB" inflate deflate \
  "gzip(1)" fetch "extract+cmp" layer compress hash write rest
while IFS=$'\t' read -r name packages tar_bytes apk_bytes wall user sys rss inflate_s deflate_s \
  floor_s gzip_s compose_s layer_s compress_s hash_s write_s fetch_s; do
  printf '%-7s %8s %8s %8s %8s %7s %11s %7s %8s %6s %6s %6s\n' "$name" \
    "$(calc "$apk_bytes / 1048576" 1)" "$inflate_s" "$deflate_s" "$gzip_s" "$fetch_s" "$compose_s" \
    "$layer_s" "$compress_s" "$hash_s" "$write_s" \
    "$(calc "$wall - $fetch_s - $compose_s - $layer_s" 2)"
done <"$results"

field() { awk -F'\t' -v c="$1" -v f="$2" '$1 == c { print $f }' "$results"; }
echo
if [ -n "$(field n50 1)" ] && [ -n "$(field n500 1)" ] && [ -n "$(field n2000 1)" ]; then
  # Marginal cost per added package (fixed costs such as process start cancel
  # out): growing from 500 to 2000 must not cost more per package than
  # growing from 50 to 500, or composition is worse than linear.
  m_small=$(calc "($(field n500 5) - $(field n50 5)) / ($(field n500 2) - $(field n50 2))" 6)
  m_large=$(calc "($(field n2000 5) - $(field n500 5)) / ($(field n2000 2) - $(field n500 2))" 6)
  r=$(calc "$m_large / $m_small" 2)
  verdict=$(awk "BEGIN { print ($r <= 1.33) ? \"linear (or better)\" : \"WORSE than linear\" }")
  echo "scaling: $(calc "1000 * $m_small" 2) ms per added package from 50 to 500," \
    "$(calc "1000 * $m_large" 2) from 500 to 2000 (x$r): $verdict"
fi
if [ -n "$(field large1 1)" ] && [ -n "$(field large4 1)" ]; then
  m1=$(calc "$(field large1 8) / 1024" 1)
  m4=$(calc "$(field large4 8) / 1024" 1)
  p1=$(calc "$(field large1 3) / 1048576" 0)
  p4=$(calc "$(field large4 3) / 1048576" 0)
  verdict=$(awk "BEGIN { print ($m4 <= 1.25 * $m1 + 8) ? \"flat\" : \"GROWS with payload\" }")
  echo "memory: peak RSS $m1 MiB for $p1 MiB of payload, $m4 MiB for $p4 MiB: $verdict"
fi
echo "raw results: $results"
