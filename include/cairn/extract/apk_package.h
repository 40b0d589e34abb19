// Reading an APK v2 package (.apk): verify, then stream its file tree.
//
// Open() checks, in this order: the file size against the index's S:, the
// gzip member layout (optional signature member, control member, data
// member), the control member's Q1 checksum against the index's C:, and the
// signatures (signature.h policy) over the compressed control member (plus
// the data member when .PKGINFO has no `datahash`, the pre-2.5 rule). It
// keeps .PKGINFO and the maintainer scripts in memory; the data member stays
// on disk. ForEachDataEntry then decompresses the data member once, hashing
// its compressed bytes on the way, and compares the hash with `datahash` at
// the end: a caller must treat any error (also one after entries were
// delivered) as fatal and discard what it received.
//
//   CAIRN_ASSIGN_OR_RETURN(auto pkg, extract::ApkPackage::Open(
//       path, keys, {info.checksum, info.size}, /*allow_untrusted=*/false));
//   CAIRN_TRY(pkg.ForEachDataEntry([&](const rootfs::FsEntry& e, const rootfs::ContentReader* r) {
//     return tree.Add(e, r, owner);
//   }));
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cairn/extract/gzip_members.h"
#include "cairn/extract/keyring.h"
#include "cairn/extract/signature.h"
#include "cairn/result.h"
#include "cairn/rootfs/entry.h"

namespace cairn::extract {

/// What the repository index promises about a package.
struct ExpectedPackage {
  std::string checksum;  ///< C: "Q1" + base64(SHA-1 of control member); "" = not checked
  uint64_t size = 0;     ///< S: file size; 0 = unknown
};

/// Called for each data entry in archive order. `content` is non-null for
/// regular files only and is valid only during the call.
using DataEntryFn =
    std::function<Status(const rootfs::FsEntry& entry, const rootfs::ContentReader* content)>;

/// A verified package file; the data member is read on demand.
class ApkPackage {
 public:
  /// Opens and verifies `path` (see the file comment). Errors name the file
  /// as "package '<path>'"; everything that fails to verify is kIntegrity.
  static Result<ApkPackage> Open(const std::filesystem::path& path, const Keyring& keyring,
                                 const ExpectedPackage& expected, bool allow_untrusted);

  /// Streams the data member: normalised paths (rootfs::NormalizePath; ".."
  /// is kIntegrity), hard link targets normalised, symlink targets verbatim,
  /// numeric owners, modes, mtimes, xattrs, device numbers. The archive's
  /// root entry ("./") is skipped. Errors from `fn` are returned unchanged;
  /// corrupt data is reported as a datahash mismatch when the hash differs.
  /// Regular files may declare at most twice .PKGINFO's `size` plus 16 MiB
  /// (16 GiB without one); more is kIntegrity (a decompression bomb).
  /// May be called more than once (each call reads the file again).
  Status ForEachDataEntry(const DataEntryFn& fn) const;

  /// .PKGINFO, verbatim.
  const std::string& pkginfo_text() const { return pkginfo_text_; }
  /// Maintainer scripts by control entry name (".pre-install", ".trigger", ...).
  const std::map<std::string, std::string>& scripts() const { return scripts_; }
  /// "Q1" + base64(SHA-1 of the compressed control member): the index C:.
  const std::string& checksum() const { return checksum_; }
  /// The .PKGINFO datahash (hex SHA-256 of the data member); "" if absent.
  const std::string& datahash() const { return datahash_; }
  /// Hashes the compressed data member (without decompressing it) and
  /// compares it with `datahash`; OK when there is no datahash (pre-2.5
  /// packages, whose signature covered the data at Open).
  Status VerifyDataHash() const;
  const std::vector<SignatureInfo>& signatures() const { return signatures_; }
  /// Key that verified the package; "" if it was accepted as untrusted.
  const std::string& trusted_key() const { return trusted_key_; }
  /// Size of the file and its path, as opened.
  uint64_t file_size() const { return file_size_; }
  const std::filesystem::path& path() const { return path_; }
  /// Member layout: the signature member (absent if unsigned), the control
  /// member, and where the data member starts (it runs to the end of file).
  const std::optional<GzipMember>& signature_member() const { return signature_member_; }
  const GzipMember& control_member() const { return control_member_; }
  uint64_t data_offset() const { return data_offset_; }

 private:
  ApkPackage() = default;
  std::filesystem::path path_;
  uint64_t file_size_ = 0;
  std::optional<GzipMember> signature_member_;
  GzipMember control_member_;
  uint64_t data_offset_ = 0;
  std::string pkginfo_text_;
  std::map<std::string, std::string> scripts_;
  std::string checksum_;
  std::string datahash_;
  std::vector<SignatureInfo> signatures_;
  std::string trusted_key_;
};

/// The `datahash` value of a .PKGINFO text ("" if absent). Only this key is
/// read here; the full .PKGINFO parser lives in the repo module.
std::string PkginfoDatahash(std::string_view pkginfo_text);

}  // namespace cairn::extract
