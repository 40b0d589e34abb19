// Copying a prebuilt filesystem image (a squashfs or erofs root, a firmware
// blob) into a partition, keeping the disk sparse where the image has zeros.
//
//   CAIRN_TRY(disk::CopyRawImage("out/root.squashfs", region, "root"));
#pragma once

#include <filesystem>
#include <string_view>

#include "cairn/disk/region.h"
#include "cairn/result.h"

namespace cairn::disk {

/// Writes `source` at region.offset. Errors: kNotFound for a missing source,
/// kConfig when it is larger than the region ("partition 'root' (64 MiB) is
/// too small for 'root.squashfs' (70 MiB)"), kIo for read/write failures.
Status CopyRawImage(const std::filesystem::path& source, const Region& region,
                    std::string_view partition_name);

/// The size of `source` rounded up to 1 MiB: what an "auto" raw partition gets.
Result<uint64_t> RawSizeFor(const std::filesystem::path& source);

}  // namespace cairn::disk
