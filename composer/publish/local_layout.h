// Private to publish: the OCI image layout being pushed, read-only.
//
// OpenLocalLayout accepts a `cairn build` output directory (DIR/oci holds the
// layout, DIR/sbom the SBOMs) or a layout directory itself. Manifests and
// indexes are read whole and checked against their descriptor (size and
// digest) before anything uses them; blobs are checked when they are sent.
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/oci/descriptor.h"
#include "cairn/result.h"

namespace cairn::publish::internal {

inline constexpr const char* kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";

bool IsIndexType(std::string_view media_type);
bool IsManifestType(std::string_view media_type);

struct LocalLayout {
  std::filesystem::path dir;             ///< the layout (oci-layout, index.json, blobs/)
  std::filesystem::path sbom_dir;        ///< DIR/sbom of a build output; empty for a bare layout
  std::string index_json;                ///< index.json as read
  std::vector<oci::Descriptor> entries;  ///< index.json's manifests, ref names in annotations

  /// blobs/sha256/<hex> of a validated "sha256:<hex>" digest.
  std::filesystem::path BlobPath(const oci::Descriptor& d) const;
};

/// Opens DIR/oci (with DIR/sbom) or DIR; kNotFound when neither is a layout.
Result<LocalLayout> OpenLocalLayout(const std::filesystem::path& dir);

/// A descriptor from JSON: mediaType, digest (sha256 only), size, annotations.
/// `where` names the document for errors.
Result<oci::Descriptor> ParseDescriptor(const nlohmann::json& j, const std::string& where);

/// The blob's bytes, checked against `d` (kIntegrity on a size or digest mismatch).
Result<std::string> ReadVerifiedBlob(const LocalLayout& layout, const oci::Descriptor& d);

}  // namespace cairn::publish::internal
