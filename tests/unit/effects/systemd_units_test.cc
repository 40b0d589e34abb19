#include "cairn/effects/systemd_units.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace cairn::effects {
namespace {

namespace fs = std::filesystem;
using Lines = std::vector<std::string>;

// The same files in a tree and in a directory, so the host's systemctl
// (systemd 252) and deb-systemd-helper (init-system-helpers) can run on the
// directory with --root / DPKG_ROOT and the results can be compared.
struct Stage {
  cairn::testing::ScratchDir dir{"systemd"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  fs::path root = dir.path() / "root";

  Stage() { fs::create_directories(root); }

  void File(const std::string& path, const std::string& text, uint32_t mode = 0644) {
    REQUIRE(tree.AddFile(path, text, mode).ok());
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path) << text;
    fs::permissions(root / path, static_cast<fs::perms>(mode));
  }
  void Symlink(const std::string& path, const std::string& target) {
    REQUIRE(tree.AddSymlink(path, target).ok());
    fs::create_directories((root / path).parent_path());
    fs::create_symlink(target, root / path);
  }
  void Unit(const std::string& name, const std::string& install) {
    File("usr/lib/systemd/system/" + name,
         "[Unit]\nDescription=" + name + "\n\n[Service]\nExecStart=/bin/true\n\n" + install);
  }

  // A bookworm-like merged-usr root with units modelled on systemd 252's.
  void Bookworm() {
    Symlink("lib", "usr/lib");
    REQUIRE(tree.AddDirectory("etc/systemd/system").ok());
    fs::create_directories(root / "etc/systemd/system");
    Unit("systemd-networkd.service",
         "[Install]\nWantedBy=multi-user.target\nAlso=systemd-networkd.socket\n"
         "Alias=dbus-org.freedesktop.network1.service\n\n# The generator too.\n"
         "Also=systemd-network-generator.service\nAlso=systemd-networkd-wait-online.service\n");
    Unit("systemd-networkd.socket", "[Install]\nWantedBy=sockets.target\n");
    Unit("systemd-network-generator.service", "[Install]\nWantedBy=sysinit.target\n");
    Unit("systemd-networkd-wait-online.service", "[Install]\nWantedBy=network-online.target\n");
    Unit("getty@.service", "[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n");
    Symlink("usr/lib/systemd/system/autovt@.service", "getty@.service");
    Unit("serial-getty@.service", "[Install]\nWantedBy=getty.target\n");
    Unit("reboot.target", "[Install]\nAlias=ctrl-alt-del.target\n");
    Symlink("usr/lib/systemd/system/ctrl-alt-del.target", "reboot.target");
    Symlink("usr/lib/systemd/system/hwclock.service", "/dev/null");
    Unit("systemd-pstore.service", "[Install]\nWantedBy=sysinit.target\n");
    Unit("remote-fs.target", "[Install]\nWantedBy=multi-user.target\n");
    Unit("systemd-journald.service", "");
    Unit("debug-shell.service", "[Install]\nWantedBy=sysinit.target\n");
    Unit("bar.service", "[Install]\nWantedBy=multi-user.target\n");
    // Continuation lines, a reset, RequiredBy=; systemd 252 ignores UpheldBy=.
    Unit("foo.service",
         "[Install]\nWantedBy=old.target\nWantedBy=\nWantedBy=multi-user.target \\\n"
         "  graphical.target\nRequiredBy=foo-needs.target\nUpheldBy=foo-up.target\n");
    Unit("foo-extra.timer", "[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n");
    File("etc/systemd/system/local.service",
         "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"
         "Alias=local-alias.service\n");
    Symlink("etc/systemd/system/bar.service", "/dev/null");
  }

  void Presets() {
    File("usr/lib/systemd/system-preset/90-systemd.preset",
         "# Subset of bookworm's 90-systemd.preset\nenable remote-fs.target\n"
         "enable getty@.service\nenable systemd-networkd.service\nenable systemd-pstore.service\n"
         "disable debug-shell.service\nenable reboot.target\n"
         "disable systemd-networkd-wait-online.service\ndisable foo*\n");
    File("usr/lib/systemd/system-preset/50-local.preset", "enable local.service\n");
    // A link to /dev/null in etc masks the vendor file of the same name.
    File("usr/lib/systemd/system-preset/40-masked.preset", "disable remote-fs.target\n");
    Symlink("etc/systemd/system-preset/40-masked.preset", "/dev/null");
    // Same name in etc hides the one in usr/lib.
    File("etc/systemd/system-preset/50-local.preset",
         "disable local.service\n; a comment\nenable serial-getty@.service ttyS0 ttyS1\n");
    // debug-shell was enabled earlier: a disable preset removes its link.
    Symlink("etc/systemd/system/sysinit.target.wants/debug-shell.service",
            "/lib/systemd/system/debug-shell.service");
  }

  void Host(std::vector<std::string> argv, std::vector<std::string> env = {}) {
    auto r = cairn::testing::RunCommand(argv, env);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  void Systemctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"systemctl", "--root=" + root.string()});
    Host(args);
  }

  // Everything below etc/ and var/: "path", "path/" or "path -> target".
  Lines HostListing() {
    Lines out;
    for (const char* top : {"etc", "var"}) {
      if (!fs::exists(root / top)) continue;
      for (auto it = fs::recursive_directory_iterator(root / top); it != fs::end(it); ++it) {
        std::string rel = it->path().lexically_relative(root).string();
        if (it->is_symlink())
          out.push_back(rel + " -> " + fs::read_symlink(it->path()).string());
        else if (it->is_directory())
          out.push_back(rel + "/");
        else
          out.push_back(rel);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  Lines TreeListing() {
    Lines out;
    for (const auto& [path, node] : tree.nodes()) {
      if (path.rfind("etc/", 0) != 0 && path.rfind("var/", 0) != 0) continue;
      if (node.meta.type == rootfs::FileType::kSymlink)
        out.push_back(path + " -> " + node.meta.link_target);
      else if (node.meta.type == rootfs::FileType::kDirectory)
        out.push_back(path + "/");
      else
        out.push_back(path);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // The etc/systemd/system links only.
  Lines Links() {
    Lines out;
    for (const std::string& l : TreeListing())
      if (l.rfind("etc/systemd/system/", 0) == 0 && l.find(" -> ") != std::string::npos)
        out.push_back(l);
    return out;
  }
  std::string HostFile(const std::string& path) {
    std::ifstream in(root / path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

TEST_CASE("EnableUnits creates the links systemctl enable creates", "[effects][deb]") {
  Stage s;
  s.Bookworm();
  const Lines units = {"systemd-networkd.service", "getty@.service", "getty@tty2.service",
                       "remote-fs.target",         "local.service",  "foo.service"};
  Lines log;
  REQUIRE(EnableUnits(s.tree, units, &log, 99).ok());
  Lines argv = {"enable"};
  argv.insert(argv.end(), units.begin(), units.end());
  s.Systemctl(argv);
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(s.Links() ==
        Lines{"etc/systemd/system/bar.service -> /dev/null",
              "etc/systemd/system/dbus-org.freedesktop.network1.service -> "
              "/lib/systemd/system/systemd-networkd.service",
              "etc/systemd/system/foo-needs.target.requires/foo.service -> "
              "/lib/systemd/system/foo.service",
              "etc/systemd/system/getty.target.wants/getty@tty1.service -> "
              "/lib/systemd/system/getty@.service",
              "etc/systemd/system/getty.target.wants/getty@tty2.service -> "
              "/lib/systemd/system/getty@.service",
              "etc/systemd/system/graphical.target.wants/foo.service -> "
              "/lib/systemd/system/foo.service",
              "etc/systemd/system/local-alias.service -> /etc/systemd/system/local.service",
              "etc/systemd/system/multi-user.target.wants/foo.service -> "
              "/lib/systemd/system/foo.service",
              "etc/systemd/system/multi-user.target.wants/local.service -> "
              "/etc/systemd/system/local.service",
              "etc/systemd/system/multi-user.target.wants/remote-fs.target -> "
              "/lib/systemd/system/remote-fs.target",
              "etc/systemd/system/multi-user.target.wants/systemd-networkd.service -> "
              "/lib/systemd/system/systemd-networkd.service",
              "etc/systemd/system/network-online.target.wants/"
              "systemd-networkd-wait-online.service -> "
              "/lib/systemd/system/systemd-networkd-wait-online.service",
              "etc/systemd/system/sockets.target.wants/systemd-networkd.socket -> "
              "/lib/systemd/system/systemd-networkd.socket",
              "etc/systemd/system/sysinit.target.wants/systemd-network-generator.service -> "
              "/lib/systemd/system/systemd-network-generator.service"});
  CHECK(log.size() == 13);
  CHECK(log[0] ==
        "created symlink '/etc/systemd/system/dbus-org.freedesktop.network1.service' -> "
        "'/lib/systemd/system/systemd-networkd.service'");
  CHECK(log[1] ==
        "created symlink '/etc/systemd/system/multi-user.target.wants/"
        "systemd-networkd.service' -> '/lib/systemd/system/systemd-networkd.service'");
  const rootfs::Node* link =
      s.tree.Find("etc/systemd/system/getty.target.wants/getty@tty1.service");
  CHECK(link->meta.mtime == 99);
  CHECK(s.tree.Find("etc/systemd/system/getty.target.wants")->meta.mtime == 99);
}

TEST_CASE("EnableUnits without merged-usr links to /usr/lib, and again is a no-op",
          "[effects][deb]") {
  Stage s;
  s.Unit("systemd-pstore.service", "[Install]\nWantedBy=sysinit.target\n");
  s.File("lib/systemd/system/.keep", "");  // a real lib/ that lacks the unit
  Lines log;
  REQUIRE(EnableUnits(s.tree, {"systemd-pstore.service"}, &log, 0).ok());
  s.Systemctl({"enable", "systemd-pstore.service"});
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(s.Links() == Lines{"etc/systemd/system/sysinit.target.wants/systemd-pstore.service -> "
                           "/usr/lib/systemd/system/systemd-pstore.service"});
  log.clear();
  REQUIRE(EnableUnits(s.tree, {"systemd-pstore.service"}, &log, 0).ok());
  CHECK(log.empty());
}

TEST_CASE("EnableUnits reports masked, static, template and missing units", "[effects][deb]") {
  Stage s;
  s.Bookworm();
  Lines log;
  REQUIRE(EnableUnits(s.tree,
                      {"hwclock.service", "bar.service", "systemd-journald.service",
                       "serial-getty@.service"},
                      &log, 0)
              .ok());
  CHECK(log == Lines{"unit 'hwclock.service' is masked; not enabled",
                     "unit 'bar.service' is masked; not enabled",
                     "unit 'systemd-journald.service' has no WantedBy=, RequiredBy=, Alias= or "
                     "Also= in [Install]; nothing to enable",
                     "unit 'serial-getty@.service' is a template without DefaultInstance=; no "
                     "instance enabled"});
  CHECK(s.Links() == Lines{"etc/systemd/system/bar.service -> /dev/null"});

  auto st = EnableUnits(s.tree, {"nope.service"}, &log, 0);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kNotFound);
  CHECK(st.error().Render() ==
        "enabling unit 'nope.service': unit file 'nope.service' not found (searched "
        "etc/systemd/system, run/systemd/system, usr/local/lib/systemd/system, "
        "lib/systemd/system, usr/lib/systemd/system)");
  st = EnableUnits(s.tree, {"nope"}, &log, 0);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kConfig);
  CHECK(st.error().message() ==
        "invalid unit name 'nope' (expected a name like 'foo.service' or 'foo@bar.service')");
}

TEST_CASE("ApplyPresets gives the same links as systemctl preset-all", "[effects][deb]") {
  Stage s;
  s.Bookworm();
  s.Presets();
  Lines log;
  REQUIRE(ApplyPresets(s.tree, &log, 0).ok());
  s.Systemctl({"preset-all"});
  CHECK(s.TreeListing() == s.HostListing());
  // wait-online is disabled by preset but comes back through networkd's
  // Also=; debug-shell's old link is gone; foo* and local.service are
  // disabled; serial-getty gets the preset's two instances.
  CHECK(s.Links() ==
        Lines{"etc/systemd/system/bar.service -> /dev/null",
              "etc/systemd/system/ctrl-alt-del.target -> /lib/systemd/system/reboot.target",
              "etc/systemd/system/dbus-org.freedesktop.network1.service -> "
              "/lib/systemd/system/systemd-networkd.service",
              "etc/systemd/system/getty.target.wants/getty@tty1.service -> "
              "/lib/systemd/system/getty@.service",
              "etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service -> "
              "/lib/systemd/system/serial-getty@.service",
              "etc/systemd/system/getty.target.wants/serial-getty@ttyS1.service -> "
              "/lib/systemd/system/serial-getty@.service",
              "etc/systemd/system/multi-user.target.wants/remote-fs.target -> "
              "/lib/systemd/system/remote-fs.target",
              "etc/systemd/system/multi-user.target.wants/systemd-networkd.service -> "
              "/lib/systemd/system/systemd-networkd.service",
              "etc/systemd/system/network-online.target.wants/"
              "systemd-networkd-wait-online.service -> "
              "/lib/systemd/system/systemd-networkd-wait-online.service",
              "etc/systemd/system/sockets.target.wants/systemd-networkd.socket -> "
              "/lib/systemd/system/systemd-networkd.socket",
              "etc/systemd/system/sysinit.target.wants/systemd-network-generator.service -> "
              "/lib/systemd/system/systemd-network-generator.service",
              "etc/systemd/system/sysinit.target.wants/systemd-pstore.service -> "
              "/lib/systemd/system/systemd-pstore.service"});
  CHECK(std::find(log.begin(), log.end(),
                  "removed '/etc/systemd/system/sysinit.target.wants/debug-shell.service'") !=
        log.end());
  CHECK(std::find(log.begin(), log.end(), "unit 'bar.service' is masked; preset ignored") !=
        log.end());
}

TEST_CASE("PresetUnits in enable-only mode matches systemctl preset", "[effects][deb]") {
  Stage s;
  s.Bookworm();
  s.Presets();
  const Lines units = {"debug-shell.service", "getty@.service", "foo.service",
                       "systemd-pstore.service", "local.service"};
  Lines log;
  REQUIRE(PresetUnits(s.tree, units, PresetMode::kEnableOnly, &log, 0).ok());
  Lines argv = {"preset", "--preset-mode=enable-only"};
  argv.insert(argv.end(), units.begin(), units.end());
  s.Systemctl(argv);
  CHECK(s.TreeListing() == s.HostListing());
  // Disables are not applied in enable-only mode: debug-shell's link stays.
  CHECK(s.tree.Find("etc/systemd/system/sysinit.target.wants/debug-shell.service"));
  CHECK(s.tree.Find("etc/systemd/system/multi-user.target.wants/foo.service") == nullptr);
}

TEST_CASE("a preset line that is not enable/disable/ignore is logged", "[effects][deb]") {
  Stage s;
  s.Bookworm();
  s.File("usr/lib/systemd/system-preset/10-bad.preset", "enable\nturnon foo.service\n");
  Lines log;
  REQUIRE(PresetUnits(s.tree, {"systemd-pstore.service"}, PresetMode::kFull, &log, 0).ok());
  CHECK(log == Lines{"lib/systemd/system-preset/10-bad.preset:1: unknown preset line "
                     "'enable' (expected 'enable', 'disable' or 'ignore' and a unit glob); "
                     "ignored",
                     "lib/systemd/system-preset/10-bad.preset:2: unknown preset line "
                     "'turnon foo.service' (expected 'enable', 'disable' or 'ignore' and a unit "
                     "glob); ignored",
                     "created symlink '/etc/systemd/system/sysinit.target.wants/"
                     "systemd-pstore.service' -> '/lib/systemd/system/systemd-pstore.service'"});
}

TEST_CASE("DebSystemdHelperEnable without systemctl matches deb-systemd-helper", "[effects][deb]") {
  Stage s;
  s.Bookworm();
  Lines log;
  const Lines units = {"systemd-networkd.service", "getty@.service", "missing.service"};
  REQUIRE(DebSystemdHelperEnable(s.tree, units, &log, 5).ok());
  Lines argv = {"deb-systemd-helper", "enable"};
  argv.insert(argv.end(), units.begin(), units.end() - 1);
  s.Host(argv, {"DPKG_ROOT=" + s.root.string(), "DPKG_MAINTSCRIPT_PACKAGE=test",
                "DPKG_MAINTSCRIPT_NAME=postinst"});
  CHECK(s.TreeListing() == s.HostListing());
  const std::string dsh =
      "var/lib/systemd/deb-systemd-helper-enabled/systemd-networkd.service.dsh-also";
  CHECK(*s.tree.ReadFile(dsh) == s.HostFile(dsh));
  CHECK(*s.tree.ReadFile(dsh) ==
        "/etc/systemd/system/sockets.target.wants/systemd-networkd.socket\n"
        "/etc/systemd/system/dbus-org.freedesktop.network1.service\n"
        "/etc/systemd/system/sysinit.target.wants/systemd-network-generator.service\n"
        "/etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service\n"
        "/etc/systemd/system/multi-user.target.wants/systemd-networkd.service\n");
  CHECK(s.tree.Find(dsh)->meta.mode == 0644);
  CHECK(log.back() == "deb-systemd-helper: unit 'missing.service' not found; skipped");
}

TEST_CASE("DebSystemdHelperEnable with systemctl applies presets like deb-systemd-helper",
          "[effects][deb]") {
  Stage s;
  s.Bookworm();
  s.Presets();
  // With systemctl in the image, the helper asks `systemctl preset` and
  // only records state: foo.service (disabled by preset) gets no links.
  s.File("usr/bin/systemctl", "#!/bin/sh\n", 0755);
  Lines log;
  const Lines units = {"systemd-networkd.service", "foo.service"};
  REQUIRE(DebSystemdHelperEnable(s.tree, units, &log, 0).ok());
  Lines argv = {"deb-systemd-helper", "enable"};
  argv.insert(argv.end(), units.begin(), units.end());
  s.Host(argv, {"DPKG_ROOT=" + s.root.string(), "DPKG_MAINTSCRIPT_PACKAGE=test",
                "DPKG_MAINTSCRIPT_NAME=postinst"});
  CHECK(s.TreeListing() == s.HostListing());
  CHECK(s.tree.Find("etc/systemd/system/multi-user.target.wants/foo.service") == nullptr);
  CHECK(
      s.tree.Find("var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/"
                  "foo.service"));
  const std::string dsh = "var/lib/systemd/deb-systemd-helper-enabled/foo.service.dsh-also";
  CHECK(*s.tree.ReadFile(dsh) == s.HostFile(dsh));
}

}  // namespace
}  // namespace cairn::effects
