// A small POSIX-sh reader: words, simple commands and literal expansion.
//
// effects::ScanMaintainerScript needs maintainer scripts as data, not as a
// program to run. Parse() splits a script the way sh does (quotes,
// backslashes, line continuations, here-documents skipped, comments dropped)
// and groups the words into simple commands, noting which ones sit in an
// if/while condition, which names are functions, and every assignment.
// Expansion is deliberately partial: only variables the caller knows.
//
//   sh::Script script = sh::Parse(text);
//   sh::Vars vars = sh::LiteralVariables(script);   // plus DPKG_ROOT=""
//   auto argv = sh::Literal(script.commands[0].words, 0, vars);
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::effects::internal::sh {

/// One piece of a word: literal text or an expansion kept as written.
struct Part {
  enum class Kind { kText, kParam, kOther };
  Kind kind = Kind::kText;
  std::string text;  ///< literal text, or the expansion as written ("$X", "${X:+y}")
  std::string name;  ///< kParam: the variable
  bool quoted = false;
};

/// A shell word after quote removal, its expansions still unexpanded.
struct Word {
  std::vector<Part> parts;
  bool quoted = false;  ///< any quoting: an empty quoted word is still an argument

  /// The word with its expansions as written, quotes removed.
  std::string Display() const;
  /// The text of a word with no expansions and no quotes (reserved words).
  std::optional<std::string> Bare() const;
};

/// A simple command: its words after leading assignments and redirections.
struct Command {
  std::vector<Word> words;
  bool in_condition = false;  ///< between if/elif/while/until and then/do
};

/// A script read as data. Every branch counts: control flow is not followed.
struct Script {
  std::vector<Command> commands;
  std::set<std::string> functions;  ///< names defined with name() or `function name`
  /// Every value each name is assigned; a name that is also set by `for`,
  /// `read` or `local` without a value has two (empty) entries.
  std::map<std::string, std::vector<Word>> assignments;
};

/// Lexes and parses `text`. Never fails: an unterminated quote or
/// substitution swallows the rest of the text.
Script Parse(std::string_view text);

using Vars = std::map<std::string, std::string, std::less<>>;

/// DPKG_ROOT="" plus the names assigned exactly once, to a value that
/// needs no other variable.
Vars LiteralVariables(const Script& script);

/// Expands $NAME, ${NAME} and ${NAME:+w}/${NAME:-w}/${NAME+w}/${NAME-w}
/// for known names; nullopt if anything else is in the word or an unquoted
/// value would split into several words.
std::optional<std::string> ExpandWord(const Word& word, const Vars& vars);

/// Expands words[from...]; an unquoted word that expands to nothing
/// disappears, as in sh. nullopt if any word cannot be expanded.
std::optional<std::vector<std::string>> Literal(const std::vector<Word>& words, size_t from,
                                                const Vars& vars);

/// Like Literal but keeps what cannot be expanded as written (for logs).
std::vector<std::string> BestEffort(const std::vector<Word>& words, size_t from, const Vars& vars);

}  // namespace cairn::effects::internal::sh
