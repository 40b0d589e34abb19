// lib/apk/db/installed and lib/apk/db/triggers, written as apk-tools writes them.
//
//   std::string db = apk::FormatInstalledDb(packages);      // whole file
//   CAIRN_ASSIGN_OR_RETURN(auto pkgs, apk::ParseInstalledDb(db, "installed"));
// Each record is the package's index header (FormatIndexRecord), then r:, q:,
// s:, f:, then the file list: `F:dir` per directory with `M:uid:gid:mode`
// only when not root:root 0755, and `R:name` per file with `a:uid:gid:mode`
// only when not root:root 0644 and `Z:Q1...` when a digest is known; records
// end with a blank line (apk-tools src/database.c, apk_db_write_fdb).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/apk/package.h"
#include "cairn/result.h"
#include "cairn/rootfs/entry.h"

namespace cairn::apk {

/// One path a package owns. Directories own the files directly inside them.
struct InstalledFile {
  std::string path;  ///< relative, no leading '/'
  rootfs::FileType type = rootfs::FileType::kRegular;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t mode = 0644;  ///< permission bits (no type bits)
  std::string sha1;      ///< raw 20-byte SHA-1 of content (symlinks: of the target); empty = none
};

/// A package as recorded in the installed database.
struct InstalledPackage {
  PackageInfo info;
  /// Directories and files in extraction order (a directory before its files).
  std::vector<InstalledFile> files;
  std::string repository_tag;  ///< `s:` (tagged repository it came from), usually empty
  std::string flags;           ///< `f:` flags, usually empty
};

/// The whole `installed` file for `packages`, in the given order.
std::string FormatInstalledDb(const std::vector<InstalledPackage>& packages);

/// Reads an `installed` file; errors say "<source_name>:<line>: ...".
Result<std::vector<InstalledPackage>> ParseInstalledDb(std::string_view text,
                                                       std::string_view source_name);

/// The `triggers` file: one line `<C:> <glob> <glob>...` per package that has
/// triggers, in the given order.
std::string FormatTriggers(const std::vector<InstalledPackage>& packages);

}  // namespace cairn::apk
