// Device nodes and setuid/setgid files: packages may ship them (Debian's
// passwd installs setuid /usr/bin/passwd), so a build allows them, but it
// records each one in its log and in the SBOM entry of the package that
// installed it, where a reviewer sees what an image grants.
//
//   for (const auto& s : rootfs::FindSpecialFiles(tree))
//     reporter.Info(rootfs::DescribeSpecialFile(s));   // "'/usr/bin/su' (setuid regular file, mode 4755)"
#pragma once

#include <string>
#include <vector>

#include "cairn/rootfs/tree.h"

namespace cairn::rootfs {

/// One node worth recording.
struct SpecialFile {
  std::string path;  ///< tree path ("usr/bin/su")
  int owner = -1;    ///< Node::owner: the installing package's index, -1 for cairn
  /// "setuid regular file, mode 4755", "character device 5,1, mode 0600", ...
  std::string what;
};

/// Character and block devices, and regular files (and hard links) with the
/// setuid or setgid bit, sorted by path. Setgid directories (/var/mail) are
/// ordinary and left out, as are fifos.
std::vector<SpecialFile> FindSpecialFiles(const Tree& tree);

/// "'/<path>' (<what>)", for a log line or an SBOM comment.
std::string DescribeSpecialFile(const SpecialFile& file);

}  // namespace cairn::rootfs
