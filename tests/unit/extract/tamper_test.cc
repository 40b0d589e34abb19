// Tampered inputs built from the real fixtures: each must be refused with a
// specific kIntegrity message. Byte flips in gzip header MTIME fields keep
// the member decompressible, so the check under test (signature, checksum,
// datahash) is the one that fires.
#include <catch2/catch.hpp>

#include "cairn/digest.h"
#include "cairn/extract/apk_index_archive.h"
#include "cairn/extract/apk_package.h"
#include "cairn/extract/gzip_members.h"
#include "extract_test_util.h"

namespace cairn::extract {
namespace {

using testing::AlpineApk;
using testing::ApkFixtures;

Status DrainData(const ApkPackage& pkg) {
  return pkg.ForEachDataEntry([](const rootfs::FsEntry&, const rootfs::ContentReader* r) -> Status {
    if (r == nullptr) return {};
    char buf[4096];
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(size_t n, (*r)(buf, sizeof(buf)));
      if (n == 0) return {};
    }
  });
}

TEST_CASE("tampered index member is refused", "[extract][tamper]") {
  cairn::testing::ScratchDir dir("tamper-index");
  Keyring keys = testing::KeyringOf({ApkFixtures() / "rsa256-signed/test-rsa256.rsa.pub"});
  auto src = ApkFixtures() / "rsa256-signed/APKINDEX.tar.gz";
  auto members = FindGzipMembers(src);
  REQUIRE(members.ok());
  REQUIRE(members->size() == 2);
  auto bad = dir.path() / "APKINDEX.tar.gz";
  testing::CopyFlipped(src, bad, (*members)[1].offset + 4);  // MTIME of the signed member
  for (bool allow : {false, true}) {
    auto r = ReadApkIndexArchive(bad, keys, allow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() == "signature of index '" + bad.string() +
                                     "' by trusted key 'test-rsa256.rsa.pub' does not verify");
  }

  auto truncated = dir.path() / "truncated.tar.gz";
  testing::Spit(truncated, testing::Slurp(src).substr(0, (*members)[1].offset + 100));
  auto r = ReadApkIndexArchive(truncated, keys, false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == "'" + truncated.string() +
                                   "' is truncated: the gzip member at offset " +
                                   std::to_string((*members)[1].offset) + " has no end");
}

TEST_CASE("tampered package control member is refused", "[extract][tamper]") {
  cairn::testing::ScratchDir dir("tamper-control");
  auto bad = dir.path() / "alpine-baselayout-3.2.0-r23.apk";
  testing::CopyFlipped(AlpineApk(), bad, 666 + 4);
  SECTION("signature") {
    auto r = ApkPackage::Open(bad, testing::AlpineKeys(), {}, false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() == "signature of package '" + bad.string() + "' by trusted key '" +
                                     testing::kAlpineKey616 + "' does not verify");
  }
  SECTION("checksum from the index") {
    auto r = ApkPackage::Open(bad, testing::AlpineKeys(), {"Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", 11012},
                              true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    std::string bytes = testing::Slurp(bad);
    std::string actual = "Q1" + Base64Encode(Sha1(bytes.substr(666, 1563)));
    CHECK(actual != "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=");
    CHECK(r.error().message() == "package '" + bad.string() + "' has checksum '" + actual +
                                     "' but the index expects 'Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc='");
  }
}

TEST_CASE("tampered package data member is refused", "[extract][tamper]") {
  cairn::testing::ScratchDir dir("tamper-data");
  auto pkg_of = [&](const std::filesystem::path& p) {
    auto pkg =
        ApkPackage::Open(p, testing::AlpineKeys(), {"Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", 0}, false);
    REQUIRE(pkg.ok());  // control and signature are intact
    return std::move(*pkg);
  };
  auto expect_hash_error = [&](const std::filesystem::path& p, const ApkPackage& pkg) {
    std::string bytes = testing::Slurp(p);
    std::string actual = Sha256Hex(bytes.substr(2229));
    Status st = DrainData(pkg);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().message() == "package '" + p.string() + "' has a data member with sha256 '" +
                                      actual + "' but its .PKGINFO datahash is '" + pkg.datahash() +
                                      "'");
  };

  SECTION("gzip header byte") {
    auto bad = dir.path() / "header.apk";
    testing::CopyFlipped(AlpineApk(), bad, 2229 + 4);
    expect_hash_error(bad, pkg_of(bad));
  }
  SECTION("a byte inside the compressed tar") {
    auto bad = dir.path() / "deflate.apk";
    testing::CopyFlipped(AlpineApk(), bad, 2229 + 4000);
    expect_hash_error(bad, pkg_of(bad));
  }
  SECTION("the CRC in the gzip trailer") {
    auto bad = dir.path() / "crc.apk";
    testing::CopyFlipped(AlpineApk(), bad, 11012 - 8);
    expect_hash_error(bad, pkg_of(bad));
  }
  SECTION("truncated in the data member") {
    auto bad = dir.path() / "truncated.apk";
    testing::Spit(bad, testing::Slurp(AlpineApk()).substr(0, 10000));
    expect_hash_error(bad, pkg_of(bad));
    auto sized = ApkPackage::Open(bad, testing::AlpineKeys(),
                                  {"Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", 11012}, false);
    REQUIRE_FALSE(sized.ok());
    CHECK(sized.error().code() == Code::kIntegrity);
    CHECK(sized.error().message() ==
          "package '" + bad.string() + "' is 10000 bytes but the index says 11012");
  }
  SECTION("truncated in the control member") {
    auto bad = dir.path() / "short.apk";
    testing::Spit(bad, testing::Slurp(AlpineApk()).substr(0, 1000));
    auto r = ApkPackage::Open(bad, testing::AlpineKeys(), {}, false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() ==
          "'" + bad.string() + "' is truncated: the gzip member at offset 666 has no end");
  }
  SECTION("no data member") {
    auto bad = dir.path() / "nodata.apk";
    testing::Spit(bad, testing::Slurp(AlpineApk()).substr(0, 2229));
    auto r = ApkPackage::Open(bad, testing::AlpineKeys(), {}, false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() == "package '" + bad.string() + "' has no data member");
  }
}

TEST_CASE("tampered signature bytes are refused", "[extract][tamper]") {
  cairn::testing::ScratchDir dir("tamper-sig");
  std::string bytes = testing::Slurp(AlpineApk());
  // Re-create the signature member with one bit of the RSA signature flipped
  // (tar header = 512 bytes, then the signature).
  auto member = dir.path() / "sig.gz";
  testing::Spit(member, bytes.substr(0, 666));
  std::string tar = testing::MustRun({"gzip", "-dc", member.string()});
  REQUIRE(tar.size() == 1024);
  tar[512 + 100] = static_cast<char>(tar[512 + 100] ^ 0x01);
  auto tar_file = dir.path() / "sig.tar";
  testing::Spit(tar_file, tar);
  std::string regz = testing::MustRun({"gzip", "-n", "-c", tar_file.string()});
  auto bad = dir.path() / "sig.apk";
  testing::Spit(bad, regz + bytes.substr(666));

  for (bool allow : {false, true}) {
    auto r =
        ApkPackage::Open(bad, testing::AlpineKeys(), {"Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", 0}, allow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() == "signature of package '" + bad.string() + "' by trusted key '" +
                                     testing::kAlpineKey616 + "' does not verify");
  }
  // The unmodified re-compressed member still verifies: only the flipped bit matters.
  tar[512 + 100] = static_cast<char>(tar[512 + 100] ^ 0x01);
  testing::Spit(tar_file, tar);
  regz = testing::MustRun({"gzip", "-n", "-c", tar_file.string()});
  auto good = dir.path() / "resigned.apk";
  testing::Spit(good, regz + bytes.substr(666));
  CHECK(ApkPackage::Open(good, testing::AlpineKeys(), {"Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", 0}, false)
            .ok());
}

}  // namespace
}  // namespace cairn::extract
