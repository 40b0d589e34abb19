// Debian base-files postinst and image machine identity, done natively.
//
// ApplyBaseFiles does what bookworm's base-files postinst (12.4+deb12u*) does
// on first configuration ("configure" with no old version): default dotfiles,
// /etc/profile and /etc/motd copied from /usr/share/base-files, the FHS
// directories, /var/run and /var/lock turned into links to /run, /usr/local,
// and the login records owned by group utmp. ResetMachineId leaves machine
// identity the way mmdebstrap's reproducible cleanup does, so every instance
// of the image gets its own id on first boot.
//
//   CAIRN_TRY(effects::ApplyBaseFiles(tree, epoch));
//   CAIRN_TRY(effects::ResetMachineId(tree, epoch));
#pragma once

#include <cstdint>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// Does nothing unless usr/share/base-files is a directory. Otherwise, in the
/// postinst's order:
///  - etc/dpkg/origins/default -> "debian" if it is missing and "debian" exists;
///  - root/.profile, root/.bashrc, etc/profile, etc/motd copied from
///    usr/share/base-files/{dot.profile,dot.bashrc,profile,motd} when not
///    already regular files (`cp -p`: content, mode, owner and mtime of the
///    source); a missing source is a kNotFound error, as the copy would fail;
///  - mnt srv opt etc/opt var/opt media (0755), var/mail (2775 root:mail),
///    run/lock (1777) when not directories; var/spool/mail -> ../mail if
///    nothing is there (the postinst's `ln -s` would put the link inside an
///    existing directory; cairn leaves one alone);
///  - var/run -> /run and var/lock -> /run/lock replacing the (empty)
///    directories base-files ships; a non-empty one is a kIntegrity error;
///  - usr/local and share, share/man, bin, games, lib, include, sbin, src,
///    etc below it (0755, or 2775 root:staff for all of them when
///    etc/staff-group-for-usr-local exists); usr/local/man -> share/man;
///  - var/log/wtmp (0664), var/log/btmp (0660), var/log/lastlog (0664), empty
///    if missing, root:utmp;
///  - usr/share/info/dir from info.dir (0644) if usr/share/info exists and
///    neither usr/info/dir nor usr/share/info/dir does.
/// Groups come from etc/group, falling back to Debian's static ids (mail 8,
/// utmp 43, staff 50). New entries get `mtime`; changed ownership and modes
/// keep the entry's mtime. A path that must be a directory but is something
/// else is a kIntegrity error. Running it twice changes nothing.
Status ApplyBaseFiles(rootfs::Tree& tree, int64_t mtime);

/// mmdebstrap 1.3's cleanup/reproducible: etc/machine-id, if it exists, is
/// replaced by an empty regular file (0644 root:root: mmdebstrap unlinks it
/// and re-creates it under umask 022), and var/lib/dbus/machine-id is
/// removed if it exists (following links, as Perl's -e does). When the tree
/// has systemd-machine-id-setup (bin/ or usr/bin/) but no etc/machine-id,
/// the empty file is created too: systemd's postinst would have written an
/// id there for mmdebstrap to blank. New and replaced files get `mtime`.
Status ResetMachineId(rootfs::Tree& tree, int64_t mtime);

}  // namespace cairn::effects
