// GzipFile/GunzipFile over zlib's gzFile API.
#include "shared_cache/gzip_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <fmt/format.h>

#include <string>

namespace cairn::shared_cache::internal {
namespace {

namespace fs = std::filesystem;
constexpr unsigned kChunk = 1 << 17;

/// A file descriptor closed on destruction.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status WriteAll(int fd, const char* p, size_t n, const fs::path& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoError(fmt::format("cannot write '{}'", path.string()), errno);
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

}  // namespace

Status GzipFile(const fs::path& from, const fs::path& to) {
  Fd in{::open(from.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return ErrnoError(fmt::format("cannot open '{}'", from.string()), errno);
  gzFile out = gzopen(to.c_str(), "wb1");
  if (!out) return ErrnoError(fmt::format("cannot create '{}'", to.string()), errno);
  std::string buf(kChunk, '\0');
  for (;;) {
    ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      gzclose(out);
      return ErrnoError(fmt::format("cannot read '{}'", from.string()), e);
    }
    if (n == 0) break;
    if (gzwrite(out, buf.data(), static_cast<unsigned>(n)) != static_cast<int>(n)) {
      gzclose(out);
      return IoError(fmt::format("cannot write '{}'", to.string()));
    }
  }
  if (gzclose(out) != Z_OK) return IoError(fmt::format("cannot write '{}'", to.string()));
  return {};
}

Status GunzipFile(const fs::path& from, const fs::path& to, uint64_t max_bytes) {
  gzFile in = gzopen(from.c_str(), "rb");
  if (!in) return ErrnoError(fmt::format("cannot open '{}'", from.string()), errno);
  Fd out{::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
  if (out.fd < 0) {
    int e = errno;
    gzclose(in);
    return ErrnoError(fmt::format("cannot create '{}'", to.string()), e);
  }
  std::string buf(kChunk, '\0');
  uint64_t total = 0;
  for (;;) {
    int n = gzread(in, buf.data(), kChunk);
    if (n < 0) {
      int errnum = 0;
      std::string why = gzerror(in, &errnum);
      gzclose(in);
      return IntegrityError(fmt::format("'{}' is not a valid gzip stream: {}", from.string(), why));
    }
    // zlib copies bytes that are not gzip through unchanged; those are not a blob we wrote.
    if (gzdirect(in)) {
      gzclose(in);
      return IntegrityError(fmt::format("'{}' is not gzip-compressed", from.string()));
    }
    if (n == 0) break;
    total += static_cast<uint64_t>(n);
    if (total > max_bytes) {
      gzclose(in);
      return IntegrityError(
          fmt::format("'{}' expands to more than the {} bytes expected", from.string(), max_bytes));
    }
    if (Status s = WriteAll(out.fd, buf.data(), static_cast<size_t>(n), to); !s.ok()) {
      gzclose(in);
      return s;
    }
  }
  // gzread stops quietly at a truncated stream; gzclose_r reports it.
  if (gzclose(in) != Z_OK)
    return IntegrityError(fmt::format("'{}' is a truncated gzip stream", from.string()));
  return {};
}

}  // namespace cairn::shared_cache::internal
