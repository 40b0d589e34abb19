// cairn-bench-floor: the (de)compression floor a build of the same inputs
// cannot go below, measured with the same zlib cairn links against.
//
//   cairn-bench-floor inflate FILE...      inflate every gzip member of each file once
//   cairn-bench-floor deflate LEVEL BLOB   inflate BLOB (a layer), deflate the tar at LEVEL
//   cairn-bench-floor deb FILE.deb...      decompress each .deb's data.tar member once
//                                          (xz with liblzma, gz with zlib)
//
// Prints one line "seconds=S bytes_in=I bytes_out=O" (seconds: wall time
// spent inside inflate(), deflate() or lzma_code() only, as oci::LayerTimings
// counts it; bytes_in for `deb` is the compressed data.tar members).
// A benchmark tool only: it is neither installed nor tested.
#include <lzma.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kChunk = 1 << 18;

struct Totals {
  double seconds = 0;
  unsigned long long bytes_in = 0;
  unsigned long long bytes_out = 0;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "cairn-bench-floor: %s\n", message.c_str());
  std::exit(1);
}

// Streams every gzip member of `path` through inflate(); `sink` receives the
// uncompressed bytes (may be null). Returns the seconds spent in inflate().
template <typename Sink>
double InflateFile(const char* path, Totals& t, Sink&& sink) {
  std::FILE* f = std::fopen(path, "rb");
  if (!f) Die(std::string("cannot open '") + path + "': " + std::strerror(errno));
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) Die("inflateInit2 failed");
  std::vector<unsigned char> in(kChunk), out(kChunk);
  double seconds = 0;
  bool in_member = false;
  while (true) {
    if (zs.avail_in == 0) {
      size_t n = std::fread(in.data(), 1, in.size(), f);
      if (n == 0) break;
      t.bytes_in += n;
      zs.next_in = in.data();
      zs.avail_in = static_cast<uInt>(n);
    }
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    auto start = Clock::now();
    int rc = inflate(&zs, Z_NO_FLUSH);
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
    in_member = true;
    size_t produced = out.size() - zs.avail_out;
    t.bytes_out += produced;
    if (produced) sink(out.data(), produced);
    if (rc == Z_STREAM_END) {
      inflateReset(&zs);  // the next gzip member (an .apk is three of them)
      in_member = false;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      Die(std::string("bad gzip data in '") + path + "'");
    }
  }
  if (in_member && zs.total_in != 0) Die(std::string("truncated gzip data in '") + path + "'");
  inflateEnd(&zs);
  std::fclose(f);
  return seconds;
}

int Inflate(int argc, char** argv) {
  Totals t;
  for (int i = 0; i < argc; ++i) t.seconds += InflateFile(argv[i], t, [](auto*, size_t) {});
  std::printf("seconds=%.4f bytes_in=%llu bytes_out=%llu\n", t.seconds, t.bytes_in, t.bytes_out);
  return 0;
}

int Deflate(int level, const char* blob) {
  z_stream zs{};
  // Same parameters as oci::WriteLayerTar: gzip wrapper, 32K window, memLevel 8.
  if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    Die("deflateInit2 failed");
  std::vector<unsigned char> out(kChunk);
  Totals tar;  // inflating the blob: not counted
  Totals t;
  auto pump = [&](int flush) {
    do {
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      auto start = Clock::now();
      int rc = deflate(&zs, flush);
      t.seconds += std::chrono::duration<double>(Clock::now() - start).count();
      if (rc == Z_STREAM_ERROR) Die("deflate failed");
      t.bytes_out += out.size() - zs.avail_out;
    } while (zs.avail_out == 0);
  };
  InflateFile(blob, tar, [&](unsigned char* data, size_t n) {
    zs.next_in = data;
    zs.avail_in = static_cast<uInt>(n);
    t.bytes_in += n;
    pump(Z_NO_FLUSH);
  });
  pump(Z_FINISH);
  deflateEnd(&zs);
  std::printf("seconds=%.4f bytes_in=%llu bytes_out=%llu\n", t.seconds, t.bytes_in, t.bytes_out);
  return 0;
}

// The data.tar member of the ar archive at `path`: its name and bytes.
std::string ReadDataMember(const char* path, std::vector<unsigned char>& data) {
  std::FILE* f = std::fopen(path, "rb");
  if (!f) Die(std::string("cannot open '") + path + "': " + std::strerror(errno));
  char magic[8];
  if (std::fread(magic, 1, 8, f) != 8 || std::memcmp(magic, "!<arch>\n", 8) != 0)
    Die(std::string("'") + path + "' is not an ar archive (expected a .deb)");
  char header[60];
  while (std::fread(header, 1, sizeof header, f) == sizeof header) {
    std::string name(header, 16);
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty() && name.back() == '/') name.pop_back();  // GNU ar
    long size = std::strtol(std::string(header + 48, 10).c_str(), nullptr, 10);
    if (name.rfind("data.tar", 0) == 0) {
      data.resize(static_cast<size_t>(size));
      if (std::fread(data.data(), 1, data.size(), f) != data.size())
        Die(std::string("truncated member '") + name + "' in '" + path + "'");
      std::fclose(f);
      return name;
    }
    if (std::fseek(f, size + (size & 1), SEEK_CUR) != 0) break;
  }
  Die(std::string("no data.tar member in '") + path + "'");
}

// Decompresses `in` (an .xz stream) into a scratch buffer; returns the seconds
// spent in lzma_code().
double Unxz(const std::vector<unsigned char>& in, const char* path, Totals& t) {
  lzma_stream zs = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&zs, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    Die("lzma_stream_decoder failed");
  std::vector<unsigned char> out(kChunk);
  zs.next_in = in.data();
  zs.avail_in = in.size();
  double seconds = 0;
  lzma_ret rc = LZMA_OK;
  while (rc == LZMA_OK) {
    zs.next_out = out.data();
    zs.avail_out = out.size();
    auto start = Clock::now();
    rc = lzma_code(&zs, zs.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
    t.bytes_out += out.size() - zs.avail_out;
  }
  lzma_end(&zs);
  if (rc != LZMA_STREAM_END) Die(std::string("bad xz data in '") + path + "'");
  return seconds;
}

double InflateMemory(const std::vector<unsigned char>& in, const char* path, Totals& t) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) Die("inflateInit2 failed");
  std::vector<unsigned char> out(kChunk);
  zs.next_in = const_cast<unsigned char*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  double seconds = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    auto start = Clock::now();
    rc = inflate(&zs, Z_NO_FLUSH);
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
    t.bytes_out += out.size() - zs.avail_out;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) Die(std::string("bad gzip data in '") + path + "'");
  return seconds;
}

int Debs(int argc, char** argv) {
  Totals t;
  std::vector<unsigned char> data;
  for (int i = 0; i < argc; ++i) {
    std::string name = ReadDataMember(argv[i], data);
    t.bytes_in += data.size();
    if (name == "data.tar.xz") {
      t.seconds += Unxz(data, argv[i], t);
    } else if (name == "data.tar.gz") {
      t.seconds += InflateMemory(data, argv[i], t);
    } else if (name == "data.tar") {
      t.bytes_out += data.size();
    } else {
      Die("unsupported member '" + name + "' in '" + argv[i] +
          "' (expected data.tar.xz, data.tar.gz or data.tar)");
    }
  }
  std::printf("seconds=%.4f bytes_in=%llu bytes_out=%llu\n", t.seconds, t.bytes_in, t.bytes_out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "inflate" && argc > 2) return Inflate(argc - 2, argv + 2);
  if (mode == "deflate" && argc == 4) return Deflate(std::atoi(argv[2]), argv[3]);
  if (mode == "deb" && argc > 2) return Debs(argc - 2, argv + 2);
  std::fprintf(stderr,
               "usage: cairn-bench-floor inflate FILE...\n"
               "       cairn-bench-floor deflate LEVEL LAYER_BLOB\n"
               "       cairn-bench-floor deb FILE.deb...\n");
  return 2;
}
