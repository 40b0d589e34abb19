#include "cairn/deb/release.h"

#include <catch2/catch.hpp>
#include <string>

#include "cairn/file_util.h"
#include "support/test_support.h"

namespace cairn::deb {
namespace {

using cairn::testing::TestData;

std::string Fixture(const char* name) {
  auto text = ReadFile(TestData() / "deb" / name);
  REQUIRE(text.ok());
  return *text;
}

// 2026-07-11 10:16:37 UTC and the security suite's Date / Valid-Until
// (`date -u -d '<text>' +%s`).
constexpr int64_t kBookwormDate = 1783764997;
constexpr int64_t kSecurityDate = 1796253223;
constexpr int64_t kSecurityValidUntil = 1796858023;

void CheckReleaseError(const std::string& text, const std::string& message) {
  auto r = ParseRelease(text, "bookworm");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == message);
}

const char* const kMinimal =
    "Origin: Test\n"
    "Date: Sat, 10 Aug 2024 09:19:43 UTC\n"
    "SHA256:\n"
    " 515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f 50060337 "
    "main/binary-amd64/Packages\n";

TEST_CASE("the real bookworm Release parses", "[repo][deb][release]") {
  auto r = ParseRelease(Fixture("bookworm-Release"), "deb.debian.org bookworm");
  INFO((r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  CHECK(r->origin == "Debian");
  CHECK(r->label == "Debian");
  CHECK(r->suite == "oldstable");
  CHECK(r->codename == "bookworm");
  CHECK(r->version == "12.15");
  CHECK(r->date == kBookwormDate);
  CHECK_FALSE(r->valid_until.has_value());
  CHECK(r->acquire_by_hash);
  CHECK(r->architectures == std::vector<std::string>{"all", "amd64", "arm64", "armel", "armhf",
                                                     "i386", "mips64el", "mipsel", "ppc64el",
                                                     "s390x"});
  CHECK(r->components ==
        std::vector<std::string>{"main", "contrib", "non-free-firmware", "non-free"});
  CHECK(r->files.size() == 19);
  const ReleaseEntry* packages = r->FindFile("main/binary-amd64/Packages");
  REQUIRE(packages != nullptr);
  CHECK(packages->path == "main/binary-amd64/Packages");
  CHECK(packages->size == 50060337);
  CHECK(packages->sha256 == "515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f");
  const ReleaseEntry* xz = r->FindFile("main/binary-amd64/Packages.xz");
  REQUIRE(xz != nullptr);
  CHECK(xz->size == 8790396);
  CHECK(r->FindFile("main/binary-amd64/Packages.zst") == nullptr);
  CHECK(r->FindFile("contrib/Contents-all")->size == 1484322);
  CHECK(r->paragraph.Get("Description") == "Debian 12.15 Released 11 July 2026");
  CHECK(CheckReleaseFresh(*r, kBookwormDate + 10 * 365 * 86400, "bookworm").ok());
}

TEST_CASE("Valid-Until makes a release expire", "[repo][deb][release]") {
  auto r = ParseRelease(Fixture("bookworm-security-Release"), "deb.debian.org bookworm-security");
  REQUIRE(r.ok());
  CHECK(r->label == "Debian-Security");
  CHECK(r->date == kSecurityDate);
  REQUIRE(r->valid_until.has_value());
  CHECK(*r->valid_until == kSecurityValidUntil);
  CHECK(*r->valid_until - r->date == 7 * 86400);
  CHECK(r->components == std::vector<std::string>{"updates/main", "updates/contrib",
                                                  "updates/non-free-firmware", "updates/non-free"});
  CHECK(r->files.size() == 5);
  CHECK(r->FindFile("main/binary-amd64/Release")->size == 143);

  CHECK(CheckReleaseFresh(*r, kSecurityDate, "sec").ok());
  CHECK(CheckReleaseFresh(*r, kSecurityValidUntil, "sec").ok());
  auto expired = CheckReleaseFresh(*r, kSecurityValidUntil + 1, "deb.debian.org bookworm-security");
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().code() == Code::kIntegrity);
  CHECK(expired.error().message() ==
        "release 'deb.debian.org bookworm-security' expired at Wed, 09 Dec 2026 23:13:43 UTC "
        "(Valid-Until); it is now Wed, 09 Dec 2026 23:13:44 UTC, so the mirror is stale or is "
        "replaying old metadata");
  CHECK(expired.error().hint() ==
        "if this is a dated snapshot archive, turn the check off with "
        "'contents.debian.allow-expired: true' (apt: [check-valid-until=no])");
}

TEST_CASE("a Release without SHA256 is refused", "[repo][deb][release]") {
  std::string text = Fixture("bookworm-Release");
  std::string md5_only = text.substr(0, text.find("SHA256:"));
  CHECK(md5_only.find("MD5Sum:") != std::string::npos);
  const std::string message =
      "bookworm: release file has no 'SHA256' list (only SHA256 is accepted to verify index "
      "files; MD5Sum and SHA1 are too weak)";
  CheckReleaseError(md5_only, message);
  CheckReleaseError(md5_only + "SHA256:\n", message);
}

TEST_CASE("Release field errors say what is wrong", "[repo][deb][release]") {
  CHECK(ParseRelease(kMinimal, "bookworm").ok());
  CheckReleaseError("", "bookworm: release file has no fields");
  CheckReleaseError(std::string(kMinimal) + "\nOrigin: Other\n",
                    "bookworm:6: unexpected second paragraph in release file (expected one)");
  CheckReleaseError(
      "Origin: Test\nSHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 "
      "x\n",
      "bookworm: release file has no 'Date' field");
  CheckReleaseError("Date: yesterday\n",
                    "bookworm: 'Date' field: bad date 'yesterday' (expected RFC 2822 form like "
                    "'Sat, 10 Aug 2024 09:19:43 UTC')");
  CheckReleaseError(std::string(kMinimal) + "Valid-Until: Sat, 10 Aug 2024 25:00:00 UTC\n",
                    "bookworm: 'Valid-Until' field: bad date 'Sat, 10 Aug 2024 25:00:00 UTC' "
                    "(expected RFC 2822 form like 'Sat, 10 Aug 2024 09:19:43 UTC')");
  CheckReleaseError(
      std::string(kMinimal) + " abc 12\n",
      "bookworm: malformed SHA256 entry 'abc 12' (expected '<sha256> <size> <path>')");
  CheckReleaseError(
      std::string(kMinimal) + " abc 12 main/x\n",
      "bookworm: bad SHA256 hash 'abc' for 'main/x' (expected 64 hexadecimal digits)");
  CheckReleaseError(
      std::string(kMinimal) +
          " 515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f 1e3 main/x\n",
      "bookworm: bad size '1e3' for 'main/x' (expected a decimal number)");
  CheckReleaseError(std::string(kMinimal) +
                        " 515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f 1 "
                        "main/binary-amd64/Packages\n",
                    "bookworm: duplicate SHA256 entry for 'main/binary-amd64/Packages'");
}

TEST_CASE("upper-case hashes are stored lowercase", "[repo][deb][release]") {
  auto r = ParseRelease(
      "Date: Sat, 10 Aug 2024 09:19:43 UTC\nSHA256:\n"
      " E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 0 main/empty\n",
      "t");
  REQUIRE(r.ok());
  CHECK(r->FindFile("main/empty")->sha256 ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_FALSE(r->acquire_by_hash);
  CHECK(r->architectures.empty());
}

TEST_CASE("Release dates in the forms archives write", "[repo][deb][release]") {
  constexpr int64_t kAug10 = 1723281583;  // date -u -d 'Sat, 10 Aug 2024 09:19:43 UTC' +%s
  for (const char* text : {"Sat, 10 Aug 2024 09:19:43 UTC", "Sat, 10 Aug 2024 09:19:43 +0000",
                           "Sat, 10 Aug 2024 11:49:43 +0230", "Sat, 10 Aug 2024 04:19:43 -0500",
                           "10 Aug 2024 09:19:43 GMT", "sat, 10 aug 2024 09:19:43 Z",
                           "Sat,  10 Aug 2024   09:19:43 UTC"}) {
    INFO(text);
    auto t = ParseReleaseDate(text);
    REQUIRE(t.ok());
    CHECK(*t == kAug10);
  }
  CHECK(*ParseReleaseDate("Sat, 1 Jun 2024 00:00:00 UTC") == 1717200000);
  CHECK(*ParseReleaseDate("Tue, 29 Feb 2000 12:00:00 UTC") == 951825600);
  CHECK(*ParseReleaseDate("Thu, 01 Jan 1970 00:00:00 UTC") == 0);

  for (const char* text : {"", "Sat, 10 Aug 2024 09:19:43", "Sat, 10 Aug 2024 09:19:43 CEST",
                           "Sat, 31 Feb 2024 09:19:43 UTC", "Sat, 29 Feb 2023 09:19:43 UTC",
                           "Sat, 10 Foo 2024 09:19:43 UTC", "Xyz, 10 Aug 2024 09:19:43 UTC",
                           "Sat, 10 Aug 24 09:19:43 UTC", "Sat, 10 Aug 2024 9:19:43 UTC",
                           "Sat, 10 Aug 2024 09:60:00 UTC", "Sat, 10 Aug 2024 09:19:43 +000",
                           "Sat, 10 Aug 2024 09:19:43 UTC extra"}) {
    INFO(text);
    auto t = ParseReleaseDate(text);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().code() == Code::kIntegrity);
    CHECK(t.error().message() ==
          "bad date '" + std::string(text) +
              "' (expected RFC 2822 form like 'Sat, 10 Aug 2024 09:19:43 UTC')");
  }
}

TEST_CASE("release dates format back and round-trip", "[repo][deb][release]") {
  CHECK(FormatReleaseDate(0) == "Thu, 01 Jan 1970 00:00:00 UTC");
  CHECK(FormatReleaseDate(1723281583) == "Sat, 10 Aug 2024 09:19:43 UTC");
  CHECK(FormatReleaseDate(951825600) == "Tue, 29 Feb 2000 12:00:00 UTC");
  CHECK(FormatReleaseDate(4102444799) == "Thu, 31 Dec 2099 23:59:59 UTC");  // date -u -R
  // Every ~11.6 days from 1970 to 2100, landing on all weekdays and many month ends.
  for (int64_t t = 0; t < 4102444800; t += 1000003) {
    auto back = ParseReleaseDate(FormatReleaseDate(t));
    REQUIRE(back.ok());
    REQUIRE(*back == t);
  }
}

}  // namespace
}  // namespace cairn::deb
