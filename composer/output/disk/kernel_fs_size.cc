// KernelFsSizeFor: how big an xfs or btrfs partition must be for a tree.
//
// Both estimates count what the tree itself occupies (content blocks,
// inodes, directory and xattr blocks or metadata items), then add what the
// filesystem keeps for itself at Debian 12's mkfs defaults, with margins on
// the side of too big: a partition that is too small fails the whole build
// after a slow appliance run, one that is too big only costs sparse space.
#include <algorithm>
#include <map>
#include <string_view>

#include "cairn/disk/kernel_fs.h"

namespace cairn::disk {
namespace {

using rootfs::FileType;

constexpr uint64_t kBlock = 4096;  // xfs block, btrfs sector

uint64_t CeilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint64_t RoundUp(uint64_t n, uint64_t to) { return CeilDiv(n, to) * to; }

std::string_view NameOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}
std::string_view ParentOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

uint64_t XattrBytes(const rootfs::FsEntry& meta) {
  uint64_t bytes = 0;
  for (const auto& [name, value] : meta.xattrs) bytes += name.size() + value.size() + 16;
  return bytes;
}

// xfs (xfsprogs 6.1 defaults): 4 KiB blocks, 512-byte inodes allocated in
// chunks of 64, an internal log of max(64 MiB, size / 2048), 4 allocation groups.
uint64_t XfsSize(const rootfs::Tree& tree) {
  constexpr uint64_t kInodeSize = 512;
  constexpr uint64_t kInlineBytes = 300;  // what fits in the inode's literal area
  uint64_t blocks = 1;                    // the root directory
  uint64_t inodes = 1;
  std::map<std::string_view, uint64_t> dir_bytes;
  for (const auto& [path, node] : tree.nodes()) {
    // Block-form directory entries: 8-byte aligned name, inode number, tag, ftype.
    dir_bytes[ParentOf(path)] += RoundUp(NameOf(path).size() + 12, 8);
    if (node.meta.type == FileType::kHardlink) continue;
    ++inodes;
    if (node.meta.type == FileType::kRegular) blocks += CeilDiv(node.content.size, kBlock);
    if (node.meta.type == FileType::kSymlink && node.meta.link_target.size() > kInlineBytes)
      ++blocks;
    if (uint64_t x = XattrBytes(node.meta); x > kInlineBytes / 2) blocks += CeilDiv(x, kBlock) + 1;
  }
  for (const auto& [dir, bytes] : dir_bytes) {
    if (bytes <= kInlineBytes) continue;  // short form, inside the inode
    uint64_t data = CeilDiv(bytes * 5 / 4, kBlock);
    blocks += data + (data > 1 ? 1 + CeilDiv(data, 64) : 0);  // leaf and free-index blocks
  }
  // Inode chunks; each of the 4 allocation groups may hold a partly used one.
  const uint64_t used = blocks * kBlock + (CeilDiv(inodes, 64) + 4) * 64 * kInodeSize;
  uint64_t size = kXfsMinSize;
  for (int i = 0; i < 8; ++i) {
    const uint64_t log = std::max<uint64_t>(64 * kMiB, size / 2048);
    const uint64_t reserved = std::min<uint64_t>(size / 20, 8192 * kBlock);  // m_resblks
    // 10% on the content for allocation slack, 3% of the whole for the
    // per-AG btrees and their reservations (finobt, refcount), 16 MiB fixed.
    const uint64_t next = (used + used / 10 + log + reserved + 16 * kMiB) * 100 / 97;
    if (next <= size) break;
    size = next;
  }
  return RoundUp(std::max(size, kXfsMinSize), kMiB);
}

// btrfs (btrfs-progs 6.2 defaults): 16 KiB nodes, 4 KiB sectors, single data,
// DUP metadata and system chunks, files up to 2 KiB inline in the metadata.
uint64_t BtrfsSize(const rootfs::Tree& tree) {
  constexpr uint64_t kItem = 25;            // btrfs_item header in a leaf
  constexpr uint64_t kMaxInline = 2048;     // max_inline mount default
  constexpr uint64_t kMaxExtent = 128 * kMiB;
  uint64_t meta = 160 + kItem;              // the root directory's inode item
  uint64_t data = 0;
  for (const auto& [path, node] : tree.nodes()) {
    const uint64_t name = NameOf(path).size();
    // Inode ref, dir item and dir index for every name, hard links included.
    meta += 3 * (name + 30 + kItem);
    if (node.meta.type == FileType::kHardlink) continue;
    meta += 160 + kItem;  // inode item
    for (const auto& [key, value] : node.meta.xattrs) meta += key.size() + value.size() + 30 + kItem;
    switch (node.meta.type) {
      case FileType::kRegular: {
        const uint64_t size = node.content.size;
        if (size <= kMaxInline) {
          meta += size + 21 + kItem;
          break;
        }
        data += RoundUp(size, kBlock);
        const uint64_t extents = CeilDiv(size, kMaxExtent);
        // File extent items, extent tree items, checksums (4 bytes a sector).
        meta += extents * (53 + kItem + 53 + kItem) + CeilDiv(size, kBlock) * 4 + kItem;
        break;
      }
      case FileType::kSymlink:
        meta += node.meta.link_target.size() + 21 + kItem;
        break;
      default:
        break;
    }
  }
  // Leaves end up about half full when filled in order; 16 MiB covers the
  // global block reserve. Metadata is stored twice (DUP).
  const uint64_t meta_logical = std::max<uint64_t>(32 * kMiB, meta * 2 + 16 * kMiB);
  // 1 MiB unused at the start, system chunk (8 MiB DUP), metadata, data with
  // 10% for chunk rounding, and 8 MiB of slack.
  uint64_t size = kMiB + 2 * 8 * kMiB + 2 * meta_logical + data + data / 10 + 8 * kMiB;
  size += size / 20;
  return RoundUp(std::max(size, kBtrfsMinSize), kMiB);
}

}  // namespace

uint64_t MinFilesystemSize(Filesystem fs) {
  switch (fs) {
    case Filesystem::kXfs: return kXfsMinSize;
    case Filesystem::kBtrfs: return kBtrfsMinSize;
    default: return 0;
  }
}

uint64_t KernelFsSizeFor(Filesystem fs, const rootfs::Tree& tree) {
  switch (fs) {
    case Filesystem::kXfs: return XfsSize(tree);
    case Filesystem::kBtrfs: return BtrfsSize(tree);
    default: return 0;
  }
}

}  // namespace cairn::disk
