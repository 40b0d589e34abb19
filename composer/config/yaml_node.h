// Private: strict, located reading of yaml-cpp nodes for the declaration loader.
//
// YamlFile parses one file (syntax errors become located kConfig errors) and
// keeps its lines so every SourceLoc can carry the text for the caret. The
// Read* helpers convert one node to a typed value or return a located
// "wrong type for 'contents.packages': expected a list of strings, got a
// mapping" error; ForEachKey walks a mapping and rejects unknown and
// duplicate keys with a did-you-mean hint. Nothing here throws.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "cairn/config/model.h"
#include "cairn/result.h"

namespace cairn::config::internal {

class YamlFile {
 public:
  /// Parses `text`; `display_path` is what errors show as the file name.
  static Result<YamlFile> Parse(std::string display_path, const std::string& text);

  const YAML::Node& root() const { return root_; }
  const std::string& path() const { return path_; }
  /// 1-based location of a node (or of a yaml-cpp mark), with its line text.
  SourceLoc Loc(const YAML::Node& node) const { return LocAt(node.Mark()); }
  SourceLoc LocAt(const YAML::Mark& mark) const;
  /// The start of the file (line 1, column 1).
  SourceLoc FileLoc() const;

 private:
  std::string path_;
  std::vector<std::string> lines_;
  YAML::Node root_;
};

/// "a mapping", "a list", "nothing", or the quoted scalar ("'busybox'").
std::string Describe(const YAML::Node& node);

/// "<parent>.<key>", or just key at the top level.
std::string JoinKey(std::string_view parent, std::string_view key);

/// Error "wrong type for '<what>': expected <expected>, got <Describe(node)>".
Error WrongType(const YamlFile& f, const YAML::Node& node, std::string_view what,
                std::string_view expected);

/// A scalar as text; null reads as "".
Result<std::string> ReadString(const YamlFile& f, const YAML::Node& node, std::string_view what);
Result<LString> ReadLString(const YamlFile& f, const YAML::Node& node, std::string_view what);
/// A list of scalars (null reads as empty), each with its location.
Result<std::vector<LString>> ReadStringList(const YamlFile& f, const YAML::Node& node,
                                            std::string_view what);
/// A non-negative integer: decimal, 0o755 / 0755 octal, or 0x hex (yaml.v3 accepts all).
/// `expected` describes the wanted form in the error ("an integer").
Result<uint32_t> ReadUint32(const YamlFile& f, const YAML::Node& node, std::string_view what,
                            std::string_view expected = "a non-negative integer");
Result<int64_t> ReadInt64(const YamlFile& f, const YAML::Node& node, std::string_view what);
Result<bool> ReadBool(const YamlFile& f, const YAML::Node& node, std::string_view what);
/// A mapping of scalar to scalar (null reads as empty).
Result<std::map<std::string, std::string>> ReadStringMap(const YamlFile& f, const YAML::Node& node,
                                                         std::string_view what);

/// Callback for one mapping entry: the key text, the key node and the value node.
using KeyFn =
    std::function<Status(const std::string& key, const YAML::Node& key_node, const YAML::Node& value)>;

/// Walks a mapping (null is an empty mapping). Keys outside `allowed` are errors
/// with a did-you-mean hint, or the expected list; keys in `unsupported` are
/// known apko keys that cairn does not implement yet. Duplicate keys are errors.
Status ForEachKey(const YamlFile& f, const YAML::Node& map, std::string_view what,
                  const std::vector<std::string>& allowed, const KeyFn& fn,
                  const std::vector<std::string>& unsupported = {});

}  // namespace cairn::config::internal
