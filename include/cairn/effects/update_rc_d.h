// `update-rc.d NAME defaults`, done natively, as init-system-helpers 1.65
// (bookworm) does it in an image without insserv or OpenRC: links
// /etc/rcL.d/S01NAME for each runlevel of the script's LSB "Default-Start"
// and /etc/rcL.d/K01NAME for each of "Default-Stop", all -> ../init.d/NAME,
// unless the script already has links. With systemd the rest of update-rc.d
// only reloads a running systemd, which an image build has none of.
//
//   CAIRN_TRY(effects::UpdateRcDefaults(tree, {"hwclock.sh"}, epoch, &log));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// For each name in `scripts`, in order, what `update-rc.d NAME defaults`
/// does: nothing if any etc/rc?.d/[SK][0-9][0-9]NAME exists; otherwise reads
/// the LSB header of etc/init.d/NAME and creates the missing etc/rcL.d
/// directories (0755 root:root) and the S01/K01 symlinks, each with `mtime`.
/// A link that already exists is kept (symlink(2) fails quietly in the tool).
/// Errors: kNotFound when etc/init.d/NAME cannot be read ("unable to read" in
/// the tool); kTool when the tree has insserv (usr/lib/insserv/insserv or
/// sbin/insserv, with etc/insserv.conf) or OpenRC (sbin/openrc), whose link
/// ordering is not reproduced. `log` receives one line per link created.
Status UpdateRcDefaults(rootfs::Tree& tree, const std::vector<std::string>& scripts, int64_t mtime,
                        std::vector<std::string>* log);

}  // namespace cairn::effects
