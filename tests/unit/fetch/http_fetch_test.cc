// CacheFetcher over real HTTP against a scripted server on 127.0.0.1: status
// codes, retries, truncation, stalls and redirects. Timeouts are bounded to a
// few seconds so a regression fails instead of hanging.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "cairn/digest.h"
#include "cairn/fetch/fetcher.h"
#include "cairn/file_util.h"
#include "support/test_support.h"
#include "unit/fetch/test_http_server.h"

namespace fs = std::filesystem;
using cairn::Code;
using cairn::fetch::CacheFetcher;
using cairn::fetch::CacheFetcherOptions;
using cairn::fetch::FetchRequest;
using cairn::testing::HttpRoute;
using cairn::testing::TestHttpServer;

namespace {

CacheFetcherOptions Options(const fs::path& cache, int retries = 0) {
  CacheFetcherOptions o;
  o.cache_dir = cache;
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.stall_timeout = std::chrono::milliseconds(1000);
  o.retries = retries;
  o.retry_backoff = std::chrono::milliseconds(10);
  return o;
}

bool CacheHasNoEntries(const fs::path& cache) {
  if (!fs::exists(cache)) return true;
  for (const auto& e : fs::recursive_directory_iterator(cache)) {
    std::string rel = fs::relative(e.path(), cache).string();
    if (e.is_regular_file() && rel.rfind(".locks/", 0) != 0) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("http: a 200 response is cached and served from the cache", "[fetch][http]") {
  TestHttpServer server;
  server.Route("/x86_64/a-1.0-r0.apk", HttpRoute{200, "apk body"});
  cairn::testing::ScratchDir dir("fetch-http");
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache"), reporter);
  FetchRequest req{server.Url("/x86_64/a-1.0-r0.apk"), "apk/x86_64/aa.apk", true, 8,
                   cairn::Sha256Hex("apk body")};
  auto path = fetcher.Fetch(req);
  REQUIRE(path.ok());
  CHECK(cairn::ReadFile(*path).value() == "apk body");
  REQUIRE(fetcher.Fetch(req).ok());
  CHECK(server.Hits("/x86_64/a-1.0-r0.apk") == 1);
}

TEST_CASE("http: 404 is final, 5xx is retried a bounded number of times", "[fetch][http]") {
  TestHttpServer server;
  server.Route("/flaky", HttpRoute{200, "ok now", {}, {}, false, "", 2});
  server.Route("/down", HttpRoute{500, "boom"});
  cairn::testing::ScratchDir dir("fetch-http");
  cairn::RecordingReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache", 2), reporter);

  auto missing = fetcher.Fetch({server.Url("/missing")});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Code::kNotFound);
  CHECK(missing.error().message() == "cannot download '" + server.Url("/missing") + "': HTTP 404");
  CHECK(server.Hits("/missing") == 1);

  auto flaky = fetcher.Fetch({server.Url("/flaky")});
  REQUIRE(flaky.ok());
  CHECK(cairn::ReadFile(*flaky).value() == "ok now");
  CHECK(server.Hits("/flaky") == 3);
  auto lines = reporter.lines();
  CHECK(std::find(lines.begin(), lines.end(),
                  "warning: cannot download '" + server.Url("/flaky") +
                      "': HTTP 503; retrying in 20 ms (3 of 3)") != lines.end());

  auto down = fetcher.Fetch({server.Url("/down")});
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().code() == Code::kIo);
  CHECK(down.error().message() ==
        "cannot download '" + server.Url("/down") + "': HTTP 500 (gave up after 3 attempts)");
  CHECK(server.Hits("/down") == 3);
  CHECK(CacheHasNoEntries(dir.path() / "cache") == false);  // only /flaky's entry
}

TEST_CASE("http: a body cut short of its Content-Length is detected", "[fetch][http]") {
  TestHttpServer server;
  server.Route("/short", HttpRoute{200, std::string(100, 'a'), {}, size_t{40}});
  cairn::testing::ScratchDir dir("fetch-http");
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache", 1), reporter);
  auto r = fetcher.Fetch({server.Url("/short"), "apk/short.apk", true});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIo);
  CHECK(r.error().message() == "cannot download '" + server.Url("/short") +
                                   "': transfer closed with 60 bytes remaining to read "
                                   "(gave up after 2 attempts)");
  CHECK(server.Hits("/short") == 2);
  CHECK(CacheHasNoEntries(dir.path() / "cache"));
}

TEST_CASE("http: a body longer than expected fails the size check", "[fetch][http]") {
  TestHttpServer server;
  server.Route("/long", HttpRoute{200, std::string(20, 'b')});
  cairn::testing::ScratchDir dir("fetch-http");
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache"), reporter);
  auto r = fetcher.Fetch({server.Url("/long"), "apk/long.apk", true, 10});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIntegrity);
  CHECK(r.error().message() == "'" + server.Url("/long") + "' has 20 bytes (expected 10)");
  CHECK(CacheHasNoEntries(dir.path() / "cache"));
}

TEST_CASE("http: a stalled server times out instead of hanging", "[fetch][http]") {
  TestHttpServer server;
  server.Route("/stall", HttpRoute{200, std::string(100, 'c'), {}, size_t{10}, true});
  cairn::testing::ScratchDir dir("fetch-http");
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache"), reporter);
  auto start = std::chrono::steady_clock::now();
  auto r = fetcher.Fetch({server.Url("/stall"), "apk/stall.apk", true});
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIo);
  CHECK(r.error().message() ==
        "cannot download '" + server.Url("/stall") + "': no data received for 1000 ms");
  CHECK(took < std::chrono::seconds(5));
  CHECK(CacheHasNoEntries(dir.path() / "cache"));
}

TEST_CASE("http: redirects are followed to http only", "[fetch][http]") {
  TestHttpServer server;
  cairn::testing::ScratchDir dir("fetch-http");
  server.Route("/moved", HttpRoute{302, "", {}, {}, false, server.Url("/real")});
  server.Route("/real", HttpRoute{200, "real body"});
  server.Route("/to-file", HttpRoute{302, "", {}, {}, false, "file:///etc/passwd"});
  server.Route("/loop", HttpRoute{302, "", {}, {}, false, server.Url("/loop")});
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache", 2), reporter);

  auto moved = fetcher.Fetch({server.Url("/moved")});
  REQUIRE(moved.ok());
  CHECK(cairn::ReadFile(*moved).value() == "real body");

  auto to_file = fetcher.Fetch({server.Url("/to-file"), "x/passwd", true});
  REQUIRE_FALSE(to_file.ok());
  CHECK(to_file.error().code() == Code::kIo);
  CHECK(to_file.error().message() == "cannot download '" + server.Url("/to-file") +
                                         "': Protocol \"file\" not supported or disabled in libcurl");
  CHECK(server.Hits("/to-file") == 1);  // not retried
  CHECK_FALSE(fs::exists(dir.path() / "cache/x/passwd"));

  auto loop = fetcher.Fetch({server.Url("/loop")});
  REQUIRE_FALSE(loop.ok());
  CHECK(loop.error().message() ==
        "cannot download '" + server.Url("/loop") + "': Maximum (5) redirects followed");
  CHECK(server.Hits("/loop") == 6);
}

TEST_CASE("http: concurrent fetches of one key download once", "[fetch][http]") {
  TestHttpServer server;
  server.Route("/slow.apk", HttpRoute{200, "slow body", {}, {}, false, "", 0,
                                      std::chrono::milliseconds(300)});
  cairn::testing::ScratchDir dir("fetch-http");
  cairn::NullReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache"), reporter);
  FetchRequest req{server.Url("/slow.apk"), "apk/slow.apk", true, 9};
  std::vector<cairn::Result<fs::path>> results(2, cairn::InternalError("not run"));
  std::thread a([&] { results[0] = fetcher.Fetch(req); });
  std::thread b([&] { results[1] = fetcher.Fetch(req); });
  a.join();
  b.join();
  REQUIRE(results[0].ok());
  REQUIRE(results[1].ok());
  CHECK(cairn::ReadFile(*results[0]).value() == "slow body");
  CHECK(server.Hits("/slow.apk") == 1);
}

TEST_CASE("http: a refused connection is retried, then reported", "[fetch][http]") {
  // A port that was free a moment ago: nothing listens there.
  int port = 0;
  {
    TestHttpServer probe;
    port = std::stoi(probe.Url("").substr(std::string("http://127.0.0.1:").size()));
  }
  cairn::testing::ScratchDir dir("fetch-http");
  cairn::RecordingReporter reporter;
  CacheFetcher fetcher(Options(dir.path() / "cache", 1), reporter);
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x.apk";
  auto r = fetcher.Fetch({url, "apk/x.apk", true});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIo);
  CHECK_THAT(r.error().message(),
             Catch::StartsWith("cannot download '" + url + "': Failed to connect to 127.0.0.1 port " +
                               std::to_string(port)) &&
                 Catch::EndsWith("Couldn't connect to server (gave up after 2 attempts)"));
  auto lines = reporter.lines();
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
          return l.rfind("warning: cannot download", 0) == 0;
        }) == 1);  // the one retry
}
