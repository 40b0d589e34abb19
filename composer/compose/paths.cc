#include "compose/paths.h"

#include <fmt/format.h>

namespace cairn::compose {

Result<std::string> FinalPath(const rootfs::Tree& tree, const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return path;
  std::string base = path.substr(slash + 1);
  CAIRN_ASSIGN_OR_RETURN(std::string resolved, tree.Resolve(path.substr(0, slash)));
  return resolved.empty() ? base : resolved + "/" + base;
}

namespace {

using config::PathMutation;
using rootfs::FileType;

Result<std::string> PathOf(const config::LString& p) {
  auto n = rootfs::NormalizePath(p.value);
  if (!n.ok()) return ConfigError(p.loc, n.error().message());
  if (n->empty()) return ConfigError(p.loc, "the path names the root directory itself");
  return *n;
}

void SetOwnerMode(rootfs::Node& node, const PathMutation& m) {
  node.meta.uid = m.uid;
  node.meta.gid = m.gid;
  node.meta.mode = m.permissions & 07777;
}

Status Chmod(rootfs::Tree& tree, const std::string& path, const PathMutation& m) {
  rootfs::Node* node = tree.FindMutable(path);
  if (!node)
    return ConfigError(m.path.loc, fmt::format("'{}' does not exist in the image", m.path.value));
  SetOwnerMode(*node, m);
  if (m.recursive && node->meta.type == FileType::kDirectory) {
    std::string prefix = path + "/";
    for (const auto& [p, n] : tree.nodes()) {
      if (p.compare(0, prefix.size(), prefix) != 0) continue;
      rootfs::Node* child = tree.FindMutable(p);
      if (child->meta.type == FileType::kSymlink) continue;  // link modes mean nothing
      SetOwnerMode(*child, m);
    }
  }
  return {};
}

}  // namespace

Status ApplyInlineFiles(const std::vector<config::InlineFile>& files, rootfs::Tree& tree,
                        int64_t epoch) {
  for (const auto& f : files) {
    CAIRN_ASSIGN_OR_RETURN(std::string path, PathOf(f.path));
    if (const rootfs::Node* n = tree.Find(path); n && n->meta.type == FileType::kDirectory)
      return ConfigError(f.path.loc, fmt::format("'{}' is a directory in the image", f.path.value));
    auto st = tree.AddFile(path, f.content, f.mode & 07777, f.uid, f.gid, epoch);
    if (!st.ok()) return ConfigError(f.path.loc, st.error().message());
  }
  return {};
}

Status ApplyPathMutations(const std::vector<PathMutation>& paths, rootfs::Tree& tree,
                          int64_t epoch) {
  for (const auto& m : paths) {
    CAIRN_ASSIGN_OR_RETURN(std::string path, PathOf(m.path));
    switch (m.type) {
      case PathMutation::Type::kDirectory: {
        auto st = tree.AddDirectory(path, m.permissions & 07777, m.uid, m.gid, epoch);
        if (!st.ok()) return ConfigError(m.path.loc, st.error().message());
        CAIRN_TRY(Chmod(tree, path, m));
        break;
      }
      case PathMutation::Type::kEmptyFile: {
        auto st = tree.AddFile(path, "", m.permissions & 07777, m.uid, m.gid, epoch);
        if (!st.ok()) return ConfigError(m.path.loc, st.error().message());
        break;
      }
      case PathMutation::Type::kSymLink: {
        auto st = tree.AddSymlink(path, m.source.value, epoch);
        if (!st.ok()) return ConfigError(m.path.loc, st.error().message());
        break;
      }
      case PathMutation::Type::kHardLink: {
        auto source = rootfs::NormalizePath(m.source.value);
        if (!source.ok()) return ConfigError(m.source.loc, source.error().message());
        const rootfs::Node* target = tree.Find(*source);
        if (!target || target->meta.type != FileType::kRegular)
          return ConfigError(m.source.loc,
                             fmt::format("hard link source '{}' is not a regular file in the image",
                                         m.source.value));
        rootfs::FsEntry e = target->meta;
        e.path = path;
        e.type = FileType::kHardlink;
        e.link_target = *source;
        e.size = 0;
        auto st = tree.Add(e, nullptr);
        if (!st.ok()) return ConfigError(m.path.loc, st.error().message());
        break;
      }
      case PathMutation::Type::kPermissions:
        CAIRN_TRY(Chmod(tree, path, m));
        break;
    }
  }
  return {};
}

}  // namespace cairn::compose
