// RAII wrappers over libarchive for tar streams (gzip-compressed or not).
//
// ArchiveReader pulls bytes from memory or from a caller's chunk source (so a
// package's data member can be hashed while it is decompressed, in one pass)
// and returns typed entries; ArchiveWriter pushes a tar through a sink
// (memory, a gzip member, a file). libarchive failures become kIntegrity
// (reading: the input is not a valid archive) or kInternal (writing) errors
// carrying archive_error_string; an error from the caller's source or sink is
// returned unchanged.
//
//   CAIRN_ASSIGN_OR_RETURN(auto reader, extract::ArchiveReader::OpenMemory(bytes, "control"));
//   extract::ArchiveEntry e;
//   while (true) { CAIRN_ASSIGN_OR_RETURN(bool more, reader.Next(&e)); if (!more) break; ... }
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "cairn/result.h"
#include "cairn/rootfs/entry.h"

struct archive;

namespace cairn::extract {
namespace internal {
struct ReaderState;
struct WriterState;
}  // namespace internal

/// One tar header as stored: the path is not normalised yet.
struct ArchiveEntry {
  std::string pathname;
  rootfs::FileType type = rootfs::FileType::kRegular;
  uint32_t mode = 0;  ///< permission bits (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  uint64_t size = 0;
  std::string symlink;   ///< symlink target
  std::string hardlink;  ///< hard link target (raw archive path)
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  std::map<std::string, std::string> xattrs;  ///< from SCHILY.xattr.* / LIBARCHIVE.xattr.*
};

/// Frees a libarchive handle (read or write) with archive_free.
struct ArchiveDeleter {
  void operator()(archive* a) const;
};

/// Reads tar archives; gzip (also multi-member) is detected and undone.
class ArchiveReader {
 public:
  /// Returns the next chunk of input; an empty view means end of input. The
  /// view must stay valid until the next call.
  using Source = std::function<Result<std::string_view>()>;

  /// Reads from `bytes`, which must outlive the reader. `name` appears in errors.
  static Result<ArchiveReader> OpenMemory(std::string_view bytes, std::string name);
  /// Reads from `source`, one chunk at a time (bounded memory).
  static Result<ArchiveReader> OpenStream(Source source, std::string name);

  ArchiveReader(ArchiveReader&&) noexcept;
  ArchiveReader& operator=(ArchiveReader&&) noexcept;
  ~ArchiveReader();

  /// Reads the next header into `entry`; false at the end of the archive.
  /// Unread data of the previous entry is skipped.
  Result<bool> Next(ArchiveEntry* entry);
  /// Reads up to `cap` bytes of the current entry's data; 0 at its end.
  Result<size_t> ReadData(char* buf, size_t cap);
  /// The rest of the current entry's data; kIntegrity if it exceeds `max_size`.
  Result<std::string> ReadAllData(size_t max_size);

 private:
  ArchiveReader(std::unique_ptr<archive, ArchiveDeleter> a,
                std::unique_ptr<internal::ReaderState> state);
  Error Failure(std::string_view what) const;
  std::unique_ptr<internal::ReaderState> state_;  // before a_: callbacks point into it
  std::unique_ptr<archive, ArchiveDeleter> a_;
};

/// Header format of written tars.
enum class TarFormat {
  kPaxRestricted,  ///< ustar unless a pax record is needed (xattrs, long names)
  kUstar,
};

/// Writes a tar (uncompressed) through a sink.
class ArchiveWriter {
 public:
  using Sink = std::function<Status(std::string_view bytes)>;

  /// `bytes_per_block` 0 writes no record padding (output = headers, data
  /// and the 1024-byte end-of-archive marker); 10240 pads the archive to a
  /// 10 KiB record as GNU tar and abuild do.
  static Result<ArchiveWriter> Open(Sink sink, TarFormat format, size_t bytes_per_block,
                                    std::string name);
  ArchiveWriter(ArchiveWriter&&) noexcept;
  ArchiveWriter& operator=(ArchiveWriter&&) noexcept;
  ~ArchiveWriter();

  /// Writes a header: path, type, mode, numeric owner, mtime, size (regular
  /// files), link target, device numbers and xattrs of `entry`; nothing else
  /// (no atime, ctime or owner names), so output depends only on `entry`.
  Status WriteHeader(const rootfs::FsEntry& entry);
  /// Writes data for the current regular file (must total entry.size bytes).
  Status WriteData(std::string_view bytes);
  /// Writes the end-of-archive marker and padding and flushes the sink.
  Status Finish();

 private:
  ArchiveWriter(std::unique_ptr<archive, ArchiveDeleter> a,
                std::unique_ptr<internal::WriterState> state);
  Error Failure(std::string_view what) const;
  std::unique_ptr<internal::WriterState> state_;  // before a_: callbacks point into it
  std::unique_ptr<archive, ArchiveDeleter> a_;
};

/// The FsEntry for an archive entry: the path through rootfs::NormalizePath
/// ("./usr/" becomes "usr", "./" becomes ""; ".." is kIntegrity), size for
/// regular files only, a symlink target verbatim, a hard link target
/// normalised (kIntegrity if it is empty, i.e. a link to the root).
Result<rootfs::FsEntry> ToFsEntry(const ArchiveEntry& in);

}  // namespace cairn::extract
