// Debian resolution with libsolv, fed by hand from deb::Package structs.
//
// Multi-Arch is modelled the way apt does it: every architecture has its own
// names. A package of the native architecture (or "all") is "foo", one of a
// foreign architecture is "foo:i386". A dependency without qualifier looks in
// the depending package's namespace; Multi-Arch: foreign packages provide
// their names in every namespace, Multi-Arch: allowed ones also "foo:any".
// That is dpkg's deparchsatisfied() expressed as provides, so libsolv needs
// no Multi-Arch knowledge. With foreign architectures, a hidden "@set/foo"
// provide keeps instances of one package on several architectures apart
// unless all are Multi-Arch: same (which must then share a version).
//
// libsolv picks among alternatives by name, apt by position: the first
// installable alternative of `a | b`. A greedy pass in apt's manner walks the
// dependencies first and its picks become SOLVER_FAVOR jobs, so libsolv
// chooses as apt would while still backtracking where apt's guess fails.
#include "cairn/solve/deb_resolver.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "solve/solv_pool.h"

namespace cairn::solve {
namespace {

using internal::SolvId;
using internal::SolvJob;
using internal::SolvPool;
using internal::SolvRel;
using internal::SolvRuleInfo;
using internal::SolvRuleKind;
using internal::SolvSolver;

constexpr std::string_view kSetPrefix = "@set/";

SolvRel RelOf(deb::RelationOp op) {
  switch (op) {
    case deb::RelationOp::kLess: return SolvRel::kLess;
    case deb::RelationOp::kLessEq: return SolvRel::kLessEq;
    case deb::RelationOp::kGreaterEq: return SolvRel::kGreaterEq;
    case deb::RelationOp::kGreater: return SolvRel::kGreater;
    case deb::RelationOp::kAny:
    case deb::RelationOp::kEqual: break;
  }
  return SolvRel::kEqual;
}

const char* OpText(SolvRel op) {
  switch (op) {
    case SolvRel::kLess: return "<<";
    case SolvRel::kLessEq: return "<=";
    case SolvRel::kEqual: return "=";
    case SolvRel::kGreaterEq: return ">=";
    case SolvRel::kGreater: return ">>";
    case SolvRel::kOr: return "|";
  }
  return "=";
}

// What the resolver keeps about each solvable besides libsolv's copy.
struct Entry {
  const deb::Package* pkg = nullptr;
  std::vector<SolvId> pre_depends, depends, recommends;  // one id per group
  std::set<SolvId> breaks;                               // conflict ids from Breaks
};

// Who asked for a job: a request (with its place in the YAML) or a set.
struct JobOrigin {
  int request = -1;  // index into requests, or -1
  std::string label;
};

class Resolver {
 public:
  Resolver(SolvPool pool, const DebResolveOptions& options) : pool_(std::move(pool)) {
    native_ = options.architecture;
    arches_.push_back(native_);
    for (const auto& a : options.foreign_architectures) {
      if (a != "all" && std::find(arches_.begin(), arches_.end(), a) == arches_.end()) {
        arches_.push_back(a);
      }
    }
    with_recommends_ = options.with_recommends;
  }

  void AddUniverse(const std::vector<deb::Package>& universe);
  Result<DebResolution> Run(const std::vector<DebRequest>& requests,
                            const DebResolveOptions& options);

 private:
  Status AddJobs(SolvSolver* solver, const std::vector<DebRequest>& requests,
                 const DebResolveOptions& options);
  Error Explain(const SolvSolver& solver, int problems, const std::vector<DebRequest>& requests);
  std::vector<const deb::Package*> InstallOrder(const std::vector<SolvId>& selected);

  bool Configured(const std::string& arch) const {
    return std::find(arches_.begin(), arches_.end(), arch) != arches_.end();
  }
  std::string Ns(const std::string& arch, const std::string& name) const {
    return arch == native_ ? name : name + ":" + arch;
  }
  // Ns() interned, without building a string for the native architecture.
  SolvId NsId(const std::string& arch, const std::string& name) {
    return arch == native_ ? pool_.Str(name) : pool_.Str(name + ":" + arch);
  }
  const std::string& EffectiveArch(const deb::Package& p) const {
    return p.architecture == "all" ? native_ : p.architecture;
  }
  SolvId Versioned(SolvId name, deb::RelationOp op, const std::string& version) {
    if (op == deb::RelationOp::kAny) return name;
    return pool_.Rel(name, pool_.Str(version), RelOf(op));
  }
  SolvId DepTarget(const deb::Relation& r, const std::string& arch);
  SolvId Group(const deb::Alternatives& alts, const std::string& arch);
  std::vector<SolvId> Flatten(SolvId dep) const;
  // Solvables whose own name is `name` (not those merely providing it).
  std::vector<SolvId> Named(SolvId name) const {
    std::vector<SolvId> out;
    for (SolvId p : pool_.WhatProvides(name)) {
      if (pool_.SolvableName(p) == name) out.push_back(p);
    }
    return out;
  }
  Entry& At(SolvId p) {
    if (static_cast<size_t>(p) >= entries_.size()) entries_.resize(p + 1);
    return entries_[p];
  }
  const deb::Package* Pkg(SolvId p) const {
    return static_cast<size_t>(p) < entries_.size() ? entries_[p].pkg : nullptr;
  }
  SolvId Best(SolvId alt) const;
  std::vector<SolvId> Favourites(const std::vector<SolvId>& roots) const;

  std::string PkgText(SolvId p) const;
  std::string PairText(SolvId a, SolvId b) const;
  bool Before(SolvId a, SolvId b) const;
  std::string DepText(SolvId dep) const;
  std::string Available(SolvId dep) const;
  std::string RuleText(const SolvRuleInfo& r) const;

  SolvPool pool_;
  std::string native_;
  std::vector<std::string> arches_;  // native first
  bool with_recommends_ = false;
  std::vector<Entry> entries_;       // by solvable id
  std::map<std::string, std::set<std::string>> other_arches_;  // skipped name -> arches
  std::map<int, JobOrigin> job_origin_;  // job index -> origin
};

SolvId Resolver::DepTarget(const deb::Relation& r, const std::string& arch) {
  SolvId name;
  const std::string& q = r.arch_qualifier;
  if (q.empty()) {
    name = NsId(arch, r.name);
  } else if (q == "any") {
    name = pool_.Str(r.name + ":any");
  } else if (q == "native" || q == "all") {
    name = pool_.Str(r.name);
  } else {
    name = NsId(q, r.name);  // an unconfigured arch: nothing provides it
  }
  return Versioned(name, r.op, r.version);
}

SolvId Resolver::Group(const deb::Alternatives& alts, const std::string& arch) {
  // libsolv nests `a | b | c` to the right: a | (b | c).
  SolvId id = DepTarget(alts.back(), arch);
  for (size_t i = alts.size() - 1; i-- > 0;) {
    id = pool_.Rel(DepTarget(alts[i], arch), id, SolvRel::kOr);
  }
  return id;
}

std::vector<SolvId> Resolver::Flatten(SolvId dep) const {
  std::vector<SolvId> out;
  while (true) {
    auto parts = pool_.Split(dep);
    if (!parts.is_relation || parts.op != SolvRel::kOr) {
      out.push_back(dep);
      return out;
    }
    out.push_back(parts.name);
    dep = parts.evr;
  }
}

void Resolver::AddUniverse(const std::vector<deb::Package>& universe) {
  std::map<std::string, int> repos;
  struct KeyHash {
    size_t operator()(const std::tuple<SolvId, SolvId, SolvId>& k) const {
      auto [a, b, c] = k;
      return (static_cast<size_t>(a) * 1000003u ^ static_cast<size_t>(b)) * 1000003u ^
             static_cast<size_t>(c);
    }
  };
  std::unordered_set<std::tuple<SolvId, SolvId, SolvId>, KeyHash> seen;  // name, version, arch
  seen.reserve(universe.size());
  SolvId arch_all = pool_.Str("all");
  entries_.reserve(universe.size() + 2);
  internal::SolvableSpec spec;
  for (const deb::Package& p : universe) {
    if (p.architecture != "all" && !Configured(p.architecture)) {
      other_arches_[p.name].insert(p.architecture);
      continue;
    }
    const std::string& arch = EffectiveArch(p);
    spec = internal::SolvableSpec();
    spec.name = NsId(arch, p.name);
    spec.evr = pool_.Str(p.version);
    spec.arch = p.architecture == "all" ? arch_all : pool_.Str(p.architecture);
    if (!seen.emplace(spec.name, spec.evr, spec.arch).second) continue;
    auto repo_it = repos.find(p.repository);
    if (repo_it == repos.end()) {
      repo_it = repos.emplace(p.repository, pool_.AddRepo(p.repository)).first;
    }

    // Provides: the package itself and its Provides, in the namespaces dpkg
    // would let them satisfy.
    auto offer = [&](const std::string& name, const std::string* version) {
      auto add = [&](SolvId n) {
        spec.provides.push_back(
            version ? pool_.Rel(n, pool_.Str(*version), SolvRel::kEqual) : n);
      };
      add(NsId(arch, name));
      if (p.multi_arch == "foreign") {
        for (const auto& a : arches_) {
          if (a != arch) add(NsId(a, name));
        }
      } else if (p.multi_arch == "allowed") {
        add(pool_.Str(name + ":any"));
      }
    };
    offer(p.name, &p.version);
    for (const auto& alts : p.provides) {
      for (const auto& r : alts) {
        offer(r.name, r.op == deb::RelationOp::kEqual ? &r.version : nullptr);
      }
    }
    // With one architecture, names are unique per package already.
    if (arches_.size() > 1) {
      SolvId set = pool_.Str(std::string(kSetPrefix) + p.name);
      spec.provides.push_back(pool_.Rel(set, spec.evr, SolvRel::kEqual));
      if (p.multi_arch == "same") {
        spec.conflicts.push_back(pool_.Rel(set, spec.evr, SolvRel::kLess));
        spec.conflicts.push_back(pool_.Rel(set, spec.evr, SolvRel::kGreater));
      } else {
        spec.conflicts.push_back(set);
      }
    }

    Entry entry;
    entry.pkg = &p;
    for (const auto& g : p.pre_depends) entry.pre_depends.push_back(Group(g, arch));
    for (const auto& g : p.depends) entry.depends.push_back(Group(g, arch));
    if (with_recommends_) {
      for (const auto& g : p.recommends) entry.recommends.push_back(Group(g, arch));
    }
    // Conflicts and Breaks without qualifier (or with ':any') hit every
    // architecture, as dpkg gives them an implicit wildcard.
    std::set<SolvId> from_conflicts;
    auto conflict = [&](const deb::Relation& r, bool is_break) {
      auto add = [&](SolvId n) {
        SolvId id = Versioned(n, r.op, r.version);
        spec.conflicts.push_back(id);
        (is_break ? entry.breaks : from_conflicts).insert(id);
      };
      const std::string& q = r.arch_qualifier;
      if (q.empty() || q == "any") {
        for (const auto& a : arches_) add(NsId(a, r.name));
      } else if (q == "native" || q == "all") {
        add(pool_.Str(r.name));
      } else {
        add(NsId(q, r.name));
      }
    };
    for (const auto& alts : p.conflicts) {
      for (const auto& r : alts) conflict(r, false);
    }
    for (const auto& alts : p.breaks) {
      for (const auto& r : alts) conflict(r, true);
    }
    for (SolvId id : from_conflicts) entry.breaks.erase(id);  // both: say "conflicts"
    spec.requires_ = entry.depends;
    spec.prerequires = entry.pre_depends;
    spec.recommends = entry.recommends;
    SolvId id = pool_.AddSolvable(repo_it->second, spec);
    At(id) = std::move(entry);
  }
  pool_.CreateWhatProvides();
}

// apt's candidate for one alternative: the named package's highest version,
// else (a virtual name) a provider by Priority, then name, then version.
SolvId Resolver::Best(SolvId alt) const {
  auto parts = pool_.Split(alt);
  SolvId name = parts.name;
  static const std::vector<std::string> kPriorities = {"required", "important", "standard",
                                                       "optional", "extra"};
  auto rank = [&](SolvId p) {
    auto it = std::find(kPriorities.begin(), kPriorities.end(), Pkg(p)->priority);
    return it - kPriorities.begin();
  };
  SolvId best = 0;
  bool best_real = false;
  for (SolvId p : pool_.WhatProvides(alt)) {
    if (!Pkg(p)) continue;
    bool real = pool_.SolvableName(p) == name;
    if (!best) {
      best = p, best_real = real;
      continue;
    }
    if (real != best_real) {
      if (real) best = p, best_real = true;
      continue;
    }
    if (!real) {
      if (rank(p) != rank(best)) {
        if (rank(p) < rank(best)) best = p;
        continue;
      }
      if (Pkg(p)->name != Pkg(best)->name) {
        if (Pkg(p)->name < Pkg(best)->name) best = p;
        continue;
      }
    }
    if (pool_.EvrCmp(pool_.SolvableEvr(p), pool_.SolvableEvr(best)) > 0) best = p;
  }
  return best;
}

// The greedy pass: what apt's MarkInstall would pick, in pick order.
std::vector<SolvId> Resolver::Favourites(const std::vector<SolvId>& roots) const {
  std::vector<char> chosen(entries_.size(), 0);
  std::vector<SolvId> order;
  std::deque<SolvId> work;
  auto satisfied = [&](SolvId dep) {
    for (SolvId p : pool_.WhatProvides(dep)) {
      if (static_cast<size_t>(p) < chosen.size() && chosen[p]) return true;
    }
    return false;
  };
  auto take = [&](SolvId group) {
    if (satisfied(group)) return;
    for (SolvId alt : Flatten(group)) {
      SolvId p = Best(alt);
      if (!p) continue;
      chosen[p] = 1;
      order.push_back(p);
      work.push_back(p);
      return;
    }
  };
  for (SolvId root : roots) take(root);
  while (!work.empty()) {
    SolvId p = work.front();
    work.pop_front();
    const Entry& e = entries_[p];
    for (SolvId g : e.pre_depends) take(g);
    for (SolvId g : e.depends) take(g);
    for (SolvId g : e.recommends) take(g);
  }
  return order;
}

Status Resolver::AddJobs(SolvSolver* solver, const std::vector<DebRequest>& requests,
                         const DebResolveOptions& options) {
  std::vector<SolvId> roots;
  auto add_set = [&](auto wanted, const std::string& label) {
    std::set<std::string> names;
    for (const Entry& e : entries_) {
      if (e.pkg && EffectiveArch(*e.pkg) == native_ && wanted(*e.pkg)) names.insert(e.pkg->name);
    }
    for (const auto& n : names) {
      SolvId id = pool_.Str(n);
      job_origin_[solver->AddJob(SolvJob::kInstallName, id)] = {-1, label + " '" + n + "'"};
      roots.push_back(id);
    }
  };
  if (options.with_essential) {
    add_set([](const deb::Package& p) { return p.essential; }, "essential package");
  }
  if (options.with_required) {
    add_set([](const deb::Package& p) { return p.priority == "required"; },
            "Priority: required package");
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    const DebRequest& req = requests[i];
    std::string name = req.name;
    std::string base = name;
    if (auto colon = name.rfind(':'); colon != std::string::npos) {
      base = name.substr(0, colon);
      std::string arch = name.substr(colon + 1);
      if (!Configured(arch)) {
        std::vector<std::string> quoted;
        for (const auto& a : arches_) quoted.push_back("'" + a + "'");
        std::string expected;
        for (size_t k = 0; k < quoted.size(); ++k) {
          expected += (k == 0 ? "" : k + 1 == quoted.size() ? " or " : ", ") + quoted[k];
        }
        return ConfigError(req.loc, "unknown architecture '" + arch + "' in '" + name +
                                        "' (expected " + expected + ")");
      }
      name = Ns(arch, base);
    }
    SolvId name_id = pool_.Str(name);
    SolvId dep = Versioned(name_id, req.op, req.version);
    int job;
    if (!Named(name_id).empty()) {
      job = solver->AddJob(SolvJob::kInstallName, dep);
    } else {
      std::set<std::string> providers;
      for (SolvId p : pool_.WhatProvides(name_id)) {
        if (Pkg(p)) providers.insert(pool_.Text(pool_.SolvableName(p)));
      }
      if (providers.empty()) {
        Error err = NotFoundError("unknown package '" + name + "'").At(req.loc);
        auto other = other_arches_.find(base);
        if (other != other_arches_.end()) {
          std::string list;
          for (const auto& a : other->second) list += (list.empty() ? "'" : ", '") + a + "'";
          err.Hint("'" + base + "' exists for " + list + " only");
        }
        return err;
      }
      if (providers.size() > 1) {
        std::string list;
        for (const auto& p : providers) list += (list.empty() ? "'" : ", '") + p + "'";
        return Error(Code::kUnsatisfiable,
                     "package '" + name + "' is virtual and provided by " + list)
            .At(req.loc)
            .Hint("request one of the providers");
      }
      job = solver->AddJob(SolvJob::kInstallProvides, dep);
    }
    job_origin_[job] = {static_cast<int>(i), "request '" + DepText(dep) + "'"};
    roots.push_back(dep);
  }
  // Earlier picks are stronger: libsolv lets the last favor job win.
  std::vector<SolvId> favourites = Favourites(roots);
  for (size_t i = favourites.size(); i-- > 0;) {
    solver->AddJob(SolvJob::kFavorSolvable, favourites[i]);
  }
  return {};
}

// --- Explanations ------------------------------------------------------------

std::string Resolver::PkgText(SolvId p) const {
  const deb::Package* pkg = Pkg(p);
  if (!pkg) return pool_.Text(pool_.SolvableName(p));
  std::string name = pkg->name;
  if (pkg->architecture != "all" && pkg->architecture != native_) name += ":" + pkg->architecture;
  return name + " " + pkg->version;
}

// Sort key for messages and the install order: name, architecture, version.
bool Resolver::Before(SolvId a, SolvId b) const {
  const deb::Package& pa = *Pkg(a);
  const deb::Package& pb = *Pkg(b);
  if (pa.name != pb.name) return pa.name < pb.name;
  if (pa.architecture != pb.architecture) return pa.architecture < pb.architecture;
  return pool_.EvrCmp(pool_.SolvableEvr(a), pool_.SolvableEvr(b)) < 0;
}

// "'a 1' and 'b 2'", in sort order so the text does not depend on libsolv's.
std::string Resolver::PairText(SolvId a, SolvId b) const {
  if (Pkg(a) && Pkg(b) && Before(b, a)) std::swap(a, b);
  return "'" + PkgText(a) + "' and '" + PkgText(b) + "'";
}

std::string Resolver::DepText(SolvId dep) const {
  auto parts = pool_.Split(dep);
  if (!parts.is_relation) return pool_.Text(dep);
  if (parts.op == SolvRel::kOr) return DepText(parts.name) + " | " + DepText(parts.evr);
  return pool_.Text(parts.name) + " (" + OpText(parts.op) + " " + pool_.Text(parts.evr) + ")";
}

// " (available: '1.0', '1.5')" for a versioned dependency on a real name.
std::string Resolver::Available(SolvId dep) const {
  auto parts = pool_.Split(dep);
  if (!parts.is_relation || parts.op == SolvRel::kOr) return "";
  std::vector<SolvId> evrs;
  for (SolvId p : Named(parts.name)) evrs.push_back(pool_.SolvableEvr(p));
  if (evrs.empty()) return "";
  std::sort(evrs.begin(), evrs.end(), [&](SolvId a, SolvId b) { return pool_.EvrCmp(a, b) < 0; });
  evrs.erase(std::unique(evrs.begin(), evrs.end()), evrs.end());
  std::string out;
  for (SolvId e : evrs) out += (out.empty() ? " (available: '" : ", '") + pool_.Text(e) + "'";
  return out + ")";
}

std::string Resolver::RuleText(const SolvRuleInfo& r) const {
  auto has = [](const std::vector<SolvId>& v, SolvId id) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  switch (r.kind) {
    case SolvRuleKind::kJobUnknownPackage:
    case SolvRuleKind::kJobNothingProvides:
      return "no package matches '" + DepText(r.dep) + "'" + Available(r.dep);
    case SolvRuleKind::kNotInstallable:
      return "package '" + PkgText(r.source) + "' is not installable";
    case SolvRuleKind::kNothingProvides:
      return "nothing provides '" + DepText(r.dep) + "' needed by '" + PkgText(r.source) + "'" +
             Available(r.dep);
    case SolvRuleKind::kSameName:
      return "cannot install both " + PairText(r.source, r.target);
    case SolvRuleKind::kConflicts: {
      std::string dep = pool_.Text(pool_.Split(r.dep).name);
      if (dep.rfind(kSetPrefix, 0) == 0) {
        const deb::Package* a = Pkg(r.source);
        const deb::Package* b = Pkg(r.target);
        bool both_same = a && b && a->multi_arch == "same" && b->multi_arch == "same";
        return "cannot install both " + PairText(r.source, r.target) +
               (both_same ? " (Multi-Arch: same packages must have one version)"
                          : " (only Multi-Arch: same packages are co-installable)");
      }
      bool is_break = Pkg(r.source) && entries_[r.source].breaks.count(r.dep) > 0;
      return "package '" + PkgText(r.source) + (is_break ? "' breaks '" : "' conflicts with '") +
             DepText(r.dep) + "' provided by '" + PkgText(r.target) + "'";
    }
    case SolvRuleKind::kRequires: {
      bool pre = Pkg(r.source) && has(entries_[r.source].pre_depends, r.dep);
      return "package '" + PkgText(r.source) + (pre ? "' pre-depends on '" : "' depends on '") +
             DepText(r.dep) + "', but none of the providers can be installed";
    }
    case SolvRuleKind::kSelfConflict:
      return "package '" + PkgText(r.source) + "' conflicts with '" + DepText(r.dep) +
             "' provided by itself";
    case SolvRuleKind::kJob:
    case SolvRuleKind::kOther:
      break;
  }
  return r.libsolv_text;
}

Error Resolver::Explain(const SolvSolver& solver, int problems,
                        const std::vector<DebRequest>& requests) {
  std::string out = "unable to select packages:";
  int first_request = -1;  // the earliest request taking part in any problem
  for (int i = 1; i <= problems; ++i) {
    std::vector<std::string> lines;
    std::set<std::pair<int, std::string>> origins;  // requests in order, then the sets
    for (const SolvRuleInfo& r : solver.ProblemRules(i)) {
      bool job = r.kind == SolvRuleKind::kJob || r.kind == SolvRuleKind::kJobUnknownPackage ||
                 r.kind == SolvRuleKind::kJobNothingProvides;
      if (job) {
        auto it = job_origin_.find(r.source);
        if (it != job_origin_.end()) {
          std::string line = "required by: " + it->second.label;
          int req = it->second.request;
          if (req >= 0) {
            if (requests[req].loc.known()) line += " (" + requests[req].loc.ToString() + ")";
            if (first_request < 0 || req < first_request) first_request = req;
          }
          origins.insert({req >= 0 ? req : static_cast<int>(requests.size()), line});
        }
        if (r.kind == SolvRuleKind::kJob) continue;
      }
      std::string text = RuleText(r);
      if (std::find(lines.begin(), lines.end(), text) == lines.end()) lines.push_back(text);
    }
    if (lines.empty()) lines.push_back("conflicting requests");
    out += "\n  problem " + std::to_string(i) + ": " + lines[0];
    for (size_t k = 1; k < lines.size(); ++k) out += "\n    " + lines[k];
    for (const auto& o : origins) out += "\n    " + o.second;
    // libsolv's own ways out, as apt-like tools print them; the jobs that
    // only carry apt's alternative preference are not worth offering.
    int shown = 0;
    for (const auto& solution : solver.Solutions(i)) {
      bool favor = std::any_of(solution.begin(), solution.end(), [](const std::string& e) {
        return e.find("favor") != std::string::npos;
      });
      if (favor || solution.empty() || shown == 3) continue;
      out += fmt::format("\n    solution {}: {}", ++shown, fmt::join(solution, "; "));
    }
  }
  Error err(Code::kUnsatisfiable, out);
  if (first_request >= 0 && requests[first_request].loc.known()) {
    err.At(requests[first_request].loc);
  }
  return err;
}

// --- Install order -----------------------------------------------------------

std::vector<const deb::Package*> Resolver::InstallOrder(const std::vector<SolvId>& selected) {
  // Nodes sorted by (name, architecture, version) so every tie is by name.
  std::vector<SolvId> nodes = selected;
  std::sort(nodes.begin(), nodes.end(), [&](SolvId a, SolvId b) { return Before(a, b); });
  const int n = static_cast<int>(nodes.size());
  std::unordered_map<SolvId, int> index;
  for (int i = 0; i < n; ++i) index[nodes[i]] = i;

  // i -> j when i needs j; each group points at the selected providers of
  // its first alternative that has one.
  struct Edge { int to; bool pre; };
  std::vector<std::vector<Edge>> edges(n);
  for (int i = 0; i < n; ++i) {
    const Entry& e = entries_[nodes[i]];
    auto link = [&](SolvId group, bool pre) {
      for (SolvId alt : Flatten(group)) {
        bool found = false;
        for (SolvId p : pool_.WhatProvides(alt)) {
          auto it = index.find(p);
          if (it == index.end()) continue;
          found = true;
          if (it->second != i) edges[i].push_back({it->second, pre});
        }
        if (found) return;
      }
    };
    for (SolvId g : e.pre_depends) link(g, true);
    for (SolvId g : e.depends) link(g, false);
  }

  // Tarjan's strongly connected components, iteratively.
  std::vector<int> comp(n, -1), low(n, 0), num(n, -1), stack;
  std::vector<char> on_stack(n, 0);
  int counter = 0, ncomp = 0;
  for (int root = 0; root < n; ++root) {
    if (num[root] >= 0) continue;
    std::vector<std::pair<int, size_t>> frames{{root, 0}};
    num[root] = low[root] = counter++;
    stack.push_back(root);
    on_stack[root] = 1;
    while (!frames.empty()) {
      auto& [v, next] = frames.back();
      if (next < edges[v].size()) {
        int w = edges[v][next++].to;
        if (num[w] < 0) {
          num[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack[w] = 1;
          frames.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], num[w]);
        }
        continue;
      }
      if (low[v] == num[v]) {
        int w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = 0;
          comp[w] = ncomp;
        } while (w != v);
        ++ncomp;
      }
      int done = v;
      frames.pop_back();
      if (!frames.empty()) low[frames.back().first] = std::min(low[frames.back().first], low[done]);
    }
  }

  // Kahn's algorithm over the components, smallest member (by sort key) first.
  std::vector<std::vector<int>> members(ncomp);
  for (int i = 0; i < n; ++i) members[comp[i]].push_back(i);  // ascending
  std::vector<std::set<int>> needs(ncomp), needed_by(ncomp);
  for (int i = 0; i < n; ++i) {
    for (const Edge& e : edges[i]) {
      if (comp[e.to] != comp[i]) {
        needs[comp[i]].insert(comp[e.to]);
        needed_by[comp[e.to]].insert(comp[i]);
      }
    }
  }
  std::vector<size_t> pending(ncomp);
  std::set<std::pair<int, int>> ready;  // (smallest member, component)
  for (int c = 0; c < ncomp; ++c) {
    pending[c] = needs[c].size();
    if (pending[c] == 0) ready.insert({members[c][0], c});
  }
  std::vector<char> emitted(n, 0);
  std::vector<const deb::Package*> out;
  while (!ready.empty()) {
    int c = ready.begin()->second;
    ready.erase(ready.begin());
    // Inside a cycle: the first member whose in-cycle dependencies are all
    // placed; failing that, the first whose Pre-Depends are; else the first.
    std::vector<int> left = members[c];
    while (!left.empty()) {
      auto placed = [&](int i, bool pre_only) {
        for (const Edge& e : edges[i]) {
          if (comp[e.to] == c && !emitted[e.to] && (e.pre || !pre_only)) return false;
        }
        return true;
      };
      auto pick = std::find_if(left.begin(), left.end(), [&](int i) { return placed(i, false); });
      if (pick == left.end()) {
        pick = std::find_if(left.begin(), left.end(), [&](int i) { return placed(i, true); });
      }
      if (pick == left.end()) pick = left.begin();
      emitted[*pick] = 1;
      out.push_back(Pkg(nodes[*pick]));
      left.erase(pick);
    }
    for (int d : needed_by[c]) {
      if (--pending[d] == 0) ready.insert({members[d][0], d});
    }
  }
  return out;
}

Result<DebResolution> Resolver::Run(const std::vector<DebRequest>& requests,
                                    const DebResolveOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(SolvSolver solver, SolvSolver::Open(pool_, options.with_recommends));
  CAIRN_TRY(AddJobs(&solver, requests, options));
  int problems = solver.Solve();
  if (problems > 0) return Explain(solver, problems, requests);
  DebResolution res;
  res.packages = InstallOrder(solver.Installed());
  return res;
}

}  // namespace

Result<DebResolution> ResolveDeb(const std::vector<deb::Package>& universe,
                                 const std::vector<DebRequest>& requests,
                                 const DebResolveOptions& options) {
  if (options.architecture.empty() || options.architecture == "all") {
    return InternalError("no native architecture given for Debian resolution (got '" +
                         options.architecture + "')");
  }
  std::string policy = options.architecture;
  for (const auto& a : options.foreign_architectures) {
    if (a != "all" && a != options.architecture) policy += ":" + a;
  }
  CAIRN_ASSIGN_OR_RETURN(SolvPool pool, SolvPool::Open(policy));
  Resolver resolver(std::move(pool), options);
  resolver.AddUniverse(universe);
  return resolver.Run(requests, options);
}

}  // namespace cairn::solve
