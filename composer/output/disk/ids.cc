// Seed-derived UUIDs, disk signatures and FAT serials.
#include "cairn/disk/ids.h"

#include <fmt/format.h>

#include "cairn/digest.h"

namespace cairn::disk {
namespace {

std::string Hash(std::string_view seed, std::string_view purpose, std::string_view name) {
  std::string input = "cairn-disk";
  input.push_back('\0');
  input.append(seed);
  input.push_back('\0');
  input.append(purpose);
  input.push_back('\0');
  input.append(name);
  return Sha256(input);
}

}  // namespace

std::string DeriveUuid(std::string_view seed, std::string_view purpose, std::string_view name) {
  std::string b = Hash(seed, purpose, name).substr(0, 16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex = HexEncode(b);
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20, 12));
}

uint32_t DeriveId32(std::string_view seed, std::string_view purpose, std::string_view name) {
  std::string b = Hash(seed, purpose, name);
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id = (id << 8) | static_cast<unsigned char>(b[i]);
  // Zero means "no signature" in an MBR and reads as unset elsewhere.
  return id == 0 ? 1 : id;
}

Result<DiskIds> DeriveIds(const DiskLayout& layout, std::string_view seed) {
  if (seed.empty()) return InternalError("disk ids need a non-empty seed");
  CAIRN_TRY(ValidateLayout(layout));
  DiskIds ids;
  bool gpt = layout.table == TableType::kGpt;
  if (gpt) {
    ids.disk_id = DeriveUuid(seed, "disk", "");
  } else {
    ids.disk_id = fmt::format("{:08x}", DeriveId32(seed, "disk", ""));
  }
  int number = 0;
  for (const auto& p : layout.partitions) {
    ++number;
    PartitionIds pid;
    pid.part_uuid = gpt ? DeriveUuid(seed, "partition", p.name)
                        : fmt::format("{}-{:02x}", ids.disk_id, number);
    switch (p.filesystem) {
      case Filesystem::kExt4:
        pid.fs_uuid = DeriveUuid(seed, "filesystem", p.name);
        pid.hash_seed = DeriveUuid(seed, "hash-seed", p.name);
        break;
      case Filesystem::kXfs:
      case Filesystem::kBtrfs:
        // Set with xfs_admin -U / btrfstune -U after mkfs; no hash seed to fix.
        pid.fs_uuid = DeriveUuid(seed, "filesystem", p.name);
        break;
      case Filesystem::kVfat:
        pid.vfat_serial = DeriveId32(seed, "filesystem", p.name);
        pid.fs_uuid = fmt::format("{:04X}-{:04X}", pid.vfat_serial >> 16, pid.vfat_serial & 0xffff);
        break;
      case Filesystem::kRaw:
      case Filesystem::kNone:
        break;
    }
    ids.partitions.emplace(p.name, std::move(pid));
  }
  return ids;
}

}  // namespace cairn::disk
