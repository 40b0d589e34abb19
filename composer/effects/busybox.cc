// InstallBusyboxLinks: apko's pkg/build/busybox.go over rootfs::Tree.
//
// Existence is checked without following the last component (lstat), so a
// dangling link a package shipped is kept, as `busybox --install -s` keeps it.
#include "cairn/effects/busybox.h"

#include <fmt/format.h>

#include "effects/ld_so_conf.h"

namespace cairn::effects {
namespace {

constexpr std::string_view kPathsDir = "etc/busybox-paths.d";

const rootfs::Node* FindResolved(const rootfs::Tree& tree, std::string_view path) {
  auto resolved = tree.Resolve(path);
  if (!resolved.ok() || resolved->empty()) return nullptr;
  return tree.Find(*resolved);
}

bool IsRegular(const rootfs::Node* n) {
  return n && (n->meta.type == rootfs::FileType::kRegular ||
               n->meta.type == rootfs::FileType::kHardlink);
}

// lstat-like: resolves the parent, not the entry itself.
bool EntryExists(const rootfs::Tree& tree, const std::string& key) {
  size_t slash = key.rfind('/');
  std::string parent = slash == std::string::npos ? "" : key.substr(0, slash);
  std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  auto rp = tree.Resolve(parent);
  if (!rp.ok()) return true;  // a symlink loop: never write through it
  return tree.Find(rp->empty() ? name : fmt::format("{}/{}", *rp, name)) != nullptr;
}

// Creates the missing directories of `dir` with `mtime`; false if a component
// exists but is not a directory.
Result<bool> EnsureParents(rootfs::Tree& tree, std::string_view dir, int64_t mtime) {
  size_t i = 0;
  while (i < dir.size()) {
    size_t j = dir.find('/', i);
    if (j == std::string_view::npos) j = dir.size();
    std::string_view prefix = dir.substr(0, j);
    i = j + 1;
    CAIRN_ASSIGN_OR_RETURN(std::string resolved, tree.Resolve(prefix));
    const rootfs::Node* n = tree.Find(resolved);
    if (!n) {
      CAIRN_TRY(tree.AddDirectory(prefix, 0755, 0, 0, mtime));
    } else if (n->meta.type != rootfs::FileType::kDirectory) {
      return false;
    }
  }
  return true;
}

}  // namespace

Status InstallBusyboxLinks(rootfs::Tree& tree, int64_t epoch, Reporter& reporter,
                           const std::vector<std::string>& package_names) {
  std::string busybox;
  const rootfs::Node* binary = nullptr;
  for (std::string_view candidate : {"bin/busybox", "usr/bin/busybox"}) {
    const rootfs::Node* n = FindResolved(tree, candidate);
    if (IsRegular(n)) {
      busybox = std::string(candidate);
      binary = n;
      break;
    }
  }
  if (!binary) return {};
  const std::string target = "/" + busybox;
  const int64_t dir_mtime = binary->meta.mtime;
  const int owner = binary->owner;

  std::vector<std::string> lists;
  const rootfs::Node* dir = FindResolved(tree, kPathsDir);
  if (dir && dir->meta.type == rootfs::FileType::kDirectory) {
    for (const std::string& name : internal::ListDirectory(tree, kPathsDir)) {
      std::string path = fmt::format("{}/{}", kPathsDir, name);
      if (IsRegular(FindResolved(tree, path))) lists.push_back(std::move(path));
    }
  }
  if (lists.empty()) {
    std::string who = owner >= 0 && static_cast<size_t>(owner) < package_names.size()
                          ? fmt::format("package '{}'", package_names[owner])
                          : std::string("an unknown package");
    reporter.Warn(fmt::format(
        "'{}' (from {}) has no applet list in '{}/'; busybox applet links were not created",
        busybox, who, kPathsDir));
    return {};
  }

  size_t created = 0;
  for (const std::string& list : lists) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, tree.ReadFile(list));
    size_t lineno = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + pos, end - pos);
      pos = end + 1;
      ++lineno;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.remove_suffix(1);
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      if (line.empty()) continue;
      auto key = rootfs::NormalizePath(line);
      if (line.front() != '/' || !key.ok() || key->empty()) {
        reporter.Warn(fmt::format("{}:{}: skipping '{}': expected an absolute path", list,
                                  lineno, line));
        continue;
      }
      if (EntryExists(tree, *key)) continue;
      size_t slash = key->rfind('/');
      if (slash != std::string::npos) {
        CAIRN_ASSIGN_OR_RETURN(bool ok, EnsureParents(tree, key->substr(0, slash), dir_mtime));
        if (!ok) {
          reporter.Warn(fmt::format("{}:{}: skipping '{}': a parent is not a directory", list,
                                    lineno, line));
          continue;
        }
      }
      CAIRN_TRY_CTX(tree.AddSymlink(*key, target, epoch),
                    fmt::format("creating busybox applet link '{}'", *key));
      ++created;
    }
  }
  reporter.Verbose(fmt::format("busybox: created {} applet links to '{}'", created, target));
  return {};
}

}  // namespace cairn::effects
