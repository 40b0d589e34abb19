#include "cairn/config/arch.h"

#include <array>

namespace cairn::config {
namespace {

struct ArchRow {
  const char* apk;
  const char* apko;  // also the OCI "architecture[/variant]"
};

// apko pkg/build/types Architecture.ToAPK, plus loong64.
constexpr std::array<ArchRow, 9> kArchs = {{
    {"x86_64", "amd64"},
    {"aarch64", "arm64"},
    {"x86", "386"},
    {"armhf", "arm/v6"},
    {"armv7", "arm/v7"},
    {"loongarch64", "loong64"},
    {"ppc64le", "ppc64le"},
    {"riscv64", "riscv64"},
    {"s390x", "s390x"},
}};

const char* HostApkArch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__i386__)
  return "x86";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__loongarch64)
  return "loongarch64";
#else
  return "x86_64";
#endif
}

}  // namespace

std::optional<std::string> NormalizeArch(std::string_view name) {
  if (name == "host") return std::string(HostApkArch());
  for (const ArchRow& row : kArchs) {
    if (name == row.apk || name == row.apko) return std::string(row.apk);
  }
  return std::nullopt;
}

std::vector<std::string> ExpandArch(std::string_view name) {
  if (name == "all") return {"x86_64", "aarch64"};
  if (auto a = NormalizeArch(name)) return {*a};
  return {};
}

const std::vector<std::string>& KnownApkArchs() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const ArchRow& row : kArchs) v.push_back(row.apk);
    return v;
  }();
  return names;
}

const std::vector<std::string>& KnownApkoArchs() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const ArchRow& row : kArchs) v.push_back(row.apko);
    return v;
  }();
  return names;
}

std::optional<OciPlatform> ApkArchToOci(std::string_view apk_arch) {
  for (const ArchRow& row : kArchs) {
    if (apk_arch != row.apk) continue;
    std::string apko = row.apko;
    auto slash = apko.find('/');
    if (slash == std::string::npos) return OciPlatform{apko, ""};
    return OciPlatform{apko.substr(0, slash), apko.substr(slash + 1)};
  }
  return std::nullopt;
}

}  // namespace cairn::config
