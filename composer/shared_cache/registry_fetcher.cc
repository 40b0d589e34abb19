// RegistryFetcher: local cache, then the shared cache, then the origin.
#include "cairn/shared_cache/registry_fetcher.h"

#include <fmt/format.h>

#include <system_error>

namespace cairn::shared_cache {

namespace fs = std::filesystem;

Result<fs::path> RegistryFetcher::Fetch(const fetch::FetchRequest& request) {
  if (!request.immutable || request.cache_key.empty() || !remote_.available())
    return local_.Fetch(request);
  CAIRN_ASSIGN_OR_RETURN(fs::path cached, local_.CachePath(request));
  std::error_code ec;
  if (fs::is_regular_file(cached, ec)) return local_.Fetch(request);

  if (auto pulled = remote_.PullPackage(request.cache_key, cached.parent_path() / ".shared")) {
    // The registry's copy takes the origin's place: same key, same checks.
    fetch::FetchRequest from_registry = request;
    from_registry.url = pulled->string();
    auto placed = local_.Fetch(from_registry);
    fs::remove(*pulled, ec);
    if (placed.ok()) {
      reporter_.Debug(fmt::format("'{}' from the shared cache", request.url));
      return placed;
    }
    reporter_.Warn(fmt::format("the shared cache's copy of '{}' failed its checks, fetching it "
                               "from its origin: {}",
                               request.url, placed.error().Render()));
  }
  CAIRN_ASSIGN_OR_RETURN(fs::path path, local_.Fetch(request));
  remote_.QueuePackage(request.cache_key, path);  // uploaded after the build, all at once
  return path;
}

}  // namespace cairn::shared_cache
