// Package URLs for APKs and OCI artifacts, and the apk -> OCI arch names.

#include "sbom/purl.h"

#include <cctype>

#include <fmt/format.h>

#include "cairn/percent_encode.h"
#include "cairn/sbom/spdx.h"

namespace cairn::sbom {
namespace internal {


std::string Purl(std::string_view type, std::string_view ns, std::string_view name,
                 std::string_view version,
                 const std::vector<std::pair<std::string, std::string>>& qualifiers) {
  std::string out = fmt::format("pkg:{}/", type);
  if (!ns.empty()) out += PercentEncode(ns) + "/";
  out += PercentEncode(name);
  if (!version.empty()) {
    out += '@';  // appended piecewise: g++ 12 -O3 warns (-Wrestrict) on "@" + string
    out += PercentEncode(version);
  }
  char sep = '?';
  for (const auto& [key, value] : qualifiers) {
    if (value.empty()) continue;
    out += sep + key + "=" + PercentEncode(value);
    sep = '&';
  }
  return out;
}

}  // namespace internal

namespace {
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

std::string ApkPurl(const std::string& purl_namespace, const apk::PackageInfo& info,
                    const OsRelease& os) {
  // The apk purl type is case-insensitive: namespace and name are lowercased.
  std::string ns = purl_namespace.empty() ? os.id : purl_namespace;
  if (ns.empty()) ns = "unknown";
  std::string distro;
  if (!os.id.empty() && !os.version_id.empty()) distro = Lower(os.id) + "-" + os.version_id;
  return internal::Purl("apk", Lower(ns), Lower(info.name), info.version,
                        {{"arch", info.arch}, {"distro", distro}});
}

std::string DebPurl(const std::string& name, const std::string& version, const std::string& arch,
                    const OsRelease& os) {
  // purl-spec deb: lowercase namespace and name; the version keeps its epoch ("1:2.3-4").
  std::string ns = os.id.empty() ? "debian" : Lower(os.id);
  std::string distro;
  if (!os.id.empty() && !os.version_id.empty()) distro = Lower(os.id) + "-" + os.version_id;
  return internal::Purl("deb", ns, Lower(name), version, {{"arch", arch}, {"distro", distro}});
}

std::string OciArch(const std::string& apk_arch) {
  static const std::pair<const char*, const char*> kArchs[] = {
      {"x86_64", "amd64"},   {"aarch64", "arm64"},     {"armv7", "arm"},
      {"armhf", "arm"},      {"x86", "386"},           {"ppc64le", "ppc64le"},
      {"s390x", "s390x"},    {"riscv64", "riscv64"},   {"loongarch64", "loong64"},
  };
  for (const auto& [apk, oci] : kArchs)
    if (apk_arch == apk) return oci;
  return apk_arch;
}

std::string SpdxSupplier(const std::string& maintainer) {
  std::string_view m(maintainer);
  while (!m.empty() && std::isspace(static_cast<unsigned char>(m.back()))) m.remove_suffix(1);
  if (m.empty()) return "NOASSERTION";
  size_t lt = m.rfind('<');
  if (lt != std::string_view::npos && m.back() == '>') {
    std::string_view name = m.substr(0, lt);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    std::string_view email = m.substr(lt + 1, m.size() - lt - 2);
    if (name.empty()) return fmt::format("Person: ({})", email);
    return fmt::format("Person: {} ({})", name, email);
  }
  return fmt::format("Person: {}", m);
}

}  // namespace cairn::sbom
