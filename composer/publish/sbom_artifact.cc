#include "publish/sbom_artifact.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/oci/layout.h"
#include "cairn/publish/publish.h"

namespace cairn::publish::internal {
namespace fs = std::filesystem;
namespace {

constexpr const char* kAnnotationTitle = "org.opencontainers.image.title";

/// The SHA256 checksum of the package the document describes.
std::string DescribedDigest(const nlohmann::json& doc) {
  auto d = doc.find("documentDescribes");
  auto p = doc.find("packages");
  if (d == doc.end() || !d->is_array() || d->empty() || !(*d)[0].is_string() || p == doc.end() ||
      !p->is_array())
    return "";
  std::string id = (*d)[0];
  for (const auto& pkg : *p) {
    if (!pkg.is_object() || pkg.value("SPDXID", "") != id) continue;
    for (const auto& c : pkg.value("checksums", nlohmann::json::array()))
      if (c.is_object() && c.value("algorithm", "") == "SHA256")
        return "sha256:" + c.value("checksumValue", "");
  }
  return "";
}

nlohmann::json DescriptorJson(const oci::Descriptor& d) {
  nlohmann::json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

}  // namespace

Result<std::vector<SbomFile>> FindSboms(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() > 10 && name.substr(name.size() - 10) == ".spdx.json")
      files.push_back(e.path());
  }
  if (ec) return ErrnoError(fmt::format("cannot list '{}'", dir.string()), ec.value());
  std::sort(files.begin(), files.end());
  std::vector<SbomFile> out;
  for (const auto& path : files) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
      return IntegrityError(fmt::format("SBOM '{}' is not a JSON document", path.string()));
    SbomFile f{path, DescribedDigest(doc), "", text.size(), "sha256:" + Sha256Hex(text)};
    if (f.describes.size() != 71)
      return IntegrityError(
          fmt::format("SBOM '{}' describes no image: its documentDescribes "
                      "package has no SHA256 checksum",
                      path.string()));
    if (auto ci = doc.find("creationInfo"); ci != doc.end() && ci->is_object())
      f.created = ci->value("created", "");
    out.push_back(std::move(f));
  }
  return out;
}

Result<Artifact> MakeArtifact(const std::string& artifact_type, oci::Descriptor layer,
                              const oci::Descriptor& subject, const std::string& created) {
  Artifact a;
  a.artifact_type = artifact_type;
  a.config = {kMediaTypeEmpty, "sha256:" + Sha256Hex(kEmptyJson), 2, std::nullopt, {}};
  a.layer = std::move(layer);
  nlohmann::json m = {
      {"schemaVersion", 2},
      {"mediaType", oci::kMediaTypeManifest},
      {"artifactType", artifact_type},
      {"config", DescriptorJson(a.config)},
      {"layers", nlohmann::json::array({DescriptorJson(a.layer)})},
      {"subject",
       DescriptorJson({subject.media_type, subject.digest, subject.size, std::nullopt, {}})}};
  // The build's own time (the epoch), not the push's, keeps the artifact reproducible.
  if (!created.empty()) m["annotations"] = {{oci::kAnnotationCreated, created}};
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, oci::CanonicalJson(m));
  a.manifest.descriptor = {
      oci::kMediaTypeManifest, "sha256:" + Sha256Hex(bytes), bytes.size(), std::nullopt, {}};
  if (!created.empty()) a.manifest.descriptor.annotations[oci::kAnnotationCreated] = created;
  a.manifest.bytes = std::move(bytes);
  return a;
}

Result<Artifact> MakeSbomArtifact(const SbomFile& sbom, const oci::Descriptor& subject) {
  return MakeArtifact(kSpdxArtifactType,
                      {kSpdxArtifactType,
                       sbom.digest,
                       sbom.size,
                       std::nullopt,
                       {{kAnnotationTitle, sbom.path.filename().string()}}},
                      subject, sbom.created);
}

std::string ReferrersTag(const std::string& digest) {
  std::string tag = digest;
  std::replace(tag.begin(), tag.end(), ':', '-');
  return tag;
}

Result<std::optional<std::string>> AddReferrer(const std::optional<std::string>& existing,
                                               const Artifact& artifact) {
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", oci::kMediaTypeIndex},
                          {"manifests", nlohmann::json::array()}};
  if (existing) {
    index = nlohmann::json::parse(*existing, nullptr, false);
    if (index.is_discarded() || !index.is_object() || !index.contains("manifests") ||
        !index["manifests"].is_array())
      return IntegrityError("the referrers tag holds something other than an image index");
    for (const auto& m : index["manifests"])
      if (m.is_object() && m.value("digest", "") == artifact.manifest.descriptor.digest)
        return std::optional<std::string>();
  }
  nlohmann::json entry = DescriptorJson(artifact.manifest.descriptor);
  entry["artifactType"] = artifact.artifact_type;
  index["manifests"].push_back(std::move(entry));
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, oci::CanonicalJson(index));
  return std::optional<std::string>(std::move(bytes));
}

}  // namespace cairn::publish::internal
