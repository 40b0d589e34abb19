// APK resolution by depth-first search over provider choices.
//
// Requirements are processed in FIFO order from the world; each one either
// is already met by the selection, or picks a provider in apk-tools'
// preference order (preferred tag, highest provided version, highest package
// version, provider priority, earliest repository). A choice that later
// leads to a dead end is undone and the next candidate tried. Virtual names
// (only unversioned providers without priority) wait until the queue is
// empty: another selection may provide them, otherwise the user must choose.
// install_if packages are added once all their atoms hold.
#include "cairn/solve/apk_resolver.h"

#include <algorithm>
#include <memory>

#include "cairn/apk/version.h"
#include "solve/apk_universe.h"

namespace cairn::solve {
namespace internal {

bool ProviderMatches(const Universe& u, const Provider& p, const apk::Dependency& dep) {
  if (dep.op == apk::VersionOp::kAny) return true;
  if (dep.op == apk::VersionOp::kChecksum) return u.pkgs[p.pkg].info->checksum == dep.version;
  // apk-tools compares a missing (virtual) version as matching every operator.
  if (p.version == nullptr) return true;
  return apk::VersionSatisfies(*p.version, dep.op, dep.version);
}

namespace {

// Bounds the search on pathological requests (about a second of work); real
// resolutions take a few thousand steps.
constexpr long kStepBudget = 300'000;

std::string PkgText(const Universe& u, int pkg) {
  return u.pkgs[pkg].info->name + "-" + u.pkgs[pkg].info->version;
}

// Calls fn(name_id, provided_version_or_null) for each name `pkg` offers.
template <typename Fn>
void ForEachOffered(const Universe& u, int pkg, Fn fn) {
  const apk::PackageInfo& info = *u.pkgs[pkg].info;
  fn(u.pkgs[pkg].name, &info.version);
  for (const auto& pr : info.provides) {
    fn(u.FindName(pr.name), pr.version.empty() ? nullptr : &pr.version);
  }
}

// Checks whether `pkg` may join the selection. Without `reasons` it stops at
// the first problem (the hot path); with it, it collects every problem.
bool Check(const Universe& u, const State& s, int pkg, uint64_t pin_mask,
           std::vector<std::string>* reasons) {
  bool ok = true;
  auto fail = [&](std::string why) {
    ok = false;
    if (reasons) reasons->push_back(std::move(why));
    return reasons != nullptr;  // keep going only when collecting
  };
  const Pkg& p = u.pkgs[pkg];
  if (s.selected[pkg]) return true;
  if (!p.pin_ok) {
    if (!fail("masked in: lock (pinned to " + u.request->pinned.at(p.info->name) + ")")) return false;
  }
  if (!p.untagged && !(p.tag_mask & pin_mask)) {
    std::string tag;
    for (size_t i = 0; i < u.tags.size(); ++i) {
      if (p.tag_mask & (uint64_t{1} << i)) { tag = u.tags[i]; break; }
    }
    if (!fail("masked in: @" + tag)) return false;
  }
  int same = s.by_name[p.name];
  if (same != -1 && same != pkg) {
    if (!fail("conflicts: " + PkgText(u, same) + "[" + p.info->name + "]")) return false;
  }
  // A name offered with a version is owned by one package only.
  bool stop = false;
  ForEachOffered(u, pkg, [&](int name, const std::string* version) {
    if (stop || name < 0) return;
    for (const Provider& q : u.names[name].providers) {
      if (q.pkg == pkg || !s.selected[q.pkg] || q.pkg == same) continue;
      if (version == nullptr && q.version == nullptr) continue;
      if (!fail("conflicts: " + PkgText(u, q.pkg) + "[" + u.names[name].text + "]")) stop = true;
      break;
    }
  });
  if (stop) return false;
  for (const Req& c : s.conflicts) {
    if (c.requirer == pkg) continue;
    bool hit = false;
    ForEachOffered(u, pkg, [&](int name, const std::string* version) {
      if (!hit && name >= 0 && u.names[name].text == c.dep->name &&
          ProviderMatches(u, Provider{pkg, version}, *c.dep)) {
        hit = true;
      }
    });
    if (hit && !fail("breaks: " + DescribeReq(u, c))) return false;
  }
  for (const auto& d : p.info->depends) {
    if (!d.conflict) continue;
    int name = u.FindName(d.name);
    if (name < 0) continue;
    for (const Provider& q : u.names[name].providers) {
      if (q.pkg == pkg || !s.selected[q.pkg] || !ProviderMatches(u, q, d)) continue;
      if (!fail("conflicts: " + PkgText(u, q.pkg) + "[" + d.Format() + "]")) return false;
      break;
    }
  }
  return ok;
}

bool Satisfied(const Universe& u, const State& s, const apk::Dependency& dep) {
  int name = u.FindName(dep.name);
  if (name < 0) return false;
  for (const Provider& p : u.names[name].providers) {
    if (s.selected[p.pkg] && ProviderMatches(u, p, dep)) return true;
  }
  return false;
}

// The selected package that a `!` atom rules out, or -1.
int ConflictCulprit(const Universe& u, const State& s, const Req& r) {
  int name = u.FindName(r.dep->name);
  if (name < 0) return -1;
  for (const Provider& p : u.names[name].providers) {
    if (p.pkg != r.requirer && s.selected[p.pkg] && ProviderMatches(u, p, *r.dep)) return p.pkg;
  }
  return -1;
}

bool AutoSelectable(const Universe& u, const Provider& p) {
  return p.version != nullptr || u.pkgs[p.pkg].info->has_provider_priority;
}

// Sort key: apk-tools' compare_providers, most preferred first.
bool Prefer(const Universe& u, uint64_t pin_mask, const Provider& a, const Provider& b) {
  const Pkg& pa = u.pkgs[a.pkg];
  const Pkg& pb = u.pkgs[b.pkg];
  if (pin_mask) {
    bool ta = (pa.tag_mask & pin_mask) != 0, tb = (pb.tag_mask & pin_mask) != 0;
    if (ta != tb) return ta;
  }
  if (a.version && b.version) {
    int r = apk::CompareVersions(*a.version, *b.version);
    if (r != 0) return r > 0;
  }
  if (pa.name == pb.name) {
    int r = apk::CompareVersions(pa.info->version, pb.info->version);
    if (r != 0) return r > 0;
  }
  if (pa.info->provider_priority != pb.info->provider_priority) {
    return pa.info->provider_priority > pb.info->provider_priority;
  }
  if (pa.first_repo != pb.first_repo) return pa.first_repo < pb.first_repo;
  return a.pkg < b.pkg;
}

class Searcher {
 public:
  Searcher(const Universe& u, bool relaxed) : u_(u), relaxed_(relaxed) {}

  bool Run(State s) { return Search(std::move(s)); }
  const State& solution() const { return *solution_; }
  const Failure& failure() const { return failure_; }
  const State& failure_state() const { return *failure_state_; }
  const std::vector<Failure>& problems() const { return problems_; }

 private:
  // Records a dead end. Returns true when the search must give up on this
  // branch; in relaxed mode (used only to explain a failure) it notes the
  // problem and carries on, so that every problem gets reported.
  // `level` is the deepest choice the dead end depends on (see Search).
  bool Fail(const State& s, Failure f, int level) {
    fail_level_ = level;
    if (relaxed_) {
      problems_.push_back(f);
      return false;
    }
    if (failure_.kind == Failure::kNone) {
      failure_ = f;
      failure_state_ = std::make_unique<State>(s);
    }
    return true;
  }

  void Select(State& s, int pkg, uint64_t pin_mask, int level) {
    s.selected[pkg] = 1;
    s.sel_level[pkg] = level;
    s.by_name[u_.pkgs[pkg].name] = pkg;
    s.order.push_back(pkg);
    for (const auto& d : u_.pkgs[pkg].info->depends) {
      Req r{&d, pkg, -1, pin_mask};
      if (d.conflict) {
        s.conflicts.push_back(r);
      } else {
        s.queue.push_back(r);
      }
    }
  }

  // The best install_if package whose atoms all hold now, or -1.
  int NextInstallIf(const State& s) {
    int best = -1;
    for (int pkg : u_.iif_pkgs) {
      if (s.selected[pkg] || s.iif_skipped[pkg] || s.by_name[u_.pkgs[pkg].name] != -1) continue;
      bool all = true;
      for (const auto& d : u_.pkgs[pkg].info->install_if) {
        bool holds = d.conflict ? ConflictCulprit(u_, s, Req{&d, pkg, -1, 0}) == -1
                                : Satisfied(u_, s, d);
        if (!holds) { all = false; break; }
      }
      if (!all || !Check(u_, s, pkg, 0, nullptr)) continue;
      if (best == -1) {
        best = pkg;
      } else if (u_.pkgs[best].name == u_.pkgs[pkg].name &&
                 Prefer(u_, 0, Provider{pkg, &u_.pkgs[pkg].info->version},
                        Provider{best, &u_.pkgs[best].info->version})) {
        best = pkg;
      }
    }
    return best;
  }

  bool Search(State s) {
    while (true) {
      if (++steps_ > kStepBudget) {
        relaxed_ = false;
        Fail(s, Failure{Failure::kBudget, {}, -1}, 0);
        return false;
      }
      if (s.head < s.queue.size()) {
        Req r = s.queue[s.head++];
        if (r.dep->conflict) {
          int culprit = ConflictCulprit(u_, s, r);
          if (culprit != -1 &&
              Fail(s, Failure{Failure::kConflict, r, culprit},
                   std::max(ReqLevel(s, r), s.sel_level[culprit]))) {
            return false;
          }
          s.conflicts.push_back(r);
          continue;
        }
        s.seen.push_back(r);
        if (Satisfied(u_, s, *r.dep)) continue;
        int name = u_.FindName(r.dep->name);
        if (name < 0) {
          if (Fail(s, Failure{Failure::kMissing, r, -1}, ReqLevel(s, r))) return false;
          continue;
        }
        std::vector<Provider> cands;
        bool virtual_only = false;
        // Whether the candidate set depends on earlier choices (something was
        // excluded by the selection) or only on the requirement itself.
        bool state_dependent = false;
        for (const Provider& p : u_.names[name].providers) {
          if (!ProviderMatches(u_, p, *r.dep)) continue;
          if (!Check(u_, s, p.pkg, r.pin_mask, nullptr)) {
            state_dependent = true;
            continue;
          }
          if (AutoSelectable(u_, p)) {
            cands.push_back(p);
          } else {
            virtual_only = true;
          }
        }
        if (cands.empty()) {
          if (virtual_only) {
            s.deferred.push_back(r);
            continue;
          }
          int level = state_dependent ? s.level : ReqLevel(s, r);
          if (Fail(s, Failure{Failure::kUnsatisfied, r, -1}, level)) return false;
          continue;
        }
        std::sort(cands.begin(), cands.end(), [&](const Provider& a, const Provider& b) {
          return Prefer(u_, r.pin_mask, a, b);
        });
        if (cands.size() == 1 || relaxed_) {
          bool implied = cands.size() == 1 && !state_dependent && !virtual_only;
          Select(s, cands[0].pkg, r.pin_mask, implied ? ReqLevel(s, r) : s.level);
          continue;
        }
        if (Branch(s, cands, r)) return true;
        return false;
      }
      int iif = NextInstallIf(s);
      if (iif != -1 && relaxed_) {
        Select(s, iif, 0, s.level);
        continue;
      }
      if (iif != -1) {
        State t = s;
        t.level = s.level + 1;
        Select(t, iif, 0, t.level);
        if (Search(std::move(t))) return true;
        if (steps_ > kStepBudget || fail_level_ <= s.level) return false;
        s.iif_skipped[iif] = 1;  // cannot be installed with this selection: leave it out
        continue;
      }
      for (const Req& r : s.deferred) {
        if (!Satisfied(u_, s, *r.dep) && Fail(s, Failure{Failure::kVirtual, r, -1}, s.level)) {
          return false;
        }
      }
      if (relaxed_) failure_state_ = std::make_unique<State>(s);
      solution_ = std::make_unique<State>(std::move(s));
      return true;
    }
  }

  // Tries each candidate in a child state one level deeper. A child that
  // fails for a reason below that level (backjumping: the dead end does not
  // depend on this choice) ends the loop, so an impossible request fails
  // fast instead of trying every combination of earlier choices.
  bool Branch(const State& s, const std::vector<Provider>& cands, const Req& r) {
    for (const Provider& c : cands) {
      State t = s;
      t.level = s.level + 1;
      Select(t, c.pkg, r.pin_mask, t.level);
      if (Search(std::move(t))) return true;
      if (steps_ > kStepBudget || fail_level_ <= s.level) return false;
    }
    fail_level_ = s.level;
    return false;
  }

  int ReqLevel(const State& s, const Req& r) const {
    return r.requirer < 0 ? 0 : s.sel_level[r.requirer];
  }

  const Universe& u_;
  int fail_level_ = 0;
  bool relaxed_;
  std::vector<Failure> problems_;
  long steps_ = 0;
  Failure failure_;
  std::unique_ptr<State> failure_state_;
  std::unique_ptr<State> solution_;
};

int AddName(Universe& u, const std::string& n) {
  auto [it, inserted] = u.name_ids.emplace(n, static_cast<int>(u.names.size()));
  if (inserted) u.names.push_back(Name{n, {}});
  return it->second;
}

Universe Build(const std::vector<ApkRepository>& repos, const ApkResolveRequest& req) {
  Universe u;
  u.request = &req;
  std::unordered_map<std::string, int> by_identity;
  for (size_t ri = 0; ri < repos.size(); ++ri) {
    const ApkRepository& repo = repos[ri];
    uint64_t bit = 0;
    if (!repo.tag.empty()) {
      auto it = std::find(u.tags.begin(), u.tags.end(), repo.tag);
      size_t idx = static_cast<size_t>(it - u.tags.begin());
      if (it == u.tags.end()) u.tags.push_back(repo.tag);
      if (idx < 64) bit = uint64_t{1} << idx;
    }
    for (const apk::PackageInfo& info : repo.packages) {
      if (!req.arch.empty() && !info.arch.empty() && info.arch != req.arch && info.arch != "noarch") {
        continue;
      }
      // The same package (same identity hash) in several repositories is one
      // candidate that belongs to all of them, as in apk-tools.
      std::string identity = info.checksum.empty() ? info.name + "-" + info.version + "@" +
                                                         std::to_string(ri)
                                                   : info.checksum;
      auto [it, inserted] = by_identity.emplace(identity, static_cast<int>(u.pkgs.size()));
      if (!inserted) {
        Pkg& existing = u.pkgs[it->second];
        if (repo.tag.empty()) existing.untagged = true;
        existing.tag_mask |= bit;
        continue;
      }
      Pkg p;
      p.info = &info;
      p.first_repo = static_cast<int>(ri);
      p.untagged = repo.tag.empty();
      p.tag_mask = bit;
      auto pin = req.pinned.find(info.name);
      p.pin_ok = pin == req.pinned.end() || pin->second == info.version;
      u.pkgs.push_back(p);
    }
  }
  for (size_t i = 0; i < u.pkgs.size(); ++i) {
    Pkg& p = u.pkgs[i];
    int pkg = static_cast<int>(i);
    p.name = AddName(u, p.info->name);
    u.names[p.name].providers.push_back(Provider{pkg, &p.info->version});
    for (const auto& pr : p.info->provides) {
      int n = AddName(u, pr.name);
      u.names[n].providers.push_back(Provider{pkg, pr.version.empty() ? nullptr : &pr.version});
    }
    if (!p.info->install_if.empty()) u.iif_pkgs.push_back(pkg);
  }
  return u;
}

}  // namespace

std::vector<std::string> Exclusions(const Universe& u, const State& s, int pkg, const Req* req) {
  std::vector<std::string> reasons;
  Check(u, s, pkg, req ? req->pin_mask : 0, &reasons);
  return reasons;
}

}  // namespace internal

Result<ApkResolution> ResolveApk(const std::vector<ApkRepository>& repos,
                                 const ApkResolveRequest& request) {
  using namespace internal;
  Universe u = Build(repos, request);
  State s;
  s.selected.assign(u.pkgs.size(), 0);
  s.iif_skipped.assign(u.pkgs.size(), 0);
  s.by_name.assign(u.names.size(), -1);
  s.sel_level.assign(u.pkgs.size(), 0);
  for (size_t i = 0; i < request.world.size(); ++i) {
    const apk::Dependency& d = request.world[i];
    uint64_t mask = 0;
    if (!d.tag.empty()) {
      auto it = std::find(u.tags.begin(), u.tags.end(), d.tag);
      if (it == u.tags.end()) {
        return Error(Code::kUnsatisfiable,
                     "world atom '" + d.Format() + "' names repository tag '" + d.tag +
                         "' but no repository has that tag");
      }
      size_t idx = static_cast<size_t>(it - u.tags.begin());
      if (idx < 64) mask = uint64_t{1} << idx;
    }
    Req r{&d, -1, static_cast<int>(i), mask};
    // World conflicts hold from the start, whatever order the atoms come in.
    if (d.conflict) {
      s.conflicts.push_back(r);
    } else {
      s.queue.push_back(r);
    }
  }
  State start = s;
  Searcher searcher(u, /*relaxed=*/false);
  if (!searcher.Run(std::move(s))) {
    // Explain from a greedy pass that notes every problem instead of
    // backtracking, so all requirers and all broken names are listed, as
    // apk-tools lists them. If that pass happens to succeed, the strict
    // search's first dead end is the explanation.
    Searcher relaxed(u, /*relaxed=*/true);
    if (relaxed.Run(start) && !relaxed.problems().empty()) {
      return Error(Code::kUnsatisfiable, Explain(u, relaxed.failure_state(), relaxed.problems()));
    }
    return Error(Code::kUnsatisfiable,
                 Explain(u, searcher.failure_state(), {searcher.failure()}));
  }
  ApkResolution res;
  res.install_order = InstallOrder(u, searcher.solution());
  return res;
}

}  // namespace cairn::solve
