// WriteLayerTar: tar stream -> sha256 (diff_id) -> gzip (blocks deflated in
// parallel) -> sha256 (digest) -> blob file, in one pass with bounded memory.
#include "cairn/oci/layer.h"

extern "C" {
#include <zlib.h>
}

#include <time.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "blob_file.h"
#include "cairn/digest.h"

namespace cairn::oci {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The tar stream is cut into fixed blocks that are deflated in parallel, as
// pigz does: each block is raw deflate primed with the previous block's last
// 32 KiB as its dictionary and ended with a sync flush (the last one with
// Z_FINISH), so the pieces concatenate into one ordinary gzip member whose
// bytes depend only on the input and the level, never on the thread count.
constexpr size_t kBlockSize = 1 << 20;
constexpr size_t kDictionarySize = 32 * 1024;

struct CompressedBlock {
  std::string data;
  uint32_t crc = 0;
  size_t input_size = 0;
  double seconds = 0;
  std::string error;  ///< zlib failure, "" when fine
};

// CPU time of the calling thread: a worker's wall time would count the time
// it waited for a core.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

CompressedBlock DeflateBlock(std::string input, std::string dictionary, int level, bool last) {
  CompressedBlock out;
  double t0 = ThreadCpuSeconds();
  out.input_size = input.size();
  out.crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(input.data()), static_cast<uInt>(input.size())));
  z_stream z{};
  // Negative windowBits: raw deflate; the gzip header and trailer are ours.
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    out.error = "deflateInit2 failed";
    return out;
  }
  if (!dictionary.empty() &&
      deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dictionary.data()),
                           static_cast<uInt>(dictionary.size())) != Z_OK) {
    deflateEnd(&z);
    out.error = "deflateSetDictionary failed";
    return out;
  }
  out.data.resize(deflateBound(&z, static_cast<uLong>(input.size())) + 64);
  z.next_in = reinterpret_cast<Bytef*>(input.data());
  z.avail_in = static_cast<uInt>(input.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data.data());
  z.avail_out = static_cast<uInt>(out.data.size());
  int rc = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
  bool ok = last ? rc == Z_STREAM_END : (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0);
  if (!ok) out.error = fmt::format("deflate failed ({})", rc);
  out.data.resize(out.data.size() - z.avail_out);
  deflateEnd(&z);
  out.seconds = ThreadCpuSeconds() - t0;
  return out;
}

// Gzip stream with a fixed header, hashing its input and its output.
class GzipBlobWriter {
 public:
  static Result<std::unique_ptr<GzipBlobWriter>> Open(internal::BlobFile blob, int level,
                                                      LayerTimings* timings) {
    std::unique_ptr<GzipBlobWriter> w(new GzipBlobWriter(std::move(blob), level, timings));
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL OS=255: nothing about the host or the
    // moment; XFL as zlib sets it, so a one-block layer is byte-identical to zlib's.
    char xfl = level == 9 ? 2 : level < 2 ? 4 : 0;
    const char header[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, xfl, '\xff'};
    CAIRN_TRY(w->Emit(header, sizeof header));
    unsigned threads = std::thread::hardware_concurrency();
    w->max_in_flight_ = 2 * static_cast<size_t>(threads == 0 ? 1 : threads);
    w->block_.reserve(kBlockSize);
    return w;
  }

  ~GzipBlobWriter() {
    for (auto& f : pending_) f.wait();  // never leave a task writing into freed memory
  }

  /// Consumes uncompressed tar bytes.
  Status Write(const char* data, size_t size) {
    auto t0 = Clock::now();
    tar_hash_.Update(data, size);
    timings_->hash_seconds += Seconds(Clock::now() - t0);
    uncompressed_ += size;
    while (size > 0) {
      size_t take = std::min(size, kBlockSize - block_.size());
      block_.append(data, take);
      data += take;
      size -= take;
      if (block_.size() == kBlockSize) CAIRN_TRY(Submit(/*last=*/false));
    }
    return {};
  }

  /// Ends the gzip member, commits the blob under its digest and fills `out`.
  Status Finish(LayerResult* out) {
    CAIRN_TRY(Submit(/*last=*/true));
    while (!pending_.empty()) CAIRN_TRY(Collect());
    char trailer[8];
    for (int i = 0; i < 4; ++i) trailer[i] = static_cast<char>((crc_ >> (8 * i)) & 0xff);
    auto isize = static_cast<uint32_t>(uncompressed_);  // RFC 1952: size modulo 2^32
    for (int i = 0; i < 4; ++i) trailer[4 + i] = static_cast<char>((isize >> (8 * i)) & 0xff);
    CAIRN_TRY(Emit(trailer, sizeof trailer));
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
  GzipBlobWriter(internal::BlobFile blob, int level, LayerTimings* timings)
      : blob_(std::move(blob)), level_(level), timings_(timings) {}

  // Hands the current block to a worker; waits for the oldest when too many
  // are in flight, so memory stays at a few blocks whatever the layer size.
  Status Submit(bool last) {
    while (pending_.size() >= max_in_flight_) CAIRN_TRY(Collect());
    std::string dictionary =
        previous_tail_.size() > kDictionarySize
            ? previous_tail_.substr(previous_tail_.size() - kDictionarySize)
            : previous_tail_;
    previous_tail_ = block_.size() > kDictionarySize
                         ? block_.substr(block_.size() - kDictionarySize)
                         : previous_tail_ + block_;
    pending_.push_back(std::async(std::launch::async, DeflateBlock, std::move(block_),
                                  std::move(dictionary), level_, last));
    block_ = std::string();
    block_.reserve(kBlockSize);
    return {};
  }

  // Writes the oldest compressed block, in stream order.
  Status Collect() {
    CompressedBlock b = pending_.front().get();
    pending_.pop_front();
    if (!b.error.empty()) return InternalError(b.error);
    timings_->compress_seconds += b.seconds;
    crc_ = static_cast<uint32_t>(crc32_combine(crc_, b.crc, static_cast<z_off_t>(b.input_size)));
    return Emit(b.data.data(), b.data.size());
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
  int level_;
  LayerTimings* timings_;
  std::string block_;
  std::string previous_tail_;  ///< up to the last 32 KiB of input before `block_`
  std::deque<std::future<CompressedBlock>> pending_;
  size_t max_in_flight_ = 2;
  uint32_t crc_ = 0;
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
  TarOptions tar = options.tar;
  tar.layer = options.layer;
  const std::string what =
      options.layer < 0 ? "writing layer tar" : fmt::format("writing layer {} tar", options.layer);
  CAIRN_TRY_CTX(WriteTarStream(tree, sink, tar), what);
  CAIRN_TRY_CTX(gz->Finish(&result), what);
  result.timings.total_seconds = Seconds(Clock::now() - start);
  return result;
}

}  // namespace cairn::oci
