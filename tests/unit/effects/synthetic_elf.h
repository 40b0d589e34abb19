// Tiny synthetic ELF shared objects for the effects tests: an ELF header, a
// PT_LOAD segment mapped at a non-zero address (so the DT_STRTAB address must
// be translated to a file offset), a PT_DYNAMIC segment with DT_STRTAB,
// optionally DT_SONAME, and DT_NULL. Nothing else; enough for ldconfig.
#pragma once

#include <cstdint>
#include <string>

namespace cairn::effects::testing {

struct ElfSpec {
  bool is64 = true;
  bool big_endian = false;
  uint16_t machine = 62;  // EM_X86_64
  uint16_t type = 3;      // ET_DYN
  uint32_t flags = 0;
  std::string soname;     // empty: no DT_SONAME
  bool dynamic = true;    // false: no PT_DYNAMIC
};

inline std::string MakeElf(const ElfSpec& spec) {
  std::string out;
  auto put = [&](uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      int shift = 8 * (spec.big_endian ? bytes - 1 - i : i);
      out.push_back(static_cast<char>((v >> shift) & 0xff));
    }
  };
  const bool w = spec.is64;
  const int addr = w ? 8 : 4;
  const uint64_t ehsize = w ? 64 : 52;
  const uint64_t phentsize = w ? 56 : 32;
  const uint64_t phnum = spec.dynamic ? 2 : 1;
  const uint64_t strtab_off = ehsize + phentsize * phnum;
  const std::string strtab = std::string(1, '\0') + spec.soname + std::string(1, '\0');
  const uint64_t dyn_off = (strtab_off + strtab.size() + 7) & ~uint64_t{7};
  const uint64_t dyn_entsize = w ? 16 : 8;
  const uint64_t dyn_count = spec.soname.empty() ? 2 : 3;
  const uint64_t file_size = dyn_off + dyn_entsize * dyn_count;
  const uint64_t base = 0x10000;  // vaddr of file offset 0

  out.append("\x7f" "ELF", 4);
  out.push_back(static_cast<char>(w ? 2 : 1));
  out.push_back(static_cast<char>(spec.big_endian ? 2 : 1));
  out.push_back(1);  // EV_CURRENT
  out.append(9, '\0');
  put(spec.type, 2);
  put(spec.machine, 2);
  put(1, 4);              // e_version
  put(0, addr);           // e_entry
  put(ehsize, addr);      // e_phoff
  put(0, addr);           // e_shoff
  put(spec.flags, 4);
  put(ehsize, 2);
  put(phentsize, 2);
  put(phnum, 2);
  put(0, 2);  // e_shentsize
  put(0, 2);  // e_shnum
  put(0, 2);  // e_shstrndx

  auto phdr = [&](uint32_t type, uint64_t offset, uint64_t size) {
    if (w) {
      put(type, 4);
      put(6, 4);  // p_flags
      put(offset, 8);
      put(base + offset, 8);
      put(base + offset, 8);
      put(size, 8);
      put(size, 8);
      put(8, 8);
    } else {
      put(type, 4);
      put(offset, 4);
      put(base + offset, 4);
      put(base + offset, 4);
      put(size, 4);
      put(size, 4);
      put(6, 4);
      put(4, 4);
    }
  };
  phdr(1, 0, file_size);  // PT_LOAD
  if (spec.dynamic) phdr(2, dyn_off, dyn_entsize * dyn_count);
  out.append(strtab);
  out.append(dyn_off - out.size(), '\0');
  auto dyn = [&](uint64_t tag, uint64_t val) {
    put(tag, addr);
    put(val, addr);
  };
  dyn(5, base + strtab_off);  // DT_STRTAB
  if (!spec.soname.empty()) dyn(14, 1);  // DT_SONAME
  dyn(0, 0);
  return out;
}

}  // namespace cairn::effects::testing
