// ReadLayerBlob: a gzip'ed OCI layer tar back into a stacked rootfs::Tree.
//
// An incremental build rebuilds the tree of its cached lower layers from their
// blobs instead of extracting packages again, then adds the layers that did
// change on top:
//
//   for (int i = 0; i < first_changed; ++i)
//     CAIRN_TRY(oci::ReadLayerBlob(cache.BlobPath(layers[i]), tree, i, layers[i].digest));
//   tree.BeginLayer(first_changed);  ...
//
// Every entry is placed with node.layer = `layer` (owner -1) keeping its type,
// mode, uid/gid, mtime, xattrs, symlink and hard link targets and device
// numbers; uname/gname are ignored (the tree keeps numeric ids). Directory
// entries set the metadata of an existing directory exactly. Content streams
// into the tree's ContentStore, never whole into memory. A whiteout
// ("<dir>/.wh.<name>") removes the path and becomes a whiteout of `layer`
// (Tree::AddWhiteout); an opaque whiteout ("<dir>/.wh..wh..opq") whites out
// each entry of <dir> from lower layers. Directories created only as parents
// of entries get layer rootfs::kNoLayer, so writing the layer again gives the
// same tar (WriteLayerTar with LayerOptions::layer = `layer` reproduces the
// diff_id when the tree's accounts, etc/passwd and etc/group, are the same).
#pragma once

#include <filesystem>
#include <string>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::oci {

/// Reads `gzip_tar` into `tree` as layer `layer` (which should hold nothing
/// yet) and leaves tree.current_layer() at `layer`. If `expected_digest`
/// ("sha256:<hex>") is given, the file must hash to it, else kIntegrity; the
/// check completes at the end, so on any error the tree is partly changed and
/// should be discarded.
Status ReadLayerBlob(const std::filesystem::path& gzip_tar, rootfs::Tree& tree, int layer,
                     const std::string& expected_digest = "");

}  // namespace cairn::oci
