// Kernel module closure: which .ko files an initramfs must load, and in what
// order, for a list of wanted modules, read from the image's own depmod data.
//
// Reads lib/modules/<kver>/modules.dep (required; `depmod` writes it),
// modules.builtin (built-in modules need nothing loaded), and optionally
// modules.softdep ("pre:"/"post:" soft dependencies, loaded when present)
// and modules.alias (so "fs-squashfs" or "crc32c" name a module). Paths go
// through the tree's links, so a usr-merged root (lib -> usr/lib) works.
// Names compare as the kernel does: '-' and '_' are the same, and a ".ko",
// ".ko.xz", ".ko.zst" or ".ko.gz" suffix is ignored. The order puts every
// module after its dependencies (modprobe's order for one module), each
// module once, wanted modules in the order given.
//
//   CAIRN_ASSIGN_OR_RETURN(auto set, initramfs::ModuleClosure(tree, "6.1.0-57-cloud-amd64",
//                                                             {"virtio_blk", "squashfs"}));
//   for (const auto& m : set.load_order) ... m.tree_path ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::initramfs {

/// One loadable module.
struct KernelModule {
  std::string name;       ///< normalised: "virtio_blk"
  std::string dep_path;   ///< as modules.dep names it: "kernel/drivers/block/virtio_blk.ko"
  std::string tree_path;  ///< where the file is in the tree, links resolved
};

/// What ModuleClosure found.
struct ModuleSet {
  std::string kernel_version;
  /// lib/modules/<kver> with links resolved ("usr/lib/modules/6.1.0-57-cloud-amd64").
  std::string module_dir;
  /// Dependencies first; insmod them in this order.
  std::vector<KernelModule> load_order;
  /// Wanted names (normalised) that are built into the kernel, in the order asked.
  std::vector<std::string> builtin;
};

/// "virtio-blk.ko.zst" -> "virtio_blk": the name the kernel gives a module file or request.
std::string ModuleName(std::string_view path_or_name);

/// The closure of `wanted` for kernel `kernel_version` in `tree`. Errors:
/// kNotFound when lib/modules/<kver> or its modules.dep is missing (naming
/// the kernels that are there), when a wanted module is neither a module
/// nor built in, or when a module file modules.dep lists is not in the tree;
/// kIntegrity for a dependency cycle.
Result<ModuleSet> ModuleClosure(const rootfs::Tree& tree, std::string_view kernel_version,
                                const std::vector<std::string>& wanted);

}  // namespace cairn::initramfs
