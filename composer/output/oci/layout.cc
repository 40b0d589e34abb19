// OciLayoutWriter: blobs, images, indexes and the index.json of a layout.
#include "cairn/oci/layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "blob_file.h"
#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "image_json.h"

namespace cairn::oci {
namespace {

using nlohmann::json;

constexpr const char* kLayoutVersion = "1.0.0";

Status CheckLayoutFile(const std::filesystem::path& file) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::string version;
  if (j.is_object() && j.contains("imageLayoutVersion") && j["imageLayoutVersion"].is_string())
    version = j["imageLayoutVersion"].get<std::string>();
  if (version != kLayoutVersion)
    return IntegrityError(fmt::format("'{}' has imageLayoutVersion '{}' (expected '{}')",
                                      file.string(), version, kLayoutVersion));
  return {};
}

// "amd64", "armv7": the architecture part of a per-arch ref name.
std::string ArchRefSuffix(const Platform& p) { return p.architecture + p.variant; }

}  // namespace

Result<OciLayoutWriter> OciLayoutWriter::Open(const std::filesystem::path& dir) {
  OciLayoutWriter w(dir);
  CAIRN_TRY(MakeDirs(dir / "blobs" / "sha256"));
  std::error_code ec;
  const auto layout_file = dir / "oci-layout";
  if (std::filesystem::exists(layout_file, ec)) {
    CAIRN_TRY(CheckLayoutFile(layout_file));
  } else {
    CAIRN_TRY(WriteFileAtomic(
        layout_file, fmt::format("{{\"imageLayoutVersion\":\"{}\"}}", kLayoutVersion)));
  }
  const auto index_file = dir / "index.json";
  if (std::filesystem::exists(index_file, ec)) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(index_file));
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("manifests") || !j["manifests"].is_array())
      return IntegrityError(
          fmt::format("'{}' is not an image index (expected a \"manifests\" array)",
                      index_file.string()));
    for (const json& entry : j["manifests"]) {
      auto d = internal::DescriptorFromJson(entry);
      if (!d.ok()) return std::move(d).error().Context(fmt::format("reading '{}'", index_file.string()));
      auto ref = d->annotations.find(kAnnotationRefName);
      if (ref == d->annotations.end()) {
        w.unnamed_.push_back(std::move(*d));
      } else {
        std::string name = ref->second;
        w.refs_.insert_or_assign(std::move(name), std::move(*d));
      }
    }
  }
  return w;
}

std::filesystem::path OciLayoutWriter::BlobPath(std::string_view digest) const {
  size_t colon = digest.find(':');
  return dir_ / "blobs" / "sha256" /
         std::string(colon == std::string_view::npos ? digest : digest.substr(colon + 1));
}

Result<Descriptor> OciLayoutWriter::AddBlob(std::string_view bytes,
                                            std::string_view media_type) const {
  std::string hex = Sha256Hex(bytes);
  CAIRN_ASSIGN_OR_RETURN(internal::BlobFile blob, internal::BlobFile::Create(dir_));
  CAIRN_TRY(blob.Write(bytes.data(), bytes.size()));
  CAIRN_TRY(blob.Commit(hex));
  Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = "sha256:" + hex;
  d.size = bytes.size();
  return d;
}

Result<Descriptor> OciLayoutWriter::AddJsonBlob(const json& value,
                                                std::string_view media_type) const {
  CAIRN_ASSIGN_OR_RETURN(std::string text, CanonicalJson(value));
  return AddBlob(text, media_type);
}

Result<LayerResult> OciLayoutWriter::AddLayer(const rootfs::Tree& tree,
                                              const LayerOptions& options) const {
  return WriteLayerTar(tree, dir_, options);
}

Result<ImageResult> OciLayoutWriter::AddImage(const ImageConfigSpec& spec,
                                              const std::vector<LayerResult>& layers) const {
  ImageResult image;
  image.apk_arch = spec.arch;
  CAIRN_ASSIGN_OR_RETURN(image.platform, PlatformForApkArch(spec.arch));
  for (const LayerResult& l : layers) {
    Descriptor d;
    d.media_type = kMediaTypeLayerGzip;
    d.digest = l.digest;
    d.size = l.size;
    image.layers.push_back(std::move(d));
    image.diff_ids.push_back(l.diff_id);
  }
  CAIRN_ASSIGN_OR_RETURN(
      image.config,
      AddJsonBlob(internal::ImageConfigJson(spec, image.platform, image.diff_ids),
                  kMediaTypeConfig));
  std::map<std::string, std::string> annotations = spec.annotations;
  annotations[kAnnotationCreated] = Rfc3339(spec.epoch);
  CAIRN_ASSIGN_OR_RETURN(
      image.manifest,
      AddJsonBlob(internal::ManifestJson(image.config, image.layers, annotations),
                  kMediaTypeManifest));
  image.manifest.platform = image.platform;
  return image;
}

Result<Descriptor> OciLayoutWriter::AddIndex(
    const std::vector<ImageResult>& images,
    const std::map<std::string, std::string>& annotations) const {
  std::vector<const ImageResult*> sorted;
  for (const auto& img : images) sorted.push_back(&img);
  auto key = [](const ImageResult* i) {
    return std::tie(i->platform.architecture, i->platform.variant);
  };
  std::sort(sorted.begin(), sorted.end(),
            [&](const ImageResult* a, const ImageResult* b) { return key(a) < key(b); });
  std::vector<Descriptor> manifests;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0 && key(sorted[i]) == key(sorted[i - 1]))
      return UsageError(fmt::format("two images for platform '{}' in one index",
                                    sorted[i]->platform.ToString()));
    Descriptor d = sorted[i]->manifest;
    d.platform = sorted[i]->platform;
    d.annotations.clear();
    manifests.push_back(std::move(d));
  }
  return AddJsonBlob(internal::IndexJson(manifests, annotations), kMediaTypeIndex);
}

Status OciLayoutWriter::Tag(std::string_view ref, Descriptor descriptor) {
  CAIRN_TRY(ValidateRefName(ref));
  descriptor.annotations[kAnnotationRefName] = std::string(ref);
  refs_.insert_or_assign(std::string(ref), std::move(descriptor));
  return {};
}

Result<Descriptor> OciLayoutWriter::TagImages(std::string_view ref,
                                              const std::vector<ImageResult>& images,
                                              const TagOptions& options) {
  if (images.empty())
    return UsageError(fmt::format("no images to tag as '{}'", ref));
  CAIRN_TRY(ValidateRefName(ref));
  Descriptor tagged;
  if (images.size() == 1 && !options.index_for_single) {
    tagged = images[0].manifest;
  } else {
    CAIRN_ASSIGN_OR_RETURN(tagged, AddIndex(images, options.index_annotations));
  }
  CAIRN_TRY(Tag(ref, tagged));
  if (options.per_arch_refs && (images.size() > 1 || options.index_for_single)) {
    for (const ImageResult& img : images)
      CAIRN_TRY(Tag(fmt::format("{}-{}", ref, ArchRefSuffix(img.platform)), img.manifest));
  }
  tagged.annotations[kAnnotationRefName] = std::string(ref);
  return tagged;
}

Status OciLayoutWriter::Commit() {
  std::vector<Descriptor> entries = unnamed_;
  for (const auto& [name, d] : refs_) entries.push_back(d);
  CAIRN_ASSIGN_OR_RETURN(std::string text, CanonicalJson(internal::IndexJson(entries, {})));
  CAIRN_TRY(WriteFileAtomic(dir_ / "index.json", text));
  return SyncDir(dir_);
}

}  // namespace cairn::oci
