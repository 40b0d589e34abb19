// base-passwd, shadowconfig and adduser --system effects over rootfs::Tree.
//
// The sources followed: base-passwd 3.6.1 preinst/postinst, passwd 1:4.13
// postinst and /usr/sbin/shadowconfig, shadow's src/pwconv.c, src/grpconv.c,
// src/useradd.c, src/groupadd.c, src/chfn.c, and adduser 3.134's perl script.
// systemd-sysusers lives in sysusers.cc.
#include "cairn/effects/deb_accounts.h"

#include <fmt/format.h>

#include <algorithm>

#include "effects/passwd_file.h"

namespace cairn::effects {
namespace {

using internal::AccountFile;
using internal::FileMeta;
using internal::Record;

constexpr uint32_t kFirstSystemId = 100;  // adduser.conf FIRST_SYSTEM_UID/GID
constexpr uint32_t kLastSystemId = 999;   // adduser.conf LAST_SYSTEM_UID/GID
constexpr uint32_t kShadowGid = 42;       // passwd.postinst: groupadd -g 42 shadow
constexpr FileMeta kPublicDb{0644, 0, 0};

// shadow writes the last-change day as -1 (an empty field) when it is 0, so
// that aging is disabled rather than a password change forced.
std::string LastChange(int64_t mtime) {
  int64_t days = internal::DaysSinceEpoch(mtime);
  return days == 0 ? "" : std::to_string(days);
}

std::string OptionalNumber(std::optional<long> n) {
  return n && *n != -1 ? std::to_string(*n) : "";
}

// adduser's checkname with --allow-bad-names (most postinsts pass
// --force-badname): these checks cannot be switched off there either.
Status CheckName(const std::string& name, std::string_view what) {
  auto invalid = [&](std::string_view why) {
    return Error(Code::kConfig, fmt::format("invalid {} name '{}': {}", what, name, why));
  };
  if (name.empty()) return invalid("it is empty");
  if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return invalid("it consists only of digits");
  if (name.size() > 32) return invalid("it is longer than 32 bytes");
  if (std::string_view("-+~").find(name[0]) != std::string_view::npos)
    return invalid("it starts with '-', '+' or '~'");
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || (i > 0 && (c == '-' || c == '@')) ||
              (c == '$' && i + 1 == name.size() && i > 0);
    if (!ok)
      return invalid("expected letters, digits, '_', '.', '@' and '-' (and an optional final '$')");
  }
  return {};
}

// Fields of a database line must not contain its separators.
Status CheckField(const std::string& value, std::string_view what, const std::string& user) {
  if (value.find_first_of(":\n") != std::string::npos)
    return Error(Code::kConfig, fmt::format("{} '{}' of system user '{}' contains ':' or a newline",
                                            what, value, user));
  return {};
}

// adduser hands --gecos to chfn: without a comma as `chfn -f`, else split
// into full name, room, work phone, home phone and other; chfn then writes
// "name,room,work,home" plus ",other" if other is not empty.
Result<std::string> ChfnGecos(const std::string& comment, const std::string& user) {
  if (comment.empty()) return std::string();
  std::vector<std::string> parts = internal::SplitFields(comment, ',');
  while (!parts.empty() && parts.back().empty()) parts.pop_back();  // perl split
  parts.resize(5);
  struct Field {
    const char* name;
    const char* forbidden;
  };
  // chfn.c check_fields.
  constexpr Field kFields[] = {{"full name", ":,=\n"},
                               {"room number", ":,=\n"},
                               {"work phone", ":,=\"\n"},
                               {"home phone", ":,=\"\n"},
                               {"other", ":\n"}};
  size_t total = 0;
  for (size_t i = 0; i < 5; ++i) {
    total += parts[i].size();
    size_t bad = parts[i].find_first_of(kFields[i].forbidden);
    if (bad != std::string::npos)
      return Error(
          Code::kConfig,
          fmt::format("gecos '{}' of system user '{}': chfn does not allow '{}' in the {}", comment,
                      user, parts[i][bad] == '\n' ? "\\n" : parts[i].substr(bad, 1),
                      kFields[i].name));
  }
  if (total > 80)
    return Error(Code::kConfig,
                 fmt::format("gecos '{}' of system user '{}' is too long for chfn (at most 80 "
                             "characters without the commas)",
                             comment, user));
  std::string gecos = fmt::format("{},{},{},{}", parts[0], parts[1], parts[2], parts[3]);
  if (!parts[4].empty()) gecos += "," + parts[4];
  return gecos;
}

// getpwuid/getgrgid over one file: the name holding `id`, if any.
const Record* HolderOf(const AccountFile& file, uint32_t id, size_t fields) {
  return file.FindById(id, fields);
}

// adduser's first_avail_uid / first_avail_gid: ascending, first free.
std::optional<uint32_t> FirstFree(const AccountFile& file, size_t fields) {
  for (uint32_t id = kFirstSystemId; id <= kLastSystemId; ++id)
    if (!HolderOf(file, id, fields)) return id;
  return std::nullopt;
}

Result<uint32_t> GidOf(const Record& group) {
  auto gid = group.size() >= 4 ? internal::ParseId(group[2]) : std::nullopt;
  if (!gid)
    return IntegrityError(fmt::format("group '{}' in 'etc/group' has no valid gid (line '{}')",
                                      group[0], internal::JoinFields(group, ':')));
  return *gid;
}

struct Databases {
  AccountFile passwd, group, shadow, gshadow;

  static Result<Databases> Read(const rootfs::Tree& tree) {
    Databases db;
    CAIRN_ASSIGN_OR_RETURN(db.passwd, AccountFile::Read(tree, "etc/passwd"));
    CAIRN_ASSIGN_OR_RETURN(db.group, AccountFile::Read(tree, "etc/group"));
    CAIRN_ASSIGN_OR_RETURN(db.shadow, AccountFile::Read(tree, "etc/shadow"));
    CAIRN_ASSIGN_OR_RETURN(db.gshadow, AccountFile::Read(tree, "etc/gshadow"));
    return db;
  }

  // useradd/groupadd/pwconv refuse to work without the files they edit.
  Status Require(std::string_view action) const {
    for (const AccountFile* f : {&passwd, &group})
      if (!f->exists())
        return NotFoundError(fmt::format("cannot {}: '{}' does not exist", action, f->path()));
    return {};
  }

  // Files that exist keep their mode and owner (shadow root:shadow 0640).
  Status Write(rootfs::Tree& tree, int64_t mtime) const {
    CAIRN_TRY(group.Write(tree, kPublicDb, mtime));
    CAIRN_TRY(passwd.Write(tree, kPublicDb, mtime));
    if (gshadow.exists()) CAIRN_TRY(gshadow.Write(tree, kPublicDb, mtime));
    if (shadow.exists()) CAIRN_TRY(shadow.Write(tree, kPublicDb, mtime));
    return {};
  }
};

// groupadd: "x" in etc/group, "!" in etc/gshadow when that file exists.
void AppendGroup(Databases& db, const std::string& name, uint32_t gid) {
  db.group.Append({name, "x", std::to_string(gid), ""});
  if (db.gshadow.exists()) db.gshadow.Append({name, "!", "", ""});
}

// `adduser user group` (usermod -a -G): appends to the member lists of
// etc/group and etc/gshadow.
void AddMember(Record& record, size_t field, const std::string& user) {
  std::vector<std::string> members = internal::SplitMembers(record[field]);
  if (std::find(members.begin(), members.end(), user) != members.end()) return;
  members.push_back(user);
  record[field] = internal::JoinFields(members, ',');
}

Status AddToGroups(Databases& db, const std::string& user, const std::vector<std::string>& groups) {
  for (const std::string& name : groups) {
    Record* group = db.group.Find(name);
    if (!group || group->size() < 4)
      return NotFoundError(
          fmt::format("cannot add user '{}' to group '{}': the group does not exist", user, name));
    AddMember(*group, 3, user);
    if (Record* sg = db.gshadow.Find(name); sg && sg->size() >= 4) AddMember(*sg, 3, user);
  }
  return {};
}

Status AddSystemAccountImpl(rootfs::Tree& tree, const SystemAccountRequest& req, int64_t mtime) {
  const std::string& user = req.user;
  CAIRN_TRY(CheckName(user, "user"));
  if (!req.group.empty()) CAIRN_TRY(CheckName(req.group, "group"));
  if (req.home.empty() || req.home[0] != '/')
    return Error(Code::kConfig, fmt::format("home directory '{}' of system user '{}' is not an "
                                            "absolute path",
                                            req.home, user));
  CAIRN_TRY(CheckField(req.home, "home directory", user));
  CAIRN_TRY(CheckField(req.shell, "shell", user));
  if (!req.create_group && !req.group.empty() && req.gid)
    return Error(Code::kConfig,
                 fmt::format("system user '{}': give the primary group as group '{}' or as gid "
                             "{}, not both",
                             user, req.group, *req.gid));
  CAIRN_ASSIGN_OR_RETURN(std::string gecos, ChfnGecos(req.gecos, user));

  CAIRN_ASSIGN_OR_RETURN(Databases db, Databases::Read(tree));
  CAIRN_TRY(db.Require(fmt::format("add system user '{}'", user)));
  if (db.passwd.Find(user)) {
    // adduser --system exits quietly for an existing system user; the
    // follow-up `adduser user group` calls still apply.
    CAIRN_TRY(AddToGroups(db, user, req.extra_groups));
    return db.Write(tree, mtime);
  }

  uint32_t uid = 0;
  if (req.uid) {
    if (const Record* holder = HolderOf(db.passwd, *req.uid, 7))
      return IntegrityError(fmt::format("uid {} for system user '{}' is already used by user '{}'",
                                        *req.uid, user, (*holder)[0]));
    uid = *req.uid;
  } else {
    auto free_uid = FirstFree(db.passwd, 7);
    if (!free_uid)
      return IntegrityError(fmt::format("no free uid in {}-{} for system user '{}'", kFirstSystemId,
                                        kLastSystemId, user));
    uid = *free_uid;
  }

  uint32_t gid = 0;
  if (req.create_group) {
    const std::string& name = req.group.empty() ? user : req.group;
    if (const Record* existing = db.group.Find(name)) {
      // "if we reach this point, and the group does already exist, we can use it"
      CAIRN_ASSIGN_OR_RETURN(gid, GidOf(*existing));
    } else {
      if (req.gid || req.uid) {
        gid = req.gid ? *req.gid : uid;  // adduser --uid N --group: gid N
      } else {
        auto free_gid = FirstFree(db.group, 4);
        if (!free_gid)
          return IntegrityError(fmt::format("no free gid in {}-{} for group '{}'", kFirstSystemId,
                                            kLastSystemId, name));
        gid = *free_gid;
      }
      if (const Record* holder = HolderOf(db.group, gid, 4))
        return IntegrityError(fmt::format("gid {} for group '{}' is already used by group '{}'",
                                          gid, name, (*holder)[0]));
      AppendGroup(db, name, gid);
    }
  } else if (!req.group.empty()) {
    const Record* group = db.group.Find(req.group);
    if (!group)
      return NotFoundError(
          fmt::format("primary group '{}' of system user '{}' does not exist", req.group, user));
    CAIRN_ASSIGN_OR_RETURN(gid, GidOf(*group));
  } else if (req.gid) {
    if (!HolderOf(db.group, *req.gid, 4))
      return NotFoundError(
          fmt::format("primary gid {} of system user '{}' does not exist", *req.gid, user));
    gid = *req.gid;
  } else {
    // adduser: getgrnam("nogroup") || 65534
    gid = 65534;
    if (const Record* nogroup = db.group.Find("nogroup")) {
      auto parsed = nogroup->size() >= 4 ? internal::ParseId((*nogroup)[2]) : std::nullopt;
      if (parsed && *parsed != 0) gid = *parsed;
    }
  }

  // useradd -r: the password lives in etc/shadow if that exists ("x"),
  // else the locked "!" stays in etc/passwd; system accounts get no aging.
  db.passwd.Append({user, db.shadow.exists() ? "x" : "!", std::to_string(uid), std::to_string(gid),
                    gecos, req.home, req.shell});
  if (db.shadow.exists()) db.shadow.Append({user, "!", LastChange(mtime), "", "", "", "", "", ""});
  CAIRN_TRY(AddToGroups(db, user, req.extra_groups));

  // adduser's create_homedir: never under /nonexistent; an existing path is
  // left alone; parents come from mkdir (0755 root), the home itself is
  // chowned to the user with SYS_DIR_MODE 0755.
  std::string_view home = req.home;
  size_t slashes = home.find_first_not_of('/');
  std::string_view rest = slashes == std::string_view::npos ? "" : home.substr(slashes);
  bool nonexistent = rest.substr(0, 11) == "nonexistent" && (rest.size() == 11 || rest[11] == '/');
  if (req.create_home && !nonexistent) {
    CAIRN_ASSIGN_OR_RETURN(std::string key, rootfs::NormalizePath(req.home));
    if (!key.empty() && !internal::ExistsResolved(tree, key))
      CAIRN_TRY(tree.AddDirectory(key, 0755, uid, gid, mtime));
  }
  return db.Write(tree, mtime);
}

Status AddSystemGroupImpl(rootfs::Tree& tree, const std::string& name, std::optional<uint32_t> gid,
                          int64_t mtime) {
  CAIRN_TRY(CheckName(name, "group"));
  CAIRN_ASSIGN_OR_RETURN(Databases db, Databases::Read(tree));
  CAIRN_TRY(db.Require(fmt::format("add system group '{}'", name)));
  if (db.group.Find(name)) return {};
  if (gid) {
    if (const Record* holder = HolderOf(db.group, *gid, 4))
      return IntegrityError(fmt::format(
          "gid {} for system group '{}' is already used by group '{}'", *gid, name, (*holder)[0]));
  } else {
    gid = FirstFree(db.group, 4);
    if (!gid)
      return IntegrityError(fmt::format("no free gid in {}-{} for system group '{}'",
                                        kFirstSystemId, kLastSystemId, name));
  }
  AppendGroup(db, name, *gid);
  return db.Write(tree, mtime);
}

// pwconv (shadow src/pwconv.c).
void Pwconv(AccountFile& passwd, AccountFile& shadow, const rootfs::Tree& tree, int64_t mtime) {
  auto& sp = shadow.records();
  sp.erase(std::remove_if(sp.begin(), sp.end(),
                          [&](const Record& r) { return r.size() >= 9 && !passwd.Find(r[0]); }),
           sp.end());
  std::string min = OptionalNumber(internal::LoginDefsNumber(tree, "PASS_MIN_DAYS"));
  std::string max = OptionalNumber(internal::LoginDefsNumber(tree, "PASS_MAX_DAYS"));
  std::string warn = OptionalNumber(internal::LoginDefsNumber(tree, "PASS_WARN_AGE"));
  for (Record& pw : passwd.records()) {
    if (pw.size() < 7 || pw[0].empty() || pw[0][0] == '+' || pw[0][0] == '-') continue;
    Record* entry = shadow.Find(pw[0]);
    if (entry && entry->size() >= 9) {
      if (pw[1] == "x") continue;
      (*entry)[1] = pw[1];
      (*entry)[2] = LastChange(mtime);
    } else {
      shadow.Append({pw[0], pw[1], LastChange(mtime), min, max, warn, "", "", ""});
    }
    pw[1] = "x";
  }
}

// grpconv (shadow src/grpconv.c): members are always copied from etc/group.
void Grpconv(AccountFile& group, AccountFile& gshadow) {
  auto& sg = gshadow.records();
  sg.erase(std::remove_if(sg.begin(), sg.end(),
                          [&](const Record& r) { return r.size() >= 4 && !group.Find(r[0]); }),
           sg.end());
  for (Record& gr : group.records()) {
    if (gr.size() < 4 || gr[0].empty() || gr[0][0] == '+' || gr[0][0] == '-') continue;
    Record* entry = gshadow.Find(gr[0]);
    if (entry && entry->size() >= 4) {
      if (gr[1] != "x") (*entry)[1] = gr[1];
      (*entry)[3] = gr[3];
    } else {
      gshadow.Append({gr[0], gr[1], "", gr[3]});
    }
    gr[1] = "x";
  }
}

}  // namespace

Status ApplyBasePasswd(rootfs::Tree& tree, int64_t mtime) {
  CAIRN_ASSIGN_OR_RETURN(auto passwd_master,
                         AccountFile::Read(tree, "usr/share/base-passwd/passwd.master"));
  CAIRN_ASSIGN_OR_RETURN(auto group_master,
                         AccountFile::Read(tree, "usr/share/base-passwd/group.master"));
  if (!passwd_master.exists() || !group_master.exists()) return {};
  for (auto [master, path] :
       {std::pair{&passwd_master, "etc/passwd"}, std::pair{&group_master, "etc/group"}}) {
    CAIRN_ASSIGN_OR_RETURN(AccountFile file, AccountFile::Read(tree, path));
    for (const Record& entry : master->records())
      if (!entry.empty() && !entry[0].empty() && !file.Find(entry[0])) file.Append(entry);
    CAIRN_TRY(file.Write(tree, kPublicDb, mtime));
  }
  return {};
}

Status ApplyShadow(rootfs::Tree& tree, int64_t mtime) {
  if (!internal::ExistsResolved(tree, "usr/sbin/pwconv")) return {};
  CAIRN_ASSIGN_OR_RETURN(Databases db, Databases::Read(tree));
  CAIRN_TRY_CTX(db.Require("convert to shadow passwords"), "package passwd (postinst)");

  uint32_t shadow_gid = kShadowGid;
  if (const Record* group = db.group.Find("shadow")) {
    CAIRN_ASSIGN_OR_RETURN(shadow_gid, GidOf(*group));
  } else {
    if (const Record* holder = HolderOf(db.group, kShadowGid, 4))
      return IntegrityError(fmt::format("cannot add group 'shadow' with gid {}: the gid is already "
                                        "used by group '{}'",
                                        kShadowGid, (*holder)[0]))
          .Context("package passwd (postinst)");
    AppendGroup(db, "shadow", kShadowGid);
  }

  Pwconv(db.passwd, db.shadow, tree, mtime);
  Grpconv(db.group, db.gshadow);
  // shadowconfig's chown/chmod apply even when a file's content is unchanged.
  const FileMeta secret{0640, 0, shadow_gid};
  CAIRN_TRY(db.passwd.Write(tree, kPublicDb, mtime, /*force_meta=*/true));
  CAIRN_TRY(db.group.Write(tree, kPublicDb, mtime, /*force_meta=*/true));
  CAIRN_TRY(db.shadow.Write(tree, secret, mtime, /*force_meta=*/true));
  CAIRN_TRY(db.gshadow.Write(tree, secret, mtime, /*force_meta=*/true));
  return {};
}

Status AddSystemAccount(rootfs::Tree& tree, const SystemAccountRequest& request, int64_t mtime) {
  Status status = AddSystemAccountImpl(tree, request, mtime);
  if (!status.ok() && !request.source.empty())
    return std::move(status).error().Context(request.source);
  return status;
}

Status AddSystemGroup(rootfs::Tree& tree, const std::string& name, std::optional<uint32_t> gid,
                      const std::string& source, int64_t mtime) {
  Status status = AddSystemGroupImpl(tree, name, gid, mtime);
  if (!status.ok() && !source.empty()) return std::move(status).error().Context(source);
  return status;
}

}  // namespace cairn::effects
