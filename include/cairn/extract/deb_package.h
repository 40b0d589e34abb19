// Reading a Debian binary package (.deb): the control member into memory,
// then the file tree streamed from the data member.
//
// A .deb is an ar archive: `debian-binary` ("2.x\n"), optional members whose
// names start with '_' (skipped, as dpkg does), `control.tar[.gz|.xz|.zst]`
// and `data.tar[.gz|.xz|.zst|.bz2|.lzma]`; members after the data member are
// ignored, like dpkg-deb. Open() checks that layout, reads the control tar
// (small; bounded) and remembers where the data member lies in the file.
// ForEachDataEntry() then decompresses the data member straight from the
// file, in bounded memory. Nothing here parses control text (see
// cairn/deb/control.h) or verifies md5sums; a caller checks the file's
// SHA256 against the index before opening it.
//
//   CAIRN_ASSIGN_OR_RETURN(auto deb, extract::DebPackage::Open(path));
//   CAIRN_ASSIGN_OR_RETURN(auto paragraphs, deb::ParseControlFile(deb.control_text(), what));
//   CAIRN_TRY(deb.ForEachDataEntry([&](const rootfs::FsEntry& e, const rootfs::ContentReader* r) {
//     return tree.Add(e, r, owner);
//   }));
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "cairn/extract/compressed_file.h"
#include "cairn/result.h"
#include "cairn/rootfs/entry.h"

namespace cairn::extract {

/// Called for each data entry in archive order. `content` is non-null for
/// regular files only and is valid only during the call. (The same type as
/// in apk_package.h, so one callback serves both package readers.)
using DataEntryFn =
    std::function<Status(const rootfs::FsEntry& entry, const rootfs::ContentReader* content)>;

/// Where one ar member's data lies in the file.
struct ArMember {
  std::string name;     ///< as stored, without the padding and GNU ar's trailing '/'
  uint64_t offset = 0;  ///< first data byte (after the 60-byte header)
  uint64_t size = 0;
  /// The header's mtime (dpkg-deb writes the build time, or SOURCE_DATE_EPOCH);
  /// 0 when the field is not a number.
  int64_t mtime = 0;
  bool operator==(const ArMember&) const = default;
};

/// An opened .deb; the data member is read on demand.
class DebPackage {
 public:
  /// Upper bound on the control member, compressed and decompressed, and on
  /// any one file in it (dpkg's own control members are a few KiB).
  static constexpr uint64_t kMaxControlSize = 16ull << 20;

  /// Opens `path` and reads its control member. Errors name the file as
  /// "package '<path>'"; a malformed package is kIntegrity, a missing file
  /// kNotFound.
  static Result<DebPackage> Open(const std::filesystem::path& path);

  /// Streams the data member: normalised paths ("./usr/bin/" becomes
  /// "usr/bin"; ".." is kIntegrity), hard link targets normalised, symlink
  /// targets verbatim, numeric owners (never the tar's user names), modes
  /// with setuid/setgid/sticky bits, mtimes, xattrs, device numbers. The root
  /// entry ("./") is skipped. Errors from `fn` are returned unchanged; a
  /// corrupt or truncated member is kIntegrity, possibly after some entries
  /// were delivered, so a caller discards what it received on any error. The
  /// rest of the stream is read after the tar ends, so the compressor's
  /// checksum is always verified. The member may decompress to at most twice
  /// the control file's Installed-Size plus 16 MiB (16 GiB without one); more
  /// is kIntegrity (a decompression bomb), here and in DecompressDataTo.
  /// May be called more than once.
  Status ForEachDataEntry(const DataEntryFn& fn) const;

  /// Decompresses the data member into `out`, a new plain tar file, checking
  /// the whole compressed stream; lets a caller decompress packages ahead on
  /// other threads and then stream them in order with ForEachDecompressedEntry.
  Status DecompressDataTo(const std::filesystem::path& out) const;
  /// Streams a tar that DecompressDataTo wrote, with ForEachDataEntry's rules.
  Status ForEachDecompressedEntry(const std::filesystem::path& tar, const DataEntryFn& fn) const;

  /// The contents of debian-binary's first line ("2.0").
  const std::string& format_version() const { return format_version_; }
  /// The `control` file, verbatim.
  const std::string& control_text() const;
  /// `md5sums` ("<md5>  <path>" lines), or "" when the package has none.
  const std::string& md5sums_text() const;
  /// `conffiles` (one absolute path per line), or "" when absent.
  const std::string& conffiles_text() const;
  /// The maintainer scripts and debconf/trigger files present, by name:
  /// preinst, postinst, prerm, postrm, config, triggers, templates.
  const std::map<std::string, std::string>& scripts() const { return scripts_; }
  /// Every regular file at the top of the control member, by name without
  /// "./" (control, md5sums, conffiles, scripts, shlibs, symbols, ...): what
  /// dpkg keeps in /var/lib/dpkg/info/<package>.<name>.
  const std::map<std::string, std::string>& control_files() const { return control_files_; }

  /// Compression of the data member: "xz", "gzip", "zstd", "bzip2", "lzma" or "none".
  std::string data_compression() const { return std::string(CompressionName(data_compression_)); }
  /// Compression of the control member: "xz", "gzip", "zstd" or "none".
  std::string control_compression() const {
    return std::string(CompressionName(control_compression_));
  }
  const ArMember& control_member() const { return control_member_; }
  const ArMember& data_member() const { return data_member_; }
  /// Size of the file and its path, as opened.
  uint64_t file_size() const { return file_size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  DebPackage() = default;
  const std::string& ControlFile(const std::string& name) const;

  std::filesystem::path path_;
  uint64_t file_size_ = 0;
  std::string format_version_;
  ArMember control_member_;
  ArMember data_member_;
  Compression control_compression_ = Compression::kNone;
  Compression data_compression_ = Compression::kNone;
  std::map<std::string, std::string> control_files_;
  std::map<std::string, std::string> scripts_;
};

}  // namespace cairn::extract
