// The one `debugfs -w` script that makes an ext4 filesystem built by
// `mke2fs -d <staging>` match the tree instead of the host.
//
// mke2fs -d copies what the staging directory has: the builder's uid/gid,
// modes widened for staging, the host's ctime and host xattrs (SELinux
// labels). For each node, in sorted order, the script sets what differs
// (mode, uid, gid), removes host xattrs, sets the tree's xattrs (ea_set -f
// reads each value from a file, so binary values such as security.capability
// survive), creates device nodes and fifos (cd + mknod), and sets every
// ctime to the epoch. Hard links share their target's inode and are skipped.
//
//   DebugfsScript script = BuildDebugfsScript(tree, staged, values_dir, {.epoch = epoch});
//   for (i...) write script.values[i] to values_dir / std::to_string(i);
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"
#include "output/disk/staging.h"

namespace cairn::disk::internal {

struct DebugfsScript {
  std::string text;
  /// xattr values; the script reads value i from `values_dir`/i.
  std::vector<std::string> values;
};

/// A debugfs (ss library) argument: quoted, with '"' doubled.
std::string DebugfsQuote(std::string_view word);

/// Fails (kConfig) for a path debugfs cannot name (a newline in it).
Result<DebugfsScript> BuildDebugfsScript(const rootfs::Tree& tree, const StagedTree& staged,
                                         const std::filesystem::path& values_dir,
                                         const StageOptions& options);

}  // namespace cairn::disk::internal
