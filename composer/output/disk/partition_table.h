// Writing a DiskPlan's partition table into an image file with sfdisk, which
// works on a regular file without root. The script fixes every id (GPT disk
// GUID and partition GUIDs, or the MBR signature), so the table is
// reproducible; sfdisk also writes GPT's protective MBR and backup header.
//
//   CAIRN_TRY(WritePartitionTable(plan, tmp_image, reporter));
#pragma once

#include <filesystem>
#include <string>

#include "cairn/disk/image.h"
#include "cairn/reporter.h"
#include "cairn/result.h"

namespace cairn::disk::internal {

/// The sfdisk script for `plan` (sectors of 512 bytes).
std::string SfdiskScript(const DiskPlan& plan);

/// Runs sfdisk on `image` (which must already be plan.size bytes long).
Status WritePartitionTable(const DiskPlan& plan, const std::filesystem::path& image,
                           Reporter* reporter);

}  // namespace cairn::disk::internal
