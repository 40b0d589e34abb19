// WriteDebRepository read back by cairn's own Debian readers (gpgv through
// VerifyInRelease, ParseRelease, ParsePackagesIndex) and, independently, by
// the host's apt: `apt-get update` against a file: source with signed-by=
// the test keyring, then `apt-cache show`.
#include "cairn/testrepo/deb_repo.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cairn/deb/inrelease.h"
#include "cairn/deb/package.h"
#include "cairn/deb/release.h"
#include "cairn/digest.h"
#include "cairn/extract/compressed_file.h"
#include "support/test_support.h"

namespace cairn::testrepo {
namespace {

namespace fs = std::filesystem;

// Test keys (tests/data/deb/keys/README.md).
constexpr const char* kArchiveFpr = "D7E61B1146129C5C388B721C2B32A629D838A381";
constexpr int64_t kEpoch = 1700000000;  // Tue, 14 Nov 2023 22:13:20 UTC

fs::path Keys() { return testing::TestData() / "deb/keys"; }
fs::path ArchiveKeyring() { return Keys() / "cairn-test-archive.gpg"; }
fs::path ArchiveSecret() { return Keys() / "cairn-test-archive.secret.asc"; }

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

DebRepoPackage Pkg(const std::string& name, const std::string& version, const std::string& arch,
                   const std::string& extra = "") {
  DebRepoPackage p;
  p.arch = arch;
  p.deb.control_text = "Package: " + name + "\nVersion: " + version + "\nArchitecture: " + arch +
                       "\nMaintainer: Cairn Tests <tests@example.org>\n" + extra +
                       "Description: " + name + " for tests\n";
  p.deb.mtime = kEpoch;
  p.deb.files = {
      {.path = "usr/share/" + name + "/" + arch, .content = name + " " + version + "\n"}};
  return p;
}

// Two architectures, an "all" package and a library with its own source name,
// given out of order.
DebRepoSpec SampleSpec() {
  DebRepoSpec spec;
  spec.suite = "test";
  spec.codename = "testing-cairn";
  spec.archs = {"arm64", "amd64"};
  spec.epoch = kEpoch;
  spec.secret_key = ArchiveSecret();
  spec.packages = {
      Pkg("libgreet1", "1:2.0-1", "amd64", "Source: greet (2.0-1)\n"),
      Pkg("hello", "1.0-1", "arm64", "Depends: libgreet1, hello-data\n"),
      Pkg("hello-data", "1.0-1", "all"),
      Pkg("hello", "1.0-1", "amd64", "Depends: libgreet1 (>= 1:2.0), hello-data\n"),
  };
  return spec;
}

void MustWrite(const DebRepoSpec& spec, const fs::path& root) {
  Status st = WriteDebRepository(spec, root);
  if (!st.ok()) FAIL(st.error().Render());
}

Error WriteError(const DebRepoSpec& spec, const fs::path& root) {
  Status st = WriteDebRepository(spec, root);
  REQUIRE(!st.ok());
  return st.error();
}

std::string MustRun(const std::vector<std::string>& argv) {
  auto r = testing::RunCommand(argv, {"LC_ALL=C"});
  INFO(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << " stdout: " << r.out
               << " stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

}  // namespace

TEST_CASE("DebPoolPath follows Debian's pool layout", "[testrepo][deb]") {
  CHECK(DebPoolPath("hello", "", "1.0-1", "amd64") == "pool/main/h/hello/hello_1.0-1_amd64.deb");
  CHECK(DebPoolPath("libgreet1", "greet", "1:2.0-1", "arm64") ==
        "pool/main/g/greet/libgreet1_2.0-1_arm64.deb");
  CHECK(DebPoolPath("libc6", "glibc", "2.36-9", "amd64") ==
        "pool/main/g/glibc/libc6_2.36-9_amd64.deb");
  CHECK(DebPoolPath("libssl3", "openssl", "3.0.11-1~deb12u2", "amd64") ==
        "pool/main/o/openssl/libssl3_3.0.11-1~deb12u2_amd64.deb");
  CHECK(DebPoolPath("libzstd1", "libzstd", "1.5.4+dfsg2-5", "all") ==
        "pool/main/libz/libzstd/libzstd1_1.5.4+dfsg2-5_all.deb");
}

TEST_CASE("WriteDebRepository writes a signed archive cairn reads back", "[testrepo][deb]") {
  testing::ScratchDir scratch("deb-repo");
  fs::path root = scratch.path() / "repo";
  DebRepoSpec spec = SampleSpec();
  spec.valid_until = kEpoch + 86400;
  MustWrite(spec, root);
  fs::path suite = root / "dists/test";

  // The pool, one file per (name, version, arch); "all" is written once.
  const std::vector<std::string> pool = {
      "pool/main/g/greet/libgreet1_2.0-1_amd64.deb",
      "pool/main/h/hello-data/hello-data_1.0-1_all.deb",
      "pool/main/h/hello/hello_1.0-1_amd64.deb",
      "pool/main/h/hello/hello_1.0-1_arm64.deb",
  };
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(root / "pool"))
    if (e.is_regular_file()) found.push_back(fs::relative(e.path(), root).string());
  std::sort(found.begin(), found.end());
  CHECK(found == pool);

  // InRelease verifies against the public keyring; its text is exactly Release.
  auto verified = deb::VerifyInRelease(suite / "InRelease", {ArchiveKeyring()}, "test");
  if (!verified.ok()) FAIL(verified.error().Render());
  CHECK(verified->signer_fingerprints == std::vector<std::string>{kArchiveFpr});
  const std::string release_text = Slurp(suite / "Release");
  CHECK(verified->text == release_text);
  CHECK(release_text.rfind("Origin: cairn\n"
                           "Label: cairn test archive\n"
                           "Suite: test\n"
                           "Codename: testing-cairn\n"
                           "Date: Tue, 14 Nov 2023 22:13:20 UTC\n"
                           "Valid-Until: Wed, 15 Nov 2023 22:13:20 UTC\n"
                           "Architectures: amd64 arm64\n"
                           "Components: main\n"
                           "Acquire-By-Hash: no\n"
                           "SHA256:\n",
                           0) == 0);

  auto release = deb::ParseRelease(verified->text, "test");
  if (!release.ok()) FAIL(release.error().Render());
  CHECK(release->origin == "cairn");
  CHECK(release->suite == "test");
  CHECK(release->codename == "testing-cairn");
  CHECK(release->date == kEpoch);
  CHECK(release->valid_until == std::optional<int64_t>(kEpoch + 86400));
  CHECK(release->architectures == std::vector<std::string>{"amd64", "arm64"});
  CHECK(release->components == std::vector<std::string>{"main"});
  CHECK_FALSE(release->acquire_by_hash);
  std::vector<std::string> listed;
  for (const auto& [path, entry] : release->files) {
    listed.push_back(path);
    std::string bytes = Slurp(suite / path);
    INFO(path);
    CHECK(entry.size == bytes.size());
    CHECK(entry.sha256 == Sha256Hex(bytes));
  }
  CHECK(listed ==
        std::vector<std::string>{"main/binary-amd64/Packages", "main/binary-amd64/Packages.xz",
                                 "main/binary-arm64/Packages", "main/binary-arm64/Packages.xz"});

  // Packages.xz holds exactly Packages; the stanzas are sorted and point at
  // the pool files with their true size, SHA256 and MD5.
  const std::map<std::string, std::vector<std::string>> expected = {
      {"amd64",
       {"hello 1.0-1 amd64 pool/main/h/hello/hello_1.0-1_amd64.deb",
        "hello-data 1.0-1 all pool/main/h/hello-data/hello-data_1.0-1_all.deb",
        "libgreet1 1:2.0-1 amd64 pool/main/g/greet/libgreet1_2.0-1_amd64.deb"}},
      {"arm64",
       {"hello 1.0-1 arm64 pool/main/h/hello/hello_1.0-1_arm64.deb",
        "hello-data 1.0-1 all pool/main/h/hello-data/hello-data_1.0-1_all.deb"}},
  };
  for (const auto& [arch, rows] : expected) {
    INFO(arch);
    fs::path dir = suite / "main" / ("binary-" + arch);
    auto text = extract::ReadCompressedFile(dir / "Packages.xz", 1 << 20);
    REQUIRE(text.ok());
    CHECK(*text == Slurp(dir / "Packages"));
    auto packages = deb::ParsePackagesIndex(*text, "Packages", "test/main " + arch, root.string());
    if (!packages.ok()) FAIL(packages.error().Render());
    std::vector<std::string> got;
    for (const deb::Package& p : *packages) {
      got.push_back(p.name + " " + p.version + " " + p.architecture + " " + p.filename);
      std::string deb = Slurp(root / p.filename);
      CHECK(p.size == deb.size());
      CHECK(p.sha256 == Sha256Hex(deb));
      std::string md5 = MustRun({"md5sum", (root / p.filename).string()});
      CHECK(p.md5sum == md5.substr(0, 32));
      // dpkg-deb reads the same control data back from the .deb.
      CHECK(MustRun({"dpkg-deb", "-f", (root / p.filename).string(), "Package"}) == p.name + "\n");
    }
    CHECK(got == rows);
  }
  auto amd64 =
      deb::ParsePackagesIndex(Slurp(suite / "main/binary-amd64/Packages"), "Packages", "", "");
  REQUIRE(amd64.ok());
  CHECK(deb::FormatRelations(amd64->at(0).depends) == "libgreet1 (>= 1:2.0), hello-data");
  CHECK(amd64->at(2).source == "greet");
  CHECK(amd64->at(2).source_version == "2.0-1");
}

TEST_CASE("WriteDebRepository is deterministic except for the signature", "[testrepo][deb]") {
  testing::ScratchDir scratch("deb-repo-det");
  DebRepoSpec spec = SampleSpec();
  MustWrite(spec, scratch.path() / "a");
  std::reverse(spec.packages.begin(), spec.packages.end());
  MustWrite(spec, scratch.path() / "b");
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(scratch.path() / "a")) {
    if (!e.is_regular_file()) continue;
    std::string rel = fs::relative(e.path(), scratch.path() / "a").string();
    files.push_back(rel);
    if (rel == "dists/test/InRelease") continue;
    INFO(rel);
    CHECK(Slurp(e.path()) == Slurp(scratch.path() / "b" / rel));
  }
  CHECK(files.size() == 10);  // 4 debs, 4 indexes, Release, InRelease
  CHECK(fs::is_regular_file(scratch.path() / "b/dists/test/InRelease"));
}

TEST_CASE("WriteDebRepository without a key writes an unsigned archive", "[testrepo][deb]") {
  testing::ScratchDir scratch("deb-repo-unsigned");
  fs::path root = scratch.path() / "repo";
  DebRepoSpec spec = SampleSpec();
  MustWrite(spec, root);
  REQUIRE(fs::exists(root / "dists/test/InRelease"));
  spec.secret_key.clear();
  MustWrite(spec, root);
  CHECK_FALSE(fs::exists(root / "dists/test/InRelease"));
  auto release = deb::ParseRelease(Slurp(root / "dists/test/Release"), "test");
  REQUIRE(release.ok());
  CHECK(release->files.size() == 4);
  CHECK_FALSE(release->valid_until.has_value());
  // Release served as InRelease is refused: it carries no signature.
  auto v = deb::VerifyInRelease(root / "dists/test/Release", {ArchiveKeyring()}, "test");
  REQUIRE(!v.ok());
  CHECK(v.error().code() == Code::kIntegrity);
  CHECK(v.error().message() ==
        "InRelease 'test': no signature (expected an OpenPGP clearsigned file)");
}

TEST_CASE("WriteDebRepository signed by another key is not trusted by the archive keyring",
          "[testrepo][deb]") {
  testing::ScratchDir scratch("deb-repo-other");
  DebRepoSpec spec = SampleSpec();
  spec.secret_key = Keys() / "cairn-test-other.secret.asc";
  MustWrite(spec, scratch.path());
  auto v = deb::VerifyInRelease(scratch.path() / "dists/test/InRelease", {ArchiveKeyring()}, "o");
  REQUIRE(!v.ok());
  CHECK(v.error().code() == Code::kIntegrity);
  CHECK(v.error().message() ==
        "InRelease 'o': signature by unknown key D263D81A60F55BF4 (not in "
        "keyring '" +
            ArchiveKeyring().string() + "')");
  // ... and is trusted by its own public key.
  auto own = deb::VerifyInRelease(scratch.path() / "dists/test/InRelease",
                                  {Keys() / "cairn-test-other.asc"}, "o");
  if (!own.ok()) FAIL(own.error().Render());
  CHECK(own->signer_fingerprints ==
        std::vector<std::string>{"577EE573D360919C69BB0673D263D81A60F55BF4"});
}

TEST_CASE("WriteDebRepository rejects bad specs", "[testrepo][deb]") {
  testing::ScratchDir scratch("deb-repo-bad");
  DebRepoSpec spec = SampleSpec();
  spec.secret_key.clear();
  SECTION("no architecture") {
    spec.archs.clear();
    Error e = WriteError(spec, scratch.path());
    CHECK(e.code() == Code::kUsage);
    CHECK(e.message() == "no architecture for the archive (expected e.g. 'amd64')");
  }
  SECTION("'all' as an archive architecture") {
    spec.archs = {"amd64", "all"};
    Error e = WriteError(spec, scratch.path());
    CHECK(e.code() == Code::kUsage);
    CHECK(e.message() ==
          "invalid archive architecture 'all' (expected a Debian name such as 'amd64')");
  }
  SECTION("bad suite") {
    spec.suite = "../x";
    Error e = WriteError(spec, scratch.path());
    CHECK(e.code() == Code::kUsage);
    CHECK(e.message() ==
          "invalid suite name '../x' (expected letters, digits and '.+-_', e.g. 'bookworm')");
  }
  SECTION("a package for an architecture the archive lacks") {
    spec.packages.push_back(Pkg("hello", "1.0-1", "riscv64"));
    Error e = WriteError(spec, scratch.path());
    CHECK(e.code() == Code::kUsage);
    CHECK(e.message() ==
          "package 5 is for architecture 'riscv64', which the archive does not "
          "have (expected 'all' or one of 'arm64', 'amd64')");
  }
  SECTION("control Architecture disagrees") {
    spec.packages[0].arch = "arm64";
    Error e = WriteError(spec, scratch.path());
    CHECK(e.code() == Code::kUsage);
    CHECK(e.message() ==
          "package 'libgreet1' says 'Architecture: amd64' but is listed for 'arm64'");
  }
  SECTION("missing Version") {
    spec.packages[1].deb.control_text = "Package: hello\nArchitecture: arm64\n";
    Error e = WriteError(spec, scratch.path());
    CHECK(e.code() == Code::kUsage);
    CHECK(e.message() == "package 'hello' has an invalid or no 'Version' field ('')");
  }
  SECTION("a version that would escape the pool") {
    spec.packages[1].deb.control_text = "Package: hello\nVersion: 1/../../x\nArchitecture: arm64\n";
    Error e = WriteError(spec, scratch.path());
    CHECK(e.message() == "package 'hello' has an invalid or no 'Version' field ('1/../../x')");
  }
  SECTION("duplicate package") {
    spec.packages.push_back(Pkg("hello-data", "1.0-1", "all"));
    Error e = WriteError(spec, scratch.path());
    CHECK(e.code() == Code::kUsage);
    CHECK(e.message() == "package 'hello-data 1.0-1' (all) is listed twice");
  }
  SECTION("BuildDeb's own refusal names the package") {
    spec.packages[2].deb.compression = "lz4";
    Error e = WriteError(spec, scratch.path());
    CHECK(e.code() == Code::kUsage);
    CHECK(e.Render().find("building 'hello-data'") != std::string::npos);
  }
  SECTION("missing secret key") {
    spec.secret_key = scratch.path() / "nope.asc";
    Error e = WriteError(spec, scratch.path() / "repo");
    CHECK(e.code() == Code::kNotFound);
    CHECK(e.message() == "secret key '" + (scratch.path() / "nope.asc").string() +
                             "' does not exist (expected an OpenPGP secret key file)");
  }
  SECTION("a secret key file gpg cannot import") {
    Spit(scratch.path() / "junk.asc", "not a key\n");
    spec.secret_key = scratch.path() / "junk.asc";
    Error e = WriteError(spec, scratch.path() / "repo");
    CHECK(e.code() == Code::kTool);
    CHECK(e.message().rfind("'gpg' ", 0) == 0);
  }
}

TEST_CASE("the host's apt reads the archive through signed-by", "[testrepo][deb][apt]") {
  testing::ScratchDir scratch("deb-repo-apt");
  fs::path root = scratch.path() / "repo";
  MustWrite(SampleSpec(), root);

  // A private apt root: its own sources, lists, cache and (empty) dpkg status.
  fs::path apt = scratch.path() / "apt";
  for (const char* d : {"etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d",
                        "etc/apt/trusted.gpg.d", "var/lib/apt/lists/partial",
                        "var/cache/apt/archives/partial", "var/lib/dpkg"})
    fs::create_directories(apt / d);
  Spit(apt / "var/lib/dpkg/status", "");
  Spit(apt / "etc/apt/sources.list",
       "deb [signed-by=" + ArchiveKeyring().string() + "] file:" + root.string() + " test main\n");
  std::vector<std::string> base = {
      "-o", "Dir=" + apt.string(),
      "-o", "Dir::Etc::sourcelist=" + (apt / "etc/apt/sources.list").string(),
      "-o", "Dir::Etc::sourceparts=" + (apt / "etc/apt/sources.list.d").string(),
      "-o", "Dir::Etc::trustedparts=" + (apt / "etc/apt/trusted.gpg.d").string(),
      "-o", "Dir::State::status=" + (apt / "var/lib/dpkg/status").string(),
      "-o", "APT::Architecture=amd64",
      "-o", "APT::Architectures::=amd64",
      "-o", "APT::Sandbox::User=root",
      "-o", "Debug::NoLocking=1"};
  auto apt_cmd = [&](const std::string& tool, std::vector<std::string> args) {
    std::vector<std::string> argv = {tool};
    argv.insert(argv.end(), base.begin(), base.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, {"LC_ALL=C"});
  };

  auto update = apt_cmd("apt-get", {"-q", "update"});
  INFO("apt-get update: " << update.out << update.err);
  REQUIRE(update.exit_code == 0);
  // Any signature or checksum problem is only a warning ("W:") for apt-get
  // update; require there was none.
  CHECK(update.err.find("W:") == std::string::npos);
  CHECK(update.err.find("E:") == std::string::npos);
  CHECK(update.out.find("file:" + root.string() + " test InRelease") != std::string::npos);

  auto show = apt_cmd("apt-cache", {"show", "hello"});
  INFO("apt-cache show: " << show.err);
  REQUIRE(show.exit_code == 0);
  std::string deb = Slurp(root / "pool/main/h/hello/hello_1.0-1_amd64.deb");
  CHECK(show.out.find("Package: hello\nVersion: 1.0-1\nArchitecture: amd64\n") == 0);
  CHECK(show.out.find("\nFilename: pool/main/h/hello/hello_1.0-1_amd64.deb\n") !=
        std::string::npos);
  CHECK(show.out.find("\nSize: " + std::to_string(deb.size()) + "\n") != std::string::npos);
  CHECK(show.out.find("\nSHA256: " + Sha256Hex(deb) + "\n") != std::string::npos);

  // apt resolves the dependencies across the "all" package and the library.
  auto sim = apt_cmd("apt-get", {"-s", "install", "hello"});
  INFO("apt-get -s install: " << sim.out << sim.err);
  REQUIRE(sim.exit_code == 0);
  CHECK(sim.out.find("Inst hello-data (1.0-1 ") != std::string::npos);
  CHECK(sim.out.find("Inst libgreet1 (1:2.0-1 ") != std::string::npos);
  CHECK(sim.out.find("Inst hello (1.0-1 ") != std::string::npos);

  // And apt refuses the archive with the wrong key.
  Spit(apt / "etc/apt/sources.list",
       "deb [signed-by=" + (Keys() / "cairn-test-other.asc").string() + "] file:" + root.string() +
           " test main\n");
  auto refused = apt_cmd("apt-get", {"-q", "update"});
  INFO("apt-get update (other key): " << refused.out << refused.err);
  CHECK(refused.err.find("NO_PUBKEY 2B32A629D838A381") != std::string::npos);
}

}  // namespace cairn::testrepo
