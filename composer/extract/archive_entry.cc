#include "cairn/extract/archive.h"

#include <fmt/format.h>

#include "cairn/rootfs/tree.h"

namespace cairn::extract {

Result<rootfs::FsEntry> ToFsEntry(const ArchiveEntry& in) {
  rootfs::FsEntry out;
  CAIRN_ASSIGN_OR_RETURN(out.path, rootfs::NormalizePath(in.pathname));
  out.type = in.type;
  out.mode = in.mode;
  out.uid = in.uid;
  out.gid = in.gid;
  out.mtime = in.mtime;
  out.xattrs = in.xattrs;
  out.dev_major = in.dev_major;
  out.dev_minor = in.dev_minor;
  switch (in.type) {
    case rootfs::FileType::kRegular:
      out.size = in.size;
      break;
    case rootfs::FileType::kSymlink:
      out.link_target = in.symlink;
      break;
    case rootfs::FileType::kHardlink: {
      CAIRN_ASSIGN_OR_RETURN(out.link_target, rootfs::NormalizePath(in.hardlink));
      if (out.link_target.empty())
        return IntegrityError(fmt::format("hard link '{}' has an empty target", out.path));
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace cairn::extract
