// LayerCache: hits, misses, corrupt entries, placing cached blobs into a
// layout by link or copy, and concurrent stores of one key.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <thread>
#include <vector>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/oci/layer_cache.h"
#include "support/test_support.h"

namespace cairn::oci {
namespace {

namespace fs = std::filesystem;
using testing::RunCommand;

const std::string kKey = "0123456789abcdef";

struct CacheFixture {
  testing::ScratchDir dir{"oci-layer-cache"};
  std::unique_ptr<rootfs::ContentStore> store =
      std::move(rootfs::ContentStore::Create(dir.path()).value());
  rootfs::Tree tree{*store};
  OciLayoutWriter layout = std::move(OciLayoutWriter::Open(dir.path() / "built").value());
  LayerCache cache = std::move(LayerCache::Open(dir.path() / "cache/layers").value());
  LayerResult layer;

  CacheFixture() {
    REQUIRE(tree.AddFile("etc/os-release", "ID=cairn\n", 0644, 0, 0, 100).ok());
    REQUIRE(tree.AddFile("usr/bin/hello", "#!/bin/sh\necho hello\n", 0755, 0, 0, 100).ok());
    auto l = layout.AddLayer(tree);
    REQUIRE(l.ok());
    layer = *l;
  }
  fs::path Built() const { return layout.BlobPath(layer.digest); }
};

ino_t Inode(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_ino;
}

size_t CountFiles(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) ++n;
  return n;
}

void CheckSame(const LayerResult& a, const LayerResult& b) {
  CHECK(a.digest == b.digest);
  CHECK(a.diff_id == b.diff_id);
  CHECK(a.size == b.size);
  CHECK(a.uncompressed_size == b.uncompressed_size);
}

TEST_CASE("layer cache stores a layer once and finds it by key", "[oci][layer_cache]") {
  CacheFixture f;
  auto miss = f.cache.Find(kKey);
  REQUIRE(miss.ok());
  CHECK_FALSE(miss->has_value());

  REQUIRE(f.cache.Store(kKey, f.layer, f.Built()).ok());
  auto hit = f.cache.Find(kKey, /*verify_digest=*/true);
  REQUIRE(hit.ok());
  REQUIRE(hit->has_value());
  CheckSame(**hit, f.layer);
  CHECK((*hit)->timings.total_seconds == 0);
  // Same filesystem: the cache holds a hard link, not a second copy.
  const fs::path cached = f.cache.BlobPath(f.layer);
  CHECK(cached == f.dir.path() / "cache/layers/blobs/sha256" / f.layer.digest.substr(7));
  CHECK(Inode(cached) == Inode(f.Built()));
  CHECK(*ReadFile(f.cache.dir() / "keys" / (kKey + ".json")) ==
        fmt::format("{{\"diff_id\":\"{}\",\"digest\":\"{}\",\"size\":{},"
                    "\"uncompressed_size\":{}}}",
                    f.layer.diff_id, f.layer.digest, f.layer.size, f.layer.uncompressed_size));

  SECTION("a second key for the same layer shares the blob") {
    REQUIRE(f.cache.Store("ff", f.layer, f.Built()).ok());
    CHECK(CountFiles(f.cache.dir() / "blobs") == 1);
    CHECK(CountFiles(f.cache.dir() / "keys") == 2);
  }
  SECTION("AddTo places the blob into another layout without recompressing") {
    auto other = OciLayoutWriter::Open(f.dir.path() / "next");
    REQUIRE(other.ok());
    auto placed = f.cache.AddTo(*other, **hit);
    REQUIRE(placed.ok());
    CheckSame(*placed, f.layer);
    const fs::path blob = other->BlobPath(f.layer.digest);
    CHECK(Inode(blob) == Inode(cached));
    // The layout is complete and valid: umoci verifies every digest and diff_id.
    ImageConfigSpec spec;
    spec.arch = "x86_64";
    auto image = other->AddImage(spec, {*placed});
    REQUIRE(image.ok());
    REQUIRE(other->TagImages("cached", {*image}).ok());
    REQUIRE(other->Commit().ok());
    auto r = RunCommand({"umoci", "unpack", "--rootless", "--image",
                         (f.dir.path() / "next").string() + ":cached",
                         (f.dir.path() / "bundle").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(*ReadFile(f.dir.path() / "bundle/rootfs/usr/bin/hello") == "#!/bin/sh\necho hello\n");
    // Adding it again keeps what is there.
    REQUIRE(f.cache.AddTo(*other, **hit).ok());
    CHECK(Inode(blob) == Inode(cached));
  }
  SECTION("the blob outlives the layout it came from") {
    fs::remove_all(f.dir.path() / "built");
    auto again = f.cache.Find(kKey, /*verify_digest=*/true);
    REQUIRE(again.ok());
    CHECK(again->has_value());
  }
  SECTION("storing again under the key replaces the record") {
    REQUIRE(f.tree.AddFile("etc/motd", "new\n").ok());
    auto second = f.layout.AddLayer(f.tree);
    REQUIRE(second.ok());
    REQUIRE(f.cache.Store(kKey, *second, f.layout.BlobPath(second->digest)).ok());
    auto now = f.cache.Find(kKey);
    REQUIRE(now.ok());
    REQUIRE(now->has_value());
    CHECK((*now)->digest == second->digest);
  }
  // No temporary files are left anywhere in the cache.
  for (const auto& e : fs::recursive_directory_iterator(f.cache.dir()))
    CHECK(e.path().filename().string().rfind(".tmp", 0) == std::string::npos);
}

TEST_CASE("layer cache treats a missing or corrupt entry as a miss", "[oci][layer_cache]") {
  CacheFixture f;
  REQUIRE(f.cache.Store(kKey, f.layer, f.Built()).ok());
  const fs::path cached = f.cache.BlobPath(f.layer);
  const fs::path record = f.cache.dir() / "keys" / (kKey + ".json");
  auto expect_miss = [&](bool verify) {
    auto r = f.cache.Find(kKey, verify);
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
  };

  SECTION("the blob is gone") {
    fs::remove(cached);
    expect_miss(false);
    // AddTo refuses rather than placing nothing.
    auto r = f.cache.AddTo(f.layout, f.layer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kNotFound);
  }
  SECTION("the blob is truncated") {
    fs::remove(cached);  // break the link first: the built layout keeps its copy
    REQUIRE(WriteFileAtomic(cached, ReadFile(f.Built())->substr(0, 10)).ok());
    expect_miss(false);
  }
  SECTION("the blob has the right size but other bytes") {
    fs::remove(cached);
    REQUIRE(WriteFileAtomic(cached, std::string(f.layer.size, 'x')).ok());
    auto unverified = f.cache.Find(kKey);
    REQUIRE(unverified.ok());
    CHECK(unverified->has_value());  // only the size is checked without verify_digest
    expect_miss(true);
  }
  SECTION("the record is not json") {
    REQUIRE(WriteFileAtomic(record, "{\"digest\":").ok());
    expect_miss(false);
  }
  SECTION("the record lacks a field or has a bad digest") {
    REQUIRE(WriteFileAtomic(record, fmt::format("{{\"digest\":\"{}\",\"size\":{}}}",
                                                f.layer.digest, f.layer.size))
                .ok());
    expect_miss(false);
    REQUIRE(WriteFileAtomic(record, fmt::format("{{\"diff_id\":\"{}\",\"digest\":\"sha256:../x\","
                                                "\"size\":{},\"uncompressed_size\":1}}",
                                                f.layer.diff_id, f.layer.size))
                .ok());
    expect_miss(false);
  }
}

TEST_CASE("layer cache rejects bad keys and blobs that do not match", "[oci][layer_cache]") {
  CacheFixture f;
  for (const std::string& bad :
       std::vector<std::string>{"", "ABCD", "../x", "12 3", std::string(129, 'a')}) {
    auto r = f.cache.Find(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kUsage);
    CHECK(r.error().message() ==
          fmt::format("layer cache key '{}' is not a lowercase hex string of 1 to 128 digits",
                      bad));
  }
  SECTION("a blob file whose bytes are not the digest") {
    const fs::path fake = f.dir.path() / "fake";
    REQUIRE(WriteFileAtomic(fake, std::string(f.layer.size, 'x')).ok());
    Status st = f.cache.Store(kKey, f.layer, fake);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().Render() ==
          fmt::format("storing layer {} in the cache: '{}' has sha256 {} (expected {})",
                      f.layer.digest, fake.string(), Sha256Hex(std::string(f.layer.size, 'x')),
                      f.layer.digest.substr(7)));
  }
  SECTION("a blob file that is missing") {
    Status st = f.cache.Store(kKey, f.layer, f.dir.path() / "nope");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code() == Code::kIntegrity);
    CHECK(st.error().message() ==
          fmt::format("'{}' is missing (expected a file of {} bytes)",
                      (f.dir.path() / "nope").string(), f.layer.size));
  }
  auto r = f.cache.Find(kKey);
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
  CHECK(CountFiles(f.cache.dir()) == 0);
}

TEST_CASE("layer cache copies and verifies across filesystems", "[oci][layer_cache]") {
  CacheFixture f;
  REQUIRE(f.cache.Store(kKey, f.layer, f.Built()).ok());
  // /dev/shm is a tmpfs: link(2) from the build tree to it fails with EXDEV.
  struct stat shm {}, here {};
  REQUIRE(::stat("/dev/shm", &shm) == 0);
  REQUIRE(::stat(f.dir.path().c_str(), &here) == 0);
  REQUIRE(shm.st_dev != here.st_dev);
  char templ[] = "/dev/shm/cairn-layer-cache.XXXXXX";
  REQUIRE(::mkdtemp(templ) != nullptr);
  const fs::path shm_dir = templ;
  struct Cleanup {
    fs::path p;
    ~Cleanup() { fs::remove_all(p); }
  } cleanup{shm_dir};

  auto other = OciLayoutWriter::Open(shm_dir / "layout");
  REQUIRE(other.ok());
  SECTION("a good blob is copied byte for byte") {
    auto placed = f.cache.AddTo(*other, f.layer);
    REQUIRE(placed.ok());
    const fs::path blob = other->BlobPath(f.layer.digest);
    CHECK(*ReadFile(blob) == *ReadFile(f.cache.BlobPath(f.layer)));
    CHECK(fs::hard_link_count(blob) == 1);
    CHECK((fs::status(blob).permissions() & fs::perms::others_read) != fs::perms::none);
  }
  SECTION("a corrupt blob is caught while copying and nothing is placed") {
    const fs::path cached = f.cache.BlobPath(f.layer);
    fs::remove(cached);
    REQUIRE(WriteFileAtomic(cached, std::string(f.layer.size, 'x')).ok());
    auto placed = f.cache.AddTo(*other, f.layer);
    REQUIRE_FALSE(placed.ok());
    CHECK(placed.error().code() == Code::kIntegrity);
    CHECK(CountFiles(shm_dir / "layout/blobs") == 0);
  }
  SECTION("a cache on another filesystem stores a copy") {
    auto shm_cache = LayerCache::Open(shm_dir / "cache");
    REQUIRE(shm_cache.ok());
    REQUIRE(shm_cache->Store(kKey, f.layer, f.Built()).ok());
    auto hit = shm_cache->Find(kKey, /*verify_digest=*/true);
    REQUIRE(hit.ok());
    CHECK(hit->has_value());
    CHECK(fs::hard_link_count(shm_cache->BlobPath(f.layer)) == 1);
  }
}

TEST_CASE("concurrent stores and finds of one key never see a partial entry",
          "[oci][layer_cache]") {
  CacheFixture f;
  // Two distinct layers stored alternately under one key by several threads
  // while others look it up: every lookup hits one of the two, complete.
  REQUIRE(f.tree.AddFile("etc/motd", "second\n").ok());
  auto second = f.layout.AddLayer(f.tree);
  REQUIRE(second.ok());
  const std::vector<LayerResult> layers = {f.layer, *second};
  REQUIRE(f.cache.Store(kKey, f.layer, f.Built()).ok());
  std::vector<std::thread> threads;
  std::vector<std::string> errors(6);
  std::atomic<int> hits{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (t % 2 == 0) {
          const LayerResult& l = layers[(t / 2 + i) % 2];
          Status st = f.cache.Store(kKey, l, f.layout.BlobPath(l.digest));
          if (!st.ok()) errors[t] = st.error().Render();
        } else {
          auto r = f.cache.Find(kKey, /*verify_digest=*/true);
          if (!r.ok()) {
            errors[t] = r.error().Render();
          } else if (!r->has_value()) {
            errors[t] = "a miss while the record was being replaced";
          } else {
            ++hits;
            if ((*r)->digest != layers[0].digest && (*r)->digest != layers[1].digest)
              errors[t] = "unknown digest " + (*r)->digest;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) CHECK(e.empty());
  CHECK(hits == 3 * 20);
  CHECK(CountFiles(f.cache.dir() / "blobs") == 2);
  CHECK(CountFiles(f.cache.dir() / "keys") == 1);
}

}  // namespace
}  // namespace cairn::oci
