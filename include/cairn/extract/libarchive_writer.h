// LibarchiveWriter: RAII over a libarchive writer that streams into a ByteSink,
// for writers that fill libarchive's own archive_entry (owner names, inode
// numbers, link counts, a hard link to another path: fields rootfs::FsEntry
// does not carry). oci::WriteTarStream (pax tar) and initramfs::WriteCpio
// (newc cpio, gzip or zstd) are its users; extract::ArchiveWriter (archive.h)
// is the simpler FsEntry-in, tar-out writer for packages and fixtures.
//
//   CAIRN_ASSIGN_OR_RETURN(auto w, extract::LibarchiveWriter::Open(sink, {.name = "tar"}));
//   CAIRN_ASSIGN_OR_RETURN(extract::ArchiveEntryPtr e, extract::NewArchiveEntry());
//   extract::FillArchiveEntry(e.get(), path, node.meta);
//   archive_entry_set_mtime(e.get(), node.meta.mtime, 0);  ... and the rest ...
//   CAIRN_TRY(w.WriteHeader(e.get(), path));
//   CAIRN_TRY(w.WriteBlob(tree.store(), node.content, path));
//   CAIRN_TRY(w.Finish());
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/byte_sink.h"
#include "cairn/extract/archive.h"
#include "cairn/result.h"
#include "cairn/rootfs/entry.h"
#include "cairn/rootfs/tree.h"

struct archive_entry;

namespace cairn::extract {
namespace internal {
struct SinkContext;
}  // namespace internal

/// Frees an archive_entry with archive_entry_free.
struct ArchiveEntryDeleter {
  void operator()(archive_entry* e) const;
};
using ArchiveEntryPtr = std::unique_ptr<archive_entry, ArchiveEntryDeleter>;

/// A fresh archive_entry (kInternal when out of memory); reuse it with archive_entry_clear.
Result<ArchiveEntryPtr> NewArchiveEntry();

/// Clears `e`, then sets what a header takes straight from a node: `path`,
/// the type (a hard link's is a regular file's, as tar and cpio store them),
/// the permission bits, the numeric owner, a symlink's target and a device's
/// numbers. The caller adds the rest (mtime, size, hard link, inode and link
/// count, owner names, xattrs), which differ between formats.
void FillArchiveEntry(archive_entry* e, const std::string& path, const rootfs::FsEntry& meta);

/// Container format of a LibarchiveWriter.
enum class WriterFormat {
  kPaxRestricted,  ///< tar: ustar unless a pax record is needed; xattrs as SCHILY.xattr.* only
  kCpioNewc,       ///< cpio "newc" (SVR4 without CRC), what the kernel unpacks as initramfs
};

/// Compression filter over the whole stream.
enum class WriterFilter {
  kNone,
  kGzip,  ///< no name and no time in the gzip header (`gzip -n`)
  kZstd,
};

struct LibarchiveWriterOptions {
  /// Names the stream in errors: "writing {name} header for 'path'".
  std::string name;
  WriterFormat format = WriterFormat::kPaxRestricted;
  WriterFilter filter = WriterFilter::kNone;
  /// The filter's compression level; unset keeps libarchive's default. Only
  /// with a filter.
  std::optional<int> level;
  /// Unset keeps libarchive's 10240-byte records (tar's padding); 0 writes
  /// unblocked, so the stream ends right after the format's trailer.
  std::optional<int> bytes_per_block;
  /// Whether a header written with ARCHIVE_WARN counts as written. pax: the
  /// warning means a name is not valid in the locale's charset and went in
  /// raw with hdrcharset=BINARY, which still round-trips the bytes exactly.
  /// newc has nowhere to say so, so there a warning must stay an error.
  bool accept_header_warnings = false;
};

/// A libarchive writer into a caller's sink. Move-only; commit with Finish().
/// Errors are kIo with libarchive's text, or the sink's own error with what
/// was being written as context.
class LibarchiveWriter {
 public:
  /// `sink` must outlive the writer; it receives every byte, in order.
  static Result<LibarchiveWriter> Open(const ByteSink& sink,
                                       const LibarchiveWriterOptions& options);
  LibarchiveWriter(LibarchiveWriter&&) noexcept;
  LibarchiveWriter& operator=(LibarchiveWriter&&) noexcept;
  /// Without Finish(), closes the archive so its buffers are freed, but sends
  /// nothing more to the sink: a cut-off stream never ends with a trailer.
  ~LibarchiveWriter();

  /// Writes `entry`'s header; `path` names it in errors.
  Status WriteHeader(archive_entry* entry, std::string_view path);
  /// Writes data for the current entry (at most the size in its header).
  Status WriteData(const char* data, size_t size, std::string_view path);
  /// Writes the whole blob as the current entry's data, read in pieces so a
  /// large file never sits in memory; kIntegrity if the store runs short.
  Status WriteBlob(const rootfs::ContentStore& store, const rootfs::Blob& blob,
                   std::string_view path);
  /// Writes the format's trailer, flushes the filter and the last block.
  Status Finish();

 private:
  LibarchiveWriter(std::unique_ptr<archive, ArchiveDeleter> a,
                   std::unique_ptr<internal::SinkContext> ctx, LibarchiveWriterOptions options);
  Error Failure(std::string what) const;
  // Closes the archive (freeing its buffers) with the sink cut off.
  void Abandon();

  std::unique_ptr<internal::SinkContext> ctx_;  // stable address for the write callback
  std::unique_ptr<archive, ArchiveDeleter> a_;
  LibarchiveWriterOptions options_;
  std::vector<char> buf_;  // WriteBlob's copy buffer
};

}  // namespace cairn::extract
