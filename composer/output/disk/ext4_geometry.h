// How much an ext4 filesystem needs for a rootfs::Tree, modelled on what
// mke2fs 1.47 lays out with cairn's mke2fs.conf (4 KiB blocks, 256-byte
// inodes, flex_bg, resize_inode, 5% reserved, default journal size). The
// estimate errs on the large side; "auto" partitions get `auto_bytes`.
//
//   Ext4Needs needs = MeasureExt4(tree);
//   uint64_t inodes = Ext4InodeCount(needs, region.size);   // mke2fs -N
#pragma once

#include <cstdint>

#include "cairn/rootfs/tree.h"

namespace cairn::disk::internal {

inline constexpr uint64_t kExt4BlockSize = 4096;
inline constexpr uint64_t kExt4InodeSize = 256;
/// Bytes per inode when the size, not the tree, decides (mke2fs's default ratio).
inline constexpr uint64_t kExt4InodeRatio = 16384;

struct Ext4Needs {
  uint64_t inodes = 0;        ///< inodes the tree uses (plus the reserved ones)
  uint64_t content_bytes = 0; ///< file data blocks alone: a size below this cannot work
  uint64_t auto_bytes = 0;    ///< the whole filesystem, with margin, 1 MiB multiple
};

Ext4Needs MeasureExt4(const rootfs::Tree& tree);

/// The inode count to ask mke2fs for: enough for the tree with headroom, and
/// never fewer than the default ratio gives for `fs_bytes`.
uint64_t Ext4InodeCount(const Ext4Needs& needs, uint64_t fs_bytes);

}  // namespace cairn::disk::internal
