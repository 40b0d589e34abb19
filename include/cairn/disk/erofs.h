// erofs output: a rootfs::Tree as an EROFS image, rootless and reproducible.
//
// erofs-utils 1.5 (Debian 12) builds only from a directory, so the tree is
// staged (see output/disk/staging.h) and `mkfs.erofs` runs under fakeroot
// with a state file cairn writes itself: for every staged inode (looked up by
// its device and inode number) the tree's owner, mode, type bits and device
// number. So owners never come from the builder, device nodes and setuid bits
// need no privilege, and root and an unprivileged user make the same bytes.
// xattrs (security.capability, ...) are set inside the same fakeroot session
// with `setfattr --restore`. mkfs.erofs gets a fixed UUID and `-T epoch`: the
// superblock time is the epoch and every inode keeps its mtime clamped to it.
// The root directory is root:root 0755. The image is written beside `out`
// under a temporary name and renamed into place only when complete.
//
//   disk::ErofsOptions opts{.epoch = epoch, .uuid = ids.fs_uuid, .work_dir = work};
//   CAIRN_TRY(disk::WriteErofs(tree, out_dir / "root.erofs", opts));
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::disk {

struct ErofsOptions {
  int64_t epoch = 0;  ///< SOURCE_DATE_EPOCH: superblock time, clamps every mtime
  std::string uuid;   ///< filesystem UUID; must be set (derive it from the lock)
  /// "lz4hc", "lz4" or "none" (the compressors Debian 12's mkfs.erofs and
  /// kernel share).
  std::string compression = "lz4hc";
  /// lz4hc level 0..12; unset: mkfs.erofs's default. Only with lz4hc.
  std::optional<int> level;
  /// Scratch space for the staging directory (removed afterwards).
  std::filesystem::path work_dir;
  Reporter* reporter = nullptr;  ///< nullptr: silent
};

/// The compressors WriteErofs accepts, in the order errors list them.
const std::vector<std::string>& ErofsCompressors();

/// Writes `tree` as an EROFS image at `out`. Errors: kUsage for an unknown
/// compressor or a level out of range; kTool naming the Debian package when
/// mkfs.erofs, fakeroot or setfattr is missing, or with the tool's stderr
/// when it fails; kIo for staging failures. Nothing is left at `out` or
/// beside it on failure.
Status WriteErofs(const rootfs::Tree& tree, const std::filesystem::path& out,
                  const ErofsOptions& options);

}  // namespace cairn::disk
