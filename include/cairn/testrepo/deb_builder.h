// Writing Debian binary packages (.deb) for tests, benchmarks and the demo
// repository, laid out as `dpkg-deb --build --root-owner-group` does.
//
// The ar archive holds debian-binary ("2.0\n"), control.tar.<c> and
// data.tar.<c>; tar paths are "./usr/bin/x", directories "./usr/", sorted by
// name with symlinks last, missing parent directories and the root "./"
// added (root:root 0755). md5sums is generated from the regular files (hard links included,
// conffiles excluded, as dh_md5sums does). Output depends only on the spec:
// every tar entry and ar header carries `mtime`, owners are numeric, ar
// headers say uid 0, gid 0, mode 100644, and gzip streams carry no time.
//
//   testrepo::DebSpec spec{.control_text = "Package: hello\nVersion: 1.0\n..."};
//   spec.files.push_back({.path = "usr/bin/hello", .content = "...", .mode = 0755});
//   CAIRN_TRY(testrepo::WriteDeb(spec, "out/hello_1.0_amd64.deb"));
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/entry.h"

namespace cairn::testrepo {

/// One entry of the data tree.
struct DebFile {
  std::string path;      ///< relative, e.g. "usr/bin/hello" (no leading "/" or "./")
  std::string content;   ///< regular files only
  uint32_t mode = 0644;  ///< permission bits incl. setuid/setgid/sticky
  uint32_t uid = 0;
  uint32_t gid = 0;
  /// kRegular, kDirectory, kSymlink or kHardlink; other types are kUsage.
  rootfs::FileType type = rootfs::FileType::kRegular;
  /// Symlink: the target, verbatim. Hard link: the path of a regular file
  /// listed in the same spec (written as "./<path>").
  std::string link_target;
};

/// Everything a .deb is built from.
struct DebSpec {
  /// The whole `control` file, written verbatim (not checked here).
  std::string control_text;
  /// The data tree, in any order.
  std::vector<DebFile> files;
  /// Control-area files by name: preinst, postinst, prerm, postrm, config
  /// (written 0755), triggers, templates, shlibs, symbols (0644).
  std::map<std::string, std::string> scripts;
  /// The `conffiles` file ("/etc/foo\n" lines); "" writes none.
  std::string conffiles;
  /// Data member compression ("xz", "gzip", "zstd", "bzip2", "lzma" or
  /// "none"); the control member uses the same, except gzip for bzip2 and
  /// lzma, which dpkg does not accept there.
  std::string compression = "xz";
  /// mtime of every tar entry and ar member.
  int64_t mtime = 0;
};

/// The .deb's bytes. kUsage for a bad spec: an empty control text, an
/// invalid or duplicate path, a hard link to something that is not a
/// regular file of the spec, an unknown control file name or compression.
Result<std::string> BuildDeb(const DebSpec& spec);

/// BuildDeb, then writes the bytes to `path` atomically (mode 0644).
Status WriteDeb(const DebSpec& spec, const std::filesystem::path& path);

/// The md5sums text BuildDeb writes for `spec` ("" when it writes none):
/// "<md5 hex>  <path>\n" per regular file or hard link, sorted by path,
/// without the files listed in `spec.conffiles`.
Result<std::string> Md5sumsFor(const DebSpec& spec);

}  // namespace cairn::testrepo
