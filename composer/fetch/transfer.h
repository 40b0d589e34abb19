// Private to fetch: moving the bytes of one source into an open, empty file.
//
// Each transfer reports whether a failure is worth retrying (timeouts, resets,
// HTTP 5xx) so CacheFetcher can apply its bounded retry policy without knowing
// about libcurl.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "cairn/result.h"

namespace cairn::fetch::internal {

struct TransferOptions {
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds stall_timeout{30000};
};

struct TransferOutcome {
  Status status;
  bool retryable = false;  ///< a transient failure: another attempt may succeed
};

/// Where a URL points.
enum class SourceKind { kHttp, kLocal };

struct Source {
  SourceKind kind = SourceKind::kLocal;
  std::string url;              ///< for kHttp
  std::filesystem::path path;   ///< for kLocal
};

/// Classifies `url`: http(s), file:// (decoded to a path) or a plain path.
Result<Source> ParseSource(const std::string& url);

/// Downloads an http(s) URL into `fd` (positioned at 0, empty).
TransferOutcome HttpGet(const std::string& url, int fd, const TransferOptions& options);

/// Copies a local file into `fd` (positioned at 0, empty).
TransferOutcome CopyLocal(const std::filesystem::path& source, int fd);

/// Writes all of `size` bytes to `fd`, retrying on EINTR and short writes; false on error (errno set).
bool WriteAll(int fd, const char* data, size_t size);

}  // namespace cairn::fetch::internal
