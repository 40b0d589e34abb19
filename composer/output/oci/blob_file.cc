// BlobFile: temp file + fsync + rename into blobs/sha256/.
#include "blob_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cairn/file_util.h"

namespace cairn::oci::internal {

Result<BlobFile> BlobFile::Create(const std::filesystem::path& layout_dir) {
  std::filesystem::path dir = layout_dir / "blobs" / "sha256";
  CAIRN_TRY(MakeDirs(dir));
  std::string templ = (dir / ".tmp-blob.XXXXXX").string();
  int fd = ::mkostemp(templ.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError(fmt::format("creating a blob in '{}'", dir.string()), errno);
  // mkstemp creates 0600; blobs are world-readable whatever the umask.
  if (::fchmod(fd, 0644) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(templ.c_str());
    return ErrnoError(fmt::format("setting the mode of '{}'", templ), err);
  }
  return BlobFile(fd, std::move(dir), templ);
}

BlobFile::BlobFile(BlobFile&& other) noexcept
    : fd_(other.fd_), dir_(std::move(other.dir_)), tmp_(std::move(other.tmp_)) {
  other.fd_ = -1;
  other.tmp_.clear();
}

BlobFile::~BlobFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

Status BlobFile::Write(const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(fmt::format("writing '{}'", tmp_.string()), errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Status BlobFile::Commit(std::string_view hex) {
  if (::fsync(fd_) != 0) return ErrnoError(fmt::format("syncing '{}'", tmp_.string()), errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return ErrnoError(fmt::format("closing '{}'", tmp_.string()), errno);
  std::filesystem::path final_path = dir_ / std::string(hex);
  if (::rename(tmp_.c_str(), final_path.c_str()) != 0)
    return ErrnoError(fmt::format("renaming blob to '{}'", final_path.string()), errno);
  tmp_.clear();
  return SyncDir(dir_);
}

}  // namespace cairn::oci::internal
