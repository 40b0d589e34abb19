#include <catch2/catch.hpp>

#include <fstream>

#include "cairn/effects/ldconfig.h"
#include "support/test_support.h"

namespace cairn::effects {
namespace {

uint32_t Le32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}

uint32_t Be32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3]));
}

std::string CStr(const std::string& b, size_t at) { return std::string(b.c_str() + at); }

TEST_CASE("LdCacheLibCmp compares digit runs numerically like _dl_cache_libcmp",
          "[effects][ldconfig]") {
  CHECK(LdCacheLibCmp("libfoo.so.10", "libfoo.so.9") > 0);
  CHECK(LdCacheLibCmp("libfoo.so.9", "libfoo.so.10") < 0);
  CHECK(LdCacheLibCmp("libz.so.1", "libz.so.1") == 0);
  CHECK(LdCacheLibCmp("libz.so.01", "libz.so.1") == 0);
  CHECK(LdCacheLibCmp("libz.so.1", "libz.so") > 0);
  // A digit sorts after any non-digit, whatever its ASCII value.
  CHECK(LdCacheLibCmp("lib2", "libz") > 0);
  CHECK(LdCacheLibCmp("libz", "lib2") < 0);
  CHECK(LdCacheLibCmp("libc.so.6", "libcrypt.so.1") < 0);
  CHECK(LdCacheLibCmp("", "a") < 0);
}

TEST_CASE("SortLdCacheEntries orders by descending soname, then flags, stably",
          "[effects][ldconfig]") {
  std::vector<LdCacheEntry> entries = {
      {"libc.so.6", "/lib/libc.so.6", 0x303},
      {"libz.so.1", "/usr/local/lib/libz.so.1", 0x303},
      {"libfoo.so.9", "/lib/libfoo.so.9", 0x303},
      {"libz.so.1", "/lib/libz.so.1", 0x303},
      {"libfoo.so.10", "/lib/libfoo.so.10", 0x303},
      {"libc.so.6", "/lib32/libc.so.6", 0x003},
      {"libc.so.6", "/libx32/libc.so.6", 0x803},
  };
  SortLdCacheEntries(entries);
  std::vector<std::string> paths;
  for (const auto& e : entries) paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{"/usr/local/lib/libz.so.1", "/lib/libz.so.1",
                                          "/lib/libfoo.so.10", "/lib/libfoo.so.9",
                                          "/libx32/libc.so.6", "/lib/libc.so.6",
                                          "/lib32/libc.so.6"});
}

TEST_CASE("EncodeLdSoCache lays out header, entries, tail-merged strings and extensions",
          "[effects][ldconfig]") {
  std::vector<LdCacheEntry> entries = {{"libz.so.1", "/lib/libz.so.1", 0x303},
                                       {"libc.so.6", "/lib/libc.so.6", 0x303}};
  std::string b = EncodeLdSoCache(entries, ByteOrder::kLittle, "cairn");
  REQUIRE(b.size() == 157);
  CHECK(b.substr(0, 20) == "glibc-ld.so.cache1.1");
  CHECK(Le32(b, 20) == 2);   // nlibs
  CHECK(Le32(b, 24) == 30);  // len_strings: "libz.so.1" and "libc.so.6" share their paths' bytes
  CHECK(b[28] == 2);         // little endian
  CHECK(b.substr(29, 3) == std::string(3, '\0'));
  CHECK(Le32(b, 32) == 128);  // extension directory, 4-aligned after the strings
  CHECK(b.substr(36, 12) == std::string(12, '\0'));
  // Entry 0: libz.so.1 -> /lib/libz.so.1 (strings start at 48 + 2 * 24 = 96).
  CHECK(Le32(b, 48) == 0x303);
  CHECK(Le32(b, 52) == 96 + 20);
  CHECK(Le32(b, 56) == 96 + 15);
  CHECK(b.substr(60, 12) == std::string(12, '\0'));
  CHECK(CStr(b, Le32(b, 52)) == "libz.so.1");
  CHECK(CStr(b, Le32(b, 56)) == "/lib/libz.so.1");
  CHECK(Le32(b, 72) == 0x303);
  CHECK(CStr(b, Le32(b, 76)) == "libc.so.6");
  CHECK(CStr(b, Le32(b, 80)) == "/lib/libc.so.6");
  CHECK(b.substr(96, 30) == std::string("/lib/libc.so.6\0/lib/libz.so.1\0", 30));
  CHECK(b.substr(126, 2) == std::string(2, '\0'));
  CHECK(Le32(b, 128) == 0xeaa42174);  // cache_extension_magic, (uint32_t) -358342284
  CHECK(Le32(b, 132) == 1);
  CHECK(Le32(b, 136) == 0);    // tag: generator
  CHECK(Le32(b, 140) == 0);    // flags
  CHECK(Le32(b, 144) == 152);  // offset
  CHECK(Le32(b, 148) == 5);    // size
  CHECK(b.substr(152) == "cairn");
}

TEST_CASE("EncodeLdSoCache writes big-endian caches for big-endian targets",
          "[effects][ldconfig]") {
  std::string b = EncodeLdSoCache({{"libc.so.6", "/lib/libc.so.6", 0xa03}}, ByteOrder::kBig, "g");
  CHECK(Be32(b, 20) == 1);
  CHECK(b[28] == 3);
  CHECK(Be32(b, 48) == 0xa03);
  CHECK(CStr(b, Be32(b, 52)) == "libc.so.6");
  CHECK(Be32(b, Be32(b, 32)) == 0xeaa42174);
}

TEST_CASE("glibc's ldconfig -p reads an encoded cache", "[effects][ldconfig]") {
  cairn::testing::ScratchDir dir("ldcache");
  std::vector<LdCacheEntry> entries = {{"libz.so.1", "/lib/libz.so.1", 0x303},
                                       {"libc.so.6", "/lib/libc.so.6", 0x303},
                                       {"libc.so.6", "/lib32/libc.so.6", 0x003}};
  const auto path = dir.path() / "ld.so.cache";
  {
    std::ofstream out(path, std::ios::binary);
    out << EncodeLdSoCache(entries, ByteOrder::kLittle, "cairn test");
  }
  auto r = cairn::testing::RunCommand({"/sbin/ldconfig", "-p", "-C", path.string()});
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out == "3 libs found in cache `" + path.string() +
                     "'\n"
                     "\tlibz.so.1 (libc6,x86-64) => /lib/libz.so.1\n"
                     "\tlibc.so.6 (libc6,x86-64) => /lib/libc.so.6\n"
                     "\tlibc.so.6 (libc6) => /lib32/libc.so.6\n"
                     "Cache generated by: cairn test\n");
}

TEST_CASE("an empty cache is still a valid cache", "[effects][ldconfig]") {
  std::string b = EncodeLdSoCache({}, ByteOrder::kLittle, "cairn");
  CHECK(b.size() == 48 + 24 + 5);
  CHECK(Le32(b, 20) == 0);
  CHECK(Le32(b, 24) == 0);
  CHECK(Le32(b, 32) == 48);
}

}  // namespace
}  // namespace cairn::effects
