// PE/COFF headers of an EFI executable (the systemd stub a UKI is built on,
// and the UKI itself), read from its bytes without any tool: DOS header ->
// "PE\0\0" signature at e_lfanew -> COFF file header -> optional header
// (PE32 or PE32+) -> section table. Only what building and checking a UKI
// needs is exposed; section data is not read.
//
//   CAIRN_ASSIGN_OR_RETURN(uki::PeHeaders pe, uki::ParsePeHeaders(stub_bytes));
//   uint64_t next = pe.EndOfSections();   // RVA just past the last section
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

namespace cairn::uki {

/// IMAGE_FILE_MACHINE_* values of the architectures cairn builds UKIs for.
inline constexpr uint16_t kMachineX64 = 0x8664;
inline constexpr uint16_t kMachineArm64 = 0xaa64;

/// One entry of the section table.
struct PeSection {
  std::string name;              ///< up to 8 characters, trailing NULs removed
  uint32_t virtual_address = 0;  ///< RVA (relative to the image base)
  uint32_t virtual_size = 0;     ///< bytes in memory
  uint32_t raw_size = 0;         ///< SizeOfRawData: bytes in the file (file-aligned)
  uint32_t raw_offset = 0;       ///< PointerToRawData
  uint32_t characteristics = 0;  ///< IMAGE_SCN_* flags

  /// RVA just past the section in memory (its VirtualSize, or its raw size
  /// when a linker left VirtualSize at 0).
  uint64_t End() const {
    return uint64_t{virtual_address} + (virtual_size != 0 ? virtual_size : raw_size);
  }
};

/// The headers of a PE image.
struct PeHeaders {
  uint16_t machine = 0;             ///< COFF Machine (kMachineX64, kMachineArm64, ...)
  uint32_t timestamp = 0;           ///< COFF TimeDateStamp
  bool pe32_plus = false;           ///< optional header magic 0x20b (64-bit) rather than 0x10b
  uint64_t image_base = 0;          ///< ImageBase: VMA = image_base + RVA
  uint32_t section_alignment = 0;   ///< SectionAlignment (a power of two)
  uint32_t file_alignment = 0;      ///< FileAlignment
  uint32_t size_of_image = 0;       ///< SizeOfImage
  uint32_t size_of_headers = 0;     ///< SizeOfHeaders
  uint32_t checksum = 0;            ///< CheckSum
  uint16_t subsystem = 0;           ///< 10 = EFI application
  std::vector<PeSection> sections;  ///< in section-table order

  /// The section called `name`, or nullptr.
  const PeSection* Find(std::string_view name) const;
  /// The first RVA not used by any section (the largest PeSection::End()).
  uint64_t EndOfSections() const;
};

/// Reads the headers of the PE image `bytes`. Errors (kConfig, saying what
/// was expected and where): no "MZ" DOS header, e_lfanew outside the file,
/// no "PE\0\0" signature there, an optional header that is neither PE32 nor
/// PE32+ or is cut short, a SectionAlignment that is not a power of two, a
/// section table past the end of the file.
Result<PeHeaders> ParsePeHeaders(std::string_view bytes);

/// cairn's name of a COFF machine, "x86_64" or "aarch64", else its number as
/// "machine 0x14c" (for messages).
std::string MachineName(uint16_t machine);

}  // namespace cairn::uki
