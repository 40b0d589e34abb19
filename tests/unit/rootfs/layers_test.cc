// Stacked layers in rootfs::Tree: which layer each node belongs to, and the
// whiteouts a layer records when it removes what a lower layer placed.
#include <catch2/catch.hpp>

#include <set>
#include <vector>

#include "cairn/rootfs/tree.h"
#include "support/test_support.h"

namespace cairn::rootfs {
namespace {

struct Fixture {
  testing::ScratchDir dir{"tree-layers"};
  std::unique_ptr<ContentStore> store = std::move(ContentStore::Create(dir.path()).value());
  Tree tree{*store};

  int LayerOf(std::string_view path) const {
    const Node* n = tree.Find(path);
    REQUIRE(n);
    return n->layer;
  }
  // Paths attributed to `layer`, sorted.
  std::vector<std::string> InLayer(int layer) const {
    std::vector<std::string> out;
    for (const auto& [path, node] : tree.nodes())
      if (node.layer == layer) out.push_back(path);
    return out;
  }
  // Layer 0: a small base system.
  void Base() {
    REQUIRE(tree.current_layer() == 0);
    REQUIRE(tree.AddDirectory("usr/bin", 0755, 0, 0, 100).ok());
    REQUIRE(tree.AddFile("usr/bin/sh", "#!sh\n", 0755, 0, 0, 100).ok());
    REQUIRE(tree.AddSymlink("bin", "usr/bin", 100).ok());
    REQUIRE(tree.AddFile("etc/motd", "base\n", 0644, 0, 0, 100).ok());
    REQUIRE(tree.AddFile("usr/share/doc/sh/README", "doc\n", 0644, 0, 0, 100).ok());
    REQUIRE(tree.AddFile("usr/share/doc/sh/COPYING", "gpl\n", 0644, 0, 0, 100).ok());
    REQUIRE(tree.AddDirectory("var/lib", 0755, 0, 0, 100).ok());
  }
};

TEST_CASE("a tree without BeginLayer puts everything in layer 0", "[rootfs][layers]") {
  Fixture f;
  f.Base();
  CHECK(f.InLayer(0).size() == f.tree.nodes().size());
  CHECK(f.tree.Whiteouts(0).empty());
  // Removing in the layer that placed a node needs no whiteout.
  f.tree.Remove("etc/motd");
  CHECK(f.tree.Whiteouts(0).empty());
}

TEST_CASE("upper layers own what they add or change, not what they repeat", "[rootfs][layers]") {
  Fixture f;
  f.Base();
  f.tree.BeginLayer(1);
  CHECK(f.tree.current_layer() == 1);

  SECTION("a lower directory added again unchanged stays in layer 0") {
    REQUIRE(f.tree.AddDirectory("usr/bin", 0755, 0, 0, 100).ok());
    REQUIRE(f.tree.AddDirectory("var/lib", 0755, 0, 0, 100).ok());
    CHECK(f.LayerOf("usr/bin") == 0);
    CHECK(f.LayerOf("var/lib") == 0);
    CHECK(f.InLayer(1).empty());
  }
  SECTION("a lower directory whose metadata changes moves up") {
    REQUIRE(f.tree.AddDirectory("var/lib", 0700, 0, 0, 100).ok());
    CHECK(f.LayerOf("var/lib") == 1);
    CHECK(f.tree.Find("var/lib")->meta.mode == 0700);
    CHECK(f.LayerOf("var") == 0);
    CHECK(f.InLayer(1) == std::vector<std::string>{"var/lib"});
  }
  SECTION("a directory of another package keeps its metadata and its layer") {
    REQUIRE(f.tree.AddDirectory("var/lib", 0700, 0, 0, 100).ok());
    FsEntry d;
    d.path = "usr/bin";
    d.type = FileType::kDirectory;
    d.mode = 0700;
    REQUIRE(f.tree.Add(d, nullptr, /*owner=*/3).ok());
    CHECK(f.LayerOf("usr/bin") == 0);
    CHECK(f.tree.Find("usr/bin")->meta.mode == 0755);
  }
  SECTION("a replaced file moves up, with new content") {
    REQUIRE(f.tree.AddFile("etc/motd", "upper\n", 0644, 0, 0, 200).ok());
    CHECK(f.LayerOf("etc/motd") == 1);
    CHECK(f.LayerOf("etc") == 0);
    CHECK(*f.tree.ReadFile("etc/motd") == "upper\n");
  }
  SECTION("new files bring their new parents, existing parents stay below") {
    REQUIRE(f.tree.AddFile("opt/app/bin/run", "x", 0755).ok());
    REQUIRE(f.tree.AddFile("bin/tool", "t", 0755).ok());  // through the bin -> usr/bin link
    CHECK(f.InLayer(1) ==
          std::vector<std::string>{"opt", "opt/app", "opt/app/bin", "opt/app/bin/run",
                                   "usr/bin/tool"});
    CHECK(f.LayerOf("usr/bin") == 0);
    CHECK(f.LayerOf("bin") == 0);
  }
  SECTION("FindMutable attributes the node to the current layer") {
    Node* n = f.tree.FindMutable("usr/bin/sh");
    REQUIRE(n);
    n->meta.mode = 04755;
    CHECK(f.LayerOf("usr/bin/sh") == 1);
    CHECK(f.tree.Find("usr/bin/sh")->over_lower);
    // Find alone changes nothing.
    CHECK(f.tree.Find("etc/motd"));
    CHECK(f.LayerOf("etc/motd") == 0);
  }
  SECTION("ClampMtimes with a layer leaves lower layers byte-identical") {
    REQUIRE(f.tree.AddFile("etc/new", "n", 0644, 0, 0, 5000).ok());
    REQUIRE(f.tree.AddDirectory("var/lib", 0755, 0, 0, 6000).ok());  // changed: moves up
    f.tree.ClampMtimes(50, 1);
    CHECK(f.tree.Find("etc/new")->meta.mtime == 50);
    CHECK(f.tree.Find("var/lib")->meta.mtime == 50);
    CHECK(f.tree.Find("usr/bin/sh")->meta.mtime == 100);
    f.tree.ClampMtimes(50);
    CHECK(f.tree.Find("usr/bin/sh")->meta.mtime == 50);
  }
}

TEST_CASE("removing what a lower layer placed records whiteouts", "[rootfs][layers]") {
  Fixture f;
  f.Base();
  f.tree.BeginLayer(1);

  SECTION("a lower file") {
    f.tree.Remove("etc/motd");
    CHECK_FALSE(f.tree.Find("etc/motd"));
    CHECK(f.tree.Whiteouts(1) == std::set<std::string>{"etc/motd"});
    CHECK(f.tree.Whiteouts(0).empty());
    CHECK(f.tree.Whiteouts(2).empty());
  }
  SECTION("a path addressed through a symlinked parent is whited out at its real path") {
    f.tree.Remove("bin/sh");
    CHECK(f.tree.Whiteouts(1) == std::set<std::string>{"usr/bin/sh"});
  }
  SECTION("a removed directory is one whiteout covering its children") {
    f.tree.Remove("usr/share/doc/sh/README");
    CHECK(f.tree.Whiteouts(1) == std::set<std::string>{"usr/share/doc/sh/README"});
    f.tree.Remove("usr/share/doc");
    CHECK(f.tree.Whiteouts(1) == std::set<std::string>{"usr/share/doc"});
    CHECK_FALSE(f.tree.Find("usr/share/doc/sh/COPYING"));
    CHECK(f.tree.Find("usr/share"));
  }
  SECTION("a file created in this layer needs none") {
    REQUIRE(f.tree.AddFile("tmp/x", "x").ok());
    f.tree.Remove("tmp");
    CHECK(f.tree.Whiteouts(1).empty());
  }
  SECTION("a lower file replaced in this layer still hides the lower one") {
    REQUIRE(f.tree.AddFile("etc/motd", "upper\n").ok());
    f.tree.Remove("etc/motd");
    CHECK(f.tree.Whiteouts(1) == std::set<std::string>{"etc/motd"});
  }
  SECTION("a lower directory changed in this layer, then removed") {
    REQUIRE(f.tree.AddDirectory("var/lib", 0700).ok());
    REQUIRE(f.tree.AddFile("var/lib/new", "n").ok());
    f.tree.Remove("var/lib");
    CHECK(f.tree.Whiteouts(1) == std::set<std::string>{"var/lib"});
  }
  SECTION("removed, then added again in the same layer") {
    f.tree.Remove("usr/share/doc/sh");
    REQUIRE(f.tree.AddFile("usr/share/doc/sh/NEWS", "n").ok());
    CHECK(f.tree.Whiteouts(1) == std::set<std::string>{"usr/share/doc/sh"});
    CHECK(f.LayerOf("usr/share/doc/sh") == 1);
    CHECK_FALSE(f.tree.Find("usr/share/doc/sh/README"));
  }
  SECTION("a lower directory replaced by a file") {
    REQUIRE(f.tree.AddFile("usr/share/doc", "not a dir").ok());
    CHECK(f.tree.Whiteouts(1) == std::set<std::string>{"usr/share/doc"});
    CHECK(f.LayerOf("usr/share/doc") == 1);
    CHECK_FALSE(f.tree.Find("usr/share/doc/sh"));
  }
  SECTION("each layer keeps its own whiteouts") {
    f.tree.Remove("etc/motd");
    f.tree.BeginLayer(2);
    REQUIRE(f.tree.AddFile("etc/motd", "again\n").ok());
    f.tree.Remove("usr/bin/sh");
    f.tree.Remove("etc/motd");  // placed by layer 2 itself
    CHECK(f.tree.Whiteouts(1) == std::set<std::string>{"etc/motd"});
    CHECK(f.tree.Whiteouts(2) == std::set<std::string>{"usr/bin/sh"});
  }
  SECTION("AddWhiteout records a path that is not in the tree") {
    f.tree.AddWhiteout("srv/gone");
    CHECK(f.tree.Whiteouts(1) == std::set<std::string>{"srv/gone"});
    REQUIRE(f.tree.AddFile("etc/issue", "i").ok());
    f.tree.AddWhiteout("etc/issue");  // only hides lower layers: the node stays
    CHECK(f.tree.Find("etc/issue"));
    f.tree.AddWhiteout("usr/share/doc");
    CHECK_FALSE(f.tree.Find("usr/share/doc/sh"));
    CHECK(f.tree.Whiteouts(1) ==
          std::set<std::string>{"etc/issue", "srv/gone", "usr/share/doc"});
  }
}

}  // namespace
}  // namespace cairn::rootfs

namespace cairn::rootfs {
namespace {

TEST_CASE("re-adding a lower layer's file unchanged keeps it in that layer", "[rootfs][layers]") {
  testing::ScratchDir dir("tree-same");
  auto store = ContentStore::Create(dir.path());
  REQUIRE(store.ok());
  Tree tree(**store);
  REQUIRE(tree.AddFile("etc/ld.so.cache", "cache-v1", 0644, 0, 0, 100).ok());
  REQUIRE(tree.AddSymlink("bin/sh", "busybox", 100).ok());
  tree.BeginLayer(1);
  REQUIRE(tree.AddFile("etc/ld.so.cache", "cache-v1", 0644, 0, 0, 100).ok());  // same
  REQUIRE(tree.AddSymlink("bin/sh", "busybox", 100).ok());
  CHECK(tree.Find("etc/ld.so.cache")->layer == 0);
  CHECK(tree.Find("bin/sh")->layer == 0);
  REQUIRE(tree.AddFile("etc/ld.so.cache", "cache-v2", 0644, 0, 0, 100).ok());  // new content
  CHECK(tree.Find("etc/ld.so.cache")->layer == 1);
  REQUIRE(tree.AddSymlink("bin/sh", "busybox", 200).ok());  // new mtime
  CHECK(tree.Find("bin/sh")->layer == 1);
  CHECK(*tree.ReadFile("etc/ld.so.cache") == "cache-v2");
}

}  // namespace
}  // namespace cairn::rootfs
