// Building an ext4 filesystem from a rootfs::Tree inside a disk image, rootless
// and reproducibly.
//
// The tree is written to a scratch staging directory (content streamed from
// the tree's store), `mke2fs -d` builds the filesystem at the region's offset
// with a fixed UUID, hash seed and time (E2FSPROGS_FAKE_TIME) and cairn's own
// mke2fs.conf, and one `debugfs -w` script then makes every inode match the
// tree rather than the host: owners (mke2fs -d copies the builder's uid),
// modes the staging could not hold, device nodes (mknod needs no privilege in
// debugfs), xattrs such as security.capability, and ctime (which userspace
// cannot set). Times: atime and mtime are the node's mtime clamped to the
// epoch, ctime and crtime the epoch.
//
//   disk::Ext4Options opts{.label = "root", .uuid = ids.fs_uuid, .hash_seed = ids.hash_seed,
//                          .epoch = epoch, .work_dir = work};
//   CAIRN_TRY(disk::BuildExt4(tree, region, opts));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "cairn/disk/region.h"
#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::disk {

struct Ext4Options {
  std::string label;      ///< at most 16 bytes
  std::string uuid;       ///< filesystem UUID
  std::string hash_seed;  ///< htree hash seed, a UUID
  int64_t epoch = 0;      ///< SOURCE_DATE_EPOCH: clamps mtimes, sets ctime/crtime and superblock times
  /// Scratch space: a staging directory is created in it and removed afterwards.
  std::filesystem::path work_dir;
  /// Partition name for messages ("partition 'root' (256 MiB) is too small ...").
  std::string name = "ext4";
  Reporter* reporter = nullptr;  ///< nullptr: silent
};

/// Bytes an ext4 filesystem needs to hold `tree`: content and directory blocks,
/// inode tables, journal, group metadata and the 5% reserved for root, rounded
/// up to 1 MiB with a small margin. "auto" partitions get this size.
uint64_t Ext4SizeFor(const rootfs::Tree& tree);

/// Builds the filesystem in `region`. Errors: kConfig when the region is too
/// small ("partition 'root' (256 MiB) is too small for the tree (needs about
/// 300 MiB)") or a path cannot be represented; kTool when a tool is missing
/// (naming the Debian package) or fails; kIo for staging failures.
Status BuildExt4(const rootfs::Tree& tree, const Region& region, const Ext4Options& options);

}  // namespace cairn::disk
