#include "cairn/effects/pam_auth_update.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace cairn::effects {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kShipped = 1600000000;
constexpr int64_t kNow = 1700000000;
const char* const kFiles[] = {"etc/pam.d/common-auth",
                              "etc/pam.d/common-account",
                              "etc/pam.d/common-password",
                              "etc/pam.d/common-session",
                              "etc/pam.d/common-session-noninteractive",
                              "var/lib/pam/seen",
                              "var/lib/pam/auth",
                              "var/lib/pam/account",
                              "var/lib/pam/password",
                              "var/lib/pam/session",
                              "var/lib/pam/session-noninteractive"};

std::string ReadHost(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The same files in a tree and on disk, where the Debian 12 host's own
// libpam-runtime postinst and pam-auth-update run on them (DPKG_ROOT / --root,
// a private debconf database, the stock templates read from the staged root).
struct Stage {
  cairn::testing::ScratchDir dir{"pam-auth-update"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  fs::path root = dir.path() / "root";

  Stage() {
    for (const char* d : {"etc", "etc/pam.d", "usr", "usr/share", "usr/share/pam",
                          "usr/share/pam-configs", "var", "var/lib", "var/lib/pam"})
      Dir(d);
    // libpam-runtime's stock templates and md5sums, as the host has them.
    for (const auto& e : fs::directory_iterator("/usr/share/pam"))
      File("usr/share/pam/" + e.path().filename().string(), ReadHost(e.path()));
  }
  void Dir(const std::string& path) {
    REQUIRE(tree.AddDirectory(path, 0755, 0, 0, kShipped).ok());
    fs::create_directories(root / path);
  }
  void File(const std::string& path, const std::string& text) {
    REQUIRE(tree.AddFile(path, text, 0644, 0, 0, kShipped).ok());
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path, std::ios::trunc) << text;
  }
  // A profile the Debian 12 host ships (libpam-runtime, libpam-modules,
  // libpam-systemd, libpam-cap).
  void HostProfile(const std::string& name) {
    File("usr/share/pam-configs/" + name, ReadHost("/usr/share/pam-configs/" + name));
  }
  std::string Read(const std::string& path) {
    auto text = tree.ReadFile(path);
    INFO(path);
    REQUIRE(text.ok());
    return *text;
  }
  // libpam-runtime's postinst "configure" with no old version, as dpkg runs it
  // with DPKG_ROOT; pam-auth-update is the host's, reading the stock
  // templates from the staged root instead of the host's /usr/share/pam.
  void RunPostinst() {
    fs::path bin = dir.path() / "bin";
    fs::create_directories(bin);
    std::string tool = ReadHost("/usr/sbin/pam-auth-update");
    const std::string from = "'/usr/share/pam/common-'";
    const std::string to = "'" + (root / "usr/share/pam/common-").string() + "'";
    for (size_t at = tool.find(from); at != std::string::npos; at = tool.find(from, at + 1))
      tool.replace(at, from.size(), to);
    std::ofstream(bin / "pam-auth-update") << tool;
    fs::permissions(bin / "pam-auth-update", fs::perms(0755));
    // A private debconf database; debconf prefixes its file names with DPKG_ROOT.
    fs::create_directories(root / "debconf");
    std::ofstream(root / "debconf.conf")
        << "Config: configdb\nTemplates: templatedb\n\n"
        << "Name: configdb\nDriver: File\nFilename: /debconf/config.dat\n\n"
        << "Name: templatedb\nDriver: File\nFilename: /debconf/templates.dat\n";
    auto r = cairn::testing::RunCommand(
        {"sh", "/var/lib/dpkg/info/libpam-runtime.postinst", "configure"},
        {"DPKG_ROOT=" + root.string(), "PATH=" + bin.string() + ":/usr/sbin:/usr/bin:/sbin:/bin",
         "DEBCONF_SYSTEMRC=/debconf.conf", "DEBIAN_FRONTEND=noninteractive"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  // Every file pam-auth-update manages matches the real tool's, or both lack it.
  void CheckSameAsHost() {
    for (const char* f : kFiles) {
      INFO(f);
      bool host = fs::exists(root / f);
      CHECK(host == (tree.Find(f) != nullptr));
      if (host && tree.Find(f)) CHECK(Read(f) == ReadHost(root / f));
    }
  }
};

TEST_CASE("ApplyPamAuthUpdate writes what bookworm's pam-auth-update writes for essential",
          "[effects][deb]") {
  Stage s;
  s.HostProfile("unix");       // libpam-runtime
  s.HostProfile("mkhomedir");  // libpam-modules: Default: no
  std::vector<std::string> log;
  REQUIRE(ApplyPamAuthUpdate(s.tree, kNow, &log).ok());
  s.RunPostinst();
  s.CheckSameAsHost();

  CHECK(s.Read("var/lib/pam/seen") == "unix\nmkhomedir\n");
  CHECK(s.Read("var/lib/pam/auth") ==
        "Module: unix\n[success=end default=ignore]\tpam_unix.so nullok\n");
  CHECK(s.Read("var/lib/pam/session") ==
        "Module: null\n[default=1]\t\t\tpam_permit.so\nModule: unix\nrequired\tpam_unix.so\n");
  const std::string session = s.Read("etc/pam.d/common-session");
  CHECK(session.find("# here are the per-package modules (the \"Primary\" block)\n"
                     "session\t[default=1]\t\t\tpam_permit.so\n") != std::string::npos);
  // merge_one_line joins an empty option list after a space.
  CHECK(session.find("session\trequired\tpam_unix.so \n# end of pam-auth-update config\n") !=
        std::string::npos);
  CHECK(s.Read("etc/pam.d/common-auth").find("auth\t[success=1 default=ignore]\tpam_unix.so "
                                             "nullok\n") != std::string::npos);
  const rootfs::Node* auth = s.tree.Find("etc/pam.d/common-auth");
  REQUIRE(auth);
  CHECK((auth->meta.mode & 07777) == 0644);
  CHECK(auth->meta.mtime == kNow);
  CHECK(log.size() == 11);
  CHECK(log.front() == "pam-auth-update: wrote '/var/lib/pam/seen'");
}

TEST_CASE("ApplyPamAuthUpdate orders and stacks several profiles like pam-auth-update",
          "[effects][deb]") {
  Stage s;
  for (const char* p : {"unix", "mkhomedir", "systemd", "capability"}) s.HostProfile(p);
  REQUIRE(ApplyPamAuthUpdate(s.tree, kNow, nullptr).ok());
  s.RunPostinst();
  s.CheckSameAsHost();
  CHECK(s.Read("var/lib/pam/seen") == "unix\nsystemd\nmkhomedir\ncapability\n");
  // systemd's session line is interactive-only: not in the noninteractive stack.
  CHECK(s.Read("etc/pam.d/common-session").find("pam_systemd.so") != std::string::npos);
  CHECK(s.Read("etc/pam.d/common-session-noninteractive").find("pam_systemd.so") ==
        std::string::npos);
}

TEST_CASE("ApplyPamAuthUpdate merges with its own earlier output and keeps local options",
          "[effects][deb]") {
  Stage s;
  s.HostProfile("unix");
  REQUIRE(ApplyPamAuthUpdate(s.tree, kNow, nullptr).ok());
  s.RunPostinst();
  s.CheckSameAsHost();
  // The admin adds an option inside the managed block; then a new profile arrives.
  std::string auth = s.Read("etc/pam.d/common-auth");
  const std::string line = "pam_unix.so nullok\n";
  auth.replace(auth.find(line), line.size(), "pam_unix.so nullok debug\n");
  s.File("etc/pam.d/common-auth", auth);
  s.HostProfile("systemd");
  REQUIRE(ApplyPamAuthUpdate(s.tree, kNow, nullptr).ok());
  s.RunPostinst();
  s.CheckSameAsHost();
  CHECK(s.Read("etc/pam.d/common-auth").find("pam_unix.so nullok debug\n") != std::string::npos);
  CHECK(s.Read("etc/pam.d/common-session").find("pam_systemd.so") != std::string::npos);
}

TEST_CASE("ApplyPamAuthUpdate leaves locally written common files alone", "[effects][deb]") {
  Stage s;
  s.HostProfile("unix");
  s.File("etc/pam.d/common-auth", "auth required pam_unix.so\n");
  std::vector<std::string> log;
  REQUIRE(ApplyPamAuthUpdate(s.tree, kNow, &log).ok());
  s.RunPostinst();
  s.CheckSameAsHost();
  CHECK(s.Read("etc/pam.d/common-auth") == "auth required pam_unix.so\n");
  CHECK(s.tree.Find("var/lib/pam/seen") == nullptr);
  REQUIRE(log.size() == 1);
  CHECK(log[0] ==
        "pam-auth-update: local modifications to /etc/pam.d/common-*, not updating (debconf "
        "declines the override)");
}

TEST_CASE("ApplyPamAuthUpdate needs pam-configs and var/lib/pam", "[effects][deb]") {
  cairn::testing::ScratchDir dir("pam-auth-update-errors");
  auto store = std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree(*store);
  // No usr/share/pam-configs: libpam-runtime is not installed.
  REQUIRE(ApplyPamAuthUpdate(tree, kNow, nullptr).ok());
  CHECK(tree.nodes().empty());

  REQUIRE(tree.AddFile("usr/share/pam-configs/unix",
                       "Name: Unix\nDefault: yes\nPriority: 256\nAuth-Type: Primary\nAuth:\n"
                       "\t[success=end default=ignore]\tpam_unix.so\n")
              .ok());
  Status st = ApplyPamAuthUpdate(tree, kNow, nullptr);
  REQUIRE(!st.ok());
  CHECK(st.error().code() == Code::kNotFound);
  CHECK(st.error().message() ==
        "cannot write '/var/lib/pam/seen': '/var/lib/pam' is not a directory");

  REQUIRE(tree.AddFile("usr/share/pam-configs/unix", "Name: Unix\nDefault: no\n").ok());
  REQUIRE(tree.AddDirectory("var/lib/pam").ok());
  st = ApplyPamAuthUpdate(tree, kNow, nullptr);
  REQUIRE(!st.ok());
  CHECK(st.error().code() == Code::kNotFound);
  CHECK(st.error().message() ==
        "no PAM profile in '/usr/share/pam-configs' is enabled by default (pam-auth-update "
        "would ask which to enable)");
}

}  // namespace
}  // namespace cairn::effects
