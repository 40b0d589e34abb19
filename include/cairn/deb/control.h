// Debian control data (deb822): the paragraph format of Packages indexes,
// Release files, a .deb's `control` member and dpkg's status database.
//
// A file is a sequence of paragraphs separated by blank lines; a paragraph is
// a sequence of `Name: value` fields; a line starting with a space or tab
// continues the previous field. Field names compare case-insensitively.
//
//   CAIRN_ASSIGN_OR_RETURN(auto paragraphs, deb::ParseControlFile(text, "Packages"));
//   for (const auto& p : paragraphs) if (auto* v = p.Find("Package")) ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

namespace cairn::deb {

/// One `Name: value` field. For a multi-line field, `value` holds the first
/// line's text (may be empty; blanks around it are dropped, as dpkg and apt
/// do) and each continuation line after a '\n', verbatim including its
/// leading space and any trailing blanks, so FormatParagraph writes it back
/// byte for byte (except for those dropped first-line blanks).
struct Field {
  std::string name;
  std::string value;
};

struct Paragraph {
  std::vector<Field> fields;  ///< in file order
  int line = 0;               ///< 1-based line of the first field, for messages

  /// The value of a field (case-insensitive name), or nullptr.
  const std::string* Find(std::string_view name) const;
  /// The value, or "" when absent.
  std::string Get(std::string_view name) const;
};

/// Parses control text. Errors are kIntegrity and name `origin` and the line,
/// e.g. "Packages:12: expected 'Name: value' (got '...')". Comment lines
/// ('#' at column 0) are skipped, as dpkg does in control files. A line that
/// is empty or holds only blanks separates paragraphs; '\r' anywhere and a
/// field given twice in one paragraph are errors; a missing final newline is not.
Result<std::vector<Paragraph>> ParseControlFile(std::string_view text, std::string_view origin);

/// Writes one paragraph in deb822 form ("Name: value\n" per field; multi-line
/// values as stored), without the separating blank line.
std::string FormatParagraph(const Paragraph& paragraph);

}  // namespace cairn::deb
