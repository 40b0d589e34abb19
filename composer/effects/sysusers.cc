// ApplySysusers: systemd-sysusers --root over rootfs::Tree, as Debian 12's
// systemd 252.39 behaves (checked against the binary by the unit tests).
//
// Its quirks are kept so images match: groups before users; one cursor walks
// down from the top of the range for uids and gids alike; a suggested gid is
// checked against groups only; a user without "uid:group" gets a group of
// its own name; rewritten files go through glibc's parsers (odd lines are
// normalised or dropped) and new entries precede NIS lines. Not supported:
// specifiers that describe the running machine (%m, %H, %b, ...) and
// credentials (passwd.hashed-password.*).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

#include "cairn/effects/deb_accounts.h"
#include "effects/ld_so_conf.h"
#include "effects/passwd_file.h"

namespace cairn::effects {
namespace {

using internal::AccountFile;
using internal::FileMeta;
using internal::Record;

// CONF_PATHS("sysusers.d"), highest priority first.
constexpr const char* kConfDirs[] = {"etc/sysusers.d", "run/sysusers.d", "usr/local/lib/sysusers.d",
                                     "usr/lib/sysusers.d"};
constexpr uint32_t kSystemAllocUidMin = 1;  // Debian's build: SYSTEM_ALLOC_UID_MIN
constexpr uint32_t kSystemUidMax = 999;     // SYSTEM_UID_MAX (login.defs is not read)
constexpr uint32_t kInvalidId = 0xFFFFFFFF;
constexpr const char* kNologin = "/usr/sbin/nologin";
constexpr std::string_view kWhitespace = " \t\n\r";

struct Item {
  char type = 0;
  std::string name;
  std::optional<std::string> group_name, uid_path, gid_path, description, home, shell;
  uint32_t uid = 0, gid = 0;
  bool uid_set = false, gid_set = false;
  // The group with the given gid must exist; a uid clashing with a gid is fine.
  bool id_set_strict = false;
  bool todo_user = false, todo_group = false;
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// valid_user_group_name(name, 0): systemd's strict rules.
bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 31) return false;
  if (!IsAlpha(name[0]) && name[0] != '_') return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_' || c == '-'; });
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 32 || c == 127; });
}

bool ValidGecos(std::string_view s) {
  return !HasControl(s) && s.find(':') == std::string_view::npos;
}

// valid_home (and valid_shell, which is the same check in 252).
bool ValidHome(std::string_view p) {
  if (p.empty() || p[0] != '/' || HasControl(p) || p.find(':') != std::string_view::npos)
    return false;
  if (p.find("//") != std::string_view::npos) return false;
  for (const std::string& part : internal::SplitFields(p, '/'))
    if (part == "." || part == "..") return false;
  return true;
}

// parse_uid: decimal; 65535 and 4294967295 are not valid ids.
enum class IdError { kNone, kInvalid, kRange, kReserved };
IdError ParseUid(std::string_view s, uint32_t* out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), IsDigit)) return IdError::kInvalid;
  auto id = internal::ParseId(s);
  if (!id) return IdError::kRange;
  if (*id == 0xFFFF || *id == kInvalidId) return IdError::kReserved;
  *out = *id;
  return IdError::kNone;
}

const char* Strerror(IdError e) {
  switch (e) {
    case IdError::kRange:
      return "Numerical result out of range";
    case IdError::kReserved:
      return "No such device or address";
    default:
      return "Invalid argument";
  }
}

// path_simplify: drops empty and "." components and a trailing slash; keeps
// ".." and whether the path is absolute.
std::string SimplifyPath(std::string_view p) {
  std::string out;
  for (const std::string& part : internal::SplitFields(p, '/')) {
    if (part.empty() || part == ".") continue;
    if (!out.empty() || (!p.empty() && p[0] == '/')) out += '/';
    out += part;
  }
  if (out.empty()) return !p.empty() && p[0] == '/' ? "/" : p.empty() ? "" : ".";
  return out;
}

// extract_first_word(EXTRACT_UNQUOTE): whitespace separates words; '' and ""
// quote (quotes may start mid-word); a backslash takes the next character
// literally. Returns false on an unterminated quote or trailing backslash.
bool ExtractWords(std::string_view line, size_t max, std::vector<std::string>* words,
                  bool* trailing) {
  size_t i = 0;
  while (words->size() < max) {
    i = line.find_first_not_of(kWhitespace, i);
    if (i == std::string_view::npos) break;
    std::string word;
    char quote = 0;
    for (; i < line.size(); ++i) {
      char c = line[i];
      if (c == '\\') {
        if (++i == line.size()) return false;
        word += line[i];
      } else if (quote) {
        if (c == quote)
          quote = 0;
        else
          word += c;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (kWhitespace.find(c) != std::string_view::npos) {
        break;
      } else {
        word += c;
      }
    }
    if (quote) return false;
    words->push_back(std::move(word));
  }
  *trailing = line.find_first_not_of(kWhitespace, i) != std::string_view::npos;
  return true;
}

struct Range {
  uint32_t start, end;  // inclusive
};

class Sysusers {
 public:
  Sysusers(rootfs::Tree& tree, int64_t mtime, std::vector<std::string>* log)
      : tree_(tree), mtime_(mtime), log_(log) {}

  Status Run();

 private:
  void Log(std::string line) {
    if (log_) log_->push_back(std::move(line));
  }
  Status ReadConfig();
  void ParseLine(const std::string& file, unsigned line_no, std::string_view line);
  bool Specifiers(std::string_view in, std::string* out, std::string* why) const;
  bool Equivalent(const Item& a, const Item& b) const;
  std::string PickShell(const Item& i) const;
  void AddRange(uint32_t start, uint32_t end);
  void AddImplicit();
  Status LoadDatabases();

  bool NextLower(uint32_t* id) const;
  bool InRange(uint32_t id) const;
  bool UidIsOk(uint32_t uid, const std::string& name, bool check_with_gid) const;
  bool GidIsOk(uint32_t gid, bool check_with_uid) const;
  std::optional<uint32_t> GidByName(const std::string& name) const;
  bool ReadIdFromFile(const Item& i, uint32_t* uid, uint32_t* gid) const;
  bool AddUser(Item& i);
  bool AddGroup(Item& i);
  bool ProcessItem(Item& i);
  Status WriteFiles();

  Item* FindUser(const std::string& name) {
    auto it = user_index_.find(name);
    return it == user_index_.end() ? nullptr : users_[it->second].get();
  }
  Item* FindGroup(const std::string& name) {
    auto it = group_index_.find(name);
    return it == group_index_.end() ? nullptr : groups_[it->second].get();
  }
  void PutUser(std::unique_ptr<Item> i) {
    user_index_[i->name] = users_.size();
    users_.push_back(std::move(i));
  }
  void PutGroup(std::unique_ptr<Item> i) {
    group_index_[i->name] = groups_.size();
    groups_.push_back(std::move(i));
  }

  rootfs::Tree& tree_;
  int64_t mtime_;
  std::vector<std::string>* log_;

  // Ordered hash maps in sysusers: insertion order matters for output.
  std::vector<std::unique_ptr<Item>> users_, groups_;
  std::map<std::string, size_t> user_index_, group_index_;
  std::vector<std::pair<std::string, std::vector<std::string>>> members_;
  std::vector<Item*> todo_uids_, todo_gids_;
  std::map<uint32_t, Item*> todo_uid_index_, todo_gid_index_;

  std::map<std::string, uint32_t> db_by_username_, db_by_groupname_;
  std::map<uint32_t, std::string> db_by_uid_, db_by_gid_;

  std::vector<Range> ranges_;
  uint32_t search_uid_ = kInvalidId;

  AccountFile passwd_, group_, shadow_, gshadow_;
};

Status Sysusers::Run() {
  CAIRN_TRY(ReadConfig());
  if (users_.empty() && groups_.empty() && members_.empty()) return {};
  if (ranges_.empty()) AddRange(kSystemAllocUidMin, kSystemUidMax);
  AddImplicit();
  CAIRN_TRY(LoadDatabases());
  // Errors of single items are logged and skipped, as (void) process_item().
  for (auto& g : groups_) ProcessItem(*g);
  for (auto& u : users_) ProcessItem(*u);
  return WriteFiles();
}

Status Sysusers::ReadConfig() {
  // conf_files_list: one file per name, the highest-priority directory wins;
  // sorted by name.
  std::map<std::string, std::string> files;
  for (const char* dir : kConfDirs)
    for (const std::string& name : internal::ListDirectory(tree_, dir)) {
      if (name.size() <= 5 || name[0] == '.' || name.substr(name.size() - 5) != ".conf") continue;
      files.emplace(name, fmt::format("{}/{}", dir, name));
    }
  for (const auto& [name, path] : files) {
    std::string display = "/" + path;
    auto resolved = tree_.Resolve(path);
    if (!resolved.ok()) {
      Log(fmt::format("Failed to open '{}', ignoring: Too many levels of symbolic links", display));
      continue;
    }
    const rootfs::Node* node = tree_.Find(*resolved);
    // A link to /dev/null masks the name; so does a dangling link, which
    // sysusers skips silently (it ignores ENOENT).
    if (!node || *resolved == "dev/null" || node->meta.type == rootfs::FileType::kCharDevice)
      continue;
    if (node->meta.type == rootfs::FileType::kDirectory) {
      Log(fmt::format("Failed to read '{}': Is a directory", display));
      continue;
    }
    CAIRN_ASSIGN_OR_RETURN(std::string text, tree_.ReadFile(*resolved));
    unsigned line_no = 0;
    // read_line ends a line at "\n", "\r", "\r\n" or NUL.
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find_first_of(std::string_view("\n\r\0", 3), pos);
      if (end == std::string::npos) end = text.size();
      std::string_view raw = std::string_view(text).substr(pos, end - pos);
      pos = end + 1;
      if (end < text.size() && text[end] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
      ++line_no;
      size_t b = raw.find_first_not_of(kWhitespace);
      if (b == std::string_view::npos) continue;
      std::string_view line = raw.substr(b, raw.find_last_not_of(kWhitespace) - b + 1);
      if (line[0] == '#') continue;
      ParseLine(display, line_no, line);
    }
  }
  return {};
}

// specifier_printf with sysusers' table under --root: %% and the temporary
// directories expand; the others describe the running machine (%m machine
// id, %H host name, %b boot id, ...), which an image does not have.
bool Sysusers::Specifiers(std::string_view in, std::string* out, std::string* why) const {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%' || i + 1 == in.size()) {
      *out += in[i];
      continue;
    }
    char c = in[++i];
    if (c == '%') {
      *out += '%';
    } else if (c == 'T') {
      *out += "/tmp";
    } else if (c == 'V') {
      *out += "/var/tmp";
    } else if (std::string_view("aAbBHlmMovwW").find(c) != std::string_view::npos) {
      *why = fmt::format("specifier '%{}' describes the running system, not an image", c);
      return false;
    } else {
      *why = "Invalid slot";  // strerror(EBADSLT), as systemd reports it
      return false;
    }
  }
  return true;
}

void Sysusers::ParseLine(const std::string& file, unsigned line_no, std::string_view line) {
  // Messages as systemd-sysusers prints them: "<file>:<line>: <what>".
  auto error = [&](std::string_view what) { Log(fmt::format("{}:{}: {}", file, line_no, what)); };
  std::vector<std::string> words;
  bool trailing = false;
  if (!ExtractWords(line, 6, &words, &trailing)) return error("Syntax error.");
  if (words.size() < 2) return error("Missing action and name columns.");
  if (trailing) return error("Trailing garbage.");
  words.resize(6);
  const std::string& action = words[0];
  if (action.size() != 1) return error(fmt::format("Unknown modifier '{}'.", action));
  char type = action[0];
  if (std::string_view("ugmr").find(type) == std::string_view::npos)
    return error(fmt::format("Unknown command type '{}'.", type));

  // Each column: "" or "-" is unset; specifiers are expanded, then the value
  // is checked, column by column as systemd does.
  auto column = [&](size_t k, std::optional<std::string>* out, std::string_view shown) {
    if (words[k].empty() || words[k] == "-") return true;
    std::string resolved, why;
    if (!Specifiers(words[k], &resolved, &why)) {
      error(fmt::format("Failed to replace specifiers in '{}': {}", shown, why));
      return false;
    }
    *out = std::move(resolved);
    return true;
  };
  std::optional<std::string> name, id, description, home, shell;
  if (!column(1, &name, words[1])) return;
  if (name && !ValidName(*name))
    return error(fmt::format("'{}' is not a valid user or group name.", *name));
  // systemd quotes the name column here (a slip in its message); "(null)" if unset.
  if (!column(2, &id, name ? words[1] : "(null)")) return;
  if (!column(3, &description, words[3])) return;
  if (description && !ValidGecos(*description))
    return error(fmt::format("'{}' is not a valid GECOS field.", *description));
  if (!column(4, &home, words[4])) return;
  if (home) {
    home = SimplifyPath(*home);
    if (!ValidHome(*home))
      return error(fmt::format("'{}' is not a valid home directory field.", *home));
  }
  if (!column(5, &shell, words[5])) return;
  if (shell) {
    shell = SimplifyPath(*shell);
    if (!ValidHome(*shell))
      return error(fmt::format("'{}' is not a valid login shell field.", *shell));
  }
  auto no_extra_fields = [&]() {
    if (!description && !home && !shell) return true;
    error(fmt::format("Lines of type '{}' don't take a {} field.", type,
                      description ? "GECOS"
                      : home      ? "home directory"
                                  : "login shell"));
    return false;
  };

  auto item = std::make_unique<Item>();
  switch (type) {
    case 'r': {
      if (name) return error("Lines of type 'r' don't take a name field.");
      if (!id) return error("Lines of type 'r' require an ID range in the third field.");
      if (!no_extra_fields()) return;
      // parse_uid_range: "a" or "a-b" with a <= b.
      size_t dash = id->find('-');
      uint32_t lo = 0, hi = 0;
      bool ok = ParseUid(id->substr(0, dash), &lo) == IdError::kNone;
      if (ok && dash == std::string::npos)
        hi = lo;
      else if (ok)
        ok = ParseUid(id->substr(dash + 1), &hi) == IdError::kNone && lo <= hi;
      if (!ok) return error(fmt::format("Invalid UID range {}.", *id));
      AddRange(lo, hi);
      return;
    }
    case 'm': {
      if (!name) return error("Lines of type 'm' require a user name in the second field.");
      if (!id) return error("Lines of type 'm' require a group name in the third field.");
      if (!ValidName(*id))
        return error(fmt::format("'{}' is not a valid user or group name.", *id));
      if (!no_extra_fields()) return;
      auto it = std::find_if(members_.begin(), members_.end(),
                             [&](const auto& m) { return m.first == *id; });
      if (it == members_.end()) {
        members_.push_back({*id, {*name}});
      } else if (std::find(it->second.begin(), it->second.end(), *name) == it->second.end()) {
        it->second.push_back(*name);
      }
      return;
    }
    case 'u': {
      if (!name) return error("Lines of type 'u' require a user name in the second field.");
      if (id) {
        if (id->front() == '/') {
          item->uid_path = SimplifyPath(*id);
        } else {
          std::string uid_part = *id;
          if (size_t colon = id->find(':'); colon != std::string::npos) {
            uid_part = id->substr(0, colon);
            std::string gid_part = id->substr(colon + 1);
            IdError e = ParseUid(gid_part, &item->gid);
            if (e == IdError::kNone) {
              item->gid_set = true;
              item->id_set_strict = true;
            } else if (ValidName(gid_part)) {
              item->group_name = gid_part;
            } else {
              return error(fmt::format("Failed to parse GID: '{}': {}", words[2], Strerror(e)));
            }
          }
          if (uid_part != "-") {
            IdError e = ParseUid(uid_part, &item->uid);
            if (e != IdError::kNone)
              return error(fmt::format("Failed to parse UID: '{}': {}", words[2], Strerror(e)));
            item->uid_set = true;
          }
        }
      }
      item->description = description;
      item->home = home;
      item->shell = shell;
      break;
    }
    case 'g': {
      if (!name) return error("Lines of type 'g' require a user name in the second field.");
      if (!no_extra_fields()) return;
      if (id) {
        if (id->front() == '/') {
          item->gid_path = SimplifyPath(*id);
        } else {
          IdError e = ParseUid(*id, &item->gid);
          if (e != IdError::kNone)
            return error(fmt::format("Failed to parse GID: '{}': {}", words[2], Strerror(e)));
          item->gid_set = true;
        }
      }
      break;
    }
  }
  item->type = type;
  item->name = *name;
  Item* existing = type == 'u' ? FindUser(item->name) : FindGroup(item->name);
  if (existing) {
    if (!Equivalent(*item, *existing))
      error(fmt::format("Conflict with earlier configuration for {} '{}', ignoring line.",
                        type == 'u' ? "user" : "group", item->name));
    return;
  }
  if (type == 'u')
    PutUser(std::move(item));
  else
    PutGroup(std::move(item));
}

// pick_shell: root gets /bin/bash if the image has it (default_root_shell),
// else /bin/sh; everyone else nologin.
std::string Sysusers::PickShell(const Item& i) const {
  if (i.type != 'u') return "";
  if (i.shell) return *i.shell;
  if (i.uid_set && i.uid == 0)
    return internal::ExistsResolved(tree_, "bin/bash") ? "/bin/bash" : "/bin/sh";
  return kNologin;
}

// item_equivalent: a repeated line is fine if it says the same; shells match
// when equal, both "nologin"-like, or the same file in the image.
bool Sysusers::Equivalent(const Item& a, const Item& b) const {
  if (a.type != b.type || a.name != b.name || a.uid_path != b.uid_path ||
      a.gid_path != b.gid_path || a.description != b.description || a.uid_set != b.uid_set ||
      (a.uid_set && a.uid != b.uid) || a.gid_set != b.gid_set || (a.gid_set && a.gid != b.gid) ||
      a.home != b.home)
    return false;
  std::string sa = PickShell(a), sb = PickShell(b);
  if (SimplifyPath(sa) == SimplifyPath(sb)) return true;
  auto nologin = [](const std::string& s) {
    for (const char* n : {"/bin/nologin", "/sbin/nologin", "/usr/bin/nologin", "/usr/sbin/nologin",
                          "/bin/false", "/usr/bin/false", "/bin/true", "/usr/bin/true"})
      if (SimplifyPath(s) == n) return true;
    return false;
  };
  if (nologin(sa) && nologin(sb)) return true;
  auto ra = tree_.Resolve(std::string_view(sa).substr(1));
  auto rb = tree_.Resolve(std::string_view(sb).substr(1));
  return ra.ok() && rb.ok() && *ra == *rb;
}

// uid_range_add: keeps the ranges sorted and merges overlapping or adjacent ones.
void Sysusers::AddRange(uint32_t start, uint32_t end) {
  ranges_.push_back({start, end});
  std::sort(ranges_.begin(), ranges_.end(),
            [](const Range& a, const Range& b) { return a.start < b.start; });
  std::vector<Range> merged;
  for (const Range& r : ranges_) {
    if (!merged.empty() && static_cast<uint64_t>(merged.back().end) + 1 >= r.start)
      merged.back().end = std::max(merged.back().end, r.end);
    else
      merged.push_back(r);
  }
  ranges_ = std::move(merged);
}

// uid_range_next_lower: the next candidate below *id, or the top of the
// nearest range below it.
bool Sysusers::NextLower(uint32_t* id) const {
  if (*id == 0) return false;
  uint32_t candidate = *id - 1;
  uint32_t closest = kInvalidId;
  for (const Range& r : ranges_) {
    if (candidate >= r.start && candidate <= r.end) {
      *id = candidate;
      return true;
    }
    if (r.end < candidate) closest = r.end;
  }
  if (closest == kInvalidId) return false;
  *id = closest;
  return true;
}

bool Sysusers::InRange(uint32_t id) const {
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&](const Range& r) { return id >= r.start && id <= r.end; });
}

// add_implicit: 'm' lines create the users and groups they name.
void Sysusers::AddImplicit() {
  for (const auto& [group, users] : members_) {
    for (const std::string& user : users)
      if (!FindUser(user)) {
        auto i = std::make_unique<Item>();
        i->type = 'u';
        i->name = user;
        PutUser(std::move(i));
      }
    if (!FindUser(group) && !FindGroup(group)) {
      auto i = std::make_unique<Item>();
      i->type = 'g';
      i->name = group;
      PutGroup(std::move(i));
    }
  }
}

Status Sysusers::LoadDatabases() {
  CAIRN_ASSIGN_OR_RETURN(passwd_, AccountFile::Read(tree_, "etc/passwd"));
  CAIRN_ASSIGN_OR_RETURN(group_, AccountFile::Read(tree_, "etc/group"));
  CAIRN_ASSIGN_OR_RETURN(shadow_, AccountFile::Read(tree_, "etc/shadow"));
  CAIRN_ASSIGN_OR_RETURN(gshadow_, AccountFile::Read(tree_, "etc/gshadow"));
  // sysusers reads and writes every database through glibc.
  internal::RoundTripThroughGlibc(passwd_, internal::Database::kPasswd);
  internal::RoundTripThroughGlibc(group_, internal::Database::kGroup);
  internal::RoundTripThroughGlibc(shadow_, internal::Database::kShadow);
  internal::RoundTripThroughGlibc(gshadow_, internal::Database::kGshadow);
  // The first entry of a name or id wins.
  for (const Record& r : passwd_.records()) {
    if (r.size() < 7 || r[0].empty() || r[0][0] == '+' || r[0][0] == '-') continue;
    auto uid = internal::ParseId(r[2]);
    if (!uid) continue;
    db_by_username_.emplace(r[0], *uid);
    db_by_uid_.emplace(*uid, r[0]);
  }
  for (const Record& r : group_.records()) {
    if (r.size() < 4 || r[0].empty() || r[0][0] == '+' || r[0][0] == '-') continue;
    auto gid = internal::ParseId(r[2]);
    if (!gid) continue;
    db_by_groupname_.emplace(r[0], *gid);
    db_by_gid_.emplace(*gid, r[0]);
  }
  return {};
}

bool Sysusers::UidIsOk(uint32_t uid, const std::string& name, bool check_with_gid) const {
  if (todo_uid_index_.count(uid)) return false;
  if (check_with_gid) {
    auto it = todo_gid_index_.find(uid);
    if (it != todo_gid_index_.end() && it->second->name != name) return false;
  }
  if (db_by_uid_.count(uid)) return false;
  if (check_with_gid) {
    auto it = db_by_gid_.find(uid);
    if (it != db_by_gid_.end() && it->second != name) return false;
  }
  return true;
}

// A suggested gid is only checked against groups; allocated or reused ones
// must not be anyone's uid either.
bool Sysusers::GidIsOk(uint32_t gid, bool check_with_uid) const {
  if (todo_gid_index_.count(gid) || db_by_gid_.count(gid)) return false;
  return !check_with_uid || (!todo_uid_index_.count(gid) && !db_by_uid_.count(gid));
}

std::optional<uint32_t> Sysusers::GidByName(const std::string& name) const {
  auto it = db_by_groupname_.find(name);
  if (it == db_by_groupname_.end()) return std::nullopt;
  return it->second;
}

// read_id_from_file: the owner of a path in the image.
bool Sysusers::ReadIdFromFile(const Item& i, uint32_t* uid, uint32_t* gid) const {
  auto stat = [&](const std::optional<std::string>& path) -> const rootfs::Node* {
    if (!path) return nullptr;
    auto resolved = tree_.Resolve(std::string_view(*path).substr(1));
    if (!resolved.ok() || resolved->empty()) return nullptr;
    return tree_.Find(*resolved);
  };
  bool found_uid = false, found_gid = false;
  uint32_t u = 0, g = 0;
  if (gid) {
    if (const rootfs::Node* n = stat(i.gid_path)) {
      g = n->meta.gid;
      found_gid = true;
    }
  }
  if (uid || (gid && !found_gid)) {
    if (const rootfs::Node* n = stat(i.uid_path)) {
      u = n->meta.uid;
      found_uid = true;
      if (gid && !found_gid) {
        g = n->meta.gid;
        found_gid = true;
      }
    }
  }
  if (uid && !found_uid && i.gid_path) {
    if (found_gid) {
      u = g;
      found_uid = true;
    } else if (const rootfs::Node* n = stat(i.gid_path)) {
      u = n->meta.gid;
      found_uid = true;
    }
  }
  if (uid) {
    if (!found_uid) return false;
    *uid = u;
  }
  if (gid) {
    if (!found_gid) return false;
    *gid = g;
  }
  return true;
}

bool Sysusers::AddUser(Item& i) {
  if (auto it = db_by_username_.find(i.name); it != db_by_username_.end()) {
    i.uid = it->second;
    i.uid_set = true;
    return true;
  }
  if (i.uid_set && !UidIsOk(i.uid, i.name, !i.id_set_strict)) {
    Log(fmt::format("Suggested user ID {} for {} already used.", i.uid, i.name));
    i.uid_set = false;
  }
  if (!i.uid_set) {
    uint32_t c = 0;
    if (ReadIdFromFile(i, &c, nullptr) && c > 0 && InRange(c) && UidIsOk(c, i.name, true)) {
      i.uid = c;
      i.uid_set = true;
    }
  }
  if (!i.uid_set && i.gid_set && UidIsOk(i.gid, i.name, true)) {
    i.uid = i.gid;
    i.uid_set = true;
  }
  if (!i.uid_set) {
    for (;;) {
      if (!NextLower(&search_uid_)) {
        Log(fmt::format("No free user ID available for {}.", i.name));
        return false;
      }
      if (UidIsOk(search_uid_, i.name, true)) break;
    }
    i.uid = search_uid_;
    i.uid_set = true;
  }
  todo_uids_.push_back(&i);
  todo_uid_index_[i.uid] = &i;
  i.todo_user = true;
  Log(fmt::format("Creating user '{}' ({}) with UID {} and GID {}.", i.name,
                  i.description ? *i.description : "n/a", i.uid, i.gid));
  return true;
}

bool Sysusers::AddGroup(Item& i) {
  if (auto gid = GidByName(i.name)) {
    i.gid = *gid;
    i.gid_set = true;
    return true;
  }
  if (i.gid_set) {
    bool ok = GidIsOk(i.gid, /*check_with_uid=*/false);
    if (i.id_set_strict) {
      // The gid must already exist; then there is nothing to create.
      if (ok) {
        Log(fmt::format("Failed to create {}: please create GID {}", i.name, i.gid));
        return false;
      }
      return true;
    }
    if (!ok) {
      Log(fmt::format("Suggested group ID {} for {} already used.", i.gid, i.name));
      i.gid_set = false;
    }
  }
  if (!i.gid_set && i.uid_set && GidIsOk(i.uid, true)) {
    i.gid = i.uid;
    i.gid_set = true;
  }
  if (!i.gid_set) {
    uint32_t c = 0;
    if (ReadIdFromFile(i, nullptr, &c) && c > 0 && InRange(c) && GidIsOk(c, true)) {
      i.gid = c;
      i.gid_set = true;
    }
  }
  if (!i.gid_set) {
    for (;;) {
      // New gids come from the uid pool too.
      if (!NextLower(&search_uid_)) {
        Log(fmt::format("No free group ID available for {}.", i.name));
        return false;
      }
      if (GidIsOk(search_uid_, true)) break;
    }
    i.gid = search_uid_;
    i.gid_set = true;
  }
  todo_gids_.push_back(&i);
  todo_gid_index_[i.gid] = &i;
  i.todo_group = true;
  Log(fmt::format("Creating group '{}' with GID {}.", i.name, i.gid));
  return true;
}

bool Sysusers::ProcessItem(Item& i) {
  if (i.type == 'g') return AddGroup(i);
  // A queued group of that name is used, unless the line gave a gid.
  Item* j = i.gid_set ? nullptr : FindGroup(i.group_name ? *i.group_name : i.name);
  if (j && j->todo_group) {
    // The group is queued already: use it instead of making another.
    i.gid_set = j->gid_set;
    i.gid = j->gid;
    i.id_set_strict = true;
  } else if (i.group_name) {
    auto gid = GidByName(*i.group_name);
    if (!gid) {
      Log(fmt::format("Group {} not found.", *i.group_name));
      return false;
    }
    i.gid = *gid;
    i.gid_set = true;
    i.id_set_strict = true;
  } else if (!AddGroup(i)) {
    return false;
  }
  return AddUser(i);
}

// putgrent_with_members / putsgent_with_members: the 'm' members of a group
// are added to its list, which is then sorted, only if one was missing.
bool MergeMembers(Record& record, size_t field,
                  const std::vector<std::pair<std::string, std::vector<std::string>>>& members) {
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const auto& m) { return m.first == record[0]; });
  if (it == members.end()) return false;
  std::vector<std::string> list = internal::SplitMembers(record[field]);
  bool added = false;
  for (const std::string& m : it->second)
    if (std::find(list.begin(), list.end(), m) == list.end()) {
      list.push_back(m);
      added = true;
    }
  if (!added) return false;
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
  record[field] = internal::JoinFields(list, ',');
  return true;
}

bool IsNis(const Record& r) {
  return !r.empty() && !r[0].empty() && (r[0][0] == '+' || r[0][0] == '-');
}

// Existing records up to the first NIS line, then `added`, then the rest.
void InsertBeforeNis(AccountFile& file, std::vector<Record> added) {
  auto& records = file.records();
  auto nis = std::find_if(records.begin(), records.end(), IsNis);
  records.insert(nis, std::make_move_iterator(added.begin()), std::make_move_iterator(added.end()));
}

Status Sysusers::WriteFiles() {
  const FileMeta kPublic{0644, 0, 0};
  const FileMeta kSecret{0000, 0, 0};  // sysusers creates missing shadow files 0000
  bool groups_pending = !todo_gids_.empty() || !members_.empty();
  if (groups_pending) {
    bool changed = false;
    for (Record& r : group_.records())
      if (r.size() >= 4 && !IsNis(r) && MergeMembers(r, 3, members_)) changed = true;
    std::vector<Record> added;
    for (Item* i : todo_gids_) {
      Record r{i->name, "x", std::to_string(i->gid), ""};
      MergeMembers(r, 3, members_);
      added.push_back(std::move(r));
    }
    changed |= !added.empty();
    InsertBeforeNis(group_, std::move(added));
    if (changed) CAIRN_TRY(group_.Write(tree_, kPublic, mtime_));

    // gshadow keeps no NIS tail: new entries are simply appended.
    changed = false;
    for (Record& r : gshadow_.records())
      if (r.size() >= 4 && MergeMembers(r, 3, members_)) changed = true;
    for (Item* i : todo_gids_) {
      Record r{i->name, "!*", "", ""};
      MergeMembers(r, 3, members_);
      gshadow_.Append(std::move(r));
      changed = true;
    }
    if (changed) CAIRN_TRY(gshadow_.Write(tree_, kSecret, mtime_));
  }
  if (todo_uids_.empty()) return {};

  std::vector<Record> added;
  for (Item* i : todo_uids_) {
    std::string shell = PickShell(*i);
    added.push_back({i->name, "x", std::to_string(i->uid), std::to_string(i->gid),
                     i->description.value_or(""), i->home.value_or("/"), shell});
  }
  InsertBeforeNis(passwd_, std::move(added));
  CAIRN_TRY(passwd_.Write(tree_, kPublic, mtime_));

  // An existing shadow line of a new user only gets a fresh last-change day.
  std::string lstchg = std::to_string(internal::DaysSinceEpoch(mtime_));
  std::vector<Item*> remaining = todo_uids_;
  for (Record& r : shadow_.records()) {
    if (r.size() < 9 || IsNis(r)) continue;
    Item* i = FindUser(r[0]);
    if (!i || !i->todo_user) continue;
    r[2] = lstchg;
    remaining.erase(std::remove(remaining.begin(), remaining.end(), i), remaining.end());
  }
  added.clear();
  for (Item* i : remaining) added.push_back({i->name, "!*", lstchg, "", "", "", "", "", ""});
  InsertBeforeNis(shadow_, std::move(added));
  return shadow_.Write(tree_, kSecret, mtime_);
}

}  // namespace

Status ApplySysusers(rootfs::Tree& tree, int64_t mtime, std::vector<std::string>* log) {
  Sysusers sysusers(tree, mtime, log);
  return sysusers.Run();
}

}  // namespace cairn::effects
