#!/bin/sh
# Regenerates tests/golden/demo/ (compared byte for byte by
# tests/e2e/golden_test.cc): builds tests/golden/demo.yaml.in against the
# build's demo repository at --source-date-epoch 1700000000 and copies the OCI
# index, the nested image index, both manifests and configs, and the SBOMs.
# cairn's version in the SBOM creators ("Tool: cairn-X.Y.Z") is replaced by
# "Tool: cairn-VERSION" so a version bump does not change the golden files.
#
# usage: tests/tools/update-golden.sh [BUILD_DIR]   (default: build)
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
cairn="$build/cairn"
repo="$build/demo-repo"
golden="$src/tests/golden/demo"
[ -x "$cairn" ] || { echo "update-golden: no cairn binary at $cairn (build first)" >&2; exit 1; }
[ -f "$repo/x86_64/APKINDEX.tar.gz" ] || { echo "update-golden: no demo repository in $repo" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|@DEMO_REPO@|$repo|g" "$src/tests/golden/demo.yaml.in" > "$work/demo.yaml"
env -u SOURCE_DATE_EPOCH "$cairn" -q build "$work/demo.yaml" --cache-dir "$work/cache" \
  -o "$work/out" --source-date-epoch 1700000000 > "$work/digest"
version=$("$cairn" version | sed 's/^cairn //')
oci="$work/out/oci"
blob() { echo "$oci/blobs/sha256/${1#sha256:}"; }
ref() { jq -r --arg r "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r) | .digest' "$oci/index.json"; }

rm -rf "$golden"
mkdir -p "$golden"
cp "$oci/index.json" "$golden/index.json"
cp "$(blob "$(ref demo)")" "$golden/image-index.json"
for arch in amd64 arm64; do
  manifest=$(blob "$(ref "demo-$arch")")
  cp "$manifest" "$golden/manifest-$arch.json"
  cp "$(blob "$(jq -r .config.digest "$manifest")")" "$golden/config-$arch.json"
done
for sbom in sbom-x86_64 sbom-aarch64 sbom-index; do
  sed "s/\"Tool: cairn-$version\"/\"Tool: cairn-VERSION\"/" "$work/out/sbom/$sbom.spdx.json" \
    > "$golden/$sbom.spdx.json"
done
echo "updated $golden ($(cat "$work/digest"))"
