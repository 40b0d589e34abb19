#include "pipeline/stack_resolve.h"

#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace cairn::pipeline {
namespace {

using Key = std::pair<std::string, std::string>;  // name, arch
Key KeyOf(const lock::LockedPackage& p) { return {p.name, p.arch}; }

// After a pinned solve failed: solve without pins and name the lower package
// the layer would change, if that is the reason.
Error ExplainConflict(const std::vector<LayerRequests>& layers, size_t top,
                      const std::vector<config::LString>& requests,
                      const std::map<Key, std::pair<const lock::LockedPackage*, size_t>>& lower,
                      const StackSolver& solve, Error pinned_error) {
  const LayerRequests& layer = layers[top];
  auto free_solve = solve(requests, {});
  if (free_solve.ok()) {
    std::map<std::string, const lock::LockedPackage*> chosen;
    for (const auto& p : *free_solve) chosen[p.name] = &p;
    for (const auto& [key, entry] : lower) {
      const auto& [locked, owner] = entry;
      auto it = chosen.find(key.first);
      std::string what;
      if (it == chosen.end())
        what = fmt::format("layer '{}' ({}) cannot be installed together with '{}' {}",
                           layer.name, layer.loc.ToString(), key.first, locked->version);
      else if (it->second->version != locked->version)
        what = fmt::format("layer '{}' ({}) needs '{}' {}", layer.name, layer.loc.ToString(),
                           key.first, it->second->version);
      else
        continue;
      return Error(Code::kUnsatisfiable,
                   fmt::format("{}, but layer '{}' ({}) installed '{}' {}", what,
                               layers[owner].name, layers[owner].loc.ToString(), key.first,
                               locked->version))
          .Hint("a layer never changes a lower layer's packages: move the package request to "
                "the lower layer, or pin a version both can use");
    }
  }
  return std::move(pinned_error)
      .Context(fmt::format("resolving layer '{}' ({}) on the layers below it", layer.name,
                           layer.loc.ToString()));
}

}  // namespace

Result<std::vector<lock::LockedLayer>> ResolveStack(const std::vector<LayerRequests>& layers,
                                                    const StackSolver& solve) {
  std::vector<lock::LockedLayer> out;
  std::vector<config::LString> requests;
  std::vector<lock::LockedPackage> pinned;
  std::map<Key, std::pair<const lock::LockedPackage*, size_t>> lower;  // -> (package, layer)
  for (size_t i = 0; i < layers.size(); ++i) {
    requests.insert(requests.end(), layers[i].packages.begin(), layers[i].packages.end());
    lock::LockedLayer locked{layers[i].name, {}};
    if (layers[i].packages.empty() && i > 0) {  // files-only layer: nothing new to solve
      out.push_back(std::move(locked));
      continue;
    }
    auto solved = solve(requests, pinned);
    if (!solved.ok())
      return ExplainConflict(layers, i, requests, lower, solve, std::move(solved).error());
    std::set<Key> seen;
    for (auto& p : *solved) {
      seen.insert(KeyOf(p));
      auto it = lower.find(KeyOf(p));
      if (it == lower.end()) {
        locked.packages.push_back(std::move(p));
      } else if (it->second.first->version != p.version) {
        return InternalError(fmt::format("the solver changed pinned '{}' {} to {}", p.name,
                                         it->second.first->version, p.version));
      }
    }
    for (const auto& [key, entry] : lower)
      if (!seen.count(key))
        return InternalError(fmt::format("the solver dropped pinned '{}' of layer '{}'",
                                         key.first, layers[entry.second].name));
    out.push_back(std::move(locked));
    // Pin what this layer added before solving the next one.
    for (const auto& p : out.back().packages) pinned.push_back(p);
    lower.clear();
    for (size_t l = 0; l < out.size(); ++l)
      for (const auto& p : out[l].packages) lower[KeyOf(p)] = {&p, l};
  }
  return out;
}

}  // namespace cairn::pipeline
