// ApplyAlternatives: dpkg 1.21's update-alternatives --install over rootfs::Tree.
//
// Each install is one update-alternatives run: the group is loaded (or
// created), the choice added, the best choice picked, and only at the end are
// the admin files and links written, which gives the same final state as
// committing after every run because every run rewrites them entirely.
#include "cairn/effects/alternatives.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <set>

#include "effects/tree_lookup.h"

namespace cairn::effects {
namespace {

constexpr std::string_view kAltDir = "etc/alternatives";
constexpr std::string_view kAdminDir = "var/lib/dpkg/alternatives";

void Log(std::vector<std::string>* log, std::string line) {
  if (log) log->push_back(std::move(line));
}

// update-alternatives' own checks on --install arguments.
Status Validate(const AlternativeInstall& in) {
  auto bad = [&](std::string what) {
    return IntegrityError(fmt::format("invalid alternative '{}': {}", in.name, what));
  };
  auto valid_name = [](std::string_view n) {
    return !n.empty() && n.find_first_of("/ \t\n") == std::string_view::npos;
  };
  if (!valid_name(in.name)) return bad("the name must be non-empty and contain no '/' or blanks");
  if (in.link.empty() || in.link.front() != '/')
    return bad(
        fmt::format("link '{}' is not absolute (expected a path starting with '/')", in.link));
  if (in.path.empty() || in.path.front() != '/')
    return bad(
        fmt::format("path '{}' is not absolute (expected a path starting with '/')", in.path));
  if (in.link == in.path) return bad(fmt::format("link and path are both '{}'", in.link));
  for (const AlternativeSlave& s : in.slaves) {
    if (!valid_name(s.name))
      return bad(
          fmt::format("slave name '{}' must be non-empty and contain no '/' or blanks", s.name));
    if (s.name == in.name) return bad(fmt::format("'{}' is both primary and slave", s.name));
    if (s.link.empty() || s.link.front() != '/')
      return bad(fmt::format("slave link '{}' is not absolute (expected a path starting with '/')",
                             s.link));
    if (s.path.empty() || s.path.front() != '/')
      return bad(fmt::format("slave path '{}' is not absolute (expected a path starting with '/')",
                             s.path));
    if (s.link == in.link)
      return bad(fmt::format("slave link '{}' is also the master link", s.link));
  }
  return {};
}

struct Group {
  AlternativeState state;
  std::optional<std::string> current;  // path /etc/alternatives/<name> points to
  std::set<std::string> stale_links;   // renamed or dropped links to remove if symlinks
  std::set<std::string> stale_slave_names;
};

// dpkg's alternative_get_best: start from the current choice (or the first),
// replace it only by a strictly higher priority.
std::optional<std::string> Best(const Group& g) {
  if (g.state.choices.empty()) return std::nullopt;
  auto best = g.current ? g.state.choices.find(*g.current) : g.state.choices.end();
  if (best == g.state.choices.end()) best = g.state.choices.begin();
  for (auto it = g.state.choices.begin(); it != g.state.choices.end(); ++it)
    if (it->second.priority > best->second.priority) best = it;
  return best->first;
}

Result<Group> LoadGroup(const rootfs::Tree& tree, const std::string& name) {
  Group g;
  std::string admin = fmt::format("{}/{}", kAdminDir, name);
  const rootfs::Node* file = internal::StatNode(tree, admin);
  if (!internal::IsRegularNode(file)) return g;
  CAIRN_ASSIGN_OR_RETURN(std::string text, tree.ReadFile(admin));
  CAIRN_ASSIGN_OR_RETURN(g.state, ParseAlternativeState(admin, text));
  const rootfs::Node* link = internal::LstatNode(tree, fmt::format("{}/{}", kAltDir, name));
  if (internal::IsSymlinkNode(link)) g.current = link->meta.link_target;
  return g;
}

// Removes `path` if it is a symlink; anything else is not ours to delete.
void RemoveLink(rootfs::Tree& tree, std::string_view path) {
  std::string key;
  const rootfs::Node* n = internal::LstatNode(tree, path, &key);
  if (internal::IsSymlinkNode(n)) tree.Remove(key);
}

// Points `link` at `target` unless something other than a symlink is there.
Status PlaceLink(rootfs::Tree& tree, std::string_view link, std::string_view target, int64_t mtime,
                 std::vector<std::string>* log) {
  const rootfs::Node* n = internal::LstatNode(tree, link);
  if (n && !internal::IsSymlinkNode(n)) {
    Log(log, fmt::format("alternatives: not replacing '{}' with a link: it is a {}", link,
                         rootfs::FileTypeName(n->meta.type)));
    return {};
  }
  return tree.AddSymlink(internal::TreePath(link), target, mtime);
}

Status WriteGroup(rootfs::Tree& tree, const std::string& name, const Group& g, int64_t mtime,
                  std::vector<std::string>* log) {
  for (const std::string& link : g.stale_links) RemoveLink(tree, link);
  for (const std::string& slave : g.stale_slave_names)
    RemoveLink(tree, fmt::format("/{}/{}", kAltDir, slave));

  if (!internal::IsDirectoryNode(internal::StatNode(tree, kAdminDir)))
    CAIRN_TRY(tree.AddDirectory(kAdminDir, 0755, 0, 0, mtime));
  CAIRN_TRY(tree.AddFile(fmt::format("{}/{}", kAdminDir, name), FormatAlternativeState(g.state),
                         0644, 0, 0, mtime));
  if (!g.current) return {};
  if (!internal::IsDirectoryNode(internal::StatNode(tree, kAltDir)))
    CAIRN_TRY(tree.AddDirectory(kAltDir, 0755, 0, 0, mtime));

  const std::string alt_link = fmt::format("/{}/{}", kAltDir, name);
  CAIRN_TRY(PlaceLink(tree, alt_link, *g.current, mtime, log));
  CAIRN_TRY(PlaceLink(tree, g.state.link, alt_link, mtime, log));
  auto current = g.state.choices.find(*g.current);
  if (current == g.state.choices.end()) return {};  // a manual choice that is gone
  const AlternativeState::Choice& choice = current->second;
  for (const auto& [slave, link] : g.state.slaves) {
    const std::string slave_alt = fmt::format("/{}/{}", kAltDir, slave);
    auto it = choice.slave_paths.find(slave);
    bool usable = it != choice.slave_paths.end() && internal::StatNode(tree, it->second) != nullptr;
    if (!usable) {
      if (it != choice.slave_paths.end())
        Log(log, fmt::format("alternatives: skipped slave link '{}': '{}' (of link group '{}') "
                             "does not exist",
                             link, it->second, name));
      RemoveLink(tree, slave_alt);
      RemoveLink(tree, link);
      continue;
    }
    CAIRN_TRY(PlaceLink(tree, slave_alt, it->second, mtime, log));
    CAIRN_TRY(PlaceLink(tree, link, slave_alt, mtime, log));
  }
  return {};
}

}  // namespace

std::string FormatAlternativeState(const AlternativeState& state) {
  std::string out = fmt::format("{}\n{}\n", state.manual ? "manual" : "auto", state.link);
  for (const auto& [name, link] : state.slaves) out += fmt::format("{}\n{}\n", name, link);
  out += "\n";
  for (const auto& [path, choice] : state.choices) {
    out += fmt::format("{}\n{}\n", path, choice.priority);
    for (const auto& [name, link] : state.slaves) {
      auto it = choice.slave_paths.find(name);
      if (it != choice.slave_paths.end()) out += it->second;
      out += "\n";
    }
  }
  out += "\n";
  return out;
}

Result<AlternativeState> ParseAlternativeState(std::string_view file, std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  size_t i = 0;
  auto fail = [&](std::string_view expected) {
    return IntegrityError(fmt::format("{}:{}: expected {}", file, i + 1, expected));
  };
  auto next = [&](std::string_view expected) -> Result<std::string_view> {
    if (i >= lines.size()) return fail(expected);
    return lines[i++];
  };

  AlternativeState state;
  CAIRN_ASSIGN_OR_RETURN(std::string_view mode, next("'auto' or 'manual'"));
  if (mode != "auto" && mode != "manual") {
    --i;
    return fail(fmt::format("'auto' or 'manual', not '{}'", mode));
  }
  state.manual = mode == "manual";
  CAIRN_ASSIGN_OR_RETURN(std::string_view link, next("the master link"));
  if (link.empty()) {
    --i;
    return fail("the master link");
  }
  state.link = std::string(link);
  std::vector<std::string> slave_order;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(std::string_view name, next("a slave name or a blank line"));
    if (name.empty()) break;
    CAIRN_ASSIGN_OR_RETURN(std::string_view slave_link, next("a slave link"));
    slave_order.emplace_back(name);
    state.slaves[std::string(name)] = std::string(slave_link);
  }
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(std::string_view path, next("an alternative path or a blank line"));
    if (path.empty()) break;
    CAIRN_ASSIGN_OR_RETURN(std::string_view prio, next("a priority"));
    AlternativeState::Choice choice;
    auto [p, ec] = std::from_chars(prio.data(), prio.data() + prio.size(), choice.priority);
    if (ec != std::errc() || p != prio.data() + prio.size() || prio.empty()) {
      --i;
      return fail(fmt::format("an integer priority, not '{}'", prio));
    }
    for (const std::string& name : slave_order) {
      CAIRN_ASSIGN_OR_RETURN(std::string_view slave_path,
                             next(fmt::format("the path of slave '{}'", name)));
      if (!slave_path.empty()) choice.slave_paths[name] = std::string(slave_path);
    }
    state.choices[std::string(path)] = std::move(choice);
  }
  return state;
}

Status ApplyAlternatives(rootfs::Tree& tree, const std::vector<AlternativeInstall>& installs,
                         int64_t mtime, std::vector<std::string>* log) {
  std::map<std::string, Group> groups;
  for (const AlternativeInstall& in : installs) {
    CAIRN_TRY(Validate(in));
    if (!internal::StatNode(tree, in.path)) {
      Log(log, fmt::format("alternatives: skipped '{}' for '{}' ({}): it does not exist", in.path,
                           in.link, in.name));
      continue;
    }
    auto it = groups.find(in.name);
    if (it == groups.end()) {
      CAIRN_ASSIGN_OR_RETURN(Group loaded, LoadGroup(tree, in.name));
      it = groups.emplace(in.name, std::move(loaded)).first;
    }
    Group& g = it->second;
    AlternativeState& s = g.state;
    if (!s.link.empty() && s.link != in.link) {
      Log(log, fmt::format("alternatives: renaming {} link from '{}' to '{}'", in.name, s.link,
                           in.link));
      g.stale_links.insert(s.link);
    }
    s.link = in.link;
    g.stale_links.erase(in.link);

    AlternativeState::Choice choice;
    choice.priority = in.priority;
    for (const AlternativeSlave& slave : in.slaves) {
      auto old = s.slaves.find(slave.name);
      if (old != s.slaves.end() && old->second != slave.link) {
        Log(log, fmt::format("alternatives: renaming {} slave link from '{}' to '{}'", slave.name,
                             old->second, slave.link));
        g.stale_links.insert(old->second);
      }
      s.slaves[slave.name] = slave.link;
      g.stale_links.erase(slave.link);
      g.stale_slave_names.erase(slave.name);
      choice.slave_paths[slave.name] = slave.path;
    }
    s.choices[in.path] = std::move(choice);

    // Slaves that no choice provides any more leave the group.
    for (auto sl = s.slaves.begin(); sl != s.slaves.end();) {
      bool used = false;
      for (const auto& [path, c] : s.choices) used = used || c.slave_paths.count(sl->first) > 0;
      if (used) {
        ++sl;
        continue;
      }
      g.stale_links.insert(sl->second);
      g.stale_slave_names.insert(sl->first);
      sl = s.slaves.erase(sl);
    }

    if (!s.manual) {
      std::optional<std::string> best = Best(g);
      if (best != g.current)
        Log(log, fmt::format("alternatives: using '{}' to provide '{}' ({}) in auto mode", *best,
                             s.link, in.name));
      g.current = best;
    }
  }
  for (const auto& [name, g] : groups)
    CAIRN_TRY_CTX(WriteGroup(tree, name, g, mtime, log),
                  fmt::format("writing alternative '{}'", name));
  return {};
}

}  // namespace cairn::effects
