// Architecture names: declarations (and `--arch`) accept apko/OCI names
// (amd64, arm64, arm/v7, ...) and apk names (x86_64, aarch64, armv7, ...);
// cairn works with apk names throughout, as they name repository
// subdirectories. `all` means the two architectures cairn builds by default.
//
//   auto apk = NormalizeArch("amd64");   // "x86_64"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::config {

/// The apk name for an apko/OCI or apk architecture name; nullopt if unknown.
/// "host" maps to the architecture cairn was compiled for. ("all" is not a
/// single arch: see ExpandArch.)
std::optional<std::string> NormalizeArch(std::string_view name);

/// Like NormalizeArch, but "all" expands to {"x86_64", "aarch64"}; empty if unknown.
std::vector<std::string> ExpandArch(std::string_view name);

/// Every accepted apk name, in a fixed order (x86_64, aarch64, then the rest).
const std::vector<std::string>& KnownApkArchs();
/// Every accepted apko/OCI name (386, amd64, arm64, arm/v6, ...).
const std::vector<std::string>& KnownApkoArchs();

/// The OCI platform for an apk arch: {architecture, variant} ("armv7" -> {"arm", "v7"}).
struct OciPlatform {
  std::string architecture;
  std::string variant;
};
std::optional<OciPlatform> ApkArchToOci(std::string_view apk_arch);

}  // namespace cairn::config
