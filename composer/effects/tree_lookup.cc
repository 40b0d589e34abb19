// stat/lstat over rootfs::Tree: Tree::Resolve does the chroot-style walking.
#include "effects/tree_lookup.h"

#include <fmt/format.h>

namespace cairn::effects::internal {

const rootfs::Node* StatNode(const rootfs::Tree& tree, std::string_view path) {
  auto resolved = tree.Resolve(TreePath(path));
  if (!resolved.ok() || resolved->empty()) return nullptr;
  return tree.Find(*resolved);
}

const rootfs::Node* LstatNode(const rootfs::Tree& tree, std::string_view path, std::string* key) {
  std::string p = TreePath(path);
  while (!p.empty() && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  std::string parent = slash == std::string::npos ? "" : p.substr(0, slash);
  std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
  auto resolved = tree.Resolve(parent);
  if (!resolved.ok()) {
    if (key) key->clear();
    return nullptr;
  }
  std::string k = resolved->empty() ? name : fmt::format("{}/{}", *resolved, name);
  const rootfs::Node* node = tree.Find(k);
  if (key) *key = std::move(k);
  return node;
}

bool IsRegularNode(const rootfs::Node* node) {
  return node && (node->meta.type == rootfs::FileType::kRegular ||
                  node->meta.type == rootfs::FileType::kHardlink);
}

bool IsDirectoryNode(const rootfs::Node* node) {
  return node && node->meta.type == rootfs::FileType::kDirectory;
}

bool IsSymlinkNode(const rootfs::Node* node) {
  return node && node->meta.type == rootfs::FileType::kSymlink;
}

std::string TreePath(std::string_view absolute) {
  while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
  return std::string(absolute);
}

}  // namespace cairn::effects::internal
