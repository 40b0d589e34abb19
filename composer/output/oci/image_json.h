// JSON documents of an OCI image: descriptors, config, manifest, index.
// Pure functions from values to nlohmann::json; OciLayoutWriter stores them.
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "cairn/oci/layout.h"

namespace cairn::oci::internal {

nlohmann::json PlatformToJson(const Platform& p);
nlohmann::json DescriptorToJson(const Descriptor& d);
/// Reads a descriptor from an existing index.json entry.
Result<Descriptor> DescriptorFromJson(const nlohmann::json& j);

/// The image config: platform, created, config{...}, rootfs.diff_ids, history.
nlohmann::json ImageConfigJson(const ImageConfigSpec& spec, const Platform& platform,
                               const std::vector<std::string>& diff_ids);
nlohmann::json ManifestJson(const Descriptor& config, const std::vector<Descriptor>& layers,
                            const std::map<std::string, std::string>& annotations);
nlohmann::json IndexJson(const std::vector<Descriptor>& manifests,
                         const std::map<std::string, std::string>& annotations);

}  // namespace cairn::oci::internal
