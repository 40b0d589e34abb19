// Reads Debian maintainer scripts as data, without running them.
//
// cairn never runs postinst scripts; it reproduces their common effects
// natively. ScanMaintainerScript tokenises a script the way /bin/sh would
// (quotes, escapes, line continuations, here-documents, `case` labels,
// functions) and turns the commands debhelper and common hand-written
// scripts use into ScriptActions: alternatives, accounts, systemd units,
// dpkg-maintscript-helper, diversions, stat overrides, triggers, debconf and
// cache tools. Every other command that would change the system is listed in
// `unrecognised`, so the build log can say what was skipped:
//
//   auto actions = effects::ScanMaintainerScript("dbus", "postinst", text);
//   if (auto line = effects::SkippedCommandsLine(actions); !line.empty()) reporter.Info(line);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/effects/alternatives.h"

namespace cairn::effects {

/// An adduser/addgroup/useradd/groupadd/usermod call. Fields not given on the
/// command line stay empty so the applier uses the tool's defaults (adduser
/// --system: home /nonexistent, shell /usr/sbin/nologin, group nogroup).
struct AccountAction {
  enum class Kind {
    kUser,        ///< create user `name`
    kGroup,       ///< create group `name`
    kMembership,  ///< add existing user `name` to existing group `group`
  };
  Kind kind = Kind::kUser;
  std::string tool;           ///< "adduser", "addgroup", "useradd", "groupadd", "usermod"
  bool system = false;        ///< --system / -r
  std::string name;           ///< the user (kUser, kMembership) or group (kGroup)
  std::string group;          ///< kUser: primary group (--ingroup, -g NAME); kMembership: the group
  bool create_group = false;  ///< the user gets a group of its own name (--group; useradd default)
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;  ///< kGroup: its id; kUser: the primary group's id (--gid, -g N)
  std::string home;             ///< --home / -d
  bool create_home = false;     ///< adduser unless --no-create-home; useradd only with -m
  std::string shell;            ///< --shell / -s
  std::string gecos;            ///< --gecos / --comment / -c
  std::vector<std::string> extra_groups;  ///< useradd -G a,b
  bool operator==(const AccountAction&) const = default;
};

/// `deb-systemd-helper VERB unit...` or `systemctl VERB unit...` for the
/// verbs that change enablement state; runtime verbs (start, daemon-reload,
/// ...) and queries (was-enabled, is-active, ...) are not recorded.
struct UnitAction {
  std::string tool;  ///< "deb-systemd-helper" or "systemctl"
  std::string verb;  ///< enable, disable, reenable, mask, unmask, preset, update-state, purge
  std::vector<std::string> units;
  bool user = false;  ///< --user / --global: per-user units
  bool operator==(const UnitAction&) const = default;
};

/// `dpkg-maintscript-helper COMMAND ARGS... -- "$@"` (arguments before "--").
struct MaintscriptHelperCall {
  std::string command;  ///< rm_conffile, mv_conffile, symlink_to_dir, dir_to_symlink
  std::vector<std::string> args;
  bool operator==(const MaintscriptHelperCall&) const = default;
};

/// `dpkg-divert [--add|--remove] [--rename|--no-rename] [--divert TO] [--package P|--local] FILE`.
struct Diversion {
  bool add = true;
  std::string file;
  std::string divert_to;  ///< empty: dpkg's default "<file>.distrib"
  std::string package;    ///< empty with `local`
  bool local = false;
  bool rename = false;
  bool operator==(const Diversion&) const = default;
};

/// `dpkg-statoverride [--update] --add USER GROUP MODE PATH` (or --remove PATH).
struct StatOverride {
  bool add = true;
  std::string user;
  std::string group;
  uint32_t mode = 0;  ///< parsed from octal
  std::string path;
  bool update = false;  ///< --update: apply to the file now
  bool operator==(const StatOverride&) const = default;
};

/// A debconf call from a script that sourced confmodule: `db_get foo/bar`.
struct DebconfCall {
  std::string command;  ///< "db_get", "db_input", ...
  std::vector<std::string> args;
  bool operator==(const DebconfCall&) const = default;
};

/// A cache or database tool cairn may reproduce natively: ldconfig,
/// update-initramfs, depmod, update-ca-certificates, systemd-sysusers,
/// systemd-tmpfiles, systemd-machine-id-setup, shadowconfig.
struct ToolRun {
  std::string tool;
  std::vector<std::string> args;  ///< after $DPKG_ROOT expands to ""
  bool operator==(const ToolRun&) const = default;
};

/// Everything a script would do that ScanMaintainerScript recognised.
struct ScriptActions {
  std::string package;
  std::string script;  ///< "postinst", "preinst", ...
  std::vector<AlternativeInstall> alternatives;
  std::vector<AccountAction> accounts;
  std::vector<UnitAction> units;
  std::vector<MaintscriptHelperCall> maintscript_helper;
  std::vector<Diversion> diversions;
  std::vector<StatOverride> stat_overrides;
  std::vector<std::string> triggers;  ///< dpkg-trigger names
  std::vector<DebconfCall> debconf;
  std::vector<ToolRun> tools;
  /// First words of the other commands the script would run, deduplicated,
  /// in order of first appearance. Not listed: shell builtins and read-only
  /// helpers (echo, test, grep, getent, dpkg --compare-versions, ...),
  /// commands in `if`/`while` conditions and in $(...) (they only decide),
  /// calls of the script's own functions (their bodies are scanned), runtime
  /// service control (deb-systemd-invoke, invoke-rc.d, systemctl start...),
  /// and recognised calls. A recognised command whose arguments depend on
  /// values the scan cannot know ($1, a variable assigned twice) is listed
  /// here instead of being guessed.
  std::vector<std::string> unrecognised;
};

/// Scans `text`, the script `script_name` of `package`. Never fails: text it
/// cannot follow ends up in `unrecognised`. Variables assigned exactly once
/// to a literal (MESSAGEUSER=messagebus) are substituted; $DPKG_ROOT is "",
/// so `${DPKG_ROOT:+--root="$DPKG_ROOT"}` disappears as it would in a chroot.
ScriptActions ScanMaintainerScript(std::string_view package, std::string_view script_name,
                                   std::string_view text);

/// "skipped: dbus postinst: touch, update-rc.d", or "" when nothing was skipped.
std::string SkippedCommandsLine(const ScriptActions& actions);

}  // namespace cairn::effects
