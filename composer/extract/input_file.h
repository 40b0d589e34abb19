// InputFile: a read-only file descriptor with positional reads, private to
// the extract module. Package readers use it to stream byte ranges of a file
// (gzip members) without loading the file, and to read small members whole.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/extract/gzip_members.h"
#include "cairn/result.h"

namespace cairn::extract::internal {

class InputFile {
 public:
  /// Opens `path` for reading; a missing file is kNotFound, anything else kIo.
  static Result<InputFile> Open(const std::filesystem::path& path);
  InputFile(InputFile&& other) noexcept
      : fd_(other.fd_), size_(other.size_), path_(std::move(other.path_)) {
    other.fd_ = -1;
  }
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }
  /// Reads up to `cap` bytes at `offset`; 0 only at the end of the file.
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t cap) const;
  /// Reads exactly `size` bytes at `offset` (kIntegrity if the file is shorter).
  Result<std::string> ReadRange(uint64_t offset, uint64_t size) const;

 private:
  InputFile(int fd, uint64_t size, std::filesystem::path path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_ = -1;
  uint64_t size_ = 0;
  std::filesystem::path path_;
};

/// extract::FindGzipMembers on a file already open (saves an open per call).
Result<std::vector<GzipMember>> FindGzipMembers(const InputFile& file, uint64_t start,
                                                size_t max_members);

}  // namespace cairn::extract::internal
