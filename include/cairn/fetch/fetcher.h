// Fetching package files and repository indexes into a content-addressed cache.
//
// Stages take a `Fetcher&` so unit tests can pass a fake. The real one,
// CacheFetcher, downloads http(s) URLs with libcurl and copies file:// URLs and
// plain local paths, always into the cache directory, so a later --offline run
// finds everything there:
//   cairn::fetch::CacheFetcher fetcher({.cache_dir = dir}, reporter);
//   CAIRN_ASSIGN_OR_RETURN(auto path, fetcher.Fetch({.url = u, .cache_key = "apk/x86_64/<hex>.apk",
//                                                   .immutable = true, .expected_size = n}));
// An entry appears under its final name only after it was verified (size,
// sha256, the caller's verify callback) and fsync'ed; concurrent builds
// sharing the cache serialise fetches of one key with a lock file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "cairn/reporter.h"
#include "cairn/result.h"

namespace cairn::fetch {

/// What to fetch and how to check it before it enters the cache.
struct FetchRequest {
  /// http://, https://, file:// URL or a plain local path.
  std::string url;
  /// Relative path inside the cache, e.g. "apk/x86_64/<hex>.apk" for immutable
  /// content; empty to derive one from the URL (for mutable content such as an index).
  std::string cache_key;
  /// Immutable content is served from the cache once present; mutable content
  /// is fetched again whenever the network may be used.
  bool immutable = false;
  /// Expected size in bytes; 0 means unknown.
  uint64_t expected_size = 0;
  /// Expected lowercase hex SHA-256 of the content; empty means unknown.
  std::string expected_sha256;
  /// Runs on the downloaded temporary file (and on cached immutable entries)
  /// before it is used, e.g. a signature or control-hash check. May be empty.
  std::function<Status(const std::filesystem::path& file)> verify;
  /// Runs instead of `verify` on an entry already in the cache, which was
  /// fully verified when it entered; lets a caller skip work it repeats
  /// later anyway (a package's data hash is checked again on extraction).
  /// Empty: `verify` runs on cached entries too.
  std::function<Status(const std::filesystem::path& file)> verify_cached;
  /// For content that must never go back in time (a signed index): returns
  /// the date the downloaded file carries (seconds since 1970, e.g. a
  /// Release's Date), after `verify` accepted it. The cache remembers the
  /// newest date it accepted for the key (in "<cache>/.dates/<key>"); a
  /// download dated earlier is kIntegrity and the cached copy stays. May be empty.
  std::function<Result<int64_t>(const std::filesystem::path& file)> date_of;
};

/// The seam stages fetch through; returns the path of a verified local copy.
class Fetcher {
 public:
  virtual ~Fetcher() = default;
  /// Returns the path of the verified file in the cache (valid until the cache is pruned).
  virtual Result<std::filesystem::path> Fetch(const FetchRequest& request) = 0;
};

/// Settings of the real fetcher.
struct CacheFetcherOptions {
  /// Root of the cache; created on first use.
  std::filesystem::path cache_dir;
  /// Never touch the network or the source: only cached entries are served.
  bool offline = false;
  /// Time allowed to establish a connection.
  std::chrono::milliseconds connect_timeout{30000};
  /// A transfer that receives no byte for this long is abandoned (a stalled server).
  std::chrono::milliseconds stall_timeout{30000};
  /// Extra attempts after a transient failure (timeout, reset, 5xx); 4xx is final.
  int retries = 3;
  /// Wait before the first retry; doubled before each further one.
  std::chrono::milliseconds retry_backoff{500};
};

/// Fetches into `options.cache_dir`; safe to use from several threads and processes.
class CacheFetcher : public Fetcher {
 public:
  CacheFetcher(CacheFetcherOptions options, Reporter& reporter);
  Result<std::filesystem::path> Fetch(const FetchRequest& request) override;

  /// The cache path a request maps to (cache_key, or one derived from the URL).
  Result<std::filesystem::path> CachePath(const FetchRequest& request) const;

 private:
  Status Download(const FetchRequest& request, const std::filesystem::path& final_path);

  CacheFetcherOptions options_;
  Reporter& reporter_;
};

/// The cache key used for a request with an empty cache_key:
/// "url/<first 32 hex digits of sha256(url)>-<last path segment>".
std::string DeriveCacheKey(const std::string& url);

}  // namespace cairn::fetch
