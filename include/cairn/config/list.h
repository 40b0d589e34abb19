// The declarations of a project, for `cairn list`: images/*.yaml,
// layers/*.yaml and boards/*.yaml under the project root, each with its
// name (the file stem, which is how `layers:` and `boards:` refer to it)
// and the one-line `description:` it declares.
//
//   CAIRN_ASSIGN_OR_RETURN(auto decls, config::ListDeclarations(root));
//   for (const auto& d : decls) if (d.kind == "images") ...
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cairn/result.h"

namespace cairn::config {

/// One declaration file.
struct DeclarationInfo {
  std::string kind;            ///< the directory: "images", "layers" or "boards"
  std::string name;            ///< file stem
  std::filesystem::path file;  ///< project_root / kind / "<name>.yaml"
  std::string description;     ///< first line of `description:`, or ""
};

/// Scans images/, layers/ and boards/ (missing directories are empty) for
/// *.yaml and *.yml. The result lists images, then layers, then boards, each
/// sorted by name. Only the YAML syntax and `description:` are checked here;
/// a file with a syntax error fails the listing (kConfig, located).
/// kNotFound if project_root is not a directory.
Result<std::vector<DeclarationInfo>> ListDeclarations(const std::filesystem::path& project_root);

}  // namespace cairn::config
