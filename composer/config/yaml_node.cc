#include "config/yaml_node.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <sstream>

#include "cairn/config/did_you_mean.h"

namespace cairn::config::internal {
namespace {

// A declaration larger than this is not something a person wrote.
constexpr size_t kMaxDeclarationBytes = 4 << 20;

// Counts documents, stopping at the second. YAML::LoadAll cannot be used
// for that: on some malformed streams (a lone ",") yaml-cpp 0.7's parser
// reports an endless series of empty documents and LoadAll loops until
// memory runs out (jbeder/yaml-cpp#1040, fixed upstream after 0.8).
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++count == 2) second = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  int count = 0;
  YAML::Mark second;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Parses an unsigned integer the way yaml.v3 resolves one for an int field
// (strconv.ParseInt base 0 plus YAML 1.2 "0o"), so apko files mean the same here.
std::optional<uint64_t> ParseUnsigned(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
    base = 8;
    s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c == '_') continue;  // YAML 1.1 digit separators, as yaml.v3 allows
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return std::nullopt;
    if (d >= base) return std::nullopt;
    if (v > (std::numeric_limits<uint64_t>::max() - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

}  // namespace

Result<YamlFile> YamlFile::Parse(std::string display_path, const std::string& text) {
  YamlFile f;
  f.path_ = std::move(display_path);
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    f.lines_.push_back(std::move(line));
    start = nl + 1;
  }
  if (text.size() > kMaxDeclarationBytes)
    return ConfigError(SourceLoc{f.path_, 0, 0, ""},
                       fmt::format("the file is {} bytes; a declaration may have at most {}",
                                   text.size(), kMaxDeclarationBytes))
        .Hint("keep large file contents out of the YAML: name a file beside it instead");
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentCounter counter;
    while (counter.count < 2 && parser.HandleNextDocument(counter)) {
    }
    if (counter.count > 1) {
      return ConfigError(f.LocAt(counter.second), "expected one YAML document, found more")
          .Hint("a declaration is a single mapping; remove the '---' separator");
    }
    f.root_ = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp messages are lowercase phrases already ("illegal map value").
    Error err = ConfigError(f.LocAt(e.mark), fmt::format("invalid YAML: {}", e.msg));
    // "${...}" in a [flow list] reads as YAML flow syntax: quote it.
    if (e.msg.find("flow") != std::string::npos && !e.mark.is_null() && e.mark.line >= 0 &&
        static_cast<size_t>(e.mark.line) < f.lines_.size() &&
        f.lines_[e.mark.line].find("${") != std::string::npos) {
      return err.Hint("in a [...] list, quote names with ${...}: '{' and '}' are YAML syntax there");
    }
    // Most structural errors in hand-written YAML are indentation slips.
    if (e.msg.find("end of map") != std::string::npos ||
        e.msg.find("end of sequence") != std::string::npos ||
        e.msg.find("illegal map value") != std::string::npos ||
        e.msg.find("block sequence entries") != std::string::npos) {
      err.Hint("check this line's indentation against the lines above it");
    }
    return err;
  }
  return f;
}

SourceLoc YamlFile::LocAt(const YAML::Mark& mark) const {
  SourceLoc loc;
  loc.file = path_;
  if (mark.is_null() || mark.line < 0) return loc;
  loc.line = mark.line + 1;
  loc.col = mark.column + 1;
  if (static_cast<size_t>(mark.line) < lines_.size()) loc.line_text = lines_[mark.line];
  return loc;
}

SourceLoc YamlFile::FileLoc() const {
  SourceLoc loc;
  loc.file = path_;
  loc.line = 1;
  loc.col = 1;
  if (!lines_.empty()) loc.line_text = lines_[0];
  return loc;
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "nothing";
  }
}

std::string JoinKey(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

Error WrongType(const YamlFile& f, const YAML::Node& node, std::string_view what,
                std::string_view expected) {
  return ConfigError(f.Loc(node), fmt::format("wrong type for '{}': expected {}, got {}", what,
                                              expected, Describe(node)));
}

Result<std::string> ReadString(const YamlFile& f, const YAML::Node& node, std::string_view what) {
  if (node.IsNull()) return std::string();
  if (!node.IsScalar()) return WrongType(f, node, what, "a string");
  return node.Scalar();
}

Result<LString> ReadLString(const YamlFile& f, const YAML::Node& node, std::string_view what) {
  CAIRN_ASSIGN_OR_RETURN(std::string s, ReadString(f, node, what));
  return LString{std::move(s), f.Loc(node)};
}

Result<std::vector<LString>> ReadStringList(const YamlFile& f, const YAML::Node& node,
                                            std::string_view what) {
  std::vector<LString> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) return WrongType(f, node, what, "a list of strings");
  size_t i = 0;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) {
      return WrongType(f, item, fmt::format("{}[{}]", what, i), "a string");
    }
    out.push_back(LString{item.Scalar(), f.Loc(item)});
    ++i;
  }
  return out;
}

Result<uint32_t> ReadUint32(const YamlFile& f, const YAML::Node& node, std::string_view what,
                            std::string_view expected) {
  if (!node.IsScalar()) return WrongType(f, node, what, expected);
  auto v = ParseUnsigned(node.Scalar());
  if (!v) return WrongType(f, node, what, expected);
  if (*v > std::numeric_limits<uint32_t>::max()) {
    return ConfigError(f.Loc(node), fmt::format("'{}' is out of range: {} (the maximum is {})",
                                                what, node.Scalar(),
                                                std::numeric_limits<uint32_t>::max()));
  }
  return static_cast<uint32_t>(*v);
}

Result<int64_t> ReadInt64(const YamlFile& f, const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) return WrongType(f, node, what, "an integer");
  std::string_view s = node.Scalar();
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  auto v = ParseUnsigned(s);
  if (!v || *v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return WrongType(f, node, what, "an integer");
  }
  return negative ? -static_cast<int64_t>(*v) : static_cast<int64_t>(*v);
}

Result<bool> ReadBool(const YamlFile& f, const YAML::Node& node, std::string_view what) {
  if (node.IsScalar()) {
    std::string s = Lower(node.Scalar());
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  return WrongType(f, node, what, "true or false");
}

Result<std::map<std::string, std::string>> ReadStringMap(const YamlFile& f, const YAML::Node& node,
                                                         std::string_view what) {
  std::map<std::string, std::string> out;
  if (node.IsNull()) return out;
  if (!node.IsMap()) return WrongType(f, node, what, "a mapping of strings to strings");
  for (auto it = node.begin(); it != node.end(); ++it) {
    YAML::Node k = it->first;
    YAML::Node v = it->second;
    if (!k.IsScalar()) return WrongType(f, k, fmt::format("{} key", what), "a string");
    std::string key_what = fmt::format("{}.{}", what, k.Scalar());
    CAIRN_ASSIGN_OR_RETURN(std::string value, ReadString(f, v, key_what));
    if (!out.emplace(k.Scalar(), std::move(value)).second) {
      return ConfigError(f.Loc(k), fmt::format("duplicate key '{}' in '{}'", k.Scalar(), what));
    }
  }
  return out;
}

Status ForEachKey(const YamlFile& f, const YAML::Node& map, std::string_view what,
                  const std::vector<std::string>& allowed, const KeyFn& fn,
                  const std::vector<std::string>& unsupported) {
  if (map.IsNull()) return {};
  if (!map.IsMap()) return WrongType(f, map, what.empty() ? "the document" : what, "a mapping");
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    YAML::Node k = it->first;
    if (!k.IsScalar()) return WrongType(f, k, JoinKey(what, "<key>"), "a string key");
    const std::string& key = k.Scalar();
    std::string where = what.empty() ? "" : fmt::format(" in '{}'", what);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      if (std::find(unsupported.begin(), unsupported.end(), key) != unsupported.end()) {
        return ConfigError(f.Loc(k), fmt::format("'{}' is not supported yet", JoinKey(what, key)))
            .Hint("cairn reads this apko key but cannot build it; remove it");
      }
      Error e = ConfigError(f.Loc(k), fmt::format("unknown key '{}'{}", key, where));
      if (auto s = SuggestClosest(key, allowed)) {
        e.Hint(fmt::format("did you mean '{}'?", *s));
      } else {
        e.Hint(fmt::format("expected one of {}", QuoteList(allowed)));
      }
      return e;
    }
    if (!seen.insert(key).second) {
      return ConfigError(f.Loc(k), fmt::format("duplicate key '{}'{}", key, where));
    }
    CAIRN_TRY(fn(key, k, it->second));
  }
  return {};
}

}  // namespace cairn::config::internal
