#include "cairn/effects/base_files.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace cairn::effects {
namespace {

namespace fs = std::filesystem;
using Lines = std::vector<std::string>;

constexpr int64_t kShipped = 1600000000;  // mtime of the files "base-files shipped"

// A tree and the same files on disk, so bookworm's real base-files postinst
// (tests/data/deb/scripts/base-files.postinst) can run on the directory
// with DPKG_ROOT under fakeroot (it chowns to root:mail and root:utmp).
struct Stage {
  cairn::testing::ScratchDir dir{"basefiles"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  fs::path root = dir.path() / "root";

  Stage() { fs::create_directories(root); }

  void Dir(const std::string& path, uint32_t mode = 0755) {
    REQUIRE(tree.AddDirectory(path, mode, 0, 0, kShipped).ok());
    fs::create_directories(root / path);
    fs::permissions(root / path, static_cast<fs::perms>(mode));
  }
  void File(const std::string& path, const std::string& text, uint32_t mode = 0644) {
    REQUIRE(tree.AddFile(path, text, mode, 0, 0, kShipped).ok());
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path) << text;
    fs::permissions(root / path, static_cast<fs::perms>(mode));
    fs::last_write_time(root / path, fs::file_time_type::clock::from_sys(
                                         std::chrono::sys_seconds(std::chrono::seconds(kShipped))));
  }

  // What base-files 12.4 ships (the relevant part) plus base-passwd's groups.
  void BaseFiles() {
    for (const char* d : {"etc", "etc/dpkg", "etc/dpkg/origins", "run", "usr", "usr/share",
                          "usr/share/info", "var", "var/log", "var/spool", "var/run"})
      Dir(d);
    Dir("root", 0700);
    Dir("var/lock", 01777);
    File("etc/dpkg/origins/debian", "Vendor: Debian\n");
    File("usr/share/base-files/dot.profile", "# ~/.profile\n");
    File("usr/share/base-files/dot.bashrc", "# ~/.bashrc\n");
    File("usr/share/base-files/profile", "# /etc/profile\n");
    File("usr/share/base-files/motd", "The programs included with Debian...\n");
    File("usr/share/base-files/info.dir", "This is the file .../info/dir\n", 0664);
    File("etc/group", "root:x:0:\nmail:x:8:\nutmp:x:43:\nstaff:x:50:\n");
  }

  // "path type mode gid [target]" below the root, sorted. With `mtime`,
  // regular files also say whether they kept the shipped mtime (cp -p) or
  // got a new one (created by the script or by cairn with another time).
  static std::string When(int64_t t) { return t == kShipped ? " shipped" : " new"; }
  Lines HostListing(bool mtime) {
    auto r = cairn::testing::RunCommand({"fakeroot", "-i", (dir.path() / "fakeroot.state").string(),
                                         "find", root.string(), "-mindepth", "1", "-printf",
                                         "%P|%y|%m|%G|%l|%T@\\n"});
    REQUIRE(r.exit_code == 0);
    Lines out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> f;
      std::istringstream fields(line);
      for (std::string field; std::getline(fields, field, '|');) f.push_back(field);
      REQUIRE(f.size() == 6);
      std::string entry = fmt::format("{} {} {} {}", f[0], f[1], f[2], f[3]);
      if (f[1] == "l") entry += " " + f[4];
      if (mtime && f[1] == "f") entry += When(std::stoll(f[5]));
      out.push_back(entry);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  Lines TreeListing(bool mtime) {
    Lines out;
    for (const auto& [path, n] : tree.nodes()) {
      char type = n.meta.type == rootfs::FileType::kDirectory ? 'd'
                  : n.meta.type == rootfs::FileType::kSymlink ? 'l'
                                                              : 'f';
      std::string line =
          fmt::format("{} {} {:o} {}{}", path, type, type == 'l' ? 0777 : n.meta.mode, n.meta.gid,
                      type == 'l' ? " " + n.meta.link_target : "");
      if (mtime && type == 'f') line += When(n.meta.mtime);
      out.push_back(line);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void RunPostinst() {
    fs::path script = cairn::testing::TestData() / "deb/scripts/base-files.postinst";
    auto r = cairn::testing::RunCommand(
        {"fakeroot", "-s", (dir.path() / "fakeroot.state").string(), "sh", "-c",
         "umask 022; exec sh \"$0\" configure ''", script.string()},
        {"DPKG_ROOT=" + root.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
};

TEST_CASE("ApplyBaseFiles matches bookworm's base-files postinst", "[effects][deb]") {
  Stage s;
  s.BaseFiles();
  REQUIRE(ApplyBaseFiles(s.tree, 1700000000).ok());
  s.RunPostinst();
  CHECK(s.TreeListing(/*mtime=*/true) == s.HostListing(/*mtime=*/true));
  CHECK(s.TreeListing(false) == Lines{"etc d 755 0",
                                      "etc/dpkg d 755 0",
                                      "etc/dpkg/origins d 755 0",
                                      "etc/dpkg/origins/debian f 644 0",
                                      "etc/dpkg/origins/default l 777 0 debian",
                                      "etc/group f 644 0",
                                      "etc/motd f 644 0",
                                      "etc/opt d 755 0",
                                      "etc/profile f 644 0",
                                      "media d 755 0",
                                      "mnt d 755 0",
                                      "opt d 755 0",
                                      "root d 700 0",
                                      "root/.bashrc f 644 0",
                                      "root/.profile f 644 0",
                                      "run d 755 0",
                                      "run/lock d 1777 0",
                                      "srv d 755 0",
                                      "usr d 755 0",
                                      "usr/local d 755 0",
                                      "usr/local/bin d 755 0",
                                      "usr/local/etc d 755 0",
                                      "usr/local/games d 755 0",
                                      "usr/local/include d 755 0",
                                      "usr/local/lib d 755 0",
                                      "usr/local/man l 777 0 share/man",
                                      "usr/local/sbin d 755 0",
                                      "usr/local/share d 755 0",
                                      "usr/local/share/man d 755 0",
                                      "usr/local/src d 755 0",
                                      "usr/share d 755 0",
                                      "usr/share/base-files d 755 0",
                                      "usr/share/base-files/dot.bashrc f 644 0",
                                      "usr/share/base-files/dot.profile f 644 0",
                                      "usr/share/base-files/info.dir f 664 0",
                                      "usr/share/base-files/motd f 644 0",
                                      "usr/share/base-files/profile f 644 0",
                                      "usr/share/info d 755 0",
                                      "usr/share/info/dir f 644 0",
                                      "var d 755 0",
                                      "var/lock l 777 0 /run/lock",
                                      "var/log d 755 0",
                                      "var/log/btmp f 660 43",
                                      "var/log/lastlog f 664 43",
                                      "var/log/wtmp f 664 43",
                                      "var/mail d 2775 8",
                                      "var/opt d 755 0",
                                      "var/run l 777 0 /run",
                                      "var/spool d 755 0",
                                      "var/spool/mail l 777 0 ../mail"});
  CHECK(*s.tree.ReadFile("root/.profile") == "# ~/.profile\n");
  CHECK(s.tree.Find("root/.profile")->meta.mtime == kShipped);  // cp -p
  CHECK(s.tree.Find("var/mail")->meta.mtime == 1700000000);
  CHECK(s.tree.Find("var/log/wtmp")->meta.mtime == 1700000000);
}

TEST_CASE("ApplyBaseFiles with staff-group-for-usr-local and existing files", "[effects][deb]") {
  Stage s;
  s.BaseFiles();
  s.File("etc/staff-group-for-usr-local", "");
  s.File("etc/motd", "site motd\n");        // kept
  s.File("var/log/wtmp", "records", 0600);  // kept, but chowned and chmodded
  s.Dir("usr/local/bin", 0700);             // chmodded to 2775 root:staff
  s.Dir("var/lock");                        // empty: still migrated
  REQUIRE(ApplyBaseFiles(s.tree, 1700000000).ok());
  s.RunPostinst();
  CHECK(s.TreeListing(true) == s.HostListing(true));
  CHECK(*s.tree.ReadFile("etc/motd") == "site motd\n");
  CHECK(*s.tree.ReadFile("var/log/wtmp") == "records");
  CHECK(s.tree.Find("var/log/wtmp")->meta.mode == 0664);
  CHECK(s.tree.Find("var/log/wtmp")->meta.mtime == kShipped);
  CHECK(s.tree.Find("usr/local/bin")->meta.mode == 02775);
  CHECK(s.tree.Find("usr/local/bin")->meta.gid == 50);
}

TEST_CASE("ApplyBaseFiles is idempotent and needs usr/share/base-files", "[effects][deb]") {
  Stage s;
  s.BaseFiles();
  auto exact = [&] {
    Lines out;
    for (const auto& [path, n] : s.tree.nodes())
      out.push_back(fmt::format("{} {:o} {} {} {} {}", path, n.meta.mode, n.meta.gid, n.meta.mtime,
                                n.meta.link_target, n.meta.size));
    return out;
  };
  REQUIRE(ApplyBaseFiles(s.tree, 1).ok());
  Lines first = exact();
  REQUIRE(ApplyBaseFiles(s.tree, 2).ok());
  CHECK(exact() == first);

  Stage bare;
  bare.Dir("var/run");
  REQUIRE(ApplyBaseFiles(bare.tree, 1).ok());
  CHECK(bare.TreeListing(false) == Lines{"var d 755 0", "var/run d 755 0"});
}

TEST_CASE("ApplyBaseFiles takes group ids from etc/group", "[effects][deb]") {
  Stage s;
  s.BaseFiles();
  REQUIRE(s.tree.AddFile("etc/group", "root:x:0:\nmailx:x:99:\nmail:x:12:\nutmp:x::\n").ok());
  REQUIRE(ApplyBaseFiles(s.tree, 0).ok());
  CHECK(s.tree.Find("var/mail")->meta.gid == 12);
  CHECK(s.tree.Find("var/log/lastlog")->meta.gid == 43);  // empty gid field: Debian's 43
}

TEST_CASE("ApplyBaseFiles errors name the path and what was expected", "[effects][deb]") {
  Stage s;
  s.BaseFiles();
  s.File("var/run/sshd.pid", "1\n");
  auto st = ApplyBaseFiles(s.tree, 0);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kIntegrity);
  CHECK(st.error().message() ==
        "cannot replace directory 'var/run' with a symlink to '/run': it is not empty");

  Stage m;
  m.BaseFiles();
  m.tree.Remove("usr/share/base-files/motd");
  st = ApplyBaseFiles(m.tree, 0);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kNotFound);
  CHECK(st.error().message() ==
        "cannot copy 'usr/share/base-files/motd' to 'etc/motd': the source is missing");

  Stage f;
  f.BaseFiles();
  f.File("srv", "not a directory");
  st = ApplyBaseFiles(f.tree, 0);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kIntegrity);
  CHECK(st.error().message() == "cannot create directory 'srv': it exists as a regular file");
}

TEST_CASE("ResetMachineId leaves an empty etc/machine-id like mmdebstrap", "[effects][deb]") {
  Stage s;
  s.File("etc/machine-id", "0123456789abcdef0123456789abcdef\n", 0444);
  REQUIRE(s.tree.AddSymlink("var/lib/dbus/machine-id", "/etc/machine-id").ok());
  REQUIRE(ResetMachineId(s.tree, 77).ok());
  const rootfs::Node* id = s.tree.Find("etc/machine-id");
  REQUIRE(id);
  CHECK(id->meta.type == rootfs::FileType::kRegular);
  CHECK(id->meta.size == 0);
  CHECK(id->meta.mode == 0644);
  CHECK(id->meta.mtime == 77);
  CHECK(s.tree.Find("var/lib/dbus/machine-id") == nullptr);
  CHECK(s.tree.Find("var/lib/dbus") != nullptr);
}

TEST_CASE("ResetMachineId creates the file only where systemd would have", "[effects][deb]") {
  Stage with;
  with.File("bin/systemd-machine-id-setup", "", 0755);
  REQUIRE(ResetMachineId(with.tree, 5).ok());
  REQUIRE(with.tree.Find("etc/machine-id"));
  CHECK(with.tree.Find("etc/machine-id")->meta.size == 0);

  Stage without;
  // A dangling dbus link: Perl's -e is false, so mmdebstrap keeps it.
  REQUIRE(without.tree.AddSymlink("var/lib/dbus/machine-id", "/etc/machine-id").ok());
  REQUIRE(ResetMachineId(without.tree, 5).ok());
  CHECK(without.tree.Find("etc/machine-id") == nullptr);
  CHECK(without.tree.Find("var/lib/dbus/machine-id") != nullptr);

  Stage bad;
  bad.Dir("etc/machine-id");
  auto st = ResetMachineId(bad.tree, 5);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kIntegrity);
  CHECK(st.error().message() == "cannot replace 'etc/machine-id': it is a directory");
}

}  // namespace
}  // namespace cairn::effects
