#include "cairn/rootfs/special_files.h"

#include <fmt/format.h>

namespace cairn::rootfs {

std::vector<SpecialFile> FindSpecialFiles(const Tree& tree) {
  std::vector<SpecialFile> out;
  for (const auto& [path, node] : tree.nodes()) {  // sorted by path
    const FsEntry& m = node.meta;
    std::string what;
    if (m.type == FileType::kCharDevice || m.type == FileType::kBlockDevice) {
      what = fmt::format("{} {},{}, mode {:04o}", FileTypeName(m.type), m.dev_major, m.dev_minor,
                         m.mode & 07777);
    } else if ((m.type == FileType::kRegular || m.type == FileType::kHardlink) &&
               (m.mode & 06000) != 0) {
      const char* bits = (m.mode & 06000) == 06000 ? "setuid and setgid"
                         : (m.mode & 04000)        ? "setuid"
                                                   : "setgid";
      what = fmt::format("{} {}, mode {:04o}, owner {}:{}", bits, FileTypeName(m.type),
                         m.mode & 07777, m.uid, m.gid);
    } else {
      continue;
    }
    out.push_back({path, node.owner, std::move(what)});
  }
  return out;
}

std::string DescribeSpecialFile(const SpecialFile& file) {
  return fmt::format("'/{}' ({})", file.path, file.what);
}

}  // namespace cairn::rootfs
