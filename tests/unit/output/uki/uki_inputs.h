// Real UKI inputs for both architectures, from Debian .debs in cairn's
// package cache (the places initramfs/debian_inputs.h searches, whose
// skip-or-fail rule this shares): systemd-boot-efi's stub, a kernel
// (linux-image-*-cloud-amd64 / linux-image-*-arm64) and busybox-static.
// debian_inputs.h finds amd64 packages only and asks dpkg-deb for every
// candidate; here the control members are read in-process
// (extract::DebPackage) once per test process, for any architecture, and
// only the files needed are taken from the data member.
//
//   const auto* in = uki::testing_inputs::ForArch("aarch64");   // nullptr: skipped
//   in->stub, in->kernel, in->kernel_version, in->busybox
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/extract/deb_package.h"
#include "unit/output/initramfs/debian_inputs.h"

namespace cairn::uki::testing_inputs {

namespace fs = std::filesystem;

// A control field's value ("" when absent).
inline std::string ControlField(const std::string& control, const std::string& field) {
  const std::string key = field + ":";
  size_t at = 0;
  while (at < control.size()) {
    size_t end = control.find('\n', at);
    if (end == std::string::npos) end = control.size();
    std::string line = control.substr(at, end - at);
    if (line.compare(0, key.size(), key) == 0) {
      std::string v = line.substr(key.size());
      v.erase(0, v.find_first_not_of(' '));
      return v;
    }
    at = end + 1;
  }
  return "";
}

struct DebInfo {
  std::string package;
  std::string arch;  // Debian's: amd64, arm64, all
  fs::path path;
};

// Every .deb in the cache directories, sorted by path; read once per process.
inline const std::vector<DebInfo>& AllDebs() {
  static const std::vector<DebInfo> debs = [] {
    std::vector<fs::path> dirs = {fs::path(CAIRN_BINARY_DIR) / "test-cache/debian/deb/pool",
                                  fs::path(CAIRN_SOURCE_DIR) / "build/test-cache/debian/deb/pool"};
    if (const char* d = std::getenv("CAIRN_TEST_DEB_DIR"); d && *d) dirs.emplace_back(d);
    std::vector<DebInfo> out;
    for (const auto& dir : dirs) {
      std::error_code ec;
      if (!fs::is_directory(dir, ec)) continue;
      std::vector<fs::path> paths;
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".deb") paths.push_back(e.path());
      std::sort(paths.begin(), paths.end());
      for (const auto& p : paths) {
        auto deb = extract::DebPackage::Open(p);
        if (!deb.ok()) continue;  // not ours to judge: other tests check the cache
        out.push_back({ControlField(deb->control_text(), "Package"),
                       ControlField(deb->control_text(), "Architecture"), p});
      }
    }
    return out;
  }();
  return debs;
}

template <typename Accept>
std::optional<fs::path> FindDeb(const std::string& debian_arch, Accept accept) {
  for (const auto& d : AllDebs())
    if (d.arch == debian_arch && accept(d.package)) return d.path;
  return std::nullopt;
}

// The content of the first regular file in `deb` whose path `match`es, and that path.
template <typename Match>
std::optional<std::pair<std::string, std::string>> ReadFromDeb(const fs::path& deb, Match match) {
  auto pkg = extract::DebPackage::Open(deb);
  if (!pkg.ok()) {
    FAIL(pkg.error().Render());
    return std::nullopt;
  }
  std::optional<std::pair<std::string, std::string>> found;
  Status read = pkg->ForEachDataEntry(
      [&](const rootfs::FsEntry& e, const rootfs::ContentReader* content) -> Status {
        if (found || !content || !match(e.path)) return {};
        std::string bytes;
        char buf[1 << 16];
        for (;;) {
          CAIRN_ASSIGN_OR_RETURN(size_t n, (*content)(buf, sizeof buf));
          if (n == 0) break;
          bytes.append(buf, n);
        }
        found = std::make_pair(e.path, std::move(bytes));
        return {};
      });
  if (!read.ok()) {
    FAIL(read.error().Render());
    return std::nullopt;
  }
  return found;
}

struct ArchInputs {
  std::string arch;            // "x86_64" / "aarch64"
  std::string stub;            // linux{x64,aa64}.efi.stub
  std::string kernel;          // boot/vmlinuz-<version>
  std::string kernel_version;  // "6.1.0-57-cloud-amd64"
  std::string busybox;         // bin/busybox (static)
};

inline bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The inputs for `arch`, or nullptr after a WARN (or a FAIL under
// CAIRN_REQUIRE_BOOT_INPUTS=1) naming what is missing.
inline const ArchInputs* ForArch(const std::string& arch) {
  static std::map<std::string, std::optional<ArchInputs>> cache;
  if (auto it = cache.find(arch); it != cache.end()) return it->second ? &*it->second : nullptr;
  std::optional<ArchInputs>& slot = cache[arch];
  const std::string debian_arch = arch == "x86_64" ? "amd64" : "arm64";
  const std::string stub_name = arch == "x86_64" ? "linuxx64.efi.stub" : "linuxaa64.efi.stub";
  // The cloud flavour on amd64: half the size, and what the boot recipes use.
  const std::string kernel_suffix = arch == "x86_64" ? "-cloud-amd64" : "-arm64";

  auto sd = FindDeb(debian_arch, [](const std::string& p) { return p == "systemd-boot-efi"; });
  auto kernel_deb = FindDeb(debian_arch, [&](const std::string& p) {
    // linux-image-6.1.0-57-arm64, not the metapackage linux-image-arm64.
    return p.rfind("linux-image-", 0) == 0 && EndsWith(p, kernel_suffix) && p.size() > 12 &&
           std::isdigit(static_cast<unsigned char>(p[12]));
  });
  auto bb = FindDeb(debian_arch, [](const std::string& p) { return p == "busybox-static"; });
  if (!sd || !kernel_deb || !bb) {
    initramfs::testing_inputs::Missing("the Debian " + debian_arch + " package(s) " +
                                       (sd ? "" : "systemd-boot-efi ") +
                                       (kernel_deb ? "" : "linux-image-*" + kernel_suffix + " ") +
                                       (bb ? "" : "busybox-static ") + "(set CAIRN_TEST_DEB_DIR)");
    return nullptr;
  }
  auto stub = ReadFromDeb(
      *sd, [&](const std::string& p) { return p == "usr/lib/systemd/boot/efi/" + stub_name; });
  auto kernel = ReadFromDeb(*kernel_deb,
                            [](const std::string& p) { return p.rfind("boot/vmlinuz-", 0) == 0; });
  auto busybox = ReadFromDeb(*bb, [](const std::string& p) { return p == "bin/busybox"; });
  if (!stub || !kernel || !busybox) {
    FAIL("a package lacks its file: " << (stub ? "" : stub_name + " ")
                                      << (kernel ? "" : "boot/vmlinuz-* ")
                                      << (busybox ? "" : "bin/busybox"));
    return nullptr;
  }
  slot = ArchInputs{arch, std::move(stub->second), std::move(kernel->second),
                    kernel->first.substr(std::string("boot/vmlinuz-").size()),
                    std::move(busybox->second)};
  return &*slot;
}

}  // namespace cairn::uki::testing_inputs
