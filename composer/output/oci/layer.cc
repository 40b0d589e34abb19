// WriteLayerTar: tar stream -> sha256 (diff_id) -> zlib gzip -> sha256
// (digest) -> blob file, all in one pass with fixed-size buffers.
#include "cairn/oci/layer.h"

extern "C" {
#include <zlib.h>
}

#include <fmt/format.h>

#include <chrono>
#include <vector>

#include "blob_file.h"
#include "cairn/digest.h"

namespace cairn::oci {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kOutBufferSize = 64 * 1024;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Gzip stream with a fixed header, hashing its input and its output.
class GzipBlobWriter {
 public:
  static Result<std::unique_ptr<GzipBlobWriter>> Open(internal::BlobFile blob, int level,
                                                      LayerTimings* timings) {
    std::unique_ptr<GzipBlobWriter> w(new GzipBlobWriter(std::move(blob), timings));
    // windowBits 15 + 16 selects the gzip wrapper; memLevel 8 is zlib's default.
    int rc = deflateInit2(&w->z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) return InternalError(fmt::format("deflateInit2 failed ({})", rc));
    w->initialised_ = true;
    // time 0, no name/comment/extra, OS 255: nothing about the host or the moment.
    w->header_.os = 255;
    rc = deflateSetHeader(&w->z_, &w->header_);
    if (rc != Z_OK) return InternalError(fmt::format("deflateSetHeader failed ({})", rc));
    return w;
  }

  ~GzipBlobWriter() {
    if (initialised_) deflateEnd(&z_);
  }

  /// Consumes uncompressed tar bytes.
  Status Write(const char* data, size_t size) {
    auto t0 = Clock::now();
    tar_hash_.Update(data, size);
    timings_->hash_seconds += Seconds(Clock::now() - t0);
    uncompressed_ += size;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    // zlib's avail_in is 32-bit; libarchive hands over 10 KiB records, but be exact.
    while (size > 0) {
      uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
      z_.avail_in = chunk;
      CAIRN_TRY(Deflate(Z_NO_FLUSH));
      size -= chunk;
    }
    return {};
  }

  /// Ends the gzip member, commits the blob under its digest and fills `out`.
  Status Finish(LayerResult* out) {
    z_.avail_in = 0;
    CAIRN_TRY(Deflate(Z_FINISH));
    auto t0 = Clock::now();
    std::string digest_hex = HexEncode(gz_hash_.Finish());
    std::string diff_hex = HexEncode(tar_hash_.Finish());
    timings_->hash_seconds += Seconds(Clock::now() - t0);
    t0 = Clock::now();
    CAIRN_TRY(blob_.Commit(digest_hex));
    timings_->write_seconds += Seconds(Clock::now() - t0);
    out->digest = "sha256:" + digest_hex;
    out->diff_id = "sha256:" + diff_hex;
    out->size = compressed_;
    out->uncompressed_size = uncompressed_;
    return {};
  }

 private:
  GzipBlobWriter(internal::BlobFile blob, LayerTimings* timings)
      : blob_(std::move(blob)), timings_(timings), out_(kOutBufferSize) {}

  // Runs deflate until it has taken all input (or finished the stream),
  // draining the output buffer whenever it fills.
  Status Deflate(int flush) {
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = static_cast<uInt>(out_.size());
      auto t0 = Clock::now();
      int rc = deflate(&z_, flush);
      timings_->compress_seconds += Seconds(Clock::now() - t0);
      if (rc == Z_STREAM_ERROR) return InternalError("deflate failed (stream error)");
      size_t have = out_.size() - z_.avail_out;
      if (have > 0) CAIRN_TRY(Emit(out_.data(), have));
      if (flush == Z_FINISH) {
        if (rc == Z_STREAM_END) return {};
      } else if (z_.avail_in == 0 && z_.avail_out != 0) {
        return {};
      }
    }
  }

  Status Emit(const char* data, size_t size) {
    auto t0 = Clock::now();
    gz_hash_.Update(data, size);
    auto t1 = Clock::now();
    timings_->hash_seconds += Seconds(t1 - t0);
    CAIRN_TRY(blob_.Write(data, size));
    timings_->write_seconds += Seconds(Clock::now() - t1);
    compressed_ += size;
    return {};
  }

  internal::BlobFile blob_;
  LayerTimings* timings_;
  std::vector<char> out_;
  z_stream z_{};
  gz_header header_{};
  bool initialised_ = false;
  Hasher tar_hash_ = Hasher::Sha256();
  Hasher gz_hash_ = Hasher::Sha256();
  uint64_t uncompressed_ = 0;
  uint64_t compressed_ = 0;
};

}  // namespace

Result<LayerResult> WriteLayerTar(const rootfs::Tree& tree, const std::filesystem::path& layout_dir,
                                  const LayerOptions& options) {
  const auto start = Clock::now();
  if (options.gzip_level < 0 || options.gzip_level > 9)
    return UsageError(
        fmt::format("gzip level {} is out of range (expected 0 to 9)", options.gzip_level));
  LayerResult result;
  CAIRN_ASSIGN_OR_RETURN(internal::BlobFile blob, internal::BlobFile::Create(layout_dir));
  CAIRN_ASSIGN_OR_RETURN(auto gz,
                         GzipBlobWriter::Open(std::move(blob), options.gzip_level, &result.timings));
  ByteSink sink = [&](const char* data, size_t size) { return gz->Write(data, size); };
  CAIRN_TRY_CTX(WriteTarStream(tree, sink, options.tar), "writing layer tar");
  CAIRN_TRY_CTX(gz->Finish(&result), "writing layer tar");
  result.timings.total_seconds = Seconds(Clock::now() - start);
  return result;
}

}  // namespace cairn::oci
