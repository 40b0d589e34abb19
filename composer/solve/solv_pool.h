// RAII wrappers over libsolv (Pool, Solver, Queue) for the Debian resolver.
//
// SolvPool owns a pool in Debian semantics (dpkg version ordering, "all" as
// the no-arch class, unversioned provides never matching versioned
// dependencies). Solvables are fed by hand, one repo per repository string;
// SolvSolver runs a job queue and reports the selection or each problem's
// rules. Only the calls the resolver uses are exposed; libsolv's headers stay
// in solv_pool.cc, so callers see plain ints (SolvId) and enums.
//
//   CAIRN_ASSIGN_OR_RETURN(auto pool, SolvPool::Open("amd64:i386"));
//   SolvId p = pool.AddSolvable(repo, {...});  pool.CreateWhatProvides();
//   CAIRN_ASSIGN_OR_RETURN(auto solver, SolvSolver::Open(pool));
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

struct s_Pool;
struct s_Solver;
struct s_Queue;

namespace cairn::solve::internal {

/// A libsolv Id: a string, a relation, a solvable or a repo handle.
using SolvId = int;

/// Relation kinds we build; kOr is Debian's `a | b`.
enum class SolvRel { kLess, kLessEq, kEqual, kGreaterEq, kGreater, kOr };

/// A relation taken apart again (for messages).
struct SolvRelParts {
  bool is_relation = false;  ///< false: `name` is a plain string id
  SolvId name = 0;           ///< left side (for kOr: first alternative)
  SolvId evr = 0;            ///< right side (for kOr: the remaining alternatives)
  SolvRel op = SolvRel::kEqual;
};

/// What one solvable says about itself; all ids come from the same pool.
struct SolvableSpec {
  SolvId name = 0;
  SolvId evr = 0;
  SolvId arch = 0;
  std::vector<SolvId> provides;
  std::vector<SolvId> requires_;    ///< Depends
  std::vector<SolvId> prerequires;  ///< Pre-Depends (libsolv's prereq marker)
  std::vector<SolvId> conflicts;    ///< Conflicts and Breaks
  std::vector<SolvId> recommends;
};

/// A growable list of Ids (libsolv's Queue); freed with queue_free.
class SolvQueue {
 public:
  static Result<SolvQueue> Open();
  void Push(SolvId id);
  int size() const;
  SolvId operator[](int i) const;
  s_Queue* get() const { return queue_.get(); }

 private:
  struct Deleter {
    void operator()(s_Queue* q) const;
  };
  explicit SolvQueue(s_Queue* q) : queue_(q) {}
  std::unique_ptr<s_Queue, Deleter> queue_;
};

class SolvPool {
 public:
  /// A pool in Debian semantics whose installable architectures are
  /// `arch_policy` in libsolv's syntax ("amd64:i386": separate classes, the
  /// first preferred); "all" is the no-arch class.
  static Result<SolvPool> Open(std::string_view arch_policy);

  /// Interns a string.
  SolvId Str(std::string_view text);
  /// Interns `name op evr` (or `name | evr` for kOr).
  SolvId Rel(SolvId name, SolvId evr, SolvRel op);
  /// Creates a repo named `name`; the result is a handle for AddSolvable.
  int AddRepo(std::string_view name);
  /// Adds one solvable to repo `repo` (a handle from AddRepo); returns its id.
  SolvId AddSolvable(int repo, const SolvableSpec& spec);
  /// Builds the provides index; call after the last AddSolvable.
  void CreateWhatProvides();

  /// Solvables providing `dep` (a name or relation), in id order.
  std::vector<SolvId> WhatProvides(SolvId dep) const;
  /// dpkg's ordering of two version ids: <0, 0, >0.
  int EvrCmp(SolvId a, SolvId b) const;
  /// The string behind a plain id.
  std::string Text(SolvId id) const;
  SolvRelParts Split(SolvId dep) const;
  SolvId SolvableName(SolvId p) const;
  SolvId SolvableEvr(SolvId p) const;

  s_Pool* get() const { return pool_.get(); }

 private:
  struct Deleter {
    void operator()(s_Pool* p) const;
  };
  explicit SolvPool(s_Pool* p) : pool_(p) {}
  std::unique_ptr<s_Pool, Deleter> pool_;
};

/// What a rule says, after libsolv's SolverRuleinfo (only the kinds our
/// models can produce get their own value).
enum class SolvRuleKind {
  kJob,                ///< a request, together with another rule
  kJobUnknownPackage,  ///< a request by name that nothing matches
  kJobNothingProvides, ///< a request by provides that nothing matches
  kNotInstallable,     ///< source cannot be installed at all
  kNothingProvides,    ///< source needs dep, nothing provides it
  kSameName,           ///< source and target share a name
  kConflicts,          ///< source conflicts with dep, provided by target
  kRequires,           ///< source needs dep, no provider can be installed
  kSelfConflict,
  kOther,
};

struct SolvRuleInfo {
  SolvRuleKind kind = SolvRuleKind::kOther;
  SolvId source = 0;  ///< a solvable, or for job kinds the job's index in the queue
  SolvId target = 0;
  SolvId dep = 0;
  std::string libsolv_text;  ///< libsolv's own sentence, for kinds we do not render
};

/// Jobs we submit (SOLVER_INSTALL / SOLVER_FAVOR with a selector).
enum class SolvJob { kInstallName, kInstallProvides, kFavorSolvable };

class SolvSolver {
 public:
  /// A solver over `pool`, which must outlive it.
  static Result<SolvSolver> Open(const SolvPool& pool, bool with_recommends);

  /// Appends a job; `what` is a dependency id (install) or a solvable (favor).
  /// Returns the job's index in the queue (what libsolv reports for job rules).
  int AddJob(SolvJob kind, SolvId what);
  /// Runs the solver; returns the number of problems.
  int Solve();
  /// Solvables chosen for installation (after a Solve without problems).
  std::vector<SolvId> Installed() const;
  /// Every rule taking part in problem `problem` (1-based), the problem's
  /// main rule first.
  std::vector<SolvRuleInfo> ProblemRules(int problem) const;
  /// libsolv's ways out of problem `problem`: each solution as the texts of
  /// its elements ("do not ask to install a package providing app", ...).
  std::vector<std::vector<std::string>> Solutions(int problem) const;

 private:
  struct Deleter {
    void operator()(s_Solver* s) const;
  };
  SolvSolver(s_Solver* s, SolvQueue jobs) : solver_(s), jobs_(std::move(jobs)) {}
  SolvRuleInfo RuleInfo(SolvId rule) const;
  std::unique_ptr<s_Solver, Deleter> solver_;
  SolvQueue jobs_;
};

}  // namespace cairn::solve::internal
