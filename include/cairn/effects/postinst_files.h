// Small files Debian maintainer scripts create on first installation with
// `cp -p`, `touch` and update-shells, done natively.
//
// Each is tied to the bookworm package whose postinst does it, and happens
// only when that package is installed: libc-bin's /etc/nsswitch.conf,
// debianutils' /etc/shells (and update-shells, which bash and dash trigger),
// libpam-modules' /etc/security/opasswd and /etc/environment, and login's
// /var/log/faillog, /etc/subuid and /etc/subgid. A file that already exists
// is left alone, as the scripts test for it first.
//
//   CAIRN_TRY(effects::ApplyPostinstFiles(tree, {"libc-bin", "login"}, epoch, &log));
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// For each package in `packages` that has one, what its postinst does on
/// "configure" with no old version:
///  - libc-bin: etc/nsswitch.conf copied from usr/share/libc-bin/nsswitch.conf
///    (`cp -p`: content, mode, owner, mtime) unless it is a regular file;
///  - debianutils: etc/shells copied from usr/share/debianutils/shells the same
///    way, then UpdateShells;
///  - libpam-modules: etc/security/opasswd (0600, under `umask 066`) and
///    etc/environment (0644), empty, unless they are regular files;
///  - login: var/log/faillog, etc/subuid, etc/subgid (0644 root:root), empty,
///    unless they exist.
/// A copy whose source is missing is a kNotFound error, as `cp` would fail.
/// New files get `mtime`; `log` receives one line per file created.
Status ApplyPostinstFiles(rootfs::Tree& tree, const std::set<std::string>& packages, int64_t mtime,
                          std::vector<std::string>* log);

/// debianutils 5.7's update-shells: the shells of usr/share/debianutils/shells
/// and of every file in usr/share/debianutils/shells.d (in name order), each
/// followed by its path with the directory resolved in the tree when that
/// differs (/bin/bash -> /usr/bin/bash on merged /usr), are added to
/// etc/shells (read from the template when etc/shells is missing) unless
/// already there or removed locally (listed in var/lib/shells.state but not
/// in etc/shells); var/lib/shells.state is rewritten with the packaged
/// shells. etc/shells keeps its mode and owner (the template's when new);
/// the state file is 0644 root:root when new. Does nothing when the template
/// is missing (debianutils not installed).
Status UpdateShells(rootfs::Tree& tree, int64_t mtime);

}  // namespace cairn::effects
