// The effective declaration after include merging, for `cairn show`.
//
// ShowImage writes YAML with apko's key names in a fixed order (the order
// of docs/config-reference.md), so the output is stable, diffable, and loads
// again with LoadImage() to the same model. `include:` is not written: its
// content is already merged in. ImageToJson is the same data as JSON
// (modes as integers), for `--json` and tests, plus the loaded stack and
// boards. ShowStack describes the loaded base, layers and boards as YAML
// comments, so `cairn show` can append it and the output still loads.
// ShowLayer / ShowBoard print a layer or board file the same way.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cairn/config/model.h"

namespace cairn::config {

/// YAML text of the merged declaration, ending in a newline.
std::string ShowImage(const Image& image);

/// The merged declaration as JSON, with the YAML key names (keys sorted), plus
/// "stack" (LayerToJson of each), "base-layer-count" and "board-defs" (BoardToJson of each).
nlohmann::json ImageToJson(const Image& image);

/// "#"-comment lines: Image::stack bottom first with each layer's packages per
/// source, then each board (layers, packages, bootloader, kernel, layout table
/// with sizes). "" when the image has neither layers, base nor boards.
std::string ShowStack(const Image& image);

/// A layer as its file would declare it (YAML, fixed key order).
std::string ShowLayer(const Layer& layer);
/// A board as its file would declare it (YAML, fixed key order; not its layer_defs).
std::string ShowBoard(const Board& board);

/// A layer as JSON: name, kind, file, ..., packages {source: {all, by-arch}}.
nlohmann::json LayerToJson(const Layer& layer);
/// A board as JSON, with its loaded layers under "layer-defs" and sizes in bytes.
nlohmann::json BoardToJson(const Board& board);

}  // namespace cairn::config
