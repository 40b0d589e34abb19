// Deterministic disk identifiers: every UUID, disk id and filesystem serial of
// an image comes from a caller-given seed (derived from the lock), so the same
// inputs give the same bytes and boot configs can name partitions before the
// disk exists.
//
//   CAIRN_ASSIGN_OR_RETURN(auto ids, disk::DeriveIds(layout, seed));
//   std::string cmdline = "root=PARTUUID=" + ids.at("root").part_uuid;
//
// Each id is sha256("cairn-disk" NUL seed NUL purpose NUL name), cut to size;
// UUIDs are formatted as version 4 / RFC 4122 variant, lowercase.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "cairn/disk/layout.h"
#include "cairn/result.h"

namespace cairn::disk {

/// The ids of one partition.
struct PartitionIds {
  /// GPT partition GUID, or for MBR "<disk id>-<NN>" ("1a2b3c4d-02"), as
  /// Linux's root=PARTUUID= and blkid spell them.
  std::string part_uuid;
  /// The filesystem UUID as blkid and fstab's UUID= spell it: an ext4, xfs or
  /// btrfs UUID, a vfat serial "1A2B-3C4D"; empty for raw and none (a raw
  /// image has its own).
  std::string fs_uuid;
  /// ext4 htree hash seed (a UUID); empty for other filesystems.
  std::string hash_seed;
  /// vfat volume serial number; 0 for other filesystems.
  uint32_t vfat_serial = 0;
};

/// The ids of a whole disk.
struct DiskIds {
  /// GPT disk GUID, or for MBR the disk signature as eight lowercase hex digits.
  std::string disk_id;
  /// By partition name.
  std::map<std::string, PartitionIds, std::less<>> partitions;
};

/// A version-4-formatted UUID from sha256 of the seed, purpose and name.
std::string DeriveUuid(std::string_view seed, std::string_view purpose, std::string_view name);
/// A non-zero 32-bit id from the same hash (MBR disk signatures, vfat serials).
uint32_t DeriveId32(std::string_view seed, std::string_view purpose, std::string_view name);

/// Every id of `layout` (validated first) for this seed; the seed must not be empty.
Result<DiskIds> DeriveIds(const DiskLayout& layout, std::string_view seed);

}  // namespace cairn::disk
