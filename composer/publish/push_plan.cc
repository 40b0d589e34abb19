#include "publish/push_plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "cairn/digest.h"

namespace cairn::publish::internal {
namespace {

std::string RefName(const oci::Descriptor& d) {
  auto it = d.annotations.find(oci::kAnnotationRefName);
  return it == d.annotations.end() ? "" : it->second;
}

Result<nlohmann::json> ParseJson(const ManifestNode& node) {
  nlohmann::json j = nlohmann::json::parse(node.bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return IntegrityError(fmt::format("{} {} is not a JSON object", node.descriptor.media_type,
                                      node.descriptor.digest));
  // A document that names another media type than its descriptor would be
  // served with the wrong Content-Type.
  if (auto t = j.find("mediaType");
      t != j.end() && t->is_string() && *t != node.descriptor.media_type)
    return IntegrityError(fmt::format("{} says its mediaType is '{}' but it is listed as '{}'",
                                      node.descriptor.digest, t->get<std::string>(),
                                      node.descriptor.media_type));
  return j;
}

/// The digests an index entry reaches through nested indexes (not itself).
Result<std::set<std::string>> Contained(const LocalLayout& layout, const oci::Descriptor& d,
                                        int depth) {
  std::set<std::string> out;
  if (!IsIndexType(d.media_type)) return out;
  if (depth > 8)
    return IntegrityError(fmt::format("indexes nest deeper than 8 below {}", d.digest));
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, ReadVerifiedBlob(layout, d));
  CAIRN_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson({d, bytes}));
  if (!j.contains("manifests") || !j["manifests"].is_array()) return out;
  for (const auto& e : j["manifests"]) {
    CAIRN_ASSIGN_OR_RETURN(oci::Descriptor child, ParseDescriptor(e, d.digest));
    out.insert(child.digest);
    CAIRN_ASSIGN_OR_RETURN(auto below, Contained(layout, child, depth + 1));
    out.insert(below.begin(), below.end());
  }
  return out;
}

Result<ManifestNode> ReadNode(const LocalLayout& layout, oci::Descriptor d) {
  if (!IsIndexType(d.media_type) && !IsManifestType(d.media_type))
    return UsageError(
        fmt::format("{} is a '{}', not an image manifest or index", d.digest, d.media_type));
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, ReadVerifiedBlob(layout, d));
  d.annotations.erase(oci::kAnnotationRefName);  // only meaningful inside index.json
  return ManifestNode{std::move(d), std::move(bytes)};
}

Result<std::vector<SelectedImage>> SelectByRef(const LocalLayout& layout, const Reference& target,
                                               std::string_view ref_name,
                                               const std::vector<std::string>& names) {
  for (const auto& e : layout.entries) {
    if (RefName(e) != ref_name) continue;
    std::string tag = target.tag.empty() ? std::string(ref_name) : target.tag;
    if (!IsValidTag(tag))
      return UsageError(
          fmt::format("ref '{}' is not a valid registry tag; name one in the "
                      "reference (REPO:TAG)",
                      ref_name));
    CAIRN_ASSIGN_OR_RETURN(ManifestNode node, ReadNode(layout, e));
    return std::vector<SelectedImage>{{tag, std::move(node)}};
  }
  return NotFoundError(fmt::format(
      "'{}' has no image named '{}' (it has: {})", (layout.dir / "index.json").string(), ref_name,
      names.empty() ? "no named image" : fmt::format("{}", fmt::join(names, ", "))));
}

}  // namespace

Result<std::vector<SelectedImage>> SelectImages(const LocalLayout& layout, const Reference& target,
                                                std::string_view ref_name) {
  std::vector<std::string> names;
  for (const auto& e : layout.entries)
    if (!RefName(e).empty()) names.push_back(RefName(e));
  if (!ref_name.empty()) return SelectByRef(layout, target, ref_name, names);

  if (target.tag.empty()) {
    if (names.size() != layout.entries.size())
      return UsageError(
                 fmt::format("'{}' has images without a ref name, so they have no tag to go to",
                             (layout.dir / "index.json").string()))
          .Hint("name the tag in the reference (REPO:TAG)");
    std::vector<SelectedImage> out;
    for (const auto& e : layout.entries) {
      if (!IsValidTag(RefName(e)))
        return UsageError(fmt::format("ref '{}' is not a valid registry tag", RefName(e)))
            .Hint("push it with --ref NAME and a tag in the reference (REPO:TAG)");
      CAIRN_ASSIGN_OR_RETURN(ManifestNode node, ReadNode(layout, e));
      out.push_back({RefName(e), std::move(node)});
    }
    return out;
  }

  if (names.empty() && layout.entries.size() > 1) {
    // apko's layout: index.json is itself the multi-arch index.
    ManifestNode node{{oci::kMediaTypeIndex,
                       "sha256:" + Sha256Hex(layout.index_json),
                       layout.index_json.size(),
                       std::nullopt,
                       {}},
                      layout.index_json};
    return std::vector<SelectedImage>{{target.tag, std::move(node)}};
  }
  std::set<std::string> contained;
  for (const auto& e : layout.entries) {
    CAIRN_ASSIGN_OR_RETURN(auto below, Contained(layout, e, 0));
    contained.insert(below.begin(), below.end());
  }
  std::vector<const oci::Descriptor*> roots;
  for (const auto& e : layout.entries)
    if (!contained.count(e.digest)) roots.push_back(&e);
  if (roots.size() != 1) {
    std::vector<std::string> root_names;
    for (const auto* r : roots) root_names.push_back(RefName(*r).empty() ? r->digest : RefName(*r));
    return UsageError(fmt::format("'{}' holds {} separate images ({}); choose one with --ref NAME",
                                  (layout.dir / "index.json").string(), roots.size(),
                                  fmt::join(root_names, ", ")))
        .Hint("or leave the tag out of the reference to push each image under its own name");
  }
  CAIRN_ASSIGN_OR_RETURN(ManifestNode node, ReadNode(layout, *roots.front()));
  return std::vector<SelectedImage>{{target.tag, std::move(node)}};
}

namespace {

class Walker {
 public:
  explicit Walker(const LocalLayout& layout, PushPlan& plan) : layout_(layout), plan_(plan) {}

  Status Walk(const ManifestNode& node, int depth) {
    if (done_.count(node.descriptor.digest)) return {};
    if (depth > 8)
      return IntegrityError(
          fmt::format("indexes nest deeper than 8 at {}", node.descriptor.digest));
    CAIRN_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(node));
    const std::string& where = node.descriptor.digest;
    if (IsIndexType(node.descriptor.media_type)) {
      if (!j.contains("manifests") || !j["manifests"].is_array())
        return IntegrityError(fmt::format("index {} has no \"manifests\" array", where));
      for (const auto& e : j["manifests"]) {
        CAIRN_ASSIGN_OR_RETURN(oci::Descriptor child, ParseDescriptor(e, where));
        CAIRN_ASSIGN_OR_RETURN(ManifestNode child_node, ReadNode(layout_, std::move(child)));
        CAIRN_TRY(Walk(child_node, depth + 1));
      }
    } else {
      if (!j.contains("config"))
        return IntegrityError(fmt::format("manifest {} has no config", where));
      CAIRN_ASSIGN_OR_RETURN(oci::Descriptor config, ParseDescriptor(j["config"], where));
      AddBlob(std::move(config));
      if (j.contains("layers") && !j["layers"].is_array())
        return IntegrityError(fmt::format("manifest {}: \"layers\" is not an array", where));
      for (const auto& l : j.value("layers", nlohmann::json::array())) {
        CAIRN_ASSIGN_OR_RETURN(oci::Descriptor layer, ParseDescriptor(l, where));
        AddBlob(std::move(layer));
      }
    }
    done_.insert(node.descriptor.digest);
    plan_.manifests.push_back(node);
    return {};
  }

 private:
  void AddBlob(oci::Descriptor d) {
    if (blobs_.insert(d.digest).second) plan_.blobs.push_back(std::move(d));
  }

  const LocalLayout& layout_;
  PushPlan& plan_;
  std::set<std::string> done_;
  std::set<std::string> blobs_;
};

}  // namespace

Result<PushPlan> PlanPush(const LocalLayout& layout, const std::vector<SelectedImage>& images) {
  PushPlan plan;
  Walker walker(layout, plan);
  for (const auto& image : images) {
    CAIRN_TRY(walker.Walk(image.root, 0));
    plan.tags.push_back(image);
  }
  return plan;
}

}  // namespace cairn::publish::internal
