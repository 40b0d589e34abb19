// Publish: plan from the layout, then blobs, manifests, SBOM artifacts and
// the referrers fallback, tags last (publish.h has the contract).
#include "cairn/publish/publish.h"

#include <fmt/format.h>

#include <map>
#include <system_error>

#include "cairn/byte_size.h"
#include "cairn/digest.h"
#include "publish/file_artifacts.h"
#include "publish/local_layout.h"
#include "publish/mount_record.h"
#include "publish/push_plan.h"
#include "publish/sbom_artifact.h"

namespace cairn::publish {
namespace {

using internal::ManifestNode;
using internal::Artifact;
using internal::SbomFile;

class Publisher {
 public:
  Publisher(const Reference& target, const PublishOptions& options,
            const internal::LocalLayout& layout, HttpTransport& transport, Reporter& reporter)
      : target_(target),
        options_(options),
        layout_(layout),
        reporter_(reporter),
        client_(target, options.registry, transport, reporter),
        record_(internal::MountRecord::Load(options.mount_record)) {}

  Result<PublishReport> Run(const internal::PushPlan& plan, const std::vector<SbomFile>& sboms) {
    Status pushed = Push(plan, sboms);
    // Whatever reached the registry is worth remembering, even when a later step failed.
    if (Status saved = record_.Save(); !saved.ok())
      reporter_.Warn(fmt::format("cannot update the mount record: {}", saved.error().Render()));
    CAIRN_TRY(pushed);
    report_.client = client_.stats();
    return report_;
  }

 private:
  Status Push(const internal::PushPlan& plan, const std::vector<SbomFile>& sboms) {
    CAIRN_TRY(client_.Ping());
    CAIRN_TRY(PushBlobs(plan));
    for (const auto& m : plan.manifests) CAIRN_TRY(PutByDigest(m));
    for (const auto& sbom : sboms) CAIRN_TRY(AttachSbom(plan, sbom));
    if (options_.files && !layout_.sbom_dir.empty())
      for (const auto& file : internal::FindOutputFiles(options_.dir))
        CAIRN_TRY(PushFile(plan, file));
    for (const auto& t : plan.tags) {
      CAIRN_TRY(client_.PutManifest(t.tag, t.root.descriptor.media_type, t.root.bytes));
      ++report_.manifests;
      report_.tags.push_back({t.tag, t.root.descriptor});
      reporter_.Info(
          fmt::format("tagged {}:{} -> {}", target_.repository, t.tag, t.root.descriptor.digest));
    }
    reporter_.Info(
        fmt::format("{} blobs: {} uploaded ({}), {} already there, {} mounted; {} manifests",
                    plan.blobs.size(), report_.blobs_uploaded, FormatSize(uploaded_bytes_),
                    report_.blobs_existing, report_.blobs_mounted, report_.manifests));
    return {};
  }

  Status PushBlobs(const internal::PushPlan& plan) {
    const size_t n = plan.blobs.size();
    for (size_t i = 0; i < n; ++i) {
      const oci::Descriptor& blob = plan.blobs[i];
      std::vector<std::string> from =
          record_.SourcesFor(target_.registry, blob.digest, target_.repository);
      for (const auto& r : options_.mount_from)
        if (r != target_.repository) from.push_back(r);
      auto outcome = client_.PushBlob(blob, layout_.BlobPath(blob), from);
      if (!outcome.ok())
        return std::move(outcome).error().Context(
            fmt::format("pushing blob {} to '{}'", blob.digest, target_.ToString()));
      Count(*outcome, blob, i + 1, n);
      record_.Note(target_.registry, blob.digest, target_.repository);
      if (options_.after_blob) options_.after_blob(blob);
    }
    return {};
  }

  void Count(BlobOutcome outcome, const oci::Descriptor& blob, size_t i, size_t n) {
    const char* action = "uploaded";
    switch (outcome) {
      case BlobOutcome::kExisted:
        ++report_.blobs_existing;
        action = "exists";
        break;
      case BlobOutcome::kMounted:
        ++report_.blobs_mounted;
        action = "mounted";
        break;
      case BlobOutcome::kUploaded:
        ++report_.blobs_uploaded;
        uploaded_bytes_ += blob.size;
        break;
    }
    reporter_.Progress(i, n, action, fmt::format("{} ({})", blob.digest, FormatSize(blob.size)));
  }

  Status PutByDigest(const ManifestNode& m) {
    auto put = client_.PutManifest(m.descriptor.digest, m.descriptor.media_type, m.bytes);
    if (!put.ok()) return std::move(put).error();
    ++report_.manifests;
    reporter_.Verbose(fmt::format("pushed {} {}", m.descriptor.media_type, m.descriptor.digest));
    return {};
  }

  Status AttachSbom(const internal::PushPlan& plan, const SbomFile& sbom) {
    const ManifestNode* subject = nullptr;
    for (const auto& m : plan.manifests)
      if (m.descriptor.digest == sbom.describes) subject = &m;
    if (!subject) {
      reporter_.Verbose(fmt::format("{} describes {}, which is not being pushed",
                                    sbom.path.string(), sbom.describes));
      return {};
    }
    std::string what = fmt::format("attaching SBOM '{}' to {}", sbom.path.string(), sbom.describes);
    CAIRN_ASSIGN_OR_RETURN(Artifact a, internal::MakeSbomArtifact(sbom, subject->descriptor));
    CAIRN_TRY_CTX(client_.PushBlobBytes(a.config, internal::kEmptyJson), what);
    CAIRN_TRY_CTX(client_.PushBlob(a.layer, sbom.path), what);
    auto put = client_.PutManifest(a.manifest.descriptor.digest, a.manifest.descriptor.media_type,
                                   a.manifest.bytes);
    if (!put.ok()) return std::move(put).error().Context(what);
    ++report_.manifests;
    PublishedSbom published{sbom.path, sbom.describes, a.manifest.descriptor.digest,
                            put->subject_indexed};
    if (!put->subject_indexed) CAIRN_TRY_CTX(UpdateReferrersTag(sbom.describes, a), what);
    reporter_.Info(fmt::format("attached {} to {} as {}{}", sbom.path.filename().string(),
                               sbom.describes, published.artifact,
                               published.referrers_api ? "" : " (referrers tag)"));
    report_.sboms.push_back(std::move(published));
    return {};
  }

  /// One output file as an artifact of the image whose tag it belongs to.
  Status PushFile(const internal::PushPlan& plan, const internal::OutputFile& file) {
    const internal::SelectedImage* image = plan.tags.size() == 1 ? &plan.tags[0] : nullptr;
    for (const auto& t : plan.tags)
      if (!image && t.tag.size() > file.target.size() &&
          t.tag.compare(t.tag.size() - file.target.size() - 1, std::string::npos,
                        "-" + file.target) == 0)
        image = &t;
    if (!image) {
      reporter_.Verbose(fmt::format("'{}' belongs to no image being pushed", file.path.string()));
      return {};
    }
    const std::string tag = internal::ArtifactTag(file, image->tag, plan.tags.size());
    std::string what = fmt::format("pushing '{}' as {}:{}", file.path.string(),
                                   target_.repository, tag);
    if (!IsValidTag(tag))
      return UsageError(fmt::format("'{}' is not a valid tag", tag)).Context(what);
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(file.path, ec);
    if (ec) return IoError(fmt::format("cannot read '{}': {}", file.path.string(), ec.message()));
    CAIRN_ASSIGN_OR_RETURN(std::string hex, Sha256FileHex(file.path.string()));
    oci::Descriptor layer{file.artifact_type, "sha256:" + hex, size, std::nullopt,
                          {{"org.opencontainers.image.title", file.path.filename().string()}}};
    CAIRN_ASSIGN_OR_RETURN(Artifact a, internal::MakeArtifact(file.artifact_type, layer,
                                                              image->root.descriptor, ""));
    CAIRN_TRY_CTX(client_.PushBlobBytes(a.config, internal::kEmptyJson), what);
    CAIRN_TRY_CTX(client_.PushBlob(a.layer, file.path), what);
    auto put = client_.PutManifest(a.manifest.descriptor.digest, a.manifest.descriptor.media_type,
                                   a.manifest.bytes);
    if (!put.ok()) return std::move(put).error().Context(what);
    if (!put->subject_indexed)
      CAIRN_TRY_CTX(UpdateReferrersTag(image->root.descriptor.digest, a), what);
    CAIRN_TRY_CTX(client_.PutManifest(tag, a.manifest.descriptor.media_type, a.manifest.bytes),
                  what);
    report_.manifests += 2;
    reporter_.Info(fmt::format("pushed {} ({}) as {}:{}", file.path.filename().string(),
                               FormatSize(size), target_.repository, tag));
    report_.files.push_back({file.path, image->root.descriptor.digest,
                             a.manifest.descriptor.digest, tag});
    return {};
  }

  /// OCI 1.1 referrers tag schema: for a registry that does not index
  /// `subject`, the index at tag sha256-<hex> lists the referrers.
  Status UpdateReferrersTag(const std::string& subject, const Artifact& a) {
    std::string tag = internal::ReferrersTag(subject);
    CAIRN_ASSIGN_OR_RETURN(auto existing, client_.GetManifest(tag));
    std::optional<std::string> current;
    if (existing) current = existing->bytes;
    CAIRN_ASSIGN_OR_RETURN(auto updated, internal::AddReferrer(current, a));
    if (!updated) return {};
    CAIRN_TRY(client_.PutManifest(tag, oci::kMediaTypeIndex, *updated));
    ++report_.manifests;
    return {};
  }

  const Reference& target_;
  const PublishOptions& options_;
  const internal::LocalLayout& layout_;
  Reporter& reporter_;
  RegistryClient client_;
  internal::MountRecord record_;
  PublishReport report_;
  uint64_t uploaded_bytes_ =
      0;  ///< of the image's blobs (the client's count adds SBOMs and retries)
};

}  // namespace

Result<PublishReport> Publish(const Reference& target, const PublishOptions& options,
                              HttpTransport& transport, Reporter& reporter) {
  if (!target.digest.empty())
    return UsageError(
        fmt::format("cannot publish to '{}': a reference to push to names a tag, "
                    "not a digest",
                    target.ToString()));
  CAIRN_ASSIGN_OR_RETURN(internal::LocalLayout layout, internal::OpenLocalLayout(options.dir));
  CAIRN_ASSIGN_OR_RETURN(auto images, internal::SelectImages(layout, target, options.ref_name));
  CAIRN_ASSIGN_OR_RETURN(internal::PushPlan plan, internal::PlanPush(layout, images));
  std::vector<SbomFile> sboms;
  if (options.sboms && !layout.sbom_dir.empty()) {
    CAIRN_ASSIGN_OR_RETURN(sboms, internal::FindSboms(layout.sbom_dir));
  }
  Step step(reporter, fmt::format("pushing {} to {}", options.dir.string(), target.ToString()));
  Publisher publisher(target, options, layout, transport, reporter);
  CAIRN_ASSIGN_OR_RETURN(PublishReport report, publisher.Run(plan, sboms));
  step.Done();
  return report;
}

}  // namespace cairn::publish
