#include "cairn/extract/libarchive_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <cerrno>

namespace cairn::extract {
namespace internal {

// What the write callback reaches through client_data.
struct SinkContext {
  const ByteSink* sink = nullptr;
  std::optional<Error> error;  // the sink's own error, preferred over libarchive's text
  // Set when the stream is abandoned: closing still flushes, and the padding
  // and trailer it writes must not reach the sink, or a cut-off stream would
  // look complete.
  bool discard = false;
};

}  // namespace internal

namespace {

constexpr size_t kCopyBufferSize = 64 * 1024;

la_ssize_t WriteCallback(archive* a, void* client_data, const void* buffer, size_t length) {
  auto* ctx = static_cast<internal::SinkContext*>(client_data);
  if (ctx->discard || ctx->error) return static_cast<la_ssize_t>(length);
  Status st = (*ctx->sink)(static_cast<const char*>(buffer), length);
  if (!st.ok()) {
    ctx->error = std::move(st).error();
    archive_set_error(a, EIO, "%s", ctx->error->message().c_str());
    return -1;
  }
  return static_cast<la_ssize_t>(length);
}

unsigned TypeBits(rootfs::FileType type) {
  switch (type) {
    case rootfs::FileType::kRegular: return AE_IFREG;
    case rootfs::FileType::kHardlink: return AE_IFREG;
    case rootfs::FileType::kDirectory: return AE_IFDIR;
    case rootfs::FileType::kSymlink: return AE_IFLNK;
    case rootfs::FileType::kCharDevice: return AE_IFCHR;
    case rootfs::FileType::kBlockDevice: return AE_IFBLK;
    case rootfs::FileType::kFifo: return AE_IFIFO;
  }
  return AE_IFREG;
}

const char* FilterName(WriterFilter filter) {
  switch (filter) {
    case WriterFilter::kNone: return "none";
    case WriterFilter::kGzip: return "gzip";
    case WriterFilter::kZstd: return "zstd";
  }
  return "none";
}

int SetFormat(archive* a, WriterFormat format) {
  switch (format) {
    case WriterFormat::kPaxRestricted: {
      int rc = archive_write_set_format_pax_restricted(a);
      // Only the SCHILY.xattr.* records: LIBARCHIVE.xattr.* duplicates them.
      if (rc == ARCHIVE_OK) rc = archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY");
      return rc;
    }
    case WriterFormat::kCpioNewc:
      return archive_write_set_format_cpio_newc(a);
  }
  return ARCHIVE_FATAL;
}

int AddFilter(archive* a, WriterFilter filter, const std::optional<int>& level) {
  const std::string level_text = level ? std::to_string(*level) : std::string();
  int rc = ARCHIVE_OK;
  switch (filter) {
    case WriterFilter::kNone:
      return archive_write_add_filter_none(a);
    case WriterFilter::kGzip:
      rc = archive_write_add_filter_gzip(a);
      // A null value unsets the option: no mtime in the gzip header.
      if (rc == ARCHIVE_OK) rc = archive_write_set_filter_option(a, "gzip", "timestamp", nullptr);
      break;
    case WriterFilter::kZstd:
      rc = archive_write_add_filter_zstd(a);
      break;
  }
  if (rc == ARCHIVE_OK && level)
    rc = archive_write_set_filter_option(a, FilterName(filter), "compression-level",
                                         level_text.c_str());
  return rc;
}

}  // namespace

void ArchiveEntryDeleter::operator()(archive_entry* e) const { archive_entry_free(e); }

Result<ArchiveEntryPtr> NewArchiveEntry() {
  ArchiveEntryPtr e(archive_entry_new());
  if (!e) return InternalError("archive_entry_new failed");
  return e;
}

void FillArchiveEntry(archive_entry* e, const std::string& path, const rootfs::FsEntry& meta) {
  archive_entry_clear(e);
  archive_entry_copy_pathname(e, path.c_str());
  archive_entry_set_filetype(e, TypeBits(meta.type));
  archive_entry_set_perm(e, meta.mode & 07777);
  archive_entry_set_uid(e, meta.uid);
  archive_entry_set_gid(e, meta.gid);
  if (meta.type == rootfs::FileType::kSymlink)
    archive_entry_copy_symlink(e, meta.link_target.c_str());
  if (meta.type == rootfs::FileType::kCharDevice || meta.type == rootfs::FileType::kBlockDevice) {
    archive_entry_set_rdevmajor(e, meta.dev_major);
    archive_entry_set_rdevminor(e, meta.dev_minor);
  }
}

LibarchiveWriter::LibarchiveWriter(std::unique_ptr<archive, ArchiveDeleter> a,
                                   std::unique_ptr<internal::SinkContext> ctx,
                                   LibarchiveWriterOptions options)
    : ctx_(std::move(ctx)), a_(std::move(a)), options_(std::move(options)) {}

LibarchiveWriter::LibarchiveWriter(LibarchiveWriter&&) noexcept = default;

LibarchiveWriter& LibarchiveWriter::operator=(LibarchiveWriter&& other) noexcept {
  if (this == &other) return *this;
  Abandon();  // while our context is still alive for the callback
  ctx_ = std::move(other.ctx_);
  a_ = std::move(other.a_);
  options_ = std::move(other.options_);
  buf_ = std::move(other.buf_);
  return *this;
}

LibarchiveWriter::~LibarchiveWriter() { Abandon(); }

void LibarchiveWriter::Abandon() {
  if (!a_) return;
  ctx_->discard = true;
  // archive_write_free() skips close() after a fatal error, which leaks the
  // client buffer; close() accepts the fatal state, so call it here.
  archive_write_close(a_.get());
  a_.reset();
}

Result<LibarchiveWriter> LibarchiveWriter::Open(const ByteSink& sink,
                                                const LibarchiveWriterOptions& options) {
  if (options.filter == WriterFilter::kNone && options.level)
    return InternalError(
        fmt::format("{} writer: a compression level needs a filter", options.name));
  auto ctx = std::make_unique<internal::SinkContext>();
  ctx->sink = &sink;
  std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
  if (!a) return InternalError("archive_write_new failed");
  internal::SinkContext* client = ctx.get();
  LibarchiveWriter w(std::move(a), std::move(ctx), options);
  archive* raw = w.a_.get();
  const std::string opening = fmt::format("opening {} writer", options.name);
  if (SetFormat(raw, options.format) != ARCHIVE_OK) return w.Failure(opening);
  // ARCHIVE_WARN here would mean an external compressor program: not accepted.
  if (AddFilter(raw, options.filter, options.level) != ARCHIVE_OK)
    return w.Failure(fmt::format("setting up {} compression", FilterName(options.filter)));
  if (options.bytes_per_block &&
      archive_write_set_bytes_per_block(raw, *options.bytes_per_block) != ARCHIVE_OK)
    return w.Failure(opening);
  if (archive_write_open(raw, client, nullptr, WriteCallback, nullptr) != ARCHIVE_OK)
    return w.Failure(opening);
  return w;
}

Error LibarchiveWriter::Failure(std::string what) const {
  if (ctx_ && ctx_->error) return Error(*ctx_->error).Context(std::move(what));
  const char* msg = a_ ? archive_error_string(a_.get()) : nullptr;
  return IoError(fmt::format("{}: {}", what, msg ? msg : "unknown libarchive error"));
}

Status LibarchiveWriter::WriteHeader(archive_entry* entry, std::string_view path) {
  int rc = archive_write_header(a_.get(), entry);
  if (rc == ARCHIVE_OK || (rc == ARCHIVE_WARN && options_.accept_header_warnings)) return {};
  return Failure(fmt::format("writing {} header for '{}'", options_.name, path));
}

Status LibarchiveWriter::WriteData(const char* data, size_t size, std::string_view path) {
  while (size > 0) {
    la_ssize_t n = archive_write_data(a_.get(), data, size);
    if (n <= 0) return Failure(fmt::format("writing {} data for '{}'", options_.name, path));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Status LibarchiveWriter::WriteBlob(const rootfs::ContentStore& store, const rootfs::Blob& blob,
                                   std::string_view path) {
  if (buf_.empty()) buf_.resize(kCopyBufferSize);
  uint64_t offset = 0;
  while (offset < blob.size) {
    CAIRN_ASSIGN_OR_RETURN(size_t n, store.ReadAt(blob, offset, buf_.data(), buf_.size()));
    if (n == 0)
      return IntegrityError(fmt::format("the spooled content of '{}' is truncated", path));
    CAIRN_TRY(WriteData(buf_.data(), n, path));
    offset += n;
  }
  return {};
}

Status LibarchiveWriter::Finish() {
  if (archive_write_close(a_.get()) != ARCHIVE_OK)
    return Failure(fmt::format("finishing {} stream", options_.name));
  return {};
}

}  // namespace cairn::extract
