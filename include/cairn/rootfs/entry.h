// FsEntry: one filesystem object as read from a package archive, before it is
// placed in the in-memory tree. Package readers (APK, later .deb) produce
// these; rootfs::Tree consumes them. Content is not held here: the reader
// passes a ContentSource that streams the bytes exactly once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "cairn/result.h"

namespace cairn::rootfs {

enum class FileType { kRegular, kDirectory, kSymlink, kHardlink, kCharDevice, kBlockDevice, kFifo };

struct FsEntry {
  std::string path;          ///< relative, normalised: no leading '/' or './', no '..'
  FileType type = FileType::kRegular;
  uint32_t mode = 0644;      ///< permission bits incl. setuid/setgid/sticky (no type bits)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  uint64_t size = 0;         ///< regular files
  std::string link_target;   ///< symlink target (verbatim) or hard link target (normalised path)
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  std::map<std::string, std::string> xattrs;  ///< name -> raw value
};

/// Streams a regular file's content: call `read(buf, cap)` until it returns 0.
/// Returns the number of bytes read or an error.
using ContentReader = std::function<Result<size_t>(char* buf, size_t cap)>;

}  // namespace cairn::rootfs
