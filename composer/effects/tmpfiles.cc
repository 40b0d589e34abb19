// systemd-tmpfiles --create over rootfs::Tree. The order of work follows
// systemd 252's tmpfiles.c: lines are grouped by path (first path seen first),
// a path's parent group is processed before it, creating lines before
// adjusting ones, and glob lines after every plain path.
#include "cairn/effects/tmpfiles.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "effects/passwd_file.h"
#include "effects/tree_lookup.h"

namespace cairn::effects {
namespace {

using internal::IsDirectoryNode;
using internal::IsRegularNode;
using internal::IsSymlinkNode;
using internal::LstatNode;
using internal::StatNode;
using internal::TreePath;

// Where systemd 252 (built with split-usr on Debian) looks for tmpfiles.d.
constexpr const char* kConfigDirs[] = {"etc/tmpfiles.d", "run/tmpfiles.d",
                                       "usr/local/lib/tmpfiles.d", "lib/tmpfiles.d",
                                       "usr/lib/tmpfiles.d"};

struct Item {
  char type = 0;
  bool plus = false;
  std::string path;  // absolute, normalised
  bool mode_set = false, mode_only_create = false, mask_perms = false;
  uint32_t mode = 0;
  bool uid_set = false, uid_only_create = false;
  uint32_t uid = 0;
  bool gid_set = false, gid_only_create = false;
  uint32_t gid = 0;
  std::optional<std::string> argument;
  std::string where;  // "file:line" for the log
  bool done = false;
};

bool TakesOwnership(char t) {
  return std::string_view("fFdDvqQpLcbCwxXrR").find(t) != std::string_view::npos;
}

bool GlobType(char t) {
  return std::string_view("zZxXrRewaAhHtT").find(t) != std::string_view::npos;
}

bool IsGlob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// systemd's item_compatible(): two creating lines for one path must agree.
bool Compatible(const Item& a, const Item& b) {
  if (!TakesOwnership(a.type) || !TakesOwnership(b.type)) return true;
  return a.type == b.type && a.argument == b.argument && a.uid_set == b.uid_set &&
         a.uid == b.uid && a.uid_only_create == b.uid_only_create && a.gid_set == b.gid_set &&
         a.gid == b.gid && a.gid_only_create == b.gid_only_create && a.mode_set == b.mode_set &&
         a.mode == b.mode && a.mode_only_create == b.mode_only_create &&
         a.mask_perms == b.mask_perms;
}

// A line's failure: logged, the line skipped, as systemd-tmpfiles does.
struct Skip {
  std::string why;
};

class Applier {
 public:
  Applier(rootfs::Tree& tree, int64_t mtime, std::vector<std::string>* log)
      : tree_(tree), mtime_(mtime), log_(log) {}

  Status Run(const std::vector<std::string>& configs);

 private:
  void Log(std::string line) {
    if (log_) log_->push_back(std::move(line));
  }
  std::vector<std::pair<std::string, std::string>> FindConfigs(
      const std::vector<std::string>& configs);
  void ParseFile(const std::string& key, const std::string& shown);
  std::optional<Skip> ParseLine(std::string_view line, Item* item);
  std::optional<Skip> Expand(std::string_view in, std::string* out);
  std::optional<Skip> ResolveId(std::string_view field, bool user, bool* set, bool* only_create,
                                uint32_t* id);
  std::optional<std::string> OsRelease(std::string_view key);
  bool Excluded(std::string_view tree_path) const;
  Status ProcessPath(const std::string& path);
  Status ProcessItem(Item& item);
  Status Create(Item& item);
  void SetPerms(const Item& item, const std::string& key, bool created);
  std::vector<std::string> Glob(const std::string& pattern) const;
  Status CopyTree(const std::string& from, const std::string& to);

  rootfs::Tree& tree_;
  int64_t mtime_;
  std::vector<std::string>* log_;
  std::vector<std::string> order_;                 // plain paths, first seen first
  std::vector<std::string> glob_order_;            // glob paths
  std::map<std::string, std::vector<Item>> items_;  // path -> its lines
  std::map<std::string, std::vector<Item>> globs_;
  std::optional<internal::AccountFile> passwd_, group_;
};

std::string Normalize(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (!part.empty() && part != ".") parts.push_back(part);
    i = j + 1;
  }
  std::string out;
  for (auto p : parts) out += fmt::format("/{}", p);
  return out.empty() ? "/" : out;
}

// systemd's extract_first_word(UNQUOTE|CUNESCAPE) for the first six fields.
bool NextWord(std::string_view* rest, std::string* word) {
  size_t i = 0;
  while (i < rest->size() && ((*rest)[i] == ' ' || (*rest)[i] == '\t')) ++i;
  if (i == rest->size()) {
    *rest = {};
    return false;
  }
  word->clear();
  char quote = 0;
  for (; i < rest->size(); ++i) {
    char c = (*rest)[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
        continue;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      continue;
    } else if (c == ' ' || c == '\t') {
      break;
    }
    if (c == '\\' && i + 1 < rest->size()) c = (*rest)[++i];
    word->push_back(c);
  }
  *rest = rest->substr(i);
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// systemd's cunescape() for f/w arguments: \n \t \xNN \NNN and friends.
std::string CUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case 's': out.push_back(' '); break;
      case 'x':
        if (i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
          out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
          i += 2;
        } else {
          out += "\\x";
        }
        break;
      default:
        if (c >= '0' && c <= '7' && i + 2 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7' &&
            s[i + 2] >= '0' && s[i + 2] <= '7') {
          out.push_back(static_cast<char>((c - '0') * 64 + (s[i + 1] - '0') * 8 + (s[i + 2] - '0')));
          i += 2;
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::optional<std::string> Applier::OsRelease(std::string_view key) {
  auto text = tree_.ReadFile("etc/os-release");
  if (!text.ok()) text = tree_.ReadFile("usr/lib/os-release");
  if (!text.ok()) return std::nullopt;
  std::string value;
  for (const auto& line : internal::SplitFields(*text, '\n')) {
    if (line.size() <= key.size() || line.compare(0, key.size(), key) != 0 ||
        line[key.size()] != '=')
      continue;
    std::string_view v = std::string_view(line).substr(key.size() + 1);
    std::string word;
    value = NextWord(&v, &word) ? word : "";
  }
  return value;
}

std::optional<Skip> Applier::Expand(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 1 == in.size()) return Skip{"'%' at the end of a specifier"};
    char c = in[++i];
    switch (c) {
      case '%': *out += '%'; break;
      // systemd-tmpfiles runs as root: the invoking user's values.
      case 'h': *out += "/root"; break;
      case 'u': case 'g': *out += "root"; break;
      case 'U': case 'G': *out += '0'; break;
      // systemd 252 prefixes these with --root; the image means the plain path.
      case 'S': *out += "/var/lib"; break;
      case 'C': *out += "/var/cache"; break;
      case 'L': *out += "/var/log"; break;
      case 't': *out += "/run"; break;
      case 'T': *out += "/tmp"; break;
      case 'V': *out += "/var/tmp"; break;
      case 'm': {
        auto id = tree_.ReadFile("etc/machine-id");
        std::string text = id.ok() ? *id : "";
        if (!text.empty() && text.back() == '\n') text.pop_back();
        bool valid = text.size() == 32 && std::all_of(text.begin(), text.end(), [](char ch) {
                       return HexValue(ch) >= 0 && !(ch >= 'A' && ch <= 'F');
                     });
        if (!valid) return Skip{"'%m' needs a machine id and etc/machine-id has none"};
        *out += text;
        break;
      }
      case 'o': case 'w': case 'W': case 'B': case 'A': case 'M': {
        const char* key = c == 'o' ? "ID" : c == 'w' ? "VERSION_ID" : c == 'W' ? "VARIANT_ID"
                        : c == 'B' ? "BUILD_ID" : c == 'A' ? "IMAGE_VERSION" : "IMAGE_ID";
        auto value = OsRelease(key);
        if (!value) return Skip{fmt::format("'%{}' needs an os-release file", c)};
        *out += *value;
        break;
      }
      case 'b': case 'H': case 'l': case 'v': case 'a':
        return Skip{fmt::format("'%{}' describes the running host, not the image", c)};
      default:
        return Skip{fmt::format("unknown specifier '%{}'", c)};
    }
  }
  return std::nullopt;
}

std::optional<Skip> Applier::ResolveId(std::string_view field, bool user, bool* set,
                                       bool* only_create, uint32_t* id) {
  if (field.empty() || field == "-") return std::nullopt;
  if (field.front() == ':') {
    *only_create = true;
    field.remove_prefix(1);
  }
  *set = true;
  if (auto n = internal::ParseId(field)) {
    *id = *n;
    return std::nullopt;
  }
  auto& db = user ? passwd_ : group_;
  if (!db) {
    auto file = internal::AccountFile::Read(tree_, user ? "etc/passwd" : "etc/group");
    db = file.ok() ? std::move(*file) : internal::AccountFile();
  }
  const internal::Record* rec = db->Find(field);
  std::optional<uint32_t> n;
  if (rec && rec->size() > 2) n = internal::ParseId((*rec)[2]);
  if (!n)
    return Skip{fmt::format("unknown {} '{}' (expected a name in {} or a number)",
                            user ? "user" : "group", field, user ? "etc/passwd" : "etc/group")};
  *id = *n;
  return std::nullopt;
}

std::optional<Skip> Applier::ParseLine(std::string_view line, Item* item) {
  std::string action, path, mode, user, group, age;
  std::string_view rest = line;
  NextWord(&rest, &action);
  if (!NextWord(&rest, &path)) return Skip{"expected a type and a path"};
  NextWord(&rest, &mode);
  NextWord(&rest, &user);
  NextWord(&rest, &group);
  NextWord(&rest, &age);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  if (!rest.empty() && rest != "-") item->argument = std::string(rest);

  item->type = action[0];
  for (char m : std::string_view(action).substr(1)) {
    switch (m) {
      case '+': item->plus = true; break;
      case '!': return Skip{fmt::format("boot-only line for '{}'", path)};
      case '^': return Skip{fmt::format("credential line for '{}'", path)};
      case '~': return Skip{fmt::format("base64 argument for '{}' is not supported", path)};
      case '-': case '=': break;  // ignore failures; type check on removal
      default: return Skip{fmt::format("unknown modifier '{}' in '{}'", m, action)};
    }
  }
  if (std::string_view("dDvqQfFLCzZxXrRewpcbaAhHtT").find(item->type) == std::string_view::npos)
    return Skip{fmt::format("unknown type '{}'", action)};
  if (std::string_view("wpcbaAhHtT").find(item->type) != std::string_view::npos) {
    return Skip{fmt::format("'{}' line for '{}' has no image-build counterpart", action, path)};
  }
  if (item->type == 'F') {  // the deprecated spelling of f+
    item->type = 'f';
    item->plus = true;
  }

  std::string expanded;
  if (auto s = Expand(path, &expanded)) return s;
  if (expanded.empty() || expanded.front() != '/')
    return Skip{fmt::format("path '{}' is not absolute", expanded)};
  item->path = Normalize(expanded);
  if (item->argument && std::string_view("LfCw").find(item->type) != std::string_view::npos) {
    if (auto s = Expand(*item->argument, &expanded)) return s;
    item->argument = item->type == 'f' || item->type == 'w' ? CUnescape(expanded) : expanded;
  }

  if (!mode.empty() && mode != "-") {
    std::string_view m = mode;
    while (!m.empty() && (m.front() == ':' || m.front() == '~')) {
      (m.front() == ':' ? item->mode_only_create : item->mask_perms) = true;
      m.remove_prefix(1);
    }
    uint32_t value = 0;
    if (m.empty() || m.size() > 4 || m.find_first_not_of("01234567") != std::string_view::npos)
      return Skip{fmt::format("invalid mode '{}' (expected octal digits up to 7777)", mode)};
    for (char c : m) value = value * 8 + static_cast<uint32_t>(c - '0');
    item->mode_set = true;
    item->mode = value;
  }
  if (auto s = ResolveId(user, true, &item->uid_set, &item->uid_only_create, &item->uid)) return s;
  if (auto s = ResolveId(group, false, &item->gid_set, &item->gid_only_create, &item->gid))
    return s;
  return std::nullopt;
}

void Applier::ParseFile(const std::string& key, const std::string& shown) {
  auto text = tree_.ReadFile(key);
  if (!text.ok()) {
    Log(fmt::format("tmpfiles: cannot read '{}'", shown));
    return;
  }
  std::vector<std::string> lines = internal::SplitFields(*text, '\n');
  for (size_t n = 0; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    while (!line.empty() && std::string_view(" \t\r").find(line.front()) != std::string_view::npos)
      line.remove_prefix(1);
    while (!line.empty() && std::string_view(" \t\r").find(line.back()) != std::string_view::npos)
      line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = fmt::format("{}:{}", shown, n + 1);
    Item item;
    item.where = where;
    if (auto skip = ParseLine(line, &item)) {
      Log(fmt::format("tmpfiles: {}: skipping {}", where, skip->why));
      continue;
    }
    const bool glob = GlobType(item.type) && IsGlob(item.path);
    auto& map = glob ? globs_ : items_;
    auto& group = map[item.path];
    if (group.empty()) (glob ? glob_order_ : order_).push_back(item.path);
    bool dup = std::any_of(group.begin(), group.end(),
                           [&](const Item& other) { return !Compatible(other, item); });
    if (dup) {
      Log(fmt::format("tmpfiles: {}: skipping duplicate line for '{}'", where, item.path));
      continue;
    }
    group.push_back(std::move(item));
    std::stable_sort(group.begin(), group.end(), [](const Item& a, const Item& b) {
      bool oa = TakesOwnership(a.type), ob = TakesOwnership(b.type);
      if (oa != ob) return oa;
      return a.type < b.type;
    });
  }
}

std::vector<std::pair<std::string, std::string>> Applier::FindConfigs(
    const std::vector<std::string>& configs) {
  // Directories that are one place (lib -> usr/lib) are searched once.
  std::vector<std::string> dirs;
  for (const char* dir : kConfigDirs) {
    auto resolved = tree_.Resolve(dir);
    if (!resolved.ok() || !IsDirectoryNode(tree_.Find(*resolved))) continue;
    if (std::find(dirs.begin(), dirs.end(), *resolved) == dirs.end()) dirs.push_back(*resolved);
  }
  auto masked = [&](const std::string& key) {
    const rootfs::Node* node = tree_.Find(key);
    return IsSymlinkNode(node) && node->meta.link_target == "/dev/null";
  };
  std::vector<std::pair<std::string, std::string>> out;  // tree key, name shown in the log
  if (configs.empty()) {
    std::map<std::string, std::string> by_name;
    for (const auto& dir : dirs) {
      const std::string prefix = dir + "/";
      for (auto it = tree_.nodes().lower_bound(prefix);
           it != tree_.nodes().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        std::string name = it->first.substr(prefix.size());
        if (name.find('/') != std::string::npos || name.size() < 5 ||
            name.compare(name.size() - 5, 5, ".conf") != 0)
          continue;
        by_name.emplace(name, it->first);
      }
    }
    for (const auto& [name, key] : by_name) {
      if (masked(key)) continue;
      if (!IsRegularNode(StatNode(tree_, key))) continue;
      out.emplace_back(key, "/" + key);
    }
    return out;
  }
  for (const auto& config : configs) {
    if (config.find('/') != std::string::npos) {
      out.emplace_back(TreePath(config), "/" + TreePath(config));
      continue;
    }
    bool found = false;
    for (const auto& dir : dirs) {
      std::string key = dir + "/" + config;
      if (!tree_.Find(key)) continue;
      found = true;
      if (!masked(key)) out.emplace_back(key, "/" + key);
      break;
    }
    if (!found)
      Log(fmt::format("tmpfiles: skipping '{}': not found in any tmpfiles.d directory", config));
  }
  return out;
}

// What mmdebstrap's image keeps of these: only run/lock.
bool Applier::Excluded(std::string_view p) const {
  auto under = [&](std::string_view root) {
    return p == root || (p.size() > root.size() && p.compare(0, root.size(), root) == 0 &&
                         p[root.size()] == '/');
  };
  if (under("run/lock")) return false;
  return under("run") || under("tmp") || under("var/tmp") || under("proc") || under("sys") ||
         under("dev");
}

void Applier::SetPerms(const Item& item, const std::string& key, bool created) {
  rootfs::Node* node = tree_.FindMutable(key);
  if (!node) return;
  rootfs::FsEntry& meta = node->meta;
  const uint32_t old_mode = meta.mode, old_uid = meta.uid, old_gid = meta.gid;
  if (item.uid_set && (created || !item.uid_only_create)) meta.uid = item.uid;
  if (item.gid_set && (created || !item.gid_only_create)) meta.gid = item.gid;
  if (item.mode_set && (created || !item.mode_only_create) &&
      meta.type != rootfs::FileType::kSymlink) {
    uint32_t mode = item.mode;
    if (item.mask_perms) {  // systemd's process_mask_perms()
      if ((meta.mode & 0111) == 0) mode &= ~0111u;
      if ((meta.mode & 0222) == 0) mode &= ~0222u;
      if ((meta.mode & 0444) == 0) mode &= ~0444u;
      if (meta.type != rootfs::FileType::kDirectory) mode &= ~07000u;
    }
    meta.mode = mode;
  }
  if (!created && (meta.mode != old_mode || meta.uid != old_uid || meta.gid != old_gid))
    Log(fmt::format("tmpfiles: {}: set '/{}' to mode {:04o} owner {}:{}", item.where, key,
                    meta.mode, meta.uid, meta.gid));
}

std::vector<std::string> Applier::Glob(const std::string& pattern) const {
  std::vector<std::string> current = {""};
  for (const auto& part : internal::SplitFields(TreePath(pattern), '/')) {
    std::vector<std::string> next;
    for (const auto& base : current) {
      auto dir = tree_.Resolve(base);
      if (!dir.ok()) continue;
      if (!IsGlob(part)) {
        std::string key = dir->empty() ? part : *dir + "/" + part;
        if (tree_.Find(key)) next.push_back(key);
        continue;
      }
      const std::string prefix = dir->empty() ? "" : *dir + "/";
      for (auto it = tree_.nodes().lower_bound(prefix);
           it != tree_.nodes().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        std::string name = it->first.substr(prefix.size());
        if (name.find('/') != std::string::npos) continue;
        if (fnmatch(part.c_str(), name.c_str(), FNM_PERIOD) == 0) next.push_back(it->first);
      }
    }
    current = std::move(next);
  }
  return current;
}

Status Applier::CopyTree(const std::string& from, const std::string& to) {
  const rootfs::Node* src = tree_.Find(from);
  if (!src) return {};
  rootfs::FsEntry entry = src->meta;
  entry.path = to;
  if (IsRegularNode(src)) {
    CAIRN_ASSIGN_OR_RETURN(std::string data, tree_.ReadFile(from));
    entry.type = rootfs::FileType::kRegular;
    entry.link_target.clear();
    entry.size = data.size();
    size_t pos = 0;
    rootfs::ContentReader reader = [&](char* buf, size_t cap) -> Result<size_t> {
      size_t n = std::min(cap, data.size() - pos);
      std::copy_n(data.data() + pos, n, buf);
      pos += n;
      return n;
    };
    return tree_.Add(std::move(entry), &reader);
  }
  CAIRN_TRY(tree_.Add(std::move(entry), nullptr));
  if (src->meta.type != rootfs::FileType::kDirectory) return {};
  std::vector<std::string> children;
  const std::string prefix = from + "/";
  for (auto it = tree_.nodes().lower_bound(prefix);
       it != tree_.nodes().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    if (it->first.find('/', prefix.size()) == std::string::npos)
      children.push_back(it->first.substr(prefix.size()));
  for (const auto& name : children) CAIRN_TRY(CopyTree(prefix + name, to + "/" + name));
  return {};
}

Status Applier::Create(Item& item) {
  std::string key;
  const rootfs::Node* node = LstatNode(tree_, item.path, &key);
  if (key.empty()) {
    Log(fmt::format("tmpfiles: {}: skipping '{}': a symlink loop is in the way", item.where,
                    item.path));
    return {};
  }
  if (Excluded(TreePath(item.path)) || Excluded(key)) {
    Log(fmt::format("tmpfiles: {}: skipping '{}': emptied at boot", item.where, item.path));
    return {};
  }
  const char t = item.type;
  if (t == 'd' || t == 'D' || t == 'v' || t == 'q' || t == 'Q') {
    if (!node) {
      CAIRN_TRY(tree_.AddDirectory(key, item.mode_set ? item.mode : 0755, 0, 0, mtime_));
      SetPerms(item, key, true);
      Log(fmt::format("tmpfiles: {}: created directory '/{}'", item.where, key));
    } else if (IsDirectoryNode(node)) {
      SetPerms(item, key, false);
    } else {
      Log(fmt::format("tmpfiles: {}: skipping '{}': it exists and is not a directory",
                      item.where, item.path));
    }
  } else if (t == 'f') {
    const std::string content = item.argument.value_or("");
    if (!node) {
      CAIRN_TRY(tree_.AddFile(key, content, item.mode_set ? item.mode : 0644, 0, 0, mtime_));
      SetPerms(item, key, true);
      Log(fmt::format("tmpfiles: {}: created file '/{}'", item.where, key));
    } else if (IsRegularNode(node)) {
      if (item.plus) {
        const rootfs::FsEntry old = node->meta;
        CAIRN_TRY(tree_.AddFile(key, content, old.mode, old.uid, old.gid, mtime_));
        Log(fmt::format("tmpfiles: {}: truncated file '/{}'", item.where, key));
      }
      SetPerms(item, key, false);
    } else {
      Log(fmt::format("tmpfiles: {}: skipping '{}': it exists and is not a regular file",
                      item.where, item.path));
    }
  } else if (t == 'L') {
    const std::string target = item.argument.value_or("/usr/share/factory" + item.path);
    if (IsSymlinkNode(node) && node->meta.link_target == target) return {};
    if (node && !item.plus) {
      Log(fmt::format("tmpfiles: {}: skipping '{}': it exists and is not a symlink to '{}'",
                      item.where, item.path, target));
      return {};
    }
    if (node) tree_.Remove(key);
    CAIRN_TRY(tree_.AddSymlink(key, target, mtime_));
    SetPerms(item, key, true);
    Log(fmt::format("tmpfiles: {}: created symlink '/{}' -> '{}'", item.where, key, target));
  } else if (t == 'C') {
    const std::string source = item.argument.value_or("/usr/share/factory" + item.path);
    if (!node) {
      auto from = tree_.Resolve(TreePath(source));
      if (!from.ok() || from->empty() || !tree_.Find(*from)) {
        Log(fmt::format("tmpfiles: {}: skipping '{}': copy source '{}' does not exist",
                        item.where, item.path, source));
        return {};
      }
      CAIRN_TRY(CopyTree(*from, key));
      SetPerms(item, key, true);
      Log(fmt::format("tmpfiles: {}: copied '{}' to '/{}'", item.where, source, key));
    } else {
      SetPerms(item, key, false);
    }
  }
  return {};
}

Status Applier::ProcessItem(Item& item) {
  if (item.done) return {};
  item.done = true;
  const char t = item.type;
  if (t == 'x' || t == 'X' || t == 'r' || t == 'R' || t == 'e') return {};
  if (t == 'z' || t == 'Z') {
    std::vector<std::string> keys;
    if (IsGlob(item.path)) {
      keys = Glob(item.path);
    } else {
      std::string key;
      if (LstatNode(tree_, item.path, &key)) keys.push_back(key);
    }
    for (const auto& key : keys) {
      if (Excluded(key)) {
        Log(fmt::format("tmpfiles: {}: skipping '/{}': emptied at boot", item.where, key));
        continue;
      }
      SetPerms(item, key, false);
      if (t != 'Z' || !IsDirectoryNode(tree_.Find(key))) continue;
      std::vector<std::string> below;
      const std::string prefix = key + "/";
      for (auto it = tree_.nodes().lower_bound(prefix);
           it != tree_.nodes().end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
        below.push_back(it->first);
      for (const auto& b : below) SetPerms(item, b, false);
    }
    return {};
  }
  return Create(item);
}

Status Applier::ProcessPath(const std::string& path) {
  auto it = items_.find(path);
  if (it == items_.end()) return {};
  // The nearest configured ancestor goes first, as systemd links item arrays to parents.
  for (std::string p = path; p.size() > 1;) {
    p = p.substr(0, p.rfind('/'));
    if (p.empty()) break;
    if (items_.count(p)) {
      CAIRN_TRY(ProcessPath(p));
      break;
    }
  }
  for (auto& item : it->second) CAIRN_TRY(ProcessItem(item));
  return {};
}

Status Applier::Run(const std::vector<std::string>& configs) {
  for (const auto& [key, shown] : FindConfigs(configs)) ParseFile(key, shown);
  for (const auto& path : order_) CAIRN_TRY(ProcessPath(path));
  for (const auto& path : glob_order_)
    for (auto& item : globs_[path]) CAIRN_TRY(ProcessItem(item));
  return {};
}

}  // namespace

Status ApplyTmpfiles(rootfs::Tree& tree, const std::vector<std::string>& configs, int64_t mtime,
                     std::vector<std::string>* log) {
  Applier applier(tree, mtime, log);
  CAIRN_TRY_CTX(applier.Run(configs), "applying tmpfiles.d");
  return {};
}

}  // namespace cairn::effects
