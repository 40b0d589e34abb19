#include "compose/accounts.h"

#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace cairn::compose {
namespace {

// Reads a colon-separated database (passwd/group/shadow) as lines; a missing
// file is empty.
std::vector<std::string> ReadLines(const rootfs::Tree& tree, std::string_view path) {
  std::vector<std::string> lines;
  auto text = tree.ReadFile(path);
  if (!text.ok()) return lines;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

void Upsert(std::vector<std::string>& lines, const std::string& name, std::string line) {
  for (auto& l : lines) {
    if (l.compare(0, name.size() + 1, name + ":") == 0) {
      l = std::move(line);
      return;
    }
  }
  lines.push_back(std::move(line));
}

Status WriteLines(rootfs::Tree& tree, std::string_view path, const std::vector<std::string>& lines,
                  uint32_t mode, uint32_t gid, int64_t epoch) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  // Keep the owner and mode a package gave the file (e.g. shadow root:shadow 0640).
  if (const rootfs::Node* n = tree.Find(path); n && n->meta.type == rootfs::FileType::kRegular) {
    mode = n->meta.mode;
    gid = n->meta.gid;
  }
  return tree.AddFile(path, text, mode, 0, gid, epoch);
}

}  // namespace

Status ApplyAccounts(const config::Accounts& accounts, rootfs::Tree& tree, int64_t epoch) {
  if (accounts.groups.empty() && accounts.users.empty()) return {};
  auto group = ReadLines(tree, "etc/group");
  auto passwd = ReadLines(tree, "etc/passwd");
  auto shadow = ReadLines(tree, "etc/shadow");

  for (const auto& g : accounts.groups) {
    if (!g.gid)
      return ConfigError(g.loc, fmt::format("group '{}' needs a gid", g.groupname.value));
    std::string members;
    for (const auto& m : g.members) members += (members.empty() ? "" : ",") + m;
    Upsert(group, g.groupname.value, fmt::format("{}:x:{}:{}", g.groupname.value, *g.gid, members));
  }
  for (const auto& u : accounts.users) {
    if (!u.uid) return ConfigError(u.loc, fmt::format("user '{}' needs a uid", u.username.value));
    uint32_t gid = u.gid.value_or(*u.uid);
    std::string home = u.homedir.empty() ? "/home/" + u.username.value : u.homedir;
    std::string shell = u.shell.empty() ? "/bin/sh" : u.shell;
    Upsert(passwd, u.username.value,
           fmt::format("{}:x:{}:{}:{}:{}:{}", u.username.value, *u.uid, gid, u.username.value, home,
                       shell));
    // Locked password: the account exists for running processes, not for logins.
    Upsert(shadow, u.username.value, fmt::format("{}:!::0:::::", u.username.value));
    CAIRN_ASSIGN_OR_RETURN(std::string home_path, rootfs::NormalizePath(home));
    if (!home_path.empty() && !tree.Find(home_path)) {
      CAIRN_TRY(tree.AddDirectory(home_path, 0755, *u.uid, gid, epoch));
    }
  }
  CAIRN_TRY(WriteLines(tree, "etc/group", group, 0644, 0, epoch));
  CAIRN_TRY(WriteLines(tree, "etc/passwd", passwd, 0644, 0, epoch));
  CAIRN_TRY(WriteLines(tree, "etc/shadow", shadow, 0640, 0, epoch));
  return {};
}

}  // namespace cairn::compose
