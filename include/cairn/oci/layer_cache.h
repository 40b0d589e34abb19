// LayerCache: finished layer blobs kept across builds, so an unchanged layer
// is placed into a new OCI layout without building its tree or compressing it.
//
// A cache directory holds blobs by digest and one record per caller-chosen key
// (lowercase hex, e.g. a sha256 of everything the layer was built from):
//
//   <dir>/blobs/sha256/<hex>   the gzip'ed layer tar, stored once per digest
//   <dir>/keys/<key>.json      {"diff_id","digest","size","uncompressed_size"}
//   <dir>/snapshots/<key>/     optional: what the caller needs to go on from
//                              the layer without building it (the tree and
//                              package records after it; rootfs/layer_snapshot.h)
//
//   CAIRN_ASSIGN_OR_RETURN(auto cache, oci::LayerCache::Open(cache_dir / "layers"));
//   CAIRN_ASSIGN_OR_RETURN(auto hit, cache.Find(key));
//   if (hit) { CAIRN_ASSIGN_OR_RETURN(layer, cache.AddTo(layout, *hit)); }
//   else { CAIRN_ASSIGN_OR_RETURN(layer, layout.AddLayer(tree, options));
//          CAIRN_TRY(cache.Store(key, layer, layout.BlobPath(layer.digest))); }
//
// Files land through a uniquely named temporary file and rename(2), so
// concurrent builds (threads or processes) sharing a cache never see a partial
// blob or record; the last Store of a key wins. Blobs go in by hard link when
// source and destination share a filesystem, else by copy. Nothing is ever
// deleted: a record whose blob is missing or corrupt is a miss.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "cairn/oci/layer.h"
#include "cairn/oci/layout.h"
#include "cairn/result.h"

namespace cairn::oci {

class LayerCache {
 public:
  /// Opens (creating if needed) a cache directory.
  static Result<LayerCache> Open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  /// <dir>/blobs/sha256/<hex> for the layer's digest.
  std::filesystem::path BlobPath(const LayerResult& layer) const;

  /// The layer stored under `key` (timings zero), or nullopt when there is no
  /// record, the record is unreadable, or its blob is missing or of the wrong
  /// size. With `verify_digest`, the blob is also hashed (reads it all) and a
  /// mismatch is a miss. A key that is not 1 to 128 lowercase hex digits is a
  /// kUsage error.
  Result<std::optional<LayerResult>> Find(const std::string& key,
                                          bool verify_digest = false) const;

  /// Records `layer` under `key`, taking the blob from `blob_file` (usually
  /// layout.BlobPath(layer.digest)). The file's size and sha256 must match
  /// layer.size and layer.digest (kIntegrity otherwise), so the cache never
  /// holds a record it cannot honour.
  Status Store(const std::string& key, const LayerResult& layer,
               const std::filesystem::path& blob_file) const;

  /// Places the cached blob of `layer` (as returned by Find) into `layout`'s
  /// blobs/sha256/ without recompressing and returns `layer`, ready for
  /// OciLayoutWriter::AddImage. A blob already in the layout with the right
  /// size is kept. When copying, the bytes are hashed and must match.
  Result<LayerResult> AddTo(const OciLayoutWriter& layout, const LayerResult& layer) const;

  /// A new empty directory inside the cache in which to write a snapshot, on
  /// the cache's filesystem so StoreSnapshot can rename it into place.
  Result<std::filesystem::path> NewSnapshotDir() const;
  /// Makes `prepared` (from NewSnapshotDir, complete) the snapshot of `key`,
  /// replacing one stored before. Store the key's record after it: a record
  /// without a snapshot is still a usable blob, never the other way round.
  Status StoreSnapshot(const std::string& key, const std::filesystem::path& prepared) const;
  /// The snapshot directory of `key`, or nullopt when there is none.
  Result<std::optional<std::filesystem::path>> FindSnapshot(const std::string& key) const;

 private:
  explicit LayerCache(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace cairn::oci
