// CopySparse: a byte-identical copy of a disk image that keeps its holes, so
// copying a mostly empty 8 GiB image costs what its data costs.
//
//   CAIRN_TRY(internal::CopySparse("vendor.img", tmp_path));
#pragma once

#include <filesystem>

#include "cairn/result.h"

namespace cairn::disk::internal {

/// Copies the regular file `from` over the existing file `to` (truncated
/// first): only the ranges lseek(SEEK_DATA) finds are copied, with
/// copy_file_range (which can share blocks on reflink filesystems), and the
/// rest stays a hole. Errors (kIo, kNotFound) name the file.
Status CopySparse(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace cairn::disk::internal
