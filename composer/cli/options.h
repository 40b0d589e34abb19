// The one option table behind cairn's command line: it drives parsing,
// `--help` for every verb, and the test that docs/cairn.1.md documents every
// option (style.md §6). A verb lists the options it accepts; global options
// are accepted by every verb, before or after the verb name.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/result.h"

namespace cairn::cli {

struct OptionSpec {
  std::string_view name;   ///< long name without "--"
  char short_name;         ///< 0 when none
  std::string_view arg;    ///< metavar; empty for a flag
  std::string_view help;
  bool repeatable;
};

struct VerbSpec {
  std::string_view name;
  std::string_view args;      ///< positional synopsis, e.g. "FILE"
  std::string_view summary;   ///< one line
  std::string_view description;
  std::vector<std::string_view> options;  ///< long names of accepted (non-global) options
  int min_args;
  int max_args;  ///< -1 = unlimited
  /// With one of these options the verb takes any number of arguments (build --all).
  std::vector<std::string_view> any_args_with;
};

const std::vector<OptionSpec>& AllOptions();
const std::vector<std::string_view>& GlobalOptionNames();
const std::vector<VerbSpec>& AllVerbs();
const VerbSpec* FindVerb(std::string_view name);

/// The parsed command line.
struct Invocation {
  std::string verb;
  std::vector<std::string> args;
  std::map<std::string, std::vector<std::string>> values;  ///< option -> values ("" for flags)
  /// Every option with its value in command-line order, for verbs whose
  /// options are steps applied in sequence (edit's --copy-in, --delete, ...).
  std::vector<std::pair<std::string, std::string>> ordered;
  bool has(std::string_view name) const { return values.count(std::string(name)) > 0; }
  std::string get(std::string_view name, std::string fallback = "") const;
  std::vector<std::string> all(std::string_view name) const;
  int count(std::string_view name) const;
};

/// Parses argv (without argv[0]). Errors are kUsage with a did-you-mean and a
/// "see 'cairn <verb> --help'" hint. `--help` anywhere sets verb "help".
Result<Invocation> Parse(const std::vector<std::string>& argv);

/// `cairn --help` text and `cairn <verb> --help` text.
std::string GeneralHelp();
std::string VerbHelp(const VerbSpec& verb);

/// The closest candidate if it is a plausible typo (config::SuggestClosest), or "".
std::string Suggest(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace cairn::cli
