// Kernel module dependency data, as a kernel package's postinst (through
// /etc/kernel/postinst.d) or busybox's trigger would make it: for every
// lib/modules/<version> in the tree that holds modules, the host's depmod
// (kmod) runs on a copy of that directory (`depmod -b COPY VERSION`) and the
// modules.* index files it writes (modules.dep and .bin, alias, symbols,
// softdep, devname, builtin indexes) are put back into the tree. depmod only
// reads the modules; no code from the image runs.
//
//   CAIRN_TRY(effects::RunDepmod(tree, staging / "depmod", epoch, &log));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// The kernel versions whose module directory (lib/modules/<version>, through
/// the tree's links) holds at least one module (.ko, .ko.xz, .ko.zst, .ko.gz).
std::vector<std::string> KernelVersionsWithModules(const rootfs::Tree& tree);

/// Runs depmod for each of them; `scratch` is a directory cairn may create
/// and remove. A missing depmod is a kTool error naming the kmod package.
/// Files are root:root 0644 with `mtime`; one log line per kernel.
Status RunDepmod(rootfs::Tree& tree, const std::filesystem::path& scratch, int64_t mtime,
                 std::vector<std::string>* log);

}  // namespace cairn::effects
