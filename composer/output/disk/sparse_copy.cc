// CopySparse: SEEK_DATA/SEEK_HOLE over the source, copy_file_range per extent.
#include "output/disk/sparse_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "output/disk/fd.h"

namespace cairn::disk::internal {
namespace {

namespace fs = std::filesystem;

// [offset, offset + size) of `in` to the same offset of `out`.
Status CopyRange(int in, int out, off_t offset, off_t size, const fs::path& from,
                 const fs::path& to) {
  off_t in_off = offset, out_off = offset;
  bool plain = false;  // copy_file_range unsupported between these files
  std::vector<char> buf;
  while (size > 0) {
    ssize_t n = -1;
    if (!plain) {
      n = ::copy_file_range(in, &in_off, out, &out_off, static_cast<size_t>(size), 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        plain = true;
        continue;
      }
    } else {
      buf.resize(1 << 20);
      n = ::pread(in, buf.data(), std::min<size_t>(buf.size(), static_cast<size_t>(size)), in_off);
      if (n > 0) {
        for (ssize_t put = 0; put < n;) {
          ssize_t w = ::pwrite(out, buf.data() + put, static_cast<size_t>(n - put), out_off + put);
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) return ErrnoError(fmt::format("cannot write '{}'", to.string()), errno);
          put += w;
        }
        in_off += n;
        out_off += n;
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(fmt::format("cannot copy '{}'", from.string()), errno);
    if (n == 0) return IoError(fmt::format("'{}' shrank while being copied", from.string()));
    size -= n;
  }
  return {};
}

}  // namespace

Status CopySparse(const fs::path& from, const fs::path& to) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    if (errno == ENOENT) return NotFoundError(fmt::format("'{}' does not exist", from.string()));
    return ErrnoError(fmt::format("cannot open '{}'", from.string()), errno);
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0)
    return ErrnoError(fmt::format("cannot stat '{}'", from.string()), errno);
  if (!S_ISREG(st.st_mode))
    return UsageError(fmt::format("'{}' is not a regular file", from.string()));
  Fd out(::open(to.c_str(), O_WRONLY | O_CLOEXEC));
  if (out.get() < 0) return ErrnoError(fmt::format("cannot open '{}'", to.string()), errno);
  if (::ftruncate(out.get(), 0) != 0 || ::ftruncate(out.get(), st.st_size) != 0)
    return ErrnoError(fmt::format("cannot size '{}'", to.string()), errno);
  off_t offset = 0;
  while (offset < st.st_size) {
    off_t data = ::lseek(in.get(), offset, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole is left
      return ErrnoError(fmt::format("cannot read '{}'", from.string()), errno);
    }
    off_t hole = ::lseek(in.get(), data, SEEK_HOLE);
    if (hole < 0) return ErrnoError(fmt::format("cannot read '{}'", from.string()), errno);
    CAIRN_TRY(CopyRange(in.get(), out.get(), data, hole - data, from, to));
    offset = hole;
  }
  if (::close(out.Release()) != 0)
    return ErrnoError(fmt::format("cannot write '{}'", to.string()), errno);
  return {};
}

}  // namespace cairn::disk::internal
