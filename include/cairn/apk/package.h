// The APK package model shared by the index parser, the .PKGINFO parser, the
// resolver, the installed-database writer, the lock and the SBOM.
//
// A PackageInfo is one record of an APKINDEX (or one .PKGINFO): identity
// (checksum = the `C:` Q1 hash of the control member), metadata and
// relations. Dependency atoms keep their textual form reproducible through
// Format(), so the installed database and lock can write them back verbatim.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

namespace cairn::apk {

/// Version operators of apk-tools (src/version.c).
enum class VersionOp {
  kAny,       ///< bare name
  kEqual,     ///< =
  kLess,      ///< <
  kLessEq,    ///< <=
  kGreater,   ///< >
  kGreaterEq, ///< >=
  kFuzzy,     ///< ~   (prefix match: ~1.6 matches 1.6.9_p1)
  kGreaterFuzzy, ///< >~
  kLessFuzzy,    ///< <~
  kChecksum,  ///< ><Q1...  (match by identity hash)
};

/// One dependency atom: `[!]name[@tag][op version]`.
struct Dependency {
  std::string name;     ///< may be namespaced (so:, cmd:, pc:) or a path (/bin/sh)
  VersionOp op = VersionOp::kAny;
  std::string version;  ///< empty for kAny; the Q1 hash for kChecksum
  std::string tag;      ///< repository pin (world only), without '@'
  bool conflict = false;  ///< leading '!'

  /// Parses one atom; errors say what was expected.
  static Result<Dependency> Parse(std::string_view atom);
  /// Canonical text, e.g. "!busybox", "so:libc.musl-x86_64.so.1", "musl>=1.2".
  std::string Format() const;
  bool operator==(const Dependency&) const = default;
};

/// Parses a space-separated list of atoms (D:, i:, r:, world lines).
Result<std::vector<Dependency>> ParseDependencyList(std::string_view text);

/// Like ParseDependencyList, but keeps atoms whose version is not a valid apk
/// version (real indexes have them, e.g. Alpine 3.17's "pc:jemalloc=5.3.0_");
/// apk-tools reads such atoms from indexes and marks them broken.
Result<std::vector<Dependency>> ParseIndexDependencyList(std::string_view text);

/// A `p:` entry: `name[=version]`; an empty version makes a virtual provide.
struct Provide {
  std::string name;
  std::string version;
  bool operator==(const Provide&) const = default;
};

struct PackageInfo {
  std::string checksum;       ///< C: "Q1" + base64(SHA-1 of the control member)
  std::string name;           ///< P:
  std::string version;        ///< V:
  std::string arch;           ///< A:
  uint64_t size = 0;          ///< S: .apk file size
  uint64_t installed_size = 0;///< I:
  std::string description;    ///< T:
  std::string url;            ///< U:
  std::string license;        ///< L:
  std::string origin;         ///< o:
  std::string maintainer;     ///< m:
  int64_t build_time = 0;     ///< t:
  std::string commit;         ///< c:
  int provider_priority = 0;  ///< k:
  bool has_provider_priority = false;
  std::vector<Dependency> depends;     ///< D:
  std::vector<Provide> provides;       ///< p:
  std::vector<Dependency> install_if;  ///< i:
  std::vector<Dependency> replaces;    ///< r: (.PKGINFO / installed db)
  int replaces_priority = 0;           ///< q:
  std::string datahash;                ///< .PKGINFO datahash (hex SHA-256), not in indexes
  std::vector<std::string> triggers;   ///< .PKGINFO triggers (globs)

  /// Where the record came from, for messages and the lock (e.g. the repository URL).
  std::string repository;
  /// File name in a v2 repository: "<name>-<version>.apk".
  std::string FileName() const { return name + "-" + version + ".apk"; }
};

}  // namespace cairn::apk
