// Layer snapshots: restoring layers 0..k onto a fresh tree gives back the
// tree as it was, node for node; damaged snapshots are refused untouched.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <fstream>

#include "cairn/file_util.h"
#include "cairn/rootfs/layer_snapshot.h"
#include "cairn/rootfs/tree.h"
#include "support/test_support.h"

namespace cairn::rootfs {
namespace {

struct Built {
  std::unique_ptr<ContentStore> store;
  std::unique_ptr<Tree> tree;
};

Built NewTree(const std::filesystem::path& dir) {
  Built b;
  b.store = std::move(ContentStore::Create(dir).value());
  b.tree = std::make_unique<Tree>(*b.store);
  return b;
}

// Two layers with every kind of node, owners, xattrs, a hard link into the
// lower layer, a replaced file, a removed file and a removed directory.
void Compose(Tree& t) {
  REQUIRE(t.AddDirectory("usr/bin", 0755, 0, 0, 100).ok());
  REQUIRE(t.AddSymlink("bin", "usr/bin", 100).ok());
  FsEntry sh{.path = "usr/bin/sh", .mode = 04755, .uid = 0, .gid = 0, .mtime = 100, .size = 5};
  sh.xattrs["security.capability"] = std::string("\x01\x00\x00\x02", 4);
  std::string body = "#!sh\n";
  size_t at = 0;
  ContentReader reader = [&](char* buf, size_t cap) -> Result<size_t> {
    size_t n = std::min(cap, body.size() - at);
    std::copy_n(body.data() + at, n, buf);
    at += n;
    return n;
  };
  REQUIRE(t.Add(sh, &reader, /*owner=*/0).ok());
  REQUIRE(t.AddFile("etc/motd", "base\n", 0644, 0, 0, 100).ok());
  REQUIRE(t.AddFile("usr/share/doc/a/README", "doc\n", 0644, 1000, 1000, 100).ok());
  REQUIRE(t.AddFile("var/empty-file", "", 0600, 0, 0, 100).ok());
  FsEntry dev{.path = "dev/null", .type = FileType::kCharDevice, .mode = 0666, .mtime = 100};
  dev.dev_major = 1;
  dev.dev_minor = 3;
  REQUIRE(t.Add(dev, nullptr, 0).ok());

  t.BeginLayer(1);
  REQUIRE(t.AddFile("etc/motd", "app\n", 0644, 0, 0, 200).ok());  // replaces
  t.Remove("usr/share/doc");                                       // whiteout of a directory
  FsEntry link{.path = "usr/bin/sh2", .type = FileType::kHardlink, .mtime = 200};
  link.link_target = "usr/bin/sh";  // its target is in layer 0
  REQUIRE(t.Add(link, nullptr, /*owner=*/1).ok());
  REQUIRE(t.AddFile("opt/app/big", std::string(100000, 'x'), 0755, 0, 0, 200).ok());
  REQUIRE(t.AddSymlink("opt/app/current", "big", 200).ok());
}

void RequireSameTrees(const Tree& a, const Tree& b) {
  REQUIRE(a.nodes().size() == b.nodes().size());
  for (const auto& [path, na] : a.nodes()) {
    INFO(path);
    const Node* nb = b.Find(path);
    REQUIRE(nb);
    CHECK(na.meta.path == nb->meta.path);
    CHECK(na.meta.type == nb->meta.type);
    CHECK(na.meta.mode == nb->meta.mode);
    CHECK(na.meta.uid == nb->meta.uid);
    CHECK(na.meta.gid == nb->meta.gid);
    CHECK(na.meta.mtime == nb->meta.mtime);
    CHECK(na.meta.size == nb->meta.size);
    CHECK(na.meta.link_target == nb->meta.link_target);
    CHECK(na.meta.dev_major == nb->meta.dev_major);
    CHECK(na.meta.dev_minor == nb->meta.dev_minor);
    CHECK(na.meta.xattrs == nb->meta.xattrs);
    CHECK(na.sha1 == nb->sha1);
    CHECK(na.owner == nb->owner);
    CHECK(na.layer == nb->layer);
    if (na.meta.type == FileType::kRegular || na.meta.type == FileType::kHardlink)
      CHECK(a.store().ReadAll(na.content).value() == b.store().ReadAll(nb->content).value());
  }
  for (int layer : {0, 1}) CHECK(a.Whiteouts(layer) == b.Whiteouts(layer));
}

TEST_CASE("restoring layer snapshots in order rebuilds the stacked tree", "[rootfs][snapshot]") {
  testing::ScratchDir dir("layer-snapshot");
  Built orig = NewTree(dir.path());
  Compose(*orig.tree);
  REQUIRE(orig.tree->Whiteouts(1) == std::set<std::string>{"usr/share/doc"});
  for (int layer : {0, 1})
    REQUIRE(WriteLayerSnapshot(*orig.tree, layer, dir.path() / fmt::format("nodes{}", layer),
                               dir.path() / fmt::format("content{}", layer))
                .ok());
  // Content is stored once per blob: layer 1 holds the big file, the new
  // motd and the hard link's bytes (its target lives in layer 0).
  CHECK(std::filesystem::file_size(dir.path() / "content1") == 100000 + 4 + 5);

  Built back = NewTree(dir.path());
  for (int layer : {0, 1}) {
    back.tree->BeginLayer(layer);
    auto st = ReadLayerSnapshot(dir.path() / fmt::format("nodes{}", layer),
                                dir.path() / fmt::format("content{}", layer), *back.tree);
    REQUIRE(st.ok());
  }
  RequireSameTrees(*orig.tree, *back.tree);

  SECTION("a layer composed on the restored tree behaves as on the original") {
    for (Tree* t : {orig.tree.get(), back.tree.get()}) {
      t->BeginLayer(2);
      t->Remove("etc/motd");
      REQUIRE(t->AddFile("usr/bin/sh", "#!new\n", 0755, 0, 0, 300).ok());
    }
    RequireSameTrees(*orig.tree, *back.tree);
    CHECK(back.tree->Whiteouts(2) == std::set<std::string>{"etc/motd"});
  }
}

TEST_CASE("a damaged layer snapshot is refused before the tree changes", "[rootfs][snapshot]") {
  testing::ScratchDir dir("layer-snapshot-bad");
  Built orig = NewTree(dir.path());
  Compose(*orig.tree);
  const auto nodes = dir.path() / "nodes";
  const auto content = dir.path() / "content";
  REQUIRE(WriteLayerSnapshot(*orig.tree, 1, nodes, content).ok());
  std::string good = ReadFile(nodes).value();

  auto restore = [&]() {
    Built fresh = NewTree(dir.path());
    fresh.tree->BeginLayer(1);
    auto st = ReadLayerSnapshot(nodes, content, *fresh.tree);
    CHECK(fresh.tree->nodes().empty());
    return st;
  };
  SECTION("one flipped byte") {
    std::string bad = good;
    bad[bad.size() / 2] ^= 1;
    REQUIRE(WriteFileAtomic(nodes, bad).ok());
    auto st = restore();
    REQUIRE(!st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK_THAT(st.error().message(), Catch::Contains("checksum does not match"));
  }
  SECTION("truncated") {
    REQUIRE(WriteFileAtomic(nodes, good.substr(0, 40)).ok());
    auto st = restore();
    REQUIRE(!st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
  }
  SECTION("content shorter than recorded") {
    std::filesystem::resize_file(content, 10);
    auto st = restore();
    REQUIRE(!st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK_THAT(st.error().message(), Catch::Contains("expected 100009"));
  }
}

}  // namespace
}  // namespace cairn::rootfs
