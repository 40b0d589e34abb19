// CacheFetcher against local sources (plain paths, file:// URLs): the cache
// protocol, verification, --offline and concurrent fetches of one key.
#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

#include "cairn/digest.h"
#include "cairn/fetch/fetcher.h"
#include "cairn/file_util.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using cairn::Code;
using cairn::fetch::CacheFetcher;
using cairn::fetch::CacheFetcherOptions;
using cairn::fetch::FetchRequest;

namespace {

void Write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

std::string Read(const fs::path& p) { return cairn::ReadFile(p).value(); }

/// Every file in the cache except the lock files, relative and sorted.
std::vector<std::string> CacheFiles(const fs::path& cache) {
  std::vector<std::string> out;
  if (!fs::exists(cache)) return out;
  for (const auto& e : fs::recursive_directory_iterator(cache)) {
    std::string rel = fs::relative(e.path(), cache).string();
    if (e.is_regular_file() && rel.rfind(".locks/", 0) != 0) out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

CacheFetcherOptions Options(const fs::path& cache) {
  CacheFetcherOptions o;
  o.cache_dir = cache;
  o.retries = 0;
  return o;
}

}  // namespace

TEST_CASE("a local path is copied into the cache under its key", "[fetch]") {
  cairn::testing::ScratchDir dir("fetch");
  fs::path src = dir.path() / "src" / "a.apk";
  Write(src, "package bytes");
  cairn::RecordingReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache"), reporter);
  FetchRequest req{src.string(), "apk/x86_64/abc.apk", true, 13, cairn::Sha256Hex("package bytes")};
  auto path = fetcher.Fetch(req);
  REQUIRE(path.ok());
  CHECK(*path == dir.path() / "cache" / "apk/x86_64/abc.apk");
  CHECK(Read(*path) == "package bytes");
  CHECK(CacheFiles(dir.path() / "cache") == std::vector<std::string>{"apk/x86_64/abc.apk"});
  CHECK((fs::status(*path).permissions() & fs::perms::all) == static_cast<fs::perms>(0644));

  // Immutable: served from the cache even after the source disappears.
  fs::remove(src);
  auto again = fetcher.Fetch(req);
  REQUIRE(again.ok());
  CHECK(Read(*again) == "package bytes");
}

TEST_CASE("file:// URLs are decoded and copied", "[fetch]") {
  cairn::testing::ScratchDir dir("fetch");
  fs::path src = dir.path() / "my repo" / "APKINDEX.tar.gz";
  Write(src, "index v1");
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache"), reporter);
  std::string url = "file://" + (dir.path() / "my%20repo" / "APKINDEX.tar.gz").string();
  auto path = fetcher.Fetch({url});
  REQUIRE(path.ok());
  CHECK(Read(*path) == "index v1");
  CHECK(fs::relative(*path, dir.path() / "cache").string() ==
        cairn::fetch::DeriveCacheKey(url));
  CHECK(cairn::fetch::DeriveCacheKey("https://x.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz?a=b") ==
        "url/" + cairn::Sha256Hex("https://x.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz?a=b")
                     .substr(0, 32) + "-APKINDEX.tar.gz");

  // Mutable and online: fetched again, so a changed source is seen.
  Write(src, "index v2");
  auto again = fetcher.Fetch({url});
  REQUIRE(again.ok());
  CHECK(Read(*again) == "index v2");
}

TEST_CASE("a missing source or a bad URL is reported", "[fetch]") {
  cairn::testing::ScratchDir dir("fetch");
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache"), reporter);
  fs::path missing = dir.path() / "nope.apk";
  auto r = fetcher.Fetch({missing.string(), "apk/nope.apk", true});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kNotFound);
  CHECK(r.error().message() == "'" + missing.string() + "' does not exist");

  auto ftp = fetcher.Fetch({"ftp://example.org/x.apk", "apk/x.apk", true});
  REQUIRE_FALSE(ftp.ok());
  CHECK(ftp.error().code() == Code::kConfig);
  CHECK(ftp.error().message() ==
        "unsupported URL scheme 'ftp' in 'ftp://example.org/x.apk' (expected http, https or file)");

  auto rel = fetcher.Fetch({"file://relative/x.apk", "apk/x.apk", true});
  REQUIRE_FALSE(rel.ok());
  CHECK(rel.error().message() ==
        "unsupported file URL 'file://relative/x.apk' (expected file:///absolute/path)");

  for (std::string key : {"../x", "/abs/x", "a/../b", ".locks/x", "a//b"}) {
    auto bad = fetcher.Fetch({missing.string(), key, true});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code() == Code::kInternal);
    CHECK(bad.error().message() == "invalid cache key '" + key +
                                       "' (expected a relative path without '.' or '..' components)");
  }
  CHECK(CacheFiles(dir.path() / "cache").empty());
}

TEST_CASE("a truncated or altered source never enters the cache", "[fetch]") {
  cairn::testing::ScratchDir dir("fetch");
  fs::path src = dir.path() / "a.apk";
  Write(src, std::string(50, 'x'));
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache"), reporter);

  auto short_read = fetcher.Fetch({src.string(), "apk/a.apk", true, 100});
  REQUIRE_FALSE(short_read.ok());
  CHECK(short_read.error().code() == Code::kIntegrity);
  CHECK(short_read.error().message() == "'" + src.string() + "' has 50 bytes (expected 100)");

  std::string wrong(64, '0');
  auto bad_hash = fetcher.Fetch({src.string(), "apk/a.apk", true, 50, wrong});
  REQUIRE_FALSE(bad_hash.ok());
  CHECK(bad_hash.error().code() == Code::kIntegrity);
  CHECK(bad_hash.error().message() == "'" + src.string() + "' has sha256 " +
                                          cairn::Sha256Hex(std::string(50, 'x')) +
                                          " (expected " + wrong + ")");
  CHECK(CacheFiles(dir.path() / "cache").empty());
}

TEST_CASE("a verify callback rejection leaves nothing in the cache", "[fetch]") {
  cairn::testing::ScratchDir dir("fetch");
  fs::path src = dir.path() / "APKINDEX.tar.gz";
  Write(src, "unsigned");
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache"), reporter);
  fs::path seen;
  FetchRequest req{src.string()};
  req.verify = [&](const fs::path& tmp) -> cairn::Status {
    seen = tmp;
    CHECK(Read(tmp) == "unsigned");
    return cairn::IntegrityError("'APKINDEX.tar.gz' has no signature");
  };
  auto r = fetcher.Fetch(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == "'APKINDEX.tar.gz' has no signature");
  CHECK(seen.parent_path() == (dir.path() / "cache" / cairn::fetch::DeriveCacheKey(src.string()))
                                  .parent_path());
  CHECK_FALSE(fs::exists(seen));
  CHECK(CacheFiles(dir.path() / "cache").empty());
}

TEST_CASE("offline serves only cached entries", "[fetch]") {
  cairn::testing::ScratchDir dir("fetch");
  fs::path cache = dir.path() / "cache";
  fs::path pkg = dir.path() / "a.apk";
  fs::path index = dir.path() / "APKINDEX.tar.gz";
  Write(pkg, "pkg");
  Write(index, "index v1");
  cairn::NullReporter reporter;
  {
    CacheFetcher online(Options(cache), reporter);
    REQUIRE(online.Fetch({pkg.string(), "apk/a.apk", true, 3}).ok());
    REQUIRE(online.Fetch({index.string()}).ok());
  }
  Write(index, "index v2");
  auto options = Options(cache);
  options.offline = true;
  CacheFetcher offline(options, reporter);

  auto p = offline.Fetch({pkg.string(), "apk/a.apk", true, 3});
  REQUIRE(p.ok());
  CHECK(Read(*p) == "pkg");
  // A mutable entry is not refreshed offline: the cached copy is used.
  auto i = offline.Fetch({index.string()});
  REQUIRE(i.ok());
  CHECK(Read(*i) == "index v1");

  auto missing = offline.Fetch({"https://example.org/b.apk", "apk/b.apk", true});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Code::kNotFound);
  CHECK(missing.error().message() ==
        "'https://example.org/b.apk' is not in the cache and --offline was given");

  // A corrupt cached entry cannot be repaired offline.
  Write(cache / "apk/a.apk", "pk");
  auto corrupt = offline.Fetch({pkg.string(), "apk/a.apk", true, 3});
  REQUIRE_FALSE(corrupt.ok());
  CHECK(corrupt.error().code() == Code::kIntegrity);
  CHECK(corrupt.error().Render() == "checking the cached copy of '" + pkg.string() + "': '" +
                                        pkg.string() + "' has 2 bytes (expected 3)");
}

TEST_CASE("a corrupt immutable entry is fetched again", "[fetch]") {
  cairn::testing::ScratchDir dir("fetch");
  fs::path cache = dir.path() / "cache";
  fs::path pkg = dir.path() / "a.apk";
  Write(pkg, "good");
  cairn::RecordingReporter reporter;
  CacheFetcher fetcher(Options(cache), reporter);
  int verified = 0;
  FetchRequest req{pkg.string(), "apk/a.apk", true};
  req.verify = [&](const fs::path& f) -> cairn::Status {
    ++verified;
    if (Read(f) != "good") return cairn::IntegrityError("control hash mismatch");
    return {};
  };
  REQUIRE(fetcher.Fetch(req).ok());
  CHECK(verified == 1);
  REQUIRE(fetcher.Fetch(req).ok());  // cheap re-verification of the cached entry
  CHECK(verified == 2);
  Write(cache / "apk/a.apk", "evil");
  auto r = fetcher.Fetch(req);
  REQUIRE(r.ok());
  CHECK(Read(*r) == "good");
  CHECK(verified == 4);
  auto lines = reporter.lines();
  CHECK(std::count(lines.begin(), lines.end(),
                   "warning: cached copy of '" + pkg.string() +
                       "' is corrupt (control hash mismatch); fetching it again") == 1);
}

TEST_CASE("verify_cached replaces verify for entries already in the cache", "[fetch]") {
  cairn::testing::ScratchDir dir("fetch");
  fs::path cache = dir.path() / "cache";
  fs::path pkg = dir.path() / "a.apk";
  Write(pkg, "good");
  cairn::RecordingReporter reporter;
  CacheFetcher fetcher(Options(cache), reporter);
  std::vector<std::string> calls;
  FetchRequest req{pkg.string(), "apk/a.apk", true};
  req.verify = [&](const fs::path& f) -> cairn::Status {
    calls.push_back("full " + Read(f));
    return Read(f) == "good" ? cairn::Status{} : cairn::IntegrityError("data hash mismatch");
  };
  req.verify_cached = [&](const fs::path& f) -> cairn::Status {
    calls.push_back("cached " + Read(f));
    return Read(f).size() == 4 ? cairn::Status{} : cairn::IntegrityError("bad control member");
  };
  REQUIRE(fetcher.Fetch(req).ok());  // downloaded: the full check
  REQUIRE(fetcher.Fetch(req).ok());  // cached: the cheaper one
  CHECK(calls == std::vector<std::string>{"full good", "cached good"});
  // A cached entry the cheap check rejects is fetched again and fully checked.
  Write(cache / "apk/a.apk", "bad");
  calls.clear();
  auto r = fetcher.Fetch(req);
  REQUIRE(r.ok());
  CHECK(Read(*r) == "good");
  CHECK(calls == std::vector<std::string>{"cached bad", "full good"});
}

TEST_CASE("two threads fetching one key share one copy", "[fetch]") {
  cairn::testing::ScratchDir dir("fetch");
  fs::path pkg = dir.path() / "big.apk";
  std::string content(4 << 20, 'z');
  Write(pkg, content);
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache"), reporter);
  std::atomic<int> copies{0};
  FetchRequest req{pkg.string(), "apk/big.apk", true, content.size()};
  req.verify = [&](const fs::path& f) -> cairn::Status {
    if (f.filename() != "big.apk") ++copies;  // a fresh temporary file, not the cache entry
    return {};
  };
  std::vector<cairn::Result<fs::path>> results(2, cairn::InternalError("not run"));
  std::thread a([&] { results[0] = fetcher.Fetch(req); });
  std::thread b([&] { results[1] = fetcher.Fetch(req); });
  a.join();
  b.join();
  REQUIRE(results[0].ok());
  REQUIRE(results[1].ok());
  CHECK(*results[0] == *results[1]);
  CHECK(copies == 1);
  CHECK(Read(*results[0]).size() == content.size());
  CHECK(CacheFiles(dir.path() / "cache") == std::vector<std::string>{"apk/big.apk"});
}
