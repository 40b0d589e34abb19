#include <catch2/catch.hpp>

#include "cairn/apk/installed_db.h"
#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "support/test_support.h"

namespace cairn::apk {
namespace {

std::string Fixture(const char* name) {
  auto text = ReadFile((cairn::testing::SharedFixtures() /
                        "apk-real/apko-testdata/installed-db/alpine-3.16-aarch64" / name).string());
  REQUIRE(text.ok());
  return *text;
}

TEST_CASE("apk-tools' installed database round-trips byte for byte", "[repo][apk][installed]") {
  std::string text = Fixture("installed");
  auto pkgs = ParseInstalledDb(text, "installed");
  REQUIRE(pkgs.ok());
  REQUIRE(pkgs->size() == 14);
  CHECK(FormatInstalledDb(*pkgs) == text);

  const InstalledPackage& first = (*pkgs)[0];
  CHECK(first.info.name == "alpine-baselayout-data");
  REQUIRE(first.info.replaces.size() == 1);
  CHECK(first.info.replaces[0].name == "alpine-baselayout");
  CHECK(first.files[0].path == "etc");
  CHECK(first.files[0].type == rootfs::FileType::kDirectory);
  CHECK(first.files[1].path == "etc/fstab");
  CHECK(Base64Encode(first.files[1].sha1) == "1Q7hNe8QpDS531guqCdrXBzoA/o=");
  bool saw_shadow = false;
  for (const auto& f : first.files) {
    if (f.path != "etc/shadow") continue;
    saw_shadow = true;
    CHECK(f.uid == 0);
    CHECK(f.gid == 42);
    CHECK(f.mode == 0640);
  }
  CHECK(saw_shadow);
}

TEST_CASE("the writer groups files under their directory and omits default owners",
          "[repo][apk][installed]") {
  InstalledPackage p;
  p.info.checksum = "Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  p.info.name = "demo";
  p.info.version = "1.0-r0";
  p.info.arch = "x86_64";
  p.info.replaces = {*Dependency::Parse("old")};
  p.info.replaces_priority = 2;
  using rootfs::FileType;
  p.files = {
      {"usr", FileType::kDirectory, 0, 0, 0755, ""},
      {"usr/bin", FileType::kDirectory, 0, 0, 0755, ""},
      {"usr/bin/demo", FileType::kRegular, 0, 0, 0755, std::string(20, '\x01')},
      {"tmp", FileType::kDirectory, 0, 0, 01777, ""},
      {"usr/bin/sh", FileType::kSymlink, 0, 0, 0777, std::string(20, '\x02')},
      {"etc/demo.conf", FileType::kRegular, 0, 0, 0644, std::string(20, '\x03')},
      {"etc/secret", FileType::kRegular, 0, 42, 0640, ""},
  };
  CHECK(FormatInstalledDb({p}) ==
        "C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:demo\nV:1.0-r0\nA:x86_64\nS:0\nI:0\nT:\nU:\nL:\n"
        "r:old\nq:2\n"
        "F:usr\n"
        "F:usr/bin\nR:demo\na:0:0:755\nZ:Q1AQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
        "R:sh\na:0:0:777\nZ:Q1AgICAgICAgICAgICAgICAgICAgI=\n"
        "F:tmp\nM:0:0:1777\n"
        "F:etc\nR:demo.conf\nZ:Q1AwMDAwMDAwMDAwMDAwMDAwMDAwM=\nR:secret\na:0:42:640\n"
        "\n");
}

TEST_CASE("the triggers file matches apk-tools", "[repo][apk][installed]") {
  auto pkgs = ParseInstalledDb(Fixture("installed"), "installed");
  REQUIRE(pkgs.ok());
  for (auto& p : *pkgs) {
    if (p.info.name == "busybox") p.info.triggers = {"/bin", "/usr/bin", "/sbin", "/usr/sbin", "/lib/modules/*"};
  }
  CHECK(FormatTriggers(*pkgs) == Fixture("triggers"));
}

TEST_CASE("installed database errors name the line", "[repo][apk][installed]") {
  struct Case { const char* text; const char* message; };
  const Case cases[] = {
      {"P:a\nV:1\nR:file\n", "db:3: R: before any F: line"},
      {"P:a\nV:1\nF:etc\nZ:Q1x\n", "db:4: Z: before any R: line"},
      {"P:a\nV:1\nF:etc\nM:0:0:9x\n", "db:4: bad M: value '0:0:9x' (expected uid:gid:octal-mode)"},
      {"P:a\nV:1\nF:etc\nR:f\nZ:Q1short\n", "db:5: bad Z: digest 'Q1short' (expected Q1 + base64 SHA-1)"},
      {"V:1\nF:etc\n", "db:1: record has no P: or V: line"},
  };
  for (const auto& c : cases) {
    auto r = ParseInstalledDb(c.text, "db");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() == c.message);
    CHECK(r.error().code() == Code::kIntegrity);
  }
}

}  // namespace
}  // namespace cairn::apk
