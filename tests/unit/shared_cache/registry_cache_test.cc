// The shared cache against a real registry (Debian's docker-registry on
// 127.0.0.1): a layer entry pushed from one local cache arrives whole in
// another; a blob corrupted in the registry's own storage is refused and
// leaves nothing behind; packages go both ways; an unreachable registry costs
// one failure, after which the cache is off. The registry's HTTP API (curl)
// and skopeo check what was stored, independently of cairn's client.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/oci/layer_cache.h"
#include "cairn/shared_cache/registry_cache.h"
#include "support/registry_server.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace cairn;
using cairn::testing::RegistryServer;
using cairn::testing::RunCommand;
using cairn::testing::ScratchDir;

namespace {

const std::string kKey(64, 'a');

std::string Slurp(const fs::path& p) {
  auto t = ReadFile(p);
  REQUIRE(t.ok());
  return *t;
}

void Write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

/// Bytes that look like nothing in particular but compress (the content blob is gzip'ed).
std::string Pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + (i * 7 + i / 13) % 51);
  return s;
}

/// A complete local layer cache entry under kKey: record, blob and snapshot.
oci::LayerResult MakeEntry(const oci::LayerCache& cache, const fs::path& scratch) {
  const std::string blob = Pattern(5000, 'a');
  Write(scratch / "blob", blob);
  oci::LayerResult layer;
  layer.digest = "sha256:" + Sha256Hex(blob);
  layer.diff_id = "sha256:" + Sha256Hex("uncompressed");
  layer.size = blob.size();
  layer.uncompressed_size = 123456;
  auto dir = cache.NewSnapshotDir();
  REQUIRE(dir.ok());
  Write(*dir / "nodes", Pattern(300, 'n'));
  Write(*dir / "content", Pattern(200000, 'c'));
  Write(*dir / "state", Pattern(40, 's'));
  REQUIRE(cache.StoreSnapshot(kKey, *dir).ok());
  REQUIRE(cache.Store(kKey, layer, scratch / "blob").ok());
  return layer;
}

std::unique_ptr<shared_cache::RegistryCache> Open(const std::string& repo, Reporter& reporter,
                                                  bool push = true) {
  auto c = shared_cache::RegistryCache::Open(
      {.repository = repo, .plain_http = true, .push = push, .retries = 0}, reporter);
  REQUIRE(c.ok());
  return std::move(c).value();
}

nlohmann::json Curl(const std::string& url) {
  auto r = RunCommand({"curl", "-sf", url});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

/// The registry's file for a blob (distribution's filesystem driver layout).
fs::path StoredBlob(const RegistryServer& registry, const std::string& digest) {
  std::string hex = digest.substr(7);
  return registry.storage() / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
}

/// Whatever is left in a cache directory besides blobs, keys and snapshots.
std::vector<std::string> Leftovers(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string rel = e.path().lexically_relative(dir).string();
    if (rel.find(".tmp") != std::string::npos || rel.find(".pull") != std::string::npos ||
        rel.find(".push") != std::string::npos)
      out.push_back(rel);
  }
  return out;
}

}  // namespace

TEST_CASE("a layer entry goes through the registry whole and a corrupt blob is refused",
          "[shared_cache][registry]") {
  ScratchDir scratch("shared-cache-layer");
  RegistryServer registry(scratch.path() / "registry");
  const std::string repo = registry.host() + "/cairn/cache";
  RecordingReporter reporter;

  auto a = oci::LayerCache::Open(scratch.path() / "a");
  REQUIRE(a.ok());
  const oci::LayerResult layer = MakeEntry(*a, scratch.path());
  auto remote = Open(repo, reporter);
  auto pushed = remote->PushLayer(kKey, *a);
  INFO((pushed.ok() ? "" : pushed.error().Render()));
  REQUIRE(pushed.ok());
  CHECK(remote->stats().layers_pushed == 1);

  // The registry's own API lists the entry's tag; skopeo reads it as an artifact.
  auto tags = Curl("http://" + registry.host() + "/v2/cairn/cache/tags/list");
  CHECK(tags["tags"] == nlohmann::json::array({"layer-" + kKey}));
  auto raw = RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false",
                         "docker://" + repo + ":layer-" + kKey});
  REQUIRE(raw.exit_code == 0);
  auto manifest = nlohmann::json::parse(raw.out);
  CHECK(manifest["artifactType"] == shared_cache::kLayerArtifactType);
  REQUIRE(manifest["layers"].size() == 4);
  CHECK(manifest["layers"][0]["digest"] == layer.digest);
  // The snapshot's content travels gzip'ed: the registry holds fewer bytes than the file.
  CHECK(manifest["layers"][2]["size"].get<uint64_t>() < 200000);

  SECTION("another builder's empty cache receives the entry byte for byte") {
    auto b = oci::LayerCache::Open(scratch.path() / "b");
    REQUIRE(b.ok());
    RecordingReporter reporter_b;
    auto remote_b = Open(repo, reporter_b);
    REQUIRE(remote_b->PullLayer(kKey, *b));
    auto found = b->Find(kKey, /*verify_digest=*/true);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->digest == layer.digest);
    CHECK((*found)->diff_id == layer.diff_id);
    CHECK((*found)->size == layer.size);
    CHECK((*found)->uncompressed_size == layer.uncompressed_size);
    auto snap_a = a->FindSnapshot(kKey);
    auto snap_b = b->FindSnapshot(kKey);
    REQUIRE(snap_b.ok());
    REQUIRE(snap_b->has_value());
    for (const char* f : {"nodes", "content", "state"}) {
      INFO(f);
      CHECK(Slurp(**snap_b / f) == Slurp(**snap_a / f));
    }
    CHECK(remote_b->stats().layers_pulled == 1);
    CHECK(Leftovers(scratch.path() / "b").empty());
    // Pushing what is there already with skip_existing asks, and uploads nothing.
    REQUIRE(remote_b->PushLayer(kKey, *b, /*skip_existing=*/true).ok());
    CHECK(remote_b->stats().bytes_uploaded == 0);
    CHECK(remote_b->stats().layers_pushed == 0);
  }

  SECTION("a blob altered in the registry's storage is refused and nothing enters the cache") {
    const std::string content_digest = manifest["layers"][2]["digest"];
    const fs::path stored = StoredBlob(registry, content_digest);
    REQUIRE(fs::exists(stored));
    std::string bytes = Slurp(stored);
    bytes[bytes.size() / 2] ^= 0x40;  // same size: only the digest can tell
    Write(stored, bytes);

    auto c = oci::LayerCache::Open(scratch.path() / "c");
    REQUIRE(c.ok());
    RecordingReporter reporter_c;
    auto remote_c = Open(repo, reporter_c);
    CHECK_FALSE(remote_c->PullLayer(kKey, *c));
    CHECK(remote_c->stats().rejected == 1);
    CHECK(remote_c->available());  // a bad entry is not a bad registry
    auto found = c->Find(kKey);
    REQUIRE(found.ok());
    CHECK_FALSE(found->has_value());
    auto snap = c->FindSnapshot(kKey);
    REQUIRE(snap.ok());
    CHECK_FALSE(snap->has_value());
    CHECK(Leftovers(scratch.path() / "c").empty());
    bool said = false;
    for (const auto& l : reporter_c.lines())
      said = said || (l.find("is unusable, building it") != std::string::npos &&
                      l.find(content_digest) != std::string::npos);
    CHECK(said);
  }

  SECTION("a manifest under the tag made for another key is refused") {
    const std::string other(64, 'b');
    auto m = RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false",
                         "docker://" + repo + ":layer-" + kKey});
    REQUIRE(m.exit_code == 0);
    // Re-tag the same manifest under another key's tag with the registry API.
    auto put = RunCommand({"curl", "-sf", "-X", "PUT", "-H",
                           "Content-Type: application/vnd.oci.image.manifest.v1+json",
                           "--data-binary", m.out,
                           "http://" + registry.host() + "/v2/cairn/cache/manifests/layer-" + other});
    REQUIRE(put.exit_code == 0);
    auto d = oci::LayerCache::Open(scratch.path() / "d");
    REQUIRE(d.ok());
    CHECK_FALSE(remote->PullLayer(other, *d));
    CHECK(remote->stats().rejected == 1);
  }
}

TEST_CASE("packages go through the registry, and read-only and unreachable registries are harmless",
          "[shared_cache][registry]") {
  ScratchDir scratch("shared-cache-pkg");
  RegistryServer registry(scratch.path() / "registry");
  const std::string repo = registry.host() + "/cairn/cache";
  RecordingReporter reporter;
  const std::string pkg = Pattern(70000, 'p');
  Write(scratch.path() / "pkg.apk", pkg);
  const std::string key = "apk/x86_64/0123abcd.apk";

  auto readonly = Open(repo, reporter, /*push=*/false);
  REQUIRE(readonly->PushPackage(key, scratch.path() / "pkg.apk").ok());
  CHECK(readonly->stats().packages_pushed == 0);
  CHECK_FALSE(readonly->PullPackage(key, scratch.path() / "in").has_value());  // a plain miss
  CHECK(readonly->stats().rejected == 0);

  auto remote = Open(repo, reporter);
  REQUIRE(remote->PushPackage(key, scratch.path() / "pkg.apk").ok());
  auto pulled = readonly->PullPackage(key, scratch.path() / "in");
  REQUIRE(pulled.has_value());
  CHECK(pulled->parent_path() == scratch.path() / "in");
  CHECK(Slurp(*pulled) == pkg);
  CHECK(readonly->stats().packages_pulled == 1);
  // Another key is another tag: a miss, not this package.
  CHECK_FALSE(readonly->PullPackage("apk/x86_64/ffff.apk", scratch.path() / "in").has_value());

  // Truncate the stored blob: the size check refuses it, and the file is gone.
  const std::string digest = "sha256:" + Sha256Hex(pkg);
  Write(StoredBlob(registry, digest), pkg.substr(0, 1000));
  fs::remove(*pulled);
  CHECK_FALSE(readonly->PullPackage(key, scratch.path() / "in").has_value());
  CHECK(readonly->stats().rejected == 1);
  CHECK(fs::is_empty(scratch.path() / "in"));

  // Nothing listens: one failure turns the cache off, and it says so once.
  RecordingReporter gone_reporter;
  auto gone = Open("127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()) + "/cache",
                   gone_reporter);
  auto b = oci::LayerCache::Open(scratch.path() / "b");
  REQUIRE(b.ok());
  CHECK_FALSE(gone->PullLayer(kKey, *b));
  CHECK_FALSE(gone->available());
  CHECK_FALSE(gone->PullPackage(key, scratch.path() / "in").has_value());
  CHECK(gone->PushPackage(key, scratch.path() / "pkg.apk").ok());
  size_t warnings = 0;
  for (const auto& l : gone_reporter.lines())
    warnings += l.rfind("warning: the shared cache", 0) == 0 ? 1 : 0;
  CHECK(warnings == 1);

  auto bad = shared_cache::RegistryCache::Open({.repository = repo + ":tag"}, reporter);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == Code::kUsage);
}
