// OciLayoutWriter: writes images into an OCI image layout directory
// (oci-layout, blobs/sha256/, index.json) so skopeo and umoci can read them.
//
// Blobs are content-addressed and land through temp file + rename; index.json
// is rewritten atomically by Commit(). Several images (refs) can go into one
// layout: Open() keeps the refs already in index.json, Tag() adds or replaces.
//
//   CAIRN_ASSIGN_OR_RETURN(auto layout, oci::OciLayoutWriter::Open(out_dir));
//   CAIRN_ASSIGN_OR_RETURN(auto layer, layout.AddLayer(tree));          // per arch
//   CAIRN_ASSIGN_OR_RETURN(auto image, layout.AddImage(spec, {layer}));  // per arch
//   CAIRN_ASSIGN_OR_RETURN(auto tagged, layout.TagImages("latest", {amd64, arm64}));
//   CAIRN_TRY(layout.Commit());
//
// Multi-arch tagging (formats.md §3.7): index.json gets "<ref>" -> a nested
// image index (skopeo, `copy --all`) and "<ref>-<arch>" -> each manifest
// (umoci 0.4.7 cannot unpack through a nested index).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cairn/oci/descriptor.h"
#include "cairn/oci/layer.h"
#include "cairn/oci/platform.h"
#include "cairn/result.h"

namespace cairn::oci {

/// What goes into one architecture's image config and manifest.
struct ImageConfigSpec {
  std::string arch;                     ///< apk arch ("x86_64"), mapped to GOARCH/variant
  std::vector<std::string> env;         ///< "K=V", written in the given order
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string work_dir;
  std::string user;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::vector<std::string> volumes;     ///< container paths; written as {"path": {}}
  int64_t epoch = 0;                    ///< config/history `created` and the created annotation
  std::string history_comment;          ///< history[].comment; omitted when empty
  /// Manifest annotations; org.opencontainers.image.created (the epoch) is added.
  std::map<std::string, std::string> annotations;
};

/// One written image (config + manifest blobs) for one architecture.
struct ImageResult {
  std::string apk_arch;
  Platform platform;
  Descriptor manifest;  ///< platform set; ready for an index
  Descriptor config;
  std::vector<Descriptor> layers;
  std::vector<std::string> diff_ids;
};

/// How TagImages names images in index.json.
struct TagOptions {
  /// Also tag each manifest as "<ref>-<arch>" (GOARCH + variant: amd64, armv7).
  bool per_arch_refs = true;
  /// For a single image, tag a one-entry index instead of the manifest.
  bool index_for_single = false;
  /// Annotations of the nested index blob (besides the ref name in index.json).
  std::map<std::string, std::string> index_annotations;
};

/// "1970-01-01T00:00:00Z": RFC 3339 UTC of a Unix time (independent of TZ).
std::string Rfc3339(int64_t epoch);

/// Serialises JSON deterministically: keys sorted, no whitespace.
/// Invalid UTF-8 in a string is a kConfig error.
Result<std::string> CanonicalJson(const nlohmann::json& value);

/// Checks a ref name against the OCI grammar (alphanumeric components joined
/// by one of "-._:@+", "--" or "/"); kUsage error naming the ref otherwise.
Status ValidateRefName(std::string_view ref);

class OciLayoutWriter {
 public:
  /// Creates `dir` (and oci-layout, blobs/sha256) if needed, or opens an
  /// existing layout, keeping its index.json entries. An oci-layout with a
  /// version other than 1.0.0 or an unreadable index.json is a kIntegrity error.
  static Result<OciLayoutWriter> Open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  /// <dir>/blobs/sha256/<hex> for "sha256:<hex>".
  std::filesystem::path BlobPath(std::string_view digest) const;

  // The Add* calls only write blob files and touch no member state, so they
  // may run concurrently (one thread per architecture).

  /// Stores bytes as a blob and returns its descriptor.
  Result<Descriptor> AddBlob(std::string_view bytes, std::string_view media_type) const;
  /// Stores CanonicalJson(value) as a blob.
  Result<Descriptor> AddJsonBlob(const nlohmann::json& value, std::string_view media_type) const;
  /// WriteLayerTar into this layout.
  Result<LayerResult> AddLayer(const rootfs::Tree& tree, const LayerOptions& options = {}) const;
  /// Writes the image config and the manifest for `layers` (bottom first).
  Result<ImageResult> AddImage(const ImageConfigSpec& spec,
                               const std::vector<LayerResult>& layers) const;
  /// Writes an image index blob listing the manifests, sorted by architecture
  /// then variant; two images of the same platform are a kUsage error.
  Result<Descriptor> AddIndex(const std::vector<ImageResult>& images,
                              const std::map<std::string, std::string>& annotations = {}) const;

  // Tagging and Commit change this object: call them from one thread.

  /// Names `descriptor` in index.json as `ref` (replacing an entry of that name).
  Status Tag(std::string_view ref, Descriptor descriptor);
  /// Tags one image directly, or several through a nested index (see the
  /// header comment); returns the descriptor tagged as `ref`.
  Result<Descriptor> TagImages(std::string_view ref, const std::vector<ImageResult>& images,
                               const TagOptions& options = {});
  /// Writes index.json atomically: schemaVersion 2, entries sorted by ref name
  /// (unnamed entries from an existing index.json first, in their old order).
  Status Commit();

 private:
  explicit OciLayoutWriter(std::filesystem::path dir) : dir_(std::move(dir)) {}

  std::filesystem::path dir_;
  std::vector<Descriptor> unnamed_;               // kept from an existing index.json
  std::map<std::string, Descriptor> refs_;        // ref name -> descriptor
};

}  // namespace cairn::oci
