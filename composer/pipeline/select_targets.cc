#include "pipeline/select_targets.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cairn::pipeline {

Result<std::vector<config::BuildTarget>> SelectTargets(std::vector<config::BuildTarget> all,
                                                       const std::vector<std::string>& names,
                                                       const std::string& image_name) {
  if (names.empty()) return all;
  std::vector<std::string> existing;
  for (const auto& t : all) existing.push_back("'" + t.name + "'");
  for (const auto& n : names) {
    bool found = std::any_of(all.begin(), all.end(), [&](const auto& t) { return t.name == n; });
    if (!found)
      return UsageError(fmt::format("image '{}' has no build target '{}'", image_name, n))
          .Hint(fmt::format("its targets are {}", fmt::join(existing, ", ")));
  }
  std::vector<config::BuildTarget> out;
  for (auto& t : all)
    if (std::find(names.begin(), names.end(), t.name) != names.end()) out.push_back(std::move(t));
  return out;
}

}  // namespace cairn::pipeline
