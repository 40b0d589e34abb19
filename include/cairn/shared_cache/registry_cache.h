// RegistryCache: the layer and package caches shared between builders through
// an OCI registry, so a fleet of CI runners or Kubernetes Jobs builds each
// layer once.
//
// A builder that misses its local cache asks the registry; a builder that
// makes a layer, or downloads a package from its origin, uploads it. All of it
// lives in one repository as small artifact manifests, found by tag:
//
//   layer-<key>                     a finished layer (oci/layer_cache.h key):
//                                   the layer blob as it goes into images, and
//                                   its snapshot (nodes, gzip'ed content, the
//                                   package state) so the layers above build on it
//   pkg-<sha256 of the cache key>   one package file, as its origin served it
//
// Every blob is checked against its digest on the way in; a blob that fails
// is a miss (said once, counted in stats().rejected), never used, and the
// builder builds it again. What goes in is trusted like the local cache is:
// whoever can push to the repository decides what builders restore, so give
// push rights to builders only.
//
//   CAIRN_ASSIGN_OR_RETURN(auto remote, shared_cache::RegistryCache::Open(
//       {.repository = "registry.example/cairn/cache"}, reporter));
//   CAIRN_ASSIGN_OR_RETURN(bool hit, remote->PullLayer(key, local));  // local now has it
//   ... or build it, store it locally, then: CAIRN_TRY(remote->PushLayer(key, local));
//
// Safe to call from several threads: each call borrows a registry client of
// its own from a pool, so parallel package fetches talk to the registry in
// parallel. After a failure to reach the registry the cache turns itself off
// for the rest of the build, so an unreachable registry costs one timeout,
// not one per package.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cairn/oci/layer_cache.h"
#include "cairn/publish/credentials.h"
#include "cairn/publish/http.h"
#include "cairn/publish/registry_client.h"
#include "cairn/reporter.h"
#include "cairn/result.h"

namespace cairn::shared_cache {

/// Artifact types of the manifests, so registries and tools can tell them apart.
inline constexpr const char* kLayerArtifactType = "application/vnd.cairn.layer-cache.v1";
inline constexpr const char* kPackageArtifactType = "application/vnd.cairn.package-cache.v1";

struct RegistryCacheOptions {
  /// "registry/repository", e.g. "127.0.0.1:5000/cairn/cache"; no tag or digest.
  std::string repository;
  /// Speak http:// (a local registry); never implied.
  bool plain_http = false;
  /// Upload what this builder makes; false only reads (e.g. builds of pull requests).
  bool push = true;
  /// Where credentials come from; empty: the user's Docker config.
  publish::CredentialLookup credentials;
  /// The HTTP transport; null: libcurl.
  std::shared_ptr<publish::HttpTransport> transport;
  /// Extra attempts after a transient failure.
  int retries = 2;
};

/// What went through the shared cache in this build.
struct RegistryCacheStats {
  size_t layers_pulled = 0;
  size_t layers_pushed = 0;
  size_t packages_pulled = 0;
  size_t packages_pushed = 0;
  size_t rejected = 0;  ///< entries refused: bad digest, malformed manifest, unusable content
  uint64_t bytes_downloaded = 0;
  uint64_t bytes_uploaded = 0;
};

class RegistryCache {
 public:
  /// Checks the options (a malformed repository is kUsage); no network yet.
  static Result<std::unique_ptr<RegistryCache>> Open(RegistryCacheOptions options,
                                                     Reporter& reporter);

  const std::string& repository() const { return options_.repository; }
  bool push_enabled() const { return options_.push; }
  /// False after the registry could not be reached; every call is then a miss.
  bool available() const;
  RegistryCacheStats stats() const;

  /// Fetches layer `key` into `local` (blob, snapshot, record) when the
  /// registry has it whole and every blob checks out. False on a miss, a
  /// rejected entry (said) or an unreachable registry (said once).
  bool PullLayer(const std::string& key, const oci::LayerCache& local);
  /// Uploads layer `key` from `local`, which must hold its record and
  /// snapshot. Nothing when pushing is off, the registry is unreachable or
  /// the registry has the tag already (with `skip_existing`).
  Status PushLayer(const std::string& key, const oci::LayerCache& local,
                   bool skip_existing = false);

  /// Downloads the package stored under `cache_key` (a fetch cache key) into
  /// a new file in `dir`, digest-checked; nullopt on a miss or rejection.
  /// The caller verifies it as it would the origin's copy, then removes it.
  std::optional<std::filesystem::path> PullPackage(const std::string& cache_key,
                                                   const std::filesystem::path& dir);
  /// Uploads `file` as the package of `cache_key` (nothing when pushing is off).
  Status PushPackage(const std::string& cache_key, const std::filesystem::path& file);
  /// Remembers a package to upload later with PushQueuedPackages, so uploads
  /// neither hold up the build nor wait for each other (`file` must stay).
  void QueuePackage(const std::string& cache_key, const std::filesystem::path& file);
  /// Uploads the queued packages over `connections` connections at once.
  Status PushQueuedPackages(size_t connections = 8);

 private:
  RegistryCache(RegistryCacheOptions options, publish::Reference target, Reporter& reporter);
  /// Runs `op` with a client of the pool unless the cache is off; a failure
  /// that is not the entry's fault (integrity, usage) turns the cache off,
  /// said once.
  template <typename Op>
  Status Guarded(const std::string& what, Op op);
  std::unique_ptr<publish::RegistryClient> Borrow();
  void Return(std::unique_ptr<publish::RegistryClient> client);
  Status PullLayerWith(publish::RegistryClient& client, const std::string& key,
                       const oci::LayerCache& local, bool& hit);
  Status PushLayerWith(publish::RegistryClient& client, const std::string& key,
                       const oci::LayerCache& local, bool skip_existing);
  void Count(size_t RegistryCacheStats::*counter);
  void Reject(const std::string& what, const Error& error);

  RegistryCacheOptions options_;
  publish::Reference target_;
  Reporter& reporter_;
  std::atomic<bool> disabled_{false};
  mutable std::mutex mu_;  ///< guards idle_ and stats_
  std::vector<std::unique_ptr<publish::RegistryClient>> idle_;
  RegistryCacheStats stats_;
  std::vector<std::pair<std::string, std::filesystem::path>> queued_;  ///< guarded by mu_
  std::atomic<bool> config_present_{false};  ///< the empty config blob is in the repository
};

}  // namespace cairn::shared_cache
