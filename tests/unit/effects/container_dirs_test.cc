#include <catch2/catch.hpp>

#include "cairn/effects/container_dirs.h"
#include "support/test_support.h"

namespace cairn::effects {
namespace {

struct Fixture {
  cairn::testing::ScratchDir dir{"dirs"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};

  std::vector<std::string> Listing() {
    std::vector<std::string> out;
    for (const auto& [path, node] : tree.nodes())
      out.push_back(path + " " + std::to_string(node.meta.mode) + " " +
                    std::to_string(node.meta.mtime));
    return out;
  }
};

TEST_CASE("EnsureContainerDirs creates apko's base directories", "[effects]") {
  Fixture f;
  REQUIRE(EnsureContainerDirs(f.tree, 42).ok());
  CHECK(f.Listing() == std::vector<std::string>{
                           "dev 493 42", "etc 493 42", "etc/apk 493 42", "etc/apk/keys 493 42",
                           "proc 365 42", "tmp 1023 42", "var 493 42", "var/cache 493 42",
                           "var/cache/apk 493 42"});
  for (const auto& [path, node] : f.tree.nodes()) {
    CHECK(node.meta.type == rootfs::FileType::kDirectory);
    CHECK(node.meta.uid == 0);
    CHECK(node.meta.gid == 0);
    CHECK(node.owner == -1);
  }
}

TEST_CASE("EnsureContainerDirs keeps existing directories and directory links", "[effects]") {
  Fixture f;
  REQUIRE(f.tree.AddDirectory("tmp", 0700, 5, 6, 7).ok());
  REQUIRE(f.tree.AddSymlink("var", "private/var").ok());
  REQUIRE(f.tree.AddDirectory("private/var", 0750, 0, 0, 9).ok());
  REQUIRE(EnsureContainerDirs(f.tree, 42).ok());
  const rootfs::Node* tmp = f.tree.Find("tmp");
  CHECK(tmp->meta.mode == 0700);
  CHECK(tmp->meta.uid == 5);
  CHECK(f.tree.Find("var")->meta.type == rootfs::FileType::kSymlink);
  CHECK(f.tree.Find("private/var")->meta.mode == 0750);
  REQUIRE(f.tree.Find("private/var/cache/apk"));
  CHECK(f.tree.Find("private/var/cache/apk")->meta.mtime == 42);
}

TEST_CASE("EnsureContainerDirs refuses a file where a directory belongs", "[effects]") {
  Fixture f;
  REQUIRE(f.tree.AddFile("proc", "oops").ok());
  auto status = EnsureContainerDirs(f.tree, 0);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == Code::kIntegrity);
  CHECK(status.error().message() ==
        "cannot create directory 'proc': it exists as a regular file");
}

}  // namespace
}  // namespace cairn::effects
