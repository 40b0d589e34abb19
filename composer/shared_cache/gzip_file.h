// Private to shared_cache: gzip a file into another and back, streaming, for
// the snapshot content a layer entry carries (raw bytes that compress well).
#pragma once

#include <cstdint>
#include <filesystem>

#include "cairn/result.h"

namespace cairn::shared_cache::internal {

/// Writes `from` gzip'ed (level 1: the upload is the slow part, not the CPU)
/// to the new file `to`. zlib's header has no time stamp, so the bytes
/// depend on the content only and two builders upload the same blob.
Status GzipFile(const std::filesystem::path& from, const std::filesystem::path& to);

/// Writes the decompressed `from` to the new file `to`; more than `max_bytes`
/// (a gzip bomb, or a manifest that lies) or a corrupt stream is kIntegrity.
Status GunzipFile(const std::filesystem::path& from, const std::filesystem::path& to,
                  uint64_t max_bytes);

}  // namespace cairn::shared_cache::internal
