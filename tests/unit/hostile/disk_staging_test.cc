// Hostile trees meet the host: the disk builders materialise the tree in a
// staging directory (mke2fs -d, mcopy, mkfs.erofs read it), the one place a
// planted symlink could make cairn write outside its output. A victim
// directory on the host must stay empty.
#include <catch2/catch.hpp>

#include "output/disk/staging.h"
#include "support/tree_fixture.h"
#include "unit/hostile/hostile_util.h"

namespace cairn::hostile {
namespace {

using testing::RecordHostile;

bool Empty(const fs::path& dir) { return fs::is_empty(dir); }

TEST_CASE("hostile staging: a planted absolute symlink is never followed on the host",
          "[hostile][disk]") {
  testing::TreeFixture t("hostile-stage");
  fs::path victim = t.dir.path() / "victim";
  fs::create_directories(victim);
  fs::path stage = t.dir.path() / "stage";
  fs::create_directories(stage);
  // Package A: etc/x -> <the victim's absolute host path>; package B: etc/x/evil.
  REQUIRE(t.tree.AddDirectory("etc").ok());
  REQUIRE(t.tree.AddSymlink("etc/x", victim.string()).ok());
  REQUIRE(t.tree.AddFile("etc/x/evil", "evil\n").ok());
  std::string inside = victim.relative_path().string() + "/evil";
  REQUIRE(t.tree.Find(inside) != nullptr);  // resolved inside the tree
  auto staged = disk::internal::StageTree(t.tree, stage, {.epoch = 0});
  REQUIRE(staged.ok());
  CHECK(Empty(victim));
  CHECK(fs::is_symlink(stage / "etc/x"));
  CHECK(fs::read_symlink(stage / "etc/x") == victim);  // link data, verbatim
  CHECK(fs::is_regular_file(stage / inside));
  RecordHostile("package archives", "staging a tree whose /etc/x points at a host directory",
                "neutralised: B's file is staged at '<stage>/" + std::string("<victim path>/evil") +
                    "'; the host directory stays empty");
}

TEST_CASE("hostile staging: a node under a symlink is refused before anything is written",
          "[hostile][disk]") {
  testing::TreeFixture t("hostile-stage2");
  fs::path victim = t.dir.path() / "victim";
  fs::create_directories(victim);
  fs::path stage = t.dir.path() / "stage";
  fs::create_directories(stage);
  REQUIRE(t.tree.AddSymlink("x", victim.string()).ok());
  // A tree restored from a (corrupt) snapshot can hold what Add never makes.
  rootfs::Node node;
  node.meta.path = "x/evil";
  node.meta.type = rootfs::FileType::kDirectory;
  node.meta.mode = 0755;
  t.tree.RestoreNode(node);
  auto staged = disk::internal::StageTree(t.tree, stage, {.epoch = 0});
  REQUIRE_FALSE(staged.ok());
  CHECK(staged.error().code() == Code::kIntegrity);
  CHECK(staged.error().message() ==
        "cannot stage 'x/evil': its parent 'x' is a symlink in the tree, not a directory");
  CHECK(Empty(victim));
  RecordHostile("package archives", "a tree node below a symlink reaching the disk staging",
                testing::Outcome(staged));
}

}  // namespace
}  // namespace cairn::hostile
