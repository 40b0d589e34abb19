// ParsePeHeaders: the PE/COFF header walk (Microsoft's "PE Format"
// specification), bounds-checked at every step since the bytes come from a
// package and may be anything.
#include "cairn/uki/pe.h"

#include <fmt/format.h>

#include <algorithm>

namespace cairn::uki {
namespace {

constexpr uint32_t kLfanewOffset = 0x3c;  // DOS header field: offset of "PE\0\0"
constexpr uint32_t kCoffHeaderSize = 20;
constexpr uint32_t kSectionHeaderSize = 40;
constexpr uint16_t kMagicPe32 = 0x10b;
constexpr uint16_t kMagicPe32Plus = 0x20b;

// Little-endian reads; the caller has checked the bounds.
uint64_t Le(std::string_view b, uint64_t offset, int size) {
  uint64_t v = 0;
  for (int i = size - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[offset + i]);
  return v;
}

bool Fits(std::string_view b, uint64_t offset, uint64_t size) {
  return offset <= b.size() && b.size() - offset >= size;
}

Error NotPe(std::string message) { return Error(Code::kConfig, std::move(message)); }

}  // namespace

const PeSection* PeHeaders::Find(std::string_view name) const {
  for (const auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

uint64_t PeHeaders::EndOfSections() const {
  uint64_t end = 0;
  for (const auto& s : sections) end = std::max(end, s.End());
  return end;
}

std::string MachineName(uint16_t machine) {
  if (machine == kMachineX64) return "x86_64";
  if (machine == kMachineArm64) return "aarch64";
  return fmt::format("machine {:#x}", machine);
}

Result<PeHeaders> ParsePeHeaders(std::string_view b) {
  if (b.size() < 2 || b.substr(0, 2) != "MZ") {
    std::string start;
    for (size_t i = 0; i < std::min<size_t>(4, b.size()); ++i)
      start += fmt::format("{}{:02x}", i ? " " : "", static_cast<unsigned char>(b[i]));
    return NotPe(b.empty() ? std::string("not a PE file: it is empty (expected an 'MZ' DOS header)")
                           : fmt::format("not a PE file: it starts with {} (expected an 'MZ' DOS "
                                         "header)",
                                         start));
  }
  if (!Fits(b, kLfanewOffset, 4))
    return NotPe(
        fmt::format("not a PE file: {} bytes is too short for a DOS header (expected at "
                    "least 64)",
                    b.size()));
  const uint64_t pe = Le(b, kLfanewOffset, 4);
  if (!Fits(b, pe, 4 + kCoffHeaderSize))
    return NotPe(
        fmt::format("not a PE file: the DOS header points at offset {:#x}, past the end "
                    "of the {}-byte file",
                    pe, b.size()));
  if (b.substr(pe, 4) != std::string_view("PE\0\0", 4))
    return NotPe(
        fmt::format("not a PE file: no 'PE\\0\\0' signature at offset {:#x} (the DOS "
                    "header's e_lfanew)",
                    pe));
  const uint64_t coff = pe + 4;
  PeHeaders h;
  h.machine = static_cast<uint16_t>(Le(b, coff, 2));
  const uint64_t section_count = Le(b, coff + 2, 2);
  h.timestamp = static_cast<uint32_t>(Le(b, coff + 4, 4));
  const uint64_t optional_size = Le(b, coff + 16, 2);

  const uint64_t opt = coff + kCoffHeaderSize;
  if (!Fits(b, opt, 2) || optional_size < 2)
    return NotPe(fmt::format("PE file has no optional header at offset {:#x}", opt));
  const uint16_t magic = static_cast<uint16_t>(Le(b, opt, 2));
  if (magic != kMagicPe32 && magic != kMagicPe32Plus)
    return NotPe(
        fmt::format("PE optional header magic is {:#x} (expected 0x10b for PE32 or 0x20b "
                    "for PE32+)",
                    magic));
  h.pe32_plus = magic == kMagicPe32Plus;
  // The fields up to CheckSum and Subsystem (offset 68): the same offsets
  // in both formats except ImageBase, which is 8 bytes at 24 in PE32+ and 4
  // bytes at 28 in PE32 (where BaseOfData takes 24).
  constexpr uint64_t kNeeded = 70;
  if (optional_size < kNeeded || !Fits(b, opt, kNeeded))
    return NotPe(fmt::format("PE optional header is cut short ({} bytes; expected at least {})",
                             std::min<uint64_t>(optional_size, b.size() - opt), kNeeded));
  h.image_base = h.pe32_plus ? Le(b, opt + 24, 8) : Le(b, opt + 28, 4);
  h.section_alignment = static_cast<uint32_t>(Le(b, opt + 32, 4));
  h.file_alignment = static_cast<uint32_t>(Le(b, opt + 36, 4));
  h.size_of_image = static_cast<uint32_t>(Le(b, opt + 56, 4));
  h.size_of_headers = static_cast<uint32_t>(Le(b, opt + 60, 4));
  h.checksum = static_cast<uint32_t>(Le(b, opt + 64, 4));
  h.subsystem = static_cast<uint16_t>(Le(b, opt + 68, 2));
  if (h.section_alignment == 0 || (h.section_alignment & (h.section_alignment - 1)) != 0)
    return NotPe(
        fmt::format("PE SectionAlignment is {:#x} (expected a power of two)", h.section_alignment));

  const uint64_t table = opt + optional_size;
  if (!Fits(b, table, section_count * kSectionHeaderSize))
    return NotPe(
        fmt::format("PE section table ({} entries at offset {:#x}) runs past the end of "
                    "the {}-byte file",
                    section_count, table, b.size()));
  for (uint64_t i = 0; i < section_count; ++i) {
    const uint64_t s = table + i * kSectionHeaderSize;
    PeSection sec;
    std::string_view name = b.substr(s, 8);
    sec.name = std::string(name.substr(0, std::min(name.find('\0'), name.size())));
    sec.virtual_size = static_cast<uint32_t>(Le(b, s + 8, 4));
    sec.virtual_address = static_cast<uint32_t>(Le(b, s + 12, 4));
    sec.raw_size = static_cast<uint32_t>(Le(b, s + 16, 4));
    sec.raw_offset = static_cast<uint32_t>(Le(b, s + 20, 4));
    sec.characteristics = static_cast<uint32_t>(Le(b, s + 36, 4));
    h.sections.push_back(std::move(sec));
  }
  return h;
}

}  // namespace cairn::uki
