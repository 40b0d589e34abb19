#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "cairn/parallel.h"

namespace cairn {
namespace {

TEST_CASE("ParallelFor runs every index once, on more than one thread", "[base][parallel]") {
  std::vector<std::atomic<int>> calls(1000);
  std::mutex mu;
  std::set<std::thread::id> threads;
  Status st = ParallelFor(calls.size(), 4, [&](size_t i) -> Status {
    calls[i]++;
    {
      std::lock_guard<std::mutex> lock(mu);
      threads.insert(std::this_thread::get_id());
    }
    // Slow enough that no single thread can take every index.
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    return {};
  });
  REQUIRE(st.ok());
  for (auto& c : calls) CHECK(c.load() == 1);
  CHECK(threads.size() >= 2);
}

TEST_CASE("ParallelFor reports the lowest failing index and stops handing out work",
          "[base][parallel]") {
  std::atomic<size_t> started{0};
  Status st = ParallelFor(10000, 2, [&](size_t i) -> Status {
    started++;
    if (i == 7 || i == 3) return IntegrityError("bad " + std::to_string(i));
    return {};
  });
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message() == "bad 3");
  CHECK(started.load() < 10000);
}

TEST_CASE("ParallelFor with nothing to do, or one worker, is plain iteration", "[base][parallel]") {
  CHECK(ParallelFor(0, 4, [](size_t) -> Status { return InternalError("never"); }).ok());
  std::vector<size_t> order;
  REQUIRE(ParallelFor(5, 1, [&](size_t i) -> Status {
            order.push_back(i);
            return {};
          }).ok());
  CHECK(order == std::vector<size_t>{0, 1, 2, 3, 4});
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST_CASE("ReadAhead hands out results in order and runs work ahead", "[base][parallel]") {
  std::atomic<size_t> highest_started{0};
  ReadAhead<std::string> ahead(6, 2, [&](size_t i) -> Result<std::string> {
    size_t seen = highest_started.load();
    while (i > seen && !highest_started.compare_exchange_weak(seen, i)) {
    }
    if (i == 4) return IntegrityError("item 4 is corrupt");
    return "item " + std::to_string(i);
  });
  auto first = ahead.Take(0);
  REQUIRE(first.ok());
  CHECK(*first == "item 0");
  CHECK(highest_started.load() <= 2);  // never more than the window ahead
  for (size_t i = 1; i < 4; ++i) CHECK(*ahead.Take(i) == "item " + std::to_string(i));
  auto bad = ahead.Take(4);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() == "item 4 is corrupt");
  CHECK(ahead.Take(4).error().code() == Code::kInternal);  // each item once
  CHECK(ahead.Take(9).error().code() == Code::kInternal);
}

}  // namespace
}  // namespace cairn
