// ParsePeHeaders: Debian's real systemd stubs read as binutils reads them,
// small hand-made PE files (PE32 and PE32+), and every malformed layout
// rejected with the exact message.
#include "cairn/uki/pe.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>

#include "cairn/file_util.h"
#include "objdump.h"
#include "support/test_support.h"
#include "uki_inputs.h"

namespace cairn::uki {
namespace {

namespace fs = std::filesystem;
namespace dump = testing_objdump;

void Put(std::string& b, size_t at, uint64_t v, int size) {
  if (b.size() < at + size) b.resize(at + size, '\0');
  for (int i = 0; i < size; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

struct FakeSection {
  std::string name;
  uint32_t va, vsize, raw_size, raw_offset;
};

// A minimal PE image: DOS header with e_lfanew = 0x80, COFF header, an
// optional header of `optional_size` bytes, the section table.
std::string MakePe(bool pe32_plus, const std::vector<FakeSection>& sections,
                   uint16_t machine = kMachineX64) {
  std::string b = "MZ";
  const size_t pe = 0x80;
  Put(b, 0x3c, pe, 4);
  b.resize(pe);
  b += std::string("PE\0\0", 4);
  const size_t coff = pe + 4;
  const uint16_t optional_size = pe32_plus ? 240 : 224;
  Put(b, coff, machine, 2);
  Put(b, coff + 2, sections.size(), 2);
  Put(b, coff + 4, 0x5f5e1000, 4);  // TimeDateStamp
  Put(b, coff + 16, optional_size, 2);
  const size_t opt = coff + 20;
  Put(b, opt, pe32_plus ? 0x20b : 0x10b, 2);
  if (pe32_plus) {
    Put(b, opt + 24, 0x140000000ull, 8);
  } else {
    Put(b, opt + 24, 0x2000, 4);  // BaseOfData, where PE32+ has ImageBase's low half
    Put(b, opt + 28, 0x400000, 4);
  }
  Put(b, opt + 32, 0x1000, 4);  // SectionAlignment
  Put(b, opt + 36, 0x200, 4);   // FileAlignment
  Put(b, opt + 56, 0x5000, 4);  // SizeOfImage
  Put(b, opt + 60, 0x400, 4);   // SizeOfHeaders
  Put(b, opt + 64, 0xabcd, 4);  // CheckSum
  Put(b, opt + 68, 10, 2);      // Subsystem: EFI application
  const size_t table = opt + optional_size;
  b.resize(table);
  for (size_t i = 0; i < sections.size(); ++i) {
    const size_t s = table + i * 40;
    b.resize(s + 40, '\0');
    std::memcpy(&b[s], sections[i].name.data(), std::min<size_t>(8, sections[i].name.size()));
    Put(b, s + 8, sections[i].vsize, 4);
    Put(b, s + 12, sections[i].va, 4);
    Put(b, s + 16, sections[i].raw_size, 4);
    Put(b, s + 20, sections[i].raw_offset, 4);
    Put(b, s + 36, 0x40000040, 4);
  }
  return b;
}

TEST_CASE("ParsePeHeaders reads PE32+ and PE32 headers and the section table", "[uki]") {
  std::string plus = MakePe(
      true, {{".text", 0x1000, 0x1234, 0x1400, 0x400}, {".longname", 0x3000, 0, 0x200, 0x1800}});
  auto h = ParsePeHeaders(plus);
  INFO((h.ok() ? "" : h.error().Render()));
  REQUIRE(h.ok());
  CHECK(h->machine == kMachineX64);
  CHECK(h->pe32_plus);
  CHECK(h->timestamp == 0x5f5e1000);
  CHECK(h->image_base == 0x140000000ull);
  CHECK(h->section_alignment == 0x1000);
  CHECK(h->file_alignment == 0x200);
  CHECK(h->size_of_image == 0x5000);
  CHECK(h->size_of_headers == 0x400);
  CHECK(h->checksum == 0xabcd);
  CHECK(h->subsystem == 10);
  REQUIRE(h->sections.size() == 2);
  CHECK(h->sections[0].name == ".text");
  CHECK(h->sections[0].End() == 0x2234);
  // An 8-character name has no NUL; a VirtualSize of 0 falls back to the raw size.
  CHECK(h->sections[1].name == ".longnam");
  CHECK(h->sections[1].End() == 0x3200);
  CHECK(h->EndOfSections() == 0x3200);
  CHECK(h->Find(".text") == &h->sections[0]);
  CHECK(h->Find(".data") == nullptr);

  auto h32 = ParsePeHeaders(MakePe(false, {{".text", 0x1000, 0x10, 0x200, 0x400}}, 0x14c));
  REQUIRE(h32.ok());
  CHECK_FALSE(h32->pe32_plus);
  CHECK(h32->image_base == 0x400000);  // not BaseOfData
  CHECK(MachineName(h32->machine) == "machine 0x14c");
  CHECK(MachineName(kMachineArm64) == "aarch64");
}

TEST_CASE("ParsePeHeaders rejects what is not a PE image, saying what it expected", "[uki]") {
  const std::string good = MakePe(true, {{".text", 0x1000, 0x10, 0x200, 0x400}});
  auto message = [](std::string_view bytes) {
    auto r = ParsePeHeaders(bytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Code::kConfig);
    return r.error().Render();
  };
  CHECK(message("") == "not a PE file: it is empty (expected an 'MZ' DOS header)");
  CHECK(message("\x7f"
                "ELF\x02\x01") ==
        "not a PE file: it starts with 7f 45 4c 46 (expected an 'MZ' DOS header)");
  CHECK(message("MZ\x90") ==
        "not a PE file: 3 bytes is too short for a DOS header (expected at least 64)");

  std::string far = good;
  Put(far, 0x3c, 0x10000, 4);
  CHECK(message(far) == fmt::format("not a PE file: the DOS header points at offset "
                                    "0x10000, past the end of the {}-byte file",
                                    far.size()));
  std::string unsigned_ = good;
  unsigned_[0x81] = 'X';
  CHECK(message(unsigned_) ==
        "not a PE file: no 'PE\\0\\0' signature at offset 0x80 (the DOS header's e_lfanew)");
  std::string rom = good;
  Put(rom, 0x98, 0x107, 2);
  CHECK(message(rom) ==
        "PE optional header magic is 0x107 (expected 0x10b for PE32 or 0x20b for PE32+)");
  std::string short_opt = good;
  Put(short_opt, 0x84 + 16, 40, 2);
  CHECK(message(short_opt) == "PE optional header is cut short (40 bytes; expected at least 70)");
  std::string odd_align = good;
  Put(odd_align, 0x98 + 32, 0x300, 4);
  CHECK(message(odd_align) == "PE SectionAlignment is 0x300 (expected a power of two)");
  std::string cut = good.substr(0, good.size() - 1);
  CHECK(message(cut) == fmt::format("PE section table (1 entries at offset 0x188) runs past "
                                    "the end of the {}-byte file",
                                    cut.size()));
}

TEST_CASE("ParsePeHeaders reads Debian's systemd stubs as binutils does", "[uki]") {
  for (const std::string arch : {"x86_64", "aarch64"}) {
    INFO(arch);
    const auto start = std::chrono::steady_clock::now();
    const auto* in = testing_inputs::ForArch(arch);
    if (!in) continue;
    if (!dump::HaveBinutils(arch)) continue;
    testing::ScratchDir dir("uki-pe-" + arch);
    fs::path stub = dir.path() / "stub.efi";
    REQUIRE(WriteFileAtomic(stub, in->stub).ok());

    auto h = ParsePeHeaders(in->stub);
    INFO((h.ok() ? "" : h.error().Render()));
    REQUIRE(h.ok());
    CHECK(h->machine == (arch == "x86_64" ? kMachineX64 : kMachineArm64));
    CHECK(h->pe32_plus);
    CHECK(h->subsystem == 10);

    auto headers = dump::Headers(arch, stub);
    CHECK(h->section_alignment == dump::Hex(headers, "SectionAlignment"));
    CHECK(h->file_alignment == dump::Hex(headers, "FileAlignment"));
    CHECK(h->image_base == dump::Hex(headers, "ImageBase"));
    CHECK(h->size_of_image == dump::Hex(headers, "SizeOfImage"));
    CHECK(h->size_of_headers == dump::Hex(headers, "SizeOfHeaders"));
    CHECK(h->checksum == dump::Hex(headers, "CheckSum"));
    CHECK(h->timestamp == 0);
    CHECK(headers["Time/Date"] == "Thu Jan  1 00:00:00 1970");

    auto sections = dump::Sections(arch, stub);
    REQUIRE(!sections.empty());
    // objdump -h leaves out sections without contents; every one it shows is ours too.
    for (const auto& s : sections) {
      INFO(s.name);
      const PeSection* mine = h->Find(s.name);
      REQUIRE(mine != nullptr);
      CHECK(h->image_base + mine->virtual_address == s.vma);
      CHECK(mine->virtual_size == s.size);
    }
    uint64_t end = 0;
    for (const auto& s : sections) end = std::max(end, s.vma + s.size);
    CHECK(h->image_base + h->EndOfSections() == end);
    WARN(fmt::format(
        "timing: {} stub headers vs objdump: {:.2f} s", arch,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
  }
}

}  // namespace
}  // namespace cairn::uki
