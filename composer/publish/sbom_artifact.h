// Private to publish: SBOMs as OCI 1.1 artifacts that refer to their image.
//
// FindSboms reads DIR/sbom/*.spdx.json and learns which manifest (or index)
// each describes from the document itself: the SHA256 checksum of the
// package in documentDescribes, which `cairn build` (and apko) set to the
// image's manifest digest, whatever the file is called (sbom-<arch> or
// sbom-<board>). MakeSbomArtifact wraps one in an artifact manifest
// (artifactType application/spdx+json, the empty config, the SBOM as its one
// layer, `subject` = the image) and AddReferrer maintains the referrers tag
// schema's index for registries without the referrers API.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cairn/oci/descriptor.h"
#include "cairn/result.h"
#include "publish/push_plan.h"

namespace cairn::publish::internal {

/// The empty JSON object "{}": the config of an artifact manifest.
inline constexpr const char* kEmptyJson = "{}";
inline constexpr const char* kMediaTypeEmpty = "application/vnd.oci.empty.v1+json";

struct SbomFile {
  std::filesystem::path path;
  std::string describes;  ///< "sha256:<hex>" of the image the document describes
  std::string created;    ///< creationInfo.created, for the artifact's created annotation
  uint64_t size = 0;
  std::string digest;  ///< of the file's bytes
};

/// Every *.spdx.json of `dir`, sorted by name; a document that is not JSON
/// or names no described digest is a kIntegrity error naming the file.
Result<std::vector<SbomFile>> FindSboms(const std::filesystem::path& dir);

/// An OCI 1.1 artifact: one file that refers to an image.
struct Artifact {
  std::string artifact_type;
  oci::Descriptor config;  ///< the empty JSON blob
  oci::Descriptor layer;   ///< the file
  ManifestNode manifest;   ///< the artifact manifest (canonical JSON)
};

/// The artifact manifest of `layer` (a descriptor of the file, whose media
/// type is `artifact_type`, titled with its file name) with `subject` as its
/// subject; `created` (may be empty) becomes the created annotation.
Result<Artifact> MakeArtifact(const std::string& artifact_type, oci::Descriptor layer,
                              const oci::Descriptor& subject, const std::string& created);

/// The artifact manifest for `sbom` with `subject` as its subject.
Result<Artifact> MakeSbomArtifact(const SbomFile& sbom, const oci::Descriptor& subject);

/// The tag of the referrers tag schema for `digest`: "sha256-<hex>".
std::string ReferrersTag(const std::string& digest);

/// `existing` (the index at the referrers tag, if any) with `artifact`
/// appended; nullopt when it already lists it. An existing document that is
/// not an image index is a kIntegrity error.
Result<std::optional<std::string>> AddReferrer(const std::optional<std::string>& existing,
                                               const Artifact& artifact);

}  // namespace cairn::publish::internal
