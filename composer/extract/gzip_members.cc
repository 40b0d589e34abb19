#include "cairn/extract/gzip_members.h"

#include <memory>

#include <fmt/format.h>
#include <zlib.h>

#include "extract/input_file.h"

namespace cairn::extract {
namespace {

constexpr size_t kChunk = 64 * 1024;

std::string ZlibMessage(const z_stream& zs, int ret) {
  if (zs.msg != nullptr) return zs.msg;
  return fmt::format("error {}", ret);
}

struct InflateGuard {
  z_stream* zs;
  ~InflateGuard() { inflateEnd(zs); }
};

}  // namespace

Result<std::vector<GzipMember>> FindGzipMembers(const std::filesystem::path& path, uint64_t start,
                                                size_t max_members) {
  CAIRN_ASSIGN_OR_RETURN(auto file, internal::InputFile::Open(path));
  return internal::FindGzipMembers(file, start, max_members);
}

namespace internal {

Result<std::vector<GzipMember>> FindGzipMembers(const InputFile& file, uint64_t start,
                                                size_t max_members) {
  const std::filesystem::path& path = file.path();
  std::vector<GzipMember> members;
  if (max_members == 0) return members;

  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return InternalError("zlib inflateInit2 failed (out of memory)");
  InflateGuard guard{&zs};

  // Not zero-filled: packages are opened thousands of times per build.
  auto in = std::make_unique_for_overwrite<unsigned char[]>(kChunk);
  auto out = std::make_unique_for_overwrite<unsigned char[]>(kChunk);
  uint64_t pos = start;  // file offset of the next byte to read into `in`
  GzipMember current;
  current.offset = start;
  bool in_member = false;
  while (true) {
    if (zs.avail_in == 0) {
      CAIRN_ASSIGN_OR_RETURN(size_t n,
                             file.ReadAt(pos, reinterpret_cast<char*>(in.get()), kChunk));
      if (n == 0) break;
      pos += n;
      zs.next_in = in.get();
      zs.avail_in = static_cast<uInt>(n);
    }
    if (!in_member) {
      // Only the magic's first byte is checked here; inflate checks the rest.
      if (zs.next_in[0] != 0x1f)
        return IntegrityError(fmt::format("'{}': the bytes at offset {} are not a gzip member",
                                          path.string(), pos - zs.avail_in));
      in_member = true;
    }
    zs.next_out = out.get();
    zs.avail_out = static_cast<uInt>(kChunk);
    int ret = inflate(&zs, Z_NO_FLUSH);
    current.uncompressed_size += kChunk - zs.avail_out;
    if (ret == Z_STREAM_END) {
      uint64_t end = pos - zs.avail_in;
      current.size = end - current.offset;
      members.push_back(current);
      if (members.size() >= max_members) return members;
      current = GzipMember{};
      current.offset = end;
      in_member = false;
      inflateReset(&zs);
    } else if (ret != Z_OK && !(ret == Z_BUF_ERROR && zs.avail_in == 0)) {
      return IntegrityError(fmt::format("'{}': the gzip member at offset {} is corrupt (zlib: {})",
                                        path.string(), current.offset, ZlibMessage(zs, ret)));
    }
  }
  if (in_member)
    return IntegrityError(fmt::format("'{}' is truncated: the gzip member at offset {} has no end",
                                      path.string(), current.offset));
  return members;
}

}  // namespace internal

void GzipCompressor::StreamDeleter::operator()(z_stream_s* s) const {
  deflateEnd(s);
  delete s;
}

GzipCompressor::GzipCompressor(std::unique_ptr<z_stream_s, StreamDeleter> stream, Sink sink)
    : stream_(std::move(stream)), sink_(std::move(sink)) {}
GzipCompressor::GzipCompressor(GzipCompressor&&) noexcept = default;
GzipCompressor& GzipCompressor::operator=(GzipCompressor&&) noexcept = default;
GzipCompressor::~GzipCompressor() = default;

Result<GzipCompressor> GzipCompressor::Open(int level, Sink sink) {
  auto* raw = new z_stream{};
  if (deflateInit2(raw, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    delete raw;
    return InternalError(fmt::format("zlib deflateInit2 failed (level {})", level));
  }
  std::unique_ptr<z_stream_s, StreamDeleter> stream(raw);
  // A fixed header keeps the member byte-identical across builds and hosts.
  // zlib keeps the pointer and only reads it, so one shared instance serves all.
  static gz_header header = [] {
    gz_header h{};
    h.time = 0;
    h.os = 3;
    return h;
  }();
  if (deflateSetHeader(stream.get(), &header) != Z_OK)
    return InternalError("zlib deflateSetHeader failed");
  return GzipCompressor(std::move(stream), std::move(sink));
}

Status GzipCompressor::Pump(int flush) {
  unsigned char out[kChunk];
  while (true) {
    stream_->next_out = out;
    stream_->avail_out = sizeof(out);
    int ret = deflate(stream_.get(), flush);
    if (ret == Z_STREAM_ERROR) return InternalError("zlib deflate failed (stream error)");
    size_t produced = sizeof(out) - stream_->avail_out;
    if (produced > 0) CAIRN_TRY(sink_(std::string_view(reinterpret_cast<char*>(out), produced)));
    if (flush == Z_FINISH) {
      if (ret == Z_STREAM_END) return {};
    } else if (stream_->avail_in == 0 && stream_->avail_out != 0) {
      return {};
    }
  }
}

Status GzipCompressor::Write(std::string_view bytes) {
  if (finished_) return InternalError("gzip member written after Finish()");
  while (!bytes.empty()) {
    // avail_in is 32-bit; feed large buffers in slices.
    size_t n = std::min<size_t>(bytes.size(), 1u << 30);
    stream_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    stream_->avail_in = static_cast<uInt>(n);
    CAIRN_TRY(Pump(Z_NO_FLUSH));
    bytes.remove_prefix(n);
  }
  return {};
}

Status GzipCompressor::Finish() {
  if (finished_) return {};
  stream_->next_in = nullptr;
  stream_->avail_in = 0;
  CAIRN_TRY(Pump(Z_FINISH));
  finished_ = true;
  return {};
}

Result<std::string> GzipMemberOf(std::string_view bytes, int level) {
  std::string out;
  CAIRN_ASSIGN_OR_RETURN(auto gz, GzipCompressor::Open(level, [&](std::string_view b) -> Status {
                           out.append(b);
                           return {};
                         }));
  CAIRN_TRY(gz.Write(bytes));
  CAIRN_TRY(gz.Finish());
  return out;
}

}  // namespace cairn::extract
