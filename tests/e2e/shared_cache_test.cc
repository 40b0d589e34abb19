// Two builders, each with its own local cache, and one registry between them
// (Debian's docker-registry on 127.0.0.1): the second builder takes every
// layer from the registry instead of fetching and composing, and writes the
// first one's output byte for byte (diff -r). A layer blob altered in the
// registry's storage is detected by its digest and built again, never used.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "e2e/e2e_util.h"
#include "support/registry_server.h"

namespace cairn::e2e {
namespace {

struct Fleet {
  ScratchDir scratch{"shared-cache"};
  fs::path root = scratch.path() / "project";
  fs::path yaml = root / "images" / "stack.yaml";
  testing::RegistryServer registry{scratch.path() / "registry"};
  std::string repo = registry.host() + "/cairn/cache";

  Fleet() {
    WriteText(root / "layers/base.yaml", "packages: {apk: [cairn-baselayout]}\n");
    WriteText(root / "layers/greeter.yaml",
              "requires: [base]\npackages: {apk: [hello]}\nfiles:\n"
              "  - path: /etc/greeter.conf\n    content: \"greeting=hi\\n\"\n");
    WriteText(yaml, "contents:\n  repositories: [" + DemoRepo().string() + "]\n  keyring: [" +
                        DemoKey().string() + "]\n  packages: [cairn-motd]\n" +
                        "layers: [base, greeter]\narchs: [x86_64, aarch64]\n");
  }
  // One builder: its own cache directory and output, the shared registry.
  std::string Build(const std::string& name) {
    auto r = Cairn({"-v", "build", yaml.string(), "-o", (scratch.path() / name).string(),
                    "--cache-dir", (scratch.path() / ("cache-" + name)).string(),
                    "--source-date-epoch", "1700000000", "--cache-registry", repo,
                    "--plain-http"});
    INFO(Tail(r.err));
    REQUIRE(r.exit_code == 0);
    return r.err;
  }
  void RequireSameOutput(const std::string& a, const std::string& b) {
    auto diff = RunCommand({"diff", "-r", (scratch.path() / a).string(),
                            (scratch.path() / b).string()});
    INFO(diff.out << diff.err);
    REQUIRE(diff.exit_code == 0);
  }
  // Package files in a builder's local download cache.
  size_t PackagesIn(const std::string& name) {
    size_t n = 0;
    fs::path dir = scratch.path() / ("cache-" + name);
    for (const auto& e : fs::recursive_directory_iterator(dir))
      n += e.path().extension() == ".apk" ? 1 : 0;
    return n;
  }
};

size_t Count(const std::string& log, const std::string& what) {
  size_t n = 0;
  for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a second builder takes every layer from the shared cache and writes the same bytes",
          "[e2e][shared_cache][registry]") {
  Fleet f;
  std::string first = f.Build("first");
  // 3 layers (base, greeter, the image's own) for each of 2 archs, and every package.
  CHECK(Count(first, "from the shared cache") == 0);
  CHECK(first.find("0 layers and 0 packages taken (0 bytes), 6 layers and ") != std::string::npos);
  CHECK(f.PackagesIn("first") > 0);

  // The registry's own API lists the six layer entries and one per package.
  auto tags = RunCommand({"curl", "-sf", "http://" + f.registry.host() + "/v2/cairn/cache/tags/list"});
  REQUIRE(tags.exit_code == 0);
  CHECK(Count(tags.out, "\"layer-") == 6);
  CHECK(Count(tags.out, "\"pkg-") == f.PackagesIn("first"));

  std::string second = f.Build("second");
  for (const char* target : {"x86_64", "aarch64"})
    for (const char* layer : {"base", "greeter"}) {
      INFO(target << " " << layer);
      CHECK(Count(second, fmt::format("{}: layer '{}' from the shared cache", target, layer)) == 1);
    }
  CHECK(second.find(": 6 layers and 0 packages taken (") != std::string::npos);
  CHECK(f.PackagesIn("second") == 0);  // nothing fetched: the cached path all the way
  CHECK(Count(second, "composing layer") == 0);
  f.RequireSameOutput("first", "second");

  SECTION("a layer blob altered in the registry is refused by digest and rebuilt") {
    // The greeter layer of x86_64: its blob digest from the first build's index.
    const fs::path oci = f.scratch.path() / "first" / "oci";
    std::string manifest = Jq(".manifests[] | select(.platform.architecture == \"amd64\") | .digest",
                              oci / "index.json");
    std::string layer = Jq(".layers[1].digest", Blob(oci, manifest));
    REQUIRE(IsDigest(layer));
    fs::path stored = f.registry.storage() / "docker/registry/v2/blobs/sha256" /
                      layer.substr(7, 2) / layer.substr(7) / "data";
    REQUIRE(fs::exists(stored));
    std::string bytes = ReadText(stored);
    bytes[bytes.size() / 2] ^= 0x01;
    WriteText(stored, bytes);

    std::string third = f.Build("third");
    CHECK(Count(third, "is unusable, building it") == 1);
    CHECK(third.find("hashing to sha256:") != std::string::npos);
    CHECK(Count(third, "x86_64: layer 'base' from the shared cache") == 1);
    CHECK(Count(third, "x86_64: layer 'greeter' from the shared cache") == 0);
    CHECK(Count(third, "aarch64: layer 'greeter' from the shared cache") == 1);
    // Its packages came from the shared cache too, checked like the origin's.
    CHECK(f.PackagesIn("third") > 0);
    CHECK(third.find("; 1 refused as unusable") != std::string::npos);
    f.RequireSameOutput("first", "third");
  }
}

}  // namespace cairn::e2e
