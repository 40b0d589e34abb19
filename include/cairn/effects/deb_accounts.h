// Debian account effects without running maintainer scripts: what
// base-passwd, passwd (shadowconfig), adduser --system and systemd-sysusers do
// to etc/passwd, group, shadow and gshadow, byte for byte as the Debian 12
// tools write it. Call them after extraction, in dpkg's order:
//
//   CAIRN_TRY(effects::ApplyBasePasswd(tree, epoch));   // base-passwd preinst
//   CAIRN_TRY(effects::ApplyShadow(tree, epoch));       // passwd postinst
//   CAIRN_TRY(effects::AddSystemAccount(tree, {.user = "messagebus"}, epoch));
//   CAIRN_TRY(effects::ApplySysusers(tree, epoch, &log));
//
// `mtime` stamps changed files and is "today" for shadow's last-change field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects {

/// base-passwd's preinst/postinst: if usr/share/base-passwd/passwd.master and
/// group.master exist, creates a missing etc/passwd or etc/group as a copy of
/// its master (0644, root:root). An existing file only gains the master
/// entries whose names it lacks, appended in master order (update-passwd
/// adds entries like that, but it would also "fix" existing ones; this never
/// changes an existing line). Without the master files, does nothing.
Status ApplyBasePasswd(rootfs::Tree& tree, int64_t mtime);

/// The `passwd` package's postinst (groupadd -g 42 shadow, then shadowconfig
/// on, i.e. pwconv and grpconv), if usr/sbin/pwconv exists; otherwise does
/// nothing. Adds group 'shadow' (gid 42) when missing. pwconv: drops
/// etc/shadow lines of users not in etc/passwd, adds
/// "name:<passwd field>:<days>:<PASS_MIN_DAYS>:<PASS_MAX_DAYS>:<PASS_WARN_AGE>:::"
/// for users without one (aging from the tree's etc/login.defs, empty when
/// unset; Debian's gives "0:99999:7"), moves a password that is not 'x' into
/// the existing line, and sets the passwd field to 'x'. grpconv does the same
/// for etc/gshadow ("name:<group field>::<members>"; members are copied from
/// etc/group). etc/passwd and etc/group end up 0644 root:root, etc/shadow and
/// etc/gshadow 0640 root:shadow. Running it again changes nothing.
/// kNotFound if etc/passwd or etc/group is missing. Like every function
/// here, it writes no backup files (passwd-, shadow-, ...) and no .pwd.lock.
Status ApplyShadow(rootfs::Tree& tree, int64_t mtime);

/// What a maintainer script asks `adduser --system` for.
struct SystemAccountRequest {
  std::string user;
  /// With create_group: the name of the group to create ("" = same as user,
  /// adduser --group). Without: an existing primary group (--ingroup).
  std::string group;
  std::string home = "/nonexistent";
  std::string shell = "/usr/sbin/nologin";
  /// --gecos/--comment as given; adduser passes it through chfn, so "Foo"
  /// becomes "Foo,,," and "a,b,c,d,e" stays. "" leaves the field empty.
  std::string gecos;
  bool create_group = true;
  /// false: --no-create-home. A home under /nonexistent is never created.
  bool create_home = true;
  std::optional<uint32_t> uid;
  /// With create_group: the new group's gid. Without: an existing primary
  /// gid (--gid). Neither group nor gid: the primary group is 'nogroup'.
  std::optional<uint32_t> gid;
  /// Existing groups to add the user to (`adduser <user> <group>` afterwards).
  std::vector<std::string> extra_groups;
  /// Who asked, for error context: "package dbus (postinst)".
  std::string source;
};

/// adduser --system (Debian adduser.conf defaults: system ids 100-999):
/// an existing user is left as it is (only extra_groups are applied).
/// Otherwise the uid is the lowest unused one in 100-999 (or `uid`), a new
/// group gets the lowest unused gid in 100-999 (or `gid`, or `uid` when only
/// that is given) and an existing group of that name is reused. Writes
/// "user:x:uid:gid:gecos:home:shell" ('!' instead of 'x' when there is no
/// etc/shadow), "user:!:<days>::::::" to etc/shadow and "group:!::" to
/// etc/gshadow when those exist, and creates the home directory (uid:gid,
/// 0755, parents root 0755) unless it exists or is under /nonexistent.
/// Errors: kConfig for an invalid name, home or gecos; kNotFound for a
/// missing primary or extra group; kIntegrity when an id is taken or the
/// range is full. `source` is added as error context.
Status AddSystemAccount(rootfs::Tree& tree, const SystemAccountRequest& request, int64_t mtime);

/// addgroup --system: an existing group is left as it is; otherwise adds
/// "name:x:gid:" (gid given, or the lowest unused in 100-999) and "name:!::"
/// to etc/gshadow if it exists. kIntegrity if the gid is taken or the range
/// is full.
Status AddSystemGroup(rootfs::Tree& tree, const std::string& name, std::optional<uint32_t> gid,
                      const std::string& source, int64_t mtime);

/// systemd-sysusers --root (Debian 12, systemd 252.39): evaluates the *.conf
/// files of usr/lib/sysusers.d, usr/local/lib/sysusers.d, run/sysusers.d
/// and etc/sysusers.d (a later directory in that list replaces a file of the
/// same name; a link to /dev/null masks it) in file-name order. Line types
/// u, g, m and r; "-" for an empty field; systemd's quoting; ids as "uid",
/// "uid:gid", "uid:group", "-:gid" or an absolute path whose owner is used.
/// Groups are processed before users; missing ids are allocated downwards
/// from 999 (or within the 'r' ranges). New users get home "/" and shell
/// /usr/sbin/nologin (root: /bin/bash if the image has it, else /bin/sh)
/// unless given, "x" in etc/passwd and "name:!*:<days>::::::" in etc/shadow;
/// new groups "name:x:gid:" and "name:!*::"; 'm' members are merged and
/// sorted. Missing etc/shadow and etc/gshadow are created with mode 0000, as
/// sysusers does. As in sysusers, a bad line or an item that cannot be
/// created is reported and skipped, not fatal: `log` (may be null) receives
/// the lines systemd-sysusers prints ("Creating group 'adm' with GID 4.",
/// "/usr/lib/sysusers.d/x.conf:3: Unknown command type 'x'.").
Status ApplySysusers(rootfs::Tree& tree, int64_t mtime, std::vector<std::string>* log);

}  // namespace cairn::effects
