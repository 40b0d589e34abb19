// RegistryFetcher: a Fetcher that puts the shared cache between the local
// package cache and the packages' origins.
//
//   fetch::CacheFetcher local({.cache_dir = dir}, reporter);
//   shared_cache::RegistryFetcher fetcher(local, *remote, reporter);
//   CAIRN_ASSIGN_OR_RETURN(auto path, fetcher.Fetch(request));
//
// An immutable request with a cache key that the local cache lacks is asked
// of the registry first; what the registry sends goes through the local
// fetcher's full check (size, sha256, the request's verify callback: the
// package signature) exactly as the origin's bytes would, so the registry is
// never trusted with a package the index does not vouch for. A package the
// origin had to serve is queued for upload (RegistryCache::PushQueuedPackages,
// which the build calls at its end) for the next builder. Mutable requests
// (indexes) always go to the origin: they are what decides freshness.
#pragma once

#include <filesystem>

#include "cairn/fetch/fetcher.h"
#include "cairn/reporter.h"
#include "cairn/shared_cache/registry_cache.h"

namespace cairn::shared_cache {

class RegistryFetcher : public fetch::Fetcher {
 public:
  RegistryFetcher(fetch::CacheFetcher& local, RegistryCache& remote, Reporter& reporter)
      : local_(local), remote_(remote), reporter_(reporter) {}

  Result<std::filesystem::path> Fetch(const fetch::FetchRequest& request) override;

 private:
  fetch::CacheFetcher& local_;
  RegistryCache& remote_;
  Reporter& reporter_;
};

}  // namespace cairn::shared_cache
