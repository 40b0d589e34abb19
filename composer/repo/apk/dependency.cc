// Dependency atoms `[!]name[@tag][op version]` (apk-tools apk_dep_parse).
//
// The name runs up to the first comparison character (< > = ~); the operator
// is the run of comparison characters; the rest is the version, which must be
// a valid apk version unless the operator is `><` (a Q1 identity hash).
#include <string>

#include "cairn/apk/package.h"
#include "cairn/apk/version.h"

namespace cairn::apk {
namespace {

bool IsCompareChar(char c) { return c == '<' || c == '>' || c == '=' || c == '~'; }

// Characters apk-tools allows in package and dependency names (src/ctype.c).
bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.' || c == '_' || c == ',' || c == ':' || c == '/' || c == '[' ||
         c == ']';
}

bool IsSeparator(char c) { return c == ' ' || c == '\n'; }

// Maps the set of operator characters to an operator the way apk-tools masks
// them (so `=~` and `~=` both mean `~`); other combinations are rejected.
bool OpFromText(std::string_view text, VersionOp* op) {
  bool less = false, greater = false, equal = false, fuzzy = false;
  for (char c : text) {
    if (c == '<') less = true;
    if (c == '>') greater = true;
    if (c == '=') equal = true;
    if (c == '~') fuzzy = equal = true;
  }
  if (less && greater) {
    if (equal) return false;
    *op = VersionOp::kChecksum;
  } else if (less) {
    *op = fuzzy ? VersionOp::kLessFuzzy : (equal ? VersionOp::kLessEq : VersionOp::kLess);
  } else if (greater) {
    *op = fuzzy ? VersionOp::kGreaterFuzzy : (equal ? VersionOp::kGreaterEq : VersionOp::kGreater);
  } else {
    *op = fuzzy ? VersionOp::kFuzzy : VersionOp::kEqual;
  }
  return true;
}

std::string_view OpText(VersionOp op) {
  switch (op) {
    case VersionOp::kAny: return "";
    case VersionOp::kEqual: return "=";
    case VersionOp::kLess: return "<";
    case VersionOp::kLessEq: return "<=";
    case VersionOp::kGreater: return ">";
    case VersionOp::kGreaterEq: return ">=";
    case VersionOp::kFuzzy: return "~";
    case VersionOp::kGreaterFuzzy: return ">~";
    case VersionOp::kLessFuzzy: return "<~";
    case VersionOp::kChecksum: return "><";
  }
  return "";
}

Error AtomError(std::string_view atom, const std::string& what) {
  return Error(Code::kConfig, "invalid dependency '" + std::string(atom) + "': " + what);
}

Result<Dependency> ParseAtom(std::string_view atom, bool strict_version);

Result<std::vector<Dependency>> ParseList(std::string_view text, bool strict_version) {
  std::vector<Dependency> deps;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSeparator(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !IsSeparator(text[i])) ++i;
    if (i == start) break;
    CAIRN_ASSIGN_OR_RETURN(Dependency dep, ParseAtom(text.substr(start, i - start), strict_version));
    deps.push_back(std::move(dep));
  }
  return deps;
}

}  // namespace

Result<Dependency> Dependency::Parse(std::string_view atom) { return ParseAtom(atom, true); }

namespace {

Result<Dependency> ParseAtom(std::string_view atom, bool strict_version) {
  Dependency dep;
  std::string_view rest = atom;
  if (rest.empty()) return AtomError(atom, "expected a package name");
  if (rest.front() == '!') {
    dep.conflict = true;
    rest.remove_prefix(1);
  }
  size_t op_at = 0;
  while (op_at < rest.size() && !IsCompareChar(rest[op_at])) ++op_at;
  std::string_view name = rest.substr(0, op_at);
  std::string_view op_and_version = rest.substr(op_at);

  size_t at = name.find('@');
  if (at != std::string_view::npos) {
    dep.tag = std::string(name.substr(at + 1));
    name = name.substr(0, at);
    if (dep.tag.empty()) return AtomError(atom, "expected a repository tag after '@'");
  }
  if (name.empty()) return AtomError(atom, "expected a package name");
  for (char c : name) {
    if (!IsNameChar(c)) {
      return AtomError(atom, std::string("unexpected character '") + c +
                                 "' in name (expected letters, digits or + - . _ : / , [ ])");
    }
  }
  for (char c : dep.tag) {
    if (!IsNameChar(c)) {
      return AtomError(atom, std::string("unexpected character '") + c + "' in repository tag");
    }
  }
  dep.name = std::string(name);
  if (op_and_version.empty()) return dep;

  size_t op_len = 0;
  while (op_len < op_and_version.size() && IsCompareChar(op_and_version[op_len])) ++op_len;
  std::string_view op_text = op_and_version.substr(0, op_len);
  std::string_view version = op_and_version.substr(op_len);
  if (!OpFromText(op_text, &dep.op)) {
    return AtomError(atom, "unknown operator '" + std::string(op_text) +
                               "' (expected one of = < > <= >= ~ >~ <~ ><)");
  }
  if (version.empty()) {
    return AtomError(atom, "expected a version after '" + std::string(op_text) + "'");
  }
  if (dep.op == VersionOp::kChecksum) {
    if (version.size() < 3 || version[0] != 'Q' || (version[1] != '1' && version[1] != '2')) {
      return AtomError(atom, "expected a Q1 identity hash after '><'");
    }
  } else if (strict_version && !IsValidVersion(version)) {
    return AtomError(atom, "invalid version '" + std::string(version) + "'");
  }
  dep.version = std::string(version);
  return dep;
}

}  // namespace

std::string Dependency::Format() const {
  std::string out;
  if (conflict) out += '!';
  out += name;
  if (!tag.empty()) out += "@" + tag;
  if (op != VersionOp::kAny) {
    out += OpText(op);
    out += version;
  }
  return out;
}

Result<std::vector<Dependency>> ParseDependencyList(std::string_view text) {
  return ParseList(text, true);
}

Result<std::vector<Dependency>> ParseIndexDependencyList(std::string_view text) {
  return ParseList(text, false);
}

}  // namespace cairn::apk
