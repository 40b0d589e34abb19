// Private: one declaration file -> the model, without following includes.
//
// ParseDeclaration reads every known key strictly (see yaml_node.h) and
// resolves relative repository and keyring paths against the file's own
// directory, so they keep working when the file is included from elsewhere.
// The `include:` entries are returned for the loader to follow (loader.cc).
// The section parsers (accounts, files, paths, archs) are shared with the
// layer and board parsers (parse_layer.h).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

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

/// A local path made absolute against `dir`; URLs, absolute paths and an "@tag " prefix are kept.
std::string ResolveLocal(const std::filesystem::path& dir, const std::string& value,
                         bool trim_slash);

/// A list of architecture names, normalised to apk names ("all" expands), deduplicated.
Result<std::vector<LString>> ParseArchs(const YamlFile& f, const YAML::Node& node,
                                        std::string_view what);

/// A list of layer or board names: no empty entries, no entry twice (`noun` is "layer" ...).
Result<std::vector<LString>> ReadNameList(const YamlFile& f, const YAML::Node& node,
                                          std::string_view what, std::string_view noun);

/// The `accounts:` mapping; `run-as` is accepted only when allow_run_as (images, not layers).
Status ParseAccounts(const YamlFile& f, const YAML::Node& node, Accounts& out, bool allow_run_as);

/// One entry of `paths:` / `files:`; `what` is e.g. "files[2]".
Result<PathMutation> ParsePath(const YamlFile& f, const YAML::Node& node, const std::string& what);
Result<InlineFile> ParseFile(const YamlFile& f, const YAML::Node& node, const std::string& what);

/// Calls `fn(item, "<what>[i]")` for each entry of a list of mappings (null is empty).
template <typename T, typename Fn>
Result<std::vector<T>> ParseList(const YamlFile& f, const YAML::Node& node, const std::string& what,
                                 std::string_view expected, Fn fn) {
  std::vector<T> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) return WrongType(f, node, what, expected);
  size_t i = 0;
  for (const YAML::Node& item : node) {
    std::string w = fmt::format("{}[{}]", what, i++);
    if (!item.IsMap()) return WrongType(f, item, w, "a mapping");
    CAIRN_ASSIGN_OR_RETURN(T v, fn(item, w));
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace cairn::config::internal
