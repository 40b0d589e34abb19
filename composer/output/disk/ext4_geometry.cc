#include "output/disk/ext4_geometry.h"

#include <algorithm>
#include <map>

#include "cairn/disk/ext4.h"
#include "cairn/disk/layout.h"

namespace cairn::disk {
namespace internal {
namespace {

using rootfs::FileType;

constexpr uint64_t kB = kExt4BlockSize;
constexpr uint64_t kBlocksPerGroup = 8 * kB;  // one block bitmap block
constexpr uint64_t kGroupDescSize = 64;       // 64bit feature
constexpr uint64_t kMinAutoBytes = 16 * kMiB;

uint64_t CeilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint64_t Round4(uint64_t n) { return (n + 3) & ~uint64_t{3}; }

// ext2fs_default_journal_size (e2fsprogs 1.47), in blocks.
uint64_t JournalBlocks(uint64_t blocks) {
  if (blocks < 2048) return 0;
  if (blocks < 32768) return 1024;
  if (blocks < 256 * 1024) return 4096;
  if (blocks < 512 * 1024) return 8192;
  if (blocks < 4096 * 1024) return 16384;
  if (blocks < 8192 * 1024) return 32768;
  if (blocks < 16384 * 1024) return 65536;
  if (blocks < 32768 * 1024) return 131072;
  return 262144;
}

bool IsPowerOf(uint64_t n, uint64_t base) {
  while (n > 1 && n % base == 0) n /= base;
  return n == 1;
}

// Groups that carry a superblock and descriptor copy under sparse_super.
uint64_t BackupGroups(uint64_t groups) {
  uint64_t count = 0;
  for (uint64_t g = 0; g < groups; ++g)
    if (g <= 1 || IsPowerOf(g, 3) || IsPowerOf(g, 5) || IsPowerOf(g, 7)) ++count;
  return count;
}

// Blocks of metadata besides inode tables and journal for a filesystem of `blocks`.
uint64_t GroupOverhead(uint64_t blocks) {
  uint64_t groups = CeilDiv(blocks, kBlocksPerGroup);
  uint64_t desc_per_block = kB / kGroupDescSize;
  uint64_t gdt = CeilDiv(groups, desc_per_block);
  // resize_inode reserves descriptor room for 1024x growth, capped at 2^32 blocks.
  uint64_t max_blocks = std::min<uint64_t>(blocks * 1024, uint64_t{1} << 32);
  uint64_t reserved_gdt =
      std::min<uint64_t>(kB / 4, CeilDiv(CeilDiv(max_blocks, kBlocksPerGroup), desc_per_block));
  return BackupGroups(groups) * (1 + gdt + reserved_gdt) + groups * 2;
}

}  // namespace

Ext4Needs MeasureExt4(const rootfs::Tree& tree) {
  uint64_t data_blocks = 0;
  uint64_t meta_blocks = 4 + 1;  // lost+found (16 KiB) and the root directory
  uint64_t inodes = 11 + 1;      // reserved inodes and lost+found
  std::map<std::string_view, uint64_t> dir_bytes;  // directory -> entry bytes
  dir_bytes[""] = 24 + 8 + Round4(10);             // ".", ".." and lost+found
  for (const auto& [path, node] : tree.nodes()) {
    size_t slash = path.rfind('/');
    std::string_view parent = slash == std::string::npos ? std::string_view()
                                                         : std::string_view(path).substr(0, slash);
    std::string_view name = slash == std::string::npos ? std::string_view(path)
                                                       : std::string_view(path).substr(slash + 1);
    dir_bytes[parent] += 8 + Round4(name.size());
    if (node.meta.type == FileType::kHardlink) continue;  // shares its target's inode
    ++inodes;
    switch (node.meta.type) {
      case FileType::kRegular: {
        uint64_t blocks = CeilDiv(node.content.size, kB);
        data_blocks += blocks;
        // Extents cover at most 32768 blocks; 4 fit in the inode, more need index blocks.
        uint64_t extents = CeilDiv(blocks, 32768);
        if (extents > 4) meta_blocks += CeilDiv(extents, 340);
        break;
      }
      case FileType::kDirectory:
        dir_bytes[path] += 24;
        break;
      case FileType::kSymlink:
        if (node.meta.link_target.size() >= 60) meta_blocks += 1;
        break;
      default:
        break;
    }
    if (!node.meta.xattrs.empty()) {
      // About 92 bytes fit beside a 256-byte inode; beyond that, an xattr block.
      uint64_t bytes = 4;
      for (const auto& [key, value] : node.meta.xattrs) bytes += 16 + Round4(key.size()) + Round4(value.size());
      if (bytes > 92) meta_blocks += CeilDiv(bytes, kB);
    }
  }
  for (const auto& [dir, bytes] : dir_bytes) {
    // Leaf blocks end in a 12-byte checksum tail and fill unevenly as entries
    // are added one by one; big directories get an index block too.
    uint64_t blocks = std::max<uint64_t>(1, CeilDiv(bytes * 5 / 4, kB - 12));
    meta_blocks += blocks > 1 ? blocks + 1 : blocks;
  }

  Ext4Needs needs;
  needs.inodes = inodes;
  needs.content_bytes = data_blocks * kB;
  uint64_t fixed = data_blocks + meta_blocks;
  uint64_t blocks = fixed + fixed / 10 + 1024;
  for (int i = 0; i < 8; ++i) {
    uint64_t fs_bytes = blocks * kB;
    uint64_t itable = CeilDiv(Ext4InodeCount(needs, fs_bytes) * kExt4InodeSize, kB);
    uint64_t used = fixed + itable + GroupOverhead(blocks) + JournalBlocks(blocks);
    // 5% reserved for root, then ~3% + 256 blocks of slack for allocation.
    uint64_t next = CeilDiv(used * 100, 95);
    next += next * 3 / 100 + 256;
    if (next <= blocks) break;
    blocks = next;
  }
  // Below 8 MiB mke2fs leaves out the journal; 16 MiB leaves room beside it.
  needs.auto_bytes = std::max(CeilDiv(blocks * kB, kMiB) * kMiB, kMinAutoBytes);
  return needs;
}

uint64_t Ext4InodeCount(const Ext4Needs& needs, uint64_t fs_bytes) {
  uint64_t for_tree = needs.inodes + needs.inodes / 10 + 64;
  return std::max(for_tree, fs_bytes / kExt4InodeRatio);
}

}  // namespace internal

uint64_t Ext4SizeFor(const rootfs::Tree& tree) { return internal::MeasureExt4(tree).auto_bytes; }

}  // namespace cairn::disk
