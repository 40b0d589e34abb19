// Parsers for the boot configurations InspectDisk reports (private to
// output/disk): pure functions from a file's text to BootEntry values, so they
// are tested without libguestfs.
//
//   auto entry = internal::ParseLoaderEntry(text, "/loader/entries/cairn.conf");
//   auto entries = internal::ParseGrubConfig(text, "/boot/grub/grub.cfg");
//
// They are lenient, as the boot loaders are: unknown keys and lines are
// ignored, so a config written by any tool yields what it can.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/disk/inspect.h"

namespace cairn::disk::internal {

/// A systemd-boot (Boot Loader Specification type #1) entry: "key value"
/// lines; `initrd` may repeat, repeated `options` are joined with a space.
BootEntry ParseLoaderEntry(std::string_view text, std::string_view file);

/// Every `menuentry` of a grub.cfg, submenus included, with the first
/// `linux`/`linuxefi`/`linux16` line (kernel, then its arguments as written),
/// `initrd` arguments and `devicetree`.
std::vector<BootEntry> ParseGrubConfig(std::string_view text, std::string_view file);

/// Every `label` of an extlinux.conf (keywords case-insensitive): kernel (or
/// linux), initrd (comma-separated list), append, fdt (or devicetree), fdtdir.
std::vector<BootEntry> ParseExtlinuxConfig(std::string_view text, std::string_view file);

/// What the PE headers at the start of a file say.
struct PeInfo {
  std::string arch;                   ///< see EfiBinary::arch
  std::vector<std::string> sections;  ///< names in table order
};

/// Reads the DOS and PE headers and the section table from `head` (the first
/// bytes of a file; 64 KiB is plenty). nullopt when it is not a PE image or
/// the section table does not fit in `head`.
std::optional<PeInfo> ParsePeHeaders(std::string_view head);

}  // namespace cairn::disk::internal
