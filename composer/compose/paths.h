// Declared filesystem content: cairn's inline `files:` and apko's `paths:`
// mutations (directory, empty-file, hardlink, symlink, permissions), applied
// to the tree in declaration order after packages are installed.
#pragma once

#include <vector>

#include "cairn/config/model.h"
#include "cairn/rootfs/tree.h"

namespace cairn::compose {

/// Where an archive entry lands: its parent directory resolved through the
/// tree's symlinks (usr-merged roots: "bin/ls" -> "usr/bin/ls"), its own name kept.
Result<std::string> FinalPath(const rootfs::Tree& tree, const std::string& path);

Status ApplyInlineFiles(const std::vector<config::InlineFile>& files, rootfs::Tree& tree,
                        int64_t epoch);
Status ApplyPathMutations(const std::vector<config::PathMutation>& paths, rootfs::Tree& tree,
                          int64_t epoch);

}  // namespace cairn::compose
