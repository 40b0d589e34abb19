// Writing a rootfs::Tree out as a real directory (a "staging" directory) for
// tools that read directories (mke2fs -d, mcopy), without root.
//
// Directories, regular files (content streamed from the tree's store),
// symlinks and hard links are created; device nodes and fifos are not (the
// caller creates them inside the filesystem, e.g. with debugfs). Modes are
// the tree's, widened where the builder itself needs access (files u+r,
// directories u+rwx); owners are whoever runs cairn. Times are the node's
// mtime clamped to [min_time, epoch], set on atime and mtime, directories
// last so adding children does not change them. The result records what each
// path really got (lstat), so a fix-up pass can correct only what differs.
//
//   CAIRN_ASSIGN_OR_RETURN(auto staged, StageTree(tree, dir, {.epoch = epoch}));
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::disk::internal {

struct StageOptions {
  int64_t epoch = 0;
  /// Earliest time to set (FAT cannot store dates before 1980).
  int64_t min_time = std::numeric_limits<int64_t>::min();
};

/// What a staged path looks like on the host after staging.
struct StagedMeta {
  uint32_t mode = 0;  ///< permission bits (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  /// Extended attribute names the host put there (e.g. security.selinux).
  std::vector<std::string> host_xattrs;
};

/// Staged paths by tree path; device nodes and fifos are absent.
using StagedTree = std::map<std::string, StagedMeta, std::less<>>;

/// The file type bits of st_mode (S_IFDIR, ...) for a node type; a hard link is S_IFREG.
uint32_t TypeBits(rootfs::FileType type);
/// Character and block devices and fifos: the nodes StageTree leaves out.
bool IsSpecial(rootfs::FileType type);
/// The directory part of a tree path ("" for a top-level name).
std::string ParentPath(std::string_view path);

/// The time a node gets: its mtime clamped to [min_time, epoch].
int64_t StagedTime(int64_t mtime, const StageOptions& options);

/// Stages `tree` into `dir`, an existing empty directory. A node whose parent
/// is not a directory of the tree (a symlink the host would follow out of
/// `dir`) is kIntegrity, before anything is created under that parent.
Result<StagedTree> StageTree(const rootfs::Tree& tree, const std::filesystem::path& dir,
                             const StageOptions& options);

}  // namespace cairn::disk::internal
