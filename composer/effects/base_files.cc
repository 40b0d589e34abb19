// ApplyBaseFiles: base-files 12.4 (bookworm) DEBIAN/postinst, step by step;
// ResetMachineId: mmdebstrap 1.3.5 run_cleanup "cleanup/reproducible".
//
// Shell tests map to tree lookups: `[ -e ]`, `[ -f ]` and `[ -d ]` follow
// symlinks (StatNode), `[ -L ]` does not (LstatNode).
#include "cairn/effects/base_files.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "effects/tree_lookup.h"

namespace cairn::effects {
namespace {

using internal::IsDirectoryNode;
using internal::IsRegularNode;
using internal::IsSymlinkNode;
using internal::LstatNode;
using internal::StatNode;

constexpr std::string_view kDefaults = "usr/share/base-files";

// Debian's statically allocated groups (base-passwd group.master).
uint32_t GroupId(const rootfs::Tree& tree, std::string_view name) {
  static const std::map<std::string_view, uint32_t> kStatic = {
      {"mail", 8}, {"utmp", 43}, {"staff", 50}};
  if (IsRegularNode(StatNode(tree, "etc/group"))) {
    auto text = tree.ReadFile("etc/group");
    size_t pos = 0;
    while (text.ok() && pos < text->size()) {
      size_t end = text->find('\n', pos);
      if (end == std::string::npos) end = text->size();
      std::string_view line(text->data() + pos, end - pos);
      pos = end + 1;
      // name:password:gid:members
      size_t c1 = line.find(':');
      size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
      size_t c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
      if (c3 == std::string_view::npos || line.substr(0, c1) != name) continue;
      uint32_t gid = 0;
      std::string_view field = line.substr(c2 + 1, c3 - c2 - 1);
      bool ok = !field.empty();
      for (char c : field) {
        ok = ok && c >= '0' && c <= '9';
        gid = gid * 10 + static_cast<uint32_t>(c - '0');
      }
      if (ok) return gid;
    }
  }
  return kStatic.at(name);
}

// The node a mode/owner change applies to (chmod and chown follow links).
rootfs::Node* Target(rootfs::Tree& tree, std::string_view path) {
  auto resolved = tree.Resolve(path);
  return resolved.ok() ? tree.FindMutable(*resolved) : nullptr;
}

// install_from_default: `[ ! -f dst ] && cp -p usr/share/base-files/SRC dst`.
Status InstallFromDefault(rootfs::Tree& tree, std::string_view src, std::string_view dst) {
  if (IsRegularNode(StatNode(tree, dst))) return {};
  std::string from = fmt::format("{}/{}", kDefaults, src);
  const rootfs::Node* source = StatNode(tree, from);
  if (!IsRegularNode(source))
    return NotFoundError(fmt::format("cannot copy '{}' to '{}': the source is missing", from, dst));
  const rootfs::Node* existing = StatNode(tree, dst);
  if (existing)
    return IntegrityError(fmt::format("cannot copy '{}' to '{}': it exists as a {}", from, dst,
                                      rootfs::FileTypeName(existing->meta.type)));
  const rootfs::FsEntry meta = source->meta;
  CAIRN_ASSIGN_OR_RETURN(std::string content, tree.ReadFile(from));
  // cp writes through a dangling symlink to where it points.
  CAIRN_ASSIGN_OR_RETURN(std::string to, tree.Resolve(dst));
  return tree.AddFile(to, content, meta.mode, meta.uid, meta.gid, meta.mtime);
}

// install_directory: `[ ! -d DIR ] && mkdir DIR && chown root:GROUP && chmod MODE`.
Status InstallDirectory(rootfs::Tree& tree, std::string_view dir, uint32_t mode, uint32_t gid,
                        int64_t mtime) {
  const rootfs::Node* n = StatNode(tree, dir);
  if (IsDirectoryNode(n)) return {};
  if (n || IsSymlinkNode(LstatNode(tree, dir)))
    return IntegrityError(
        fmt::format("cannot create directory '{}': it exists as a {}", dir,
                    rootfs::FileTypeName(n ? n->meta.type : rootfs::FileType::kSymlink)));
  return tree.AddDirectory(dir, mode, 0, gid, mtime);
}

// migrate_directory: `[ ! -L DIR ] && rmdir DIR && ln -s TARGET DIR`.
Status MigrateDirectory(rootfs::Tree& tree, std::string_view dir, std::string_view target,
                        int64_t mtime) {
  std::string key;
  const rootfs::Node* n = LstatNode(tree, dir, &key);
  if (IsSymlinkNode(n)) return {};
  if (n && !IsDirectoryNode(n))
    return IntegrityError(fmt::format("cannot replace '{}' with a symlink to '{}': it is a {}", dir,
                                      target, rootfs::FileTypeName(n->meta.type)));
  if (n) {
    auto next = tree.nodes().upper_bound(key);
    if (next != tree.nodes().end() && next->first.compare(0, key.size() + 1, key + "/") == 0)
      return IntegrityError(fmt::format(
          "cannot replace directory '{}' with a symlink to '{}': it is not empty", dir, target));
    tree.Remove(key);
  }
  return tree.AddSymlink(dir, target, mtime);
}

// ensure_file_owner_mode: create empty if not a file, then chown and chmod.
Status EnsureFileOwnerMode(rootfs::Tree& tree, std::string_view path, uint32_t gid, uint32_t mode,
                           int64_t mtime) {
  if (!IsRegularNode(StatNode(tree, path))) {
    const rootfs::Node* n = StatNode(tree, path);
    if (n)
      return IntegrityError(fmt::format("cannot create file '{}': it exists as a {}", path,
                                        rootfs::FileTypeName(n->meta.type)));
    CAIRN_ASSIGN_OR_RETURN(std::string to, tree.Resolve(path));
    return tree.AddFile(to, "", mode, 0, gid, mtime);
  }
  rootfs::Node* n = Target(tree, path);
  n->meta.uid = 0;
  n->meta.gid = gid;
  n->meta.mode = mode;
  return {};
}

}  // namespace

Status ApplyBaseFiles(rootfs::Tree& tree, int64_t mtime) {
  if (!IsDirectoryNode(StatNode(tree, kDefaults))) return {};

  if (!StatNode(tree, "etc/dpkg/origins/default") && StatNode(tree, "etc/dpkg/origins/debian")) {
    // `ln -sf`: a dangling link in the way is replaced.
    CAIRN_TRY(tree.AddSymlink("etc/dpkg/origins/default", "debian", mtime));
  }

  CAIRN_TRY(InstallFromDefault(tree, "dot.profile", "root/.profile"));
  CAIRN_TRY(InstallFromDefault(tree, "dot.bashrc", "root/.bashrc"));
  CAIRN_TRY(InstallFromDefault(tree, "profile", "etc/profile"));
  CAIRN_TRY(InstallFromDefault(tree, "motd", "etc/motd"));
  for (std::string_view dir : {"mnt", "srv", "opt", "etc/opt", "var/opt", "media"})
    CAIRN_TRY(InstallDirectory(tree, dir, 0755, 0, mtime));
  CAIRN_TRY(InstallDirectory(tree, "var/mail", 02775, GroupId(tree, "mail"), mtime));
  if (!LstatNode(tree, "var/spool/mail"))
    CAIRN_TRY(tree.AddSymlink("var/spool/mail", "../mail", mtime));
  CAIRN_TRY(InstallDirectory(tree, "run/lock", 01777, 0, mtime));
  CAIRN_TRY(MigrateDirectory(tree, "var/run", "/run", mtime));
  CAIRN_TRY(MigrateDirectory(tree, "var/lock", "/run/lock", mtime));

  const bool staff = IsRegularNode(StatNode(tree, "etc/staff-group-for-usr-local"));
  for (std::string_view dir :
       {"usr/local", "usr/local/share", "usr/local/share/man", "usr/local/bin", "usr/local/games",
        "usr/local/lib", "usr/local/include", "usr/local/sbin", "usr/local/src", "usr/local/etc"}) {
    const rootfs::Node* n = StatNode(tree, dir);
    if (!IsDirectoryNode(n)) {
      if (n)
        return IntegrityError(fmt::format("cannot create directory '{}': it exists as a {}", dir,
                                          rootfs::FileTypeName(n->meta.type)));
      CAIRN_TRY(tree.AddDirectory(dir, 0755, 0, 0, mtime));
    }
    if (staff) {
      rootfs::Node* d = Target(tree, dir);
      d->meta.uid = 0;
      d->meta.gid = GroupId(tree, "staff");
      d->meta.mode = 02775;
    }
  }
  // `ln -sf share/man usr/local/man`; an existing link is replaced as with
  // -n, so a second run does not put a link inside share/man.
  // A real directory there would receive the link inside it; cairn leaves it.
  const rootfs::Node* man = LstatNode(tree, "usr/local/man");
  if (!IsDirectoryNode(man) && !(IsSymlinkNode(man) && man->meta.link_target == "share/man"))
    CAIRN_TRY(tree.AddSymlink("usr/local/man", "share/man", mtime));

  const uint32_t utmp = GroupId(tree, "utmp");
  CAIRN_TRY(EnsureFileOwnerMode(tree, "var/log/wtmp", utmp, 0664, mtime));
  CAIRN_TRY(EnsureFileOwnerMode(tree, "var/log/btmp", utmp, 0660, mtime));
  CAIRN_TRY(EnsureFileOwnerMode(tree, "var/log/lastlog", utmp, 0664, mtime));

  if (IsDirectoryNode(StatNode(tree, "usr/share/info")) &&
      !IsRegularNode(StatNode(tree, "usr/info/dir")) &&
      !IsRegularNode(StatNode(tree, "usr/share/info/dir"))) {
    CAIRN_TRY(InstallFromDefault(tree, "info.dir", "usr/share/info/dir"));
    Target(tree, "usr/share/info/dir")->meta.mode = 0644;
  }
  return {};
}

Status ResetMachineId(rootfs::Tree& tree, int64_t mtime) {
  std::string key;
  const rootfs::Node* dbus = LstatNode(tree, "var/lib/dbus/machine-id", &key);
  if (dbus && StatNode(tree, "var/lib/dbus/machine-id")) {
    if (IsDirectoryNode(dbus))
      return IntegrityError("cannot remove 'var/lib/dbus/machine-id': it is a directory");
    tree.Remove(key);
  }

  const bool has_setup = StatNode(tree, "bin/systemd-machine-id-setup") ||
                         StatNode(tree, "usr/bin/systemd-machine-id-setup");
  const rootfs::Node* id = LstatNode(tree, "etc/machine-id", &key);
  if (id && StatNode(tree, "etc/machine-id")) {
    if (IsDirectoryNode(id))
      return IntegrityError("cannot replace 'etc/machine-id': it is a directory");
    tree.Remove(key);
  } else if (!has_setup) {
    return {};
  }
  return tree.AddFile("etc/machine-id", "", 0644, 0, 0, mtime);
}

}  // namespace cairn::effects
