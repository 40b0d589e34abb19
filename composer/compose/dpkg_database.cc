// WriteDpkgDatabase: var/lib/dpkg as dpkg 1.21 leaves it after installing
// and configuring the packages.
//
// The status stanza is dpkg's re-serialisation of the control file, not the
// file itself (lib/dpkg/parse.c reads it, dump.c writes it): known fields come
// first in dpkg's `fieldinfos` order with normalised values, unknown fields
// follow in control-file order, verbatim. The control text is read here with
// dpkg's own rules rather than deb::ParseControlFile, because dpkg keeps
// trailing blanks on the first line of a multi-line value, rejects comment
// lines and writes an empty first line back as "Name: ". Every rule below was
// checked against the host's dpkg 1.21.22 installing test packages.
#include "compose/dpkg_database.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "cairn/deb/control.h"
#include "cairn/deb/package.h"
#include "cairn/deb/version.h"
#include "cairn/digest.h"
#include "compose/paths.h"

namespace cairn::compose {
namespace {

using rootfs::FileType;

constexpr std::string_view kAdminDir = "var/lib/dpkg";
// What dpkg records for a conffile it did not unpack: one the package lists
// but does not ship, or one flagged remove-on-upgrade (NEWCONFFILEFLAG).
constexpr std::string_view kNewConffileHash = "newconffile";

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
// C isspace(), which dpkg uses to trim the end of a value.
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Lowercase hex MD5 of a regular file's content in the tree, streamed.
Result<std::string> Md5OfNode(const rootfs::Tree& tree, const rootfs::Node& node) {
  Hasher h = Hasher::Md5();
  std::array<char, 64 * 1024> buf;
  uint64_t offset = 0;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(size_t n,
                           tree.store().ReadAt(node.content, offset, buf.data(), buf.size()));
    if (n == 0) break;
    h.Update(buf.data(), n);
    offset += n;
  }
  return HexEncode(h.Finish());
}

bool IsRegular(const rootfs::Node* node) {
  return node != nullptr &&
         (node->meta.type == FileType::kRegular || node->meta.type == FileType::kHardlink);
}

// --- Control file, read the way dpkg reads it ---------------------------------

// The package name for messages before the control file is parsed.
std::string GuessName(std::string_view control, size_t index) {
  size_t pos = 0;
  while (pos < control.size()) {
    size_t eol = control.find('\n', pos);
    std::string_view line = control.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    if (line.size() > 8 && EqualsIgnoreCase(line.substr(0, 8), "Package:"))
      return "package '" + std::string(TrimSpace(line.substr(8))) + "'";
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return fmt::format("package #{}", index + 1);
}

// One paragraph: a value keeps its first line's trailing blanks when more
// lines follow, continuation lines verbatim, and loses only the blanks and
// newlines at its very end (dpkg's parse_stanza).
Result<deb::Paragraph> ParseDpkgControl(std::string_view text) {
  deb::Paragraph p;
  auto error = [](int line, const std::string& what) {
    return IntegrityError(fmt::format("control:{}: {}", line, what));
  };
  size_t pos = 0;
  int line_no = 0;
  bool ended = false;  // an empty line closed the paragraph
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++line_no;
    if (line.empty()) {
      ended = !p.fields.empty();
      continue;
    }
    if (IsBlank(line[0])) {
      if (p.fields.empty() || ended)
        return error(line_no, "continuation line without a field (expected 'Name: value')");
      if (TrimSpace(line).empty())
        return error(line_no,
                     fmt::format("blank line in value of field '{}'", p.fields.back().name));
      p.fields.back().value += '\n';
      p.fields.back().value += line;
      continue;
    }
    if (ended) return error(line_no, "more than one paragraph (expected one for one package)");
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    bool bad_name = colon == std::string_view::npos || name.empty();
    for (char c : name) bad_name = bad_name || IsSpace(c);
    if (bad_name) {
      std::string got(line.substr(0, 60));
      return error(line_no, fmt::format("expected 'Name: value' (got '{}')", got));
    }
    for (const deb::Field& f : p.fields) {
      if (EqualsIgnoreCase(f.name, name))
        return error(line_no, fmt::format("duplicate value for field '{}'", name));
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && IsBlank(value.front())) value.remove_prefix(1);
    if (p.fields.empty()) p.line = line_no;
    p.fields.push_back(deb::Field{std::string(name), std::string(value)});
  }
  if (p.fields.empty()) return IntegrityError("control: no fields (expected a 'Package' field)");
  for (deb::Field& f : p.fields) {
    while (!f.value.empty() && IsSpace(f.value.back())) f.value.pop_back();
  }
  return p;
}

// How dpkg writes each field it knows (lib/dpkg/parse.c `fieldinfos`).
enum class Kind {
  kName,       // lowercased
  kBoolean,    // "yes" written, "no" dropped
  kPriority,   // known priorities lowercased
  kText,       // verbatim, dropped when empty
  kMultiArch,  // lowercased, "no" dropped
  kVersion,    // re-formatted: "0:1.0" becomes "1.0"
  kRelations,  // re-formatted: "a(>=1),b" becomes "a (>= 1), b"
  kDropped,    // archive fields dpkg does not keep for an installed package
  kRejected,   // database-only fields a control file may not set
};

struct KnownField {
  std::string_view name;
  Kind kind;
};

// In dpkg's output order. Status and Conffiles are written by us.
constexpr KnownField kKnownFields[] = {
    {"Package", Kind::kName},
    {"Essential", Kind::kBoolean},
    {"Protected", Kind::kBoolean},
    {"Status", Kind::kRejected},
    {"Priority", Kind::kPriority},
    {"Section", Kind::kText},
    {"Installed-Size", Kind::kText},
    {"Origin", Kind::kText},
    {"Maintainer", Kind::kText},
    {"Bugs", Kind::kText},
    {"Architecture", Kind::kText},
    {"Multi-Arch", Kind::kMultiArch},
    {"Source", Kind::kText},
    {"Version", Kind::kVersion},
    {"Revision", Kind::kRejected},
    {"Config-Version", Kind::kRejected},
    {"Replaces", Kind::kRelations},
    {"Provides", Kind::kRelations},
    {"Depends", Kind::kRelations},
    {"Pre-Depends", Kind::kRelations},
    {"Recommends", Kind::kRelations},
    {"Suggests", Kind::kRelations},
    {"Breaks", Kind::kRelations},
    {"Conflicts", Kind::kRelations},
    {"Enhances", Kind::kRelations},
    {"Conffiles", Kind::kDropped},
    {"Filename", Kind::kDropped},
    {"Size", Kind::kDropped},
    {"MD5sum", Kind::kDropped},
    {"MSDOS-Filename", Kind::kDropped},
    {"Description", Kind::kText},
    {"Triggers-Pending", Kind::kRejected},
    {"Triggers-Awaited", Kind::kRejected},
};
constexpr size_t kNumKnown = std::size(kKnownFields);

// dpkg's old names for some fields (its `nicknames` table).
constexpr std::pair<std::string_view, std::string_view> kNicknames[] = {
    {"Recommended", "Recommends"},    {"Optional", "Suggests"},         {"Class", "Priority"},
    {"Package-Revision", "Revision"}, {"Package_Revision", "Revision"},
};

int KnownIndex(std::string_view name) {
  for (const auto& [nick, real] : kNicknames) {
    if (EqualsIgnoreCase(name, nick)) name = real;
  }
  for (size_t i = 0; i < kNumKnown; ++i) {
    if (EqualsIgnoreCase(name, kKnownFields[i].name)) return static_cast<int>(i);
  }
  return -1;
}

Result<std::string> FormatVersion(std::string_view text) {
  CAIRN_ASSIGN_OR_RETURN(deb::Version v, deb::Version::Parse(TrimSpace(text)));
  return v.Format();
}

// dpkg's varbufdependency: names lowercased (pkg_db_find_set), versions
// re-formatted, qualifiers kept as written.
Result<std::string> FormatDpkgRelations(const deb::RelationList& list) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ", ";
    for (size_t j = 0; j < list[i].size(); ++j) {
      if (j > 0) out += " | ";
      deb::Relation r = list[i][j];
      r.name = Lower(r.name);
      if (r.op != deb::RelationOp::kAny) {
        CAIRN_ASSIGN_OR_RETURN(r.version, FormatVersion(r.version));
      }
      out += deb::FormatRelation(r);
    }
  }
  return out;
}

struct Conffile {
  std::string name;  // absolute, as listed
  bool remove_on_upgrade = false;
};

// The conffiles member, as dpkg's deb_parse_conffiles reads it: one absolute
// path per line, optionally after a "remove-on-upgrade " flag; blank lines
// skipped, trailing blanks trimmed, the final newline required.
Result<std::vector<Conffile>> ParseConffiles(std::string_view text) {
  std::vector<Conffile> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    if (eol == std::string_view::npos) {
      return IntegrityError(fmt::format(
          "conffiles: '{}' is not followed by a newline (expected one per line)", line));
    }
    pos = eol + 1;
    while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
    if (line.empty()) continue;
    Conffile c;
    if (line[0] != '/') {
      size_t space = line.find(' ');
      std::string_view flag = line.substr(0, space);
      std::string_view name = space == std::string_view::npos ? "" : line.substr(space + 1);
      if (space == std::string_view::npos || (!name.empty() && name[0] != '/')) {
        return IntegrityError(
            fmt::format("conffiles: conffile name '{}' is not an absolute path (expected '/...')",
                        space == std::string_view::npos ? line : name));
      }
      if (name.empty())
        return IntegrityError(fmt::format("conffiles: no conffile name after flag '{}'", flag));
      if (flag != "remove-on-upgrade") {
        return IntegrityError(fmt::format(
            "conffiles: unknown flag '{}' for conffile '{}' (expected 'remove-on-upgrade')", flag,
            name));
      }
      c.remove_on_upgrade = true;
      line = name;
    }
    c.name = std::string(line);
    out.push_back(std::move(c));
  }
  return out;
}

// --- Triggers ----------------------------------------------------------------

struct Interest {
  std::string trigger;  // "/usr/share/foo" (file trigger) or "ldconfig"
  bool noawait = false;
};

// The `interest*` directives of a triggers member (deb-triggers(5)); the
// `activate*` ones only matter while triggers are pending, which they never
// are in an image cairn finishes.
Result<std::vector<Interest>> ParseTriggers(std::string_view text) {
  std::vector<Interest> out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line =
        TrimSpace(text.substr(pos, eol == std::string_view::npos ? eol : eol - pos));
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    size_t end = 0;
    while (end < line.size() && !IsSpace(line[end])) ++end;
    std::string_view directive = line.substr(0, end);
    std::string_view name = TrimSpace(line.substr(end));
    if (name.empty()) {
      return IntegrityError(fmt::format(
          "triggers:{}: '{}' names no trigger (expected 'directive name')", line_no, line));
    }
    for (char c : name) {
      if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0177) {
        return IntegrityError(fmt::format(
            "triggers:{}: trigger name '{}' contains an invalid character", line_no, name));
      }
    }
    if (directive == "interest" || directive == "interest-await" ||
        directive == "interest-noawait") {
      // An explicit trigger's name becomes a file name in triggers/.
      if (name[0] != '/' && (name.find('/') != std::string_view::npos || name == "File" ||
                             name == "Unincorp" || name == "Lock")) {
        return IntegrityError(fmt::format(
            "triggers:{}: trigger name '{}' cannot be a file in triggers/", line_no, name));
      }
      out.push_back(Interest{std::string(name), directive == "interest-noawait"});
    } else if (directive != "activate" && directive != "activate-await" &&
               directive != "activate-noawait") {
      return IntegrityError(
          fmt::format("triggers:{}: unknown directive '{}' (expected 'interest', 'interest-await', "
                      "'interest-noawait', 'activate', 'activate-await' or 'activate-noawait')",
                      line_no, directive));
    }
  }
  return out;
}

// --- One package --------------------------------------------------------------

struct Record {
  const InstalledDeb* deb = nullptr;
  std::string name;
  std::string arch;
  bool multi_arch_same = false;
  bool needs_arch = false;  // dpkg's pnaw_nonambig: "name:arch" in unambiguous output
  std::array<std::string, kNumKnown> known;  // normalised values; "" = not written
  std::vector<deb::Field> others;            // unknown fields, in control order
  std::vector<Conffile> conffiles;
  std::vector<Interest> interests;

  // info/ file stem (pnaw_same).
  std::string InfoName() const { return multi_arch_same ? name + ":" + arch : name; }
};

Result<Record> ReadRecord(const InstalledDeb& deb, size_t index, const DpkgDatabaseSpec& spec) {
  auto parsed_control = ParseDpkgControl(deb.control_text);
  if (!parsed_control.ok())
    return std::move(parsed_control).error().Context(GuessName(deb.control_text, index));
  deb::Paragraph paragraph = std::move(parsed_control).value();
  // The shared model checks names, versions, architecture and relations.
  CAIRN_ASSIGN_OR_RETURN(deb::Package pkg, deb::PackageFromParagraph(paragraph, "control"));
  Record r;
  r.deb = &deb;
  r.name = Lower(pkg.name);
  r.arch = pkg.architecture;
  r.multi_arch_same = pkg.multi_arch == "same";
  const std::string who = fmt::format("package '{}'", r.name);

  if (r.multi_arch_same && r.arch == "all") {
    return IntegrityError(fmt::format("{} has 'Multi-Arch: same' but is architecture 'all'", who));
  }
  const auto& foreign = spec.foreign_architectures;
  if (r.arch != "all" && r.arch != spec.architecture &&
      std::find(foreign.begin(), foreign.end(), r.arch) == foreign.end()) {
    std::vector<std::string> allowed = {spec.architecture, "all"};
    allowed.insert(allowed.end(), foreign.begin(), foreign.end());
    std::string expected;
    for (size_t i = 0; i < allowed.size(); ++i) {
      if (i > 0) expected += i + 1 == allowed.size() ? " or " : ", ";
      expected += "'" + allowed[i] + "'";
    }
    return Error(Code::kUnsatisfiable,
                 fmt::format("{} is for architecture '{}' (expected {})", who, r.arch, expected));
  }
  r.needs_arch = r.multi_arch_same || !(r.arch == spec.architecture || r.arch == "all");

  std::set<int> seen;  // nicknames and their fields are one field to dpkg
  for (const deb::Field& f : paragraph.fields) {
    int i = KnownIndex(f.name);
    if (i < 0) {
      r.others.push_back(f);
      continue;
    }
    if (!seen.insert(i).second) {
      return IntegrityError(fmt::format("{}: field '{}' is given twice (once as '{}')", who,
                                        kKnownFields[i].name, f.name));
    }
    const std::string_view value = f.value;
    std::string& out = r.known[i];
    switch (kKnownFields[i].kind) {
      case Kind::kName:
        out = r.name;
        break;
      case Kind::kBoolean:
        out = EqualsIgnoreCase(value, "yes") ? "yes" : "";
        break;
      case Kind::kPriority:
        out = std::string(value);
        for (std::string_view known : {"required", "important", "standard", "optional", "extra"}) {
          if (EqualsIgnoreCase(value, known)) out = std::string(known);
        }
        break;
      case Kind::kText:
        out = std::string(value);
        break;
      case Kind::kMultiArch:
        out = EqualsIgnoreCase(value, "no") ? "" : Lower(value);
        break;
      case Kind::kVersion: {
        CAIRN_ASSIGN_OR_RETURN(out, FormatVersion(value));
        break;
      }
      case Kind::kRelations: {
        if (TrimSpace(value).empty()) break;
        auto parsed = deb::ParseRelations(value);
        if (!parsed.ok()) {
          return IntegrityError(fmt::format("{}: '{}' field: {}", who, kKnownFields[i].name,
                                            parsed.error().message()));
        }
        auto formatted = FormatDpkgRelations(*parsed);
        if (!formatted.ok()) {
          return IntegrityError(fmt::format("{}: '{}' field: {}", who, kKnownFields[i].name,
                                            formatted.error().message()));
        }
        out = std::move(formatted).value();
        break;
      }
      case Kind::kDropped:
        break;
      case Kind::kRejected:
        return IntegrityError(fmt::format(
            "{}: field '{}' is not allowed in a control file (dpkg keeps it in its database)", who,
            f.name));
    }
  }

  auto conffiles = ParseConffiles(deb.conffiles_text);
  if (!conffiles.ok()) return std::move(conffiles).error().Context(who);
  r.conffiles = std::move(conffiles).value();
  auto triggers = deb.control_members.find("triggers");
  if (triggers != deb.control_members.end()) {
    auto interests = ParseTriggers(triggers->second);
    if (!interests.ok()) return std::move(interests).error().Context(who);
    r.interests = std::move(interests).value();
  }
  for (const std::string& p : deb.paths) {
    if (p.empty() || p[0] == '/') {
      return InternalError(
          fmt::format("{}: path '{}' is not in tree form (expected 'usr/bin/x')", who, p));
    }
  }
  for (const auto& [member, text] : deb.control_members) {
    bool ok = !member.empty() && member != "list";
    for (char c : member)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
    if (!ok) {
      return IntegrityError(fmt::format(
          "{}: control member '{}' has an invalid name (expected lowercase letters, digits, "
          "'_' and '-', not 'list')",
          who, member));
    }
  }
  return r;
}

// dpkg's pkg_sorter_by_nonambig_name_arch: by name; for one name, the
// instance written without ":arch" first, then by architecture.
bool StatusOrder(const Record& a, const Record& b) {
  if (a.name != b.name) return a.name < b.name;
  if (a.needs_arch != b.needs_arch) return !a.needs_arch;
  return a.arch < b.arch;
}

// The Conffiles value: each conffile's MD5 in the finished tree (following
// symlinks, as dpkg's configure does), "newconffile" for one not unpacked.
Result<std::string> ConffileLines(const Record& r, const rootfs::Tree& tree) {
  if (r.conffiles.empty()) return std::string();
  std::set<std::string> shipped(r.deb->paths.begin(), r.deb->paths.end());
  std::set<std::string> hashed;
  std::string out;
  for (const Conffile& c : r.conffiles) {
    std::string hash(kNewConffileHash);
    CAIRN_ASSIGN_OR_RETURN(std::string path, rootfs::NormalizePath(c.name));
    // dpkg hashes a name once; a repeated entry keeps "newconffile".
    if (!c.remove_on_upgrade && shipped.count(path) && hashed.insert(path).second) {
      CAIRN_ASSIGN_OR_RETURN(std::string resolved, tree.Resolve(path));
      const rootfs::Node* node = tree.Find(resolved);
      if (IsRegular(node)) {
        CAIRN_ASSIGN_OR_RETURN(hash, Md5OfNode(tree, *node));
      } else if (node != nullptr) {
        return IntegrityError(fmt::format(
            "package '{}': conffile '{}' is a {} in the image (expected a regular file)", r.name,
            c.name, rootfs::FileTypeName(node->meta.type)));
      }
    }
    out += fmt::format(" {} {}{}\n", c.name, hash, c.remove_on_upgrade ? " remove-on-upgrade" : "");
  }
  return out;
}

Result<std::string> Stanza(const Record& r, const rootfs::Tree& tree) {
  std::string out;
  for (size_t i = 0; i < kNumKnown; ++i) {
    const std::string_view name = kKnownFields[i].name;
    if (name == "Status") {
      out += "Status: install ok installed\n";
    } else if (name == "Conffiles") {
      CAIRN_ASSIGN_OR_RETURN(std::string lines, ConffileLines(r, tree));
      if (!lines.empty()) out += "Conffiles:\n" + lines;
    } else if (!r.known[i].empty()) {
      out += fmt::format("{}: {}\n", name, r.known[i]);
    }
  }
  for (const deb::Field& f : r.others) out += fmt::format("{}: {}\n", f.name, f.value);
  return out;
}

// md5sums as dpkg makes it for a package that has none: every regular file
// unpacked, in archive order, hashed from the tree.
Result<std::string> GeneratedMd5sums(const Record& r, const rootfs::Tree& tree) {
  std::string out;
  for (const std::string& p : r.deb->paths) {
    CAIRN_ASSIGN_OR_RETURN(std::string final_path, FinalPath(tree, p));
    const rootfs::Node* node = tree.Find(final_path);
    if (!IsRegular(node)) continue;
    CAIRN_ASSIGN_OR_RETURN(std::string md5, Md5OfNode(tree, *node));
    out += md5 + "  " + p + "\n";
  }
  return out;
}

bool IsScript(std::string_view member) {
  return member == "preinst" || member == "postinst" || member == "prerm" || member == "postrm" ||
         member == "config";
}

std::string Admin(std::string_view rel) { return fmt::format("{}/{}", kAdminDir, rel); }

Status WriteInfoFiles(const Record& r, rootfs::Tree& tree, int64_t t) {
  const std::string stem = Admin("info/" + r.InfoName());
  std::string list = "/.\n";
  for (const std::string& p : r.deb->paths) list += "/" + p + "\n";
  CAIRN_TRY(tree.AddFile(stem + ".list", list, 0644, 0, 0, t));
  std::string md5sums = r.deb->md5sums_text;
  if (md5sums.empty()) {
    CAIRN_ASSIGN_OR_RETURN(md5sums, GeneratedMd5sums(r, tree));
  }
  if (!md5sums.empty()) CAIRN_TRY(tree.AddFile(stem + ".md5sums", md5sums, 0644, 0, 0, t));
  if (!r.deb->conffiles_text.empty())
    CAIRN_TRY(tree.AddFile(stem + ".conffiles", r.deb->conffiles_text, 0644, 0, 0, t));
  for (const auto& [member, text] : r.deb->control_members) {
    // These three have fields of their own (control is the status stanza).
    if (member == "control" || member == "md5sums" || member == "conffiles") continue;
    CAIRN_TRY(tree.AddFile(stem + "." + member, text, IsScript(member) ? 0755 : 0644, 0, 0, t));
  }
  return {};
}

// triggers/File and triggers/<name>, as dpkg registers interests while
// unpacking: in install order, "/noawait" marking interest-noawait.
Status WriteTriggerInterests(const std::vector<Record>& install_order, rootfs::Tree& tree,
                             int64_t t) {
  std::vector<std::pair<std::string, std::string>> file_interests;  // path, "pkg[/noawait]"
  std::map<std::string, std::vector<std::string>> explicit_interests;
  for (const Record& r : install_order) {
    const std::string who = r.InfoName();
    for (const Interest& in : r.interests) {
      std::string entry = who + (in.noawait ? "/noawait" : "");
      if (in.trigger[0] == '/') {
        auto same = std::find_if(file_interests.begin(), file_interests.end(), [&](auto& fi) {
          return fi.first == in.trigger && fi.second.substr(0, fi.second.find('/')) == who;
        });
        if (same != file_interests.end()) {
          same->second = entry;  // dpkg updates the options in place
        } else {
          file_interests.emplace_back(in.trigger, entry);
        }
      } else {
        // dpkg rewrites the file without the package's old line, then appends.
        auto& lines = explicit_interests[in.trigger];
        lines.erase(
            std::remove_if(lines.begin(), lines.end(),
                           [&](const std::string& l) { return l.substr(0, l.find('/')) == who; }),
            lines.end());
        lines.push_back(entry);
      }
    }
  }
  if (!file_interests.empty()) {
    std::string text;
    for (const auto& [path, entry] : file_interests) text += path + " " + entry + "\n";
    CAIRN_TRY(tree.AddFile(Admin("triggers/File"), text, 0644, 0, 0, t));
  }
  for (const auto& [name, lines] : explicit_interests) {
    std::string text;
    for (const std::string& l : lines) text += l + "\n";
    CAIRN_TRY(tree.AddFile(Admin("triggers/" + name), text, 0644, 0, 0, t));
  }
  return {};
}

}  // namespace

Status WriteDpkgDatabase(const std::vector<InstalledDeb>& installed, const DpkgDatabaseSpec& spec,
                         rootfs::Tree& tree) {
  const int64_t t = spec.epoch;
  std::vector<Record> records;
  records.reserve(installed.size());
  for (size_t i = 0; i < installed.size(); ++i) {
    auto r = ReadRecord(installed[i], i, spec);
    if (!r.ok()) return std::move(r).error().Context("writing dpkg's database");
    records.push_back(std::move(r).value());
  }

  std::vector<const Record*> sorted;
  for (const Record& r : records) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const Record* a, const Record* b) { return StatusOrder(*a, *b); });
  for (size_t i = 1; i < sorted.size(); ++i) {
    const Record& a = *sorted[i - 1];
    const Record& b = *sorted[i];
    if (a.name != b.name) continue;
    if (a.arch == b.arch) {
      return Error(Code::kUnsatisfiable,
                   fmt::format("package '{}:{}' is installed twice", a.name, a.arch));
    }
    if (!a.multi_arch_same || !b.multi_arch_same) {
      return Error(Code::kUnsatisfiable,
                   fmt::format("package '{}' is installed for both '{}' and '{}' (expected "
                               "'Multi-Arch: same' in both to co-install them)",
                               a.name, a.arch, b.arch));
    }
  }

  std::string status;
  for (const Record* r : sorted) {
    const std::string key = r->name + ":" + r->arch;
    const bool lower = static_cast<size_t>(r - records.data()) < spec.first_new;
    if (lower && spec.stanzas && spec.stanzas->count(key)) {
      status += spec.stanzas->at(key) + "\n";
      continue;
    }
    CAIRN_ASSIGN_OR_RETURN(std::string stanza, Stanza(*r, tree));
    if (spec.stanzas) (*spec.stanzas)[key] = stanza;
    status += stanza + "\n";
  }

  for (std::string_view dir : {"", "/info", "/triggers", "/updates", "/alternatives", "/parts"})
    CAIRN_TRY(tree.AddDirectory(std::string(kAdminDir) + std::string(dir), 0755, 0, 0, t));
  for (size_t i = spec.first_new; i < records.size(); ++i)
    CAIRN_TRY(WriteInfoFiles(records[i], tree, t));
  CAIRN_TRY(tree.AddFile(Admin("status"), status, 0644, 0, 0, t));
  CAIRN_TRY(tree.AddFile(Admin("info/format"), "1\n", 0644, 0, 0, t));

  std::string arch = spec.architecture + "\n";
  for (const std::string& a : spec.foreign_architectures) {
    if (a != spec.architecture) arch += a + "\n";
  }
  CAIRN_TRY(tree.AddFile(Admin("arch"), arch, 0644, 0, 0, t));

  CAIRN_TRY(WriteTriggerInterests(records, tree, t));
  CAIRN_TRY(tree.AddFile(Admin("triggers/Unincorp"), "", 0644, 0, 0, t));
  // Empty lock files with the modes dpkg creates them with.
  CAIRN_TRY(tree.AddFile(Admin("triggers/Lock"), "", 0600, 0, 0, t));
  CAIRN_TRY(tree.AddFile(Admin("lock"), "", 0640, 0, 0, t));
  CAIRN_TRY(tree.AddFile(Admin("lock-frontend"), "", 0640, 0, 0, t));
  return {};
}

}  // namespace cairn::compose
