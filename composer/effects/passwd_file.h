// Account databases (/etc/passwd, group, shadow, gshadow) as ':'-separated
// records, read from and written back to a rootfs::Tree. Shared by the Debian
// account effects (deb_accounts.cc, sysusers.cc).
//
//   CAIRN_ASSIGN_OR_RETURN(auto passwd, AccountFile::Read(tree, "etc/passwd"));
//   if (!passwd.Find("messagebus")) passwd.Append({"messagebus", "x", "100", ...});
//   CAIRN_TRY(passwd.Write(tree, {0644, 0, 0}, mtime));
//
// Every line is kept as its fields, so untouched lines (comments, NIS "+"
// entries, malformed lines) are written back byte for byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::effects::internal {

/// One line split at ':' ("root:x:0:" is {"root", "x", "0", ""}).
using Record = std::vector<std::string>;

/// Mode and owner a database file gets when cairn creates it.
struct FileMeta {
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

class AccountFile {
 public:
  /// Reads `path` (symlinks followed). A missing file reads as empty with
  /// exists() false; anything but a regular file there is a kIntegrity error.
  static Result<AccountFile> Read(const rootfs::Tree& tree, std::string path);

  const std::string& path() const { return path_; }
  bool exists() const { return exists_; }
  std::vector<Record>& records() { return records_; }
  const std::vector<Record>& records() const { return records_; }

  /// The first record named `name`, or nullptr.
  Record* Find(std::string_view name);
  const Record* Find(std::string_view name) const;
  /// The first record with at least `min_fields` fields whose field 2 (uid or
  /// gid) is `id`, or nullptr.
  const Record* FindById(uint32_t id, size_t min_fields) const;
  void Append(Record record) { records_.push_back(std::move(record)); }

  /// The file text: each record joined with ':' and ended by '\n'.
  std::string Text() const;
  /// Writes the file with `mtime` unless nothing would change. A file that
  /// exists keeps its mode and owner, unless `force_meta` applies `meta` to it
  /// too (as shadowconfig's chown/chmod do); a new file gets `meta`.
  Status Write(rootfs::Tree& tree, const FileMeta& meta, int64_t mtime,
               bool force_meta = false) const;

 private:
  std::string path_;
  bool exists_ = false;
  std::string original_;
  std::vector<Record> records_;
};

/// The four account databases, for RoundTripThroughGlibc.
enum class Database { kPasswd, kGroup, kShadow, kGshadow };

/// Rewrites the records as glibc's fgetpwent/fgetgrent/fgetspent/fgetsgent
/// followed by putpwent/... would: tools that rewrite a database through
/// glibc (systemd-sysusers) drop blank, comment and unparsable lines, strip
/// leading blanks, print numbers canonically ("007" -> "7") and print NIS
/// entries in glibc's form ("-@netgroup" -> "-@netgroup:::" in etc/group).
void RoundTripThroughGlibc(AccountFile& file, Database db);

/// Splits at `sep`, keeping empty fields ("a::b" is {"a", "", "b"}).
std::vector<std::string> SplitFields(std::string_view text, char sep);
/// Joins with `sep`.
std::string JoinFields(const std::vector<std::string>& parts, char sep);
/// A comma-separated member list; "" is the empty list.
std::vector<std::string> SplitMembers(std::string_view list);

/// A decimal id (digits only, at most 4294967295), or nullopt.
std::optional<uint32_t> ParseId(std::string_view text);

/// Whole days since the epoch, as shadow's "last change" field counts them.
int64_t DaysSinceEpoch(int64_t mtime);

/// A numeric setting from the tree's etc/login.defs ("PASS_MAX_DAYS 99999"),
/// or nullopt when the file or key is missing or the value is not a number.
std::optional<long> LoginDefsNumber(const rootfs::Tree& tree, std::string_view key);

/// True if `path` exists in the tree after following symlinks.
bool ExistsResolved(const rootfs::Tree& tree, std::string_view path);

}  // namespace cairn::effects::internal
