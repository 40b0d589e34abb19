#include "cairn/effects/postinst_files.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace cairn::effects {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kShipped = 1600000000;  // mtime of the files "the packages shipped"
constexpr int64_t kNow = 1700000000;

// A tree and the same files on disk, so the host's own update-shells
// (debianutils 5.7 on the Debian 12 host) can run on the directory with --root.
struct Stage {
  cairn::testing::ScratchDir dir{"postinst-files"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  fs::path root = dir.path() / "root";

  Stage() { fs::create_directories(root); }

  void Dir(const std::string& path) {
    REQUIRE(tree.AddDirectory(path, 0755, 0, 0, kShipped).ok());
    fs::create_directories(root / path);
  }
  void Link(const std::string& path, const std::string& target) {
    REQUIRE(tree.AddSymlink(path, target, kShipped).ok());
    fs::create_symlink(target, root / path);
  }
  void File(const std::string& path, const std::string& text, uint32_t mode = 0644) {
    REQUIRE(tree.AddFile(path, text, mode, 0, 0, kShipped).ok());
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path) << text;
    fs::permissions(root / path, static_cast<fs::perms>(mode));
  }
  // Merged /usr with debianutils' template and bash's and dash's shells.d files.
  void Shells() {
    for (const char* d : {"etc", "usr", "usr/bin", "usr/share", "usr/share/debianutils",
                          "usr/share/debianutils/shells.d", "var", "var/lib"})
      Dir(d);
    Link("bin", "usr/bin");
    File("usr/share/debianutils/shells", "# /etc/shells: valid login shells\n/bin/sh\n");
    File("usr/share/debianutils/shells.d/bash", "/bin/bash\n/bin/rbash\n");
    File("usr/share/debianutils/shells.d/dash", "/bin/dash\n");
  }
  std::string Read(const std::string& path) {
    auto text = tree.ReadFile(path);
    REQUIRE(text.ok());
    return *text;
  }
  static std::string ReadHost(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void RunUpdateShells() {
    auto r = cairn::testing::RunCommand({"update-shells", "--root", root.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
};

TEST_CASE("UpdateShells on merged /usr matches debianutils' update-shells", "[effects][deb]") {
  Stage s;
  s.Shells();
  REQUIRE(UpdateShells(s.tree, kNow).ok());
  s.RunUpdateShells();
  const std::string shells = s.Read("etc/shells");
  CHECK(shells ==
        "# /etc/shells: valid login shells\n/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n"
        "/bin/rbash\n/usr/bin/rbash\n/bin/dash\n/usr/bin/dash\n");
  CHECK(shells == Stage::ReadHost(s.root / "etc/shells"));
  const std::string state = s.Read("var/lib/shells.state");
  CHECK(state ==
        "/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n/usr/bin/rbash\n"
        "/bin/dash\n/usr/bin/dash\n");
  CHECK(state == Stage::ReadHost(s.root / "var/lib/shells.state"));
  const rootfs::Node* etc = s.tree.Find("etc/shells");
  REQUIRE(etc);
  CHECK(etc->meta.mode == 0644);
  CHECK(etc->meta.mtime == kNow);
  CHECK(s.tree.Find("var/lib/shells.state")->meta.mode == 0644);
}

TEST_CASE("UpdateShells keeps local additions and local removals", "[effects][deb]") {
  Stage s;
  s.Shells();
  // /bin/zsh was packaged once (state) and removed by the admin; /opt/fish is local.
  s.File("etc/shells", "# mine\n/bin/sh\n/opt/fish\n/opt/fish\n", 0640);
  s.File("var/lib/shells.state", "/bin/sh\n/usr/bin/sh\n/bin/zsh\n/bin/dash\n", 0600);
  s.File("usr/share/debianutils/shells.d/zsh", "/bin/zsh\n");
  REQUIRE(UpdateShells(s.tree, kNow).ok());
  s.RunUpdateShells();
  const std::string shells = s.Read("etc/shells");
  // /bin/zsh and /bin/dash are in the state but not in etc/shells: removed locally, not re-added.
  CHECK(shells ==
        "# mine\n/bin/sh\n/opt/fish\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n"
        "/usr/bin/rbash\n/usr/bin/dash\n/usr/bin/zsh\n");
  CHECK(shells == Stage::ReadHost(s.root / "etc/shells"));
  CHECK(s.Read("var/lib/shells.state") == Stage::ReadHost(s.root / "var/lib/shells.state"));
  CHECK(s.tree.Find("etc/shells")->meta.mode == 0640);
  CHECK(s.tree.Find("var/lib/shells.state")->meta.mode == 0600);
}

TEST_CASE("UpdateShells does nothing without debianutils' template", "[effects][deb]") {
  Stage s;
  s.Dir("etc");
  REQUIRE(UpdateShells(s.tree, kNow).ok());
  CHECK(s.tree.Find("etc/shells") == nullptr);
  CHECK(s.tree.Find("var/lib/shells.state") == nullptr);
}

TEST_CASE("ApplyPostinstFiles creates what the postinsts of installed packages create",
          "[effects][deb]") {
  Stage s;
  s.Shells();
  s.Dir("etc/security");
  s.Dir("var/log");
  s.Dir("usr/share/libc-bin");
  s.File("usr/share/libc-bin/nsswitch.conf", "passwd: files\n");
  s.File("etc/subgid", "app:100000:65536\n");  // kept: login tests `[ ! -e ]`
  std::vector<std::string> log;
  REQUIRE(
      ApplyPostinstFiles(s.tree, {"libc-bin", "debianutils", "libpam-modules", "login"}, kNow, &log)
          .ok());

  const rootfs::Node* ns = s.tree.Find("etc/nsswitch.conf");
  REQUIRE(ns);
  CHECK(s.Read("etc/nsswitch.conf") == "passwd: files\n");
  CHECK(ns->meta.mtime == kShipped);  // cp -p
  CHECK(s.Read("etc/shells").rfind("# /etc/shells: valid login shells\n/bin/sh\n", 0) == 0);
  struct Want {
    const char* path;
    uint32_t mode;
  };
  for (const Want& w : {Want{"etc/security/opasswd", 0600}, Want{"etc/environment", 0644},
                        Want{"var/log/faillog", 0644}, Want{"etc/subuid", 0644}}) {
    INFO(w.path);
    const rootfs::Node* n = s.tree.Find(w.path);
    REQUIRE(n);
    CHECK(n->meta.mode == w.mode);
    CHECK(n->meta.uid == 0);
    CHECK(n->meta.gid == 0);
    CHECK(n->meta.mtime == kNow);
    CHECK(s.Read(w.path).empty());
  }
  CHECK(s.Read("etc/subgid") == "app:100000:65536\n");
  CHECK(log == std::vector<std::string>{
                   "copied '/usr/share/libc-bin/nsswitch.conf' to "
                   "'/etc/nsswitch.conf'",
                   "copied '/usr/share/debianutils/shells' to '/etc/shells'",
                   "created empty '/etc/security/opasswd'", "created empty '/etc/environment'",
                   "created empty '/var/log/faillog'", "created empty '/etc/subuid'"});
}

TEST_CASE("ApplyPostinstFiles leaves packages that are not installed alone", "[effects][deb]") {
  Stage s;
  s.Shells();
  s.Dir("var/log");
  REQUIRE(ApplyPostinstFiles(s.tree, {"bash"}, kNow, nullptr).ok());
  for (const char* p :
       {"etc/shells", "etc/nsswitch.conf", "etc/environment", "var/log/faillog", "etc/subuid"})
    CHECK(s.tree.Find(p) == nullptr);
}

TEST_CASE("ApplyPostinstFiles fails like cp when the default file is missing", "[effects][deb]") {
  Stage s;
  s.Dir("etc");
  auto st = ApplyPostinstFiles(s.tree, {"libc-bin"}, kNow, nullptr);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kNotFound);
  CHECK(st.error().message() ==
        "cannot copy '/usr/share/libc-bin/nsswitch.conf' to '/etc/nsswitch.conf': the source is "
        "missing");
}

}  // namespace
}  // namespace cairn::effects
