#include "output/disk/partition_table.h"

#include <fmt/format.h>

#include "output/disk/tools.h"

namespace cairn::disk::internal {

std::string SfdiskScript(const DiskPlan& plan) {
  std::string s;
  auto out = std::back_inserter(s);
  if (plan.table == TableType::kGpt) {
    fmt::format_to(out, "label: gpt\nlabel-id: {}\n", plan.disk_id);
  } else {
    fmt::format_to(out, "label: dos\nlabel-id: 0x{}\n", plan.disk_id);
  }
  fmt::format_to(out, "unit: sectors\nsector-size: {}\n", kSectorSize);
  if (plan.table == TableType::kGpt) fmt::format_to(out, "first-lba: {}\n", kAlignment / kSectorSize);
  s.push_back('\n');
  for (const auto& p : plan.partitions) {
    fmt::format_to(out, "start={}, size={}, type={}", p.offset / kSectorSize,
                   p.size / kSectorSize, p.type);
    if (plan.table == TableType::kGpt) {
      // ValidateLayout keeps '"' and '\' out of names.
      fmt::format_to(out, ", uuid={}, name=\"{}\"", p.part_uuid, p.spec.name);
    } else if (p.spec.bootable) {
      s += ", bootable";
    }
    s.push_back('\n');
  }
  return s;
}

Status WritePartitionTable(const DiskPlan& plan, const std::filesystem::path& image,
                           Reporter* reporter) {
  ToolRun run{.env = ToolEnv(0)};
  run.args = {"--quiet", "--no-reread", "--no-tell-kernel", "--wipe", "never", image.string()};
  run.stdin_data = SfdiskScript(plan);
  CAIRN_TRY(RunTool(kSfdisk, run, reporter));
  return {};
}

}  // namespace cairn::disk::internal
