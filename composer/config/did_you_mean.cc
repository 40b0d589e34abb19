#include "cairn/config/did_you_mean.h"

#include <algorithm>

namespace cairn::config {

size_t EditDistance(std::string_view a, std::string_view b, bool allow_replacements,
                    size_t max_distance) {
  // One row of the dynamic-programming matrix at a time (ninja's approach).
  const size_t m = a.size();
  const size_t n = b.size();
  std::vector<size_t> row(n + 1);
  for (size_t j = 0; j <= n; ++j) row[j] = j;
  for (size_t i = 1; i <= m; ++i) {
    size_t diag = row[0];  // row[i-1][j-1]
    row[0] = i;
    size_t best_this_row = row[0];
    for (size_t j = 1; j <= n; ++j) {
      size_t above = row[j];
      size_t cost;
      if (allow_replacements) {
        cost = std::min(diag + (a[i - 1] == b[j - 1] ? 0 : 1), std::min(above, row[j - 1]) + 1);
      } else if (a[i - 1] == b[j - 1]) {
        cost = diag;
      } else {
        cost = std::min(above, row[j - 1]) + 1;
      }
      diag = above;
      row[j] = cost;
      best_this_row = std::min(best_this_row, cost);
    }
    if (max_distance > 0 && best_this_row > max_distance) return max_distance + 1;
  }
  return row[n];
}

std::optional<std::string> SuggestClosest(std::string_view word,
                                          const std::vector<std::string>& candidates) {
  // Short words tolerate fewer edits, so "foo" does not suggest "cmd".
  const size_t limit = std::min<size_t>(3, std::max<size_t>(1, word.size() / 3));
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c, true, limit);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string QuoteList(const std::vector<std::string>& items, std::string_view last_sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? std::string(last_sep) : std::string(", ");
    out += "'" + items[i] + "'";
  }
  return out;
}

}  // namespace cairn::config
