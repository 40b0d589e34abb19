// AccountFile and the small parsers the account effects share.
#include "effects/passwd_file.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>

namespace cairn::effects::internal {
namespace {

constexpr std::string_view kSpace = " \t\r";

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

bool IsRegular(const rootfs::Node* n) {
  return n && (n->meta.type == rootfs::FileType::kRegular ||
               n->meta.type == rootfs::FileType::kHardlink);
}

// A cursor over one database line with glibc's nss_files field macros
// (nss/nss_files/files-parse.c): STRING_FIELD, INT_FIELD,
// INT_FIELD_MAYBE_NULL and parse_list.
class LineParser {
 public:
  explicit LineParser(std::string_view line) : s_(line) {}
  bool AtEnd() const { return pos_ >= s_.size(); }

  std::string String() {
    size_t end = s_.find(':', pos_);
    if (end == std::string_view::npos) end = s_.size();
    std::string field(s_.substr(pos_, end - pos_));
    pos_ = end < s_.size() ? end + 1 : end;
    return field;
  }

  // strtoul(base 10) up to the next ':'; false where glibc rejects the line.
  // maybe_null: an empty field gives `fallback`, but the line may not end here.
  bool Number(bool maybe_null, unsigned long fallback, unsigned long* out) {
    if (maybe_null && AtEnd()) return false;
    size_t p = pos_;
    while (p < s_.size() && std::isspace(static_cast<unsigned char>(s_[p]))) ++p;
    bool negative = false;
    if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) negative = s_[p++] == '-';
    unsigned long value = 0;
    bool digits = false;
    for (; p < s_.size() && s_[p] >= '0' && s_[p] <= '9'; ++p) {
      digits = true;
      unsigned long next = value * 10 + static_cast<unsigned long>(s_[p] - '0');
      value = next < value ? ULONG_MAX : next;
    }
    if (!digits) {
      if (!maybe_null) return false;
      value = fallback;
      p = pos_;
    } else if (negative) {
      value = 0 - value;
    }
    if (p < s_.size() && s_[p] == ':')
      ++p;
    else if (p < s_.size())
      return false;
    pos_ = p;
    *out = value;
    return true;
  }

  // parse_list: ','-separated, leading blanks of each element skipped, empty
  // elements dropped; ends at `terminator` (consumed) or the end of the line.
  std::vector<std::string> List(char terminator) {
    std::vector<std::string> items;
    while (pos_ < s_.size()) {
      while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != terminator) ++pos_;
      if (pos_ > start) items.emplace_back(s_.substr(start, pos_ - start));
      if (pos_ >= s_.size()) break;
      char c = s_[pos_++];
      if (c == terminator) break;
    }
    return items;
  }

  std::string Rest() {
    std::string rest(s_.substr(pos_));
    pos_ = s_.size();
    return rest;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool IsNisName(const std::string& name) {
  return !name.empty() && (name[0] == '+' || name[0] == '-');
}

// (long)(int) as glibc converts shadow's day counts; -1 prints empty.
std::string ShadowNumber(unsigned long v) {
  long n = static_cast<long>(static_cast<int>(v));
  return n == -1 ? "" : std::to_string(n);
}

// One line through fget*ent and put*ent; nullopt when glibc skips it.
std::optional<std::string> RoundTrip(std::string_view raw, Database db) {
  size_t b = 0;
  while (b < raw.size() && std::isspace(static_cast<unsigned char>(raw[b]))) ++b;
  std::string_view line = raw.substr(b);
  if (line.empty() || line[0] == '#') return std::nullopt;
  LineParser p(line);
  std::string name = p.String();
  bool nis = IsNisName(name);
  bool bare_nis = nis && p.AtEnd();
  switch (db) {
    case Database::kPasswd: {
      std::string passwd, gecos, dir, shell;
      unsigned long uid = 0, gid = 0;
      if (!bare_nis) {
        passwd = p.String();
        if (!p.Number(nis, 0, &uid) || !p.Number(nis, 0, &gid)) return std::nullopt;
        gecos = p.String();
        dir = p.String();
        shell = p.Rest();
      }
      if (nis) return fmt::format("{}:{}:::{}:{}:{}", name, passwd, gecos, dir, shell);
      return fmt::format("{}:{}:{}:{}:{}:{}:{}", name, passwd, static_cast<uint32_t>(uid),
                         static_cast<uint32_t>(gid), gecos, dir, shell);
    }
    case Database::kGroup: {
      std::string passwd;
      unsigned long gid = 0;
      if (!bare_nis) {
        passwd = p.String();
        if (!p.Number(nis, 0, &gid)) return std::nullopt;
      }
      std::string members = JoinFields(p.List('\0'), ',');
      if (nis) return fmt::format("{}:{}::{}", name, passwd, members);
      return fmt::format("{}:{}:{}:{}", name, passwd, static_cast<uint32_t>(gid), members);
    }
    case Database::kShadow: {
      const unsigned long kUnset = static_cast<unsigned long>(-1L);
      std::string passwd;
      unsigned long lstchg = 0, min = 0, max = 0, warn = kUnset, inact = kUnset, expire = kUnset;
      unsigned long flag = ~0ul;
      if (!bare_nis) {
        passwd = p.String();
        if (!p.Number(true, kUnset, &lstchg) || !p.Number(true, kUnset, &min) ||
            !p.Number(true, kUnset, &max))
          return std::nullopt;
        std::string rest = p.Rest();
        size_t nb = 0;
        while (nb < rest.size() && std::isspace(static_cast<unsigned char>(rest[nb]))) ++nb;
        if (nb < rest.size()) {  // else the old, short form
          LineParser q(std::string_view(rest).substr(nb));
          if (!q.Number(true, kUnset, &warn) || !q.Number(true, kUnset, &inact) ||
              !q.Number(true, kUnset, &expire))
            return std::nullopt;
          if (!q.AtEnd() && !q.Number(true, ~0ul, &flag)) return std::nullopt;
        }
      }
      std::string out = fmt::format("{}:{}:{}:{}:{}:{}:{}:{}:", name, passwd, ShadowNumber(lstchg),
                                    ShadowNumber(min), ShadowNumber(max), ShadowNumber(warn),
                                    ShadowNumber(inact), ShadowNumber(expire));
      if (flag != ~0ul) out += std::to_string(static_cast<long>(flag));
      return out;
    }
    case Database::kGshadow: {
      std::string passwd, admins, members;
      if (!bare_nis) {
        passwd = p.String();
        admins = JoinFields(p.List(':'), ',');
        members = JoinFields(p.List('\0'), ',');
      }
      return fmt::format("{}:{}:{}:{}", name, passwd, admins, members);
    }
  }
  return std::nullopt;
}

}  // namespace

void RoundTripThroughGlibc(AccountFile& file, Database db) {
  std::vector<Record> out;
  for (const Record& r : file.records())
    if (auto line = RoundTrip(JoinFields(r, ':'), db)) out.push_back(SplitFields(*line, ':'));
  file.records() = std::move(out);
}

std::vector<std::string> SplitFields(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string JoinFields(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::vector<std::string> SplitMembers(std::string_view list) {
  if (list.empty()) return {};
  return SplitFields(list, ',');
}

std::optional<uint32_t> ParseId(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(value);
}

int64_t DaysSinceEpoch(int64_t mtime) { return mtime / 86400; }

std::optional<long> LoginDefsNumber(const rootfs::Tree& tree, std::string_view key) {
  auto text = tree.ReadFile("etc/login.defs");
  if (!text.ok()) return std::nullopt;
  // shadow's def_load: the last definition of a name wins; values may be
  // quoted; getdef_num parses with strtol base 0 and accepts -1..INT_MAX.
  std::optional<std::string> value;
  for (const std::string& raw : SplitFields(*text, '\n')) {
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    size_t end = line.find_first_of(kSpace);
    if (line.substr(0, end) != key) continue;
    std::string_view v = end == std::string_view::npos ? "" : Trim(line.substr(end));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    value = std::string(v);
  }
  if (!value || value->empty()) return std::nullopt;
  errno = 0;
  char* endp = nullptr;
  long n = std::strtol(value->c_str(), &endp, 0);
  if (*endp != '\0' || errno == ERANGE || n > INT_MAX || n < -1) return std::nullopt;
  return n;
}

bool ExistsResolved(const rootfs::Tree& tree, std::string_view path) {
  auto resolved = tree.Resolve(path);
  return resolved.ok() && !resolved->empty() && tree.Find(*resolved) != nullptr;
}

Result<AccountFile> AccountFile::Read(const rootfs::Tree& tree, std::string path) {
  AccountFile file;
  CAIRN_ASSIGN_OR_RETURN(file.path_, tree.Resolve(path));
  const rootfs::Node* node = tree.Find(file.path_);
  if (!node) return file;
  if (!IsRegular(node))
    return IntegrityError(fmt::format("cannot read '{}': it is a {}, expected a regular file", path,
                                      rootfs::FileTypeName(node->meta.type)));
  CAIRN_ASSIGN_OR_RETURN(file.original_, tree.ReadFile(file.path_));
  file.exists_ = true;
  std::string_view text = file.original_;
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (!file.original_.empty())
    for (const std::string& line : SplitFields(text, '\n'))
      file.records_.push_back(SplitFields(line, ':'));
  return file;
}

Record* AccountFile::Find(std::string_view name) {
  for (Record& r : records_)
    if (!r.empty() && r[0] == name) return &r;
  return nullptr;
}

const Record* AccountFile::Find(std::string_view name) const {
  for (const Record& r : records_)
    if (!r.empty() && r[0] == name) return &r;
  return nullptr;
}

const Record* AccountFile::FindById(uint32_t id, size_t min_fields) const {
  for (const Record& r : records_)
    if (r.size() >= min_fields && ParseId(r[2]) == id) return &r;
  return nullptr;
}

std::string AccountFile::Text() const {
  std::string text;
  for (const Record& r : records_) text += JoinFields(r, ':') + '\n';
  return text;
}

Status AccountFile::Write(rootfs::Tree& tree, const FileMeta& meta, int64_t mtime,
                          bool force_meta) const {
  std::string text = Text();
  FileMeta target = meta;
  if (const rootfs::Node* node = tree.Find(path_); node && exists_) {
    if (!force_meta) target = {node->meta.mode, node->meta.uid, node->meta.gid};
    bool same_meta = node->meta.mode == target.mode && node->meta.uid == target.uid &&
                     node->meta.gid == target.gid;
    // Unchanged files keep their mtime, so running an effect twice changes nothing.
    if (same_meta && text == original_) return {};
    if (text == original_) {
      rootfs::Node* mutable_node = tree.FindMutable(path_);
      mutable_node->meta.mode = target.mode;
      mutable_node->meta.uid = target.uid;
      mutable_node->meta.gid = target.gid;
      return {};
    }
  }
  return tree.AddFile(path_, text, target.mode, target.uid, target.gid, mtime);
}

}  // namespace cairn::effects::internal
