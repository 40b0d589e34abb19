#include "cairn/extract/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <cerrno>
#include <optional>

#include "extract/libarchive_source.h"

namespace cairn::extract {
namespace internal {

struct ReaderState : SourceState {};

struct WriterState {
  std::string name;
  ArchiveWriter::Sink sink;
  std::optional<Error> sink_error;
  bool finished = false;
};

}  // namespace internal

namespace {

using internal::LibarchiveText;

struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};


la_ssize_t WriteCallback(archive* a, void* client, const void* buf, size_t size) {
  auto* state = static_cast<internal::WriterState*>(client);
  auto st = state->sink(std::string_view(static_cast<const char*>(buf), size));
  if (!st.ok()) {
    archive_set_error(a, EIO, "%s", st.error().message().c_str());
    state->sink_error = std::move(st).error();
    return -1;
  }
  return static_cast<la_ssize_t>(size);
}

Result<std::unique_ptr<archive, ArchiveDeleter>> NewReadArchive() {
  std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
  if (!a) return InternalError("archive_read_new failed (out of memory)");
  if (archive_read_support_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_tar(a.get()) != ARCHIVE_OK)
    return InternalError(fmt::format("libarchive set-up failed: {}", LibarchiveText(a.get())));
  return a;
}

}  // namespace

void ArchiveDeleter::operator()(archive* a) const { archive_free(a); }

// ---------------------------------------------------------------- reader

ArchiveReader::ArchiveReader(std::unique_ptr<archive, ArchiveDeleter> a,
                             std::unique_ptr<internal::ReaderState> state)
    : state_(std::move(state)), a_(std::move(a)) {}
ArchiveReader::ArchiveReader(ArchiveReader&&) noexcept = default;
ArchiveReader& ArchiveReader::operator=(ArchiveReader&&) noexcept = default;
ArchiveReader::~ArchiveReader() = default;

Result<ArchiveReader> ArchiveReader::OpenMemory(std::string_view bytes, std::string name) {
  bool done = false;
  return OpenStream(
      [bytes, done]() mutable -> Result<std::string_view> {
        if (done) return std::string_view();
        done = true;
        return bytes;
      },
      std::move(name));
}

Result<ArchiveReader> ArchiveReader::OpenStream(Source source, std::string name) {
  auto state = std::make_unique<internal::ReaderState>();
  state->name = std::move(name);
  state->source = std::move(source);
  CAIRN_ASSIGN_OR_RETURN(auto a, NewReadArchive());
  if (archive_read_open(a.get(), static_cast<internal::SourceState*>(state.get()), nullptr,
                        internal::ReadFromSource, nullptr) != ARCHIVE_OK) {
    if (state->source_error) return std::move(*state->source_error);
    return IntegrityError(
        fmt::format("'{}' is not a tar archive ({})", state->name, LibarchiveText(a.get())));
  }
  return ArchiveReader(std::move(a), std::move(state));
}

Error ArchiveReader::Failure(std::string_view what) const {
  if (state_->source_error) {
    Error e = std::move(*state_->source_error);
    state_->source_error.reset();
    return e;
  }
  return IntegrityError(
      fmt::format("'{}': {} failed ({})", state_->name, what, LibarchiveText(a_.get())));
}

Result<bool> ArchiveReader::Next(ArchiveEntry* out) {
  archive_entry* e = nullptr;
  int r = archive_read_next_header(a_.get(), &e);
  if (r == ARCHIVE_EOF) return false;
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return Failure("reading a tar header");

  const char* path = archive_entry_pathname(e);
  if (path == nullptr) return Failure("decoding an entry name");
  *out = ArchiveEntry{};
  out->pathname = path;
  out->mode = static_cast<uint32_t>(archive_entry_perm(e)) & 07777;
  out->uid = static_cast<uint32_t>(archive_entry_uid(e));
  out->gid = static_cast<uint32_t>(archive_entry_gid(e));
  out->mtime = archive_entry_mtime(e);
  out->size = archive_entry_size_is_set(e) ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
  if (const char* hl = archive_entry_hardlink(e); hl != nullptr) {
    out->type = rootfs::FileType::kHardlink;
    out->hardlink = hl;
  } else {
    switch (archive_entry_filetype(e)) {
      case AE_IFREG:
        out->type = rootfs::FileType::kRegular;
        break;
      case AE_IFDIR:
        out->type = rootfs::FileType::kDirectory;
        break;
      case AE_IFLNK: {
        out->type = rootfs::FileType::kSymlink;
        const char* target = archive_entry_symlink(e);
        out->symlink = target != nullptr ? target : "";
        break;
      }
      case AE_IFCHR:
        out->type = rootfs::FileType::kCharDevice;
        break;
      case AE_IFBLK:
        out->type = rootfs::FileType::kBlockDevice;
        break;
      case AE_IFIFO:
        out->type = rootfs::FileType::kFifo;
        break;
      default:
        return IntegrityError(fmt::format("'{}': entry '{}' has an unsupported file type (0{:o})",
                                          state_->name, out->pathname,
                                          static_cast<unsigned>(archive_entry_filetype(e))));
    }
  }
  if (out->type == rootfs::FileType::kCharDevice || out->type == rootfs::FileType::kBlockDevice) {
    out->dev_major = static_cast<uint32_t>(archive_entry_rdevmajor(e));
    out->dev_minor = static_cast<uint32_t>(archive_entry_rdevminor(e));
  }
  if (archive_entry_xattr_reset(e) > 0) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
      out->xattrs[name] = std::string(static_cast<const char*>(value), size);
  }
  return true;
}

Result<size_t> ArchiveReader::ReadData(char* buf, size_t cap) {
  la_ssize_t n = archive_read_data(a_.get(), buf, cap);
  if (n < 0) return Failure("reading entry data");
  return static_cast<size_t>(n);
}

Result<std::string> ArchiveReader::ReadAllData(size_t max_size) {
  std::string out;
  char buf[16384];
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(size_t n, ReadData(buf, sizeof(buf)));
    if (n == 0) return out;
    if (out.size() + n > max_size)
      return IntegrityError(
          fmt::format("'{}': an entry is larger than {} bytes", state_->name, max_size));
    out.append(buf, n);
  }
}

// ---------------------------------------------------------------- writer

ArchiveWriter::ArchiveWriter(std::unique_ptr<archive, ArchiveDeleter> a,
                             std::unique_ptr<internal::WriterState> state)
    : state_(std::move(state)), a_(std::move(a)) {}
ArchiveWriter::ArchiveWriter(ArchiveWriter&&) noexcept = default;
ArchiveWriter& ArchiveWriter::operator=(ArchiveWriter&&) noexcept = default;
ArchiveWriter::~ArchiveWriter() = default;

Result<ArchiveWriter> ArchiveWriter::Open(Sink sink, TarFormat format, size_t bytes_per_block,
                                          std::string name) {
  auto state = std::make_unique<internal::WriterState>();
  state->name = std::move(name);
  state->sink = std::move(sink);
  std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
  if (!a) return InternalError("archive_write_new failed (out of memory)");
  int r = format == TarFormat::kUstar ? archive_write_set_format_ustar(a.get())
                                      : archive_write_set_format_pax_restricted(a.get());
  // Only the SCHILY form of xattr records, which GNU tar and apk-tools read;
  // libarchive would also repeat each one as LIBARCHIVE.xattr.*.
  if (r == ARCHIVE_OK && format == TarFormat::kPaxRestricted)
    r = archive_write_set_format_option(a.get(), "pax", "xattrheader", "SCHILY");
  if (r == ARCHIVE_OK) r = archive_write_add_filter_none(a.get());
  if (r == ARCHIVE_OK)
    r = archive_write_set_bytes_per_block(a.get(), static_cast<int>(bytes_per_block));
  // With no blocking, the last block must not be padded either.
  if (r == ARCHIVE_OK && bytes_per_block == 0)
    r = archive_write_set_bytes_in_last_block(a.get(), 1);
  if (r == ARCHIVE_OK)
    r = archive_write_open(a.get(), state.get(), nullptr, WriteCallback, nullptr);
  if (r != ARCHIVE_OK) {
    if (state->sink_error) return std::move(*state->sink_error);
    return InternalError(fmt::format("opening tar writer for '{}' failed ({})", state->name,
                                     LibarchiveText(a.get())));
  }
  return ArchiveWriter(std::move(a), std::move(state));
}

Error ArchiveWriter::Failure(std::string_view what) const {
  if (state_->sink_error) {
    Error e = std::move(*state_->sink_error);
    state_->sink_error.reset();
    return e;
  }
  return InternalError(
      fmt::format("'{}': {} failed ({})", state_->name, what, LibarchiveText(a_.get())));
}

Status ArchiveWriter::WriteHeader(const rootfs::FsEntry& in) {
  std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
  if (!e) return InternalError("archive_entry_new failed (out of memory)");
  archive_entry_set_pathname(e.get(), in.path.c_str());
  archive_entry_set_perm(e.get(), in.mode & 07777);
  archive_entry_set_uid(e.get(), in.uid);
  archive_entry_set_gid(e.get(), in.gid);
  archive_entry_set_mtime(e.get(), in.mtime, 0);
  archive_entry_set_size(e.get(), 0);
  switch (in.type) {
    case rootfs::FileType::kRegular:
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_size(e.get(), static_cast<la_int64_t>(in.size));
      break;
    case rootfs::FileType::kDirectory:
      archive_entry_set_filetype(e.get(), AE_IFDIR);
      break;
    case rootfs::FileType::kSymlink:
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), in.link_target.c_str());
      break;
    case rootfs::FileType::kHardlink:
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_hardlink(e.get(), in.link_target.c_str());
      break;
    case rootfs::FileType::kCharDevice:
    case rootfs::FileType::kBlockDevice:
      archive_entry_set_filetype(e.get(),
                                 in.type == rootfs::FileType::kCharDevice ? AE_IFCHR : AE_IFBLK);
      archive_entry_set_rdevmajor(e.get(), in.dev_major);
      archive_entry_set_rdevminor(e.get(), in.dev_minor);
      break;
    case rootfs::FileType::kFifo:
      archive_entry_set_filetype(e.get(), AE_IFIFO);
      break;
  }
  for (const auto& [name, value] : in.xattrs)
    archive_entry_xattr_add_entry(e.get(), name.c_str(), value.data(), value.size());
  if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK)
    return Failure(fmt::format("writing the header of '{}'", in.path));
  return {};
}

Status ArchiveWriter::WriteData(std::string_view bytes) {
  while (!bytes.empty()) {
    la_ssize_t n = archive_write_data(a_.get(), bytes.data(), bytes.size());
    if (n <= 0) return Failure("writing entry data");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status ArchiveWriter::Finish() {
  if (state_->finished) return {};
  state_->finished = true;
  if (archive_write_close(a_.get()) != ARCHIVE_OK) return Failure("finishing the tar");
  return {};
}

}  // namespace cairn::extract
