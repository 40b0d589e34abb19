#include <catch2/catch.hpp>

#include "cairn/effects/busybox.h"
#include "support/test_support.h"

namespace cairn::effects {
namespace {

struct Fixture {
  cairn::testing::ScratchDir dir{"busybox"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  RecordingReporter reporter;

  void Busybox(const std::string& path, int64_t mtime = 1000, int owner = 0) {
    rootfs::FsEntry e;
    e.path = path;
    e.mode = 0755;
    e.mtime = mtime;
    REQUIRE(tree.Add(e, nullptr, owner).ok());
  }
  void File(const std::string& path, const std::string& text) {
    REQUIRE(tree.AddFile(path, text).ok());
  }
  std::string Target(const std::string& path) {
    const rootfs::Node* n = tree.Find(path);
    if (!n) return "<missing>";
    if (n->meta.type != rootfs::FileType::kSymlink)
      return std::string("<") + std::string(rootfs::FileTypeName(n->meta.type)) + ">";
    return n->meta.link_target;
  }
};

TEST_CASE("busybox links come from etc/busybox-paths.d and never overwrite",
          "[effects][busybox]") {
  Fixture f;
  f.Busybox("bin/busybox", 1000);
  f.File("etc/busybox-paths.d/busybox",
         "/bin/busybox\n/bin/sh\n/bin/ls\n/sbin/ifconfig\n/usr/bin/wget\n\n/bin/ls\n"
         "/usr/sbin/crond\r\n");
  f.File("usr/bin/wget", "real wget");  // from another package: kept
  REQUIRE(f.tree.AddSymlink("bin/ls", "/usr/bin/coreutils-ls").ok());  // kept too
  REQUIRE(f.tree.AddDirectory("usr", 0755, 0, 0, 5).ok());

  REQUIRE(InstallBusyboxLinks(f.tree, 2000, f.reporter).ok());
  CHECK(f.Target("bin/sh") == "/bin/busybox");
  CHECK(f.Target("sbin/ifconfig") == "/bin/busybox");
  CHECK(f.Target("usr/sbin/crond") == "/bin/busybox");
  CHECK(f.Target("usr/bin/wget") == "<regular file>");
  CHECK(f.Target("bin/ls") == "/usr/bin/coreutils-ls");
  CHECK(f.Target("bin/busybox") == "<regular file>");
  const rootfs::Node* sh = f.tree.Find("bin/sh");
  CHECK(sh->meta.mtime == 2000);
  CHECK(sh->meta.mode == 0777);
  CHECK(sh->owner == -1);
  // New parent directories take busybox's mtime; existing ones are untouched.
  CHECK(f.tree.Find("sbin")->meta.mtime == 1000);
  CHECK(f.tree.Find("usr/sbin")->meta.mtime == 1000);
  CHECK(f.tree.Find("usr")->meta.mtime == 5);
  CHECK(f.reporter.lines() ==
        std::vector<std::string>{"busybox: created 3 applet links to '/bin/busybox'"});
}

TEST_CASE("busybox links follow a usr-merged bin and read every paths file",
          "[effects][busybox]") {
  Fixture f;
  REQUIRE(f.tree.AddSymlink("bin", "usr/bin").ok());
  f.Busybox("usr/bin/busybox");
  f.File("etc/busybox-paths.d/busybox", "/bin/sh\n/usr/bin/env\n");
  f.File("etc/busybox-paths.d/busybox-extras", "/usr/sbin/telnetd\n");
  REQUIRE(InstallBusyboxLinks(f.tree, 0, f.reporter).ok());
  CHECK(f.Target("usr/bin/sh") == "/bin/busybox");
  CHECK(f.Target("usr/bin/env") == "/bin/busybox");
  CHECK(f.Target("usr/sbin/telnetd") == "/bin/busybox");
  CHECK(f.Target("bin") == "usr/bin");
}

TEST_CASE("busybox only under usr/bin links to /usr/bin/busybox", "[effects][busybox]") {
  Fixture f;
  f.Busybox("usr/bin/busybox");
  f.File("etc/busybox-paths.d/busybox", "/usr/bin/vi\n");
  REQUIRE(InstallBusyboxLinks(f.tree, 0, f.reporter).ok());
  CHECK(f.Target("usr/bin/vi") == "/usr/bin/busybox");
}

TEST_CASE("busybox without an applet list warns and names its package", "[effects][busybox]") {
  Fixture f;
  f.Busybox("bin/busybox", 1000, /*owner=*/1);
  REQUIRE(InstallBusyboxLinks(f.tree, 0, f.reporter, {"musl", "busybox-static"}).ok());
  CHECK(f.reporter.lines() ==
        std::vector<std::string>{
            "warning: 'bin/busybox' (from package 'busybox-static') has no applet list in "
            "'etc/busybox-paths.d/'; busybox applet links were not created"});
  CHECK(f.tree.nodes().size() == 2);

  RecordingReporter unnamed;
  REQUIRE(InstallBusyboxLinks(f.tree, 0, unnamed).ok());
  CHECK(unnamed.lines() ==
        std::vector<std::string>{
            "warning: 'bin/busybox' (from an unknown package) has no applet list in "
            "'etc/busybox-paths.d/'; busybox applet links were not created"});
}

TEST_CASE("no busybox, no links and no warning", "[effects][busybox]") {
  Fixture f;
  f.File("etc/busybox-paths.d/busybox", "/bin/sh\n");
  REQUIRE(InstallBusyboxLinks(f.tree, 0, f.reporter).ok());
  CHECK(f.tree.Find("bin/sh") == nullptr);
  CHECK(f.reporter.lines().empty());
}

TEST_CASE("bad busybox path lines are skipped with a warning", "[effects][busybox]") {
  Fixture f;
  f.Busybox("bin/busybox");
  f.File("bin/notadir", "x");
  f.File("etc/busybox-paths.d/busybox", "bin/relative\n/../../etc/passwd\n/bin/notadir/sh\n/bin/ok\n");
  REQUIRE(InstallBusyboxLinks(f.tree, 0, f.reporter).ok());
  CHECK(f.Target("bin/ok") == "/bin/busybox");
  CHECK(f.tree.Find("bin/relative") == nullptr);
  CHECK(f.Target("etc/passwd") == "<missing>");
  CHECK(f.reporter.lines() ==
        std::vector<std::string>{
            "warning: etc/busybox-paths.d/busybox:1: skipping 'bin/relative': expected an "
            "absolute path",
            "warning: etc/busybox-paths.d/busybox:2: skipping '/../../etc/passwd': expected an "
            "absolute path",
            "warning: etc/busybox-paths.d/busybox:3: skipping '/bin/notadir/sh': a parent is not "
            "a directory",
            "busybox: created 1 applet links to '/bin/busybox'"});
}

}  // namespace
}  // namespace cairn::effects
