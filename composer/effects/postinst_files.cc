// ApplyPostinstFiles: the `cp -p` and `touch` lines of the bookworm postinsts
// of libc-bin (2.36-9), debianutils (5.7), libpam-modules (1.5.2-6) and login
// (1:4.13); UpdateShells: debianutils' /usr/sbin/update-shells.
//
// Shell tests map to tree lookups: `[ -e ]` and `[ -f ]` follow symlinks
// (StatNode).
#include "cairn/effects/postinst_files.h"

#include <fmt/format.h>

#include <string_view>

#include "effects/ld_so_conf.h"
#include "effects/tree_lookup.h"

namespace cairn::effects {
namespace {

using internal::IsRegularNode;
using internal::StatNode;

constexpr std::string_view kShellsTemplate = "usr/share/debianutils/shells";
constexpr std::string_view kShellsDir = "usr/share/debianutils/shells.d";
constexpr std::string_view kShellsState = "var/lib/shells.state";
constexpr std::string_view kEtcShells = "etc/shells";

void Log(std::vector<std::string>* log, std::string line) {
  if (log) log->push_back(std::move(line));
}

// `[ ! -f DST ] && cp -p SRC DST`.
Status CopyIfMissing(rootfs::Tree& tree, std::string_view src, std::string_view dst,
                     std::vector<std::string>* log) {
  if (IsRegularNode(StatNode(tree, dst))) return {};
  const rootfs::Node* source = StatNode(tree, src);
  if (!IsRegularNode(source))
    return NotFoundError(
        fmt::format("cannot copy '/{}' to '/{}': the source is missing", src, dst));
  const rootfs::FsEntry meta = source->meta;
  CAIRN_ASSIGN_OR_RETURN(std::string content, tree.ReadFile(src));
  // cp writes through a dangling symlink to where it points.
  CAIRN_ASSIGN_OR_RETURN(std::string to, tree.Resolve(dst));
  CAIRN_TRY(tree.AddFile(to, content, meta.mode, meta.uid, meta.gid, meta.mtime));
  Log(log, fmt::format("copied '/{}' to '/{}'", src, dst));
  return {};
}

// `touch FILE` (then chown/chmod) when the script's test says it is missing.
Status TouchIfMissing(rootfs::Tree& tree, std::string_view path, uint32_t mode, bool exists_test,
                      int64_t mtime, std::vector<std::string>* log) {
  const rootfs::Node* node = StatNode(tree, path);
  if (exists_test ? node != nullptr : IsRegularNode(node)) return {};
  CAIRN_ASSIGN_OR_RETURN(std::string to, tree.Resolve(path));
  CAIRN_TRY(tree.AddFile(to, "", mode, 0, 0, mtime));
  Log(log, fmt::format("created empty '/{}'", path));
  return {};
}

// Non-empty lines up to the first '#', as `while IFS='#' read -r line _` gives
// them (with IFS='#' alone, read strips no blanks).
std::vector<std::string> ShellLines(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    line = line.substr(0, line.find('#'));
    if (!line.empty()) out.emplace_back(line);
  }
  return out;
}

bool Contains(const std::vector<std::string>& set, std::string_view s) {
  for (const auto& x : set)
    if (x == s) return true;
  return false;
}

}  // namespace

Status UpdateShells(rootfs::Tree& tree, int64_t mtime) {
  if (!IsRegularNode(StatNode(tree, kShellsTemplate))) return {};

  // PKG_SHELLS: every listed shell, then the same with its directory resolved.
  std::vector<std::string> files = {std::string(kShellsTemplate)};
  for (const std::string& name : internal::ListDirectory(tree, kShellsDir))
    files.push_back(fmt::format("{}/{}", kShellsDir, name));
  std::vector<std::string> pkg_shells;
  for (const std::string& f : files) {
    if (!IsRegularNode(StatNode(tree, f))) continue;
    CAIRN_ASSIGN_OR_RETURN(std::string text, tree.ReadFile(f));
    for (const std::string& shell : ShellLines(text)) {
      pkg_shells.push_back(shell);
      size_t slash = shell.rfind('/');
      if (slash == std::string::npos || slash == 0 || shell[0] != '/') continue;
      // dpkg-realpath --root of the directory; only if it resolves to one.
      auto dir = tree.Resolve(internal::TreePath(shell.substr(0, slash)));
      if (!dir.ok() || !internal::IsDirectoryNode(StatNode(tree, *dir))) continue;
      std::string real = fmt::format("/{}{}", *dir, shell.substr(slash));
      if (real != shell) pkg_shells.push_back(real);
    }
  }

  std::vector<std::string> state_shells;
  if (IsRegularNode(StatNode(tree, kShellsState))) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, tree.ReadFile(kShellsState));
    state_shells = ShellLines(text);
  }

  std::string_view source =
      IsRegularNode(StatNode(tree, kEtcShells)) ? kEtcShells : kShellsTemplate;
  const rootfs::FsEntry source_meta = StatNode(tree, source)->meta;
  CAIRN_ASSIGN_OR_RETURN(std::string source_text, tree.ReadFile(source));

  // Comment lines, packaged shells and local additions are kept, once each.
  std::string etc;
  std::vector<std::string> etc_shells;
  size_t pos = 0;
  while (pos < source_text.size()) {
    size_t end = source_text.find('\n', pos);
    if (end == std::string::npos) end = source_text.size();
    std::string line = source_text.substr(pos, end - pos);
    pos = end + 1;
    std::string shell = line.substr(0, line.find('#'));
    bool keep = shell.empty() || Contains(pkg_shells, shell) || !Contains(state_shells, shell);
    if (keep && (shell.empty() || !Contains(etc_shells, shell))) {
      etc += line + "\n";
      etc_shells.push_back(shell);
    }
  }
  std::string state;
  for (const std::string& shell : pkg_shells) {
    state += shell + "\n";
    // Added unless present or removed locally.
    if (!Contains(etc_shells, shell) && !Contains(state_shells, shell)) {
      etc += shell + "\n";
      etc_shells.push_back(shell);
    }
  }

  uint32_t state_mode = 0644, state_uid = 0, state_gid = 0;
  if (const rootfs::Node* old = StatNode(tree, kShellsState); IsRegularNode(old)) {
    state_mode = old->meta.mode & 07777;
    state_uid = old->meta.uid;
    state_gid = old->meta.gid;
  }
  CAIRN_ASSIGN_OR_RETURN(std::string etc_path, tree.Resolve(kEtcShells));
  CAIRN_TRY(tree.AddFile(etc_path, etc, source_meta.mode & 07777, source_meta.uid, source_meta.gid,
                         mtime));
  CAIRN_ASSIGN_OR_RETURN(std::string state_path, tree.Resolve(kShellsState));
  return tree.AddFile(state_path, state, state_mode, state_uid, state_gid, mtime);
}

Status ApplyPostinstFiles(rootfs::Tree& tree, const std::set<std::string>& packages, int64_t mtime,
                          std::vector<std::string>* log) {
  if (packages.count("libc-bin"))
    CAIRN_TRY(CopyIfMissing(tree, "usr/share/libc-bin/nsswitch.conf", "etc/nsswitch.conf", log));
  if (packages.count("debianutils")) {
    CAIRN_TRY(CopyIfMissing(tree, kShellsTemplate, kEtcShells, log));
    CAIRN_TRY(UpdateShells(tree, mtime));
  }
  if (packages.count("libpam-modules")) {
    CAIRN_TRY(TouchIfMissing(tree, "etc/security/opasswd", 0600, false, mtime, log));
    CAIRN_TRY(TouchIfMissing(tree, "etc/environment", 0644, false, mtime, log));
  }
  if (packages.count("login")) {
    CAIRN_TRY(TouchIfMissing(tree, "var/log/faillog", 0644, false, mtime, log));
    CAIRN_TRY(TouchIfMissing(tree, "etc/subuid", 0644, true, mtime, log));
    CAIRN_TRY(TouchIfMissing(tree, "etc/subgid", 0644, true, mtime, log));
  }
  return {};
}

}  // namespace cairn::effects
