// Did-you-mean suggestions for unknown keys, architectures and (in the CLI)
// verbs and flags. EditDistance is the Levenshtein distance with an early
// cut-off, after ninja's edit_distance.cc; SuggestClosest picks the nearest
// candidate if it is close enough to be a plausible typo.
//
//   if (auto s = SuggestClosest("pakages", keys)) hint = "did you mean '" + *s + "'?";
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::config {

/// Edits (insertions, deletions and, if allowed, replacements) turning `a` into `b`.
/// With max_distance > 0 the result is capped at max_distance + 1 once exceeded.
size_t EditDistance(std::string_view a, std::string_view b, bool allow_replacements = true,
                    size_t max_distance = 0);

/// The candidate nearest to `word` if it is within min(3, max(1, |word| / 3)) edits;
/// ties go to the earlier candidate.
std::optional<std::string> SuggestClosest(std::string_view word,
                                          const std::vector<std::string>& candidates);

/// "'a', 'b' or 'c'": candidates quoted for an "expected ..." hint.
std::string QuoteList(const std::vector<std::string>& items, std::string_view last_sep = " or ");

}  // namespace cairn::config
