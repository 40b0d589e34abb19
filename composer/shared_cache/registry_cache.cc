// RegistryCache: layer and package entries as artifact manifests in one
// repository, pulled blob by blob with digest checks, pushed with the
// publish module's RegistryClient.
#include "cairn/shared_cache/registry_cache.h"

#include <stdlib.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <system_error>
#include <vector>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/interrupt.h"
#include "cairn/oci/descriptor.h"
#include "cairn/parallel.h"
#include "shared_cache/gzip_file.h"

namespace cairn::shared_cache {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kEmptyJson = "{}";
constexpr const char* kMediaTypeEmpty = "application/vnd.oci.empty.v1+json";
constexpr const char* kTitle = "org.opencontainers.image.title";
constexpr const char* kDiffId = "dev.cairn.layer.diff_id";
constexpr const char* kUncompressed = "dev.cairn.layer.uncompressed_size";
constexpr const char* kCacheKey = "dev.cairn.cache.key";
constexpr const char* kRawSize = "dev.cairn.cache.raw_size";

constexpr const char* kMediaNodes = "application/vnd.cairn.snapshot.nodes.v1";
constexpr const char* kMediaContent = "application/vnd.cairn.snapshot.content.v1+gzip";
constexpr const char* kMediaState = "application/vnd.cairn.snapshot.state.v1";
constexpr const char* kMediaPackage = "application/vnd.cairn.package.v1";

// The snapshot files of a layer cache entry (compose_image.cc names them).
constexpr const char* kNodes = "nodes";
constexpr const char* kContent = "content";
constexpr const char* kState = "state";

std::string LayerTag(const std::string& key) { return "layer-" + key; }
std::string PackageTag(const std::string& cache_key) { return "pkg-" + Sha256Hex(cache_key); }

Result<oci::Descriptor> DescribeFile(const std::string& media_type, const fs::path& file) {
  std::error_code ec;
  uint64_t size = fs::file_size(file, ec);
  if (ec) return IoError(fmt::format("cannot read '{}': {}", file.string(), ec.message()));
  CAIRN_ASSIGN_OR_RETURN(std::string hex, Sha256FileHex(file.string()));
  return oci::Descriptor{media_type, "sha256:" + hex, size, std::nullopt, {}};
}

json DescriptorJson(const oci::Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

oci::Descriptor EmptyConfig() {
  return {kMediaTypeEmpty, "sha256:" + Sha256Hex(kEmptyJson), 2, std::nullopt, {}};
}

std::string ManifestBytes(const char* artifact_type, const std::vector<oci::Descriptor>& layers,
                          const std::string& key) {
  json m = {{"schemaVersion", 2},
            {"mediaType", oci::kMediaTypeManifest},
            {"artifactType", artifact_type},
            {"config", DescriptorJson(EmptyConfig())},
            {"annotations", {{kCacheKey, key}}}};
  m["layers"] = json::array();
  for (const auto& l : layers) m["layers"].push_back(DescriptorJson(l));
  return m.dump();
}

/// The layers of an artifact manifest of `artifact_type` made for `key`;
/// kIntegrity when the document is anything else.
Result<std::vector<oci::Descriptor>> ParseManifest(const std::string& bytes,
                                                   const char* artifact_type,
                                                   const std::string& key) {
  json m = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& why) {
    return IntegrityError(fmt::format("the cache entry's manifest {}", why));
  };
  if (!m.is_object()) return bad("is not JSON");
  if (m.value("artifactType", "") != artifact_type)
    return bad(fmt::format("is not a '{}' artifact", artifact_type));
  const json* annotations = m.contains("annotations") ? &m["annotations"] : nullptr;
  if (!annotations || !annotations->is_object() || annotations->value(kCacheKey, "") != key)
    return bad("was made for another key");
  if (!m.contains("layers") || !m["layers"].is_array()) return bad("has no layers");
  std::vector<oci::Descriptor> out;
  for (const json& l : m["layers"]) {
    if (!l.is_object() || !l.contains("digest") || !l["digest"].is_string() ||
        !l.contains("size") || !l["size"].is_number_unsigned() || !l.contains("mediaType") ||
        !l["mediaType"].is_string())
      return bad("has a malformed layer descriptor");
    oci::Descriptor d{l["mediaType"], l["digest"], l["size"].get<uint64_t>(), std::nullopt, {}};
    const std::string hex = d.Hex();
    if (d.digest.rfind("sha256:", 0) != 0 || hex.size() != 64 ||
        hex.find_first_not_of("0123456789abcdef") != std::string::npos)
      return bad(fmt::format("names a malformed digest '{}'", d.digest));
    if (l.contains("annotations") && l["annotations"].is_object())
      for (const auto& [k, v] : l["annotations"].items())
        if (v.is_string()) d.annotations[k] = v.get<std::string>();
    out.push_back(std::move(d));
  }
  return out;
}

Result<uint64_t> AnnotationNumber(const oci::Descriptor& d, const char* name) {
  auto it = d.annotations.find(name);
  if (it == d.annotations.end() || it->second.empty() ||
      it->second.find_first_not_of("0123456789") != std::string::npos || it->second.size() > 19)
    return IntegrityError(fmt::format("the cache entry's {} has no number '{}'", d.digest, name));
  return std::stoull(it->second);
}

/// The descriptor titled `title` with media type `media_type`.
Result<oci::Descriptor> Find(const std::vector<oci::Descriptor>& layers, const char* title,
                             const char* media_type) {
  for (const auto& d : layers) {
    auto it = d.annotations.find(kTitle);
    if (it != d.annotations.end() && it->second == title) {
      if (d.media_type != media_type)
        return IntegrityError(fmt::format("the cache entry's '{}' has media type '{}'", title,
                                          d.media_type));
      return d;
    }
  }
  return IntegrityError(fmt::format("the cache entry has no '{}'", title));
}

bool IsLocalTrouble(const Error& e) {
  return e.code() == Code::kIntegrity || e.code() == Code::kUsage ||
         e.code() == Code::kInternal || e.code() == Code::kNotFound;
}

}  // namespace

Result<std::unique_ptr<RegistryCache>> RegistryCache::Open(RegistryCacheOptions options,
                                                           Reporter& reporter) {
  CAIRN_ASSIGN_OR_RETURN(publish::Reference target, publish::ParseReference(options.repository));
  if (!target.tag.empty() || !target.digest.empty())
    return UsageError(fmt::format(
        "the shared cache '{}' must name a repository, without a tag or digest (tags are chosen "
        "per entry)",
        options.repository));
  options.repository = target.registry + "/" + target.repository;
  return std::unique_ptr<RegistryCache>(
      new RegistryCache(std::move(options), std::move(target), reporter));
}

RegistryCache::RegistryCache(RegistryCacheOptions options, publish::Reference target,
                             Reporter& reporter)
    : options_(std::move(options)), target_(std::move(target)), reporter_(reporter) {
  if (!options_.transport) options_.transport = publish::MakeCurlTransport();
  if (!options_.credentials) options_.credentials = publish::DockerConfigCredentials();
}

bool RegistryCache::available() const { return !disabled_; }

RegistryCacheStats RegistryCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::unique_ptr<publish::RegistryClient> RegistryCache::Borrow() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  publish::RegistryOptions ro;
  ro.plain_http = options_.plain_http;
  ro.retries = options_.retries;
  ro.credentials = options_.credentials;
  return std::make_unique<publish::RegistryClient>(target_, std::move(ro), *options_.transport,
                                                   reporter_);
}

void RegistryCache::Return(std::unique_ptr<publish::RegistryClient> client) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(client));
}

void RegistryCache::Count(size_t RegistryCacheStats::*counter) {
  std::lock_guard lock(mu_);
  ++(stats_.*counter);
}

void RegistryCache::Reject(const std::string& what, const Error& error) {
  Count(&RegistryCacheStats::rejected);
  reporter_.Warn(fmt::format("{} from the shared cache '{}' is unusable{}: {}", what,
                             options_.repository,
                             what.rfind("layer", 0) == 0 ? ", building it" : "", error.Render()));
}

template <typename Op>
Status RegistryCache::Guarded(const std::string& what, Op op) {
  if (disabled_) return {};
  auto client = Borrow();
  const publish::ClientStats before = client->stats();
  Status r = op(*client);
  {
    std::lock_guard lock(mu_);
    stats_.bytes_downloaded += client->stats().bytes_downloaded - before.bytes_downloaded;
    stats_.bytes_uploaded += client->stats().bytes_uploaded - before.bytes_uploaded;
  }
  Return(std::move(client));
  if (!r.ok() && r.error().code() != Code::kInterrupted && !IsLocalTrouble(r.error()) &&
      !disabled_.exchange(true))
    reporter_.Warn(fmt::format("the shared cache '{}' failed while {}; going on without it: {}",
                               options_.repository, what, r.error().Render()));
  return r;
}

bool RegistryCache::PullLayer(const std::string& key, const oci::LayerCache& local) {
  bool hit = false;
  Status s = Guarded(fmt::format("reading layer {}", key.substr(0, 12)),
                     [&](publish::RegistryClient& c) { return PullLayerWith(c, key, local, hit); });
  if (!s.ok() && IsLocalTrouble(s.error())) Reject(fmt::format("layer {}", key.substr(0, 12)), s.error());
  return s.ok() && hit;
}

Status RegistryCache::PullLayerWith(publish::RegistryClient& client, const std::string& key,
                                    const oci::LayerCache& local, bool& hit) {
  CAIRN_ASSIGN_OR_RETURN(auto manifest, client.GetManifest(LayerTag(key)));
  if (!manifest) return {};
  CAIRN_ASSIGN_OR_RETURN(auto layers, ParseManifest(manifest->bytes, kLayerArtifactType, key));
  CAIRN_ASSIGN_OR_RETURN(oci::Descriptor blob, Find(layers, "layer", oci::kMediaTypeLayerGzip));
  CAIRN_ASSIGN_OR_RETURN(oci::Descriptor nodes, Find(layers, kNodes, kMediaNodes));
  CAIRN_ASSIGN_OR_RETURN(oci::Descriptor content, Find(layers, kContent, kMediaContent));
  CAIRN_ASSIGN_OR_RETURN(oci::Descriptor state, Find(layers, kState, kMediaState));
  oci::LayerResult record;
  record.digest = blob.digest;
  record.size = blob.size;
  auto diff_id = blob.annotations.find(kDiffId);
  if (diff_id == blob.annotations.end())
    return IntegrityError("the cache entry's layer has no diff_id");
  record.diff_id = diff_id->second;
  CAIRN_ASSIGN_OR_RETURN(record.uncompressed_size, AnnotationNumber(blob, kUncompressed));
  CAIRN_ASSIGN_OR_RETURN(uint64_t content_size, AnnotationNumber(content, kRawSize));

  // Everything lands in scratch directories of the local cache first and
  // enters it by the cache's own renames once every digest has checked out.
  CAIRN_ASSIGN_OR_RETURN(TempDir scratch, TempDir::Create(local.dir(), "pull"));
  CAIRN_ASSIGN_OR_RETURN(fs::path snapshot, local.NewSnapshotDir());
  Status pulled = [&]() -> Status {
    CAIRN_TRY(client.PullBlob(blob, scratch.path() / "layer"));
    CAIRN_TRY(client.PullBlob(nodes, snapshot / kNodes));
    CAIRN_TRY(client.PullBlob(state, snapshot / kState));
    CAIRN_TRY(client.PullBlob(content, scratch.path() / "content.gz"));
    CAIRN_TRY(internal::GunzipFile(scratch.path() / "content.gz", snapshot / kContent,
                                   content_size));
    CAIRN_TRY(CheckInterrupted());
    CAIRN_TRY(local.StoreSnapshot(key, snapshot));
    return local.Store(key, record, scratch.path() / "layer");
  }();
  std::error_code ec;
  fs::remove_all(snapshot, ec);  // gone already when StoreSnapshot renamed it
  CAIRN_TRY(pulled);
  Count(&RegistryCacheStats::layers_pulled);
  hit = true;
  return {};
}

Status RegistryCache::PushLayer(const std::string& key, const oci::LayerCache& local,
                                bool skip_existing) {
  if (!options_.push) return {};
  return Guarded(fmt::format("storing layer {}", key.substr(0, 12)),
                 [&](publish::RegistryClient& c) {
                   return PushLayerWith(c, key, local, skip_existing);
                 });
}

Status RegistryCache::PushLayerWith(publish::RegistryClient& client, const std::string& key,
                                    const oci::LayerCache& local, bool skip_existing) {
  if (skip_existing) {
    CAIRN_ASSIGN_OR_RETURN(auto existing, client.GetManifest(LayerTag(key)));
    if (existing && ParseManifest(existing->bytes, kLayerArtifactType, key).ok()) return {};
  }
  CAIRN_ASSIGN_OR_RETURN(auto record, local.Find(key));
  CAIRN_ASSIGN_OR_RETURN(auto snapshot, local.FindSnapshot(key));
  if (!record || !snapshot)
    return NotFoundError(fmt::format("the local layer cache has no complete entry {}", key));
  CAIRN_ASSIGN_OR_RETURN(TempDir scratch, TempDir::Create(local.dir(), "push"));
  const fs::path content_gz = scratch.path() / "content.gz";
  CAIRN_TRY(internal::GzipFile(*snapshot / kContent, content_gz));

  oci::Descriptor blob{oci::kMediaTypeLayerGzip, record->digest, record->size, std::nullopt, {}};
  blob.annotations = {{kTitle, "layer"},
                      {kDiffId, record->diff_id},
                      {kUncompressed, std::to_string(record->uncompressed_size)}};
  CAIRN_ASSIGN_OR_RETURN(oci::Descriptor nodes, DescribeFile(kMediaNodes, *snapshot / kNodes));
  nodes.annotations[kTitle] = kNodes;
  CAIRN_ASSIGN_OR_RETURN(oci::Descriptor content, DescribeFile(kMediaContent, content_gz));
  content.annotations[kTitle] = kContent;
  std::error_code ec;
  content.annotations[kRawSize] = std::to_string(fs::file_size(*snapshot / kContent, ec));
  CAIRN_ASSIGN_OR_RETURN(oci::Descriptor state, DescribeFile(kMediaState, *snapshot / kState));
  state.annotations[kTitle] = kState;

  CAIRN_TRY(client.PushBlobBytes(EmptyConfig(), kEmptyJson));
  CAIRN_TRY(client.PushBlob(blob, local.BlobPath(*record)));
  CAIRN_TRY(client.PushBlob(nodes, *snapshot / kNodes));
  CAIRN_TRY(client.PushBlob(content, content_gz));
  CAIRN_TRY(client.PushBlob(state, *snapshot / kState));
  const std::string bytes = ManifestBytes(kLayerArtifactType, {blob, nodes, content, state}, key);
  CAIRN_TRY(client.PutManifest(LayerTag(key), oci::kMediaTypeManifest, bytes));
  Count(&RegistryCacheStats::layers_pushed);
  return {};
}

std::optional<fs::path> RegistryCache::PullPackage(const std::string& cache_key,
                                                   const fs::path& dir) {
  std::optional<fs::path> out;
  Status s = Guarded(fmt::format("reading package '{}'", cache_key),
                     [&](publish::RegistryClient& client) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto manifest, client.GetManifest(PackageTag(cache_key)));
    if (!manifest) return {};
    CAIRN_ASSIGN_OR_RETURN(auto layers,
                           ParseManifest(manifest->bytes, kPackageArtifactType, cache_key));
    CAIRN_ASSIGN_OR_RETURN(oci::Descriptor file, Find(layers, "package", kMediaPackage));
    CAIRN_TRY(MakeDirs(dir));
    std::string name = (dir / ".shared-XXXXXX").string();
    int fd = ::mkstemp(name.data());
    if (fd < 0) return ErrnoError(fmt::format("cannot create a file in '{}'", dir.string()), errno);
    ::close(fd);
    CAIRN_TRY(client.PullBlob(file, name));  // removes the file on failure
    Count(&RegistryCacheStats::packages_pulled);
    out = fs::path(name);
    return {};
  });
  if (!s.ok() && IsLocalTrouble(s.error())) Reject(fmt::format("package '{}'", cache_key), s.error());
  return out;
}

Status RegistryCache::PushPackage(const std::string& cache_key, const fs::path& file) {
  if (!options_.push) return {};
  return Guarded(fmt::format("storing package '{}'", cache_key),
                 [&](publish::RegistryClient& client) -> Status {
    CAIRN_ASSIGN_OR_RETURN(oci::Descriptor blob, DescribeFile(kMediaPackage, file));
    blob.annotations[kTitle] = "package";
    if (!config_present_) {
      CAIRN_TRY(client.PushBlobBytes(EmptyConfig(), kEmptyJson));
      config_present_ = true;
    }
    CAIRN_TRY(client.PushBlob(blob, file));
    CAIRN_TRY(client.PutManifest(PackageTag(cache_key), oci::kMediaTypeManifest,
                                 ManifestBytes(kPackageArtifactType, {blob}, cache_key)));
    Count(&RegistryCacheStats::packages_pushed);
    return {};
  });
}

void RegistryCache::QueuePackage(const std::string& cache_key, const fs::path& file) {
  if (!options_.push) return;
  std::lock_guard lock(mu_);
  queued_.emplace_back(cache_key, file);
}

Status RegistryCache::PushQueuedPackages(size_t connections) {
  std::vector<std::pair<std::string, fs::path>> queued;
  {
    std::lock_guard lock(mu_);
    queued.swap(queued_);
  }
  // Each upload is a handful of small requests the registry answers after
  // writing its files: parallel connections hide that latency.
  return ParallelFor(queued.size(), std::max<size_t>(1, connections), [&](size_t i) {
    return PushPackage(queued[i].first, queued[i].second);
  });
}

}  // namespace cairn::shared_cache
