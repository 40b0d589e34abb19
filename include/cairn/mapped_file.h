// MappedFile: a whole file mapped read-only, for reading large cache files
// (layer snapshots) without copying them into a string first.
//
//   CAIRN_ASSIGN_OR_RETURN(MappedFile f, MappedFile::Open(path));
//   std::string_view bytes = f.data();
#pragma once

#include <filesystem>
#include <string_view>

#include "cairn/result.h"

namespace cairn {

class MappedFile {
 public:
  /// Maps `path`; kNotFound when it does not exist, kIo otherwise.
  static Result<MappedFile> Open(const std::filesystem::path& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  /// The file's bytes (empty for an empty file); valid while this object lives.
  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  MappedFile(void* addr, size_t size) : addr_(addr), size_(size) {}
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cairn
