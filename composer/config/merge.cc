#include "config/merge.h"

#include <algorithm>
#include <set>

namespace cairn::config::internal {
namespace {

// Concatenates, keeping the first occurrence of each value: packages,
// repositories and keys are sets in effect, and the included file's entry
// keeps its place (and location) in the order.
void ConcatUnique(std::vector<LString>& lower, std::vector<LString> upper) {
  std::set<std::string> seen;
  std::vector<LString> out;
  for (auto* list : {&lower, &upper}) {
    for (LString& s : *list) {
      if (seen.insert(s.value).second) out.push_back(std::move(s));
    }
  }
  lower = std::move(out);
}

void ConcatUnique(std::vector<std::string>& lower, std::vector<std::string> upper) {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (auto* list : {&lower, &upper}) {
    for (std::string& s : *list) {
      if (seen.insert(s).second) out.push_back(std::move(s));
    }
  }
  lower = std::move(out);
}

template <typename T>
void Append(std::vector<T>& lower, std::vector<T> upper) {
  for (T& v : upper) lower.push_back(std::move(v));
}

void Override(std::string& lower, std::string upper) {
  if (!upper.empty()) lower = std::move(upper);
}

void Override(LString& lower, LString upper) {
  if (!upper.value.empty()) lower = std::move(upper);
}

void Override(SourceLoc& lower, SourceLoc upper) {
  if (upper.known()) lower = std::move(upper);
}

void MergeMap(std::map<std::string, std::string>& lower, std::map<std::string, std::string> upper) {
  for (auto& [k, v] : upper) lower[k] = std::move(v);
}

}  // namespace

Image MergeImages(Image lower, Image upper) {
  Image out = std::move(lower);
  Override(out.name, std::move(upper.name));
  Override(out.description, std::move(upper.description));

  Contents& c = out.contents;
  ConcatUnique(c.repositories, std::move(upper.contents.repositories));
  ConcatUnique(c.build_repositories, std::move(upper.contents.build_repositories));
  ConcatUnique(c.runtime_repositories, std::move(upper.contents.runtime_repositories));
  ConcatUnique(c.keyring, std::move(upper.contents.keyring));
  ConcatUnique(c.packages, std::move(upper.contents.packages));
  // Debian sources accumulate like repositories; switches set above win.
  Debian& d = c.debian;
  Debian& ud = upper.contents.debian;
  Append(d.sources, std::move(ud.sources));
  for (auto [mine, theirs] : {std::pair{&d.recommends, &ud.recommends},
                              std::pair{&d.essential, &ud.essential},
                              std::pair{&d.required, &ud.required},
                              std::pair{&d.allow_expired, &ud.allow_expired}}) {
    if (theirs->has_value()) *mine = *theirs;
  }
  Override(d.loc, std::move(ud.loc));
  Override(c.loc, std::move(upper.contents.loc));

  // apko: the including file's archs replace the included ones.
  if (!upper.archs.empty()) out.archs = std::move(upper.archs);

  Append(out.accounts.groups, std::move(upper.accounts.groups));
  Append(out.accounts.users, std::move(upper.accounts.users));
  Override(out.accounts.run_as, std::move(upper.accounts.run_as));
  Override(out.accounts.loc, std::move(upper.accounts.loc));

  // apko: the entrypoint is replaced as a whole, never mixed field by field.
  if (!upper.entrypoint.empty()) out.entrypoint = std::move(upper.entrypoint);

  Override(out.cmd, std::move(upper.cmd));
  Override(out.stop_signal, std::move(upper.stop_signal));
  Override(out.work_dir, std::move(upper.work_dir));
  Override(out.vcs_url, std::move(upper.vcs_url));
  MergeMap(out.environment, std::move(upper.environment));
  MergeMap(out.annotations, std::move(upper.annotations));
  ConcatUnique(out.volumes, std::move(upper.volumes));
  Append(out.paths, std::move(upper.paths));

  // An inline file declared again by the including file replaces the included one.
  std::vector<InlineFile> files;
  for (InlineFile& f : out.files) {
    bool replaced = std::any_of(upper.files.begin(), upper.files.end(),
                                [&](const InlineFile& u) { return u.path.value == f.path.value; });
    if (!replaced) files.push_back(std::move(f));
  }
  Append(files, std::move(upper.files));
  out.files = std::move(files);

  Override(out.base, std::move(upper.base));
  ConcatUnique(out.layers, std::move(upper.layers));
  ConcatUnique(out.boards, std::move(upper.boards));
  Append(out.outputs, std::move(upper.outputs));
  if (!upper.layering.empty()) out.layering = std::move(upper.layering);
  for (auto& [k, loc] : upper.key_locs) out.key_locs[k] = std::move(loc);
  return out;
}

}  // namespace cairn::config::internal
