// OCI media types and the content descriptor that points at a blob.
//
//   oci::Descriptor d{oci::kMediaTypeManifest, "sha256:…", 402};
//   d.annotations["org.opencontainers.image.ref.name"] = "latest";
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "cairn/oci/platform.h"

namespace cairn::oci {

inline constexpr const char* kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
/// The annotation that names an image in index.json (only valid there).
inline constexpr const char* kAnnotationRefName = "org.opencontainers.image.ref.name";
inline constexpr const char* kAnnotationCreated = "org.opencontainers.image.created";

/// A reference to a blob: {mediaType, digest, size, [platform], [annotations]}.
struct Descriptor {
  std::string media_type;
  std::string digest;  ///< "sha256:<64 hex>"
  uint64_t size = 0;   ///< exact byte count of the blob (umoci reads exactly this many)
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;

  /// The digest's hex part (the blob's file name under blobs/sha256/).
  std::string Hex() const { return digest.substr(digest.find(':') + 1); }
};

}  // namespace cairn::oci
