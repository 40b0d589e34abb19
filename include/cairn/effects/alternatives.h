// Debian alternatives without running update-alternatives.
//
// Packages register alternatives in their postinst with
// `update-alternatives --install <link> <name> <path> <priority> [--slave ...]`
// (effects::ScanMaintainerScript turns those lines into AlternativeInstall
// values). ApplyAlternatives replays them against the tree in order, the way
// dpkg 1.21 would when configuring the packages one after another: it keeps
// var/lib/dpkg/alternatives/<name> in update-alternatives' admin format, byte
// for byte, and points <link> -> /etc/alternatives/<name> -> <chosen path>.
//
//   CAIRN_TRY(effects::ApplyAlternatives(tree, actions.alternatives, epoch, &log));
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// One `--slave <link> <name> <path>` of an --install call.
struct AlternativeSlave {
  std::string link;  ///< absolute, e.g. "/usr/share/man/man1/awk.1.gz"
  std::string name;  ///< e.g. "awk.1.gz"
  std::string path;  ///< absolute, e.g. "/usr/share/man/man1/mawk.1.gz"
  bool operator==(const AlternativeSlave&) const = default;
};

/// One `update-alternatives --install <link> <name> <path> <priority> ...`.
struct AlternativeInstall {
  std::string link;      ///< absolute master link, e.g. "/usr/bin/awk"
  std::string name;      ///< link group name, e.g. "awk"
  std::string path;      ///< absolute alternative, e.g. "/usr/bin/mawk"
  int32_t priority = 0;  ///< higher wins in auto mode
  std::vector<AlternativeSlave> slaves;
  bool operator==(const AlternativeInstall&) const = default;
};

/// A link group as update-alternatives stores it in its admin directory.
struct AlternativeState {
  struct Choice {
    int32_t priority = 0;
    /// Slave name -> path; a slave this choice does not provide is absent.
    std::map<std::string, std::string> slave_paths;
    bool operator==(const Choice&) const = default;
  };
  bool manual = false;  ///< "manual" vs "auto" mode
  std::string link;     ///< master link
  /// Slave name -> slave link. std::map order is the file's order: dpkg
  /// sorts slaves by name and choices by path (strcmp) when it saves.
  std::map<std::string, std::string> slaves;
  std::map<std::string, Choice> choices;  ///< keyed by alternative path
  bool operator==(const AlternativeState&) const = default;
};

/// Renders `state` exactly as dpkg's update-alternatives writes
/// var/lib/dpkg/alternatives/<name>: mode, link, slave name/link pairs, a
/// blank line, then per choice its path, priority and one line per slave
/// (blank when the choice lacks it), and a final blank line.
std::string FormatAlternativeState(const AlternativeState& state);

/// Parses an admin file; `file` names it in kIntegrity errors.
Result<AlternativeState> ParseAlternativeState(std::string_view file, std::string_view text);

/// Applies `installs` in order. An existing admin file for a name is read and
/// extended. Per name, auto mode keeps the current choice unless another has
/// a strictly higher priority (dpkg's alternative_get_best), so the first
/// install to reach the top priority wins ties. An install whose path does
/// not exist in the tree is skipped with a log line (update-alternatives
/// refuses it). Re-installing a path replaces its slaves; slaves no choice
/// provides any more are dropped, and a changed link renames the old one.
/// Links are created for the chosen alternative: <link> ->
/// /etc/alternatives/<name> -> <path>, and the same for each slave whose
/// path exists (otherwise its links are removed). A link that exists as
/// anything but a symlink is left alone, as update-alternatives does without
/// --force. Created links, directories and admin files (0644 root) get
/// `mtime`. Invalid installs (relative paths, a name with '/' or blanks) are
/// kIntegrity errors. `log`, if given, receives one line per decision.
Status ApplyAlternatives(rootfs::Tree& tree, const std::vector<AlternativeInstall>& installs,
                         int64_t mtime, std::vector<std::string>* log = nullptr);

}  // namespace cairn::effects
