// `systemd-tmpfiles --root=<image> --create`, done natively at image build time.
//
// Debian packages call systemd-tmpfiles from their postinst (systemd's names
// thirteen tmpfiles.d files); on a booted system the rest happens at boot.
// cairn applies the tmpfiles.d(5) lines of systemd 252 (bookworm) to the
// in-memory tree, leaving out what only makes sense on a running system:
// boot-only ('!') lines, credentials, devices, ACLs and attributes, and
// anything in /run (except /run/lock, which mmdebstrap keeps), /tmp, /var/tmp,
// /proc, /sys and /dev, which are emptied or mounted over at boot.
//
//   CAIRN_TRY(effects::ApplyTmpfiles(tree, {"debian.conf", "legacy.conf"}, epoch, &log));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// Like `systemd-tmpfiles --root=<tree> --create CONFIG...` of systemd 252.
///
/// `configs` are file names ("legacy.conf"), looked up in etc/tmpfiles.d,
/// run/tmpfiles.d, usr/local/lib/tmpfiles.d, lib/tmpfiles.d and
/// usr/lib/tmpfiles.d in that order, or tree paths (with a '/'); empty means
/// every *.conf there, a name in an earlier directory hiding the same name
/// later (a link to /dev/null masks it), read in name order.
///
/// Types: d D v q Q create directories; f f+ files with the argument (C
/// escapes decoded) as content; L L+ symlinks; C copies from the source in
/// the tree when the target is absent; z Z adjust mode and owner of existing
/// paths (globs allowed). Existing paths get the line's mode, user and group
/// unless prefixed with ':' (only on creation); '~' masks the mode by the
/// existing one. x X r R e do nothing at creation. Lines that are boot-only
/// ('!'), take credentials ('^'), or have types w p c b t T a A h H are
/// skipped, as are lines for paths under run/ (but not run/lock), tmp,
/// var/tmp, proc, sys and dev. Specifiers: %% %h %u %U %g %G (root), %S %C
/// %L %t %T %V, %m from etc/machine-id and %o %w %W %B %A %M from os-release;
/// a line whose specifier cannot be resolved in an image (%m without a
/// machine id, %b %H %l %v %a) is skipped. User and group names come from
/// the tree's etc/passwd and etc/group. Ages are ignored.
///
/// Like systemd-tmpfiles, a bad line (unknown type, unknown user, a path in
/// the way) is reported in `log` and skipped, and the rest still applies;
/// `log` also receives one line per path created or changed. New nodes get
/// `mtime`; copies keep the source's. Errors are only what the tree rejects.
Status ApplyTmpfiles(rootfs::Tree& tree, const std::vector<std::string>& configs, int64_t mtime,
                     std::vector<std::string>* log);

}  // namespace cairn::effects
