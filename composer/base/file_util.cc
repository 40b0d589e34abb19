#include "cairn/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

namespace cairn {
namespace fs = std::filesystem;

Result<std::string> ReadFile(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) return NotFoundError(fmt::format("'{}' does not exist", path.string()));
    return ErrnoError(fmt::format("cannot open '{}'", path.string()), e);
  }
  // Read straight into a string sized from fstat (large cache files are read
  // whole on the incremental-build path); grow if the file grows meanwhile.
  struct stat st {};
  size_t cap = ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 4096;
  std::string out(cap, '\0');
  size_t len = 0;
  for (;;) {
    if (len == out.size()) out.resize(out.size() * 2);
    ssize_t n = ::read(fd, out.data() + len, out.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return ErrnoError(fmt::format("cannot read '{}'", path.string()), e);
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(len);
  return out;
}

Status WriteFileAtomic(const fs::path& path, std::string_view content, unsigned mode) {
  fs::path tmp = path;
  tmp += fmt::format(".tmp.{}", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError(fmt::format("cannot create '{}'", tmp.string()), errno);
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoError(fmt::format("cannot write '{}'", tmp.string()), e);
    }
    p += n;
    left -= n;
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoError(fmt::format("cannot write '{}'", tmp.string()), e);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return ErrnoError(fmt::format("cannot rename into '{}'", path.string()), e);
  }
  return {};
}

Status MakeDirs(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return IoError(fmt::format("cannot create directory '{}': {}", path.string(), ec.message()));
  return {};
}

Status SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(fmt::format("cannot open '{}'", dir.string()), errno);
  ::fsync(fd);
  ::close(fd);
  return {};
}

Result<TempDir> TempDir::Create(const fs::path& parent, std::string_view stem) {
  CAIRN_TRY(MakeDirs(parent));
  std::string templ = (parent / fmt::format(".{}.XXXXXX", stem)).string();
  if (!::mkdtemp(templ.data()))
    return ErrnoError(fmt::format("cannot create a temporary directory in '{}'", parent.string()),
                      errno);
  return TempDir(fs::path(templ));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);  // best effort: a destructor never reports
}

Status TempDir::CommitAs(const fs::path& final_path) {
  std::error_code ec;
  // Move the old output aside first so that the final name always holds a
  // complete directory: either the previous one or the new one.
  fs::path old;
  if (fs::exists(final_path, ec)) {
    old = final_path;
    old += fmt::format(".old.{}", ::getpid());
    fs::rename(final_path, old, ec);
    if (ec) return IoError(fmt::format("cannot move '{}' aside: {}", final_path.string(), ec.message()));
  }
  fs::rename(path_, final_path, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, final_path, ec);
    return IoError(fmt::format("cannot rename into '{}': {}", final_path.string(), ec.message()));
  }
  path_.clear();
  if (!old.empty()) fs::remove_all(old, ec);
  return SyncDir(final_path.parent_path().empty() ? fs::path(".") : final_path.parent_path());
}

Result<FileLock> FileLock::Acquire(const fs::path& lock_file) {
  CAIRN_TRY(MakeDirs(lock_file.parent_path()));
  int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(fmt::format("cannot open lock '{}'", lock_file.string()), errno);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    ::close(fd);
    return ErrnoError(fmt::format("cannot lock '{}'", lock_file.string()), e);
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace cairn
