// apk architecture -> OCI platform, following apko's table (formats.md §2.6).
#include "cairn/oci/platform.h"

#include <fmt/format.h>

#include <array>

namespace cairn::oci {
namespace {

struct ArchRow {
  std::string_view apk;
  std::string_view goarch;
  std::string_view variant;
};

// Sorted by apk name so the error message lists them in a stable order.
constexpr std::array<ArchRow, 9> kArchTable = {{
    {"aarch64", "arm64", ""},
    {"armhf", "arm", "v6"},
    {"armv7", "arm", "v7"},
    {"loongarch64", "loong64", ""},
    {"ppc64le", "ppc64le", ""},
    {"riscv64", "riscv64", ""},
    {"s390x", "s390x", ""},
    {"x86", "386", ""},
    {"x86_64", "amd64", ""},
}};

}  // namespace

std::string Platform::ToString() const {
  std::string out = fmt::format("{}/{}", os, architecture);
  if (!variant.empty()) out += "/" + variant;
  return out;
}

Result<Platform> PlatformForApkArch(std::string_view apk_arch) {
  for (const ArchRow& row : kArchTable) {
    if (row.apk == apk_arch) {
      Platform p;
      p.architecture = std::string(row.goarch);
      p.variant = std::string(row.variant);
      return p;
    }
  }
  std::string expected;
  for (const ArchRow& row : kArchTable) {
    if (!expected.empty()) expected += ", ";
    expected += fmt::format("'{}'", row.apk);
  }
  return Error(Code::kConfig,
               fmt::format("unknown architecture '{}' (expected one of {})", apk_arch, expected));
}

}  // namespace cairn::oci
