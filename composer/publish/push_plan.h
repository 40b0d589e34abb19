// Private to publish: which images of a layout go to which tags, and the
// ordered list of what pushing them takes.
//
//   CAIRN_ASSIGN_OR_RETURN(auto roots, SelectImages(layout, target, ref_name));
//   CAIRN_ASSIGN_OR_RETURN(auto plan, PlanPush(layout, roots));
// The plan lists blobs (configs, layers) first, then manifests and indexes
// with every child before its parent, each once, so a registry that checks
// references (docker-registry does) finds them all present.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/oci/descriptor.h"
#include "cairn/publish/reference.h"
#include "publish/local_layout.h"

namespace cairn::publish::internal {

/// A manifest or index and its bytes (already verified).
struct ManifestNode {
  oci::Descriptor descriptor;
  std::string bytes;
};

/// An image chosen for a tag.
struct SelectedImage {
  std::string tag;
  ManifestNode root;
};

struct PushPlan {
  std::vector<oci::Descriptor> blobs;
  std::vector<ManifestNode> manifests;  ///< children first; tagged roots included
  std::vector<SelectedImage> tags;
};

/// The images to push and their tags (the rules are in publish.h).
Result<std::vector<SelectedImage>> SelectImages(const LocalLayout& layout, const Reference& target,
                                                std::string_view ref_name);

/// Walks every selected image down to its blobs.
Result<PushPlan> PlanPush(const LocalLayout& layout, const std::vector<SelectedImage>& images);

}  // namespace cairn::publish::internal
