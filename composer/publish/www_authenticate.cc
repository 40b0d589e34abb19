// RFC 7235 challenge parsing: scheme, then token68 or name=value parameters
// (values tokens or quoted strings with backslash escapes), several
// challenges separated by commas.
#include "cairn/publish/www_authenticate.h"

#include <fmt/format.h>

#include <cctype>

namespace cairn::publish {
namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  /// Skips spaces and commas (empty list elements are allowed).
  void SkipSeparators() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == ',')) ++pos_;
  }
  std::string_view Token() {
    size_t start = pos_;
    while (!AtEnd() && IsTokenChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  /// A quoted string after its opening quote; false when it is not closed.
  bool QuotedRest(std::string& out) {
    while (!AtEnd()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (c == '\\' && !AtEnd()) c = text_[pos_++];
      out += c;
    }
    return false;
  }
  size_t pos() const { return pos_; }
  void Seek(size_t pos) { pos_ = pos; }
  void Advance() { ++pos_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

/// Whether the scanner is at "name =" (a parameter) rather than a new scheme.
bool AtParameter(Scanner& s) {
  size_t save = s.pos();
  bool param = !s.Token().empty() && (s.SkipSpace(), s.Peek() == '=');
  s.Seek(save);
  return param;
}

}  // namespace

std::string AuthChallenge::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

Result<std::vector<AuthChallenge>> ParseWwwAuthenticate(std::string_view value) {
  auto bad = [&](std::string_view why) {
    return IoError(fmt::format("malformed WWW-Authenticate header '{}': {}", value, why));
  };
  std::vector<AuthChallenge> out;
  Scanner s(value);
  s.SkipSeparators();
  while (!s.AtEnd()) {
    std::string_view scheme = s.Token();
    if (scheme.empty()) return bad(fmt::format("expected a scheme at offset {}", s.pos()));
    AuthChallenge ch{Lower(scheme), {}};
    s.SkipSpace();
    while (!s.AtEnd() && AtParameter(s)) {
      std::string name = Lower(s.Token());
      s.SkipSpace();
      s.Advance();  // '='
      s.SkipSpace();
      std::string v;
      if (s.Peek() == '"') {
        s.Advance();
        if (!s.QuotedRest(v)) return bad(fmt::format("unterminated quoted value of '{}'", name));
      } else {
        v = std::string(s.Token());
      }
      ch.params[name] = std::move(v);
      s.SkipSpace();
      if (!s.AtEnd() && s.Peek() != ',')
        return bad(fmt::format("expected ',' after the value of '{}'", name));
      s.SkipSeparators();
    }
    if (!s.AtEnd() && ch.params.empty() && s.Peek() != ',') {
      // token68 (e.g. "Negotiate abc=="): kept whole under the empty name.
      size_t start = s.pos();
      while (!s.AtEnd() && s.Peek() != ',') s.Advance();
      ch.params[""] = std::string(value.substr(start, s.pos() - start));
    }
    out.push_back(std::move(ch));
    s.SkipSeparators();
  }
  if (out.empty()) return bad("no challenge");
  return out;
}

}  // namespace cairn::publish
