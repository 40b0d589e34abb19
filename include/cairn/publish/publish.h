// Publishing a built image: `cairn publish DIR REF` pushes an OCI image layout
// (DIR/oci of a `cairn build` output, or DIR itself) to a registry.
//
//   CAIRN_ASSIGN_OR_RETURN(auto ref, publish::ParseReference("localhost:5000/demo:1.0"));
//   publish::PublishOptions o{.dir = "out/demo"};
//   o.registry.plain_http = true;
//   auto transport = publish::MakeCurlTransport();
//   CAIRN_ASSIGN_OR_RETURN(auto report, publish::Publish(ref, o, *transport, reporter));
//
// What is pushed: the image selected from index.json (see SelectImages) with
// every manifest, config and layer under it, children before parents, blobs
// the repository already has skipped, blobs another repository of the same
// registry holds mounted; then each image's SPDX SBOM (DIR/sbom/*.spdx.json,
// matched by the manifest digest the document describes) as an OCI 1.1
// artifact whose `subject` is the image, listed in the referrers tag schema
// fallback ("sha256-<hex>") when the registry does not index subjects itself;
// with `files`, the disk images, squashfs and erofs files of a build output
// as artifacts too (tagged, and referring to their image); the image tags
// last, so a tag never names an image that is not complete.
// Nothing under DIR is ever written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cairn/oci/descriptor.h"
#include "cairn/publish/http.h"
#include "cairn/publish/reference.h"
#include "cairn/publish/registry_client.h"
#include "cairn/reporter.h"
#include "cairn/result.h"

namespace cairn::publish {

/// The artifact type of an SBOM pushed as a referrer.
inline constexpr const char* kSpdxArtifactType = "application/spdx+json";

struct PublishOptions {
  /// A `cairn build` output directory (DIR/oci, DIR/sbom) or an OCI layout.
  std::filesystem::path dir;
  /// The index.json ref name to push (`--ref`); empty: see SelectImages.
  std::string ref_name;
  /// Push each image's SBOM as a referrer.
  bool sboms = true;
  /// Also push the build output's disk images, squashfs and erofs files, each
  /// as an OCI artifact referring to its image, under a tag of its own
  /// ("<tag>-disk-<board>", "<tag>-squashfs-<arch>"; see file_artifacts.h).
  bool files = false;
  RegistryOptions registry;
  /// A file recording which repository of each registry received each blob,
  /// so a later push to another repository mounts instead of uploading;
  /// empty: no record (only `mount_from` is tried).
  std::filesystem::path mount_record;
  /// Repositories of the same registry to try mounting blobs from.
  std::vector<std::string> mount_from;
  /// Test hook: runs after each blob made present (uploaded, mounted or found).
  std::function<void(const oci::Descriptor&)> after_blob;
};

/// One tag pushed.
struct PublishedTag {
  std::string tag;
  oci::Descriptor descriptor;  ///< what the tag names (manifest or index)
};

/// One SBOM attached.
struct PublishedSbom {
  std::filesystem::path file;
  std::string subject;   ///< the image manifest (or index) digest
  std::string artifact;  ///< the artifact manifest digest
  /// The registry indexes subjects itself; false: the fallback tag was updated.
  bool referrers_api = false;
};

/// One output file pushed as an artifact.
struct PublishedFile {
  std::filesystem::path file;
  std::string subject;   ///< the image manifest (or index) digest
  std::string artifact;  ///< the artifact manifest digest
  std::string tag;       ///< the artifact's own tag
};

struct PublishReport {
  std::vector<PublishedTag> tags;
  std::vector<PublishedSbom> sboms;
  std::vector<PublishedFile> files;
  size_t blobs_existing = 0;
  size_t blobs_mounted = 0;
  size_t blobs_uploaded = 0;
  size_t manifests = 0;  ///< manifests and indexes PUT (artifacts and fallback indexes included)
  ClientStats client;
};

/// Pushes `options.dir` to `target` (registry/repository[:tag]; a digest is a
/// kUsage error). Which images and tags (SelectImages):
///   - `ref_name` given: that index.json entry, under target's tag (else ref_name);
///   - target has a tag: the one entry no other entry contains (cairn's
///     multi-arch "<name>" index), or index.json itself when no entry is named
///     (apko's layout), under that tag; several candidates are a kUsage error;
///   - no tag: every named entry under its own ref name.
Result<PublishReport> Publish(const Reference& target, const PublishOptions& options,
                              HttpTransport& transport, Reporter& reporter);

}  // namespace cairn::publish
