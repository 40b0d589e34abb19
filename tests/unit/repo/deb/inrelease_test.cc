#include "cairn/deb/inrelease.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cairn/digest.h"
#include "support/test_support.h"

namespace cairn::deb {
namespace {

namespace fs = std::filesystem;

// Test keys (tests/data/deb/keys/README.md).
constexpr const char* kArchiveKeyId = "2B32A629D838A381";
constexpr const char* kArchiveFpr = "D7E61B1146129C5C388B721C2B32A629D838A381";
constexpr const char* kOtherKeyId = "D263D81A60F55BF4";
constexpr const char* kOtherFpr = "577EE573D360919C69BB0673D263D81A60F55BF4";

// Debian's archive keys that signed the bookworm-updates fixture (primary fingerprints).
constexpr const char* kBookwormAutomaticFpr = "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8";
constexpr const char* kTrixieAutomaticFpr = "04B54C3CDCA79751B16BC6B5225629DF75B188BD";
const fs::path kDebianKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

const char* const kRelease =
    "Origin: cairn\n"
    "Label: cairn test archive\n"
    "Suite: test\n"
    "Codename: test\n"
    "Architectures: amd64 arm64\n"
    "Components: main\n"
    "SHA256:\n"
    " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855        0 "
    "main/binary-amd64/Packages\n";

fs::path Keys() { return testing::TestData() / "deb/keys"; }
fs::path Fixtures() { return testing::TestData() / "deb/inrelease"; }
fs::path ArchiveKeyring() { return Keys() / "cairn-test-archive.gpg"; }

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

// A throwaway gpg home holding the two test secret keys, for signing at test
// time. It lives under /tmp with a short name: gpg-agent's socket path must
// fit in sun_path, which a deep build directory may not. The agent is
// stopped when the process exits.
class GpgSigner {
 public:
  GpgSigner() {
    char templ[] = "/tmp/cairn-gpg.XXXXXX";
    REQUIRE(::mkdtemp(templ) != nullptr);
    home_ = templ;
    for (const char* key : {"cairn-test-archive.secret.asc", "cairn-test-other.secret.asc"})
      Gpg({"--import", (Keys() / key).string()});
  }
  ~GpgSigner() {
    testing::RunCommand({"gpgconf", "--homedir", home_.string(), "--kill", "gpg-agent"});
    std::error_code ec;
    fs::remove_all(home_, ec);
  }

  // Clearsigns `text` with `key_id`; extra gpg options go before --clearsign.
  std::string ClearSign(const std::string& text, const std::string& key_id,
                        std::vector<std::string> extra = {}) {
    testing::ScratchDir dir("gpg-sign");
    Spit(dir.path() / "in", text);
    std::vector<std::string> args = {"--local-user", key_id};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--output", (dir.path() / "out").string(), "--clearsign",
                             (dir.path() / "in").string()});
    Gpg(args);
    return Slurp(dir.path() / "out");
  }

  // A binary detached signature of `data_file`.
  void DetachSign(const fs::path& data_file, const fs::path& sig_file, const std::string& key_id) {
    Gpg({"--local-user", key_id, "--output", sig_file.string(), "--detach-sign",
         data_file.string()});
  }

 private:
  void Gpg(std::vector<std::string> args) {
    std::vector<std::string> argv = {"gpg",       "--batch",      "--yes",
                                     "--homedir", home_.string(), "--pinentry-mode",
                                     "loopback",  "--passphrase", ""};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = testing::RunCommand(argv, {"LC_ALL=C"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  fs::path home_;
};

GpgSigner& Signer() {
  static GpgSigner signer;
  return signer;
}

std::string KeyringMsg(const fs::path& p) { return "(not in keyring '" + p.string() + "')"; }

TEST_CASE("VerifyInRelease accepts Debian's real InRelease", "[repo][deb][gpgv]") {
  REQUIRE(DefaultDebianKeyrings() == std::vector<fs::path>{kDebianKeyring});
  fs::path file = Fixtures() / "debian-bookworm-updates.InRelease";
  auto r = VerifyInRelease(file, DefaultDebianKeyrings(), "bookworm-updates");
  if (!r.ok()) FAIL(r.error().Render());
  CHECK(r->text.rfind("Origin: Debian\nLabel: Debian\nSuite: oldstable-updates\n", 0) == 0);
  CHECK(r->text.size() == 53753);
  CHECK(Sha256Hex(r->text) == "c350998fdff24c76b3d14b10dd30ebf74e48ca26651f28f81fcc7ba0a580d680");
  // The text is the signed block exactly: Debian's Release has no dash-escaped lines.
  std::string raw = Slurp(file);
  size_t begin = raw.find("\n\n") + 2;
  size_t end = raw.find("-----BEGIN PGP SIGNATURE-----");
  CHECK(r->text == raw.substr(begin, end - begin));
  CHECK(r->signer_fingerprints ==
        std::vector<std::string>{kTrixieAutomaticFpr, kBookwormAutomaticFpr});
}

TEST_CASE("VerifyInRelease needs one good signature, as apt does", "[repo][deb][gpgv]") {
  fs::path file = Fixtures() / "debian-bookworm-updates.InRelease";
  // Only the bookworm key: the trixie signature's key is missing (gpgv exits 2).
  auto one = VerifyInRelease(file, {"/usr/share/keyrings/debian-archive-bookworm-automatic.gpg"},
                             "bookworm-updates");
  if (!one.ok()) FAIL(one.error().Render());
  CHECK(one->signer_fingerprints == std::vector<std::string>{kBookwormAutomaticFpr});
  CHECK(one->text.size() == 53753);

  // Neither signing key.
  fs::path stable = "/usr/share/keyrings/debian-archive-bookworm-stable.gpg";
  auto none = VerifyInRelease(file, {stable, ArchiveKeyring()}, "bookworm-updates");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code() == Code::kIntegrity);
  CHECK(none.error().message() ==
        "InRelease 'bookworm-updates': signatures by unknown keys 6ED0E7B82643E131, "
        "78DBA3BC47EF2265 (not in keyrings '" +
            stable.string() + "', '" + ArchiveKeyring().string() + "')");
}

TEST_CASE("VerifyInRelease returns the signed text of a file signed now", "[repo][deb][gpgv]") {
  testing::ScratchDir dir("inrelease-ok");
  // A line starting with '-' is dash-escaped in the file; gpgv undoes that.
  std::string text = std::string(kRelease) + "-Dashed: line\n";
  std::string signed_text = Signer().ClearSign(text, kArchiveKeyId);
  CHECK(signed_text.find("\n- -Dashed: line\n") != std::string::npos);
  Spit(dir.path() / "InRelease", signed_text);
  // Neither HOME nor GNUPGHOME matter: gpgv gets a private --homedir.
  std::string old_home = ::getenv("HOME") ? ::getenv("HOME") : "";
  ::setenv("HOME", "/nonexistent", 1);
  ::setenv("GNUPGHOME", "/nonexistent/gnupg", 1);
  auto r = VerifyInRelease(dir.path() / "InRelease", {ArchiveKeyring()}, "test");
  ::setenv("HOME", old_home.c_str(), 1);
  ::unsetenv("GNUPGHOME");
  if (!r.ok()) FAIL(r.error().Render());
  CHECK(r->text == text);
  CHECK(r->signer_fingerprints == std::vector<std::string>{kArchiveFpr});
}

TEST_CASE("VerifyInRelease rejects a modified file", "[repo][deb][gpgv]") {
  testing::ScratchDir dir("inrelease-bad");
  std::string signed_text = Signer().ClearSign(kRelease, kArchiveKeyId);
  size_t pos = signed_text.find("arm64");
  REQUIRE(pos != std::string::npos);
  signed_text[pos] = 'A';  // one flipped byte inside the signed text
  Spit(dir.path() / "InRelease", signed_text);
  auto r = VerifyInRelease(dir.path() / "InRelease", {ArchiveKeyring()}, "test");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() ==
        "InRelease 'test': bad signature by key 2B32A629D838A381 (the file was modified)");
}

TEST_CASE("VerifyInRelease rejects a signature by a key not in the keyrings", "[repo][deb][gpgv]") {
  testing::ScratchDir dir("inrelease-unknown");
  Spit(dir.path() / "InRelease", Signer().ClearSign(kRelease, kOtherKeyId));
  auto r = VerifyInRelease(dir.path() / "InRelease", {ArchiveKeyring()}, "test");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == std::string("InRelease 'test': signature by unknown key ") +
                                   kOtherKeyId + " " + KeyringMsg(ArchiveKeyring()));

  // The same key as an ASCII-armored keyring (dearmored in-process) verifies it.
  auto armored = VerifyInRelease(dir.path() / "InRelease",
                                 {ArchiveKeyring(), Keys() / "cairn-test-other.asc"}, "test");
  if (!armored.ok()) FAIL(armored.error().Render());
  CHECK(armored->text == kRelease);
  CHECK(armored->signer_fingerprints == std::vector<std::string>{kOtherFpr});
}

TEST_CASE("VerifyInRelease rejects a file without a signature", "[repo][deb][gpgv]") {
  testing::ScratchDir dir("inrelease-unsigned");
  Spit(dir.path() / "InRelease", kRelease);
  auto r = VerifyInRelease(dir.path() / "InRelease", {ArchiveKeyring()}, "test");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() ==
        "InRelease 'test': no signature (expected an OpenPGP clearsigned file)");

  // A signed-message header over text with a signature block that is not one:
  // gpgv still writes the text to --output, which must not be taken as verified.
  std::string fake = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nEvil: yes\n" +
                     Signer().ClearSign(kRelease, kArchiveKeyId);
  Spit(dir.path() / "InRelease", fake);
  auto f = VerifyInRelease(dir.path() / "InRelease", {ArchiveKeyring()}, "test");
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().message() ==
        "InRelease 'test': no signature (expected an OpenPGP clearsigned file)");
}

TEST_CASE("VerifyInRelease drops text outside the signed block", "[repo][deb][gpgv]") {
  testing::ScratchDir dir("inrelease-outside");
  std::string signed_text = Signer().ClearSign(kRelease, kArchiveKeyId);
  Spit(dir.path() / "InRelease",
       "Injected-Before: yes\n\n" + signed_text + "Injected-After: yes\n");
  auto r = VerifyInRelease(dir.path() / "InRelease", {ArchiveKeyring()}, "test");
  if (!r.ok()) FAIL(r.error().Render());
  CHECK(r->text == kRelease);
  CHECK(r->text.find("Injected") == std::string::npos);

  // A second signed message after the first makes gpgv report an error.
  Spit(dir.path() / "InRelease", signed_text + Signer().ClearSign("Evil: yes\n", kArchiveKeyId));
  auto two = VerifyInRelease(dir.path() / "InRelease", {ArchiveKeyring()}, "test");
  REQUIRE_FALSE(two.ok());
  CHECK(two.error().code() == Code::kIntegrity);
  CHECK(two.error().message() ==
        "InRelease 'test': gpgv could not process the file (ERROR proc_pkt.plaintext 89_BAD_DATA)");
}

TEST_CASE("VerifyInRelease rejects expired and revoked keys and weak signatures",
          "[repo][deb][gpgv]") {
  // Fixtures signed in 2020 with gpg --faked-system-time (keys/README.md).
  std::vector<fs::path> rings = {ArchiveKeyring(), Keys() / "cairn-test-expired.gpg",
                                 Keys() / "cairn-test-revoked.gpg"};
  auto expired = VerifyInRelease(Fixtures() / "expired-key.InRelease", rings, "expired");
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().code() == Code::kIntegrity);
  CHECK(expired.error().message() ==
        "InRelease 'expired': signature by expired key 484B7D38697D2181 "
        "('cairn test expired key <cairn-test-expired@example.invalid>')");

  auto revoked = VerifyInRelease(Fixtures() / "revoked-key.InRelease", rings, "revoked");
  REQUIRE_FALSE(revoked.ok());
  CHECK(revoked.error().code() == Code::kIntegrity);
  CHECK(revoked.error().message() ==
        "InRelease 'revoked': signature by revoked key 41BA996A3CEC7AF2 "
        "('cairn test revoked key <cairn-test-revoked@example.invalid>')");

  auto sig_expired =
      VerifyInRelease(Fixtures() / "expired-signature.InRelease", rings, "sig-expired");
  REQUIRE_FALSE(sig_expired.ok());
  CHECK(sig_expired.error().message() ==
        "InRelease 'sig-expired': signature by key 2B32A629D838A381 has expired");

  testing::ScratchDir dir("inrelease-sha1");
  Spit(dir.path() / "InRelease",
       Signer().ClearSign(kRelease, kArchiveKeyId, {"--digest-algo", "SHA1"}));
  auto sha1 = VerifyInRelease(dir.path() / "InRelease", {ArchiveKeyring()}, "sha1");
  REQUIRE_FALSE(sha1.ok());
  CHECK(sha1.error().code() == Code::kIntegrity);
  CHECK(sha1.error().message() ==
        "InRelease 'sha1': signature by key 2B32A629D838A381 uses the weak digest SHA1");
}

TEST_CASE("VerifyInRelease reports missing files and unusable keyrings", "[repo][deb][gpgv]") {
  testing::ScratchDir dir("inrelease-keyrings");
  Spit(dir.path() / "InRelease", Signer().ClearSign(kRelease, kArchiveKeyId));
  fs::path in = dir.path() / "InRelease";

  auto no_file = VerifyInRelease(dir.path() / "absent", {ArchiveKeyring()}, "test");
  REQUIRE_FALSE(no_file.ok());
  CHECK(no_file.error().code() == Code::kNotFound);
  CHECK(no_file.error().message() ==
        "InRelease 'test': '" + (dir.path() / "absent").string() + "' does not exist");

  auto no_rings = VerifyInRelease(in, {}, "test");
  REQUIRE_FALSE(no_rings.ok());
  CHECK(no_rings.error().code() == Code::kNotFound);
  CHECK(no_rings.error().message() ==
        "InRelease 'test': no keyring to verify it with (expected at least one)");

  auto missing = VerifyInRelease(in, {dir.path() / "absent.gpg"}, "test");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Code::kNotFound);
  CHECK(missing.error().message() ==
        "keyring '" + (dir.path() / "absent.gpg").string() + "' does not exist");

  Spit(dir.path() / "notes.txt", "not a key\n");
  auto junk = VerifyInRelease(in, {dir.path() / "notes.txt"}, "test");
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().code() == Code::kIntegrity);
  CHECK(junk.error().message() ==
        "keyring '" + (dir.path() / "notes.txt").string() +
            "' is not an OpenPGP keyring (expected binary .gpg or ASCII-armored .asc)");

  // A corrupted armored keyring: the CRC-24 line no longer matches.
  std::string armored = Slurp(Keys() / "cairn-test-other.asc");
  size_t crc = armored.find("\n=");
  REQUIRE(crc != std::string::npos);
  armored[crc + 2] = armored[crc + 2] == 'A' ? 'B' : 'A';
  Spit(dir.path() / "bad.asc", armored);
  auto bad_crc = VerifyInRelease(in, {dir.path() / "bad.asc"}, "test");
  REQUIRE_FALSE(bad_crc.ok());
  CHECK(bad_crc.error().code() == Code::kIntegrity);
  CHECK(bad_crc.error().message() ==
        "keyring '" + (dir.path() / "bad.asc").string() + "' has a wrong armor checksum");

  std::string garbled = Slurp(Keys() / "cairn-test-other.asc");
  size_t body = garbled.find("\n\n") + 2;
  garbled[body + 4] = '!';
  Spit(dir.path() / "garbled.asc", garbled);
  auto bad_b64 = VerifyInRelease(in, {dir.path() / "garbled.asc"}, "test");
  REQUIRE_FALSE(bad_b64.ok());
  CHECK(bad_b64.error().code() == Code::kIntegrity);
  CHECK(bad_b64.error().message() ==
        "keyring '" + (dir.path() / "garbled.asc").string() + "' has invalid base64 in its armor");

  Spit(dir.path() / "cut.asc", armored.substr(0, armored.find("-----END")));
  auto cut = VerifyInRelease(in, {dir.path() / "cut.asc"}, "test");
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().message() == "keyring '" + (dir.path() / "cut.asc").string() +
                                     "' ends inside an armor block (no "
                                     "'-----END PGP PUBLIC KEY BLOCK-----')");
}

TEST_CASE("VerifyInRelease reports a missing gpgv as a tool error", "[repo][deb][gpgv]") {
  testing::ScratchDir dir("inrelease-nogpgv");
  Spit(dir.path() / "InRelease", Signer().ClearSign(kRelease, kArchiveKeyId));
  std::string old_path = ::getenv("PATH");
  ::setenv("PATH", dir.path().c_str(), 1);
  auto r = VerifyInRelease(dir.path() / "InRelease", {ArchiveKeyring()}, "test");
  ::setenv("PATH", old_path.c_str(), 1);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kTool);
  CHECK(r.error().Render() ==
        "verifying InRelease 'test': 'gpgv' is not installed (exit 127)\n"
        "hint: install the 'gpgv' package");
}

TEST_CASE("VerifyReleaseWithSignature checks a detached signature", "[repo][deb][gpgv]") {
  testing::ScratchDir dir("release-detached");
  fs::path release = dir.path() / "Release";
  fs::path sig = dir.path() / "Release.gpg";
  Spit(release, kRelease);
  Signer().DetachSign(release, sig, kArchiveKeyId);

  auto r = VerifyReleaseWithSignature(release, sig, {ArchiveKeyring()}, "detached");
  if (!r.ok()) FAIL(r.error().Render());
  CHECK(r->text == kRelease);
  CHECK(r->signer_fingerprints == std::vector<std::string>{kArchiveFpr});

  Spit(release, std::string(kRelease) + "Extra: field\n");
  auto modified = VerifyReleaseWithSignature(release, sig, {ArchiveKeyring()}, "detached");
  REQUIRE_FALSE(modified.ok());
  CHECK(modified.error().code() == Code::kIntegrity);
  CHECK(modified.error().message() ==
        "Release 'detached': bad signature by key 2B32A629D838A381 (the file was modified)");

  Spit(sig, "");
  auto empty = VerifyReleaseWithSignature(release, sig, {ArchiveKeyring()}, "detached");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code() == Code::kIntegrity);
  CHECK(empty.error().message() == "Release 'detached': no signature in '" + sig.string() +
                                       "' (expected a detached OpenPGP signature)");

  auto no_sig =
      VerifyReleaseWithSignature(release, dir.path() / "absent.gpg", {ArchiveKeyring()}, "d");
  REQUIRE_FALSE(no_sig.ok());
  CHECK(no_sig.error().code() == Code::kNotFound);
  CHECK(no_sig.error().message() ==
        "Release 'd': '" + (dir.path() / "absent.gpg").string() + "' does not exist");
}

}  // namespace
}  // namespace cairn::deb
