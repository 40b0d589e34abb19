// stat/lstat-style lookups over rootfs::Tree for the Debian effects.
//
// Maintainer scripts test paths with `[ -e ]`, `[ -f ]`, `[ -d ]` (which
// follow symlinks) and `[ -L ]` (which does not); these helpers give the
// same answers against the in-memory tree, never leaving its root.
#pragma once

#include <string>
#include <string_view>

#include "cairn/rootfs/tree.h"

namespace cairn::effects::internal {

/// The node at `path` after following every symlink (stat), or nullptr when
/// it does not exist or a symlink loops.
const rootfs::Node* StatNode(const rootfs::Tree& tree, std::string_view path);

/// The node at `path` with its parent resolved but the last component not
/// followed (lstat), or nullptr. `key` receives the tree key it was looked up
/// under (set even when the node is absent; empty on a symlink loop).
const rootfs::Node* LstatNode(const rootfs::Tree& tree, std::string_view path,
                              std::string* key = nullptr);

/// A regular file or a hard link to one.
bool IsRegularNode(const rootfs::Node* node);
bool IsDirectoryNode(const rootfs::Node* node);
bool IsSymlinkNode(const rootfs::Node* node);

/// "/usr/bin/awk" -> "usr/bin/awk"; tree paths never start with '/'.
std::string TreePath(std::string_view absolute);

}  // namespace cairn::effects::internal
