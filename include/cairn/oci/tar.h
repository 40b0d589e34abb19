// Deterministic tar stream of a rootfs::Tree, the common body of OCI layers
// and of the squashfs path (`mksquashfs -tar` reads the same stream).
//
// libarchive pax-restricted format; entries in the tree's sorted order
// (parents first), names without "./", the root itself omitted; uid/gid and
// mode/mtime from the node (no atime/ctime); uname/gname from the image's
// own etc/passwd and etc/group; xattrs as SCHILY.xattr.* records. A hard-link
// group is written once with content at its first path in sorted order, and
// every later path of the group as a link to that one, so extraction never
// meets a link before its target.
//
//   CAIRN_TRY(oci::WriteTarStream(tree, [&](const char* p, size_t n) { ...; return Status(); }));
#pragma once

#include <cstddef>
#include <functional>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::oci {

/// Receives consecutive pieces of the stream; an error aborts the write and is returned.
using ByteSink = std::function<Status(const char* data, size_t size)>;

struct TarOptions {
  /// Tree whose etc/passwd and etc/group name the uids and gids (for a layer
  /// that lacks them, pass the whole image's tree); nullptr means the tree
  /// being written. Missing files or unknown ids leave uname/gname empty.
  const rootfs::Tree* accounts = nullptr;
};

/// Writes `tree` as a tar stream to `sink`, ending with the end-of-archive
/// blocks (padded to 10240-byte records). Never holds a file's content in memory.
Status WriteTarStream(const rootfs::Tree& tree, const ByteSink& sink,
                      const TarOptions& options = {});

}  // namespace cairn::oci
