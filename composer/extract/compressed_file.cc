#include "cairn/extract/compressed_file.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <vector>

#include "extract/input_file.h"
#include "extract/libarchive_source.h"

namespace cairn::extract {
namespace internal {

struct DecompressorState : SourceState {
  Compression compression = Compression::kNone;
  bool at_end = false;
};

}  // namespace internal

namespace {

using internal::LibarchiveText;

constexpr size_t kChunk = 64 * 1024;

struct Format {
  Compression compression;
  std::string_view name;
  int filter_code;  // ARCHIVE_FILTER_*
};

constexpr std::array<Format, 7> kFormats = {{
    {Compression::kNone, "none", ARCHIVE_FILTER_NONE},
    {Compression::kGzip, "gzip", ARCHIVE_FILTER_GZIP},
    {Compression::kXz, "xz", ARCHIVE_FILTER_XZ},
    {Compression::kLzma, "lzma", ARCHIVE_FILTER_LZMA},
    {Compression::kZstd, "zstd", ARCHIVE_FILTER_ZSTD},
    {Compression::kBzip2, "bzip2", ARCHIVE_FILTER_BZIP2},
    {Compression::kLz4, "lz4", ARCHIVE_FILTER_LZ4},
}};


la_ssize_t AppendCallback(archive*, void* client, const void* buf, size_t size) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), size);
  return static_cast<la_ssize_t>(size);
}

// "gzip-compressed" / "not compressed", for mismatch messages.
std::string Describe(Compression c) {
  if (c == Compression::kNone) return "not compressed";
  return fmt::format("{}-compressed", CompressionName(c));
}

// "xz data" / "uncompressed data": what a mismatch message expected.
std::string Expected(Compression c) {
  if (c == Compression::kNone) return "uncompressed data";
  return fmt::format("{} data", CompressionName(c));
}

}  // namespace

std::string_view CompressionName(Compression compression) {
  for (const Format& f : kFormats)
    if (f.compression == compression) return f.name;
  return "unknown";
}

Result<Compression> ParseCompression(std::string_view name) {
  for (const Format& f : kFormats)
    if (f.name == name) return f.compression;
  return UsageError(fmt::format(
      "unknown compression '{}' (expected 'none', 'gzip', 'xz', 'lzma', 'zstd', 'bzip2' or "
      "'lz4')",
      name));
}

// ---------------------------------------------------------------- Decompressor

Decompressor::Decompressor(std::unique_ptr<archive, ArchiveDeleter> a,
                           std::unique_ptr<internal::DecompressorState> state)
    : state_(std::move(state)), a_(std::move(a)) {}
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;
Decompressor::~Decompressor() = default;

Result<Decompressor> Decompressor::OpenMemory(std::string_view bytes, std::string name,
                                              std::optional<Compression> expected) {
  bool done = false;
  return Open(
      [bytes, done]() mutable -> Result<std::string_view> {
        if (done) return std::string_view();
        done = true;
        return bytes;
      },
      std::move(name), expected);
}

Result<Decompressor> Decompressor::Open(Source source, std::string name,
                                        std::optional<Compression> expected) {
  auto state = std::make_unique<internal::DecompressorState>();
  state->name = std::move(name);
  state->source = std::move(source);

  std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
  if (!a) return InternalError("archive_read_new failed (out of memory)");
  // Only the raw format (the payload is returned as is, never parsed) and
  // the empty one, without which an empty payload is "unrecognized".
  if (archive_read_support_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_xz(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_lzma(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_bzip2(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_lz4(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_raw(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_empty(a.get()) != ARCHIVE_OK)
    return InternalError(fmt::format("libarchive set-up failed: {}", LibarchiveText(a.get())));
  archive_entry* entry = nullptr;
  int r = archive_read_open(a.get(), static_cast<internal::SourceState*>(state.get()), nullptr,
                            internal::ReadFromSource, nullptr);
  if (r == ARCHIVE_OK) r = archive_read_next_header(a.get(), &entry);
  if (r == ARCHIVE_EOF) {
    state->at_end = true;  // the empty format: no payload at all
  } else if (r != ARCHIVE_OK) {
    if (state->source_error) return std::move(*state->source_error);
    return IntegrityError(fmt::format("'{}': truncated or corrupt compressed data ({})",
                                      state->name, LibarchiveText(a.get())));
  }

  // Filter 0 is the one nearest the payload; the last is the plain reader
  // of our callback, so one compression layer gives a count of 2.
  const int count = archive_filter_count(a.get());
  if (count > 2) {
    return IntegrityError(fmt::format("'{}' is compressed more than once ({} inside {})",
                                      state->name, archive_filter_name(a.get(), 0),
                                      archive_filter_name(a.get(), 1)));
  }
  const int code = archive_filter_code(a.get(), 0);
  bool known = false;
  for (const Format& f : kFormats) {
    if (f.filter_code == code) {
      state->compression = f.compression;
      known = true;
    }
  }
  if (!known)
    return InternalError(fmt::format("'{}': libarchive chose the unexpected filter '{}'",
                                     state->name, archive_filter_name(a.get(), 0)));
  if (expected && *expected != state->compression) {
    return IntegrityError(fmt::format("'{}' is {} (expected {})", state->name,
                                      Describe(state->compression), Expected(*expected)));
  }
  return Decompressor(std::move(a), std::move(state));
}

Compression Decompressor::compression() const { return state_->compression; }

Error Decompressor::Failure(std::string_view what) const {
  if (state_->source_error) {
    Error e = std::move(*state_->source_error);
    state_->source_error.reset();
    return e;
  }
  return IntegrityError(fmt::format("'{}': {} ({})", state_->name, what, LibarchiveText(a_.get())));
}

Result<std::string_view> Decompressor::Read() {
  if (state_->at_end) return std::string_view();
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  while (true) {
    int r = archive_read_data_block(a_.get(), &buf, &size, &offset);
    if (r == ARCHIVE_EOF) {
      state_->at_end = true;
      return std::string_view();
    }
    if (r != ARCHIVE_OK) {
      state_->at_end = true;  // libarchive's state is undefined after a fatal error
      if (state_->compression == Compression::kNone) return Failure("reading failed");
      return Failure(
          fmt::format("truncated or corrupt {} data", CompressionName(state_->compression)));
    }
    if (size > 0) return std::string_view(static_cast<const char*>(buf), size);
  }
}

Result<uint64_t> Decompressor::Drain() {
  uint64_t skipped = 0;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(std::string_view chunk, Read());
    if (chunk.empty()) return skipped;
    skipped += chunk.size();
  }
}

// ---------------------------------------------------------------- files

Status StreamCompressedFile(const std::filesystem::path& path,
                            const std::function<Status(std::string_view chunk)>& sink) {
  CAIRN_ASSIGN_OR_RETURN(auto file, internal::InputFile::Open(path));
  std::vector<char> buf(kChunk);
  uint64_t pos = 0;
  auto source = [&]() -> Result<std::string_view> {
    CAIRN_ASSIGN_OR_RETURN(size_t n, file.ReadAt(pos, buf.data(), buf.size()));
    pos += n;
    return std::string_view(buf.data(), n);
  };
  CAIRN_ASSIGN_OR_RETURN(auto decompressor, Decompressor::Open(source, path.string()));
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(std::string_view chunk, decompressor.Read());
    if (chunk.empty()) return {};
    CAIRN_TRY(sink(chunk));
  }
}

Result<std::string> ReadCompressedFile(const std::filesystem::path& path, uint64_t max_bytes) {
  std::string out;
  CAIRN_TRY(StreamCompressedFile(path, [&](std::string_view chunk) -> Status {
    if (out.size() + chunk.size() > max_bytes)
      return IntegrityError(
          fmt::format("'{}' decompresses to more than {} bytes", path.string(), max_bytes));
    out.append(chunk);
    return {};
  }));
  return out;
}

Result<std::string> CompressBytes(std::string_view bytes, Compression compression) {
  if (compression == Compression::kNone) return std::string(bytes);
  std::string out;
  std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
  if (!a) return InternalError("archive_write_new failed (out of memory)");
  int r = archive_write_set_format_raw(a.get());
  if (r == ARCHIVE_OK) {
    switch (compression) {
      case Compression::kNone:
        break;
      case Compression::kGzip:
        r = archive_write_add_filter_gzip(a.get());
        // The default header records the current time.
        if (r == ARCHIVE_OK)
          r = archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr);
        break;
      case Compression::kXz:
        r = archive_write_add_filter_xz(a.get());
        break;
      case Compression::kLzma:
        r = archive_write_add_filter_lzma(a.get());
        break;
      case Compression::kZstd:
        r = archive_write_add_filter_zstd(a.get());
        break;
      case Compression::kBzip2:
        r = archive_write_add_filter_bzip2(a.get());
        break;
      case Compression::kLz4:
        r = archive_write_add_filter_lz4(a.get());
        break;
    }
  }
  // No blocking: the output ends where the compressed stream ends.
  if (r == ARCHIVE_OK) r = archive_write_set_bytes_per_block(a.get(), 0);
  if (r == ARCHIVE_OK) r = archive_write_set_bytes_in_last_block(a.get(), 1);
  if (r == ARCHIVE_OK) r = archive_write_open(a.get(), &out, nullptr, AppendCallback, nullptr);
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                 archive_entry_free);
  if (r == ARCHIVE_OK && !entry) return InternalError("archive_entry_new failed (out of memory)");
  if (r == ARCHIVE_OK) {
    archive_entry_set_pathname(entry.get(), "data");
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
    r = archive_write_header(a.get(), entry.get());
  }
  while (r == ARCHIVE_OK && !bytes.empty()) {
    la_ssize_t n = archive_write_data(a.get(), bytes.data(), bytes.size());
    if (n <= 0) {
      r = ARCHIVE_FATAL;
      break;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (r == ARCHIVE_OK) r = archive_write_close(a.get());
  if (r != ARCHIVE_OK)
    return InternalError(fmt::format("{} compression failed ({})", CompressionName(compression),
                                     LibarchiveText(a.get())));
  return out;
}

}  // namespace cairn::extract
