// One image layer: a rootfs::Tree as a deterministic tar, gzip-compressed with
// zlib, streamed into an OCI layout's blobs/sha256/ while both digests are
// computed on the fly. Memory stays constant whatever the layer size.
//
//   CAIRN_ASSIGN_OR_RETURN(oci::LayerResult layer, oci::WriteLayerTar(tree, layout_dir));
//   layer.digest   -> manifest layer descriptor;  layer.diff_id -> config rootfs.diff_ids
//
// The gzip header is fixed (MTIME 0, no name, XFL from the level, OS 255 =
// unknown, as Go's compress/gzip writes), so the blob digest depends only on
// the tar bytes, the level and the zlib version; diff_id is the portable identity.
//
// Stacked layers: one WriteLayerTar per layer with LayerOptions::layer = i,
// bottom first; the results go to OciLayoutWriter::AddImage in that order.
// A finished layer can be kept in an oci::LayerCache and reused unchanged.
// Its bytes depend on the tree's nodes of that layer, its whiteouts, and the
// uname/gname taken from TarOptions::accounts (default: the tree as it is at
// write time), so a cache key should cover etc/passwd and etc/group too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "cairn/oci/tar.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::oci {

struct LayerOptions {
  int gzip_level = 6;  ///< zlib level 0 (stored) .. 9
  TarOptions tar;      ///< uname/gname source (tar.layer is ignored: `layer` below wins)
  /// -1: the whole tree (a single-layer image). >= 0: only what that layer of
  /// a stacked tree added or changed, plus its whiteouts (see oci/tar.h).
  int layer = -1;
};

/// Where the time of one layer write went (wall-clock seconds), for benchmarks.
struct LayerTimings {
  double compress_seconds = 0;  ///< CPU time inside zlib deflate(), summed over the parallel workers
  double hash_seconds = 0;      ///< sha256 of the tar and of the gzip stream
  double write_seconds = 0;     ///< write(2) and fsync of the blob file
  double total_seconds = 0;     ///< the whole call, tar generation and content reads included
};

struct LayerResult {
  std::string digest;   ///< "sha256:<hex>" of the compressed blob (its file name)
  std::string diff_id;  ///< "sha256:<hex>" of the uncompressed tar
  uint64_t size = 0;    ///< compressed bytes
  uint64_t uncompressed_size = 0;
  LayerTimings timings;
};

/// Writes `tree` as blobs/sha256/<digest> under `layout_dir` (creating
/// blobs/sha256 if needed): the stream goes to a temporary file in that
/// directory, is fsynced, then renamed to its digest. Safe to call from several
/// threads for the same layout. A bad gzip level is a kUsage error.
Result<LayerResult> WriteLayerTar(const rootfs::Tree& tree,
                                  const std::filesystem::path& layout_dir,
                                  const LayerOptions& options = {});

}  // namespace cairn::oci
