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
// One layer of a stacked tree (TarOptions::layer >= 0) is an OCI changeset:
// - only nodes with node.layer == layer, in the same sorted order; their
//   parent directories that belong to lower layers are not written (the lower
//   layer has them; OCI runtimes also create missing parents themselves);
// - first of all, one whiteout per Tree::Whiteouts(layer) path: "<dir>/.wh.<name>",
//   an empty regular file, mode 0, uid/gid 0, no owner names, mtime 0, so its
//   bytes depend on the path alone. Whiteouts come before every other entry,
//   so even an extractor that applies entries strictly in order never deletes
//   what the same layer adds at that path;
// - a hard link whose target is in a lower layer cannot link there: the first
//   such link of a group (in sorted order) is written as a regular file with
//   the target's metadata and content, and the group's other links in this
//   layer link to it.
//
//   CAIRN_TRY(oci::WriteTarStream(tree, [&](const char* p, size_t n) { ...; return Status(); }));
#pragma once

#include <string>
#include <string_view>

#include "cairn/byte_sink.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::oci {

/// cairn::ByteSink under its older name: an error aborts the write and is returned.
using ByteSink = cairn::ByteSink;

struct TarOptions {
  /// Tree whose etc/passwd and etc/group name the uids and gids (for a layer
  /// that lacks them, pass the whole image's tree); nullptr means the tree
  /// being written. Missing files or unknown ids leave uname/gname empty.
  const rootfs::Tree* accounts = nullptr;
  /// Which layer of the tree to write (see above); -1 writes every node,
  /// which is the single-layer image's stream.
  int layer = -1;
};

/// "<dir>/.wh.<name>": the OCI whiteout entry name for a removed path.
std::string WhiteoutName(std::string_view path);

/// Writes `tree` as a tar stream to `sink`, ending with the end-of-archive
/// blocks (padded to 10240-byte records). Never holds a file's content in memory.
Status WriteTarStream(const rootfs::Tree& tree, const ByteSink& sink,
                      const TarOptions& options = {});

}  // namespace cairn::oci
