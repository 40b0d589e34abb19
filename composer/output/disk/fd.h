// Fd (private to output/disk): owns one file descriptor and closes it when it
// goes out of scope, so every early error return leaves nothing open. Where
// the close itself can report a failed write-back, take the descriptor with
// Release() and check ::close() yourself.
//
//   internal::Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
//   if (in.get() < 0) return ErrnoError(..., errno);
#pragma once

#include <unistd.h>

namespace cairn::disk::internal {

class Fd {
 public:
  /// Takes `fd`; a negative value holds nothing.
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  /// Gives the descriptor up without closing it.
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace cairn::disk::internal
