#include "cairn/extract/keyring.h"

#include <catch2/catch.hpp>

#include "cairn/extract/signature.h"
#include "extract_test_util.h"

namespace cairn::extract {
namespace {

using testing::ApkFixtures;
using testing::Spit;

TEST_CASE("Keyring loads a directory and names keys by file name", "[extract][keys]") {
  auto ring = Keyring::LoadDirectory(ApkFixtures() / "alpine-keys");
  REQUIRE(ring.ok());
  CHECK(ring->names() == std::vector<std::string>{testing::kAlpineKey4a6, testing::kAlpineKey6165,
                                                  testing::kAlpineKey616});
  CHECK(ring->Find(testing::kAlpineKey616) != nullptr);
  CHECK(ring->Find("alpine-devel@lists.alpinelinux.org-616ae350") == nullptr);

  auto wolfi = Keyring::LoadDirectory(ApkFixtures() / "wolfi-multisig-index/keys");
  REQUIRE(wolfi.ok());
  CHECK(wolfi->size() == 3);
}

TEST_CASE("Keyring errors name the directory or file", "[extract][keys]") {
  cairn::testing::ScratchDir dir("keys-bad");
  auto missing = Keyring::LoadDirectory(dir.path() / "nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Code::kNotFound);
  CHECK(missing.error().message() ==
        "key directory '" + (dir.path() / "nope").string() + "' does not exist");

  Spit(dir.path() / "README", "not a key\n");
  auto bad = Keyring::LoadDirectory(dir.path());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == Code::kIntegrity);
  CHECK(bad.error().message() ==
        "key '" + (dir.path() / "README").string() +
            "' is not a PEM public key (error:1E08010C:DECODER routines::unsupported)");

  Keyring ring;
  auto nofile = ring.AddFile(dir.path() / "absent.rsa.pub");
  REQUIRE_FALSE(nofile.ok());
  CHECK(ring.empty());
}

TEST_CASE("Keyring rejects a non-RSA key", "[extract][keys]") {
  cairn::testing::ScratchDir dir("keys-ec");
  auto priv = dir.path() / "ec.pem";
  auto pub = dir.path() / "ec.pub";
  testing::MustRun(
      {"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", priv.string()});
  testing::MustRun({"openssl", "ec", "-in", priv.string(), "-pubout", "-out", pub.string()});
  Keyring ring;
  auto st = ring.AddFile(pub);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == Code::kIntegrity);
  CHECK(st.error().message() ==
        "key '" + pub.string() + "' is not an RSA key (APK signatures are RSA)");
  auto signer = Signer::FromPemFile(priv, "ec.pub");
  REQUIRE_FALSE(signer.ok());
  CHECK(signer.error().message() ==
        "private key '" + priv.string() + "' is not an RSA key (APK signatures are RSA)");
}

TEST_CASE("Signer signs what openssl and PublicKey verify", "[extract][keys]") {
  cairn::testing::ScratchDir dir("keys-sign");
  auto priv = dir.path() / "test.rsa";
  auto pub = dir.path() / "test.rsa.pub";
  testing::MustRun({"openssl", "genrsa", "-out", priv.string(), "2048"});
  testing::MustRun({"openssl", "rsa", "-in", priv.string(), "-pubout", "-out", pub.string()});
  auto key = PublicKey::FromPemFile(pub);
  REQUIRE(key.ok());
  for (auto algo :
       {SignatureAlgo::kRsaSha1, SignatureAlgo::kRsaSha256, SignatureAlgo::kRsaSha512}) {
    auto signer = Signer::FromPemFile(priv, "test.rsa.pub", algo);
    REQUIRE(signer.ok());
    auto sig = signer->Sign("hello");
    REQUIRE(sig.ok());
    CHECK(sig->size() == 256);
    CHECK(*key->Verify(algo, "hello", *sig));
    CHECK_FALSE(*key->Verify(algo, "hellO", *sig));
    CHECK_FALSE(*key->Verify(algo, "hello", sig->substr(1)));
    Spit(dir.path() / "data", "hello");
    Spit(dir.path() / "sig", *sig);
    std::string digest = algo == SignatureAlgo::kRsaSha1     ? "-sha1"
                         : algo == SignatureAlgo::kRsaSha256 ? "-sha256"
                                                             : "-sha512";
    CHECK(testing::MustRun({"openssl", "dgst", digest, "-verify", pub.string(), "-signature",
                            (dir.path() / "sig").string(), (dir.path() / "data").string()}) ==
          "Verified OK\n");
  }
  auto s = Signer::FromPemFile(priv, "test.rsa.pub", SignatureAlgo::kRsaSha512);
  REQUIRE(s.ok());
  CHECK(s->EntryName() == ".SIGN.RSA512.test.rsa.pub");
  auto not_key = Signer::FromPemFile(pub, "x");
  REQUIRE_FALSE(not_key.ok());
  CHECK(not_key.error().code() == Code::kIntegrity);
}

TEST_CASE("CheckSignatures applies the trust policy", "[extract][keys]") {
  cairn::testing::ScratchDir dir("keys-policy");
  auto priv = dir.path() / "a.rsa";
  testing::MustRun({"openssl", "genrsa", "-out", priv.string(), "2048"});
  testing::MustRun({"openssl", "rsa", "-in", priv.string(), "-pubout", "-out",
                    (dir.path() / "a.rsa.pub").string()});
  auto signer = Signer::FromPemFile(priv, "a.rsa.pub", SignatureAlgo::kRsaSha256);
  REQUIRE(signer.ok());
  const std::string data = "signed bytes";
  auto good = signer->Sign(data);
  REQUIRE(good.ok());
  std::string bad = *good;
  bad[5] = static_cast<char>(bad[5] ^ 1);
  SignedBytes bytes = [&](const std::function<Status(std::string_view)>& sink) {
    return sink(data);
  };
  Keyring ring = testing::KeyringOf({dir.path() / "a.rsa.pub"});
  const std::string what = "index 'x'";

  SECTION("one trusted valid signature among unknown ones") {
    auto r = CheckSignatures({{"other.pub", "RSA", "xx"}, {"a.rsa.pub", "RSA256", *good}}, ring,
                             bytes, false, what);
    REQUIRE(r.ok());
    CHECK(r->trusted_key == "a.rsa.pub");
    CHECK(r->signatures == std::vector<SignatureInfo>{{"other.pub", "RSA", false, false},
                                                      {"a.rsa.pub", "RSA256", true, true}});
  }
  SECTION("a trusted key that does not verify is refused even with allow_untrusted") {
    auto r = CheckSignatures({{"a.rsa.pub", "RSA256", bad}}, ring, bytes, true, what);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() ==
          "signature of index 'x' by trusted key 'a.rsa.pub' does not verify");
    // The algorithm is part of what is signed: an RSA (SHA-1) claim fails too.
    r = CheckSignatures({{"a.rsa.pub", "RSA", *good}}, ring, bytes, false, what);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() ==
          "signature of index 'x' by trusted key 'a.rsa.pub' does not verify");
  }
  SECTION("unknown keys only") {
    auto r = CheckSignatures({{"k1", "RSA", "x"}, {"k2", "RSA256", "y"}}, ring, bytes, false, what);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() ==
          "index 'x' is not signed by a trusted key (signed by 'k1', 'k2'); add the key to the "
          "keyring or pass --allow-untrusted");
    auto allowed = CheckSignatures({{"k1", "RSA", "x"}}, ring, bytes, true, what);
    REQUIRE(allowed.ok());
    CHECK(allowed->trusted_key.empty());
    CHECK(allowed->signatures == std::vector<SignatureInfo>{{"k1", "RSA", false, false}});
  }
  SECTION("no signature") {
    auto r = CheckSignatures({}, ring, bytes, false, what);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() ==
          "index 'x' is not signed by a trusted key (it has no signature); pass "
          "--allow-untrusted to accept it");
    CHECK(CheckSignatures({}, ring, bytes, true, what).ok());
  }
  SECTION("unsupported algorithm with a trusted key") {
    auto r = CheckSignatures({{"a.rsa.pub", "DSA", *good}}, ring, bytes, true, what);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kIntegrity);
    CHECK(r.error().message() ==
          "signature of index 'x' by trusted key 'a.rsa.pub' uses unsupported algorithm 'DSA'");
  }
}

}  // namespace
}  // namespace cairn::extract
