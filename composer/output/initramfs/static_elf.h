// CheckStaticElf (private to output/initramfs): is this file a statically
// linked ELF executable? An initramfs carries no shared libraries, so the
// busybox it runs must need no program interpreter (no PT_INTERP).
//
//   CAIRN_TRY(internal::CheckStaticElf(bytes, "bin/busybox"));
#pragma once

#include <string_view>

#include "cairn/result.h"

namespace cairn::initramfs::internal {

/// OK for an ELF executable (ET_EXEC or ET_DYN) without PT_INTERP; kConfig
/// naming `what` otherwise (not ELF, not executable, or dynamically linked,
/// with its interpreter).
Status CheckStaticElf(std::string_view bytes, std::string_view what);

}  // namespace cairn::initramfs::internal
