// xfs and btrfs partitions: filesystems that only the kernel can fill, built
// inside the libguestfs appliance (a small VM; no root, no loop devices).
//
// WriteDiskImage calls BuildKernelFilesystems once, after the table and every
// userspace filesystem (ext4, vfat, raw) are in the image: one appliance
// launch then, for each xfs/btrfs partition in table order, runs mkfs with
// the partition's label, sets the seed-derived UUID (xfs_admin -U, btrfstune
// -U), mounts it, extracts the tree's deterministic tar stream (numeric
// owners, modes, mtimes clamped to the epoch, hard links, device nodes,
// xattrs such as security.capability), sets the root directory's times to
// the epoch, unmounts, and checks type, label and UUID with blkid.
//
// xfs_admin -U on a fresh v5 filesystem keeps mkfs's random UUID as the
// metadata UUID and sets the META_UUID incompat feature (read by Linux since
// 4.3 and by current GRUB); blkid, fstab and root=UUID= see the derived UUID.
//
// Not byte-reproducible: the kernel stamps ctimes, inode generation numbers,
// log and transaction ids and allocation order of its own, so two builds of
// the same inputs differ inside these partitions (DiskPlan::byte_reproducible
// is false). Everything a reader sees through the filesystem API except
// ctime is the same: names, contents, owners, modes, mtimes, xattrs, label,
// UUID.
//
//   uint64_t bytes = disk::KernelFsSizeFor(disk::Filesystem::kXfs, tree);  // >= 300 MiB
#pragma once

#include <cstdint>
#include <filesystem>

#include "cairn/disk/image.h"
#include "cairn/disk/layout.h"
#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::disk {

/// The smallest xfs mkfs.xfs makes (xfsprogs 5.19 and later, so Debian 12's
/// 6.1, refuse "Filesystem must be larger than 300MB").
inline constexpr uint64_t kXfsMinSize = 300 * kMiB;
/// The smallest btrfs mkfs.btrfs 6.2 makes with its defaults (single data,
/// DUP metadata): "minimum size for each btrfs device is 114294784".
inline constexpr uint64_t kBtrfsMinSize = 109 * kMiB;

/// kXfsMinSize or kBtrfsMinSize; 0 for the other filesystems.
uint64_t MinFilesystemSize(Filesystem fs);

/// Bytes an xfs or btrfs filesystem needs to hold `tree` ("auto" partitions
/// get this): content in blocks, inodes, directories, the log (xfs) or DUP
/// metadata (btrfs), reserves and a margin, at least the minimum, rounded up
/// to 1 MiB. An estimate: a tree that does not fit after all is reported as
/// a kConfig error when it is written.
uint64_t KernelFsSizeFor(Filesystem fs, const rootfs::Tree& tree);

struct KernelFsOptions {
  int64_t epoch = 0;             ///< clamps mtimes; the root directory's times
  Reporter* reporter = nullptr;  ///< nullptr: silent
};

/// Builds every xfs and btrfs partition of `plan` inside `image`, a raw file
/// that already holds the partition table, in one appliance launch; the other
/// partitions are left as they are. Does nothing (and starts nothing) when
/// the plan has none. Errors: kConfig when a tree does not fit ("partition
/// 'data' (300 MiB) is too small for the tree (needs about 420 MiB)"), kTool
/// for appliance and tool failures, with the partition named in the context.
Status BuildKernelFilesystems(const DiskPlan& plan, const PartitionContents& contents,
                              const std::filesystem::path& image, const KernelFsOptions& options);

}  // namespace cairn::disk
