// The effective declaration after include merging, for `cairn show`.
//
// ShowImage writes YAML with apko's key names in a fixed order (the order
// of docs/config-reference.md), so the output is stable, diffable, and loads
// again with LoadImage() to the same model. `include:` is not written: its
// content is already merged in. ImageToJson is the same data as JSON
// (modes as integers), for `--json` and tests.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cairn/config/model.h"

namespace cairn::config {

/// YAML text of the merged declaration, ending in a newline.
std::string ShowImage(const Image& image);

/// The merged declaration as JSON, with the YAML key names (keys sorted).
nlohmann::json ImageToJson(const Image& image);

}  // namespace cairn::config
