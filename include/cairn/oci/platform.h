// OCI platform of an apk architecture: the GOOS/GOARCH/variant triple that
// image configs and index entries carry ("aarch64" -> linux/arm64).
//
//   CAIRN_ASSIGN_OR_RETURN(auto p, oci::PlatformForApkArch("armv7"));
//   p.architecture == "arm", p.variant == "v7"
#pragma once

#include <string>
#include <string_view>

#include "cairn/result.h"

namespace cairn::oci {

/// An OCI platform; variant is empty except for 32-bit arm (arm64 gets none, as in apko).
struct Platform {
  std::string os = "linux";
  std::string architecture;  ///< GOARCH: amd64, arm64, arm, 386, ppc64le, s390x, riscv64, loong64
  std::string variant;       ///< "v6" (armhf) or "v7" (armv7), else empty

  /// "linux/arm/v7"-style text for messages and ref names.
  std::string ToString() const;
};

/// Maps an apk architecture (x86_64, aarch64, armv7, armhf, x86, ppc64le, s390x,
/// riscv64, loongarch64) to its OCI platform; anything else is a kConfig error.
Result<Platform> PlatformForApkArch(std::string_view apk_arch);

}  // namespace cairn::oci
