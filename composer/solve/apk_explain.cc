// Failure explanations in apk-tools' words (src/commit.c) and the install
// order of a finished selection.
#include <algorithm>
#include <set>

#include "cairn/apk/version.h"
#include "solve/apk_universe.h"

namespace cairn::solve::internal {
namespace {

std::string PkgText(const Universe& u, int pkg) {
  return u.pkgs[pkg].info->name + "-" + u.pkgs[pkg].info->version;
}

// Distinct descriptions of the requirements seen on `name` that `pred` accepts.
template <typename Pred>
std::string JoinReqs(const Universe& u, const State& s, const std::string& name, Pred pred) {
  std::vector<std::string> out;
  for (const Req& r : s.seen) {
    if (r.dep->name != name || !pred(r)) continue;
    std::string d = DescribeReq(u, r);
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  }
  std::string joined;
  for (const auto& d : out) joined += (joined.empty() ? "" : " ") + d;
  return joined;
}

// "  busybox-1.35.0-r29:" block with its breaks/conflicts/satisfies lines.
void PackageBlock(const Universe& u, const State& s, int pkg, const Req& req,
                  const std::vector<std::string>& extra_first, std::string* out) {
  *out += "\n  " + PkgText(u, pkg) + ":";
  for (const auto& line : extra_first) *out += "\n    " + line;
  bool matches = false;
  int name = u.FindName(req.dep->name);
  for (const Provider& p : u.names[name].providers) {
    if (p.pkg == pkg && ProviderMatches(u, p, *req.dep)) matches = true;
  }
  if (!matches && !req.dep->conflict) *out += "\n    breaks: " + DescribeReq(u, req);
  for (const auto& why : Exclusions(u, s, pkg, &req)) *out += "\n    " + why;
  // Every requirement this package would have met.
  std::vector<std::string> sat;
  auto add = [&](int n, const std::string* version) {
    if (n < 0) return;
    std::string j = JoinReqs(u, s, u.names[n].text, [&](const Req& r) {
      return ProviderMatches(u, Provider{pkg, version}, *r.dep);
    });
    if (!j.empty()) sat.push_back(j);
  };
  const apk::PackageInfo& info = *u.pkgs[pkg].info;
  add(u.pkgs[pkg].name, &info.version);
  for (const auto& pr : info.provides) add(u.FindName(pr.name), pr.version.empty() ? nullptr : &pr.version);
  if (!sat.empty()) {
    *out += "\n    satisfies:";
    for (const auto& j : sat) *out += " " + j;
  }
}

void ExplainOne(const Universe& u, const State& s, const Failure& f, std::string* out);

}  // namespace

std::string DescribeReq(const Universe& u, const Req& r) {
  if (r.requirer >= 0) return PkgText(u, r.requirer) + "[" + r.dep->Format() + "]";
  std::string d = "world[" + r.dep->Format() + "]";
  const auto& sources = u.request->world_sources;
  if (r.world_index >= 0 && static_cast<size_t>(r.world_index) < sources.size() &&
      !sources[r.world_index].empty()) {
    d += " (" + sources[r.world_index] + ")";
  }
  return d;
}

std::string Explain(const Universe& u, const State& s, const std::vector<Failure>& problems) {
  std::string out = "unable to select packages:";
  std::vector<std::string> done;  // each name or package is explained once
  for (const Failure& f : problems) {
    std::string key = f.kind == Failure::kConflict ? "pkg:" + std::to_string(f.culprit)
                                                   : (f.req.dep ? f.req.dep->name : "");
    if (std::find(done.begin(), done.end(), key) != done.end()) continue;
    done.push_back(key);
    ExplainOne(u, s, f, &out);
  }
  return out;
}

namespace {

void ExplainOne(const Universe& u, const State& s, const Failure& f, std::string* out_ptr) {
  std::string& out = *out_ptr;
  const std::string& name = f.req.dep ? f.req.dep->name : std::string();
  auto all = [](const Req&) { return true; };
  switch (f.kind) {
    case Failure::kNone:
    case Failure::kBudget:
      out += "\n  (search limit reached; the request has too many alternatives)";
      break;
    case Failure::kMissing:
      out += "\n  " + name + " (no such package):";
      out += "\n    required by: " + JoinReqs(u, s, name, all);
      break;
    case Failure::kVirtual: {
      out += "\n  " + name + " (virtual):";
      out += "\n    note: please select one of the 'provided by'";
      out += "\n          packages explicitly";
      std::vector<std::string> by;
      for (const Provider& p : u.names[u.FindName(name)].providers) {
        const std::string& n = u.pkgs[p.pkg].info->name;
        if (std::find(by.begin(), by.end(), n) == by.end()) by.push_back(n);
      }
      out += "\n    provided by:";
      for (const auto& n : by) out += " " + n;
      out += "\n    required by: " + JoinReqs(u, s, name, all);
      break;
    }
    case Failure::kConflict:
      PackageBlock(u, s, f.culprit, f.req, {"breaks: " + DescribeReq(u, f.req)}, &out);
      break;
    case Failure::kUnsatisfied: {
      std::vector<int> pkgs;
      for (const Provider& p : u.names[u.FindName(name)].providers) {
        if (std::find(pkgs.begin(), pkgs.end(), p.pkg) == pkgs.end()) pkgs.push_back(p.pkg);
      }
      std::stable_sort(pkgs.begin(), pkgs.end(), [&](int a, int b) {
        const auto& ia = *u.pkgs[a].info;
        const auto& ib = *u.pkgs[b].info;
        if (ia.name != ib.name) return ia.name < ib.name;
        return apk::CompareVersions(ia.version, ib.version) > 0;
      });
      for (int pkg : pkgs) PackageBlock(u, s, pkg, f.req, {}, &out);
      break;
    }
  }
}

}  // namespace

std::vector<const apk::PackageInfo*> InstallOrder(const Universe& u, const State& s) {
  std::vector<const apk::PackageInfo*> out;
  std::vector<char> mark(u.pkgs.size(), 0);  // 1 visiting, 2 done
  auto provider_of = [&](const apk::Dependency& d) {
    int name = u.FindName(d.name);
    if (name < 0) return -1;
    for (const Provider& p : u.names[name].providers) {
      if (s.selected[p.pkg] && ProviderMatches(u, p, d)) return p.pkg;
    }
    return -1;
  };
  // Iterative DFS so deep chains cannot exhaust the stack; a package already
  // being visited closes a cycle, which is broken at that edge.
  struct Frame { int pkg; size_t next; };
  auto visit = [&](int root) {
    if (root < 0 || mark[root]) return;
    std::vector<Frame> stack{{root, 0}};
    mark[root] = 1;
    while (!stack.empty()) {
      Frame& f = stack.back();
      const apk::PackageInfo& info = *u.pkgs[f.pkg].info;
      size_t ndeps = info.depends.size();
      size_t total = ndeps + info.install_if.size();
      int child = -1;
      while (f.next < total && child == -1) {
        const apk::Dependency& d =
            f.next < ndeps ? info.depends[f.next] : info.install_if[f.next - ndeps];
        ++f.next;
        if (d.conflict) continue;
        int c = provider_of(d);
        if (c >= 0 && !mark[c]) child = c;
      }
      if (child >= 0) {
        mark[child] = 1;
        stack.push_back(Frame{child, 0});
        continue;
      }
      mark[f.pkg] = 2;
      out.push_back(u.pkgs[f.pkg].info);
      stack.pop_back();
    }
  };
  for (const auto& d : u.request->world) {
    if (!d.conflict) visit(provider_of(d));
  }
  for (int pkg : s.order) visit(pkg);
  return out;
}

}  // namespace cairn::solve::internal
