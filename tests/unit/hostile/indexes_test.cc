// Hostile repository indexes: APKINDEX and Debian Packages/InRelease with
// missing fields, duplicates, cycles, absurd sizes, untrusted, expired,
// revoked or misplaced signatures, replayed older copies and checksum
// mismatches. Each is refused with a clear error or resolved deterministically.
#include <catch2/catch.hpp>

#include "cairn/apk/index_text.h"
#include "cairn/deb/inrelease.h"
#include "cairn/deb/package.h"
#include "cairn/deb/release.h"
#include "cairn/digest.h"
#include "cairn/extract/apk_index_archive.h"
#include "cairn/extract/gzip_members.h"
#include "cairn/fetch/fetcher.h"
#include "cairn/file_util.h"
#include "cairn/reporter.h"
#include "cairn/solve/apk_resolver.h"
#include "cairn/solve/deb_resolver.h"
#include "cairn/testrepo/deb_repo.h"
#include "cairn/testrepo/repo_builder.h"
#include "unit/hostile/hostile_util.h"

namespace cairn::hostile {
namespace {

using testing::Outcome;
using testing::RecordHostile;

const char* kCategory = "indexes";

fs::path DebKeys() { return testing::TestData() / "deb/keys"; }
fs::path ApkFixtures() { return testing::SharedFixtures() / "apk-real/apko-testdata"; }

std::string Slurp(const fs::path& p) {
  auto r = ReadFile(p);
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("hostile index: missing fields are refused", "[hostile][index]") {
  auto apk = apk::ParseApkIndexText("V:1.0-r0\nA:x86_64\nS:10\n\n", "APKINDEX");
  REQUIRE_FALSE(apk.ok());
  CHECK(apk.error().code() == Code::kIntegrity);
  RecordHostile(kCategory, "APKINDEX record without P: (name)", Outcome(apk));

  auto deb = deb::ParsePackagesIndex("Package: a\nVersion: 1\nArchitecture: amd64\n\n", "Packages",
                                     "main", "http://x");
  REQUIRE_FALSE(deb.ok());
  CHECK(deb.error().code() == Code::kIntegrity);
  RecordHostile(kCategory, "Packages stanza without Filename/Size/SHA256", Outcome(deb));

  auto rel = deb::ParseRelease("Suite: x\nSHA256:\n", "InRelease");
  REQUIRE_FALSE(rel.ok());
  CHECK(rel.error().code() == Code::kIntegrity);
  RecordHostile(kCategory, "Release without Date", Outcome(rel));
}

std::string DebStanza(const std::string& name, const std::string& depends, const std::string& sha,
                      const std::string& size = "10") {
  return fmt::format(
      "Package: {}\nVersion: 1\nArchitecture: amd64\n{}Filename: pool/{}_1_amd64.deb\nSize: {}\n"
      "SHA256: {}\n\n",
      name, depends.empty() ? "" : "Depends: " + depends + "\n", name, size, sha);
}

TEST_CASE("hostile index: duplicate packages resolve to one, deterministically",
          "[hostile][index]") {
  std::string a1(64, '1'), a2(64, '2');
  auto deb = deb::ParsePackagesIndex(DebStanza("a", "", a1) + DebStanza("a", "", a2), "Packages",
                                     "main", "http://x");
  REQUIRE(deb.ok());
  solve::DebResolveOptions options;
  options.architecture = "amd64";
  options.with_essential = false;
  auto r = solve::ResolveDeb(*deb, {{"a"}}, options);
  REQUIRE(r.ok());
  REQUIRE(r->packages.size() == 1);
  CHECK(r->packages[0]->sha256 == a1);
  RecordHostile(kCategory, "the same Debian package twice with different SHA256",
                "resolved: counted once, the first stanza wins (its SHA256 is what the fetch "
                "checks)");

  auto apk = apk::ParseApkIndexText(
      "C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:a\nV:1.0-r0\nA:x86_64\nS:10\n\n"
      "C:Q1BBBBBBBBBBBBBBBBBBBBBBBBBBB=\nP:a\nV:1.0-r0\nA:x86_64\nS:10\n\n",
      "APKINDEX");
  REQUIRE(apk.ok());
  solve::ApkResolveRequest req;
  req.arch = "x86_64";
  req.world = apk::ParseDependencyList("a").value();
  // The resolution points into the repositories: keep them alive.
  const std::vector<solve::ApkRepository> repos = {{"r", "", *apk}};
  auto ra = solve::ResolveApk(repos, req);
  REQUIRE(ra.ok());
  REQUIRE(ra->install_order.size() == 1);
  std::string first = ra->install_order[0]->checksum;
  auto again = solve::ResolveApk(repos, req);
  REQUIRE(again.ok());
  CHECK(again->install_order[0]->checksum == first);
  RecordHostile(kCategory, "the same APK name and version twice with different C:",
                "resolved: one is chosen, the same one on every run (" + first + ")");
}

TEST_CASE("hostile index: dependency cycles resolve without looping", "[hostile][index]") {
  auto deb = deb::ParsePackagesIndex(DebStanza("a", "b", std::string(64, 'a')) +
                                         DebStanza("b", "c", std::string(64, 'b')) +
                                         DebStanza("c", "a", std::string(64, 'c')),
                                     "Packages", "main", "http://x");
  REQUIRE(deb.ok());
  solve::DebResolveOptions options;
  options.architecture = "amd64";
  options.with_essential = false;
  auto r = solve::ResolveDeb(*deb, {{"a"}}, options);
  REQUIRE(r.ok());
  std::vector<std::string> names;
  for (auto* p : r->packages) names.push_back(p->name);
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"a", "b", "c"});
  RecordHostile(kCategory, "Debian Depends cycle a -> b -> c -> a",
                "resolved: all three installed, the cycle broken at a Depends edge");

  auto apk = apk::ParseApkIndexText(
      "C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:a\nV:1.0-r0\nA:x86_64\nS:10\nD:b\n\n"
      "C:Q1BBBBBBBBBBBBBBBBBBBBBBBBBBB=\nP:b\nV:1.0-r0\nA:x86_64\nS:10\nD:a\n\n",
      "APKINDEX");
  REQUIRE(apk.ok());
  solve::ApkResolveRequest req;
  req.arch = "x86_64";
  req.world = apk::ParseDependencyList("a").value();
  const std::vector<solve::ApkRepository> repos = {{"r", "", *apk}};
  auto ra = solve::ResolveApk(repos, req);
  REQUIRE(ra.ok());
  CHECK(ra->install_order.size() == 2);
  RecordHostile(kCategory, "APK dependency cycle a <-> b", "resolved: both installed, no loop");
}

fetch::CacheFetcherOptions Offline(const fs::path& cache) {
  fetch::CacheFetcherOptions o;
  o.cache_dir = cache;
  o.retries = 0;
  return o;
}

TEST_CASE("hostile index: absurd sizes and checksum mismatches never enter the cache",
          "[hostile][index]") {
  testing::ScratchDir dir("hostile-size");
  fs::path src = dir.path() / "a_1_amd64.deb";
  Spit(src, "ten bytes!");
  NullReporter reporter;
  fetch::CacheFetcher fetcher(Offline(dir.path() / "cache"), reporter);

  auto huge = deb::ParsePackagesIndex(DebStanza("a", "", std::string(64, 'a'), "1000000000000000000"),
                                      "Packages", "main", "http://x");
  REQUIRE(huge.ok());
  CHECK(huge->at(0).size == 1000000000000000000ull);
  auto r = fetcher.Fetch({.url = src.string(), .cache_key = "deb/a.deb", .immutable = true,
                          .expected_size = huge->at(0).size});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == "'" + src.string() + "' has 10 bytes (expected 1000000000000000000)");
  RecordHostile(kCategory, "Size: 10^18 for a 10-byte package", Outcome(r));

  auto overflow = deb::ParsePackagesIndex(
      DebStanza("a", "", std::string(64, 'a'), "100000000000000000000000"), "Packages", "main",
      "http://x");
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.error().code() == Code::kIntegrity);
  RecordHostile(kCategory, "Size: 10^23 (past 64 bits)", Outcome(overflow));

  auto bad = fetcher.Fetch({.url = src.string(), .cache_key = "deb/b.deb", .immutable = true,
                            .expected_size = 10, .expected_sha256 = std::string(64, '0')});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == Code::kIntegrity);
  CHECK(bad.error().message() == "'" + src.string() + "' has sha256 " + Sha256Hex("ten bytes!") +
                                     " (expected " + std::string(64, '0') + ")");
  CHECK_FALSE(fs::exists(dir.path() / "cache/deb/b.deb"));
  RecordHostile(kCategory, "package bytes not matching the index SHA256", Outcome(bad));
}

TEST_CASE("hostile index: untrusted and misplaced APK signatures are refused",
          "[hostile][index]") {
  fs::path index = ApkFixtures() / "rsa256-signed/APKINDEX.tar.gz";
  auto unknown = extract::ReadApkIndexArchive(index, extract::Keyring(), false);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code() == Code::kIntegrity);
  RecordHostile(kCategory, "APKINDEX signed by a key not in the keyring", Outcome(unknown));

  // A valid signature member in front of other index content.
  testing::ScratchDir dir("hostile-apksig");
  auto members = extract::FindGzipMembers(index);
  REQUIRE(members.ok());
  std::string bytes = Slurp(index);
  std::string other_tar = TarFile("APKINDEX", "P:evil\nV:1-r0\n\n");
  auto other = extract::CompressBytes(other_tar, extract::Compression::kGzip);
  REQUIRE(other.ok());
  fs::path spliced = dir.path() / "APKINDEX.tar.gz";
  Spit(spliced, bytes.substr(0, (*members)[1].offset) + *other);
  extract::Keyring keys;
  REQUIRE(keys.AddFile(ApkFixtures() / "rsa256-signed/test-rsa256.rsa.pub").ok());
  REQUIRE(extract::ReadApkIndexArchive(index, keys, false).ok());
  auto r = extract::ReadApkIndexArchive(spliced, keys, false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == "signature of index '" + spliced.string() +
                                   "' by trusted key 'test-rsa256.rsa.pub' does not verify");
  auto untrusted_too = extract::ReadApkIndexArchive(spliced, keys, true);
  CHECK_FALSE(untrusted_too.ok());
  RecordHostile(kCategory, "a valid APKINDEX signature over different bytes", Outcome(r));
}

// A signed test archive dated `date`; returns its InRelease path.
fs::path SignedSuite(const fs::path& root, int64_t date, const fs::path& secret) {
  testrepo::DebRepoSpec spec;
  spec.epoch = date;
  spec.secret_key = secret;
  testrepo::DebRepoPackage p;
  p.arch = "amd64";
  p.deb.control_text = "Package: hello\nVersion: 1\nArchitecture: amd64\nMaintainer: x <x@x>\n"
                       "Description: a\n";
  spec.packages.push_back(p);
  Status written = testrepo::WriteDebRepository(spec, root);
  INFO((written.ok() ? std::string() : written.error().Render()));
  REQUIRE(written.ok());
  return root / "dists/test/InRelease";
}

TEST_CASE("hostile index: InRelease by unknown, expired or revoked keys is refused",
          "[hostile][index]") {
  testing::ScratchDir dir("hostile-gpg");
  fs::path other = SignedSuite(dir.path() / "other", 1700000000,
                               DebKeys() / "cairn-test-other.secret.asc");
  auto r = deb::VerifyInRelease(other, {DebKeys() / "cairn-test-archive.gpg"}, "suite");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK_THAT(r.error().message(), Catch::StartsWith("InRelease 'suite': signature by unknown key "));
  RecordHostile(kCategory, "InRelease signed by a key outside the keyring", Outcome(r));

  // Signed in 2020 with keys that expired or were revoked (tests/data/deb/keys/README.md).
  std::vector<fs::path> rings = {DebKeys() / "cairn-test-archive.gpg",
                                 DebKeys() / "cairn-test-expired.gpg",
                                 DebKeys() / "cairn-test-revoked.gpg"};
  fs::path fixtures = testing::TestData() / "deb/inrelease";
  for (std::string which : {"expired", "revoked"}) {
    auto v = deb::VerifyInRelease(fixtures / (which + "-key.InRelease"), rings, which);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code() == Code::kIntegrity);
    CHECK_THAT(v.error().message(), Catch::Contains("signature by " + which + " key"));
    RecordHostile(kCategory,
                  std::string("InRelease signed by ") + (which == "expired" ? "an " : "a ") + which +
                      " key",
                  Outcome(v));
  }

  // The signed block of one release under another's signature.
  fs::path good = SignedSuite(dir.path() / "good", 1700000000, DebKeys() / "cairn-test-archive.secret.asc");
  std::string text = Slurp(good);
  size_t at = text.find("Date: ");
  REQUIRE(at != std::string::npos);
  text.replace(at, 6, "Date:  ");
  fs::path modified = dir.path() / "InRelease";
  Spit(modified, text);
  auto m = deb::VerifyInRelease(modified, {DebKeys() / "cairn-test-archive.gpg"}, "suite");
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().code() == Code::kIntegrity);
  RecordHostile(kCategory, "a valid InRelease signature over modified text", Outcome(m));
}

TEST_CASE("hostile index: an older signed index never replaces a newer one in the cache",
          "[hostile][index]") {
  testing::ScratchDir dir("hostile-downgrade");
  fs::path secret = DebKeys() / "cairn-test-archive.secret.asc";
  fs::path newer = SignedSuite(dir.path() / "new", 1700000000, secret);
  fs::path older = SignedSuite(dir.path() / "old", 1600000000, secret);
  fs::path served = dir.path() / "mirror/InRelease";
  fs::create_directories(served.parent_path());
  NullReporter reporter;
  fetch::CacheFetcher fetcher(Offline(dir.path() / "cache"), reporter);
  // What deb_sources.cc's FetchRelease asks: verify, then the signed Date.
  int64_t date = 0;
  fetch::FetchRequest req;
  req.url = served.string();
  req.verify = [&](const fs::path& f) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto v, deb::VerifyInRelease(f, {DebKeys() / "cairn-test-archive.gpg"},
                                                         "mirror"));
    CAIRN_ASSIGN_OR_RETURN(auto rel, deb::ParseRelease(v.text, "mirror"));
    date = rel.date;
    return {};
  };
  req.date_of = [&](const fs::path&) -> Result<int64_t> { return date; };

  fs::copy_file(newer, served, fs::copy_options::overwrite_existing);
  auto first = fetcher.Fetch(req);
  REQUIRE(first.ok());
  CHECK(Slurp(*first) == Slurp(newer));
  REQUIRE(fetcher.Fetch(req).ok());  // the same copy again is fine

  fs::copy_file(older, served, fs::copy_options::overwrite_existing);
  auto replay = fetcher.Fetch(req);
  REQUIRE_FALSE(replay.ok());
  CHECK(replay.error().code() == Code::kIntegrity);
  CHECK(replay.error().message() ==
        "'" + served.string() +
            "' is dated 2020-09-13 12:26:40 UTC, older than the copy dated 2023-11-14 22:13:20 UTC "
            "this cache accepted before");
  CHECK(Slurp(*first) == Slurp(newer));  // the cached copy is kept
  RecordHostile(kCategory, "an older, validly signed InRelease replayed over a newer one",
                Outcome(replay));

  // APK: the signed APKINDEX entry's mtime is the date (Alpine's indexes have one).
  extract::Keyring alpine_keys = *extract::Keyring::LoadDirectory(ApkFixtures() / "alpine-keys");
  auto alpine = extract::ReadApkIndexArchive(
      ApkFixtures() / "alpine-v3.16-x86_64-index/APKINDEX.tar.gz", alpine_keys, false);
  REQUIRE(alpine.ok());
  CHECK(alpine->apkindex_mtime == 1669068262);
  // Two indexes signed by one key, as apk_sources.cc's LoadRepositories fetches them.
  testrepo::RepoOptions opts;
  opts.archs = {"x86_64"};
  opts.private_key = testing::TestData() / "keys/cairn-demo.rsa";
  for (auto [name, epoch] : {std::pair<std::string, int64_t>{"apk-new", 1700000000},
                             std::pair<std::string, int64_t>{"apk-old", 1600000000}}) {
    opts.epoch = epoch;
    REQUIRE(testrepo::BuildRepo({}, opts, dir.path() / name, reporter).ok());
  }
  extract::Keyring keys;
  REQUIRE(keys.AddFile(dir.path() / "apk-new/cairn-demo.rsa.pub").ok());
  fs::path apk_served = dir.path() / "mirror/x86_64/APKINDEX.tar.gz";
  fs::create_directories(apk_served.parent_path());
  int64_t signed_mtime = 0;
  fetch::FetchRequest areq;
  areq.url = apk_served.string();
  areq.verify = [&](const fs::path& f) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto archive, extract::ReadApkIndexArchive(f, keys, false));
    signed_mtime = archive.apkindex_mtime;
    return {};
  };
  areq.date_of = [&](const fs::path&) -> Result<int64_t> { return signed_mtime; };
  fs::copy_file(dir.path() / "apk-new/x86_64/APKINDEX.tar.gz", apk_served,
                fs::copy_options::overwrite_existing);
  auto afirst = fetcher.Fetch(areq);
  REQUIRE(afirst.ok());
  CHECK(signed_mtime == 1700000000);
  std::string cached = Slurp(*afirst);
  fs::copy_file(dir.path() / "apk-old/x86_64/APKINDEX.tar.gz", apk_served,
                fs::copy_options::overwrite_existing);
  REQUIRE(extract::ReadApkIndexArchive(apk_served, keys, false).ok());  // validly signed
  auto areplay = fetcher.Fetch(areq);
  REQUIRE_FALSE(areplay.ok());
  CHECK(areplay.error().code() == Code::kIntegrity);
  CHECK(areplay.error().message() ==
        "'" + apk_served.string() +
            "' is dated 2020-09-13 12:26:40 UTC, older than the copy dated 2023-11-14 22:13:20 UTC "
            "this cache accepted before");
  CHECK(Slurp(*afirst) == cached);
  RecordHostile(kCategory, "an older, validly signed APKINDEX replayed over a newer one",
                Outcome(areplay) +
                    " (dated by the signed APKINDEX entry's mtime; an index with mtime 0, as "
                    "Wolfi's, cannot be told apart)");
}

}  // namespace
}  // namespace cairn::hostile
