#include "support/publish_fixture.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/oci/layout.h"
#include "cairn/sbom/spdx.h"
#include "support/tree_fixture.h"

namespace cairn::testing {
namespace fs = std::filesystem;

BuiltOutput MakeBuiltOutput(const fs::path& dir, const std::string& name, const std::string& salt) {
  BuiltOutput out;
  out.dir = dir;
  auto layout = oci::OciLayoutWriter::Open(dir / "oci");
  REQUIRE(layout.ok());
  std::vector<oci::ImageResult> images;
  for (const std::string arch : {"x86_64", "aarch64"}) {
    TreeFixture root("publish-root");
    REQUIRE(root.tree.AddDirectory("etc").ok());
    REQUIRE(root.tree.AddFile("etc/arch", arch + salt + "\n").ok());
    REQUIRE(root.tree.AddFile("etc/motd", "a cairn publish test image " + salt + "\n").ok());
    auto layer = layout->AddLayer(root.tree);
    REQUIRE(layer.ok());
    oci::ImageConfigSpec spec;
    spec.arch = arch;
    spec.env = {"PATH=/usr/bin:/bin"};
    spec.epoch = 1700000000;
    auto image = layout->AddImage(spec, {*layer});
    REQUIRE(image.ok());
    out.manifests[arch] = image->manifest.digest;
    out.blobs.push_back(image->config.digest);
    for (const auto& l : image->layers) out.blobs.push_back(l.digest);
    images.push_back(*image);
  }
  auto tagged = layout->TagImages(name, images);
  REQUIRE(tagged.ok());
  REQUIRE(layout->Commit().ok());
  out.index_digest = tagged->digest;

  fs::create_directories(dir / "sbom");
  sbom::IndexSbomInput ii{name, 1700000000, out.index_digest, {}, "test"};
  for (const auto& img : images) {
    sbom::ImageSbomInput si;
    si.image_name = name;
    si.arch = img.apk_arch;
    si.epoch = 1700000000;
    si.manifest_digest = img.manifest.digest;
    si.config_digest = img.config.digest;
    for (const auto& l : img.layers) si.layer_digests.push_back(l.digest);
    si.tool_version = "test";
    REQUIRE(WriteFileAtomic(dir / "sbom" / ("sbom-" + img.apk_arch + ".spdx.json"),
                            sbom::WriteSpdxImage(si))
                .ok());
    ii.images.push_back({img.apk_arch, img.manifest.digest});
  }
  REQUIRE(WriteFileAtomic(dir / "sbom" / "sbom-index.spdx.json", sbom::WriteSpdxIndex(ii)).ok());
  return out;
}

std::vector<std::string> LayoutBlobDigests(const fs::path& layout) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(layout / "blobs" / "sha256")) {
    auto hex = Sha256FileHex(e.path().string());
    REQUIRE(hex.ok());
    INFO(e.path());
    CHECK(*hex == e.path().filename().string());
    out.push_back("sha256:" + *hex);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string> TreeHashes(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      out[fs::relative(e.path(), dir).string()] = Sha256FileHex(e.path().string()).value();
  return out;
}

}  // namespace cairn::testing
