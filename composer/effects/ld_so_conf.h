// ld.so.conf parsing against the in-memory tree (glibc elf/ldconfig.c
// parse_conf / parse_conf_include / add_dir_1).
//
//   CAIRN_ASSIGN_OR_RETURN(auto dirs, ReadLdSoConf(tree, "etc/ld.so.conf", reporter));
//
// Comments start at '#'; `include PATTERN...` reads the files matching each
// glob (in strcmp order; a relative pattern is relative to the including
// file's directory); `hwcap` lines are ignored with a warning; any other line
// names a directory, with an optional "=TYPE" suffix and trailing slashes
// removed. Directories are returned as written (the cache records them so).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects::internal {

/// Directory lines of `conf_path` and its includes, in order, duplicates kept.
Result<std::vector<std::string>> ReadLdSoConf(const rootfs::Tree& tree, std::string_view conf_path,
                                              Reporter& reporter);

/// Tree paths matching an absolute glob pattern ("/etc/ld.so.conf.d/*.conf"),
/// sorted, as absolute paths with the pattern's unresolved prefix. Like
/// glob(3) without GLOB_PERIOD, wildcards do not match a leading '.'.
std::vector<std::string> GlobTree(const rootfs::Tree& tree, std::string_view pattern);

/// Names directly inside the directory at tree path `dir` (resolved), sorted.
std::vector<std::string> ListDirectory(const rootfs::Tree& tree, std::string_view dir);

}  // namespace cairn::effects::internal
