// Kernel checks and `uname -r` detection, from the boot headers the kernel
// documents: Documentation/x86/boot.rst (the setup header at 0x1f1, "HdrS"
// at 0x202) and Documentation/arm64/booting.rst (the Image header, magic
// "ARM\x64" at 0x38).
#include "kernel.h"

#include <fmt/format.h>

#include <cctype>

#include "cairn/uki/pe.h"
#include "cairn/uki/uki.h"

namespace cairn::uki {
namespace {

constexpr size_t kX86HeaderMagic = 0x202;         // "HdrS"
constexpr size_t kX86Version = 0x206;             // boot protocol version, u16
constexpr size_t kX86KernelVersion = 0x20e;       // pointer to the version string, minus 0x200
constexpr size_t kX86Relocatable = 0x234;         // relocatable_kernel, u8
constexpr unsigned kX86HandoverProtocol = 0x20b;  // 2.11: handover_offset exists
constexpr size_t kArm64Magic = 0x38;              // "ARM\x64"

unsigned Le16(std::string_view b, size_t at) {
  return static_cast<unsigned char>(b[at]) |
         static_cast<unsigned>(static_cast<unsigned char>(b[at + 1])) << 8;
}

// A version token as ukify accepts it: starts with a digit, no spaces or controls.
std::optional<std::string> VersionToken(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && std::isgraph(static_cast<unsigned char>(text[end]))) ++end;
  if (end == 0 || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  return std::string(text.substr(0, end));
}

Error Unsuitable(std::string message) { return Error(Code::kConfig, std::move(message)); }

}  // namespace

namespace internal {

Status CheckKernel(std::string_view kernel, std::string_view arch) {
  if (kernel.size() >= 2 && static_cast<unsigned char>(kernel[0]) == 0x1f &&
      static_cast<unsigned char>(kernel[1]) == 0x8b)
    return Unsuitable("kernel is gzip-compressed (expected an EFI PE image the stub can start)")
        .Hint(
            "give the uncompressed kernel (an arm64 'Image'; Debian's linux-image-*-arm64 "
            "ships it uncompressed as /boot/vmlinuz-*)");
  auto pe = ParsePeHeaders(kernel);
  if (!pe.ok())
    return Unsuitable(
        fmt::format("kernel is not an EFI executable ({}); a kernel built with "
                    "CONFIG_EFI_STUB is needed",
                    pe.error().message()));
  const uint16_t want = arch == "aarch64" ? kMachineArm64 : kMachineX64;
  if (pe->machine != want)
    return Unsuitable(
        fmt::format("kernel is built for {} (expected {})", MachineName(pe->machine), arch));
  if (arch == "aarch64") {
    if (kernel.size() < kArm64Magic + 4 || kernel.substr(kArm64Magic, 4) != "ARM\x64")
      return Unsuitable("kernel has no arm64 Image header (magic 'ARM\\x64' at 0x38)");
    return {};
  }
  if (kernel.size() < kX86Relocatable + 1 || kernel.substr(kX86HeaderMagic, 4) != "HdrS")
    return Unsuitable("kernel is not an x86 bzImage (no 'HdrS' setup header at 0x202)");
  const unsigned version = Le16(kernel, kX86Version);
  if (version < kX86HandoverProtocol)
    return Unsuitable(
        fmt::format("kernel speaks x86 boot protocol {}.{:02} (expected 2.11 or later "
                    "for the EFI handover entry that systemd-stub uses)",
                    version >> 8, version & 0xff));
  if (kernel[kX86Relocatable] == 0)
    return Unsuitable(
        "kernel is not relocatable (CONFIG_RELOCATABLE is off), which systemd-stub "
        "needs to place it");
  return {};
}

}  // namespace internal

std::optional<std::string> KernelUname(std::string_view kernel, std::string_view arch) {
  if (arch == "x86_64") {
    if (kernel.size() < kX86KernelVersion + 2 || kernel.substr(kX86HeaderMagic, 4) != "HdrS")
      return std::nullopt;
    const size_t at = 0x200 + size_t{Le16(kernel, kX86KernelVersion)};
    if (at >= kernel.size()) return std::nullopt;
    std::string_view text = kernel.substr(at, 128);
    return VersionToken(text.substr(0, text.find('\0')));
  }
  constexpr std::string_view kBanner = "Linux version ";
  size_t at = kernel.find(kBanner);
  if (at == std::string_view::npos) return std::nullopt;
  return VersionToken(kernel.substr(at + kBanner.size(), 128));
}

}  // namespace cairn::uki
