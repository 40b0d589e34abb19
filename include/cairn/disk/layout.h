// disk::DiskLayout: what a bootable disk image holds, before any byte is written.
//
// A layout is a partition table type (GPT or MBR), an optional disk size and
// an ordered list of partitions. Each partition has a name (the GPT partition
// name and the key for its contents and derived ids), a role that picks its
// partition type (EFI system, Linux root for the layout's architecture, ...),
// a filesystem to build in it, and a size: fixed, "auto" (computed from the
// contents) or "fill" (the rest of a fixed-size disk).
//
//   disk::DiskLayout layout{.table = disk::TableType::kGpt, .arch = "x86_64"};
//   layout.partitions.push_back({.name = "esp", .role = disk::PartitionRole::kEsp,
//                                .filesystem = disk::Filesystem::kVfat,
//                                .size = disk::PartitionSize::Fixed(64 * disk::kMiB)});
//   layout.partitions.push_back({.name = "root", .role = disk::PartitionRole::kRoot,
//                                .filesystem = disk::Filesystem::kExt4});   // auto size
//   CAIRN_TRY(disk::ValidateLayout(layout));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

namespace cairn::disk {

inline constexpr uint64_t kSectorSize = 512;
inline constexpr uint64_t kMiB = 1024 * 1024;
/// Partitions start and end on 1 MiB boundaries.
inline constexpr uint64_t kAlignment = kMiB;

enum class TableType { kGpt, kMbr };

/// What a partition is for; picks the GPT type GUID or MBR type byte.
enum class PartitionRole {
  kEsp,       ///< EFI system partition (GPT C12A7328-..., MBR 0xef)
  kBoot,      ///< extended boot loader partition, XBOOTLDR (GPT BC13C2FF-...; MBR 0x0c vfat, else 0x83)
  kRoot,      ///< Linux root for the layout's architecture (GPT per arch, MBR 0x83)
  kRootB,     ///< second root slot for A/B updates: same type as kRoot
  kData,      ///< generic Linux data (GPT 0FC63DAF-..., MBR 0x83)
  kFirmware,  ///< firmware/boot files read by a ROM (Raspberry Pi): GPT basic data, MBR 0x0c
  kSwap,      ///< Linux swap (GPT 0657FD6D-..., MBR 0x82)
};

/// What is built inside a partition.
enum class Filesystem {
  kNone,  ///< left zeroed
  kVfat,  ///< FAT32 from 33 MiB up, else FAT12/16; built from a rootfs::Tree
  kExt4,  ///< built from a rootfs::Tree
  kRaw,   ///< a prebuilt image file (squashfs, erofs, ...) copied in verbatim
  /// Built from a rootfs::Tree by the kernel in the libguestfs appliance
  /// (mkfs, mount, tar-in): at least 300 MiB; not byte-reproducible.
  kXfs,
  /// Like kXfs: at least 109 MiB; not byte-reproducible.
  kBtrfs,
};

/// True for the filesystems only the kernel can fill (xfs, btrfs): WriteDiskImage
/// builds them in the libguestfs appliance, and their bytes differ between builds.
bool NeedsKernel(Filesystem fs);

/// The longest label a filesystem takes, in bytes: vfat 11, xfs 12, ext4 16,
/// btrfs 255 (16 for raw and none, whose label is only a name for messages).
size_t MaxLabelBytes(Filesystem fs);

/// A partition's size: a fixed byte count, "auto" (from its contents) or
/// "fill" (whatever the fixed disk size leaves; at most one partition).
struct PartitionSize {
  enum class Kind { kAuto, kFixed, kFill };
  Kind kind = Kind::kAuto;
  uint64_t bytes = 0;  ///< kFixed only; a multiple of 1 MiB

  static PartitionSize Auto() { return {}; }
  static PartitionSize Fixed(uint64_t bytes) { return {Kind::kFixed, bytes}; }
  static PartitionSize Fill() { return {Kind::kFill, 0}; }
};

struct PartitionSpec {
  /// GPT partition name (1-36 printable ASCII characters, no '"' or '\'); unique in the layout.
  std::string name;
  PartitionRole role = PartitionRole::kData;
  Filesystem filesystem = Filesystem::kNone;
  PartitionSize size;
  /// Filesystem label; empty means derived from the name (uppercased and cut to
  /// 11 characters for vfat, cut to MaxLabelBytes otherwise: ext4 16, xfs 12).
  std::string label;
  /// Overrides the role's type: a GPT type GUID, or an MBR type byte in hex ("0c").
  std::string type;
  /// MBR "active" flag (some ROMs, e.g. old PC BIOSes, want it); invalid for GPT.
  bool bootable = false;
};

struct DiskLayout {
  TableType table = TableType::kGpt;
  /// apk architecture name (x86_64, aarch64, armv7, riscv64, ...): picks the GPT root type.
  std::string arch = "x86_64";
  /// Total disk size in bytes (a multiple of 512); unset means just large
  /// enough for the partitions. Required when a partition has size "fill".
  std::optional<uint64_t> size;
  std::vector<PartitionSpec> partitions;
};

/// Checks names, labels, sizes, type overrides and table limits (MBR: at most
/// 4 partitions, below 2 TiB; one "fill" partition, and only with a disk size).
/// Errors are kConfig and name the partition, e.g.
/// "partition 'root': size must be a multiple of 1 MiB (got 1000000 bytes)".
Status ValidateLayout(const DiskLayout& layout);

/// The partition type written to the table: an uppercase GPT GUID, or two
/// lowercase hex digits for MBR. `size` is the partition's size in bytes (MBR
/// vfat partitions below 33 MiB get 0x0e, FAT16 LBA, instead of 0x0c).
/// Errors (kConfig) for a GPT root on an architecture without a known type.
Result<std::string> PartitionType(const DiskLayout& layout, const PartitionSpec& part,
                                  uint64_t size);

/// The GPT root partition type GUID for an apk architecture name, if known.
std::optional<std::string_view> GptRootType(std::string_view arch);

/// "gpt"/"mbr", "esp"/"root-b"/..., "vfat"/"ext4"/"xfs"/"btrfs"/"raw"/"none" and back.
std::string_view TableTypeName(TableType type);
std::string_view RoleName(PartitionRole role);
std::string_view FilesystemName(Filesystem fs);
std::optional<TableType> ParseTableType(std::string_view name);
std::optional<PartitionRole> ParseRole(std::string_view name);
std::optional<Filesystem> ParseFilesystem(std::string_view name);

/// The label a partition's filesystem gets (spec.label, or derived from the name).
std::string EffectiveLabel(const PartitionSpec& part);

}  // namespace cairn::disk
