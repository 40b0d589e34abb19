// ReadElfSoname: what ldconfig learns from a shared object, read straight from
// the tree's content spool. Only the ELF header, the program headers, the
// dynamic segment and the DT_SONAME string are read (with pread), never the
// whole file. Both ELF classes and both byte orders are handled.
//
//   CAIRN_ASSIGN_OR_RETURN(ElfLibrary lib, ReadElfSoname(tree.store(), node.content));
//   if (!lib.usable) reporter.Debug(lib.skip_reason);
//
// The checks follow glibc's elf/readlib.c and elf/readelflib.c: only ET_DYN
// files with a PT_DYNAMIC segment and a DT_STRTAB entry count as libraries.
#pragma once

#include <cstdint>
#include <string>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects::internal {

inline constexpr uint16_t kEm386 = 3;
inline constexpr uint16_t kEmArm = 40;
inline constexpr uint16_t kEmX8664 = 62;
inline constexpr uint16_t kEmAarch64 = 183;

struct ElfLibrary {
  /// False when the file is not a shared object ldconfig would index; then
  /// skip_reason says why ("not an ELF file", "no dynamic segment", ...).
  bool usable = false;
  std::string skip_reason;
  bool is64 = false;
  bool big_endian = false;
  uint16_t machine = 0;
  uint32_t e_flags = 0;
  /// DT_SONAME; empty when the object has none.
  std::string soname;
};

/// Reads the ELF metadata of one regular file's content. Errors only for
/// spool I/O failures; malformed or foreign files come back with usable=false.
Result<ElfLibrary> ReadElfSoname(const rootfs::ContentStore& store, const rootfs::Blob& blob);

}  // namespace cairn::effects::internal
