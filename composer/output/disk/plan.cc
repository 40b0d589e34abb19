// PlanDisk: sizes, offsets, types and ids of every partition, before writing.
#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "cairn/disk/ext4.h"
#include "cairn/disk/image.h"
#include "cairn/disk/kernel_fs.h"
#include "cairn/disk/raw.h"
#include "cairn/disk/vfat.h"

namespace cairn::disk {
namespace {

// GPT keeps a backup header and entry array (33 sectors) at the end of the disk.
constexpr uint64_t kGptBackupBytes = 33 * kSectorSize;

uint64_t AlignDown(uint64_t n) { return n / kAlignment * kAlignment; }

Error PartError(const PartitionSpec& p, std::string message) {
  return Error(Code::kConfig, fmt::format("partition '{}': {}", p.name, std::move(message)));
}

Status CheckContents(const DiskLayout& layout, const PartitionContents& contents) {
  for (const auto& [name, content] : contents) {
    bool known = false;
    for (const auto& p : layout.partitions) known = known || p.name == name;
    if (!known)
      return Error(Code::kConfig, fmt::format("contents were given for partition '{}', which "
                                              "the layout does not have", name));
  }
  for (const auto& p : layout.partitions) {
    auto it = contents.find(p.name);
    const PartitionContent* c = it == contents.end() ? nullptr : &it->second;
    switch (p.filesystem) {
      case Filesystem::kExt4:
      case Filesystem::kVfat:
      case Filesystem::kXfs:
      case Filesystem::kBtrfs:
        if (!c || !c->tree)
          return PartError(p, fmt::format("filesystem '{}' needs a tree to build from",
                                          FilesystemName(p.filesystem)));
        if (!c->image.empty()) return PartError(p, "give a tree or an image file, not both");
        break;
      case Filesystem::kRaw:
        if (!c || c->image.empty()) return PartError(p, "a raw partition needs an image file");
        if (c->tree) return PartError(p, "a raw partition takes an image file, not a tree");
        break;
      case Filesystem::kNone:
        if (c && (c->tree || !c->image.empty()))
          return PartError(p, "filesystem 'none' takes no contents");
        break;
    }
  }
  return {};
}

Result<uint64_t> AutoSize(const PartitionSpec& p, const PartitionContent& c) {
  switch (p.filesystem) {
    case Filesystem::kExt4: return Ext4SizeFor(*c.tree);
    case Filesystem::kVfat: return VfatSizeFor(*c.tree, p.role == PartitionRole::kEsp);
    case Filesystem::kXfs:
    case Filesystem::kBtrfs: return KernelFsSizeFor(p.filesystem, *c.tree);
    case Filesystem::kRaw: {
      auto size = RawSizeFor(c.image);
      if (!size) return std::move(size).error().Context(fmt::format("partition '{}'", p.name));
      return size;
    }
    case Filesystem::kNone: break;
  }
  return InternalError("auto size for filesystem 'none'");
}

}  // namespace

const PartitionPlan* DiskPlan::Find(std::string_view name) const {
  for (const auto& p : partitions)
    if (p.spec.name == name) return &p;
  return nullptr;
}

Result<DiskPlan> PlanDisk(const DiskLayout& layout, const PartitionContents& contents,
                          std::string_view seed) {
  CAIRN_ASSIGN_OR_RETURN(DiskIds ids, DeriveIds(layout, seed));  // validates the layout
  CAIRN_TRY(CheckContents(layout, contents));
  const bool gpt = layout.table == TableType::kGpt;

  DiskPlan plan;
  plan.table = layout.table;
  plan.disk_id = ids.disk_id;
  uint64_t used = 0;  // bytes of every partition but the "fill" one
  PartitionPlan* fill = nullptr;
  int number = 0;
  for (const auto& spec : layout.partitions) {
    PartitionPlan& p = plan.partitions.emplace_back();
    p.spec = spec;
    p.number = ++number;
    p.label = EffectiveLabel(spec);
    const PartitionIds& pid = ids.partitions.at(spec.name);
    p.part_uuid = pid.part_uuid;
    p.fs_uuid = pid.fs_uuid;
    p.hash_seed = pid.hash_seed;
    p.vfat_serial = pid.vfat_serial;
    switch (spec.size.kind) {
      case PartitionSize::Kind::kFixed: p.size = spec.size.bytes; break;
      case PartitionSize::Kind::kAuto: {
        CAIRN_ASSIGN_OR_RETURN(p.size, AutoSize(spec, contents.at(spec.name)));
        break;
      }
      case PartitionSize::Kind::kFill: break;
    }
    used += p.size;
  }
  for (auto& p : plan.partitions)
    if (p.spec.size.kind == PartitionSize::Kind::kFill) fill = &p;

  const uint64_t first = kAlignment;  // the table lives in the first MiB
  if (layout.size) {
    plan.size = *layout.size;
    uint64_t tail = gpt ? kGptBackupBytes : 0;
    uint64_t usable_end = plan.size > tail ? AlignDown(plan.size - tail) : 0;
    uint64_t available = usable_end > first ? usable_end - first : 0;
    if (used + (fill ? kAlignment : 0) > available)
      return Error(Code::kConfig,
                   fmt::format("the partitions need {}{} but the disk is {}",
                               FormatSize(first + used + tail), fill ? " plus 1 MiB to fill" : "",
                               FormatSize(plan.size)));
    if (fill) fill->size = available - used;
  } else {
    plan.size = first + used + (gpt ? kAlignment : 0);
  }
  for (const auto& p : plan.partitions) {
    // mkfs refuses smaller devices; say so before the appliance starts.
    const uint64_t min = MinFilesystemSize(p.spec.filesystem);
    if (p.size < min)
      return PartError(p.spec, fmt::format("{} is too small for {} (mkfs.{} makes at least {})",
                                           FormatSize(p.size), FilesystemName(p.spec.filesystem),
                                           FilesystemName(p.spec.filesystem), FormatSize(min)));
    if (NeedsKernel(p.spec.filesystem)) plan.byte_reproducible = false;
  }
  uint64_t offset = first;
  for (auto& p : plan.partitions) {
    p.offset = offset;
    offset += p.size;
    CAIRN_ASSIGN_OR_RETURN(p.type, PartitionType(layout, p.spec, p.size));
  }
  if (!gpt && plan.size > (uint64_t{1} << 32) * kSectorSize)
    return Error(Code::kConfig, fmt::format("an MBR disk is at most 2 TiB (this one would be "
                                            "{}); use GPT", FormatSize(plan.size)));
  return plan;
}

}  // namespace cairn::disk
