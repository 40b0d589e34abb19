#include "cairn/effects/update_rc_d.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/test_support.h"

namespace cairn::effects {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kShipped = 1600000000;
constexpr int64_t kNow = 1700000000;

// The LSB header of util-linux-extra 2.38.1's /etc/init.d/hwclock.sh (bookworm).
constexpr const char* kHwclock =
    "#!/bin/sh\n\n### BEGIN INIT INFO\n# Provides:          hwclock\n# Required-Start:\n"
    "# Required-Stop:     mountdevsubfs\n# Should-Stop:       umountfs\n"
    "# Default-Start:     S\n# Default-Stop:      0 6\n"
    "# Short-Description: Save system clock to hardware on shutdown.\n### END INIT INFO\n\n"
    "exit 0\n";

// The same tree on disk, where the host's update-rc.d (init-system-helpers
// 1.65.2, no insserv on the host) runs with DPKG_ROOT.
struct Stage {
  cairn::testing::ScratchDir dir{"update-rc-d"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  fs::path root = dir.path() / "root";

  Stage() {
    for (const char* d : {"etc", "etc/init.d"}) {
      REQUIRE(tree.AddDirectory(d, 0755, 0, 0, kShipped).ok());
      fs::create_directories(root / d);
    }
  }
  void Script(const std::string& name, const std::string& text) {
    REQUIRE(tree.AddFile("etc/init.d/" + name, text, 0755, 0, 0, kShipped).ok());
    std::ofstream(root / "etc/init.d" / name) << text;
  }
  void Link(const std::string& path, const std::string& target) {
    REQUIRE(tree.AddSymlink(path, target, kShipped).ok());
    fs::create_directories((root / path).parent_path());
    fs::create_symlink(target, root / path);
  }
  cairn::testing::CommandResult Run(const std::string& name) {
    return cairn::testing::RunCommand({"update-rc.d", name, "defaults"},
                                      {"DPKG_ROOT=" + root.string()});
  }
  // Every path under etc/ in the tree, "path -> target" for links, and the same for the disk.
  std::vector<std::string> TreeListing() {
    std::vector<std::string> out;
    for (const auto& [path, node] : tree.nodes())
      out.push_back(node.meta.link_target.empty() ? path : path + " -> " + node.meta.link_target);
    return out;
  }
  std::vector<std::string> HostListing() {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      std::string path = e.path().lexically_relative(root).string();
      out.push_back(e.is_symlink() ? path + " -> " + fs::read_symlink(e.path()).string() : path);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_CASE("UpdateRcDefaults links hwclock.sh as bookworm's update-rc.d does without insserv",
          "[effects][deb]") {
  Stage s;
  s.Script("hwclock.sh", kHwclock);
  std::vector<std::string> log;
  REQUIRE(UpdateRcDefaults(s.tree, {"hwclock.sh"}, kNow, &log).ok());
  auto r = s.Run("hwclock.sh");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(s.TreeListing() == std::vector<std::string>{
                               "etc", "etc/init.d", "etc/init.d/hwclock.sh", "etc/rc0.d",
                               "etc/rc0.d/K01hwclock.sh -> ../init.d/hwclock.sh", "etc/rc6.d",
                               "etc/rc6.d/K01hwclock.sh -> ../init.d/hwclock.sh", "etc/rcS.d",
                               "etc/rcS.d/S01hwclock.sh -> ../init.d/hwclock.sh"});
  CHECK(log == std::vector<std::string>{
                   "update-rc.d: linked '/etc/rcS.d/S01hwclock.sh' -> '../init.d/hwclock.sh'",
                   "update-rc.d: linked '/etc/rc0.d/K01hwclock.sh' -> '../init.d/hwclock.sh'",
                   "update-rc.d: linked '/etc/rc6.d/K01hwclock.sh' -> '../init.d/hwclock.sh'"});
  const rootfs::Node* dir = s.tree.Find("etc/rcS.d");
  REQUIRE(dir);
  CHECK((dir->meta.mode & 07777) == 0755);
  CHECK(dir->meta.mtime == kNow);
  CHECK(s.tree.Find("etc/rc0.d/K01hwclock.sh")->meta.mtime == kNow);
}

TEST_CASE("UpdateRcDefaults keeps a script's existing links and reads multi-level headers",
          "[effects][deb]") {
  Stage s;
  s.Script("hwclock.sh", kHwclock);
  s.Link("etc/rc0.d/K20hwclock.sh", "../init.d/hwclock.sh");
  s.Script("svc", "### BEGIN INIT INFO\n# Default-Start: 2 3 4 5\n# Default-Stop:\n"
                  "### END INIT INFO\n# Default-Stop: 1\n");
  REQUIRE(UpdateRcDefaults(s.tree, {"hwclock.sh", "svc"}, kNow, nullptr).ok());
  for (const char* name : {"hwclock.sh", "svc"}) {
    auto r = s.Run(name);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(s.tree.Find("etc/rcS.d") == nullptr);
  CHECK(s.tree.Find("etc/rc5.d/S01svc") != nullptr);
  CHECK(s.tree.Find("etc/rc1.d") == nullptr);
}

TEST_CASE("UpdateRcDefaults errors", "[effects][deb]") {
  Stage s;
  Status st = UpdateRcDefaults(s.tree, {"missing"}, kNow, nullptr);
  REQUIRE(!st.ok());
  CHECK(st.error().code() == Code::kNotFound);
  CHECK(st.error().message() ==
        "update-rc.d: unable to read '/etc/init.d/missing' (expected an init script)");
  auto r = s.Run("missing");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("unable to read") != std::string::npos);

  s.Script("hwclock.sh", kHwclock);
  REQUIRE(s.tree.AddFile("usr/lib/insserv/insserv", "", 0755).ok());
  REQUIRE(s.tree.AddFile("etc/insserv.conf", "").ok());
  st = UpdateRcDefaults(s.tree, {"hwclock.sh"}, kNow, nullptr);
  REQUIRE(!st.ok());
  CHECK(st.error().code() == Code::kTool);
  CHECK(st.error().message() ==
        "update-rc.d would order 'hwclock.sh' with '/usr/lib/insserv/insserv', which cairn "
        "does not reproduce (expected an image without insserv)");
  CHECK(s.tree.Find("etc/rcS.d") == nullptr);
}

}  // namespace
}  // namespace cairn::effects
