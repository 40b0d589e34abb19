#include "publish/local_layout.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cairn/digest.h"
#include "cairn/file_util.h"
#include "cairn/oci/layout.h"

namespace cairn::publish::internal {
namespace fs = std::filesystem;

bool IsIndexType(std::string_view t) {
  return t == oci::kMediaTypeIndex || t == kDockerManifestList;
}
bool IsManifestType(std::string_view t) {
  return t == oci::kMediaTypeManifest || t == kDockerManifest;
}

fs::path LocalLayout::BlobPath(const oci::Descriptor& d) const {
  return dir / "blobs" / "sha256" / d.Hex();
}

Result<oci::Descriptor> ParseDescriptor(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object())
    return IntegrityError(fmt::format("{}: a descriptor is not a JSON object", where));
  oci::Descriptor d;
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  d.media_type = str("mediaType");
  d.digest = str("digest");
  std::string_view hex = std::string_view(d.digest).substr(std::min<size_t>(7, d.digest.size()));
  if (d.digest.rfind("sha256:", 0) != 0 || hex.size() != 64 ||
      hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return IntegrityError(
        fmt::format("{}: unsupported or malformed digest '{}' (expected "
                    "sha256:<64 lowercase hex digits>)",
                    where, d.digest));
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_unsigned())
    return IntegrityError(fmt::format("{}: descriptor of {} has no valid size", where, d.digest));
  d.size = size->get<uint64_t>();
  if (d.media_type.empty())
    return IntegrityError(fmt::format("{}: descriptor of {} has no mediaType", where, d.digest));
  if (auto a = j.find("annotations"); a != j.end() && a->is_object())
    for (const auto& [k, v] : a->items())
      if (v.is_string()) d.annotations[k] = v.get<std::string>();
  return d;
}

Result<LocalLayout> OpenLocalLayout(const fs::path& dir) {
  LocalLayout layout;
  std::error_code ec;
  if (fs::exists(dir / "oci" / "oci-layout", ec)) {
    layout.dir = dir / "oci";
    if (fs::is_directory(dir / "sbom", ec)) layout.sbom_dir = dir / "sbom";
  } else if (fs::exists(dir / "oci-layout", ec)) {
    layout.dir = dir;
  } else {
    return NotFoundError(fmt::format("'{}' is neither a cairn build output (with oci/) nor an OCI "
                                     "image layout (no oci-layout file)",
                                     dir.string()))
        .Hint("build the image first: cairn build FILE -o DIR");
  }
  CAIRN_ASSIGN_OR_RETURN(std::string marker, ReadFile(layout.dir / "oci-layout"));
  nlohmann::json m = nlohmann::json::parse(marker, nullptr, false);
  if (m.is_discarded() || !m.is_object() || m.value("imageLayoutVersion", "") != "1.0.0")
    return IntegrityError(fmt::format("'{}' is not an OCI layout of version 1.0.0",
                                      (layout.dir / "oci-layout").string()));
  std::string where = (layout.dir / "index.json").string();
  CAIRN_ASSIGN_OR_RETURN(layout.index_json, ReadFile(layout.dir / "index.json"));
  nlohmann::json index = nlohmann::json::parse(layout.index_json, nullptr, false);
  if (index.is_discarded() || !index.is_object() || !index.contains("manifests") ||
      !index["manifests"].is_array())
    return IntegrityError(
        fmt::format("'{}' is not an image index (no \"manifests\" array)", where));
  for (const auto& e : index["manifests"]) {
    CAIRN_ASSIGN_OR_RETURN(oci::Descriptor d, ParseDescriptor(e, where));
    layout.entries.push_back(std::move(d));
  }
  if (layout.entries.empty()) return NotFoundError(fmt::format("'{}' lists no image", where));
  return layout;
}

Result<std::string> ReadVerifiedBlob(const LocalLayout& layout, const oci::Descriptor& d) {
  fs::path path = layout.BlobPath(d);
  auto bytes = ReadFile(path);
  if (!bytes.ok())
    return NotFoundError(fmt::format("{} {} is missing from the layout ('{}')", d.media_type,
                                     d.digest, path.string()));
  if (bytes->size() != d.size)
    return IntegrityError(fmt::format("blob '{}' holds {} bytes but its descriptor says {}",
                                      path.string(), bytes->size(), d.size));
  std::string actual = "sha256:" + Sha256Hex(*bytes);
  if (actual != d.digest)
    return IntegrityError(fmt::format("blob '{}' hashes to {}, not {}: the layout is corrupt",
                                      path.string(), actual, d.digest));
  return std::move(bytes).value();
}

}  // namespace cairn::publish::internal
