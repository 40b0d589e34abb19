// Hostile HTTP servers, scripted on 127.0.0.1 (tests/unit/fetch's server):
// redirects to other schemes, stalls, early close, wrong Content-Length.
// Every transfer is bounded in time and retries; nothing half-read is cached.
#include <catch2/catch.hpp>

#include <chrono>

#include "cairn/fetch/fetcher.h"
#include "cairn/reporter.h"
#include "unit/fetch/test_http_server.h"
#include "unit/hostile/hostile_util.h"

namespace cairn::hostile {
namespace {

using testing::HttpRoute;
using testing::Outcome;
using testing::RecordHostile;
using testing::TestHttpServer;

const char* kCategory = "HTTP";

fetch::CacheFetcherOptions Bounded(const fs::path& cache) {
  fetch::CacheFetcherOptions o;
  o.cache_dir = cache;
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.stall_timeout = std::chrono::milliseconds(500);
  o.retries = 1;
  o.retry_backoff = std::chrono::milliseconds(10);
  return o;
}

TEST_CASE("hostile http: misbehaving servers are bounded and refused", "[hostile][http]") {
  TestHttpServer server;
  server.Route("/to-file", HttpRoute{302, "", {}, {}, false, "file:///etc/passwd"});
  server.Route("/to-ftp", HttpRoute{302, "", {}, {}, false, "ftp://127.0.0.1/x"});
  server.Route("/stall", HttpRoute{200, std::string(100, 's'), {}, size_t{10}, true});
  server.Route("/close", HttpRoute{200, std::string(100, 'c'), {}, size_t{40}});
  server.Route("/long", HttpRoute{200, std::string(100, 'l'), size_t{50}});
  server.Route("/redirect-loop", HttpRoute{302, "", {}, {}, false, server.Url("/redirect-loop")});
  testing::ScratchDir dir("hostile-http");
  NullReporter reporter;
  fetch::CacheFetcher fetcher(Bounded(dir.path() / "cache"), reporter);
  struct Case {
    std::string what, path;
    uint64_t size;
  };
  for (const Case& c : std::vector<Case>{
           {"redirect from http to file:///etc/passwd", "/to-file", 0},
           {"redirect from http to ftp://", "/to-ftp", 0},
           {"server stalls after 10 bytes", "/stall", 0},
           {"server closes 60 bytes short of Content-Length", "/close", 0},
           {"Content-Length smaller than the body (index promised 100 bytes)", "/long", 100},
           {"endless redirect loop", "/redirect-loop", 0},
       }) {
    INFO(c.what);
    auto start = std::chrono::steady_clock::now();
    auto r = fetcher.Fetch({.url = server.Url(c.path), .cache_key = "x" + c.path,
                            .immutable = true, .expected_size = c.size});
    auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(r.ok());
    CHECK(took < std::chrono::seconds(5));
    CHECK(server.Hits(c.path) <= 6);
    CHECK_FALSE(fs::exists(dir.path() / "cache/x" / c.path.substr(1)));
    RecordHostile(kCategory, c.what, Outcome(r));
  }
}

}  // namespace
}  // namespace cairn::hostile
