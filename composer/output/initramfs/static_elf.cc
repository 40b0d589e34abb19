#include "static_elf.h"

#include <cstdint>

#include <fmt/format.h>

namespace cairn::initramfs::internal {
namespace {

constexpr uint16_t kEtExec = 2;
constexpr uint16_t kEtDyn = 3;
constexpr uint32_t kPtInterp = 3;

// Reads an unsigned field of `size` bytes at `offset`, in the file's byte order.
bool ReadField(std::string_view b, uint64_t offset, int size, bool big_endian, uint64_t* out) {
  if (offset > b.size() || b.size() - offset < static_cast<uint64_t>(size)) return false;
  uint64_t v = 0;
  for (int i = 0; i < size; ++i) {
    uint64_t byte = static_cast<unsigned char>(b[offset + (big_endian ? i : size - 1 - i)]);
    v = (v << 8) | byte;
  }
  *out = v;
  return true;
}

}  // namespace

Status CheckStaticElf(std::string_view b, std::string_view what) {
  if (b.size() < 52 || b.substr(0, 4) != "\x7f" "ELF")
    return Error(Code::kConfig, fmt::format("'{}' is not an ELF executable", what));
  const bool is64 = b[4] == 2;
  const bool big = b[5] == 2;
  uint64_t type = 0, phoff = 0, phentsize = 0, phnum = 0;
  bool ok = ReadField(b, 16, 2, big, &type) &&
            ReadField(b, is64 ? 32 : 28, is64 ? 8 : 4, big, &phoff) &&
            ReadField(b, is64 ? 54 : 42, 2, big, &phentsize) &&
            ReadField(b, is64 ? 56 : 44, 2, big, &phnum);
  if (!ok || (type != kEtExec && type != kEtDyn))
    return Error(Code::kConfig, fmt::format("'{}' is an ELF file but not an executable", what));
  for (uint64_t i = 0; i < phnum; ++i) {
    uint64_t ph = phoff + i * phentsize;
    uint64_t p_type = 0;
    if (!ReadField(b, ph, 4, big, &p_type))
      return Error(Code::kConfig, fmt::format("'{}' has truncated ELF program headers", what));
    if (p_type != kPtInterp) continue;
    uint64_t off = 0, size = 0;
    std::string interp = "?";
    if (ReadField(b, ph + (is64 ? 8 : 4), is64 ? 8 : 4, big, &off) &&
        ReadField(b, ph + (is64 ? 32 : 16), is64 ? 8 : 4, big, &size) && off < b.size()) {
      interp = std::string(b.substr(off, size));
      while (!interp.empty() && interp.back() == '\0') interp.pop_back();
    }
    return Error(Code::kConfig,
                 fmt::format("'{}' is dynamically linked (it needs '{}'), but an initramfs "
                             "has no shared libraries",
                             what, interp))
        .Hint("use a static busybox, e.g. Debian's 'busybox-static' package");
  }
  return {};
}

}  // namespace cairn::initramfs::internal
