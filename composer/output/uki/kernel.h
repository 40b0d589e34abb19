// CheckKernel (private to output/uki): can systemd-stub 252 start this
// kernel? It loads the .linux section as a PE image on arm64 and enters an
// x86 bzImage through the EFI handover protocol, so the kernel must be an
// EFI PE file for the UKI's machine and, on x86, a bzImage new enough to
// have the handover entry. Found at build time, not as a hang at boot.
//
//   CAIRN_TRY(internal::CheckKernel(inputs.kernel, "x86_64"));
#pragma once

#include <string_view>

#include "cairn/result.h"

namespace cairn::uki::internal {

/// OK when `kernel` suits the stub of `arch` ("x86_64" or "aarch64"); kConfig
/// saying what was found and what was expected otherwise.
Status CheckKernel(std::string_view kernel, std::string_view arch);

}  // namespace cairn::uki::internal
