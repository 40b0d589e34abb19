#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>
#include <vector>

#include "cairn/digest.h"
#include "cairn/rootfs/tree.h"
#include "support/test_support.h"

namespace cairn::rootfs {
namespace {

// Streams `total` bytes of a repeating pattern in chunks of at most `chunk`.
ContentReader PatternReader(uint64_t total, size_t chunk, uint64_t* pos) {
  return [=](char* buf, size_t cap) -> Result<size_t> {
    size_t n = static_cast<size_t>(std::min<uint64_t>({cap, chunk, total - *pos}));
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>('a' + (*pos + i) % 26);
    *pos += n;
    return n;
  };
}

TEST_CASE("content store spools appended bytes and reads them back", "[rootfs]") {
  testing::ScratchDir dir("store");
  auto store = ContentStore::Create(dir.path());
  REQUIRE(store.ok());
  auto a = (*store)->AppendBytes("hello");
  auto b = (*store)->AppendBytes("world!");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->offset == 0);
  CHECK(a->size == 5);
  CHECK(b->offset == 5);
  CHECK(*(*store)->ReadAll(*b) == "world!");
  char buf[4];
  auto n = (*store)->ReadAt(*b, 4, buf, sizeof buf);
  REQUIRE(n.ok());
  CHECK(std::string(buf, *n) == "d!");
  CHECK(*(*store)->ReadAt(*b, 6, buf, sizeof buf) == 0);
  // The spool is anonymous: nothing is left in the directory.
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("content store append streams, checks the size and hashes with sha1", "[rootfs]") {
  testing::ScratchDir dir("store");
  auto store = ContentStore::Create(dir.path());
  REQUIRE(store.ok());
  uint64_t pos = 0;
  const uint64_t total = 200 * 1000 + 7;  // several 64 KiB buffers plus a tail
  std::string sha1;
  auto blob = (*store)->Append(PatternReader(total, 1000, &pos), total, &sha1);
  REQUIRE(blob.ok());
  CHECK(blob->size == total);
  auto all = (*store)->ReadAll(*blob);
  REQUIRE(all.ok());
  CHECK(sha1 == Sha1(*all));
  CHECK((*all)[26] == 'a');

  SECTION("short content is an integrity error; blobs stored before it are intact") {
    uint64_t p = 0;
    auto bad = (*store)->Append(PatternReader(10, 64, &p), 11);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code() == Code::kIntegrity);
    CHECK(bad.error().message() == "content is 10 bytes, expected 11 bytes");
    auto next = (*store)->AppendBytes("x");
    REQUIRE(next.ok());
    CHECK(next->offset >= total);  // after the failed append's unused range
    CHECK(*(*store)->ReadAll(*next) == "x");
    CHECK(Sha1(*(*store)->ReadAll(*blob)) == sha1);
  }
  SECTION("long content is an integrity error") {
    uint64_t p = 0;
    auto bad = (*store)->Append(PatternReader(10, 64, &p), 9);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code() == Code::kIntegrity);
    CHECK(bad.error().message() == "content is longer than the expected 9 bytes");
  }
  SECTION("a reader error is passed on") {
    ContentReader failing = [](char*, size_t) -> Result<size_t> { return IoError("boom"); };
    auto bad = (*store)->Append(failing, 3);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message() == "boom");
  }
}

TEST_CASE("content store appends from several threads at once without overlap", "[rootfs]") {
  testing::ScratchDir dir("store");
  auto store = ContentStore::Create(dir.path());
  REQUIRE(store.ok());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::vector<std::pair<Blob, std::string>>> written(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string content(static_cast<size_t>(1 + (i * 37 + t * 11) % 3000),
                            static_cast<char>('A' + t));
        content += std::to_string(i);
        uint64_t pos = 0;
        ContentReader reader = [&](char* buf, size_t cap) -> Result<size_t> {
          size_t n = std::min<size_t>({cap, 100, content.size() - pos});  // many small writes
          std::copy_n(content.data() + pos, n, buf);
          pos += n;
          return n;
        };
        auto blob = (*store)->Append(reader, content.size());
        if (blob.ok()) written[t].push_back({*blob, content});
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& list : written) {
    REQUIRE(list.size() == kPerThread);
    for (const auto& [blob, content] : list) CHECK(*(*store)->ReadAll(blob) == content);
  }
}

TEST_CASE("content store in a missing directory fails with the path", "[rootfs]") {
  auto store = ContentStore::Create("/nonexistent-cairn-dir");
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code() == Code::kIo);
  CHECK(store.error().message() ==
        "creating content spool in '/nonexistent-cairn-dir': No such file or directory");
}

}  // namespace
}  // namespace cairn::rootfs
