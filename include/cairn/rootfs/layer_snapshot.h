// Layer snapshots: one layer of a stacked rootfs::Tree saved to two files and
// put back later exactly as it was, so an incremental build restores its
// unchanged lower layers instead of extracting their packages again.
//
//   CAIRN_TRY(rootfs::WriteLayerSnapshot(tree, 0, dir / "nodes", dir / "content"));
//   ...next build, fresh tree:
//   tree.BeginLayer(0);
//   CAIRN_TRY(rootfs::ReadLayerSnapshot(dir / "nodes", dir / "content", tree));
//   tree.BeginLayer(1);  ... compose the layer that changed ...
//
// `nodes` holds every node attributed to the layer (all metadata, owner
// package index, SHA-1, where its bytes are in `content`) and the layer's
// whiteouts, ending with a SHA-256 of everything before it; `content` holds
// the bytes of the layer's regular files and hard links, each blob once.
// Restoring the snapshots of layers 0..k in order onto an empty tree gives
// the tree as it was after layer k: same nodes, owners, attribution and
// whiteouts, so each layer's tar (oci::WriteTarStream) is the same stream.
#pragma once

#include <filesystem>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::rootfs {

/// Writes the nodes and whiteouts of `layer` to `nodes_file` and their
/// content to `content_file` (both created or replaced; not atomically: write
/// them in a directory that is renamed into place when complete).
Status WriteLayerSnapshot(const Tree& tree, int layer, const std::filesystem::path& nodes_file,
                          const std::filesystem::path& content_file);

/// Applies a snapshot to `tree` as its current layer: whiteouts first (they
/// remove what lower layers had there), then the nodes, whose bytes are read
/// from `content` itself (attached to the tree's ContentStore, not copied;
/// cache files are replaced by rename, never changed in place). A truncated
/// or altered `nodes` file, or a `content` file of another size than it says,
/// is kIntegrity, detected before the tree is changed.
Status ReadLayerSnapshot(const std::filesystem::path& nodes_file,
                         const std::filesystem::path& content_file, Tree& tree);

}  // namespace cairn::rootfs
