// Busybox applet links without running `busybox --install -s`.
//
// Alpine (busybox >= 1.36.0-r8) and Wolfi (>= 1.36.0-r3) ship the applet list
// as /etc/busybox-paths.d/<package>, one absolute path per line; their
// busybox trigger runs `busybox --install -s`, which cairn never runs. This
// creates the same symlinks from that list, like apko: each link points at
// the absolute busybox path ("/bin/busybox"), missing parent directories get
// busybox's mtime, and anything that already exists (a file, a directory or
// a link from another package) is left alone.
//
//   CAIRN_TRY(effects::InstallBusyboxLinks(tree, epoch, reporter, package_names));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// Creates busybox applet links if the tree has bin/busybox or usr/bin/busybox.
/// Reads every regular file in etc/busybox-paths.d/ in name order. Without any
/// list, warns (naming busybox's package: `package_names[node.owner]` when
/// given) that the applet links were not created, and returns OK. Invalid
/// lines (relative paths, "..") are skipped with a warning. Links get mtime
/// `epoch` and owner -1.
Status InstallBusyboxLinks(rootfs::Tree& tree, int64_t epoch, Reporter& reporter,
                           const std::vector<std::string>& package_names = {});

}  // namespace cairn::effects
