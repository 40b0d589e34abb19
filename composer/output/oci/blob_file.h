// BlobFile: a blob being written into <layout>/blobs/sha256/. Bytes go to a
// hidden temporary file in that directory; Commit fsyncs it and renames it to
// its digest, so a reader of the layout never sees a partial blob. Dropped
// without Commit, the temporary file is removed.
#pragma once

#include <filesystem>
#include <string_view>

#include "cairn/result.h"

namespace cairn::oci::internal {

class BlobFile {
 public:
  /// Creates blobs/sha256 under `layout_dir` if needed and opens a temp file there.
  static Result<BlobFile> Create(const std::filesystem::path& layout_dir);
  BlobFile(BlobFile&& other) noexcept;
  BlobFile& operator=(BlobFile&&) = delete;
  BlobFile(const BlobFile&) = delete;
  ~BlobFile();

  Status Write(const char* data, size_t size);
  /// fsyncs, closes and renames to blobs/sha256/<hex>; replaces an identical blob.
  Status Commit(std::string_view hex);

 private:
  BlobFile(int fd, std::filesystem::path dir, std::filesystem::path tmp)
      : fd_(fd), dir_(std::move(dir)), tmp_(std::move(tmp)) {}
  int fd_ = -1;
  std::filesystem::path dir_;  // blobs/sha256
  std::filesystem::path tmp_;  // empty once committed
};

}  // namespace cairn::oci::internal
