// Private to the APK resolver: the indexed package universe and the search
// state, shared by the search (apk_resolver.cc) and the failure explanation
// and install ordering (apk_explain.cc).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cairn/solve/apk_resolver.h"

namespace cairn::solve::internal {

/// One package or provide offering a name. version == nullptr: virtual.
struct Provider {
  int pkg = -1;
  const std::string* version = nullptr;
};

struct Pkg {
  const apk::PackageInfo* info = nullptr;
  int name = -1;              ///< name id of info->name
  int first_repo = 0;         ///< lowest repository index holding it
  bool untagged = false;      ///< present in an untagged repository
  uint64_t tag_mask = 0;      ///< tags of the tagged repositories holding it
  bool pin_ok = true;         ///< matches the lock pin for its name, if any
};

struct Name {
  std::string text;
  std::vector<Provider> providers;
};

/// A requirement: one atom and who asked for it.
struct Req {
  const apk::Dependency* dep = nullptr;
  int requirer = -1;      ///< package id, or -1 for the world
  int world_index = -1;   ///< index into request.world when requirer == -1
  uint64_t pin_mask = 0;  ///< repository tags this requirement may use
};

struct Universe {
  const ApkResolveRequest* request = nullptr;
  std::vector<Pkg> pkgs;
  std::vector<Name> names;
  std::unordered_map<std::string, int> name_ids;
  std::vector<std::string> tags;  ///< bit i of a mask = tags[i]
  std::vector<int> iif_pkgs;      ///< packages with install_if, in index order

  int FindName(const std::string& n) const {
    auto it = name_ids.find(n);
    return it == name_ids.end() ? -1 : it->second;
  }
};

/// Does provider `p` satisfy the (positive form of the) atom `dep`?
bool ProviderMatches(const Universe& u, const Provider& p, const apk::Dependency& dep);

/// Why the search stopped, kept for the first dead end it met.
struct Failure {
  enum Kind { kNone, kMissing, kVirtual, kUnsatisfied, kConflict, kBudget } kind = kNone;
  Req req;
  int culprit = -1;  ///< kConflict: the selected package that breaks `req`
};

struct State {
  int level = 0;                     ///< number of provider choices on this path
  std::vector<char> selected;        ///< per package
  std::vector<int> sel_level;        ///< per selected package: the choice level it rests on
  std::vector<int> by_name;          ///< per package-name id: selected package or -1
  std::vector<int> order;            ///< selection order
  std::vector<Req> conflicts;        ///< active `!` atoms
  std::vector<Req> queue;
  size_t head = 0;
  std::vector<Req> deferred;         ///< virtual names waiting for a provider
  std::vector<Req> seen;             ///< every positive requirement met so far
  std::vector<char> iif_skipped;     ///< per package: install_if declined
};

/// "world[busybox] (images/x.yaml:5:7)" or "nginx-1.22.1-r0[/bin/sh]".
std::string DescribeReq(const Universe& u, const Req& r);
/// apk-tools' "unable to select packages:" text for the problems in state `s`.
std::string Explain(const Universe& u, const State& s, const std::vector<Failure>& problems);
/// Selected packages ordered dependencies first (DFS from the world).
std::vector<const apk::PackageInfo*> InstallOrder(const Universe& u, const State& s);

/// Why package `pkg` cannot be selected now, in apk-tools' vocabulary
/// ("breaks: ...", "conflicts: ...", "masked in: ..."); empty if it can.
std::vector<std::string> Exclusions(const Universe& u, const State& s, int pkg, const Req* req);

}  // namespace cairn::solve::internal
