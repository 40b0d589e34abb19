// PrettyJson: writes JSON text straight into a string, laid out exactly as
// nlohmann::json::dump(2) lays it out (2-space indent, "key": value, empty
// containers as {} and []), without building a document in memory first.
// SBOMs list thousands of packages; building them as ordered_json trees and
// dumping them was a third of an incremental build.
//
//   PrettyJson j;
//   j.BeginObject();
//   j.Key("name"); j.String("busybox");
//   j.Key("files"); j.BeginArray(); j.String("bin/sh"); j.EndArray();
//   j.EndObject();
//   std::string text = j.Take();
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn::sbom::internal {

class PrettyJson {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  /// The next member's key, inside an object.
  void Key(std::string_view key);
  void String(std::string_view value);
  void Bool(bool value);
  /// Shorthand for Key(key) then String(value).
  void Member(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  /// The text written so far; the writer is spent afterwards.
  std::string Take() { return std::move(out_); }

 private:
  // Before a value: in an array, the separator and indentation of a new
  // element (after a Key, nothing).
  void BeforeValue();
  void Indent(size_t depth);
  void Open(char bracket, bool array);
  void Close(char bracket);
  void Escaped(std::string_view s);

  struct Level {
    bool array = false;
    bool empty = true;
  };
  std::string out_;
  std::vector<Level> stack_;
};

}  // namespace cairn::sbom::internal
