// Declarative package sources for the project's own test repositories.
//
// A repository source is a directory with one subdirectory per package:
//
//   <pkg>/PKGINFO   `key = value` lines like a .PKGINFO (pkgname, pkgver,
//                   pkgdesc, url, license, origin, maintainer, commit,
//                   depend, provides, install_if, replaces,
//                   replaces_priority, provider_priority, triggers); arch,
//                   size, builddate and datahash are computed, not written
//   <pkg>/files/    the file tree (regular files, directories, symlinks);
//                   files are root:root 0644 (0755 if executable), dirs 0755
//   <pkg>/ENTRIES   optional; one entry per line, overriding or adding:
//                     dir     PATH MODE UID GID
//                     file    PATH MODE UID GID        (content from files/PATH)
//                     symlink PATH TARGET
//                     program PATH MODE UID GID MESSAGE...
//                   `program` is generated per architecture by MakeHelloElf:
//                   it prints MESSAGE (with "{arch}" replaced) and a newline.
//
//   CAIRN_ASSIGN_OR_RETURN(auto pkgs, testrepo::LoadRepoSource("images/demo-repo"));
//   CAIRN_ASSIGN_OR_RETURN(auto files, testrepo::FilesForArch(pkgs[0], "aarch64"));
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/apk/package.h"
#include "cairn/result.h"
#include "cairn/rootfs/entry.h"

namespace cairn::testrepo {

/// One entry of a package's data tree.
struct SourceFile {
  rootfs::FsEntry meta;         ///< path, type, mode, uid, gid, size, link_target (mtime 0)
  std::string content;          ///< regular files (for programs: filled by FilesForArch)
  bool program = false;         ///< content is a generated hello program
  std::string program_message;  ///< what the program prints, "{arch}" not yet replaced
};

/// A package before it is built for an architecture.
struct PackageSource {
  /// Metadata from PKGINFO; arch, size, installed_size, build_time, checksum
  /// and datahash are left empty for the builder.
  apk::PackageInfo info;
  /// Every entry, sorted by path (so parents come first), directories included.
  std::vector<SourceFile> files;
};

/// Loads one package directory (PKGINFO, files/, ENTRIES). Errors in PKGINFO
/// or ENTRIES are kConfig with the file, line and column.
Result<PackageSource> LoadPackageSource(const std::filesystem::path& dir);

/// Loads every subdirectory of `dir` that has a PKGINFO, sorted by package
/// name; kConfig if two declare the same name, kNotFound if there is none.
Result<std::vector<PackageSource>> LoadRepoSource(const std::filesystem::path& dir);

/// The entries of `pkg` for `arch`, with generated programs filled in.
Result<std::vector<SourceFile>> FilesForArch(const PackageSource& pkg, std::string_view arch);

/// The .PKGINFO text apk-tools expects, for a fully built package (arch,
/// builddate, size and datahash set): abuild's key order, one key per line.
std::string FormatPkgInfo(const apk::PackageInfo& pkg);

}  // namespace cairn::testrepo
