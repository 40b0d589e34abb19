// Packages without `datahash` (apk-tools < 2.5): the signature covers the
// compressed control and data members together.
#include <catch2/catch.hpp>

#include "cairn/digest.h"
#include "cairn/extract/apk_package.h"
#include "cairn/extract/archive.h"
#include "cairn/extract/gzip_members.h"
#include "extract_test_util.h"

namespace cairn::extract {
namespace {

namespace fs = std::filesystem;

rootfs::FsEntry File(std::string path, uint64_t size) {
  rootfs::FsEntry e;
  e.path = std::move(path);
  e.size = size;
  return e;
}

// One member holding a tar of `files`, without end-of-archive blocks unless `eoa`.
std::string TarMember(const std::vector<std::pair<std::string, std::string>>& files, bool eoa) {
  std::string tar;
  auto w = ArchiveWriter::Open(
      [&](std::string_view b) -> Status {
        tar.append(b);
        return {};
      },
      TarFormat::kUstar, 0, "t");
  REQUIRE(w.ok());
  for (const auto& [name, body] : files) {
    REQUIRE(w->WriteHeader(File(name, body.size())).ok());
    REQUIRE(w->WriteData(body).ok());
  }
  REQUIRE(w->Finish().ok());
  if (!eoa) tar.resize(tar.size() - 1024);
  auto gz = GzipMemberOf(tar);
  REQUIRE(gz.ok());
  return *gz;
}

TEST_CASE("without datahash the signature covers control and data", "[extract][package]") {
  cairn::testing::ScratchDir dir("legacy");
  auto priv = dir.path() / "old.rsa";
  auto pub = dir.path() / "old.rsa.pub";
  testing::MustRun({"openssl", "genrsa", "-out", priv.string(), "2048"});
  testing::MustRun({"openssl", "rsa", "-in", priv.string(), "-pubout", "-out", pub.string()});
  auto signer = Signer::FromPemFile(priv, "old.rsa.pub", SignatureAlgo::kRsaSha1);
  REQUIRE(signer.ok());

  std::string control = TarMember({{".PKGINFO", "pkgname = old\npkgver = 1-r0\n"}}, false);
  std::string data = TarMember({{"etc/old", "content\n"}}, true);
  auto sig = signer->Sign(control + data);
  REQUIRE(sig.ok());
  std::string sign_member = TarMember({{signer->EntryName(), *sig}}, false);
  Keyring keys = testing::KeyringOf({pub});

  auto good = dir.path() / "old-1-r0.apk";
  testing::Spit(good, sign_member + control + data);
  auto pkg = ApkPackage::Open(good, keys, {"Q1" + Base64Encode(Sha1(control)), 0}, false);
  INFO((pkg.ok() ? "" : pkg.error().message()));
  REQUIRE(pkg.ok());
  CHECK(pkg->datahash().empty());
  CHECK(pkg->trusted_key() == "old.rsa.pub");
  std::string content;
  Status st = pkg->ForEachDataEntry(
      [&](const rootfs::FsEntry& e, const rootfs::ContentReader* r) -> Status {
        CHECK(e.path == "etc/old");
        char buf[64];
        CAIRN_ASSIGN_OR_RETURN(size_t n, (*r)(buf, sizeof(buf)));
        content.assign(buf, n);
        return {};
      });
  REQUIRE(st.ok());
  CHECK(content == "content\n");

  // A signature over the control member alone is not enough here.
  auto control_only = signer->Sign(control);
  REQUIRE(control_only.ok());
  auto partial = dir.path() / "partial.apk";
  testing::Spit(partial, TarMember({{signer->EntryName(), *control_only}}, false) + control + data);
  auto r = ApkPackage::Open(partial, keys, {}, false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == "signature of package '" + partial.string() +
                                   "' by trusted key 'old.rsa.pub' does not verify");

  // Changed data: refused at Open, before any entry is delivered.
  auto tampered = dir.path() / "tampered.apk";
  std::string bad_data = data;
  bad_data[4] = static_cast<char>(bad_data[4] ^ 1);
  testing::Spit(tampered, sign_member + control + bad_data);
  r = ApkPackage::Open(tampered, keys, {}, false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message() == "signature of package '" + tampered.string() +
                                   "' by trusted key 'old.rsa.pub' does not verify");
}

}  // namespace
}  // namespace cairn::extract
