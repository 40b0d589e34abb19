// EnableUnits, PresetUnits, ApplyPresets: systemd 252's src/shared/install.c
// (install_info_traverse, install_info_symlink_*, query_presets,
// remove_marked_symlinks) over rootfs::Tree; DebSystemdHelperEnable:
// init-system-helpers' deb-systemd-helper (get_link_closure,
// make_systemd_links), which parses unit files with its own line regexes.
#include "cairn/effects/systemd_units.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "effects/ld_so_conf.h"
#include "effects/tree_lookup.h"

namespace cairn::effects {
namespace {

using internal::IsDirectoryNode;
using internal::IsRegularNode;
using internal::IsSymlinkNode;
using internal::LstatNode;
using internal::StatNode;
using internal::TreePath;

constexpr std::string_view kUnitDirs[] = {"etc/systemd/system", "run/systemd/system",
                                          "usr/local/lib/systemd/system", "lib/systemd/system",
                                          "usr/lib/systemd/system"};
constexpr std::string_view kPresetDirs[] = {
    "etc/systemd/system-preset", "run/systemd/system-preset", "usr/local/lib/systemd/system-preset",
    "lib/systemd/system-preset", "usr/lib/systemd/system-preset"};
constexpr std::string_view kConfigDir = "etc/systemd/system";
constexpr std::string_view kUnitSuffixes[] = {".service", ".socket", ".target",    ".timer",
                                              ".path",    ".mount",  ".automount", ".swap",
                                              ".device",  ".slice",  ".scope"};

void Log(std::vector<std::string>* log, std::string line) {
  if (log) log->push_back(std::move(line));
}

std::string Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// "getty@tty1.service" -> {"getty", "tty1", ".service", templated}.
struct UnitName {
  std::string prefix;
  std::string instance;
  std::string suffix;
  bool templated = false;  // has '@' (a template or an instance of one)

  std::string Template() const { return prefix + "@" + suffix; }
  std::string WithInstance(std::string_view inst) const {
    return fmt::format("{}@{}{}", prefix, inst, suffix);
  }
};

std::optional<UnitName> ParseUnitName(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  std::string_view suffix = name.substr(dot);
  if (std::find(std::begin(kUnitSuffixes), std::end(kUnitSuffixes), suffix) ==
      std::end(kUnitSuffixes))
    return std::nullopt;
  std::string_view stem = name.substr(0, dot);
  if (stem.find('/') != std::string_view::npos) return std::nullopt;
  UnitName u;
  u.suffix = std::string(suffix);
  size_t at = stem.find('@');
  if (at == std::string_view::npos) {
    u.prefix = std::string(stem);
  } else {
    if (at == 0) return std::nullopt;
    u.templated = true;
    u.prefix = std::string(stem.substr(0, at));
    u.instance = std::string(stem.substr(at + 1));
  }
  return u;
}

// Existing directories among `candidates`, each resolved place once.
std::vector<std::string> SearchDirs(const rootfs::Tree& tree, const std::string_view* begin,
                                    const std::string_view* end) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string_view* d = begin; d != end; ++d) {
    if (!IsDirectoryNode(StatNode(tree, *d))) continue;
    auto resolved = tree.Resolve(*d);
    if (resolved.ok() && seen.insert(*resolved).second) out.emplace_back(*d);
  }
  return out;
}

struct UnitFile {
  std::string path;      // absolute, as systemctl links to it: "/lib/systemd/system/x.service"
  bool masked = false;   // a symlink to /dev/null
  std::string alias_of;  // a symlink to another unit file: that unit's name
};

struct InstallInfo {
  std::vector<std::string> wanted_by, required_by, alias, also;
  std::string default_instance;
  bool Empty() const {
    return wanted_by.empty() && required_by.empty() && alias.empty() && also.empty();
  }
};

// Splits a unit file value into words, removing quotes.
std::vector<std::string> SplitWords(std::string_view v) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    if (i >= v.size()) break;
    std::string word;
    while (i < v.size() && v[i] != ' ' && v[i] != '\t') {
      if (v[i] == '"' || v[i] == '\'') {
        size_t end = v.find(v[i], i + 1);
        if (end == std::string_view::npos) end = v.size();
        word.append(v.substr(i + 1, end - i - 1));
        i = std::min(end + 1, v.size());
      } else {
        word += v[i++];
      }
    }
    out.push_back(std::move(word));
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The [Install] section as systemd's config parser reads it: continuation
// lines, '#'/';' comments, an empty assignment resets a list. UpheldBy= is
// newer than systemd 252 and ignored, as 252 ignores it.
InstallInfo ParseInstall(std::string_view text) {
  InstallInfo info;
  bool in_install = false;
  size_t pos = 0;
  std::string pending;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (pending.empty() && (raw.empty() || raw[0] == '#' || raw[0] == ';')) {
      if (end == text.size()) break;
      continue;
    }
    if (!raw.empty() && raw.back() == '\\') {
      pending.append(raw.substr(0, raw.size() - 1));
      pending += ' ';
      if (end == text.size()) break;
      continue;
    }
    std::string line = pending + std::string(raw);
    pending.clear();
    if (!line.empty() && line[0] == '[') {
      in_install = line == "[Install]";
    } else if (in_install) {
      size_t eq = line.find('=');
      if (eq != std::string::npos) {
        std::string_view key = Trim(std::string_view(line).substr(0, eq));
        std::string_view value = Trim(std::string_view(line).substr(eq + 1));
        std::vector<std::string>* list = key == "WantedBy"     ? &info.wanted_by
                                         : key == "RequiredBy" ? &info.required_by
                                         : key == "Alias"      ? &info.alias
                                         : key == "Also"       ? &info.also
                                                               : nullptr;
        if (list) {
          if (value.empty()) list->clear();
          for (std::string& w : SplitWords(value)) list->push_back(std::move(w));
        } else if (key == "DefaultInstance") {
          info.default_instance = std::string(value);
        }
      }
    }
    if (end == text.size()) break;
  }
  return info;
}

// Install-time specifiers (systemd's install_name_printf); `name` is the
// unit being installed, with its instance if it has one.
std::optional<std::string> ExpandSpecifiers(std::string_view value, const UnitName& u,
                                            std::string_view name) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out += value[i];
      continue;
    }
    if (++i >= value.size()) return std::nullopt;
    std::string_view stem = name.substr(0, name.rfind('.'));
    switch (value[i]) {
      case '%':
        out += '%';
        break;
      case 'n':
        out += name;
        break;
      case 'N':
        out += stem;
        break;
      case 'p':
      case 'P':
        out += u.prefix;
        break;
      case 'i':
      case 'I':
        out += u.instance;
        break;
      case 'j':
      case 'J': {
        size_t dash = u.prefix.rfind('-');
        out += dash == std::string::npos ? u.prefix : u.prefix.substr(dash + 1);
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

struct PresetRule {
  enum class Action { kEnable, kDisable, kIgnore } action;
  std::string pattern;
  std::vector<std::string> instances;
};

bool Match(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), FNM_NOESCAPE) == 0;
}

class Installer {
 public:
  Installer(rootfs::Tree& tree, std::vector<std::string>* log, int64_t mtime)
      : tree_(tree),
        log_(log),
        mtime_(mtime),
        dirs_(SearchDirs(tree, std::begin(kUnitDirs), std::end(kUnitDirs))) {}

  const std::vector<std::string>& dirs() const { return dirs_; }

  std::optional<UnitFile> Find(const std::string& name) const {
    for (const std::string& dir : dirs_) {
      std::string path = fmt::format("{}/{}", dir, name);
      const rootfs::Node* n = LstatNode(tree_, path);
      if (!n) continue;
      UnitFile f;
      f.path = "/" + path;
      if (IsSymlinkNode(n)) {
        if (n->meta.link_target == "/dev/null") {
          f.masked = true;
          return f;
        }
        if (!StatNode(tree_, path)) continue;  // dangling
        std::string target = Basename(n->meta.link_target);
        if (target != name) f.alias_of = target;
        return f;
      }
      if (IsRegularNode(n)) return f;
    }
    return std::nullopt;
  }

  // The unit file for `name`, falling back from an instance to its template.
  std::optional<UnitFile> FindWithTemplate(const std::string& name, const UnitName& u) const {
    auto f = Find(name);
    if (!f && u.templated && !u.instance.empty()) f = Find(u.Template());
    return f;
  }

  Result<InstallInfo> Install(const UnitFile& f) const {
    CAIRN_ASSIGN_OR_RETURN(std::string text, tree_.ReadFile(TreePath(f.path)));
    return ParseInstall(text);
  }

  Error NotFound(const std::string& name) const {
    return NotFoundError(fmt::format("unit file '{}' not found (searched {})", name,
                                     fmt::join(std::begin(kUnitDirs), std::end(kUnitDirs), ", ")));
  }

  // `required`: a missing unit is an error rather than a log line.
  // `instances`: from a preset line, for templates.
  Status Enable(const std::string& name, bool required,
                const std::vector<std::string>& instances = {}) {
    if (!visited_.insert(name).second) return {};
    auto u = ParseUnitName(name);
    if (!u)
      return Error(Code::kConfig, fmt::format("invalid unit name '{}' (expected a name like "
                                              "'foo.service' or 'foo@bar.service')",
                                              name));
    auto file = FindWithTemplate(name, *u);
    if (!file) {
      if (required) return NotFound(name);
      Log(log_, fmt::format("unit '{}' not found; not enabled", name));
      return {};
    }
    if (file->masked) {
      Log(log_, fmt::format("unit '{}' is masked; not enabled", name));
      return {};
    }
    if (!file->alias_of.empty()) {
      // An alias file (autovt@.service -> getty@.service): enable what it names.
      auto target = ParseUnitName(file->alias_of);
      if (target && target->templated && target->instance.empty() && !u->instance.empty())
        return Enable(target->WithInstance(u->instance), required, instances);
      return Enable(file->alias_of, required, instances);
    }
    CAIRN_ASSIGN_OR_RETURN(InstallInfo info, Install(*file));
    if (info.Empty()) {
      Log(log_, fmt::format("unit '{}' has no WantedBy=, RequiredBy=, Alias= or Also= in "
                            "[Install]; nothing to enable",
                            name));
      return {};
    }
    std::vector<std::string> names;  // what gets linked: the unit or its instances
    if (!u->templated) {
      names.push_back(name);
    } else if (!u->instance.empty()) {
      names.push_back(name);
    } else if (!instances.empty()) {
      for (const std::string& inst : instances) names.push_back(u->WithInstance(inst));
    } else if (!info.default_instance.empty()) {
      names.push_back(u->WithInstance(info.default_instance));
    }
    if (u->templated && names.empty())
      Log(log_, fmt::format("unit '{}' is a template without DefaultInstance=; no instance "
                            "enabled",
                            name));
    for (const std::string& link_name : names) {
      UnitName lu = *ParseUnitName(link_name);
      for (const std::string& alias : info.alias) {
        auto a = Expand(alias, lu, link_name, name);
        if (!a) continue;
        auto au = ParseUnitName(*a);
        if (au && au->templated && au->instance.empty() && !lu.instance.empty())
          *a = au->WithInstance(lu.instance);
        CAIRN_TRY(Link(fmt::format("/{}/{}", kConfigDir, *a), file->path));
      }
      for (const auto& [list, dir_suffix] :
           {std::pair{&info.wanted_by, ".wants"}, std::pair{&info.required_by, ".requires"}}) {
        for (const std::string& target : *list) {
          auto t = Expand(target, lu, link_name, name);
          if (!t) continue;
          CAIRN_TRY(
              Link(fmt::format("/{}/{}{}/{}", kConfigDir, *t, dir_suffix, link_name), file->path));
        }
      }
    }
    for (const std::string& also : info.also) {
      auto a = Expand(also, *u, name, name);
      if (a) CAIRN_TRY(Enable(*a, /*required=*/false));
    }
    return {};
  }

  // Removes the symlinks under etc/systemd/system that are named after the
  // unit or point at it (systemd's remove_marked_symlinks), except masks.
  void Disable(const std::string& name) {
    auto file = Find(name);
    std::string path = file ? file->path : "";
    auto config = tree_.Resolve(kConfigDir);
    if (!config.ok()) return;
    std::string prefix = *config + "/";
    std::vector<std::string> doomed;
    for (auto it = tree_.nodes().lower_bound(prefix);
         it != tree_.nodes().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      const rootfs::Node& n = it->second;
      if (n.meta.type != rootfs::FileType::kSymlink || n.meta.link_target == "/dev/null") continue;
      if (Basename(it->first) == name || Basename(n.meta.link_target) == name ||
          (!path.empty() && n.meta.link_target == path))
        doomed.push_back(it->first);
    }
    for (const std::string& key : doomed) {
      tree_.Remove(key);
      Log(log_, fmt::format("removed '/{}'", key));
    }
  }

 private:
  std::optional<std::string> Expand(const std::string& value, const UnitName& u,
                                    const std::string& link_name, const std::string& unit) {
    auto v = ExpandSpecifiers(value, u, link_name);
    if (!v)
      Log(log_, fmt::format("unit '{}': unsupported specifier in '{}'; ignored", unit, value));
    return v;
  }

  Status Link(const std::string& link, const std::string& target) {
    const rootfs::Node* n = LstatNode(tree_, link);
    if (n) {
      if (IsSymlinkNode(n) && n->meta.link_target == target) return {};
      Log(log_, IsSymlinkNode(n)
                    ? fmt::format("'{}' already exists and is a symlink to '{}'; not changed", link,
                                  n->meta.link_target)
                    : fmt::format("'{}' already exists as a {}; not changed", link,
                                  rootfs::FileTypeName(n->meta.type)));
      return {};
    }
    CAIRN_TRY(tree_.AddSymlink(TreePath(link), target, mtime_));
    Log(log_, fmt::format("created symlink '{}' -> '{}'", link, target));
    return {};
  }

  rootfs::Tree& tree_;
  std::vector<std::string>* log_;
  int64_t mtime_;
  std::vector<std::string> dirs_;
  std::set<std::string> visited_;
};

std::vector<PresetRule> ReadPresets(const rootfs::Tree& tree, std::vector<std::string>* log) {
  // Name -> path; the first directory wins, and a name there that is not a
  // regular file (a link to /dev/null) masks the file of that name ("").
  std::map<std::string, std::string> files;
  for (const std::string& dir : SearchDirs(tree, std::begin(kPresetDirs), std::end(kPresetDirs))) {
    for (const std::string& name : internal::ListDirectory(tree, dir)) {
      if (name.size() <= 7 || name.compare(name.size() - 7, 7, ".preset") != 0) continue;
      std::string path = fmt::format("{}/{}", dir, name);
      files.emplace(name, IsRegularNode(StatNode(tree, path)) ? path : "");
    }
  }
  std::vector<PresetRule> rules;
  for (const auto& [name, path] : files) {
    if (path.empty()) continue;
    auto text = tree.ReadFile(path);
    if (!text.ok()) continue;
    size_t pos = 0, lineno = 0;
    while (pos < text->size()) {
      size_t end = text->find('\n', pos);
      if (end == std::string::npos) end = text->size();
      std::string_view line = Trim(std::string_view(*text).substr(pos, end - pos));
      pos = end + 1;
      ++lineno;
      if (line.empty() || line[0] == '#' || line[0] == ';') continue;
      std::vector<std::string> words = SplitWords(line);
      PresetRule rule;
      if (words[0] == "enable" && words.size() >= 2) {
        rule.action = PresetRule::Action::kEnable;
        rule.instances.assign(words.begin() + 2, words.end());
      } else if (words[0] == "disable" && words.size() == 2) {
        rule.action = PresetRule::Action::kDisable;
      } else if (words[0] == "ignore" && words.size() == 2) {
        rule.action = PresetRule::Action::kIgnore;
      } else {
        Log(log, fmt::format("{}:{}: unknown preset line '{}' (expected 'enable', 'disable' or "
                             "'ignore' and a unit glob); ignored",
                             path, lineno, line));
        continue;
      }
      rule.pattern = words[1];
      rules.push_back(std::move(rule));
    }
  }
  return rules;
}

struct Decision {
  PresetRule::Action action = PresetRule::Action::kEnable;  // systemd's default
  std::vector<std::string> instances;
};

// systemd's query_presets with pattern_match_multiple_instances.
Decision Query(const std::vector<PresetRule>& rules, const std::string& name) {
  auto u = ParseUnitName(name);
  for (const PresetRule& r : rules) {
    auto ru = ParseUnitName(r.pattern);
    bool rule_template = ru && ru->templated && ru->instance.empty();
    if (!rule_template || r.instances.empty()) {
      if (Match(r.pattern, name)) return {r.action, {}};
      continue;
    }
    if (u && u->templated && u->instance.empty()) {
      if (r.pattern == name) return {r.action, r.instances};
    } else if (u && u->templated && r.pattern == u->Template() &&
               std::find(r.instances.begin(), r.instances.end(), u->instance) !=
                   r.instances.end()) {
      return {r.action, {}};
    }
  }
  return {};
}

struct Plan {
  std::vector<std::pair<std::string, std::vector<std::string>>> enable;
  std::vector<std::string> disable;
};

void AddToPlan(Plan& plan, const Decision& d, const std::string& name, PresetMode mode) {
  if (d.action == PresetRule::Action::kEnable && mode != PresetMode::kDisableOnly)
    plan.enable.emplace_back(name, d.instances);
  if (d.action == PresetRule::Action::kDisable && mode != PresetMode::kEnableOnly)
    plan.disable.push_back(name);
}

Status RunPlan(Installer& installer, const Plan& plan) {
  for (const std::string& name : plan.disable) installer.Disable(name);
  for (const auto& [name, instances] : plan.enable)
    CAIRN_TRY(installer.Enable(name, /*required=*/true, instances));
  return {};
}

// ---------------------------------------------------------------------------
// deb-systemd-helper

constexpr std::string_view kDshStateDir = "var/lib/systemd/deb-systemd-helper-enabled";

struct DshLink {
  std::string dest;  // the unit file
  std::string src;   // the symlink, "/etc/systemd/system/..."
};

// deb-systemd-helper's find_unit: `-f` in three directories.
std::optional<std::string> DshFindUnit(const rootfs::Tree& tree, const std::string& name) {
  for (std::string_view dir :
       {"etc/systemd/system", "lib/systemd/system", "usr/lib/systemd/system"}) {
    std::string path = fmt::format("{}/{}", dir, name);
    if (IsRegularNode(StatNode(tree, path))) return "/" + path;
  }
  return std::nullopt;
}

bool KeyIs(std::string_view line, std::string_view key, std::string_view* value) {
  line = Trim(line);
  if (line.size() <= key.size() + 1 || line[key.size()] != '=') return false;
  for (size_t i = 0; i < key.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) !=
        std::tolower(static_cast<unsigned char>(key[i])))
      return false;
  *value = line.substr(key.size() + 1);
  return true;
}

std::vector<std::string> DshValues(std::string_view value) {
  std::vector<std::string> out;
  for (std::string& w : SplitWords(value)) out.push_back(std::move(w));
  return out;
}

// get_link_closure: every line of the file (any section) is matched.
Status DshClosure(const rootfs::Tree& tree, const std::string& service_path,
                  std::vector<std::string>& visited, std::vector<DshLink>& links,
                  std::vector<std::string>* log) {
  std::string unit_name = Basename(service_path);
  std::string wanted_target = unit_name;
  std::vector<std::string> wants_dirs;
  CAIRN_ASSIGN_OR_RETURN(std::string text, tree.ReadFile(TreePath(service_path)));
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    std::string_view value;
    if (KeyIs(line, "WantedBy", &value) || KeyIs(line, "RequiredBy", &value)) {
      bool wants = KeyIs(line, "WantedBy", &value);
      for (const std::string& v : DshValues(value))
        wants_dirs.push_back(
            fmt::format("/{}/{}{}/", kConfigDir, v, wants ? ".wants" : ".requires"));
    }
    if (KeyIs(line, "Also", &value)) {
      for (const std::string& v : DshValues(value)) {
        if (v == unit_name || std::find(visited.begin(), visited.end(), v) != visited.end())
          continue;
        visited.push_back(v);
        auto path = DshFindUnit(tree, v);
        if (!path) {
          Log(log, fmt::format("deb-systemd-helper: unit '{}' (Also= of '{}') not found; "
                               "skipped",
                               v, unit_name));
          continue;
        }
        CAIRN_TRY(DshClosure(tree, *path, visited, links, log));
      }
    }
    if (KeyIs(line, "Alias", &value)) {
      for (const std::string& v : DshValues(value))
        if (v != unit_name) links.push_back({service_path, fmt::format("/{}/{}", kConfigDir, v)});
    }
    if (KeyIs(line, "DefaultInstance", &value)) {
      auto words = SplitWords(value);
      auto u = ParseUnitName(unit_name);
      if (!words.empty() && u && u->templated && u->instance.empty())
        wanted_target = u->WithInstance(words[0]);
    }
  }
  for (const std::string& dir : wants_dirs) links.push_back({service_path, dir + wanted_target});
  return {};
}

bool Executable(const rootfs::Node* n) { return IsRegularNode(n) && (n->meta.mode & 0111); }

Status EnsureDirs(rootfs::Tree& tree, std::string_view dir, int64_t mtime) {
  if (IsDirectoryNode(StatNode(tree, dir))) return {};
  return tree.AddDirectory(dir, 0755, 0, 0, mtime);
}

}  // namespace

Status EnableUnits(rootfs::Tree& tree, const std::vector<std::string>& units,
                   std::vector<std::string>* log, int64_t mtime) {
  Installer installer(tree, log, mtime);
  for (const std::string& unit : units)
    CAIRN_TRY_CTX(installer.Enable(unit, /*required=*/true),
                  fmt::format("enabling unit '{}'", unit));
  return {};
}

Status PresetUnits(rootfs::Tree& tree, const std::vector<std::string>& units, PresetMode mode,
                   std::vector<std::string>* log, int64_t mtime) {
  Installer installer(tree, log, mtime);
  std::vector<PresetRule> rules = ReadPresets(tree, log);
  Plan plan;
  for (const std::string& name : units) {
    auto u = ParseUnitName(name);
    if (!u)
      return Error(Code::kConfig, fmt::format("invalid unit name '{}' (expected a name like "
                                              "'foo.service' or 'foo@bar.service')",
                                              name));
    auto file = installer.FindWithTemplate(name, *u);
    if (!file) return installer.NotFound(name);
    if (file->masked) {
      Log(log, fmt::format("unit '{}' is masked; preset ignored", name));
      continue;
    }
    AddToPlan(plan, Query(rules, name), name, mode);
  }
  return RunPlan(installer, plan);
}

Status ApplyPresets(rootfs::Tree& tree, std::vector<std::string>* log, int64_t mtime) {
  Installer installer(tree, log, mtime);
  std::vector<PresetRule> rules = ReadPresets(tree, log);
  std::set<std::string> names;
  for (const std::string& dir : installer.dirs()) {
    for (const std::string& name : internal::ListDirectory(tree, dir)) {
      const rootfs::Node* n = LstatNode(tree, fmt::format("{}/{}", dir, name));
      if ((IsRegularNode(n) || IsSymlinkNode(n)) && ParseUnitName(name)) names.insert(name);
    }
  }
  Plan plan;
  for (const std::string& name : names) {
    auto file = installer.Find(name);
    if (!file || !file->alias_of.empty()) continue;
    if (file->masked) {
      Log(log, fmt::format("unit '{}' is masked; preset ignored", name));
      continue;
    }
    CAIRN_ASSIGN_OR_RETURN(InstallInfo info, installer.Install(*file));
    if (info.Empty()) continue;
    Decision d = Query(rules, name);
    auto u = ParseUnitName(name);
    if (u->templated && u->instance.empty() && info.default_instance.empty() && d.instances.empty())
      continue;
    AddToPlan(plan, d, name, PresetMode::kFull);
  }
  return RunPlan(installer, plan);
}

Status DebSystemdHelperEnable(rootfs::Tree& tree, const std::vector<std::string>& units,
                              std::vector<std::string>* log, int64_t mtime) {
  const bool has_systemctl = Executable(StatNode(tree, "bin/systemctl")) ||
                             Executable(StatNode(tree, "usr/bin/systemctl"));
  for (const std::string& unit : units) {
    auto service_path = DshFindUnit(tree, unit);
    if (!service_path) {
      Log(log, fmt::format("deb-systemd-helper: unit '{}' not found; skipped", unit));
      continue;
    }
    std::vector<std::string> visited;
    std::vector<DshLink> links;
    CAIRN_TRY(DshClosure(tree, *service_path, visited, links, log));

    const std::string dsh_state = fmt::format("{}/{}.dsh-also", kDshStateDir, unit);
    bool create_links = true;
    if (has_systemctl) {
      create_links = false;
      if (IsRegularNode(StatNode(tree, dsh_state))) {
        // Installed before: add missing links only if some are present.
        for (const DshLink& l : links)
          create_links = create_links || IsSymlinkNode(LstatNode(tree, l.src));
      } else {
        auto st = PresetUnits(tree, {unit}, PresetMode::kEnableOnly, log, mtime);
        if (!st.ok()) Log(log, "deb-systemd-helper: " + st.error().message());
      }
    }

    std::string state;
    if (IsRegularNode(StatNode(tree, dsh_state))) {
      CAIRN_ASSIGN_OR_RETURN(state, tree.ReadFile(dsh_state));
    }
    for (const DshLink& l : links) {
      std::string line = l.src + "\n";
      bool recorded = false;
      for (size_t pos = 0; pos < state.size();) {
        size_t end = state.find('\n', pos);
        end = end == std::string::npos ? state.size() : end + 1;
        recorded = recorded || state.compare(pos, end - pos, line) == 0;
        pos = end;
      }
      if (!recorded) state += line;
      CAIRN_TRY(EnsureDirs(tree, kDshStateDir, mtime));
      CAIRN_TRY(tree.AddFile(dsh_state, state, 0644, 0, 0, mtime));

      std::string rel = l.src.substr(kConfigDir.size() + 2);
      std::string statefile = fmt::format("{}/{}", kDshStateDir, rel);
      if (StatNode(tree, statefile)) continue;
      if (create_links && !IsSymlinkNode(LstatNode(tree, l.src))) {
        CAIRN_TRY(tree.AddSymlink(TreePath(l.src), l.dest, mtime));
        Log(log, fmt::format("created symlink '{}' -> '{}'", l.src, l.dest));
      }
      CAIRN_TRY(tree.AddFile(statefile, "", 0644, 0, 0, mtime));
    }
  }
  return {};
}

}  // namespace cairn::effects
