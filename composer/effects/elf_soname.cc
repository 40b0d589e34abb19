// ELF parsing for ldconfig: header, program headers, dynamic segment, SONAME.
//
// Every offset read from the file is checked against the file size before it
// is used (glibc's check_ptr), so a truncated or hostile file is skipped, not
// trusted. Reads are bounded: the dynamic segment is capped, and the SONAME
// string is read in small chunks until its NUL.
#include "effects/elf_soname.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace cairn::effects::internal {
namespace {

constexpr uint16_t kEtDyn = 3;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtDynamic = 2;
constexpr int64_t kDtNull = 0;
constexpr int64_t kDtStrtab = 5;
constexpr int64_t kDtSoname = 14;
// glibc's readlib.c skips files smaller than struct exec or the ELF header.
constexpr uint64_t kMinFileSize = 64;
// Real dynamic segments are a few hundred bytes; this only bounds hostile input.
constexpr uint64_t kMaxDynamicBytes = 1 << 20;
constexpr size_t kMaxSonameBytes = 4096;

// Decodes integers in the file's byte order.
class Decoder {
 public:
  explicit Decoder(bool big_endian) : big_(big_endian) {}
  uint64_t Get(const char* p, int bytes) const {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      uint8_t b = static_cast<uint8_t>(p[big_ ? i : bytes - 1 - i]);
      v = (v << 8) | b;
    }
    return v;
  }
  uint16_t U16(const char* p) const { return static_cast<uint16_t>(Get(p, 2)); }
  uint32_t U32(const char* p) const { return static_cast<uint32_t>(Get(p, 4)); }
  uint64_t U64(const char* p) const { return Get(p, 8); }

 private:
  bool big_;
};

struct Segment {
  uint32_t type = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t filesz = 0;
};

ElfLibrary Skip(ElfLibrary lib, std::string reason) {
  lib.usable = false;
  lib.skip_reason = std::move(reason);
  return lib;
}

Result<std::string> ReadRange(const rootfs::ContentStore& store, const rootfs::Blob& blob,
                              uint64_t offset, uint64_t size) {
  std::string out(size, '\0');
  CAIRN_ASSIGN_OR_RETURN(size_t got, store.ReadAt(blob, offset, out.data(), out.size()));
  out.resize(got);
  return out;
}

}  // namespace

Result<ElfLibrary> ReadElfSoname(const rootfs::ContentStore& store, const rootfs::Blob& blob) {
  ElfLibrary lib;
  const uint64_t file_size = blob.size;
  if (file_size < kMinFileSize) return Skip(lib, "file is too small to be a shared object");

  CAIRN_ASSIGN_OR_RETURN(std::string ehdr, ReadRange(store, blob, 0, 64));
  if (std::memcmp(ehdr.data(), "\x7f" "ELF", 4) != 0) return Skip(lib, "not an ELF file");
  const uint8_t ei_class = static_cast<uint8_t>(ehdr[4]);
  const uint8_t ei_data = static_cast<uint8_t>(ehdr[5]);
  if (ei_class != 1 && ei_class != 2) return Skip(lib, "unknown ELF class");
  if (ei_data != 1 && ei_data != 2) return Skip(lib, "unknown ELF byte order");
  lib.is64 = ei_class == 2;
  lib.big_endian = ei_data == 2;
  const Decoder d(lib.big_endian);
  const char* h = ehdr.data();

  const uint16_t e_type = d.U16(h + 16);
  lib.machine = d.U16(h + 18);
  if (e_type != kEtDyn) return Skip(lib, fmt::format("not a shared object (ELF type {})", e_type));
  uint64_t phoff;
  uint16_t phnum;
  if (lib.is64) {
    phoff = d.U64(h + 32);
    lib.e_flags = d.U32(h + 48);
    phnum = d.U16(h + 56);
  } else {
    phoff = d.U32(h + 28);
    lib.e_flags = d.U32(h + 36);
    phnum = d.U16(h + 44);
  }
  // glibc steps through program headers by sizeof(ElfW(Phdr)), not e_phentsize.
  const uint64_t phsize = lib.is64 ? 56 : 32;
  const uint64_t phbytes = phsize * phnum;
  if (phoff > file_size || phbytes > file_size - phoff)
    return Skip(lib, "program headers lie outside the file");

  CAIRN_ASSIGN_OR_RETURN(std::string phdrs, ReadRange(store, blob, phoff, phbytes));
  std::vector<Segment> segments;
  segments.reserve(phnum);
  uint64_t dynamic_offset = 0;
  uint64_t dynamic_size = 0;
  for (uint16_t i = 0; i < phnum; ++i) {
    const char* p = phdrs.data() + i * phsize;
    Segment s;
    s.type = d.U32(p);
    if (lib.is64) {
      s.offset = d.U64(p + 8);
      s.vaddr = d.U64(p + 16);
      s.filesz = d.U64(p + 32);
    } else {
      s.offset = d.U32(p + 4);
      s.vaddr = d.U32(p + 8);
      s.filesz = d.U32(p + 16);
    }
    // Like glibc, a later PT_DYNAMIC replaces an earlier one.
    if (s.type == kPtDynamic) {
      dynamic_offset = s.offset;
      dynamic_size = s.filesz;
    }
    segments.push_back(s);
  }
  if (dynamic_size == 0) return Skip(lib, "no dynamic segment");
  if (dynamic_offset >= file_size) return Skip(lib, "dynamic segment lies outside the file");

  const uint64_t dyn_bytes =
      std::min({dynamic_size, file_size - dynamic_offset, kMaxDynamicBytes});
  CAIRN_ASSIGN_OR_RETURN(std::string dyn, ReadRange(store, blob, dynamic_offset, dyn_bytes));
  const uint64_t dyn_entry = lib.is64 ? 16 : 8;
  const uint64_t dyn_count = dyn.size() / dyn_entry;
  auto tag_at = [&](uint64_t i) -> int64_t {
    const char* p = dyn.data() + i * dyn_entry;
    return lib.is64 ? static_cast<int64_t>(d.U64(p)) : static_cast<int32_t>(d.U32(p));
  };
  auto val_at = [&](uint64_t i) -> uint64_t {
    const char* p = dyn.data() + i * dyn_entry;
    return lib.is64 ? d.U64(p + 8) : d.U32(p + 4);
  };

  bool have_strtab = false;
  uint64_t strtab_offset = 0;
  for (uint64_t i = 0; i < dyn_count && tag_at(i) != kDtNull; ++i) {
    if (tag_at(i) != kDtStrtab) continue;
    const uint64_t addr = val_at(i);
    // Map the string table's address to a file offset through the PT_LOAD
    // segment containing it; glibc falls back to 0 ("very strange").
    uint64_t loadoff = 0;
    for (const Segment& s : segments) {
      if (s.type == kPtLoad && addr >= s.vaddr && addr - s.vaddr < s.filesz) {
        loadoff = s.vaddr - s.offset;
        break;
      }
    }
    strtab_offset = addr - loadoff;
    have_strtab = true;
    break;
  }
  if (!have_strtab) return Skip(lib, "no dynamic string table");
  if (strtab_offset > file_size) return Skip(lib, "dynamic string table lies outside the file");

  for (uint64_t i = 0; i < dyn_count && tag_at(i) != kDtNull; ++i) {
    if (tag_at(i) != kDtSoname) continue;
    const uint64_t name_offset = strtab_offset + val_at(i);
    if (name_offset < strtab_offset || name_offset >= file_size)
      return Skip(lib, "DT_SONAME lies outside the file");
    std::string name;
    uint64_t at = name_offset;
    while (true) {
      char chunk[256];
      CAIRN_ASSIGN_OR_RETURN(size_t got, store.ReadAt(blob, at, chunk, sizeof(chunk)));
      if (got == 0) return Skip(lib, "DT_SONAME is not terminated");
      const char* nul = static_cast<const char*>(std::memchr(chunk, '\0', got));
      name.append(chunk, nul ? static_cast<size_t>(nul - chunk) : got);
      if (nul) break;
      if (name.size() > kMaxSonameBytes) return Skip(lib, "DT_SONAME is too long");
      at += got;
    }
    lib.soname = std::move(name);
    break;
  }
  lib.usable = true;
  return lib;
}

}  // namespace cairn::effects::internal
