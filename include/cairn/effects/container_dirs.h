// The base directories every apko-style container image has.
//
// apko's InitDB creates them before installing packages; cairn calls this
// after extraction instead, so directories shipped by packages keep their
// metadata. Device nodes and the apk database are written elsewhere.
//
//   CAIRN_TRY(effects::EnsureContainerDirs(tree, epoch));
#pragma once

#include <cstdint>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// Creates, when missing, root-owned directories with mtime `epoch`:
/// tmp (1777), proc (0555), dev, etc, var, var/cache, var/cache/apk, etc/apk,
/// etc/apk/keys (0755). A path that exists as a directory, or as a symlink to
/// one, is left untouched; one that exists as anything else is a kIntegrity
/// error.
Status EnsureContainerDirs(rootfs::Tree& tree, int64_t epoch);

}  // namespace cairn::effects
