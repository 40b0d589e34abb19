// libsolv calls behind solv_pool.h. Every libsolv header is included here
// only, so the rest of cairn never sees a C declaration.
#include "solve/solv_pool.h"

// Solvable has a member named `requires`, a keyword since C++20: rename it
// for the duration of the includes (the layout is unchanged).
#define requires solv_requires
extern "C" {
#include <solv/evr.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/problems.h>
#include <solv/queue.h>
#include <solv/repo.h>
#include <solv/rules.h>
#include <solv/solver.h>
}
#undef requires

namespace cairn::solve::internal {
namespace {

int RelFlags(SolvRel op) {
  switch (op) {
    case SolvRel::kLess: return REL_LT;
    case SolvRel::kLessEq: return REL_LT | REL_EQ;
    case SolvRel::kEqual: return REL_EQ;
    case SolvRel::kGreaterEq: return REL_GT | REL_EQ;
    case SolvRel::kGreater: return REL_GT;
    case SolvRel::kOr: return REL_OR;
  }
  return REL_EQ;
}

SolvRuleKind KindOf(SolverRuleinfo type) {
  switch (type) {
    case SOLVER_RULE_JOB: return SolvRuleKind::kJob;
    case SOLVER_RULE_JOB_UNKNOWN_PACKAGE: return SolvRuleKind::kJobUnknownPackage;
    case SOLVER_RULE_JOB_NOTHING_PROVIDES_DEP: return SolvRuleKind::kJobNothingProvides;
    case SOLVER_RULE_PKG_NOT_INSTALLABLE: return SolvRuleKind::kNotInstallable;
    case SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP: return SolvRuleKind::kNothingProvides;
    case SOLVER_RULE_PKG_SAME_NAME: return SolvRuleKind::kSameName;
    case SOLVER_RULE_PKG_CONFLICTS: return SolvRuleKind::kConflicts;
    case SOLVER_RULE_PKG_REQUIRES: return SolvRuleKind::kRequires;
    case SOLVER_RULE_PKG_SELF_CONFLICT: return SolvRuleKind::kSelfConflict;
    default: return SolvRuleKind::kOther;
  }
}

}  // namespace

// --- SolvQueue ---------------------------------------------------------------

void SolvQueue::Deleter::operator()(s_Queue* q) const {
  queue_free(q);
  delete q;
}

Result<SolvQueue> SolvQueue::Open() {
  auto* q = new Queue;
  queue_init(q);
  return SolvQueue(q);
}

void SolvQueue::Push(SolvId id) { queue_push(queue_.get(), id); }
int SolvQueue::size() const { return queue_->count; }
SolvId SolvQueue::operator[](int i) const { return queue_->elements[i]; }

// --- SolvPool ----------------------------------------------------------------

void SolvPool::Deleter::operator()(s_Pool* p) const { pool_free(p); }

Result<SolvPool> SolvPool::Open(std::string_view arch_policy) {
  SolvPool pool(pool_create());
  // Debian semantics are a build option of libsolv (Debian's package has
  // them); without them versions would compare like rpm's.
  if (pool_setdisttype(pool.get(), DISTTYPE_DEB) < 0) {
    return ToolError("libsolv was built without Debian support (pool_setdisttype failed)");
  }
  // dpkg lets a package conflict with what it provides itself (the
  // mail-transport-agent idiom), and names never obsolete across arches.
  pool_set_flag(pool.get(), POOL_FLAG_FORBIDSELFCONFLICTS, 0);
  pool_set_flag(pool.get(), POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS, 0);
  pool_set_flag(pool.get(), POOL_FLAG_OBSOLETEUSESPROVIDES, 0);
  pool_set_flag(pool.get(), POOL_FLAG_IMPLICITOBSOLETEUSESPROVIDES, 0);
  pool_setarchpolicy(pool.get(), std::string(arch_policy).c_str());
  return pool;
}

SolvId SolvPool::Str(std::string_view text) {
  return pool_strn2id(pool_.get(), text.data(), static_cast<unsigned int>(text.size()), 1);
}

SolvId SolvPool::Rel(SolvId name, SolvId evr, SolvRel op) {
  return pool_rel2id(pool_.get(), name, evr, RelFlags(op), 1);
}

int SolvPool::AddRepo(std::string_view name) {
  Repo* repo = repo_create(pool_.get(), std::string(name).c_str());
  return repo->repoid;
}

SolvId SolvPool::AddSolvable(int repo_id, const SolvableSpec& spec) {
  Repo* repo = pool_id2repo(pool_.get(), repo_id);
  SolvId p = repo_add_solvable(repo);
  Solvable* s = pool_id2solvable(pool_.get(), p);
  s->name = spec.name;
  s->evr = spec.evr;
  s->arch = spec.arch;
  for (SolvId d : spec.provides) s->provides = repo_addid_dep(repo, s->provides, d, 0);
  for (SolvId d : spec.requires_) s->solv_requires = repo_addid_dep(repo, s->solv_requires, d, 0);
  for (SolvId d : spec.prerequires) {
    s->solv_requires = repo_addid_dep(repo, s->solv_requires, d, SOLVABLE_PREREQMARKER);
  }
  for (SolvId d : spec.conflicts) s->conflicts = repo_addid_dep(repo, s->conflicts, d, 0);
  for (SolvId d : spec.recommends) s->recommends = repo_addid_dep(repo, s->recommends, d, 0);
  return p;
}

void SolvPool::CreateWhatProvides() { pool_createwhatprovides(pool_.get()); }

std::vector<SolvId> SolvPool::WhatProvides(SolvId dep) const {
  std::vector<SolvId> out;
  Pool* pool = pool_.get();
  Id p, pp;
  FOR_PROVIDES(p, pp, dep) out.push_back(p);
  return out;
}

int SolvPool::EvrCmp(SolvId a, SolvId b) const {
  return pool_evrcmp(pool_.get(), a, b, EVRCMP_COMPARE);
}

std::string SolvPool::Text(SolvId id) const { return pool_id2str(pool_.get(), id); }

SolvRelParts SolvPool::Split(SolvId dep) const {
  SolvRelParts parts;
  if (!ISRELDEP(dep)) {
    parts.name = dep;
    return parts;
  }
  Reldep* rd = GETRELDEP(pool_.get(), dep);
  parts.is_relation = true;
  parts.name = rd->name;
  parts.evr = rd->evr;
  switch (rd->flags) {
    case REL_LT: parts.op = SolvRel::kLess; break;
    case REL_LT | REL_EQ: parts.op = SolvRel::kLessEq; break;
    case REL_EQ: parts.op = SolvRel::kEqual; break;
    case REL_GT | REL_EQ: parts.op = SolvRel::kGreaterEq; break;
    case REL_GT: parts.op = SolvRel::kGreater; break;
    default: parts.op = SolvRel::kOr; break;
  }
  return parts;
}

SolvId SolvPool::SolvableName(SolvId p) const { return pool_id2solvable(pool_.get(), p)->name; }
SolvId SolvPool::SolvableEvr(SolvId p) const { return pool_id2solvable(pool_.get(), p)->evr; }

// --- SolvSolver --------------------------------------------------------------

void SolvSolver::Deleter::operator()(s_Solver* s) const { solver_free(s); }

Result<SolvSolver> SolvSolver::Open(const SolvPool& pool, bool with_recommends) {
  CAIRN_ASSIGN_OR_RETURN(SolvQueue jobs, SolvQueue::Open());
  SolvSolver solver(solver_create(pool.get()), std::move(jobs));
  s_Solver* s = solver.solver_.get();
  solver_set_flag(s, SOLVER_FLAG_IGNORE_RECOMMENDED, with_recommends ? 0 : 1);
  // Each Debian architecture gets its own names (see deb_resolver.cc), so
  // libsolv's "inferior architecture" rules have nothing to do.
  solver_set_flag(s, SOLVER_FLAG_NO_INFARCHCHECK, 1);
  return solver;
}

int SolvSolver::AddJob(SolvJob kind, SolvId what) {
  int index = jobs_.size();
  switch (kind) {
    case SolvJob::kInstallName: jobs_.Push(SOLVER_INSTALL | SOLVER_SOLVABLE_NAME); break;
    case SolvJob::kInstallProvides: jobs_.Push(SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES); break;
    case SolvJob::kFavorSolvable: jobs_.Push(SOLVER_FAVOR | SOLVER_SOLVABLE); break;
  }
  jobs_.Push(what);
  return index;
}

int SolvSolver::Solve() { return solver_solve(solver_.get(), jobs_.get()); }

std::vector<SolvId> SolvSolver::Installed() const {
  std::vector<SolvId> out;
  Queue q;
  queue_init(&q);
  solver_get_decisionqueue(solver_.get(), &q);
  for (int i = 0; i < q.count; ++i) {
    if (q.elements[i] > SYSTEMSOLVABLE) out.push_back(q.elements[i]);
  }
  queue_free(&q);
  return out;
}

SolvRuleInfo SolvSolver::RuleInfo(SolvId rule) const {
  Id source = 0, target = 0, dep = 0;
  SolverRuleinfo type = solver_ruleinfo(solver_.get(), rule, &source, &target, &dep);
  SolvRuleInfo info;
  info.kind = KindOf(type);
  info.source = source;
  info.target = target;
  info.dep = dep;
  info.libsolv_text = solver_problemruleinfo2str(solver_.get(), type, source, target, dep);
  return info;
}

std::vector<SolvRuleInfo> SolvSolver::ProblemRules(int problem) const {
  std::vector<SolvRuleInfo> out;
  Id main_rule = solver_findproblemrule(solver_.get(), problem);
  if (main_rule) out.push_back(RuleInfo(main_rule));
  Queue q;
  queue_init(&q);
  solver_findallproblemrules(solver_.get(), problem, &q);
  for (int i = 0; i < q.count; ++i) {
    if (q.elements[i] != main_rule) out.push_back(RuleInfo(q.elements[i]));
  }
  queue_free(&q);
  return out;
}

std::vector<std::vector<std::string>> SolvSolver::Solutions(int problem) const {
  std::vector<std::vector<std::string>> out;
  Solver* solv = solver_.get();
  for (Id s = solver_next_solution(solv, problem, 0); s; s = solver_next_solution(solv, problem, s)) {
    std::vector<std::string> elements;
    Id p = 0, rp = 0;
    for (Id e = solver_next_solutionelement(solv, problem, s, 0, &p, &rp); e;
         e = solver_next_solutionelement(solv, problem, s, e, &p, &rp)) {
      elements.emplace_back(solver_solutionelement2str(solv, p, rp));
    }
    out.push_back(std::move(elements));
  }
  return out;
}

}  // namespace cairn::solve::internal
