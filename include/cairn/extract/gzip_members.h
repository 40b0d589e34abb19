// Gzip member boundaries and deterministic gzip members.
//
// APK v2 files are several gzip members back to back, and every hash and
// signature covers the *compressed* bytes of one member, so readers need the
// member boundaries, which neither zlib's gzread nor libarchive expose.
// FindGzipMembers inflates the file in fixed-size chunks (never the whole file
// in memory) and records where each member ends. GzipCompressor writes one
// member with a fixed header (MTIME 0, OS 3 = Unix, no name), as abuild does.
//
//   CAIRN_ASSIGN_OR_RETURN(auto members, extract::FindGzipMembers(path));
//   auto gz = extract::GzipCompressor::Open(9, [&](std::string_view b) { return out.Write(b); });
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

struct z_stream_s;

namespace cairn::extract {

/// One gzip member: its compressed byte range in the file.
struct GzipMember {
  uint64_t offset = 0;             ///< first byte (the 0x1f of the magic)
  uint64_t size = 0;               ///< compressed bytes, header and trailer included
  uint64_t uncompressed_size = 0;  ///< bytes it inflates to
  uint64_t end() const { return offset + size; }
};

/// Finds up to `max_members` members starting at byte `start` of `path`,
/// streaming through the file. Errors (kIntegrity) name the file and offset:
/// a member that does not inflate, a file that ends inside a member, or bytes
/// after a member that do not start another one. Fewer members than
/// `max_members` are returned when the file ends cleanly.
Result<std::vector<GzipMember>> FindGzipMembers(
    const std::filesystem::path& path, uint64_t start = 0,
    size_t max_members = std::numeric_limits<size_t>::max());

/// Writes exactly one gzip member through `sink`. Deterministic: the header
/// has MTIME 0, OS 3 and no file name, so equal input gives equal bytes.
class GzipCompressor {
 public:
  using Sink = std::function<Status(std::string_view bytes)>;
  /// `level` is the zlib level (1..9).
  static Result<GzipCompressor> Open(int level, Sink sink);
  GzipCompressor(GzipCompressor&&) noexcept;
  GzipCompressor& operator=(GzipCompressor&&) noexcept;
  ~GzipCompressor();

  /// Compresses `bytes`, passing full output chunks to the sink.
  Status Write(std::string_view bytes);
  /// Ends the member (trailer with CRC and size) and flushes it to the sink.
  Status Finish();

 private:
  struct StreamDeleter {
    void operator()(z_stream_s* s) const;
  };
  GzipCompressor(std::unique_ptr<z_stream_s, StreamDeleter> stream, Sink sink);
  Status Pump(int flush);
  std::unique_ptr<z_stream_s, StreamDeleter> stream_;
  Sink sink_;
  bool finished_ = false;
};

/// One-shot: `bytes` as a single deterministic gzip member.
Result<std::string> GzipMemberOf(std::string_view bytes, int level = 9);

}  // namespace cairn::extract
