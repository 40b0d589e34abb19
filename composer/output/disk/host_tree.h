// Reading a path on the host into a rootfs::Tree, for copying it into a disk
// image (disk::EditDisk) with the same deterministic tar stream the image
// builders use: owners are given (never the host's), permission bits are
// kept, mtimes are clamped to the epoch, hard links inside the tree stay
// links, symlinks are copied as links (never followed), device nodes and
// fifos are recreated; host xattrs (SELinux labels and the like) are left out.
//
//   CAIRN_ASSIGN_OR_RETURN(auto top, AddHostPath(tree, "out/app/oci", "", {.uid = 0}));
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::disk::internal {

struct HostTreeOptions {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<int64_t> epoch;  ///< clamps mtimes when set
};

/// What the source itself is.
struct HostSource {
  bool directory = false;
  uint32_t mode = 0;   ///< permission bits (07777)
  int64_t mtime = 0;   ///< clamped like the tree's
};

/// Adds `source` to `tree` as the path `at`. A directory's contents go under
/// `at`, and `at` itself is added with the directory's mode and mtime unless
/// it is "" (the contents then are the tree's top level). Anything else is
/// added as the single path `at`, which must then not be empty. Errors: kNotFound for a missing source, kUsage for
/// a socket, kIo for unreadable files (each naming the host path).
Result<HostSource> AddHostPath(rootfs::Tree& tree, const std::filesystem::path& source,
                               const std::string& at, const HostTreeOptions& options);

}  // namespace cairn::disk::internal
