// UpdateRcDefaults: init-system-helpers 1.65's /usr/sbin/update-rc.d (perl),
// the "defaults" action through make_sysv_links() and
// parse_def_start_stop(). The tool looks for insserv and OpenRC at absolute
// paths, which inside the chroot dpkg runs it in are the image's; so are ours.
#include "cairn/effects/update_rc_d.h"

#include <fmt/format.h>

#include <regex>
#include <string_view>

#include "effects/ld_so_conf.h"
#include "effects/tree_lookup.h"

namespace cairn::effects {
namespace {

using internal::IsDirectoryNode;
using internal::IsRegularNode;
using internal::StatNode;

bool IsExecutable(const rootfs::Tree& tree, std::string_view path) {
  const rootfs::Node* node = StatNode(tree, path);
  return IsRegularNode(node) && (node->meta.mode & 0111) != 0;
}

// split(' ', $s): awk-style fields.
std::vector<std::string> Fields(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; };
  while (i < s.size()) {
    while (i < s.size() && blank(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !blank(s[j])) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// parse_def_start_stop(): the Default-Start and Default-Stop runlevels of the
// first LSB block (the last of each line inside it wins).
void ParseDefaults(std::string_view text, std::vector<std::string>* start,
                   std::vector<std::string>* stop) {
  static const std::regex kBegin(R"(^### BEGIN INIT INFO\s*$)");
  static const std::regex kEnd(R"(^### END INIT INFO\s*$)");
  static const std::regex kStart(R"(^# Default-Start:\s*(\S?.*)$)");
  static const std::regex kStop(R"(^# Default-Stop:\s*(\S?.*)$)");
  bool begin = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string line(text.substr(pos, nl - pos));
    pos = nl + 1;
    std::smatch m;
    if (std::regex_search(line, kBegin)) {
      begin = true;
    } else if (std::regex_search(line, kEnd)) {
      return;
    } else if (begin) {
      if (std::regex_search(line, m, kStart)) *start = Fields(m[1].str());
      if (std::regex_search(line, m, kStop)) *stop = Fields(m[1].str());
    }
  }
}

// glob("/etc/rc?.d/[SK][0-9][0-9]NAME") is not empty.
bool HasLinks(const rootfs::Tree& tree, const std::string& name) {
  for (const std::string& dir : internal::ListDirectory(tree, "etc")) {
    if (dir.size() != 5 || dir.compare(0, 2, "rc") != 0 || dir.compare(3, 2, ".d") != 0) continue;
    for (const std::string& entry : internal::ListDirectory(tree, "etc/" + dir)) {
      if (entry.size() == name.size() + 3 && (entry[0] == 'S' || entry[0] == 'K') &&
          entry[1] >= '0' && entry[1] <= '9' && entry[2] >= '0' && entry[2] <= '9' &&
          entry.compare(3, std::string::npos, name) == 0)
        return true;
    }
  }
  return false;
}

// make_path() then symlink(); both fail quietly in the tool.
Status Link(rootfs::Tree& tree, const std::string& level, const std::string& link_name,
            const std::string& script, int64_t mtime, std::vector<std::string>* log) {
  const std::string dir = fmt::format("etc/rc{}.d", level);
  for (const std::string& d : {std::string("etc"), dir}) {
    const rootfs::Node* node = StatNode(tree, d);
    if (node && !IsDirectoryNode(node)) return {};
    if (!node) {
      CAIRN_ASSIGN_OR_RETURN(std::string to, tree.Resolve(d));
      CAIRN_TRY(tree.AddDirectory(to, 0755, 0, 0, mtime));
    }
  }
  const std::string path = fmt::format("{}/{}", dir, link_name);
  if (internal::LstatNode(tree, path)) return {};
  CAIRN_ASSIGN_OR_RETURN(std::string dir_to, tree.Resolve(dir));
  CAIRN_TRY(tree.AddSymlink(fmt::format("{}/{}", dir_to, link_name), "../init.d/" + script, mtime));
  if (log) log->push_back(fmt::format("update-rc.d: linked '/{}' -> '../init.d/{}'", path, script));
  return {};
}

}  // namespace

Status UpdateRcDefaults(rootfs::Tree& tree, const std::vector<std::string>& scripts, int64_t mtime,
                        std::vector<std::string>* log) {
  if (scripts.empty()) return {};
  const char* insserv =
      IsExecutable(tree, "sbin/insserv") ? "sbin/insserv" : "usr/lib/insserv/insserv";
  if (IsExecutable(tree, insserv) && StatNode(tree, "etc/insserv.conf"))
    return ToolError(fmt::format(
        "update-rc.d would order '{}' with '/{}', which cairn does not reproduce (expected an "
        "image without insserv)",
        scripts.front(), insserv));
  if (IsExecutable(tree, "sbin/openrc"))
    return ToolError(fmt::format(
        "update-rc.d would register '{}' with OpenRC's rc-update, which cairn does not "
        "reproduce (expected an image without '/sbin/openrc')",
        scripts.front()));

  for (const std::string& name : scripts) {
    if (HasLinks(tree, name)) continue;
    const std::string script = "etc/init.d/" + name;
    if (!IsRegularNode(StatNode(tree, script)))
      return NotFoundError(
          fmt::format("update-rc.d: unable to read '/{}' (expected an init script)", script));
    CAIRN_ASSIGN_OR_RETURN(std::string text, tree.ReadFile(script));
    std::vector<std::string> start, stop;
    ParseDefaults(text, &start, &stop);
    for (const std::string& level : start)
      CAIRN_TRY(Link(tree, level, "S01" + name, name, mtime, log));
    for (const std::string& level : stop)
      CAIRN_TRY(Link(tree, level, "K01" + name, name, mtime, log));
  }
  return {};
}

}  // namespace cairn::effects
