// Private: one layer file (layers/<name>.yaml) or board file
// (boards/<name>.yaml)
// -> config::Layer / config::Board, strictly (unknown keys are located errors
// with a did-you-mean hint, as in ParseDeclaration).
//
// Sizes are parsed into bytes here ("256M" -> 268435456, "rest" -> 0), arch
// names are normalised to apk names, and relative paths (qemu firmware) are
// made absolute against the file's directory. Semantic checks (enums,
// partition rules) are in validate.cc: ValidateLayer / ValidateBoard.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/config/model.h"
#include "cairn/result.h"
#include "config/yaml_node.h"

namespace cairn::config::internal {

/// The keys of a layer file, in documentation order.
const std::vector<std::string>& LayerKeys();
/// The keys of a board file, in documentation order.
const std::vector<std::string>& BoardKeys();

/// Parses a layer file; `stem` is the default name. Layer::loc is the file's
/// start.
Result<Layer> ParseLayer(const YamlFile& f, const std::filesystem::path& dir,
                         const std::string& stem);

/// Parses a board file; `stem` is the default name. Board::loc is the file's
/// start.
Result<Board> ParseBoard(const YamlFile& f, const std::filesystem::path& dir,
                         const std::string& stem);

/// Bytes of "<integer>[K|M|G|T]" (binary units, case-insensitive, "B" alone
/// not accepted), or nullopt if `text` is not such a size. "rest" is not
/// handled here. Zero is not a size.
std::optional<uint64_t> ParseSizeBytes(std::string_view text);

}  // namespace cairn::config::internal
