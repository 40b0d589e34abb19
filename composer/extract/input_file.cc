#include "extract/input_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace cairn::extract::internal {

Result<InputFile> InputFile::Open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return NotFoundError(fmt::format("file '{}' does not exist", path.string()));
    return ErrnoError(fmt::format("opening '{}'", path.string()), err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError(fmt::format("reading '{}'", path.string()), err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return IoError(fmt::format("'{}' is not a regular file", path.string()));
  }
  return InputFile(fd, static_cast<uint64_t>(st.st_size), path);
}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    size_ = other.size_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<size_t> InputFile::ReadAt(uint64_t offset, char* buf, size_t cap) const {
  while (true) {
    ssize_t n = ::pread(fd_, buf, cap, static_cast<off_t>(offset));
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    return ErrnoError(fmt::format("reading '{}'", path_.string()), errno);
  }
}

Result<std::string> InputFile::ReadRange(uint64_t offset, uint64_t size) const {
  std::string out(size, '\0');
  uint64_t done = 0;
  while (done < size) {
    CAIRN_ASSIGN_OR_RETURN(size_t n, ReadAt(offset + done, out.data() + done, size - done));
    if (n == 0)
      return IntegrityError(fmt::format("'{}' is truncated: expected {} bytes at offset {}",
                                        path_.string(), size, offset));
    done += n;
  }
  return out;
}

}  // namespace cairn::extract::internal
