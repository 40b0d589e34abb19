// Hostile declarations: syntax errors, unknown keys, wrong types, include
// cycles, `files:` paths that leave the root, oversized files. Each is a
// located kConfig error; a path through a planted symlink stays in the image.
#include <catch2/catch.hpp>

#include "cairn/config/loader.h"
#include "support/tree_fixture.h"
#include "unit/hostile/hostile_util.h"

namespace cairn::hostile {
namespace {

using testing::Outcome;
using testing::RecordHostile;

const char* kCategory = "declarations";

Result<config::Image> Load(const testing::ScratchDir& dir, const std::string& name,
                           const std::string& text) {
  Spit(dir.path() / name, text);
  return config::LoadImage(dir.path() / name);
}

TEST_CASE("hostile declaration: malformed files are located config errors",
          "[hostile][config]") {
  testing::ScratchDir dir("hostile-decl", /*outside_project=*/true);
  struct Case {
    std::string what, text;
  };
  for (const Case& c : std::vector<Case>{
           {"YAML syntax error", "name: [unclosed\n"},
           {"unknown key", "name: x\ncontentz: {}\n"},
           {"wrong type (a mapping where a list is expected)", "name: x\narchs: {a: 1}\n"},
           {"a 5 MiB declaration", "name: x\n# " + std::string(5 << 20, 'x') + "\n"},
           {"'..' in a files: path", "name: x\nfiles:\n  - path: ../../etc/passwd\n    content: x\n"},
       }) {
    auto r = Load(dir, "image.yaml", c.text);
    INFO(c.what);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kConfig);
    RecordHostile(kCategory, c.what, Outcome(r));
  }
  Spit(dir.path() / "a.yaml", "include:\n  - b.yaml\n");
  Spit(dir.path() / "b.yaml", "include:\n  - a.yaml\n");
  auto cycle = Load(dir, "image.yaml", "name: x\ninclude:\n  - a.yaml\n");
  REQUIRE_FALSE(cycle.ok());
  CHECK(cycle.error().code() == Code::kConfig);
  CHECK_THAT(cycle.error().message(), Catch::StartsWith("include cycle: "));
  RecordHostile(kCategory, "include cycle", Outcome(cycle));
}

TEST_CASE("hostile declaration: a files: path through a planted symlink stays in the image",
          "[hostile][config]") {
  // compose_image.cc places `files:` entries with Tree::Add, like packages.
  testing::TreeFixture t("hostile-files");
  REQUIRE(t.tree.AddDirectory("etc").ok());
  REQUIRE(t.tree.AddSymlink("etc/x", "../../..").ok());
  REQUIRE(t.tree.AddSymlink("etc/y", "/etc").ok());
  REQUIRE(t.tree.AddFile("/etc/x/etc/passwd", "declared\n").ok());
  REQUIRE(t.tree.AddFile("/etc/y/../../../shadow-ish", "declared\n").ok() == false);
  CHECK(t.tree.ReadFile("etc/passwd").value() == "declared\n");
  CheckTreeSane(t.tree);
  RecordHostile(kCategory, "files: path '/etc/x/etc/passwd' where /etc/x -> ../../..",
                "neutralised: resolved chroot-style, written to '/etc/passwd' of the image");
}

}  // namespace
}  // namespace cairn::hostile
