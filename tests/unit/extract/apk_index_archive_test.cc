#include "cairn/extract/apk_index_archive.h"

#include <catch2/catch.hpp>

#include "extract_test_util.h"

namespace cairn::extract {
namespace {

using testing::ApkFixtures;

size_t CountRecords(const std::string& text) {
  size_t n = 0;
  for (size_t pos = 0; (pos = text.find("C:", pos)) != std::string::npos; pos += 2)
    if (pos == 0 || text[pos - 1] == '\n') ++n;
  return n;
}

TEST_CASE("real Alpine indexes verify with their RSA/SHA-1 keys", "[extract][index]") {
  Keyring keys = testing::AlpineKeys();
  auto x86 =
      ReadApkIndexArchive(ApkFixtures() / "alpine-v3.16-x86_64-index/APKINDEX.tar.gz", keys, false);
  REQUIRE(x86.ok());
  CHECK(x86->description == "v3.16.3-13-g4d933a1fa3");
  CHECK(x86->trusted_key == testing::kAlpineKey6165);
  CHECK(x86->signatures ==
        std::vector<SignatureInfo>{{testing::kAlpineKey6165, "RSA", true, true}});
  CHECK(x86->apkindex_text.find("\nP:alpine-baselayout\n") != std::string::npos);

  auto arm = ReadApkIndexArchive(ApkFixtures() / "alpine-v3.17-aarch64-index/APKINDEX.tar.gz", keys,
                                 false);
  REQUIRE(arm.ok());
  CHECK(arm->description == "v3.17.3-216-g54a39ace82a");
  CHECK(arm->trusted_key == testing::kAlpineKey616);
  CHECK(CountRecords(arm->apkindex_text) == 5004);
  // The text is returned verbatim: compare with tar's extraction.
  CHECK(arm->apkindex_text ==
        testing::MustRun({"tar", "-xzOf",
                          (ApkFixtures() / "alpine-v3.17-aarch64-index/APKINDEX.tar.gz").string(),
                          "APKINDEX"}));
}

TEST_CASE("RSA256 index verifies and lists the real package", "[extract][index]") {
  Keyring keys = testing::KeyringOf({ApkFixtures() / "rsa256-signed/test-rsa256.rsa.pub"});
  auto r = ReadApkIndexArchive(ApkFixtures() / "rsa256-signed/APKINDEX.tar.gz", keys, false);
  REQUIRE(r.ok());
  CHECK(r->signatures == std::vector<SignatureInfo>{{"test-rsa256.rsa.pub", "RSA256", true, true}});
  CHECK(r->trusted_key == "test-rsa256.rsa.pub");
  CHECK(r->description.empty());
  CHECK(r->apkindex_text.rfind("C:Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=\nP:alpine-baselayout\n", 0) == 0);
  CHECK(r->apkindex_text.find("\nS:11012\n") != std::string::npos);
}

TEST_CASE("Wolfi index with three signatures", "[extract][index]") {
  const auto path = ApkFixtures() / "wolfi-multisig-index/APKINDEX.tar.gz";
  const std::string k0 =
      "chainguard-0106f58bac88057c2ff5c2829850df492717a876ed700443550353c7ab23f5a0.rsa.pub";
  const std::string k1 =
      "chainguard-60912bbc46bfc8ed6bda0b50db3a8a5f3c4344d6bc8549ec9b84d96140b475d1.rsa.pub";
  const std::string k2 =
      "chainguard-61cb6bccd1f584b007db7be51ebce2b0530a54cc5a94e7650b570d113d537cf3.rsa.pub";

  SECTION("all three keys: all three verify") {
    auto keys = Keyring::LoadDirectory(ApkFixtures() / "wolfi-multisig-index/keys");
    REQUIRE(keys.ok());
    auto r = ReadApkIndexArchive(path, *keys, false);
    REQUIRE(r.ok());
    CHECK(r->signatures == std::vector<SignatureInfo>{{k0, "RSA256", true, true},
                                                      {k1, "RSA256", true, true},
                                                      {k2, "RSA256", true, true}});
    CHECK(r->trusted_key == k0);
    CHECK(CountRecords(r->apkindex_text) == 16);
  }
  SECTION("one key suffices") {
    Keyring keys = testing::KeyringOf({ApkFixtures() / "wolfi-multisig-index/keys" / k2});
    auto r = ReadApkIndexArchive(path, keys, false);
    REQUIRE(r.ok());
    CHECK(r->signatures == std::vector<SignatureInfo>{{k0, "RSA256", false, false},
                                                      {k1, "RSA256", false, false},
                                                      {k2, "RSA256", true, true}});
    CHECK(r->trusted_key == k2);
  }
  SECTION("no key: refused, naming all three") {
    auto r = ReadApkIndexArchive(path, testing::AlpineKeys(), false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() == "index '" + path.string() +
                                     "' is not signed by a trusted key (signed by '" + k0 + "', '" +
                                     k1 + "', '" + k2 +
                                     "'); add the key to the keyring or pass --allow-untrusted");
    auto allowed = ReadApkIndexArchive(path, testing::AlpineKeys(), true);
    REQUIRE(allowed.ok());
    CHECK(allowed->trusted_key.empty());
  }
}

TEST_CASE("melange repository indexes verify with melange.rsa.pub", "[extract][index]") {
  for (std::string arch : {"x86_64", "aarch64"}) {
    auto r = ReadApkIndexArchive(ApkFixtures() / "melange-repo" / arch / "APKINDEX.tar.gz",
                                 testing::MelangeKey(), false);
    REQUIRE(r.ok());
    CHECK(r->trusted_key == "melange.rsa.pub");
    CHECK(CountRecords(r->apkindex_text) == 4);
    CHECK(r->apkindex_text.find("\nA:" + arch + "\n") != std::string::npos);
  }
}

TEST_CASE("wrong keys are refused", "[extract][index]") {
  const auto path = ApkFixtures() / "alpine-v3.17-aarch64-index/APKINDEX.tar.gz";
  SECTION("the old 4a6a0840 key does not sign it") {
    Keyring keys = testing::KeyringOf({ApkFixtures() / "alpine-keys" / testing::kAlpineKey4a6});
    auto r = ReadApkIndexArchive(path, keys, false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() ==
          "index '" + path.string() + "' is not signed by a trusted key (signed by '" +
              testing::kAlpineKey616 + "'); add the key to the keyring or pass --allow-untrusted");
  }
  SECTION("the 4a6a0840 key installed under the 616ae350 name fails verification") {
    auto key = PublicKey::FromPemFile(ApkFixtures() / "alpine-keys" / testing::kAlpineKey4a6);
    REQUIRE(key.ok());
    Keyring keys;
    keys.Add(testing::kAlpineKey616, std::move(*key));
    for (bool allow : {false, true}) {
      auto r = ReadApkIndexArchive(path, keys, allow);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code() == Code::kIntegrity);
      CHECK(r.error().message() == "signature of index '" + path.string() + "' by trusted key '" +
                                       testing::kAlpineKey616 + "' does not verify");
    }
  }
  SECTION("the x86_64 key does not verify the aarch64 index") {
    auto key = PublicKey::FromPemFile(ApkFixtures() / "alpine-keys" / testing::kAlpineKey6165);
    REQUIRE(key.ok());
    Keyring keys;
    keys.Add(testing::kAlpineKey616, std::move(*key));
    auto r = ReadApkIndexArchive(path, keys, false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() == "signature of index '" + path.string() + "' by trusted key '" +
                                     testing::kAlpineKey616 + "' does not verify");
  }
}

TEST_CASE("index archive structure errors", "[extract][index]") {
  cairn::testing::ScratchDir dir("index-structure");
  Keyring keys = testing::AlpineKeys();
  auto missing = ReadApkIndexArchive(dir.path() / "APKINDEX.tar.gz", keys, false);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Code::kNotFound);

  auto empty = dir.path() / "empty.tar.gz";
  testing::Spit(empty, "");
  auto r = ReadApkIndexArchive(empty, keys, true);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == "index '" + empty.string() + "' is empty");

  // Two signed indexes back to back: a third member must not be accepted.
  std::string one = testing::Slurp(ApkFixtures() / "rsa256-signed/APKINDEX.tar.gz");
  auto doubled = dir.path() / "doubled.tar.gz";
  testing::Spit(doubled, one + one);
  r = ReadApkIndexArchive(doubled, keys, true);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == "index '" + doubled.string() +
                                   "' has 4 gzip members (expected a signature member and an "
                                   "index member)");

  // A tar.gz without APKINDEX.
  auto src = dir.path() / "src";
  std::filesystem::create_directories(src);
  testing::Spit(src / "DESCRIPTION", "x");
  auto noindex = dir.path() / "noindex.tar.gz";
  testing::MustRun({"tar", "-czf", noindex.string(), "-C", src.string(), "DESCRIPTION"});
  r = ReadApkIndexArchive(noindex, keys, true);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == "index '" + noindex.string() + "' has no APKINDEX entry");
}

}  // namespace
}  // namespace cairn::extract
