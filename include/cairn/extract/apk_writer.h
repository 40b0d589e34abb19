// Writing APK v2 packages and APKINDEX.tar.gz archives, for the project's own
// demo repository, benchmarks and tamper tests.
//
// Packages are laid out as abuild writes them: a signature member (tar
// without end-of-archive blocks), a control member (.PKGINFO then the
// scripts, pax/ustar, no end-of-archive blocks) and a data member (tar padded
// to a 10 KiB record). Output is deterministic: entries sorted by path,
// numeric owners only, no atime/ctime, gzip headers with MTIME 0. File
// content can be streamed from disk, so large packages are never held in
// memory. Files are written to a temporary sibling and renamed into place.
//
//   auto signer = extract::Signer::FromPemFile("key.rsa", "key.rsa.pub",
//                                              extract::SignatureAlgo::kRsaSha256);
//   extract::ApkPackageSpec spec{.pkginfo_text = "pkgname = hello\n...", .signer = &*signer};
//   spec.entries.push_back({.meta = {.path = "usr/bin/hello", .mode = 0755}, .content = "..."});
//   CAIRN_ASSIGN_OR_RETURN(auto written, extract::WriteApkPackage("hello-1.0-r0.apk", spec));
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/extract/keyring.h"
#include "cairn/result.h"
#include "cairn/rootfs/entry.h"

namespace cairn::extract {

/// One data entry. For regular files the content comes from `content_file`
/// when set, else from `content`; meta.size is taken from it.
struct DataEntrySpec {
  rootfs::FsEntry meta;
  std::string content;
  std::filesystem::path content_file;
};

/// Everything a package is written from.
struct ApkPackageSpec {
  /// .PKGINFO without `datahash` (the writer appends "datahash = <hex>").
  std::string pkginfo_text;
  /// Maintainer scripts by control name (".pre-install", ..., ".trigger").
  std::map<std::string, std::string> scripts;
  /// The file tree; written sorted by normalised path (parents first).
  std::vector<DataEntrySpec> entries;
  /// Signs the control member when set; unsigned packages have two members.
  const Signer* signer = nullptr;
  /// mtime of the control and signature entries.
  int64_t control_mtime = 0;
  int gzip_level = 9;
};

/// What an index needs to list the written package.
struct WrittenPackage {
  std::string checksum;  ///< C: "Q1" + base64(SHA-1 of the control member)
  uint64_t size = 0;     ///< S: file size
  std::string datahash;  ///< hex SHA-256 of the data member
};

/// Writes `spec` to `out_path`. kUsage for a bad spec (unknown script name,
/// duplicate or invalid path, .PKGINFO that already has a datahash), kIo for
/// file errors.
Result<WrittenPackage> WriteApkPackage(const std::filesystem::path& out_path,
                                       const ApkPackageSpec& spec);

/// Entries for every file, directory and symlink below `dir` (sorted; `dir`
/// itself excluded), owned uid:gid with the given mtime and the files' own
/// permission bits. Content is streamed from the files when the package is
/// written. Other file types are kUsage errors.
Result<std::vector<DataEntrySpec>> DataEntriesFromDirectory(const std::filesystem::path& dir,
                                                            uint32_t uid, uint32_t gid,
                                                            int64_t mtime);

/// Writes an APKINDEX.tar.gz: an optional signature member over the second
/// member, which holds DESCRIPTION and APKINDEX (mtime `mtime`).
Status WriteApkIndexArchive(const std::filesystem::path& out_path, std::string_view apkindex_text,
                            std::string_view description, const Signer* signer, int64_t mtime = 0);

}  // namespace cairn::extract
