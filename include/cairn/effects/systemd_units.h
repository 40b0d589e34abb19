// systemd unit enablement without systemctl: [Install] sections and presets.
//
// Enabling a unit only creates symlinks under etc/systemd/system, so cairn
// does it natively, the way `systemctl --root=<image> enable` of systemd 252
// (Debian bookworm) does. Unit files are looked up in etc/systemd/system,
// run/systemd/system, usr/local/lib/systemd/system, lib/systemd/system and
// usr/lib/systemd/system, in that order; directories that resolve to the
// same place (usr-merged "lib" -> "usr/lib") count once under the name seen
// first, so on bookworm links point at "/lib/systemd/system/<unit>".
//
//   CAIRN_TRY(effects::EnableUnits(tree, {"ssh.service"}, &log, epoch));
//   CAIRN_TRY(effects::ApplyPresets(tree, &log, epoch));   // systemctl preset-all
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// Like `systemctl enable UNIT...`: for each unit, Alias= links, then
/// WantedBy=/RequiredBy= links in <target>.wants/ and <target>.requires/,
/// then Also= units, recursively. A template ("getty@.service")
/// is enabled as its DefaultInstance=; an instance ("getty@tty2.service")
/// links the template file under the instance name. Links point at the unit
/// file's absolute path and get `mtime`, as do new directories. A missing
/// unit is a kNotFound error; a masked unit, a unit without [Install] data,
/// a template without an instance and an existing link to something else
/// are reported in `log` (one line each, like systemctl's messages) and
/// skipped. `log` also receives one "created symlink" line per link.
Status EnableUnits(rootfs::Tree& tree, const std::vector<std::string>& units,
                   std::vector<std::string>* log, int64_t mtime);

/// systemctl's --preset-mode.
enum class PresetMode {
  kFull,         ///< enable what presets enable, disable what they disable
  kEnableOnly,   ///< only enable
  kDisableOnly,  ///< only disable
};

/// Like `systemctl preset --preset-mode=MODE UNIT...`. Preset files are the
/// *.preset files in etc/systemd/system-preset, run/systemd/system-preset,
/// usr/local/lib/systemd/system-preset, lib/systemd/system-preset and
/// usr/lib/systemd/system-preset; a name in an earlier directory hides the
/// same name later, files are read in name order, and the first line whose
/// glob matches the unit decides ("enable GLOB [INSTANCE...]", "disable
/// GLOB", "ignore GLOB"). A unit no line matches is enabled, as systemd
/// does. Disabling removes the symlinks under etc/systemd/system named after
/// the unit or pointing at it (never a mask to /dev/null); all disables run
/// before any enable, so a unit pulled in by another's Also= stays enabled.
Status PresetUnits(rootfs::Tree& tree, const std::vector<std::string>& units, PresetMode mode,
                   std::vector<std::string>* log, int64_t mtime);

/// Like `systemctl preset-all` (full mode): PresetUnits over every unit file
/// in the unit directories that has [Install] data, skipping aliases (a unit
/// file that is a symlink to another unit), masked units (logged) and
/// templates with neither DefaultInstance= nor preset instances.
Status ApplyPresets(rootfs::Tree& tree, std::vector<std::string>* log, int64_t mtime);

/// What `deb-systemd-helper enable UNIT...` (init-system-helpers 1.65) does
/// on a package's first installation, the only case an image build sees: if
/// the tree has bin/systemctl or usr/bin/systemctl it runs `systemctl
/// preset --preset-mode=enable-only` (PresetUnits), otherwise it creates the
/// links itself from the [Install] section (WantedBy=, RequiredBy=, Alias=,
/// Also=, DefaultInstance=). Either way it records the links it manages in
/// var/lib/systemd/deb-systemd-helper-enabled/<unit>.dsh-also and an empty
/// state file per link, so later upgrades inside the image behave as on an
/// installed system. Units that are not found are skipped with a log line,
/// as the helper then has no [Install] section to read. The debhelper
/// snippet's `unmask` and `update-state` calls change nothing on a first
/// installation and need no counterpart.
Status DebSystemdHelperEnable(rootfs::Tree& tree, const std::vector<std::string>& units,
                              std::vector<std::string>* log, int64_t mtime);

}  // namespace cairn::effects
