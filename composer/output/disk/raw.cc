// CopyRawImage: a prebuilt filesystem image into its partition, zeros left as holes.
#include "cairn/disk/raw.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "cairn/disk/layout.h"
#include "output/disk/fd.h"

namespace cairn::disk {
namespace {

namespace fs = std::filesystem;
using internal::Fd;
constexpr size_t kChunk = 1 << 20;

Result<uint64_t> FileSize(const fs::path& source) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return NotFoundError(fmt::format("image '{}' does not exist", source.string()));
    return ErrnoError(fmt::format("cannot stat '{}'", source.string()), errno);
  }
  if (!S_ISREG(st.st_mode))
    return Error(Code::kConfig, fmt::format("image '{}' is not a regular file", source.string()));
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace

Result<uint64_t> RawSizeFor(const fs::path& source) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t size, FileSize(source));
  return std::max<uint64_t>(1, (size + kMiB - 1) / kMiB) * kMiB;
}

Status CopyRawImage(const fs::path& source, const Region& region, std::string_view name) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t size, FileSize(source));
  if (size > region.size)
    return Error(Code::kConfig, fmt::format("partition '{}' ({}) is too small for '{}' ({})", name,
                                            FormatSize(region.size), source.string(),
                                            FormatSize(size)));
  Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return ErrnoError(fmt::format("cannot open '{}'", source.string()), errno);
  Fd out(::open(region.image.c_str(), O_WRONLY | O_CLOEXEC));
  if (out.get() < 0)
    return ErrnoError(fmt::format("cannot open '{}'", region.image.string()), errno);
  std::vector<char> buf(kChunk);
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(in.get(), buf.data(), std::min<uint64_t>(kChunk, size - done),
                        static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(fmt::format("cannot read '{}'", source.string()), errno);
    }
    if (n == 0)
      return IoError(fmt::format("'{}' shrank while being copied", source.string()));
    // The disk file is fresh and sparse: all-zero chunks stay holes.
    bool zero = std::all_of(buf.begin(), buf.begin() + n, [](char c) { return c == 0; });
    for (ssize_t put = 0; !zero && put < n;) {
      ssize_t w = ::pwrite(out.get(), buf.data() + put, static_cast<size_t>(n - put),
                           static_cast<off_t>(region.offset + done + static_cast<uint64_t>(put)));
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoError(fmt::format("cannot write '{}'", region.image.string()), errno);
      }
      put += w;
    }
    done += static_cast<uint64_t>(n);
  }
  return {};
}

}  // namespace cairn::disk
