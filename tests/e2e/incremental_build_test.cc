// Incremental builds: a rebuild takes the unchanged bottom layers from the
// layer cache (blob, tree snapshot, package records) instead of fetching and
// extracting their packages, and its output is byte for byte the output of a
// build without the cache (diff -r, an independent comparison). Damaged cache
// entries are reported and rebuilt, never used.
#include <catch2/catch.hpp>

#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

struct Project {
  ScratchDir scratch{"incremental"};
  fs::path root = scratch.path() / "project";
  fs::path cache = scratch.path() / "cache";
  fs::path yaml = root / "images" / "stack.yaml";

  Project() {
    WriteText(root / "layers/base.yaml", "packages: {apk: [cairn-baselayout]}\n");
    Greeter("hi");
    WriteText(yaml, "contents:\n  repositories: [" + DemoRepo().string() + "]\n  keyring: [" +
                        DemoKey().string() + "]\n  packages: [cairn-motd]\n" +
                        "layers: [base, greeter]\narchs: [x86_64, aarch64]\n");
  }
  void Greeter(const std::string& greeting) {
    WriteText(root / "layers/greeter.yaml",
              "requires: [base]\npackages: {apk: [hello]}\nfiles:\n"
              "  - path: /etc/greeter.conf\n    content: \"greeting=" +
                  greeting + "\\n\"\n");
  }
  // Builds into scratch/<out> at -v and returns the log.
  std::string Build(const std::string& out, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"-v", "build", yaml.string(), "-o",
                                     (scratch.path() / out).string(), "--cache-dir",
                                     cache.string(), "--source-date-epoch", "1700000000"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = Cairn(args);
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
  // Flips one byte in the middle of every snapshot file called `name`.
  void DamageSnapshots(const std::string& name) {
    size_t damaged = 0;
    for (const auto& e : fs::recursive_directory_iterator(cache / "layers" / "snapshots"))
      if (e.path().filename() == name) {
        std::string bytes = ReadText(e.path());
        bytes[bytes.size() / 2] ^= 0x20;
        WriteText(e.path(), bytes);
        ++damaged;
      }
    REQUIRE(damaged > 0);
  }
};

bool Has(const std::string& log, const std::string& what) {
  return log.find(what) != std::string::npos;
}

TEST_CASE("a rebuild restores unchanged lower layers from the cache, byte for byte",
          "[e2e][layers][incremental]") {
  Project p;
  p.Build("cold");
  // Only the middle layer changes: base comes from the cache, greeter and the
  // image's own layer above it are built again.
  p.Greeter("hello");
  std::string log = p.Build("incremental");
  CHECK(Has(log, "layer 'base' from the layer cache"));
  CHECK_FALSE(Has(log, "layer 'greeter' from the layer cache"));
  // The cached layer's packages are not even fetched.
  CHECK_FALSE(Has(log, "fetched cairn-baselayout"));
  CHECK(Has(log, "fetched hello"));

  p.Build("reference", {"--no-layer-cache"});
  p.RequireSameOutput("reference", "incremental");

  SECTION("every layer from the cache") {
    std::string all = p.Build("warm");
    for (const char* layer : {"base", "greeter", "stack"})
      CHECK(Has(all, std::string("layer '") + layer + "' from the layer cache"));
    CHECK_FALSE(Has(all, " fetched "));
    p.RequireSameOutput("reference", "warm");
  }
  SECTION("damaged tree snapshots are said, built again and never used") {
    p.DamageSnapshots("nodes");
    std::string damaged = p.Build("damaged");
    CHECK(Has(damaged, "is unusable, building it again"));
    CHECK(Has(damaged, "checksum does not match"));
    p.RequireSameOutput("reference", "damaged");
  }
  SECTION("damaged package records likewise") {
    p.DamageSnapshots("state");
    std::string damaged = p.Build("damaged-state");
    CHECK(Has(damaged, "is unusable, building it again"));
    p.RequireSameOutput("reference", "damaged-state");
  }
}

}  // namespace
}  // namespace cairn::e2e
