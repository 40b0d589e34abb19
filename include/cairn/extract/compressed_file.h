// Single compressed streams: repository indexes (Packages.xz, Packages.gz)
// and the members of a .deb (control.tar.zst, data.tar.xz, ...).
//
// Decompressor turns a chunk source of compressed bytes into chunks of
// plain bytes, in bounded memory; the format (gzip, xz, lzma, zstd, bzip2,
// lz4 or none) is detected from the data and can be required to match what
// the file name promises. Truncated or corrupt input is a kIntegrity error
// naming the input; input is only complete once Read() has returned the
// empty view, because the formats' checksums sit at the end of the stream.
//
//   CAIRN_ASSIGN_OR_RETURN(std::string text, extract::ReadCompressedFile(path, 512 << 20));
//   CAIRN_ASSIGN_OR_RETURN(std::string xz, extract::CompressBytes(tar, Compression::kXz));
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/extract/archive.h"
#include "cairn/result.h"

namespace cairn::extract {
namespace internal {
struct DecompressorState;
}  // namespace internal

/// The single-stream compression formats cairn reads and writes.
enum class Compression { kNone, kGzip, kXz, kLzma, kZstd, kBzip2, kLz4 };

/// "none", "gzip", "xz", "lzma", "zstd", "bzip2", "lz4" (dpkg-deb -Z names).
std::string_view CompressionName(Compression compression);
/// The inverse of CompressionName; kUsage for an unknown name, listing the known ones.
Result<Compression> ParseCompression(std::string_view name);

/// Decompresses one stream pulled from a Source.
class Decompressor {
 public:
  /// Returns the next chunk of compressed input; an empty view means end of
  /// input. The view must stay valid until the next call. An error from it
  /// is returned unchanged by Open() and Read().
  using Source = std::function<Result<std::string_view>()>;

  /// Starts decompressing `source`; `name` appears in errors. With
  /// `expected`, input in another format (also uncompressed input when a
  /// format is expected) is kIntegrity. Input compressed twice (a gzip file
  /// inside an xz one) is kIntegrity too: no index or package is made so.
  static Result<Decompressor> Open(Source source, std::string name,
                                   std::optional<Compression> expected = std::nullopt);
  /// Decompresses `bytes`, which must outlive the Decompressor.
  static Result<Decompressor> OpenMemory(std::string_view bytes, std::string name,
                                         std::optional<Compression> expected = std::nullopt);

  Decompressor(Decompressor&&) noexcept;
  Decompressor& operator=(Decompressor&&) noexcept;
  ~Decompressor();

  /// The format detected at Open().
  Compression compression() const;
  /// The next chunk of plain bytes, valid until the next call; empty at the
  /// end of a complete, verified stream.
  Result<std::string_view> Read();
  /// Reads and discards the rest of the stream, so its trailing checksum is
  /// verified; returns how many plain bytes were skipped.
  Result<uint64_t> Drain();

 private:
  Decompressor(std::unique_ptr<archive, ArchiveDeleter> a,
               std::unique_ptr<internal::DecompressorState> state);
  Error Failure(std::string_view what) const;
  std::unique_ptr<internal::DecompressorState> state_;  // before a_: callbacks point into it
  std::unique_ptr<archive, ArchiveDeleter> a_;
};

/// Streams the decompressed content of the file at `path` to `sink`, one
/// chunk at a time; an error from `sink` stops reading and is returned
/// unchanged. A missing file is kNotFound.
Status StreamCompressedFile(const std::filesystem::path& path,
                            const std::function<Status(std::string_view chunk)>& sink);

/// The decompressed content of the file at `path`; kIntegrity once it grows
/// past `max_bytes` (a decompression bomb is stopped there, not read whole).
Result<std::string> ReadCompressedFile(const std::filesystem::path& path, uint64_t max_bytes);

/// `bytes` compressed as one stream with the format's default level. The
/// output depends only on the input (gzip carries no name or time), so
/// packages built from it are reproducible.
Result<std::string> CompressBytes(std::string_view bytes, Compression compression);

}  // namespace cairn::extract
