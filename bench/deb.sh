#!/bin/bash
# bench/deb.sh: times `cairn build` of Debian bookworm images against
# mmdebstrap building the same package set from the same local packages, and
# against the (de)compression floor of those packages.
#
#   ninja -C build cairn cairn-bench-floor && bench/deb.sh build
#
# Cases: `essential` (the essential set alone) and `systemd` (essential +
# systemd, as images/debian-bookworm.yaml), amd64 only. For each case it
#  (1) once, resolves the declaration against the host's Debian archive (network) into
#      BUILD/bench-data/deb/<case>/lock.json, filling the package cache
#      BUILD/bench-data/deb/cache, and builds a local mirror of exactly the locked
#      .debs (dpkg-scanpackages, an unsigned Release) in BUILD/bench-data/deb/<case>/mirror;
#  (2) times `cairn build --lockfile --offline` (warm cache, no index, no network)
#      BENCH_REPEAT times under GNU time, keeping the fastest;
#  (3) times `mmdebstrap --variant=essential [--include=systemd]` from that mirror
#      ("deb [trusted=yes] copy://...": apt copies the .debs into the chroot) into a
#      .tar.gz (gzip -6, like cairn's layer) BENCH_MM_REPEAT times, keeping the
#      fastest, and checks with dpkg-query that it installed exactly the locked packages;
#  (4) measures the floor with cairn-bench-floor: every .deb's data.tar.xz
#      decompressed once (liblzma) plus cairn's layer tar deflated once at the same
#      level (zlib, one thread).
# docs/benchmarks.md explains the columns and records measured numbers.
#
# Environment:
#   BENCH_CASES      subset of: essential systemd (default both)
#   BENCH_REPEAT     timed cairn runs per case, the fastest is kept (default 3)
#   BENCH_MM_REPEAT  timed mmdebstrap runs per case (default 1; each takes ~30-60 s)
#   BENCH_LEVEL      gzip level for cairn and the floor (default 6, mmdebstrap's gzip default)
#   BENCH_MM_MODE    mmdebstrap --mode (default root as root, else unshare)
#   BENCH_REFRESH=1  re-resolve against the archive (new lock, new mirror)
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(...) ends the script too

build=${1:-build}
[ -d "$build" ] || { echo "bench/deb.sh: no build directory '$build'" >&2; exit 2; }
build=$(cd "$build" && pwd)
cairn=$build/cairn
floor=$build/bench/cairn-bench-floor
die() { echo "bench/deb.sh: $1" >&2; exit "${2:-1}"; }
for b in "$cairn" "$floor"; do
  [ -x "$b" ] || die "missing '$b' (ninja -C $build cairn cairn-bench-floor)" 2
done
[ -x /usr/bin/time ] || die "GNU time is missing (tools/setup.sh installs it)" 2
for t in jq mmdebstrap dpkg-scanpackages dpkg-query; do
  command -v "$t" >/dev/null || die "'$t' is missing (apt-get install jq mmdebstrap dpkg-dev)" 2
done

cases=${BENCH_CASES:-"essential systemd"}
repeat=${BENCH_REPEAT:-3}
mm_repeat=${BENCH_MM_REPEAT:-1}
level=${BENCH_LEVEL:-6}
mode=${BENCH_MM_MODE:-$([ "$(id -u)" = 0 ] && echo root || echo unshare)}
epoch=1700000000
data=$build/bench-data/deb
cache=$data/cache
mkdir -p "$data"

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }

packages_line() {
  case $1 in
    essential) echo "" ;;
    systemd) echo "  packages: [systemd]" ;;
    *) die "unknown case '$1' (expected essential or systemd)" 2 ;;
  esac
}
for name in $cases; do packages_line "$name" >/dev/null; done

# (1) The lock, the cache and the mirror, once per case.
prepare() {
  local name=$1 dir=$data/$1
  mkdir -p "$dir"
  cat >"$dir/image.yaml" <<EOF
# written by bench/deb.sh: the suites of images/debian-bookworm.yaml, amd64 only
name: bench-deb-$name
contents:
  debian:
    sources:
      - suites: [bookworm, bookworm-updates]
        components: [main]
      - suites: [bookworm-security]
        components: [main]
$(packages_line "$name")
archs: [x86_64]
EOF
  if [ "${BENCH_REFRESH:-0}" = 1 ] || [ ! -f "$dir/lock.json" ]; then
    rm -rf "$dir/resolve" "$dir/mirror"
    "$cairn" --color never --cache-dir "$cache" build "$dir/image.yaml" -o "$dir/resolve" \
      --source-date-epoch "$epoch" >/dev/null 2>"$dir/resolve.log" ||
      { cat "$dir/resolve.log" >&2; die "resolving '$name' failed"; }
    cp "$dir/resolve/cairn.lock" "$dir/lock.json"
    rm -rf "$dir/resolve"
  fi
  local stamp
  stamp=$(sha256sum "$dir/lock.json" | cut -d' ' -f1)
  if [ "$(cat "$dir/mirror/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$dir/mirror"
    local pool=$dir/mirror/pool/main idx=$dir/mirror/dists/bookworm/main/binary-amd64
    mkdir -p "$pool" "$idx"
    local sha file
    while read -r sha file; do
      [ -f "$cache/deb/pool/$sha.deb" ] || die "'$file' ($sha) is not in $cache"
      ln "$cache/deb/pool/$sha.deb" "$pool/$file" 2>/dev/null ||
        cp "$cache/deb/pool/$sha.deb" "$pool/$file"
    done < <(jq -r '.archs.x86_64.packages[] |
        "\(.sha256) \(.name)_\(.version | sub(":"; "%3a"))_\(.arch).deb"' "$dir/lock.json")
    (cd "$dir/mirror" && dpkg-scanpackages --multiversion pool 2>/dev/null) >"$idx/Packages"
    {
      echo "Origin: cairn-bench"
      echo "Suite: bookworm"
      echo "Codename: bookworm"
      echo "Date: $(date -u -R -d @"$epoch")"
      echo "Architectures: amd64"
      echo "Components: main"
      echo "SHA256:"
      echo " $(sha256sum "$idx/Packages" | cut -d' ' -f1) $(stat -c %s "$idx/Packages")" \
        "main/binary-amd64/Packages"
    } >"$dir/mirror/dists/bookworm/Release"
    echo "$stamp" >"$dir/mirror/stamp"
  fi
}

# Runs "$@" under GNU time; echoes "wall user sys rss_kib" (wall from the shell's clock).
timed() {
  local out=$1 log=$2
  shift 2
  local t0 t1 wall user sys rss
  t0=$(now)
  /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$@" >"$log" 2>&1 ||
    { tail -20 "$log" >&2; die "failed: $*"; }
  t1=$(now)
  read -r _ user sys rss <"$out.time"
  wall=$(calc "$t1 - $t0")
  echo "$wall $user $sys $rss"
}

# Keeps the fastest of N runs of `timed`: echoes its line.
fastest() {
  local n=$1 best="" line
  shift
  for _ in $(seq "$n"); do
    line=$(timed "$@")
    if [ -z "$best" ] || awk "BEGIN { exit !(${line%% *} < ${best%% *}) }"; then
      best=$line
      cp "$2" "$2.best"
    fi
  done
  echo "$best"
}

results=$data/results.tsv
: >"$results"
for name in $cases; do
  dir=$data/$name
  echo "== $name" >&2
  prepare "$name"
  packages=$(jq '.archs.x86_64.packages | length' "$dir/lock.json")

  # (2) cairn, warm: the lock names every package, the cache holds every .deb.
  rm -rf "$dir/out"
  cairn_line=$(fastest "$repeat" "$dir/cairn" "$dir/cairn.log" \
    "$cairn" -v --color never --cache-dir "$cache" build "$dir/image.yaml" -o "$dir/out" \
    --lockfile "$dir/lock.json" --offline --source-date-epoch "$epoch" \
    --compression-level "$level" --no-layer-cache)
  manifest=$(jq -r '.manifests[0].digest' "$dir/out/oci/index.json")
  layer=$(jq -r '.layers[0].digest' "$dir/out/oci/blobs/sha256/${manifest#sha256:}")
  blob=$dir/out/oci/blobs/sha256/${layer#sha256:}
  # "layer sha256:X (S bytes, U uncompressed; Cs extracting and composing, Ls layer: ...)"
  timing=$(grep -m1 '^ *layer sha256:' "$dir/cairn.log.best" || true)
  [ -n "$timing" ] || die "no layer timings in $dir/cairn.log.best"
  num='([0-9.]+)'
  pattern=".*layer sha256:[0-9a-f]+ \\([0-9]+ bytes, ([0-9]+) uncompressed; ${num}s extracting"
  pattern+=" and composing, ${num}s layer: ${num}s compressing.*"
  read -r tar_bytes compose_s layer_s compress_s < <(
    echo "$timing" | sed -E "s/$pattern/\\1 \\2 \\3 \\4/")
  fetch_s=$(sed -nE 's/.*\(fetching packages for x86_64 took ([0-9.]+)s\).*/\1/p' \
    "$dir/cairn.log.best")
  fetch_s=${fetch_s:-0}

  # (3) mmdebstrap from the local mirror, into a gzip-compressed tarball.
  include=()
  [ "$name" = systemd ] && include=(--include=systemd)
  rm -f "$dir/mmdebstrap.tar.gz"
  mm_line=$(fastest "$mm_repeat" "$dir/mmdebstrap" "$dir/mmdebstrap.log" \
    mmdebstrap --mode="$mode" --variant=essential "${include[@]}" --architectures=amd64 \
    bookworm "$dir/mmdebstrap.tar.gz" "deb [trusted=yes] copy://$dir/mirror bookworm main")
  # The same packages, or the comparison means nothing.
  rm -rf "$dir/mm-db"
  mkdir -p "$dir/mm-db"
  tar -xzf "$dir/mmdebstrap.tar.gz" -C "$dir/mm-db" ./var/lib/dpkg/status
  diff <(jq -r '.archs.x86_64.packages[] | "\(.name) \(.version)"' "$dir/lock.json" | sort) \
    <(dpkg-query --admindir="$dir/mm-db/var/lib/dpkg" -W -f '${Package} ${Version}\n' | sort) \
    >&2 || die "mmdebstrap installed another package set than cairn's lock (diff above)"

  # (4) The floor on the same bytes.
  debs=("$dir"/mirror/pool/main/*.deb)
  [ "${#debs[@]}" -eq "$packages" ] || die "$packages locked packages but ${#debs[@]} .debs"
  deb_bytes=$(cat "${debs[@]}" | wc -c)
  unxz_s=$("$floor" deb "${debs[@]}" | sed -E 's/seconds=([0-9.]+).*/\1/')
  deflate_s=$("$floor" deflate "$level" "$blob" | sed -E 's/seconds=([0-9.]+).*/\1/')
  floor_s=$(calc "$unxz_s + $deflate_s")

  read -r c_wall c_user c_sys c_rss <<<"$cairn_line"
  read -r m_wall m_user m_sys m_rss <<<"$mm_line"
  printf '%s\t' "$name" "$packages" "$deb_bytes" "$tar_bytes" "$c_wall" "$c_user" "$c_sys" \
    "$c_rss" "$m_wall" "$m_user" "$m_sys" "$m_rss" "$unxz_s" "$deflate_s" "$floor_s" \
    "$fetch_s" "$compose_s" "$layer_s" >>"$results"
  printf '%s\n' "$compress_s" >>"$results"
done

echo
printf '%-10s %8s %-10s %7s %7s %12s\n' case packages tool "wall s" "cpu s" "peak RSS MiB"
while IFS=$'\t' read -r name packages _ _ c_wall c_user c_sys c_rss m_wall m_user m_sys m_rss _; do
  printf '%-10s %8d %-10s %7s %7s %12s\n' "$name" "$packages" cairn "$c_wall" \
    "$(calc "$c_user + $c_sys" 2)" "$(calc "$c_rss / 1024" 1)"
  printf '%-10s %8d %-10s %7s %7s %12s\n' "$name" "$packages" mmdebstrap "$m_wall" \
    "$(calc "$m_user + $m_sys" 2)" "$(calc "$m_rss / 1024" 1)"
done <"$results"

echo
echo "floor = xz decompression of every data.tar once + deflate of cairn's layer tar once" \
  "(one thread)"
printf '%-10s %8s %9s %7s %8s %7s %11s %12s %10s %10s\n' case "deb MiB" "tar MiB" unxz \
  deflate floor "mm/cairn" "cairn/floor" "cpu/floor" verdict
while IFS=$'\t' read -r name packages deb_bytes tar_bytes c_wall c_user c_sys _ m_wall _ _ _ \
  unxz_s deflate_s floor_s _; do
  speedup=$(calc "$m_wall / $c_wall" 1)
  ratio=$(calc "$c_wall / $floor_s" 2)
  verdict=$(awk "BEGIN { s = ($speedup >= 5) ? \"fast\" : \"SLOW\"; \
    f = ($ratio <= 1.3) ? \"near-floor\" : \"ABOVE-FLOOR\"; print s \",\" f }")
  printf '%-10s %8s %9s %7s %8s %7s %10sx %12s %10s %10s\n' "$name" \
    "$(calc "$deb_bytes / 1048576" 1)" "$(calc "$tar_bytes / 1048576" 1)" "$unxz_s" \
    "$deflate_s" "$floor_s" "$speedup" "$ratio" "$(calc "($c_user + $c_sys) / $floor_s" 2)" \
    "$verdict"
done <"$results"

echo
echo "where cairn's time went (seconds; compress = deflate CPU time summed over threads)"
printf '%-10s %7s %7s %11s %7s %9s %6s\n' case wall fetch "extract+cmp" layer compress rest
while IFS=$'\t' read -r name _ _ _ c_wall _ _ _ _ _ _ _ _ _ _ fetch_s compose_s layer_s \
  compress_s; do
  printf '%-10s %7s %7s %11s %7s %9s %6s\n' "$name" "$c_wall" "$fetch_s" "$compose_s" \
    "$layer_s" "$compress_s" "$(calc "$c_wall - $fetch_s - $compose_s - $layer_s" 2)"
done <"$results"
echo "targets: mmdebstrap/cairn >= 5, cairn/floor <= 1.3 (wall against single-threaded floor)"
echo "raw results: $results"
