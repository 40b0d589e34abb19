// The ld.so.cache file format (glibc sysdeps/generic/dl-cache.h, elf/cache.c,
// elf/stringtable.c), new format only:
//
//   offset 0   "glibc-ld.so.cache" "1.1"         20 bytes, no NUL
//          20  u32 nlibs, u32 len_strings
//          28  u8 flags (2 little endian, 3 big endian), 3 bytes padding
//          32  u32 extension_offset, 3 x u32 unused            (header: 48 bytes)
//          48  nlibs x { i32 flags, u32 key, u32 value, u32 osversion, u64 hwcap }
//              string table (key/value are offsets from the start of the file)
//              zero padding to a multiple of 4
//              extension directory { u32 magic, u32 count, count x {tag, flags,
//              offset, size} } followed by the generator string (no NUL)
//
// The string table is glibc's: unique strings sorted by their reversed bytes,
// descending, so that a string which is a suffix of the previous one shares
// its bytes (tail merging).
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "cairn/effects/ldconfig.h"

namespace cairn::effects {
namespace {

constexpr size_t kHeaderSize = 48;
constexpr size_t kEntrySize = 24;
constexpr uint32_t kExtensionMagic = static_cast<uint32_t>(-358342284);
constexpr uint32_t kExtensionTagGenerator = 0;

class Writer {
 public:
  explicit Writer(ByteOrder order) : big_(order == ByteOrder::kBig) {}
  void Bytes(std::string_view s) { out_.append(s); }
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Put(v, 4); }
  void U64(uint64_t v) { Put(v, 8); }
  void PadTo(size_t size) {
    if (out_.size() < size) out_.append(size - out_.size(), '\0');
  }
  std::string& str() { return out_; }

 private:
  void Put(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      int shift = 8 * (big_ ? bytes - 1 - i : i);
      out_.push_back(static_cast<char>((v >> shift) & 0xff));
    }
  }
  bool big_;
  std::string out_;
};

// glibc's finalize_compare: reversed strings in descending order, a longer
// string before any string that is its suffix.
bool TailOrder(const std::string& l, const std::string& r) {
  size_t n = std::min(l.size(), r.size());
  for (size_t i = 1; i <= n; ++i) {
    auto lc = static_cast<unsigned char>(l[l.size() - i]);
    auto rc = static_cast<unsigned char>(r[r.size() - i]);
    if (lc != rc) return lc > rc;
  }
  return l.size() > r.size();
}

struct StringTable {
  std::map<std::string, uint32_t> offsets;
  std::string bytes;
};

StringTable BuildStringTable(const std::vector<LdCacheEntry>& entries) {
  StringTable table;
  for (const LdCacheEntry& e : entries) {
    table.offsets.emplace(e.soname, 0);
    table.offsets.emplace(e.path, 0);
  }
  std::vector<const std::string*> order;
  order.reserve(table.offsets.size());
  for (const auto& [s, unused] : table.offsets) order.push_back(&s);
  std::sort(order.begin(), order.end(),
            [](const std::string* a, const std::string* b) { return TailOrder(*a, *b); });
  uint32_t next = 0;
  const std::string* previous = nullptr;
  uint32_t previous_offset = 0;
  for (const std::string* s : order) {
    uint32_t offset;
    if (previous && previous->size() >= s->size() &&
        previous->compare(previous->size() - s->size(), s->size(), *s) == 0) {
      offset = previous_offset + static_cast<uint32_t>(previous->size() - s->size());
    } else {
      offset = next;
      table.bytes.append(*s);
      table.bytes.push_back('\0');
      next = static_cast<uint32_t>(table.bytes.size());
    }
    table.offsets[*s] = offset;
    previous = s;
    previous_offset = offset;
  }
  return table;
}

}  // namespace

int LdCacheLibCmp(std::string_view a, std::string_view b) {
  // glibc compares plain chars, which are signed on x86; keep that for bytes >= 0x80.
  auto at = [](std::string_view s, size_t i) -> int {
    return i < s.size() ? static_cast<signed char>(s[i]) : 0;
  };
  auto is_digit = [](int c) { return c >= '0' && c <= '9'; };
  size_t i = 0;
  size_t j = 0;
  while (at(a, i) != 0) {
    int c1 = at(a, i);
    int c2 = at(b, j);
    if (is_digit(c1)) {
      if (!is_digit(c2)) return 1;
      long long v1 = 0;
      long long v2 = 0;
      while (is_digit(at(a, i))) v1 = v1 * 10 + (at(a, i++) - '0');
      while (is_digit(at(b, j))) v2 = v2 * 10 + (at(b, j++) - '0');
      if (v1 != v2) return v1 < v2 ? -1 : 1;
    } else if (is_digit(c2)) {
      return -1;
    } else if (c1 != c2) {
      return c1 - c2;
    } else {
      ++i;
      ++j;
    }
  }
  return at(a, i) - at(b, j);
}

void SortLdCacheEntries(std::vector<LdCacheEntry>& entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const LdCacheEntry& x, const LdCacheEntry& y) {
                     int c = LdCacheLibCmp(x.soname, y.soname);
                     if (c != 0) return c > 0;
                     return x.flags > y.flags;
                   });
}

std::string EncodeLdSoCache(const std::vector<LdCacheEntry>& entries, ByteOrder order,
                            std::string_view generator) {
  StringTable strings = BuildStringTable(entries);
  const uint32_t nlibs = static_cast<uint32_t>(entries.size());
  const uint32_t strings_base = static_cast<uint32_t>(kHeaderSize + kEntrySize * nlibs);
  const uint32_t strings_size = static_cast<uint32_t>(strings.bytes.size());
  const uint32_t extension_offset = (strings_base + strings_size + 3) & ~uint32_t{3};

  Writer w(order);
  w.Bytes("glibc-ld.so.cache1.1");
  w.U32(nlibs);
  w.U32(strings_size);
  w.U8(order == ByteOrder::kBig ? 3 : 2);
  w.PadTo(32);
  w.U32(extension_offset);
  w.PadTo(kHeaderSize);
  for (const LdCacheEntry& e : entries) {
    w.U32(static_cast<uint32_t>(e.flags));
    w.U32(strings_base + strings.offsets.at(e.soname));
    w.U32(strings_base + strings.offsets.at(e.path));
    w.U32(0);  // osversion, unused since glibc 2.33
    w.U64(0);  // hwcap: no glibc-hwcaps entries
  }
  w.Bytes(strings.bytes);
  w.PadTo(extension_offset);
  // Only the generator section: glibc drops the hwcaps section when no
  // glibc-hwcaps subdirectory is used.
  const uint32_t directory_size = 8 + 16;
  w.U32(kExtensionMagic);
  w.U32(1);
  w.U32(kExtensionTagGenerator);
  w.U32(0);
  w.U32(extension_offset + directory_size);
  w.U32(static_cast<uint32_t>(generator.size()));
  w.Bytes(generator);
  return std::move(w.str());
}

}  // namespace cairn::effects
