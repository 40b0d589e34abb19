# Sourced by bench/layers.sh and bench/shared_cache.sh: their timing helpers
# and the synthetic repository (N generated packages, cached by its
# arguments) with the `bulk` layer over it. Needs $dir, $n, $epoch, $mkrepo, $src.
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }

synth_repo_and_bulk_layer() {
  local args="--generate $n --seed 1 --epoch $epoch --arch x86_64"
  if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$args" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    "$mkrepo" --quiet --key "$src/tests/data/keys/cairn-demo.rsa" $args "$dir/repo"
    echo "$args" >"$dir/stamp"
  fi
  mkdir -p "$dir/project/layers" "$dir/project/images"
  cat >"$dir/project/layers/bulk.yaml" <<EOF2
description: $n generated packages
packages: {apk: [synth-all]}
EOF2
}
