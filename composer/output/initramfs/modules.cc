// ModuleClosure: modules.dep/.builtin/.softdep/.alias of one kernel in a
// tree -> the modules to insmod, dependencies first.
#include "cairn/initramfs/modules.h"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cairn::initramfs {
namespace {

using rootfs::FileType;
using rootfs::Tree;

constexpr std::string_view kModuleSuffixes[] = {".ko.xz", ".ko.zst", ".ko.gz", ".ko"};

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line[0] != '#') fn(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

std::string Underscores(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

// One kernel's module data as read from its module directory.
struct KernelIndex {
  std::string kver;
  std::string module_dir;
  std::map<std::string, std::string> dep_path;                 // name -> dep path
  std::map<std::string, std::vector<std::string>> deps;        // name -> dep paths
  std::set<std::string> builtin;                               // names
  std::map<std::string, std::vector<std::string>> pre, post;   // name -> softdep names
  std::vector<std::pair<std::string, std::string>> aliases;    // pattern -> module (normalised)
};

// A wanted name or soft dependency, looked up as modprobe does: a module,
// else a built-in, else every module an alias of that name points to.
struct Lookup {
  std::vector<std::string> modules;
  bool builtin = false;
};

Lookup Find(const KernelIndex& index, std::string_view raw) {
  Lookup found;
  std::string name = ModuleName(raw);
  if (index.dep_path.count(name)) {
    found.modules.push_back(name);
    return found;
  }
  if (index.builtin.count(name)) {
    found.builtin = true;
    return found;
  }
  std::string key = Underscores(raw);
  std::set<std::string> targets;
  for (const auto& [pattern, target] : index.aliases)
    if (::fnmatch(pattern.c_str(), key.c_str(), 0) == 0) targets.insert(target);
  for (const auto& t : targets) {
    if (index.dep_path.count(t))
      found.modules.push_back(t);
    else if (index.builtin.count(t))
      found.builtin = true;
  }
  return found;
}

// The kernels with a directory under lib/modules, for "kernels there: ...".
std::vector<std::string> KernelsIn(const Tree& tree) {
  std::vector<std::string> out;
  auto dir = tree.Resolve("lib/modules");
  if (!dir.ok()) return out;
  std::string prefix = *dir + "/";
  for (auto it = tree.nodes().lower_bound(prefix); it != tree.nodes().end(); ++it) {
    const std::string& path = it->first;
    if (path.compare(0, prefix.size(), prefix) != 0) break;
    std::string_view rest = std::string_view(path).substr(prefix.size());
    if (rest.find('/') == std::string_view::npos && it->second.meta.type == FileType::kDirectory)
      out.emplace_back(rest);
  }
  return out;
}

Result<KernelIndex> LoadIndex(const Tree& tree, std::string_view kver) {
  if (kver.empty() || kver.find('/') != std::string_view::npos || kver == "." || kver == "..")
    return UsageError(fmt::format("invalid kernel version '{}'", kver));
  KernelIndex index;
  index.kver = std::string(kver);
  const std::string dir = fmt::format("lib/modules/{}", kver);
  CAIRN_ASSIGN_OR_RETURN(index.module_dir, tree.Resolve(dir));
  const rootfs::Node* node = tree.Find(index.module_dir);
  if (!node || node->meta.type != FileType::kDirectory) {
    auto kernels = KernelsIn(tree);
    std::string there = kernels.empty()
                            ? std::string("no kernel has one")
                            : fmt::format("kernels there: {}", fmt::join(kernels, ", "));
    return NotFoundError(fmt::format("kernel '{}' has no module directory '{}' in the image ({})",
                                     kver, dir, there));
  }
  auto dep_text = tree.ReadFile(index.module_dir + "/modules.dep");
  if (!dep_text.ok())
    return NotFoundError(fmt::format("kernel '{}' has no '{}/modules.dep'", kver, dir))
        .Hint("depmod writes it (the kernel package's postinst runs it)");
  ForEachLine(*dep_text, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    std::string path(line.substr(0, colon));
    std::string name = ModuleName(path);
    if (index.dep_path.count(name)) return;  // depmod lists the preferred file first
    index.dep_path[name] = path;
    auto& deps = index.deps[name];
    for (auto w : Words(line.substr(colon + 1))) deps.emplace_back(w);
  });
  if (auto builtin = tree.ReadFile(index.module_dir + "/modules.builtin"); builtin.ok())
    ForEachLine(*builtin, [&](std::string_view line) { index.builtin.insert(ModuleName(line)); });
  // "softdep <mod> pre: a b post: c"; words before "pre:"/"post:" mean
  // nothing to kmod (depmod copies malformed MODULE_SOFTDEPs), so not to us.
  if (auto soft = tree.ReadFile(index.module_dir + "/modules.softdep"); soft.ok())
    ForEachLine(*soft, [&](std::string_view line) {
      auto w = Words(line);
      if (w.size() < 3 || w[0] != "softdep") return;
      std::string name = ModuleName(w[1]);
      std::vector<std::string>* into = nullptr;
      for (size_t i = 2; i < w.size(); ++i) {
        if (w[i] == "pre:")
          into = &index.pre[name];
        else if (w[i] == "post:")
          into = &index.post[name];
        else if (into)
          into->emplace_back(w[i]);
      }
    });
  if (auto alias = tree.ReadFile(index.module_dir + "/modules.alias"); alias.ok())
    ForEachLine(*alias, [&](std::string_view line) {
      auto w = Words(line);
      if (w.size() == 3 && w[0] == "alias")
        index.aliases.emplace_back(Underscores(w[1]), ModuleName(w[2]));
    });
  return index;
}

class ClosureBuilder {
 public:
  ClosureBuilder(const Tree& tree, const KernelIndex& index, ModuleSet& out)
      : tree_(tree), index_(index), out_(out) {}

  Status Visit(const std::string& name, std::vector<std::string>& chain) {
    int& state = state_[name];
    if (state == kDone) return {};
    if (state == kVisiting) {
      chain.push_back(name);
      return IntegrityError(fmt::format("kernel '{}' has a module dependency cycle: {}",
                                        index_.kver, fmt::join(chain, " -> ")));
    }
    state = kVisiting;
    chain.push_back(name);
    CAIRN_TRY(VisitSoft(name, index_.pre, chain));
    // modprobe loads a module's modules.dep list from its end; that is also
    // where depmod puts the modules the others need.
    const auto& deps = index_.deps.at(name);
    for (auto it = deps.rbegin(); it != deps.rend(); ++it) {
      std::string dep = ModuleName(*it);
      if (!index_.dep_path.count(dep))
        return NotFoundError(fmt::format(
            "kernel module '{}' needs '{}', which modules.dep of kernel '{}' does not list", name,
            *it, index_.kver));
      CAIRN_TRY(Visit(dep, chain));
    }
    CAIRN_TRY(Append(name));
    state_[name] = kDone;
    chain.pop_back();
    return VisitSoft(name, index_.post, chain);
  }

 private:
  static constexpr int kVisiting = 1;
  static constexpr int kDone = 2;

  // Soft dependencies are optional: missing or built-in ones are skipped, and
  // one that loops back (a pre: of something loading it) is not an error.
  Status VisitSoft(const std::string& name,
                   const std::map<std::string, std::vector<std::string>>& table,
                   std::vector<std::string>& chain) {
    auto it = table.find(name);
    if (it == table.end()) return {};
    for (const auto& soft : it->second) {
      for (const auto& m : Find(index_, soft).modules) {
        if (state_[m] == kVisiting) continue;
        CAIRN_TRY(Visit(m, chain));
      }
    }
    return {};
  }

  Status Append(const std::string& name) {
    const std::string& dep_path = index_.dep_path.at(name);
    std::string where = dep_path.front() == '/' ? dep_path.substr(1)
                                                : index_.module_dir + "/" + dep_path;
    CAIRN_ASSIGN_OR_RETURN(std::string resolved, tree_.Resolve(where));
    const rootfs::Node* node = tree_.Find(resolved);
    if (!node || (node->meta.type != FileType::kRegular && node->meta.type != FileType::kHardlink))
      return NotFoundError(fmt::format(
          "kernel module '{}' ('{}' in modules.dep of kernel '{}') is not in the image", name,
          dep_path, index_.kver));
    out_.load_order.push_back({name, dep_path, std::move(resolved)});
    return {};
  }

  const Tree& tree_;
  const KernelIndex& index_;
  ModuleSet& out_;
  std::map<std::string, int> state_;
};

}  // namespace

std::string ModuleName(std::string_view s) {
  size_t slash = s.rfind('/');
  if (slash != std::string_view::npos) s.remove_prefix(slash + 1);
  for (std::string_view suffix : kModuleSuffixes) {
    if (s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix) {
      s.remove_suffix(suffix.size());
      break;
    }
  }
  return Underscores(s);
}

Result<ModuleSet> ModuleClosure(const Tree& tree, std::string_view kernel_version,
                                const std::vector<std::string>& wanted) {
  CAIRN_ASSIGN_OR_RETURN(KernelIndex index, LoadIndex(tree, kernel_version));
  ModuleSet set;
  set.kernel_version = index.kver;
  set.module_dir = index.module_dir;
  ClosureBuilder builder(tree, index, set);
  for (const auto& w : wanted) {
    Lookup found = Find(index, w);
    if (found.modules.empty()) {
      if (!found.builtin)
        return NotFoundError(fmt::format(
            "kernel module '{}' is neither a module nor built into kernel '{}'", w, index.kver));
      std::string name = ModuleName(w);
      if (std::find(set.builtin.begin(), set.builtin.end(), name) == set.builtin.end())
        set.builtin.push_back(name);
      continue;
    }
    for (const auto& m : found.modules) {
      std::vector<std::string> chain;
      CAIRN_TRY(builder.Visit(m, chain));
    }
  }
  return set;
}

}  // namespace cairn::initramfs
