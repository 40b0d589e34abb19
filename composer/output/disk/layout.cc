// DiskLayout validation, partition type tables and names.
#include "cairn/disk/layout.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "cairn/disk/vfat.h"

namespace cairn::disk {
namespace {

constexpr std::string_view kGptEsp = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
constexpr std::string_view kGptXbootldr = "BC13C2FF-59E6-4262-A352-B275FD6F7172";
constexpr std::string_view kGptLinuxData = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
constexpr std::string_view kGptBasicData = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";
constexpr std::string_view kGptSwap = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F";
// MBR disks end at 2^32 sectors.
constexpr uint64_t kMbrLimit = (uint64_t{1} << 32) * kSectorSize;

struct RootType {
  std::string_view arch;  // apk name
  std::string_view guid;  // Discoverable Partitions Specification root type
};
constexpr RootType kRootTypes[] = {
    {"x86_64", "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"},
    {"aarch64", "B921B045-1DF0-41C3-AF44-4C6F280D3FAE"},
    {"x86", "44479540-F297-41B2-9AF7-D131D5F0458A"},
    {"armv7", "69DAD710-2CE4-4E3C-B16C-21A1D49ABED3"},
    {"armhf", "69DAD710-2CE4-4E3C-B16C-21A1D49ABED3"},
    {"riscv64", "72EC70A6-CF74-40E6-BD49-4BDA08E8F224"},
    {"ppc64le", "C31C45E6-3F39-412E-80FB-4809C4980599"},
    {"s390x", "5EEAD9A9-FE09-4A1E-A1D7-520D00531306"},
    {"loongarch64", "77055800-792C-4F94-B39A-98C91B762BB6"},
};

struct RoleName {
  PartitionRole role;
  std::string_view name;
};
constexpr RoleName kRoleNames[] = {
    {PartitionRole::kEsp, "esp"},   {PartitionRole::kBoot, "boot"},
    {PartitionRole::kRoot, "root"}, {PartitionRole::kRootB, "root-b"},
    {PartitionRole::kData, "data"}, {PartitionRole::kFirmware, "firmware"},
    {PartitionRole::kSwap, "swap"},
};

bool IsGuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool IsMbrType(std::string_view s) {
  return !s.empty() && s.size() <= 2 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }) &&
         s != "0" && s != "00";
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error PartError(const PartitionSpec& p, std::string message) {
  return Error(Code::kConfig, fmt::format("partition '{}': {}", p.name, message));
}

Status CheckName(const PartitionSpec& p) {
  if (p.name.empty()) return Error(Code::kConfig, "a partition has an empty name");
  if (p.name.size() > 36)
    return PartError(p, fmt::format("name is {} characters long (at most 36)", p.name.size()));
  for (char c : p.name) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
      return PartError(p, "name must be printable ASCII without '\"' or '\\'");
  }
  return {};
}

Status CheckLabel(const PartitionSpec& p) {
  if (p.label.empty()) return {};
  size_t max = MaxLabelBytes(p.filesystem);
  if (p.label.size() > max)
    return PartError(p, fmt::format("label '{}' is too long for {} (at most {} characters)",
                                    p.label, FilesystemName(p.filesystem), max));
  for (char c : p.label) {
    if (c < 0x20 || c == 0x7f || c == '"')
      return PartError(p, fmt::format("label '{}' has a character that is not allowed", p.label));
  }
  return {};
}

}  // namespace

std::string_view TableTypeName(TableType type) {
  return type == TableType::kGpt ? "gpt" : "mbr";
}

std::string_view RoleName(PartitionRole role) {
  for (const auto& r : kRoleNames)
    if (r.role == role) return r.name;
  return "?";
}

std::string_view FilesystemName(Filesystem fs) {
  switch (fs) {
    case Filesystem::kNone: return "none";
    case Filesystem::kVfat: return "vfat";
    case Filesystem::kExt4: return "ext4";
    case Filesystem::kRaw: return "raw";
    case Filesystem::kXfs: return "xfs";
    case Filesystem::kBtrfs: return "btrfs";
  }
  return "?";
}

bool NeedsKernel(Filesystem fs) { return fs == Filesystem::kXfs || fs == Filesystem::kBtrfs; }

size_t MaxLabelBytes(Filesystem fs) {
  switch (fs) {
    case Filesystem::kVfat: return 11;
    case Filesystem::kXfs: return 12;     // xfs_sb sb_fname[12]
    case Filesystem::kBtrfs: return 255;  // BTRFS_LABEL_SIZE - 1
    case Filesystem::kExt4:
    case Filesystem::kRaw:
    case Filesystem::kNone: return 16;
  }
  return 16;
}

std::optional<TableType> ParseTableType(std::string_view name) {
  if (name == "gpt") return TableType::kGpt;
  if (name == "mbr" || name == "dos") return TableType::kMbr;
  return std::nullopt;
}

std::optional<PartitionRole> ParseRole(std::string_view name) {
  for (const auto& r : kRoleNames)
    if (r.name == name) return r.role;
  return std::nullopt;
}

std::optional<Filesystem> ParseFilesystem(std::string_view name) {
  for (Filesystem fs : {Filesystem::kNone, Filesystem::kVfat, Filesystem::kExt4, Filesystem::kRaw,
                        Filesystem::kXfs, Filesystem::kBtrfs})
    if (FilesystemName(fs) == name) return fs;
  return std::nullopt;
}

std::optional<std::string_view> GptRootType(std::string_view arch) {
  for (const auto& t : kRootTypes)
    if (t.arch == arch) return t.guid;
  return std::nullopt;
}

std::string EffectiveLabel(const PartitionSpec& part) {
  if (!part.label.empty()) return part.label;
  if (part.filesystem == Filesystem::kVfat) return Upper(part.name.substr(0, 11));
  return part.name.substr(0, MaxLabelBytes(part.filesystem));
}

Result<std::string> PartitionType(const DiskLayout& layout, const PartitionSpec& part,
                                  uint64_t size) {
  bool gpt = layout.table == TableType::kGpt;
  if (!part.type.empty()) return gpt ? Upper(part.type) : Lower(part.type);
  bool vfat = part.filesystem == Filesystem::kVfat;
  std::string_view fat_byte = size >= kFat32MinSize ? "0c" : "0e";
  switch (part.role) {
    case PartitionRole::kEsp: return std::string(gpt ? kGptEsp : "ef");
    case PartitionRole::kBoot:
      return std::string(gpt ? kGptXbootldr : (vfat ? fat_byte : "83"));
    case PartitionRole::kRoot:
    case PartitionRole::kRootB: {
      if (!gpt) return std::string("83");
      if (auto guid = GptRootType(layout.arch)) return std::string(*guid);
      std::vector<std::string_view> known;
      for (const auto& t : kRootTypes) known.push_back(t.arch);
      return PartError(part, fmt::format("no GPT root partition type is known for architecture "
                                         "'{}' (known: {}); give the type explicitly",
                                         layout.arch, fmt::join(known, ", ")));
    }
    case PartitionRole::kData: return std::string(gpt ? kGptLinuxData : "83");
    case PartitionRole::kFirmware: return std::string(gpt ? kGptBasicData : fat_byte);
    case PartitionRole::kSwap: return std::string(gpt ? kGptSwap : "82");
  }
  return InternalError("unknown partition role");
}

Status ValidateLayout(const DiskLayout& layout) {
  bool gpt = layout.table == TableType::kGpt;
  if (layout.partitions.empty()) return Error(Code::kConfig, "the disk layout has no partitions");
  if (!gpt && layout.partitions.size() > 4)
    return Error(Code::kConfig,
                 fmt::format("an MBR disk holds at most 4 partitions (the layout has {})",
                             layout.partitions.size()));
  if (layout.size) {
    if (*layout.size == 0 || *layout.size % kSectorSize != 0)
      return Error(Code::kConfig, fmt::format("disk size must be a positive multiple of 512 "
                                              "bytes (got {})", *layout.size));
    if (!gpt && *layout.size > kMbrLimit)
      return Error(Code::kConfig, fmt::format("an MBR disk is at most 2 TiB (the layout asks "
                                              "for {}); use GPT", FormatSize(*layout.size)));
  }
  std::set<std::string, std::less<>> names;
  int fills = 0;
  for (const auto& p : layout.partitions) {
    CAIRN_TRY(CheckName(p));
    if (!names.insert(p.name).second)
      return Error(Code::kConfig, fmt::format("two partitions are named '{}'", p.name));
    CAIRN_TRY(CheckLabel(p));
    switch (p.size.kind) {
      case PartitionSize::Kind::kFixed:
        if (p.size.bytes == 0 || p.size.bytes % kAlignment != 0)
          return PartError(p, fmt::format("size must be a positive multiple of 1 MiB (got {} "
                                          "bytes)", p.size.bytes));
        break;
      case PartitionSize::Kind::kFill:
        if (++fills > 1)
          return PartError(p, "only one partition can fill the rest of the disk");
        if (!layout.size)
          return PartError(p, "size 'fill' needs a disk size");
        break;
      case PartitionSize::Kind::kAuto:
        if (p.filesystem == Filesystem::kNone)
          return PartError(p, "size 'auto' needs contents to measure; give a size "
                              "(filesystem 'none')");
        break;
    }
    if (!p.type.empty() && !(gpt ? IsGuid(p.type) : IsMbrType(p.type)))
      return PartError(p, fmt::format("type '{}' is not {}", p.type,
                                      gpt ? "a GPT type GUID (8-4-4-4-12 hex digits)"
                                          : "an MBR type byte in hex (e.g. 0c or 83)"));
    if (p.bootable && gpt)
      return PartError(p, "the bootable flag exists only on MBR disks");
    if (p.type.empty() && gpt &&
        (p.role == PartitionRole::kRoot || p.role == PartitionRole::kRootB)) {
      CAIRN_TRY(PartitionType(layout, p, 0));
    }
  }
  return {};
}

}  // namespace cairn::disk
