// Tampered Debian archives through the command line. A tiny signed archive
// (testrepo::WriteDebRepository) first builds an image, which fills the
// cache; then the archive is "updated" to new versions with one hostile
// change, and the rebuild must stop with exit 1, say what failed, write no
// output and leave the cache's file list exactly as it was. The checks follow
// apt's: the InRelease signature by a key of the source's keyring, its
// Valid-Until, and the SHA256 (and size) of every index and .deb.
#include "cairn/digest.h"
#include "cairn/testrepo/deb_repo.h"
#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

constexpr int64_t kEpoch = 1700000000;  // Tue, 14 Nov 2023 22:13:20 UTC
constexpr const char* kArchiveKeyId = "2B32A629D838A381";
constexpr const char* kOtherKeyId = "D263D81A60F55BF4";

fs::path Keys() { return testing::TestData() / "deb/keys"; }
fs::path ArchiveKeyring() { return Keys() / "cairn-test-archive.gpg"; }

testrepo::DebRepoPackage Pkg(const std::string& name, const std::string& version,
                             const std::string& arch, const std::string& extra,
                             std::vector<testrepo::DebFile> files) {
  testrepo::DebRepoPackage p;
  p.arch = arch;
  p.deb.control_text = "Package: " + name + "\nVersion: " + version + "\nArchitecture: " + arch +
                       "\nMaintainer: Cairn Tests <tests@example.org>\nInstalled-Size: 1\n" +
                       extra + "Description: " + name + " for the tamper tests\n";
  p.deb.mtime = kEpoch;
  p.deb.files = std::move(files);
  return p;
}

// The archive with greet (amd64) at `version`, depending on greet-data (all)
// at `data_version`.
testrepo::DebRepoSpec ArchiveSpec(const std::string& version,
                                  const std::string& data_version = "1.0-1") {
  testrepo::DebRepoSpec spec;
  spec.suite = "test";
  spec.archs = {"amd64"};
  spec.epoch = kEpoch;
  spec.secret_key = Keys() / "cairn-test-archive.secret.asc";
  spec.packages = {
      Pkg("greet", version, "amd64", "Depends: greet-data (>= 1.0-1)\n",
          {{.path = "usr/bin/greet",
            .content = "#!/bin/sh\ncat /usr/share/greet/greeting\n",
            .mode = 0755}}),
      Pkg("greet-data", data_version, "all", "Multi-Arch: foreign\n",
          {{.path = "usr/share/greet/greeting", .content = "hello from " + data_version + "\n"}}),
  };
  return spec;
}

// Byte range [begin, end) of the content of the first ar member whose name
// starts with `prefix` ("control.tar", "data.tar"), read with ar's own rules.
std::pair<size_t, size_t> ArMember(const std::string& ar, const std::string& prefix) {
  REQUIRE(ar.compare(0, 8, "!<arch>\n") == 0);
  size_t pos = 8;
  while (pos + 60 <= ar.size()) {
    std::string name = ar.substr(pos, 16);
    size_t size = std::stoul(ar.substr(pos + 48, 10));
    if (name.rfind(prefix, 0) == 0) return {pos + 60, pos + 60 + size};
    pos += 60 + size + (size % 2);
  }
  FAIL("no ar member " << prefix);
  return {0, 0};
}

struct DebTampered {
  ScratchDir scratch{"e2e-deb-tamper"};
  fs::path repo = scratch.path() / "repo";
  fs::path cache = scratch.path() / "cache";
  fs::path out = scratch.path() / "out";
  fs::path yaml = scratch.path() / "tiny-debian.yaml";
  fs::path suite = repo / "dists/test";
  std::map<std::string, std::string> cached_before;  ///< the cache before the hostile build

  DebTampered() { WriteYaml(false); }

  void WriteYaml(bool allow_expired) {
    std::string y =
        "name: tiny-debian\ncontents:\n  debian:\n    sources:\n      - url: " + repo.string() +
        "\n        suites: [test]\n        keyring: [" + ArchiveKeyring().string() +
        "]\n    essential: false\n";
    if (allow_expired) y += "    allow-expired: true\n";
    y += "  packages: [greet]\narchs: [x86_64]\ncmd: /usr/bin/greet\n";
    WriteText(yaml, y);
  }
  void Write(const testrepo::DebRepoSpec& spec) {
    Status st = testrepo::WriteDebRepository(spec, repo);
    if (!st.ok()) FAIL(st.error().Render());
  }
  CommandResult Build(const fs::path& output, bool allow_untrusted = false) {
    std::vector<std::string> args = {
        "build", yaml.string(),   "--cache-dir",         cache.string(),
        "-o",    output.string(), "--source-date-epoch", std::to_string(kEpoch)};
    if (allow_untrusted) args.push_back("--allow-untrusted");
    return Cairn(args);
  }
  // Builds greet 1.0-1 into `good`, filling the cache, and remembers the cache.
  void BuildGood() {
    Write(ArchiveSpec("1.0-1"));
    auto r = Build(scratch.path() / "good");
    INFO(Tail(r.err));
    REQUIRE(r.exit_code == 0);
    Snapshot();
    // InRelease and the record of its Date (downgrade protection), Packages.xz, two .debs.
    REQUIRE(cached_before.size() == 5);
  }
  // Resolves against the archive as it now is, so its (good) indexes are cached.
  void Resolve() {
    auto r = Cairn({"resolve", yaml.string(), "--cache-dir", cache.string()});
    INFO(Tail(r.err));
    REQUIRE(r.exit_code == 0);
  }
  void Snapshot() { cached_before = CacheFiles(); }
  // Regular files in the download cache (lock files and the layer cache
  // excluded: a refused build never gets to composing) and their content.
  std::map<std::string, std::string> CacheFiles() const {
    std::map<std::string, std::string> files;
    for (auto& [path, content] : TreeContents(cache))
      if (path.rfind(".locks/", 0) != 0 && path.rfind("layers/", 0) != 0) files[path] = content;
    return files;
  }
};

std::set<std::string> Names(const std::map<std::string, std::string>& files) {
  std::set<std::string> names;
  for (const auto& [path, content] : files) names.insert(path);
  return names;
}

// Exit 1 with an error, no output, and nothing new in the cache; with
// `cache_unchanged`, not even a changed byte in what was there.
void ExpectRefused(const CommandResult& r, const DebTampered& t, bool cache_unchanged = true) {
  INFO(Tail(r.err));
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("cairn: ") != std::string::npos);
  CHECK(r.err.find("error: ") != std::string::npos);
  CHECK(!fs::exists(t.out));
  // No staging directory beside the output either.
  for (const auto& e : fs::directory_iterator(t.scratch.path()))
    CHECK(e.path().filename().string().rfind("out", 0) != 0);
  auto after = t.CacheFiles();
  CHECK(Names(after) == Names(t.cached_before));
  if (cache_unchanged) CHECK(after == t.cached_before);
}

}  // namespace

TEST_CASE("a tiny Debian image builds from the signed test archive", "[e2e][debian][tamper]") {
  DebTampered t;
  t.Write(ArchiveSpec("1.0-1"));
  auto r = t.Build(t.out);
  INFO(Tail(r.err));
  REQUIRE(r.exit_code == 0);
  REQUIRE(IsDigest(Lines(r.out).at(0)));

  fs::path bundle = t.scratch.path() / "bundle";
  auto un = RunCommand({"umoci", "unpack", "--rootless", "--image",
                        (t.out / "oci").string() + ":tiny-debian", bundle.string()});
  INFO(Tail(un.err));
  REQUIRE(un.exit_code == 0);
  fs::path root = bundle / "rootfs";
  CHECK(ReadText(root / "usr/bin/greet") == "#!/bin/sh\ncat /usr/share/greet/greeting\n");
  CHECK((fs::status(root / "usr/bin/greet").permissions() & fs::perms::owner_exec) !=
        fs::perms::none);
  CHECK(ReadText(root / "usr/share/greet/greeting") == "hello from 1.0-1\n");

  auto q = RunCommand({"dpkg-query", "--admindir=" + (root / "var/lib/dpkg").string(), "-W", "-f",
                       "${Package} ${Version} ${Architecture} ${db:Status-Abbrev}\\n"});
  INFO(Tail(q.err));
  REQUIRE(q.exit_code == 0);
  CHECK(q.out == "greet 1.0-1 amd64 ii \ngreet-data 1.0-1 all ii \n");

  // The lock names the archive's pool files with their SHA256.
  std::string deb = ReadText(t.repo / "pool/main/g/greet/greet_1.0-1_amd64.deb");
  CHECK(Jq(".archs.x86_64.packages[] | select(.name == \"greet\") | .sha256",
           t.out / "cairn.lock") == Sha256Hex(deb));
}

TEST_CASE("a flipped byte in the signed Release text of InRelease is refused",
          "[e2e][debian][tamper]") {
  DebTampered t;
  t.BuildGood();
  t.Write(ArchiveSpec("1.1-1", "1.1-1"));
  std::string inrelease = ReadText(t.suite / "InRelease");
  size_t at = inrelease.find("Label: cairn test archive\n");
  REQUIRE(at != std::string::npos);
  inrelease[at + 7] = 'C';  // "Label: Cairn test archive"
  WriteText(t.suite / "InRelease", inrelease);

  auto r = t.Build(t.out);
  ExpectRefused(r, t);
  const std::string bad = "cairn: error: reading suite 'test': InRelease '" + t.suite.string() +
                          "/InRelease': bad signature by key " + kArchiveKeyId +
                          " (the file was modified)";
  CHECK(r.err.find(bad) != std::string::npos);
  // A bad signature by a trusted key is never accepted, not even with --allow-untrusted.
  auto u = t.Build(t.out, true);
  ExpectRefused(u, t);
  CHECK(u.err.find(bad) != std::string::npos);
}

TEST_CASE("an InRelease signed by a key outside the source's keyring is refused",
          "[e2e][debian][tamper]") {
  DebTampered t;
  t.BuildGood();
  auto spec = ArchiveSpec("1.1-1", "1.1-1");
  spec.secret_key = Keys() / "cairn-test-other.secret.asc";
  t.Write(spec);

  auto r = t.Build(t.out);
  ExpectRefused(r, t);
  CHECK(r.err.find("InRelease '" + t.suite.string() + "/InRelease': signature by unknown key " +
                   kOtherKeyId + " (not in keyring '" + ArchiveKeyring().string() + "')") !=
        std::string::npos);
  // --allow-untrusted is about apk keys; Debian sources trust their keyring only.
  ExpectRefused(t.Build(t.out, true), t);
}

TEST_CASE("an unsigned InRelease is refused", "[e2e][debian][tamper]") {
  DebTampered t;
  t.BuildGood();
  auto spec = ArchiveSpec("1.1-1", "1.1-1");
  spec.secret_key.clear();
  t.Write(spec);
  // What a mirror that stripped the signature would serve.
  WriteText(t.suite / "InRelease", ReadText(t.suite / "Release"));

  auto r = t.Build(t.out);
  ExpectRefused(r, t);
  CHECK(r.err.find("InRelease '" + t.suite.string() +
                   "/InRelease': no signature (expected an OpenPGP clearsigned file)") !=
        std::string::npos);
  ExpectRefused(t.Build(t.out, true), t);
}

TEST_CASE("a Packages.xz that does not match the signed Release is refused",
          "[e2e][debian][tamper]") {
  DebTampered t;
  t.BuildGood();
  t.Write(ArchiveSpec("1.1-1", "1.1-1"));
  fs::path index = t.suite / "main/binary-amd64/Packages.xz";
  const std::string url = index.string();
  const std::string signed_sha = Sha256Hex(ReadText(index));
  const size_t signed_size = ReadText(index).size();
  REQUIRE(ReadText(t.suite / "Release").find(" " + signed_sha + " ") != std::string::npos);
  // The (valid) new InRelease replaces the old one in the cache; the index must not enter.
  const bool cache_unchanged = false;

  SECTION("same size, one byte flipped") {
    std::string xz = ReadText(index);
    xz[xz.size() / 2] = static_cast<char>(xz[xz.size() / 2] ^ 0x01);
    WriteText(index, xz);
    auto r = t.Build(t.out);
    ExpectRefused(r, t, cache_unchanged);
    CHECK(r.err.find("cairn: error: fetching the 'main/binary-amd64' index of 'test': '" + url +
                     "' has sha256 " + Sha256Hex(xz) + " (expected " + signed_sha + ")") !=
          std::string::npos);
    CHECK(Names(t.CacheFiles()).count("deb/index/" + Sha256Hex(xz) + ".xz") == 0);
  }
  SECTION("re-written after signing to point greet at another .deb") {
    // The attacker's index: a forged stanza for greet 9.9 with its own
    // (correct) checksums; the signed Release still names the real index.
    auto forged = ArchiveSpec("9.9-1", "1.1-1");
    forged.packages[0].deb.files[0].content = "#!/bin/sh\necho owned\n";
    forged.secret_key.clear();
    fs::path elsewhere = t.scratch.path() / "forged";
    Status st = testrepo::WriteDebRepository(forged, elsewhere);
    REQUIRE(st.ok());
    std::string forged_xz = ReadText(elsewhere / "dists/test/main/binary-amd64/Packages.xz");
    REQUIRE(forged_xz.size() != signed_size);
    WriteText(index, forged_xz);
    fs::copy(elsewhere / "pool", t.repo / "pool",
             fs::copy_options::recursive | fs::copy_options::skip_existing);

    auto r = t.Build(t.out);
    ExpectRefused(r, t, cache_unchanged);
    CHECK(r.err.find("cairn: error: fetching the 'main/binary-amd64' index of 'test': '" + url +
                     "' has " + std::to_string(forged_xz.size()) + " bytes (expected " +
                     std::to_string(signed_size) + ")") != std::string::npos);
  }
}

TEST_CASE("a .deb with a flipped byte is refused", "[e2e][debian][tamper]") {
  DebTampered t;
  t.BuildGood();
  // Only greet moves on; greet-data 1.0-1 stays, already cached. Resolving
  // first caches the new (good) index, so the build below fetches one file.
  t.Write(ArchiveSpec("1.1-1"));
  t.Resolve();
  t.Snapshot();
  fs::path deb = t.repo / "pool/main/g/greet/greet_1.1-1_amd64.deb";
  std::string bytes = ReadText(deb);
  const std::string indexed_sha = Sha256Hex(bytes);
  REQUIRE(ReadText(t.suite / "main/binary-amd64/Packages").find("SHA256: " + indexed_sha) !=
          std::string::npos);

  SECTION("in the data member") {
    auto [begin, end] = ArMember(bytes, "data.tar");
    size_t at = begin + (end - begin) / 2;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
    WriteText(deb, bytes);
    auto r = t.Build(t.out);
    ExpectRefused(r, t);
    CHECK(r.err.find("cairn: error: fetching 'greet 1.1-1': '" + deb.string() + "' has sha256 " +
                     Sha256Hex(bytes) + " (expected " + indexed_sha + ")") != std::string::npos);
  }
  SECTION("in the control member") {
    auto [begin, end] = ArMember(bytes, "control.tar");
    size_t at = begin + (end - begin) / 2;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
    WriteText(deb, bytes);
    auto r = t.Build(t.out);
    ExpectRefused(r, t);
    // Refused by its SHA256 before anything parses it.
    CHECK(r.err.find("cairn: error: fetching 'greet 1.1-1': '" + deb.string() + "' has sha256 " +
                     Sha256Hex(bytes) + " (expected " + indexed_sha + ")") != std::string::npos);
  }
}

TEST_CASE("an expired Valid-Until is refused unless allow-expired is set",
          "[e2e][debian][tamper]") {
  DebTampered t;
  t.BuildGood();
  auto spec = ArchiveSpec("1.1-1", "1.1-1");
  spec.valid_until = kEpoch + 86400;  // long past
  t.Write(spec);

  auto r = t.Build(t.out);
  // Valid-Until is checked before the fetched InRelease may replace the
  // cached one, so the cache keeps the good copy byte for byte (as apt keeps
  // its old lists).
  ExpectRefused(r, t);
  // The error points at the suite in the declaration.
  CHECK(r.err.find("cairn: " + t.yaml.string() + ":6:18: error: reading suite 'test': release '" + t.suite.string() +
                   "/InRelease' expired at Wed, 15 Nov 2023 22:13:20 UTC (Valid-Until); it is "
                   "now ") != std::string::npos);

  // A dated snapshot archive: the declaration accepts it explicitly.
  t.WriteYaml(true);
  auto ok = t.Build(t.out);
  INFO(Tail(ok.err));
  REQUIRE(ok.exit_code == 0);
  CHECK(IsDigest(Lines(ok.out).at(0)));
  CHECK(Jq(".archs.x86_64.packages[] | \"\\(.name) \\(.version)\"", t.out / "cairn.lock") ==
        "greet-data 1.1-1\ngreet 1.1-1");
}

}  // namespace cairn::e2e
