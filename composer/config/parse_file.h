// Private: one declaration file -> the model, without following includes.
//
// ParseDeclaration reads every known key strictly (see yaml_node.h) and
// resolves relative repository and keyring paths against the file's own
// directory, so they keep working when the file is included from elsewhere.
// The `include:` entries are returned for the loader to follow (loader.cc).
#pragma once

#include <filesystem>
#include <vector>

#include "cairn/config/model.h"
#include "cairn/result.h"
#include "config/yaml_node.h"

namespace cairn::config::internal {

struct ParsedFile {
  Image image;                    ///< this file's own keys only
  std::vector<LString> includes;  ///< as written, located at each entry
};

/// Converts the parsed YAML of one file. `dir` is the file's directory, used to
/// make relative repository and keyring paths absolute.
Result<ParsedFile> ParseDeclaration(const YamlFile& file, const std::filesystem::path& dir);

/// The top-level keys cairn accepts, in documentation order.
const std::vector<std::string>& TopLevelKeys();

/// An error if `path` (an in-image path from `what`) is relative or contains '..'.
Status CheckImagePath(const LString& path, std::string_view what);

}  // namespace cairn::config::internal
