// ldconfig without running ldconfig: builds /etc/ld.so.cache for glibc roots.
//
// glibc's ldconfig normally runs from a libc trigger; cairn never runs target
// code, so it reproduces the effect natively, like apko. WriteLdSoCache does
// nothing unless etc/ld.so.conf exists (musl roots have none). Otherwise it
// reads etc/ld.so.conf (with `include` globs), scans the configured and the
// trusted directories for lib*.so* / ld-*.so* ELF shared objects, creates the
// missing soname symlinks ldconfig would create, and writes etc/ld.so.cache
// in glibc's "glibc-ld.so.cache1.1" format (what glibc >= 2.32 writes by
// default), entry for entry and byte for byte what ldconfig writes for the
// same tree, given the same generator string.
//
//   CAIRN_TRY(effects::WriteLdSoCache(tree, epoch, reporter));
//
// Like ldconfig, it also removes dangling "*.so.*" symlinks in the scanned
// directories. Not reproduced: glibc-hwcaps and legacy hwcap/tls
// subdirectories, and the auxiliary cache.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// ldconfig's entry flags (glibc sysdeps/generic/ldconfig.h).
inline constexpr int32_t kLdFlagElfLibc6 = 0x0003;
inline constexpr int32_t kLdFlagX8664Lib64 = 0x0300;
inline constexpr int32_t kLdFlagX8664LibX32 = 0x0800;
inline constexpr int32_t kLdFlagArmLibHf = 0x0900;
inline constexpr int32_t kLdFlagAarch64Lib64 = 0x0a00;
inline constexpr int32_t kLdFlagArmLibSf = 0x0b00;

/// One cache entry: the soname the loader looks up and the path it opens.
struct LdCacheEntry {
  std::string soname;
  std::string path;  ///< absolute, as seen inside the image ("/usr/lib/libz.so.1")
  int32_t flags = 0;
};

enum class ByteOrder { kLittle, kBig };

struct LdSoCacheOptions {
  /// apk architecture name ("x86_64", "aarch64", "x86", "armv7", "armhf");
  /// selects which ELF machines are indexed and which multiarch directories
  /// are trusted. Empty: read etc/apk/arch, and if that is missing too,
  /// index every supported machine.
  std::string arch;
  /// Text of the cache's generator extension; ldconfig writes e.g.
  /// "ldconfig (Debian GLIBC 2.36-9) stable release version 2.36".
  std::string generator = "cairn";
  /// Built-in directories scanned after the ld.so.conf ones; empty: the
  /// architecture's upstream glibc set (lib, lib64, ... and multiarch). Debian's
  /// glibc differs (see DebianLdconfigDirs in compose/deb_install.cc): it never
  /// scans lib64, where only the dynamic loader's link lives.
  std::vector<std::string> trusted_dirs;
};

/// glibc's _dl_cache_libcmp: like strcmp, but runs of digits compare as
/// numbers ("libfoo.so.10" > "libfoo.so.9"). Negative, zero or positive.
int LdCacheLibCmp(std::string_view a, std::string_view b);

/// Puts entries in ldconfig's cache order: descending by LdCacheLibCmp of the
/// soname, then by descending flags; ties keep their input (directory) order.
void SortLdCacheEntries(std::vector<LdCacheEntry>& entries);

/// Serialises entries, which must already be in cache order, as a new-format
/// cache: header, entries, tail-merged string table, extension directory with
/// the generator section (glibc elf/cache.c save_cache with format "new").
std::string EncodeLdSoCache(const std::vector<LdCacheEntry>& entries, ByteOrder order,
                            std::string_view generator);

/// Writes etc/ld.so.cache (0644, root, mtime `epoch`) and the missing soname
/// links if etc/ld.so.conf exists; returns OK without changes otherwise.
Status WriteLdSoCache(rootfs::Tree& tree, int64_t epoch, Reporter& reporter);
Status WriteLdSoCache(rootfs::Tree& tree, int64_t epoch, const LdSoCacheOptions& options,
                      Reporter& reporter);

}  // namespace cairn::effects
