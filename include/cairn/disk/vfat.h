// Building a FAT filesystem (an ESP, a Raspberry Pi boot partition) from a
// rootfs::Tree inside a disk image, rootless and reproducibly.
//
// `mkfs.vfat --invariant -i <serial> --offset` formats the region (FAT32 from
// 33 MiB up, else FAT12/16 as mkfs.vfat picks); mtools then adds directories
// (`mmd`, parents first) and files (`mcopy -m`, one call per directory, names
// in sorted order) addressed as image@@offset. File times are the node's
// mtime clamped to the epoch and to 1980 (FAT cannot hold earlier dates);
// directories get the epoch (mtools honours SOURCE_DATE_EPOCH). FAT has no
// owners, modes, symlinks or device nodes: symlinks and special files are
// errors, hard links become copies. Long and lowercase names are kept (VFAT).
//
//   CAIRN_TRY(disk::BuildVfat(esp_tree, region, {.label = "ESP", .serial = ids.vfat_serial,
//                                                 .epoch = epoch, .work_dir = work}));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "cairn/disk/region.h"
#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::disk {

/// From this size up the filesystem is FAT32; below it mkfs.vfat picks FAT12/16.
inline constexpr uint64_t kFat32MinSize = 33 * 1024 * 1024;

struct VfatOptions {
  std::string label;     ///< at most 11 characters
  uint32_t serial = 0;   ///< volume serial number
  int64_t epoch = 0;     ///< SOURCE_DATE_EPOCH
  /// Scratch space: a staging directory is created in it and removed afterwards.
  std::filesystem::path work_dir;
  /// Partition name for messages.
  std::string name = "vfat";
  /// An ESP: "auto" sizing never goes below kFat32MinSize (UEFI wants FAT32).
  bool esp = false;
  Reporter* reporter = nullptr;  ///< nullptr: silent
};

/// Bytes a FAT filesystem needs for `tree` (4 KiB clusters, directories, FATs,
/// a margin), rounded up to 1 MiB; at least kFat32MinSize when `esp`.
uint64_t VfatSizeFor(const rootfs::Tree& tree, bool esp);

/// Checks that `tree` can live on FAT: regular files, hard links and
/// directories only; names valid and unique ignoring case. kConfig otherwise.
Status CheckVfatTree(const rootfs::Tree& tree, std::string_view name);

/// Builds the filesystem in `region`. Errors: kConfig for trees FAT cannot
/// hold or a region too small ("partition 'esp' (64 MiB) is too small for the
/// tree (needs about 90 MiB)"), kTool for missing (naming the Debian package)
/// or failing tools, kIo for staging failures.
Status BuildVfat(const rootfs::Tree& tree, const Region& region, const VfatOptions& options);

}  // namespace cairn::disk
