// Package sources: the demo repository's declarations and the parser's errors.
#include "cairn/testrepo/package_source.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "cairn/testrepo/synth.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using cairn::rootfs::FileType;
using cairn::testrepo::PackageSource;
using cairn::testrepo::SourceFile;

const fs::path kDemoSource = fs::path(CAIRN_SOURCE_DIR) / "images" / "demo-repo";

const SourceFile* FindFile(const PackageSource& p, const std::string& path) {
  for (const auto& f : p.files) {
    if (f.meta.path == path) return &f;
  }
  return nullptr;
}

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("demo repository sources load with their modes and owners", "[mkrepo][source]") {
  auto pkgs = cairn::testrepo::LoadRepoSource(kDemoSource);
  REQUIRE(pkgs.ok());
  std::vector<std::string> names;
  for (const auto& p : *pkgs) names.push_back(p.info.name);
  CHECK(names ==
        std::vector<std::string>{"cairn-baselayout", "hello", "hello-doc", "motd", "motd-minimal"});

  const PackageSource& base = (*pkgs)[0];
  CHECK(base.info.version == "1.0.0-r0");
  CHECK(base.info.origin == "cairn-baselayout");
  const SourceFile* shadow = FindFile(base, "etc/shadow");
  REQUIRE(shadow);
  CHECK(shadow->meta.mode == 0640);
  CHECK(shadow->meta.uid == 0);
  CHECK(shadow->meta.gid == 42);
  CHECK(shadow->meta.size == shadow->content.size());
  CHECK(FindFile(base, "tmp")->meta.mode == 01777);
  CHECK(FindFile(base, "root")->meta.mode == 0700);
  const SourceFile* run = FindFile(base, "var/run");
  REQUIRE(run);
  CHECK(run->meta.type == FileType::kSymlink);
  CHECK(run->meta.link_target == "/run");
  const SourceFile* os = FindFile(base, "etc/os-release");
  REQUIRE(os);
  CHECK_THAT(os->content, Catch::Contains("\nID=cairn-demo\n"));
  // Implied parents exist and sort before their children.
  REQUIRE(FindFile(base, "usr"));
  for (size_t i = 1; i < base.files.size(); ++i) {
    CHECK(base.files[i - 1].meta.path < base.files[i].meta.path);
  }

  const PackageSource& hello = (*pkgs)[1];
  REQUIRE(hello.info.depends.size() == 1);
  CHECK(hello.info.depends[0].Format() == "cairn-baselayout");
  REQUIRE(hello.info.provides.size() == 1);
  CHECK(hello.info.provides[0] == cairn::apk::Provide{"cmd:hello", "2.1-r0"});
  const SourceFile* prog = FindFile(hello, "usr/bin/hello");
  REQUIRE(prog);
  CHECK(prog->program);
  CHECK(prog->program_message == "hello from cairn ({arch})");

  const PackageSource& doc = (*pkgs)[2];
  REQUIRE(doc.info.install_if.size() == 2);
  CHECK(doc.info.install_if[0].Format() == "hello=2.1-r0");
  CHECK(doc.info.install_if[1].Format() == "docs");
  CHECK(doc.info.origin == "hello");

  const PackageSource& motd = (*pkgs)[3];
  CHECK(motd.info.has_provider_priority);
  CHECK(motd.info.provider_priority == 100);
  CHECK(motd.info.provides[0] == cairn::apk::Provide{"cairn-motd", ""});
}

TEST_CASE("FilesForArch fills programs for the architecture", "[mkrepo][source]") {
  auto pkg = cairn::testrepo::LoadPackageSource(kDemoSource / "hello");
  REQUIRE(pkg.ok());
  auto x86 = cairn::testrepo::FilesForArch(*pkg, "x86_64");
  auto arm = cairn::testrepo::FilesForArch(*pkg, "aarch64");
  REQUIRE(x86.ok());
  REQUIRE(arm.ok());
  const SourceFile& a = x86->back();
  const SourceFile& b = arm->back();
  CHECK(a.meta.path == "usr/bin/hello");
  CHECK(a.meta.mode == 0755);
  CHECK(a.content.substr(0, 4) ==
        "\x7f"
        "ELF");
  CHECK(a.meta.size == a.content.size());
  CHECK_THAT(a.content, Catch::EndsWith("hello from cairn (x86_64)\n"));
  CHECK_THAT(b.content, Catch::EndsWith("hello from cairn (aarch64)\n"));

  auto bad = cairn::testrepo::FilesForArch(*pkg, "s390x");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().Render() ==
        "generating 'usr/bin/hello': no program generator for architecture 's390x' "
        "(expected 'x86_64' or 'aarch64')");
}

TEST_CASE("PKGINFO errors point at the line and column", "[mkrepo][source]") {
  cairn::testing::ScratchDir dir("source");
  const fs::path pkg = dir.path() / "p";
  const std::string pkginfo = (pkg / "PKGINFO").string();

  Write(pkg / "PKGINFO", "pkgname = p\npkgver = 1.0-r0\n  pakgdesc = x\n");
  auto r = cairn::testrepo::LoadPackageSource(pkg);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == cairn::Code::kConfig);
  CHECK(r.error().Render() == pkginfo +
                                  ":3:3: error: unknown key 'pakgdesc'\n"
                                  "    pakgdesc = x\n"
                                  "    ^\n"
                                  "hint: known keys: pkgname, pkgver, pkgdesc, url, "
                                  "license, origin, maintainer, commit, depend, provides, "
                                  "install_if, replaces, replaces_priority, "
                                  "provider_priority, triggers");

  Write(pkg / "PKGINFO", "pkgname = p\npkgver = 1.0-r0\narch = x86_64\n");
  r = cairn::testrepo::LoadPackageSource(pkg);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render() ==
        pkginfo +
            ":3:1: error: key 'arch' is computed by cairn-mkrepo and must not be set\n"
            "  arch = x86_64\n"
            "  ^");

  Write(pkg / "PKGINFO", "pkgname = p\npkgver = 1.0.x\n");
  r = cairn::testrepo::LoadPackageSource(pkg);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render() == pkginfo +
                                  ":2:10: error: invalid apk version '1.0.x'\n"
                                  "  pkgver = 1.0.x\n"
                                  "           ^");

  Write(pkg / "PKGINFO", "pkgname = p\n");
  r = cairn::testrepo::LoadPackageSource(pkg);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render() == pkginfo + ": error: missing required key 'pkgver'");
}

TEST_CASE("ENTRIES errors point at the line and column", "[mkrepo][source]") {
  cairn::testing::ScratchDir dir("source");
  const fs::path pkg = dir.path() / "p";
  const std::string entries = (pkg / "ENTRIES").string();
  Write(pkg / "PKGINFO", "pkgname = p\npkgver = 1.0-r0\n");

  Write(pkg / "ENTRIES", "dir tmp 1777 0 0\nfifo run/x 0644 0 0\n");
  auto r = cairn::testrepo::LoadPackageSource(pkg);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render() == entries +
                                  ":2:1: error: unknown entry kind 'fifo'\n"
                                  "  fifo run/x 0644 0 0\n"
                                  "  ^\n"
                                  "hint: expected 'dir', 'file', 'symlink' or 'program'");

  Write(pkg / "ENTRIES", "dir tmp 1787 0 0\n");
  r = cairn::testrepo::LoadPackageSource(pkg);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render() ==
        entries +
            ":1:9: error: invalid mode '1787' (expected octal, at most 7777)\n"
            "  dir tmp 1787 0 0\n"
            "          ^");

  Write(pkg / "ENTRIES", "file etc/shadow 0640 0 42\n");
  r = cairn::testrepo::LoadPackageSource(pkg);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().Render() == entries + ":1:6: error: no regular file 'etc/shadow' under '" +
                                  (pkg / "files").string() +
                                  "'\n"
                                  "  file etc/shadow 0640 0 42\n"
                                  "       ^");

  Write(pkg / "ENTRIES", "symlink ../x /y\n");
  r = cairn::testrepo::LoadPackageSource(pkg);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message() ==
        "invalid path '../x' (expected a relative path without '.' or '..' components)");

  Write(pkg / "ENTRIES", "symlink a/b\n");
  r = cairn::testrepo::LoadPackageSource(pkg);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message() == "expected 'symlink PATH TARGET'");
}

TEST_CASE("synthetic sources are seeded and chained", "[mkrepo][synth]") {
  cairn::testrepo::SynthOptions o;
  o.count = 25;
  o.large_count = 2;
  o.large_size = 1000;
  o.payload_size = 5000;
  auto a = cairn::testrepo::GenerateSources(o);
  auto b = cairn::testrepo::GenerateSources(o);
  REQUIRE(a.size() == 28);
  CHECK(a.front().info.name == "synth-0000");
  CHECK(a[25].info.name == "synth-all");
  CHECK(a[26].info.name == "synth-large-00");
  CHECK(a[25].info.depends.size() == 27);
  // Chains of 10: synth-i depends on synth-(i-1) unless i is a multiple of 10.
  for (size_t i = 1; i < 25; ++i) {
    if (i % 10 == 0) continue;
    bool found = false;
    for (const auto& d : a[i].info.depends) found |= d.name == a[i - 1].info.name;
    CHECK(found);
  }
  for (const auto& d : a[0].info.depends) FAIL("synth-0000 depends on " << d.name);
  uint64_t payload = 0;
  for (const auto& f : a[7].files) payload += f.content.size();
  CHECK(payload == 5000);
  CHECK(a[26].files.back().content.size() == 1000);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].info.depends == b[i].info.depends);
    REQUIRE(a[i].files.size() == b[i].files.size());
    for (size_t j = 0; j < a[i].files.size(); ++j) {
      CHECK(a[i].files[j].meta.path == b[i].files[j].meta.path);
      CHECK(a[i].files[j].content == b[i].files[j].content);
    }
  }
  o.seed = 2;
  auto c = cairn::testrepo::GenerateSources(o);
  CHECK(c[7].files.back().content != a[7].files.back().content);
  CHECK(cairn::testrepo::GenerateSources({}).empty());
}
