#include "cairn/output_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cairn/file_util.h"

namespace cairn {
namespace fs = std::filesystem;

Result<OutputFile> OutputFile::Create(const fs::path& final_path, unsigned mode) {
  if (final_path.filename().empty())
    return UsageError(fmt::format("output path '{}' names no file", final_path.string()));
  fs::path dir = final_path.parent_path();
  if (dir.empty()) dir = ".";
  std::string pattern = (dir / ("." + final_path.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  int fd = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0)
    return ErrnoError(fmt::format("cannot create a file in output directory '{}'", dir.string()),
                      errno);
  fs::path temp(buf.data());
  if (::fchmod(fd, mode) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return ErrnoError(fmt::format("cannot set the mode of '{}'", temp.string()), e);
  }
  return OutputFile(final_path, std::move(temp), fd);
}

OutputFile::OutputFile(OutputFile&& o) noexcept
    : final_path_(std::move(o.final_path_)),
      temp_path_(std::move(o.temp_path_)),
      fd_(o.fd_),
      committed_(o.committed_) {
  o.fd_ = -1;
  o.committed_ = true;  // the moved-from object owns nothing to remove
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

Status OutputFile::Write(const char* data, size_t size) {
  if (fd_ < 0) return InternalError("OutputFile::Write after Commit");
  while (size > 0) {
    ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(fmt::format("cannot write '{}'", temp_path_.string()), errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Status OutputFile::Commit() {
  if (fd_ < 0) return InternalError("OutputFile committed twice");
  if (::fsync(fd_) != 0)
    return ErrnoError(fmt::format("cannot write '{}'", temp_path_.string()), errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    return ErrnoError(fmt::format("cannot write '{}'", temp_path_.string()), errno);
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
    return ErrnoError(fmt::format("cannot rename into '{}'", final_path_.string()), errno);
  committed_ = true;
  fs::path dir = final_path_.parent_path();
  return SyncDir(dir.empty() ? fs::path(".") : dir);
}

}  // namespace cairn
