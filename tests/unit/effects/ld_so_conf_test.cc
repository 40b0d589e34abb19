#include <catch2/catch.hpp>

#include "effects/ld_so_conf.h"
#include "support/test_support.h"

namespace cairn::effects::internal {
namespace {

struct Fixture {
  cairn::testing::ScratchDir dir{"ldconf"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  RecordingReporter reporter;

  void File(const std::string& path, const std::string& text) {
    REQUIRE(tree.AddFile(path, text).ok());
  }
};

TEST_CASE("ListDirectory lists direct children only, skipping subtrees", "[effects][ldconfig]") {
  Fixture f;
  f.File("usr/lib/a.so", "");
  f.File("usr/lib/foo/deep/x", "");
  f.File("usr/lib/foo-bar", "");
  f.File("usr/lib/foo.x", "");
  f.File("usr/lib/foo0", "");
  f.File("usr/lib/zz", "");
  f.File("usr/libexec/y", "");
  REQUIRE(f.tree.AddSymlink("lib", "usr/lib").ok());
  std::vector<std::string> want = {"a.so", "foo", "foo-bar", "foo.x", "foo0", "zz"};
  CHECK(ListDirectory(f.tree, "usr/lib") == want);
  CHECK(ListDirectory(f.tree, "/lib") == want);
  CHECK(ListDirectory(f.tree, "missing").empty());
}

TEST_CASE("GlobTree matches like glob(3) inside the tree", "[effects][ldconfig]") {
  Fixture f;
  f.File("etc/ld.so.conf.d/b.conf", "");
  f.File("etc/ld.so.conf.d/a.conf", "");
  f.File("etc/ld.so.conf.d/.hidden.conf", "");
  f.File("etc/ld.so.conf.d/c.txt", "");
  REQUIRE(f.tree.AddSymlink("etc/ld.so.conf.d/d.conf", "/nowhere").ok());
  REQUIRE(f.tree.AddSymlink("conf", "etc/ld.so.conf.d").ok());
  CHECK(GlobTree(f.tree, "/etc/ld.so.conf.d/*.conf") ==
        std::vector<std::string>{"/etc/ld.so.conf.d/a.conf", "/etc/ld.so.conf.d/b.conf",
                                 "/etc/ld.so.conf.d/d.conf"});
  CHECK(GlobTree(f.tree, "/conf/[ab].conf") ==
        std::vector<std::string>{"/conf/a.conf", "/conf/b.conf"});
  CHECK(GlobTree(f.tree, "/etc/*/c.txt") == std::vector<std::string>{"/etc/ld.so.conf.d/c.txt"});
  CHECK(GlobTree(f.tree, "/etc/ld.so.conf.d/a.conf") ==
        std::vector<std::string>{"/etc/ld.so.conf.d/a.conf"});
  CHECK(GlobTree(f.tree, "/etc/ld.so.conf.d/none.conf").empty());
}

TEST_CASE("ReadLdSoConf follows includes in order and trims directory lines",
          "[effects][ldconfig]") {
  Fixture f;
  f.File("etc/ld.so.conf",
         "/first\n"
         "include ld.so.conf.d/*.conf   /etc/extra.conf\n"
         "\t/last/dir//   \n"
         "HWCAP\tsse2\n"
         "/typed=libc6\n"
         "#/commented\n");
  f.File("etc/ld.so.conf.d/01.conf", "/from/01\n");
  f.File("etc/ld.so.conf.d/02.conf", "/from/02 # note\n");
  f.File("etc/extra.conf", "/extra\n");
  auto dirs = ReadLdSoConf(f.tree, "etc/ld.so.conf", f.reporter);
  REQUIRE(dirs.ok());
  CHECK(*dirs == std::vector<std::string>{"/first", "/from/01", "/from/02", "/extra",
                                          "/last/dir", "/typed"});
  CHECK(f.reporter.lines() ==
        std::vector<std::string>{"warning: /etc/ld.so.conf:4: hwcap directive ignored"});
}

}  // namespace
}  // namespace cairn::effects::internal
