// ContentStore: regular-file bytes spooled to an unlinked temporary file, so
// a tree's memory use is independent of payload size. Appends stream through
// one 64 KiB buffer per call into a range reserved up front, and reads use
// pread, so concurrent writers and readers need no lock.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "cairn/digest.h"
#include "cairn/rootfs/tree.h"

namespace cairn::rootfs {
namespace {

constexpr size_t kCopyBufferSize = 64 * 1024;

// Opens an anonymous file in `dir`: O_TMPFILE where the filesystem supports
// it, otherwise a mkstemp name unlinked at once (overlayfs and tmpfs on old
// kernels reject O_TMPFILE with EOPNOTSUPP/EISDIR).
Result<int> OpenSpool(const std::filesystem::path& dir) {
#ifdef O_TMPFILE
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
    return ErrnoError(fmt::format("creating content spool in '{}'", dir.string()), errno);
#endif
  std::string templ = (dir / ".cairn-spool.XXXXXX").string();
  int tfd = ::mkostemp(templ.data(), O_CLOEXEC);
  if (tfd < 0)
    return ErrnoError(fmt::format("creating content spool in '{}'", dir.string()), errno);
  ::unlink(templ.c_str());
  return tfd;
}

Status WriteAll(int fd, const char* data, size_t size, uint64_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing content spool", errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<ContentStore>> ContentStore::Create(const std::filesystem::path& dir) {
  CAIRN_ASSIGN_OR_RETURN(int fd, OpenSpool(dir));
  return std::unique_ptr<ContentStore>(new ContentStore(fd));
}

ContentStore::ContentStore(int fd) : fd_(fd) { attached_.reserve(kMaxAttached); }

ContentStore::~ContentStore() {
  if (fd_ >= 0) ::close(fd_);
  for (int fd : attached_) ::close(fd);
}

int ContentStore::FdOf(const Blob& blob) const {
  return blob.file == 0 ? fd_ : attached_[blob.file - 1];
}

Result<uint32_t> ContentStore::AttachFile(int fd) {
  std::lock_guard<std::mutex> lock(attach_mutex_);
  if (attached_.size() >= kMaxAttached) {
    ::close(fd);
    return InternalError(fmt::format("more than {} files attached to a content store", kMaxAttached));
  }
  attached_.push_back(fd);
  return static_cast<uint32_t>(attached_.size());
}

Result<Blob> ContentStore::Append(const ContentReader& reader, uint64_t expected_size,
                                  std::string* sha1_out) {
  const uint64_t start = end_.fetch_add(expected_size);
  // One buffer per thread for the whole build: most files are a few KiB, and
  // allocating and zeroing 64 KiB for each showed up in profiles.
  thread_local std::vector<char> buf(kCopyBufferSize);
  std::optional<Hasher> sha1;
  if (sha1_out) sha1.emplace(Hasher::Sha1());
  uint64_t total = 0;
  // The range is reserved before reading, so concurrent appends never
  // overlap; after a failure its bytes are unreachable (reads go through
  // returned blobs) and simply stay unused.
  for (;;) {
    Result<size_t> n = reader(buf.data(), buf.size());
    if (!n.ok()) return std::move(n).error();
    if (*n == 0) break;
    if (total + *n > expected_size)
      return IntegrityError(
          fmt::format("content is longer than the expected {} bytes", expected_size));
    Status w = WriteAll(fd_, buf.data(), *n, start + total);
    if (!w.ok()) return std::move(w).error();
    if (sha1) sha1->Update(buf.data(), *n);
    total += *n;
  }
  if (total != expected_size)
    return IntegrityError(
        fmt::format("content is {} bytes, expected {} bytes", total, expected_size));
  if (sha1) *sha1_out = sha1->Finish();
  return Blob{start, total};
}

Result<Blob> ContentStore::AppendBytes(std::string_view bytes) {
  const uint64_t start = end_.fetch_add(bytes.size());
  CAIRN_TRY(WriteAll(fd_, bytes.data(), bytes.size(), start));
  return Blob{start, bytes.size()};
}

Result<size_t> ContentStore::ReadAt(const Blob& blob, uint64_t offset, char* buf,
                                    size_t cap) const {
  if (offset >= blob.size) return size_t{0};
  size_t want = static_cast<size_t>(std::min<uint64_t>(cap, blob.size - offset));
  size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(FdOf(blob), buf + got, want - got,
                        static_cast<off_t>(blob.offset + offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading content spool", errno);
    }
    if (n == 0)
      return InternalError(fmt::format("content spool ends before blob at offset {} size {}",
                                       blob.offset, blob.size));
    got += static_cast<size_t>(n);
  }
  return got;
}

namespace {

// Copies `size` bytes between two files at the given offsets: in the kernel
// with copy_file_range where it can, else through a buffer (older kernels,
// filesystems that refuse it).
Status CopyRange(int in, uint64_t in_offset, int out, uint64_t out_offset, uint64_t size) {
  while (size > 0) {
    loff_t in_off = static_cast<loff_t>(in_offset);
    loff_t out_off = static_cast<loff_t>(out_offset);
    ssize_t n = ::copy_file_range(in, &in_off, out, &out_off, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
      return ErrnoError("copying content", errno);
    if (n < 0) {
      thread_local std::vector<char> buf(kCopyBufferSize);
      ssize_t r = ::pread(in, buf.data(), std::min<uint64_t>(buf.size(), size),
                          static_cast<off_t>(in_offset));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoError("reading content", errno);
      n = r;
      if (n > 0) CAIRN_TRY(WriteAll(out, buf.data(), static_cast<size_t>(n), out_offset));
    }
    if (n == 0)
      return IntegrityError(fmt::format("content ends {} bytes early", size));
    in_offset += static_cast<uint64_t>(n);
    out_offset += static_cast<uint64_t>(n);
    size -= static_cast<uint64_t>(n);
  }
  return {};
}

}  // namespace

Result<Blob> ContentStore::AppendFromFile(int fd, uint64_t offset, uint64_t size) {
  const uint64_t start = end_.fetch_add(size);
  CAIRN_TRY(CopyRange(fd, offset, fd_, start, size));
  return Blob{start, size};
}

Status ContentStore::CopyToFile(const Blob& blob, int fd, uint64_t fd_offset) const {
  return CopyRange(FdOf(blob), blob.offset, fd, fd_offset, blob.size);
}

Result<std::string> ContentStore::ReadAll(const Blob& blob) const {
  std::string out(blob.size, '\0');
  uint64_t done = 0;
  while (done < blob.size) {
    CAIRN_ASSIGN_OR_RETURN(size_t n, ReadAt(blob, done, out.data() + done, out.size() - done));
    done += n;
  }
  return out;
}

}  // namespace cairn::rootfs
