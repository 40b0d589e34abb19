// libpam-runtime's postinst on first installation, done natively: it runs
// `pam-auth-update --package [--force]`, which writes
// /etc/pam.d/common-{auth,account,password,session,session-noninteractive}
// from the profiles in /usr/share/pam-configs and keeps its state in
// /var/lib/pam/{seen,auth,account,password,session,session-noninteractive}.
// The output is byte for byte what bookworm's pam-auth-update (1.5.2-6)
// writes with debconf's noninteractive frontend and a fresh debconf database.
//
//   CAIRN_TRY(effects::ApplyPamAuthUpdate(tree, epoch, &log));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// Does what libpam-runtime's postinst does on "configure" with no old
/// version, when usr/share/pam-configs is a directory (otherwise nothing):
///  - `--force` unless one of etc/pam.d/common-{auth,account,session,password}
///    is a file whose managed-block-free md5 is not in usr/share/pam/*.md5sums;
///  - enabled profiles: those the current files and var/lib/pam state show
///    (pam-auth-update's merge, local option edits kept), else every profile
///    with "Default: yes", ordered by Priority then name, both descending;
///  - without --force and without a mergeable state the files are locally
///    modified: nothing is written (pam-auth-update declines to override);
///  - otherwise var/lib/pam/seen and, per type, etc/pam.d/common-TYPE (from
///    usr/share/pam/common-TYPE when the current file is missing or a known
///    stock file) and var/lib/pam/TYPE are written 0644 root:root with `mtime`.
/// Errors: kNotFound when var/lib/pam is missing (the tool dies writing
/// `seen`), a profile cannot be read, or no profile is enabled by default (the
/// tool would ask forever); kConfig for a profile line it cannot parse.
/// `log` receives one line per file written, or why nothing was.
Status ApplyPamAuthUpdate(rootfs::Tree& tree, int64_t mtime, std::vector<std::string>* log);

}  // namespace cairn::effects
