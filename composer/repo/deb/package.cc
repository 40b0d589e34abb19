// Relation fields and the Package model: ParseRelations, PackageFromParagraph,
// ParsePackagesIndex.
//
// The relation grammar and its checks follow dpkg's f_dependency
// (lib/dpkg/fields.c) for binary packages: names are checked like
// pkg_name_is_illegal, architecture qualifiers like dpkg_arch_name_is_illegal,
// versions with parseversion's hard errors; the obsolete '<' and '>' read as
// '<=' and '>=' and a bare "(1.0)" as "(= 1.0)", which dpkg only warns about.
#include "cairn/deb/package.h"

#include <charconv>
#include <utility>

#include "cairn/deb/version.h"

namespace cairn::deb {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// C isspace(): relation fields may be folded over several lines.
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

// What follows the parse position, for messages.
std::string Rest(std::string_view text, size_t p) {
  if (p >= text.size()) return "end of text";
  constexpr size_t kMax = 40;
  std::string_view rest = text.substr(p);
  if (rest.size() <= kMax) return "'" + std::string(rest) + "'";
  return "'" + std::string(rest.substr(0, kMax)) + "...'";
}

// dpkg's pkg_name_is_illegal; returns "" when the name is fine.
std::string PackageNameProblem(std::string_view name) {
  if (!IsAlnum(name[0])) return "must start with a letter or digit";
  for (char c : name) {
    if (!IsAlnum(c) && c != '-' && c != '+' && c != '.' && c != '_') {
      return std::string("character '") + c + "' not allowed (expected letters, digits and '-+._')";
    }
  }
  return "";
}

// dpkg_arch_name_is_illegal.
bool IsValidArchName(std::string_view arch) {
  if (arch.empty() || !IsAlnum(arch[0])) return false;
  for (char c : arch) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

const char* OpText(RelationOp op) {
  switch (op) {
    case RelationOp::kAny:
      return "";
    case RelationOp::kLess:
      return "<<";
    case RelationOp::kLessEq:
      return "<=";
    case RelationOp::kEqual:
      return "=";
    case RelationOp::kGreaterEq:
      return ">=";
    case RelationOp::kGreater:
      return ">>";
  }
  return "";
}

class RelationParser {
 public:
  explicit RelationParser(std::string_view text) : text_(text) {}

  Result<RelationList> Parse() {
    RelationList out;
    SkipSpace();
    if (AtEnd()) return out;  // an empty field has no relations
    for (;;) {
      Alternatives alternatives;
      for (;;) {
        CAIRN_ASSIGN_OR_RETURN(Relation r, ParseOne());
        alternatives.push_back(std::move(r));
        SkipSpace();
        if (AtEnd() || Peek() != '|') break;
        ++p_;
        SkipSpace();
      }
      out.push_back(std::move(alternatives));
      if (AtEnd()) break;
      if (Peek() != ',') {
        return IntegrityError("unexpected " + Rest(text_, p_) + " after '" +
                              FormatRelation(out.back().back()) + "' (expected ',' or '|')");
      }
      ++p_;
      SkipSpace();
    }
    return out;
  }

 private:
  bool AtEnd() const { return p_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[p_]; }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(text_[p_])) ++p_;
  }
  // Characters that end a name or an architecture qualifier.
  static bool EndsToken(char c) {
    return IsSpace(c) || c == ':' || c == '(' || c == ')' || c == ',' || c == '|' || c == '[' ||
           c == ']' || c == '<' || c == '>';
  }

  std::string_view Token() {
    size_t start = p_;
    while (!AtEnd() && !EndsToken(text_[p_])) ++p_;
    return text_.substr(start, p_ - start);
  }

  // The bracketed text starting at p_, e.g. "[amd64 arm64]", for messages.
  std::string Bracketed(char close) const {
    size_t end = text_.find(close, p_);
    if (end == std::string_view::npos) return std::string(text_.substr(p_));
    return std::string(text_.substr(p_, end + 1 - p_));
  }

  Result<Relation> ParseOne() {
    Relation r;
    std::string_view name = Token();
    if (name.empty())
      return IntegrityError("expected a package name (got " + Rest(text_, p_) + ")");
    std::string problem = PackageNameProblem(name);
    if (!problem.empty()) {
      return IntegrityError("invalid package name '" + std::string(name) + "': " + problem);
    }
    r.name = std::string(name);
    if (Peek() == ':') {
      ++p_;
      std::string_view arch = Token();
      if (arch.empty()) {
        return IntegrityError("expected an architecture after '" + r.name + ":' (got " +
                              Rest(text_, p_) + ")");
      }
      if (!IsValidArchName(arch)) {
        return IntegrityError("invalid architecture '" + std::string(arch) + "' in '" + r.name +
                              ":" + std::string(arch) + "' (expected letters, digits and '-')");
      }
      r.arch_qualifier = std::string(arch);
    }
    SkipSpace();
    if (Peek() == '(') {
      ++p_;
      SkipSpace();
      CAIRN_TRY(ParseOp(&r));
      SkipSpace();
      size_t start = p_;
      while (!AtEnd() && !IsSpace(text_[p_]) && text_[p_] != ')' && text_[p_] != '(') ++p_;
      std::string_view version = text_.substr(start, p_ - start);
      SkipSpace();
      if (AtEnd()) {
        return IntegrityError("unterminated version for '" + r.name + "' (expected ')')");
      }
      if (Peek() != ')') {
        return IntegrityError("unexpected " + Rest(text_, p_) + " in version of '" + r.name +
                              "' (expected ')')");
      }
      ++p_;
      auto parsed = Version::Parse(version);
      if (!parsed) {
        return IntegrityError("relation '" + r.name + "': " + parsed.error().message());
      }
      r.version = std::string(version);
      SkipSpace();
    }
    // Source-package syntax: reject it by name rather than as a stray character.
    if (Peek() == '[') {
      return IntegrityError("architecture restriction '" + Bracketed(']') + "' after '" +
                            FormatRelation(r) + "' is not allowed in a binary package relation");
    }
    if (Peek() == '<') {
      return IntegrityError("build profile '" + Bracketed('>') + "' after '" + FormatRelation(r) +
                            "' is not allowed in a binary package relation");
    }
    return r;
  }

  Status ParseOp(Relation* r) {
    char c1 = Peek();
    if (c1 == '<' || c1 == '>') {
      ++p_;
      char c2 = Peek();
      if (c2 == '=') {
        r->op = c1 == '<' ? RelationOp::kLessEq : RelationOp::kGreaterEq;
        ++p_;
      } else if (c2 == c1) {
        r->op = c1 == '<' ? RelationOp::kLess : RelationOp::kGreater;
        ++p_;
      } else if (c2 == '<' || c2 == '>') {
        return IntegrityError(std::string("bad version relation '") + c1 + c2 + "' for '" +
                              r->name + "' (expected '<<', '<=', '=', '>=' or '>>')");
      } else {
        // Obsolete '<' and '>' mean '<=' and '>=' (deb-control(5)).
        r->op = c1 == '<' ? RelationOp::kLessEq : RelationOp::kGreaterEq;
      }
    } else if (c1 == '=') {
      r->op = RelationOp::kEqual;
      ++p_;
    } else {
      r->op = RelationOp::kEqual;  // "(1.0)": dpkg's implicit exact match
    }
    return {};
  }

  std::string_view text_;
  size_t p_ = 0;
};

bool ParseDecimal(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsDigit(c)) return false;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

struct RelationField {
  std::string_view name;
  RelationList Package::*member;
  bool alternatives_allowed;
};

// Conflicts, Breaks, Replaces and Provides take no alternatives (dpkg).
constexpr RelationField kRelationFields[] = {
    {"Depends", &Package::depends, true},       {"Pre-Depends", &Package::pre_depends, true},
    {"Recommends", &Package::recommends, true}, {"Suggests", &Package::suggests, true},
    {"Enhances", &Package::enhances, true},     {"Conflicts", &Package::conflicts, false},
    {"Breaks", &Package::breaks, false},        {"Replaces", &Package::replaces, false},
    {"Provides", &Package::provides, false},
};

Result<Package> FromParagraph(Paragraph paragraph, std::string_view origin) {
  const std::string where = std::string(origin) + ":" + std::to_string(paragraph.line) + ": ";
  Package p;
  const std::string* name = paragraph.Find("Package");
  if (name == nullptr || name->empty()) {
    return IntegrityError(where + "paragraph has no 'Package' field");
  }
  std::string problem = PackageNameProblem(*name);
  if (!problem.empty()) {
    return IntegrityError(where + "invalid package name '" + *name + "': " + problem);
  }
  p.name = *name;
  const std::string pkg = where + "package '" + p.name + "': ";
  auto missing = [&](std::string_view field) {
    return IntegrityError(pkg + "missing '" + std::string(field) + "' field");
  };
  auto bad_value = [&](std::string_view field, std::string_view value, std::string_view expected) {
    return IntegrityError(pkg + "bad '" + std::string(field) + "' value '" + std::string(value) +
                          "' (expected " + std::string(expected) + ")");
  };

  bool has_version = false, has_arch = false;
  for (const Field& f : paragraph.fields) {
    const std::string& v = f.value;
    const std::string_view n = f.name;
    if (EqualsIgnoreCase(n, "Version")) {
      auto parsed = Version::Parse(v);
      if (!parsed) return IntegrityError(pkg + parsed.error().message());
      p.version = v;
      has_version = true;
    } else if (EqualsIgnoreCase(n, "Architecture")) {
      if (!IsValidArchName(v)) return bad_value("Architecture", v, "one architecture name");
      p.architecture = v;
      has_arch = true;
    } else if (EqualsIgnoreCase(n, "Multi-Arch")) {
      if (EqualsIgnoreCase(v, "no")) {
        p.multi_arch.clear();
      } else if (EqualsIgnoreCase(v, "same") || EqualsIgnoreCase(v, "foreign") ||
                 EqualsIgnoreCase(v, "allowed")) {
        p.multi_arch = v;
        for (char& c : p.multi_arch) c = LowerAscii(c);
      } else {
        return bad_value("Multi-Arch", v, "'no', 'same', 'foreign' or 'allowed'");
      }
    } else if (EqualsIgnoreCase(n, "Essential") || EqualsIgnoreCase(n, "Protected")) {
      bool* flag = EqualsIgnoreCase(n, "Essential") ? &p.essential : &p.is_protected;
      if (EqualsIgnoreCase(v, "yes")) {
        *flag = true;
      } else if (EqualsIgnoreCase(v, "no")) {
        *flag = false;
      } else {
        return bad_value(n, v, "'yes' or 'no'");
      }
    } else if (EqualsIgnoreCase(n, "Priority")) {
      p.priority = v;
    } else if (EqualsIgnoreCase(n, "Section")) {
      p.section = v;
    } else if (EqualsIgnoreCase(n, "Maintainer")) {
      p.maintainer = v;
    } else if (EqualsIgnoreCase(n, "Homepage")) {
      p.homepage = v;
    } else if (EqualsIgnoreCase(n, "Description")) {
      p.description = v.substr(0, v.find('\n'));
    } else if (EqualsIgnoreCase(n, "Source")) {
      // "glibc" or, for a binNMU or a renamed version, "argus-clients (1:3.0.8.2-6.1)".
      std::string_view s = v;
      size_t open = s.find('(');
      std::string_view src = s.substr(0, open);
      while (!src.empty() && IsSpace(src.back())) src.remove_suffix(1);
      bool ok = !src.empty() && PackageNameProblem(src).empty();
      if (ok && open != std::string_view::npos) {
        size_t close = s.find(')', open);
        ok = close == s.size() - 1 && Version::Parse(s.substr(open + 1, close - open - 1)).ok();
        if (ok) p.source_version = std::string(s.substr(open + 1, close - open - 1));
      }
      if (!ok) return bad_value("Source", v, "'name' or 'name (version)'");
      p.source = std::string(src);
    } else if (EqualsIgnoreCase(n, "Installed-Size")) {
      if (!ParseDecimal(v, &p.installed_size_kib)) {
        return bad_value("Installed-Size", v, "a decimal number of KiB");
      }
    } else if (EqualsIgnoreCase(n, "Filename")) {
      p.filename = v;
    } else if (EqualsIgnoreCase(n, "Size")) {
      if (!ParseDecimal(v, &p.size)) return bad_value("Size", v, "a decimal number of bytes");
    } else if (EqualsIgnoreCase(n, "SHA256")) {
      bool ok = v.size() == 64;
      for (char c : v) ok = ok && IsHex(c);
      if (!ok) return bad_value("SHA256", v, "64 hexadecimal digits");
      p.sha256 = v;
      for (char& c : p.sha256) c = LowerAscii(c);
    } else if (EqualsIgnoreCase(n, "MD5sum")) {
      p.md5sum = v;
    } else {
      for (const RelationField& rf : kRelationFields) {
        if (!EqualsIgnoreCase(n, rf.name)) continue;
        auto parsed = ParseRelations(v);
        if (!parsed) {
          return IntegrityError(pkg + "'" + std::string(rf.name) +
                                "' field: " + parsed.error().message());
        }
        if (!rf.alternatives_allowed) {
          for (const Alternatives& a : *parsed) {
            if (a.size() > 1) {
              return IntegrityError(pkg + "'" + std::string(rf.name) +
                                    "' field: alternatives ('|') are not allowed here (got '" +
                                    FormatRelations({a}) + "')");
            }
          }
        }
        p.*rf.member = std::move(parsed).value();
        break;
      }
    }
  }
  if (!has_version) return missing("Version");
  if (!has_arch) return missing("Architecture");
  if (p.source.empty()) p.source = p.name;
  if (p.source_version.empty()) p.source_version = p.version;
  p.paragraph = std::move(paragraph);
  return p;
}

}  // namespace

Result<RelationList> ParseRelations(std::string_view text) { return RelationParser(text).Parse(); }

std::string FormatRelation(const Relation& relation) {
  std::string out = relation.name;
  if (!relation.arch_qualifier.empty()) {
    out += ':';
    out += relation.arch_qualifier;
  }
  if (relation.op != RelationOp::kAny) {
    out += " (";
    out += OpText(relation.op);
    out += ' ';
    out += relation.version;
    out += ')';
  }
  return out;
}

std::string FormatRelations(const RelationList& relations) {
  std::string out;
  for (size_t i = 0; i < relations.size(); ++i) {
    if (i > 0) out += ", ";
    for (size_t j = 0; j < relations[i].size(); ++j) {
      if (j > 0) out += " | ";
      out += FormatRelation(relations[i][j]);
    }
  }
  return out;
}

std::string Package::DpkgName() const {
  if (multi_arch == "same") return name + ":" + architecture;
  return name;
}

std::string Package::FileName() const {
  std::string out = name + "_";
  for (char c : version) {
    if (c == ':') {
      out += "%3a";
    } else {
      out += c;
    }
  }
  out += "_" + architecture + ".deb";
  return out;
}

Result<Package> PackageFromParagraph(const Paragraph& paragraph, std::string_view origin) {
  return FromParagraph(paragraph, origin);
}

Result<std::vector<Package>> ParsePackagesIndex(std::string_view text, std::string_view origin,
                                                std::string_view repository,
                                                std::string_view archive_url) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<Paragraph> paragraphs, ParseControlFile(text, origin));
  std::vector<Package> out;
  out.reserve(paragraphs.size());
  for (Paragraph& paragraph : paragraphs) {
    CAIRN_ASSIGN_OR_RETURN(Package p, FromParagraph(std::move(paragraph), origin));
    // An index entry is only usable if we can fetch and verify the .deb;
    // apt likewise refuses entries without a strong hash.
    const char* absent = p.filename.empty()                    ? "Filename"
                         : p.paragraph.Find("Size") == nullptr ? "Size"
                         : p.sha256.empty()                    ? "SHA256"
                                                               : nullptr;
    if (absent != nullptr) {
      return IntegrityError(std::string(origin) + ":" + std::to_string(p.paragraph.line) +
                            ": package '" + p.name + "': missing '" + absent +
                            "' field (expected in every Packages index entry)");
    }
    p.repository = std::string(repository);
    p.archive_url = std::string(archive_url);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace cairn::deb
