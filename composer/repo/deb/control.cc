// deb822 control data: ParseControlFile, FormatParagraph, Paragraph lookups.
//
// The parser walks the text once with string_views and copies only what ends
// up in a Field: a multi-line value is normally one contiguous slice of the
// input, so it is copied in one piece rather than line by line. A whole
// bookworm Packages index (50 MB, 63k stanzas) goes through here, so the
// per-line work is kept to a memchr and a few comparisons.
#include "cairn/deb/control.h"

#include <cstring>
#include <string>
#include <utility>

namespace cairn::deb {
namespace {

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool IsBlankLine(std::string_view line) {
  for (char c : line) {
    if (!IsBlank(c)) return false;
  }
  return true;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Long lines (a Depends list) are cut so a message stays readable.
std::string Excerpt(std::string_view line) {
  constexpr size_t kMax = 60;
  if (line.size() <= kMax) return std::string(line);
  return std::string(line.substr(0, kMax)) + "...";
}

// The field being read: its first line and the run(s) of continuation lines.
// Continuation lines are adjacent in the input unless a comment line sits
// between them; `pieces` collects the runs already closed by such a comment.
struct PendingField {
  std::string_view name;
  std::string_view first;  // text after the colon, blanks trimmed
  const char* run_begin = nullptr;
  const char* run_end = nullptr;
  std::string pieces;  // "\n<line>..." for runs closed by a comment
  int line = 0;
  bool open = false;

  void AddContinuation(std::string_view l) {
    if (run_begin != nullptr && l.data() != run_end + 1) {
      pieces += '\n';
      pieces.append(run_begin, run_end);
      run_begin = nullptr;
    }
    if (run_begin == nullptr) run_begin = l.data();
    run_end = l.data() + l.size();
  }

  std::string Value() const {
    if (run_begin == nullptr && pieces.empty()) return std::string(first);
    // Common case: first line with no trailing blanks, then adjacent lines.
    if (pieces.empty() && first.data() + first.size() + 1 == run_begin) {
      return std::string(first.data(), run_end);
    }
    std::string v;
    v.reserve(first.size() + pieces.size() + 1 +
              (run_begin ? static_cast<size_t>(run_end - run_begin) : 0));
    v.append(first);
    v.append(pieces);
    if (run_begin != nullptr) {
      v += '\n';
      v.append(run_begin, run_end);
    }
    return v;
  }
};

}  // namespace

const std::string* Paragraph::Find(std::string_view name) const {
  for (const Field& f : fields) {
    if (EqualsIgnoreCase(f.name, name)) return &f.value;
  }
  return nullptr;
}

std::string Paragraph::Get(std::string_view name) const {
  const std::string* v = Find(name);
  return v ? *v : std::string();
}

Result<std::vector<Paragraph>> ParseControlFile(std::string_view text, std::string_view origin) {
  auto at = [&](int line) { return std::string(origin) + ":" + std::to_string(line) + ": "; };

  // One scan up front instead of a test per character: CRLF text would
  // otherwise leave '\r' at the end of every value.
  if (const void* cr = std::memchr(text.data(), '\r', text.size())) {
    size_t offset = static_cast<const char*>(cr) - text.data();
    int line = 1;
    for (size_t i = 0; i < offset; ++i) line += text[i] == '\n';
    return IntegrityError(
        at(line) + "carriage return in control data (expected '\\n' line endings, not CRLF)");
  }

  std::vector<Paragraph> out;
  out.reserve(text.size() / 1024 + 1);
  // The paragraph being read. Fields collect in a reused scratch vector and
  // are moved into an exactly sized one at the end: per-paragraph growth or
  // a generous reserve would cost tens of MB on a full Packages index.
  std::vector<Field> fields;
  std::vector<int> field_lines;  // line of each field, for duplicate messages
  PendingField pending;

  auto finish_field = [&]() -> Status {
    if (!pending.open) return {};
    for (size_t i = 0; i < fields.size(); ++i) {
      if (EqualsIgnoreCase(fields[i].name, pending.name)) {
        return IntegrityError(at(pending.line) + "duplicate value for '" +
                              std::string(pending.name) + "' field (first given on line " +
                              std::to_string(field_lines[i]) + ")");
      }
    }
    fields.push_back(Field{std::string(pending.name), pending.Value()});
    field_lines.push_back(pending.line);
    pending.open = false;
    pending.run_begin = pending.run_end = nullptr;
    pending.pieces.clear();
    return {};
  };
  auto finish_paragraph = [&]() -> Status {
    CAIRN_TRY(finish_field());
    if (!fields.empty()) {
      Paragraph& p = out.emplace_back();
      p.line = field_lines[0];
      p.fields.reserve(fields.size());
      for (Field& f : fields) p.fields.push_back(std::move(f));
      fields.clear();
      field_lines.clear();
    }
    return {};
  };

  int line_no = 0;
  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    const char* start = text.data() + pos;
    const void* nl = std::memchr(start, '\n', n - pos);
    size_t len = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : n - pos;
    std::string_view line(start, len);
    pos += len + 1;
    ++line_no;

    if (line.empty()) {
      CAIRN_TRY(finish_paragraph());
      continue;
    }
    char c0 = line[0];
    if (c0 == '#') continue;  // comment line, as dpkg-dev's deb822 parser skips them
    if (IsBlank(c0)) {
      // Policy lets parsers treat a whitespace-only line as a separator; a
      // lone " ." is how a blank line inside a value is written.
      if (IsBlankLine(line)) {
        CAIRN_TRY(finish_paragraph());
        continue;
      }
      if (!pending.open) {
        return IntegrityError(at(line_no) +
                              "continuation line outside a field (expected 'Name: value', got '" +
                              Excerpt(line) + "')");
      }
      pending.AddContinuation(line);
      continue;
    }

    CAIRN_TRY(finish_field());
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return IntegrityError(at(line_no) + "expected 'Name: value' (got '" + Excerpt(line) + "')");
    }
    std::string_view name = line.substr(0, colon);
    if (name.empty()) {
      return IntegrityError(at(line_no) + "empty field name (expected 'Name: value', got '" +
                            Excerpt(line) + "')");
    }
    for (char c : name) {
      if (IsBlank(c)) {
        return IntegrityError(at(line_no) + "field name '" + Excerpt(name) +
                              "' contains whitespace (expected 'Name: value')");
      }
    }
    if (name[0] == '-') {
      return IntegrityError(at(line_no) + "field name '" + Excerpt(name) +
                            "' cannot start with '-'");
    }
    pending.open = true;
    pending.name = name;
    pending.first = TrimBlanks(line.substr(colon + 1));
    pending.line = line_no;
  }
  CAIRN_TRY(finish_paragraph());
  return out;
}

std::string FormatParagraph(const Paragraph& paragraph) {
  size_t size = 0;
  for (const Field& f : paragraph.fields) size += f.name.size() + f.value.size() + 3;
  std::string out;
  out.reserve(size);
  for (const Field& f : paragraph.fields) {
    out += f.name;
    out += ':';
    // "Description:\n <text>" has nothing after the colon; everything else gets one space.
    if (!f.value.empty() && f.value[0] != '\n') out += ' ';
    out += f.value;
    out += '\n';
  }
  return out;
}

}  // namespace cairn::deb
