// ApplyPamAuthUpdate: libpam-runtime 1.5.2-6's postinst and its
// /usr/sbin/pam-auth-update (perl), line by line. Perl's regular expressions
// are kept as std::regex with the same (backtracking, ECMAScript-compatible)
// meaning, because the jump-count and option-merge rules depend on their
// exact greedy behaviour.
//
// debconf: cairn has no debconf database, so the libpam-runtime/profiles
// question has no value (as in a fresh chroot) and the noninteractive
// frontend keeps every default; the override question is "false".
#include "cairn/effects/pam_auth_update.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string_view>

#include "cairn/digest.h"
#include "effects/ld_so_conf.h"
#include "effects/tree_lookup.h"

namespace cairn::effects {
namespace {

using internal::IsDirectoryNode;
using internal::IsRegularNode;
using internal::StatNode;

constexpr std::string_view kInputDir = "usr/share/pam-configs";
constexpr std::string_view kConfDir = "etc/pam.d";
constexpr std::string_view kSaveDir = "var/lib/pam";
constexpr std::string_view kStockDir = "usr/share/pam";
const char* const kTypes[] = {"auth", "account", "password", "session", "session-noninteractive"};

constexpr std::string_view kPrimary = "# here are the per-package modules (the \"Primary\" block)";
constexpr std::string_view kFallback = "# here's the fallback if no module succeeds";
constexpr std::string_view kAdditional =
    "# and here are more per-package modules (the \"Additional\" block)";
constexpr std::string_view kEnd = "# end of pam-auth-update config";

// pam-auth-update's %md5sums: stock common-* files (managed blocks removed).
const std::map<std::string, std::vector<std::string>>& KnownMd5sums() {
  static const auto* m = new std::map<std::string, std::vector<std::string>>{
      {"auth", {"8d4fe17e66ba25de16a117035d1396aa"}},
      {"account", {"3c0c362eaf3421848b679d63fd48c3fa"}},
      {"password",
       {"4d5c92d595a46b69cd61f18feb4c0574", "50fce2113dfda83ac8bdd5a6e706caec",
        "4bd7610f2e85f8ddaef79c7db7cb49eb", "9ba753d0824276b44bcadfee1f87b6bc"}},
      {"session",
       {"f297c731a467822cbd86e1283263e8a3", "240fb92986c885b327cdb21dd641da8c",
        "4a25673e8b36f1805219027d3be02cd2"}},
      {"session-noninteractive", {"ad2b78ce1498dd637ef36469430b6ac6"}},
  };
  return *m;
}

void Log(std::vector<std::string>* log, std::string line) {
  if (log) log->push_back(std::move(line));
}

// Lines as perl's <FH> returns them: each with its "\n" except perhaps the last.
std::vector<std::string> PerlLines(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    out.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string Chomp(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool IsPerlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// split(/\s+/, $s): no empty fields at the end; a leading one only if $s
// starts with blanks (callers never pass such strings).
std::vector<std::string> SplitBlanks(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && !IsPerlSpace(s[j])) ++j;
    out.emplace_back(s.substr(i, j - i));
    while (j < s.size() && IsPerlSpace(s[j])) ++j;
    i = j;
  }
  return out;
}

// split("\n", $s) / split("\n+", $s): trailing empty fields dropped.
std::vector<std::string> SplitNewlines(std::string_view s, bool collapse) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) nl = s.size();
    out.emplace_back(s.substr(pos, nl - pos));
    pos = nl + 1;
    if (collapse)
      while (pos < s.size() && s[pos] == '\n') ++pos;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

struct Profile {
  std::map<std::string, std::string> fields;  // absent = undef in perl
  std::set<std::string> conflicts;
  bool disabled = false;

  // Perl truthiness of $profile{$key}.
  bool Has(const std::string& key) const {
    auto it = fields.find(key);
    return it != fields.end() && !it->second.empty() && it->second != "0";
  }
  std::string Get(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? "" : it->second;
  }
  double Priority() const { return std::strtod(Get("Priority").c_str(), nullptr); }
};

// parse_pam_profile.
Profile ParseProfile(std::string_view text) {
  static const std::regex kHeader(R"(^(\S+):\s+(.*)\s*$)");
  static const std::regex kDash(R"(-Final$)");
  Profile p;
  std::optional<std::string> field;
  for (const std::string& line : PerlLines(text)) {
    std::smatch m;
    if (std::regex_match(line, m, kHeader)) {
      field = std::regex_replace(m[1].str(), kDash, "");
      if (*field == "Conflicts") {
        std::string list = m[2].str();
        size_t pos = 0;
        while (pos <= list.size()) {
          size_t c = list.find(", ", pos);
          if (c == std::string::npos) c = list.size();
          p.conflicts.insert(list.substr(pos, c - pos));
          pos = c + 2;
        }
      } else {
        p.fields[*field] = m[2].str();
      }
      continue;
    }
    std::string s = Chomp(line);
    size_t b = 0;
    while (b < s.size() && IsPerlSpace(s[b])) ++b;
    size_t e = s.size();
    while (e > b && IsPerlSpace(s[e - 1])) --e;
    s = s.substr(b, e - b);
    const std::string key = field.value_or("");
    if (!s.empty()) p.fields[key] += "\n" + s;
    auto it = p.fields.find(key);
    if (it == p.fields.end()) continue;
    if (it->second.find("pam_tally") != std::string::npos) p.disabled = true;
    size_t lead = 0;
    while (lead < it->second.size() && IsPerlSpace(it->second[lead])) ++lead;
    it->second.erase(0, lead);
  }
  if (!p.fields.count("Session-Interactive-Only")) {
    for (const char* suffix : {"-Type", "", "-Initial"}) {
      auto it = p.fields.find(std::string("Session") + suffix);
      if (it != p.fields.end())
        p.fields[std::string("Session-noninteractive") + suffix] = it->second;
      else
        p.fields.erase(std::string("Session-noninteractive") + suffix);
    }
  }
  return p;
}

using Profiles = std::map<std::string, Profile>;

void SortByPriority(const Profiles& profiles, std::vector<std::string>& names) {
  std::stable_sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    double pa = profiles.at(a).Priority(), pb = profiles.at(b).Priority();
    if (pa != pb) return pa > pb;
    return a > b;
  });
}

// What diff_profiles() returns: the modules found in the live files and the
// options added or removed locally, keyed by type and jump-free module line.
struct Diff {
  std::vector<std::string> mods;
  std::map<std::string, std::map<std::string, std::set<std::string>>> add, remove;
};

const std::regex& DigitJump() {
  static const std::regex r(R"((\[[^0-9]*)[0-9]+(.*\]))");
  return r;
}
const std::regex& ModuleLine() {
  static const std::regex r(R"(^((\[[^\]]+\]|\w+)\s+\S+)\s*(.*))");
  return r;
}

Result<std::optional<std::string>> ReadIfFile(const rootfs::Tree& tree, const std::string& path) {
  if (!IsRegularNode(StatNode(tree, path))) return std::optional<std::string>();
  CAIRN_ASSIGN_OR_RETURN(std::string text, tree.ReadFile(path));
  return std::optional<std::string>(std::move(text));
}

// diff_profiles(): nullopt where the perl returns 0.
Result<std::optional<Diff>> DiffProfiles(const rootfs::Tree& tree) {
  static const std::regex kEndJump(R"((\[.*)end(.*\]))");
  Diff diff;
  for (const char* type : kTypes) {
    CAIRN_ASSIGN_OR_RETURN(auto saved_text, ReadIfFile(tree, fmt::format("{}/{}", kSaveDir, type)));
    if (!saved_text) return std::optional<Diff>();
    std::vector<std::pair<std::string, std::string>> saved;
    std::string modname;
    for (const std::string& raw : PerlLines(*saved_text)) {
      if (StartsWith(raw, "Module: ")) {
        modname = Chomp(raw.substr(8));
        continue;
      }
      std::string line = std::regex_replace(Chomp(raw), DigitJump(), "$1$2");
      line = std::regex_replace(line, kEndJump, "$1$2");
      saved.emplace_back(modname, line);
    }
    CAIRN_ASSIGN_OR_RETURN(auto current,
                           ReadIfFile(tree, fmt::format("{}/common-{}", kConfDir, type)));
    if (!current) return std::optional<Diff>();
    std::string realtype = type;
    if (size_t n = realtype.find("-noninteractive"); n != std::string::npos) realtype.erase(n);
    const std::regex type_prefix("^" + realtype + R"(\s+)");
    int state = 0;
    size_t next_saved = 0;
    for (std::string line : PerlLines(*current)) {
      if (state == 0) {
        if (StartsWith(line, kPrimary)) state = 1;
        continue;
      }
      if (state == 1) {
        line = std::regex_replace(line, type_prefix, "", std::regex_constants::format_first_only);
        if (StartsWith(line, kFallback)) {
          state = 2;
          continue;
        }
      }
      if (state == 2) {
        if (StartsWith(line, kAdditional)) state = 3;
        continue;
      }
      if (state == 3) {
        if (StartsWith(line, kEnd)) break;
        line = std::regex_replace(line, type_prefix, "", std::regex_constants::format_first_only);
      }
      bool found = false;
      std::string curmod, curopts;
      std::vector<std::string> prev_opts;
      while (!found && next_saved < saved.size()) {
        auto [mod, saved_line] = saved[next_saved++];
        std::smatch m;
        // Perl would reuse stale captures here; such a state is not ours to merge.
        if (!std::regex_search(saved_line, m, ModuleLine())) return std::optional<Diff>();
        prev_opts = SplitBlanks(m[3].str());
        curmod = m[1].str();
        line = std::regex_replace(line, DigitJump(), "$1$2");
        std::string body = Chomp(line);
        if (StartsWith(body, curmod)) {
          size_t i = curmod.size();
          while (i < body.size() && IsPerlSpace(body[i])) ++i;
          found = true;
          curopts = body.substr(i);
          diff.mods.push_back(mod);
        }
      }
      if (!found) return std::optional<Diff>();
      for (const std::string& opt : SplitBlanks(curopts)) {
        bool seen = false;
        for (size_t i = 0; i < prev_opts.size(); ++i) {
          if (prev_opts[i] == opt) {
            seen = true;
            prev_opts.erase(prev_opts.begin() + static_cast<std::ptrdiff_t>(i));
          }
        }
        if (!seen) diff.add[type][curmod].insert(opt);
      }
      for (const std::string& opt : prev_opts) diff.remove[type][curmod].insert(opt);
    }
    if (state < 3) return std::optional<Diff>();
  }
  return std::optional<Diff>(std::move(diff));
}

// lines_for_module_and_type().
std::string LinesFor(const Profile& p, const std::string& uctype, int modpos) {
  if (modpos == 0 && p.Has(uctype + "-Initial")) return p.Get(uctype + "-Initial");
  return p.Get(uctype);
}

std::string UcFirst(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// merge_one_line(); `diff` is the type's part (adds are consumed, as in perl).
Result<std::string> MergeOneLine(const std::string& line, Diff* diff, const std::string& type,
                                 int count) {
  std::smatch m;
  if (!std::regex_search(line, m, ModuleLine()))
    return Error(Code::kConfig,
                 fmt::format("cannot merge PAM profile line '{}' (expected a control "
                             "field, a module and options)",
                             line));
  std::vector<std::string> opts = SplitBlanks(m[3].str());
  std::string modline = m[1].str();
  for (size_t at = modline.find("end"); at != std::string::npos;
       at = modline.find("end", at + std::to_string(count).size())) {
    modline.replace(at, 3, std::to_string(count));
  }
  std::set<std::string> empty_adds, empty_removes;
  std::set<std::string>* adds = &empty_adds;
  std::set<std::string>* removes = &empty_removes;
  if (diff) {
    std::string mod = std::regex_replace(modline, DigitJump(), "$1$2");
    adds = &diff->add[type][mod];
    removes = &diff->remove[type][mod];
  }
  for (size_t i = 0; i < opts.size(); ++i) {
    adds->erase(opts[i]);
    if (removes->count(opts[i])) {
      opts.erase(opts.begin() + static_cast<std::ptrdiff_t>(i));
      --i;
    }
  }
  for (const std::string& a : *adds) opts.push_back(a);
  std::string joined;
  for (size_t i = 0; i < opts.size(); ++i) joined += (i ? " " : "") + opts[i];
  return modline + " " + joined + "\n";
}

// create_from_template(); nullopt where the perl returns 0.
Result<std::optional<std::string>> CreateFromTemplate(const std::string& template_text,
                                                      const Profiles& profiles,
                                                      const std::vector<std::string>& enabled,
                                                      Diff* diff, const std::string& full_type) {
  const std::string uctype = UcFirst(full_type);
  std::string type = full_type;
  if (size_t n = type.find("-noninteractive"); n != std::string::npos) type.erase(n);
  std::string out;
  int state = 0;
  for (const std::string& line : PerlLines(template_text)) {
    if (state == 1) {
      if (StartsWith(line, kFallback)) {
        out += line;
        ++state;
      }
      continue;
    }
    if (state == 3) {
      if (StartsWith(line, kEnd)) {
        out += line;
        ++state;
      }
      continue;
    }
    out += line;
    std::string_view pattern;
    std::string val;
    if (state == 0) {
      pattern = kPrimary;
      val = "Primary";
    } else if (state == 2) {
      pattern = kAdditional;
      val = "Additional";
    } else {
      continue;
    }
    if (!StartsWith(line, pattern)) continue;
    int i = 0, count = 0;
    for (const std::string& mod : enabled) {
      const Profile& p = profiles.at(mod);
      if (!p.Has(uctype + "-Type") || p.Get(uctype + "-Type") != val) continue;
      count += static_cast<int>(SplitNewlines(LinesFor(p, uctype, i++), true).size());
    }
    if (val == "Additional") --count;
    if (val == "Primary" && count == 0) out += type + "\t[default=1]\t\t\tpam_permit.so\n";
    i = 0;
    for (const std::string& mod : enabled) {
      const Profile& p = profiles.at(mod);
      if (!p.Has(uctype + "-Type") || p.Get(uctype + "-Type") != val) continue;
      for (const std::string& l : SplitNewlines(LinesFor(p, uctype, i++), false)) {
        CAIRN_ASSIGN_OR_RETURN(std::string merged, MergeOneLine(l, diff, full_type, count));
        out += type + "\t" + merged;
        --count;
      }
    }
    ++state;
  }
  if (state < 4) return std::optional<std::string>();
  return std::optional<std::string>(std::move(out));
}

// The text get_template_md5sum() hashes: everything but the managed blocks.
std::string TemplateSkeleton(std::string_view text) {
  std::string out;
  int state = 0;
  for (const std::string& line : PerlLines(text)) {
    if (state == 1 || state == 3) {
      if (StartsWith(line, state == 1 ? kFallback : kEnd)) {
        out += line;
        ++state;
      }
      continue;
    }
    out += line;
    if ((state == 0 && StartsWith(line, kPrimary)) || (state == 2 && StartsWith(line, kAdditional)))
      ++state;
  }
  return out;
}

// The postinst's calculate_md5sum: `sed -n -e '1,/PRIMARY/p; /FALLBACK/,/ADDITIONAL/p;
// /END/,$p'` (each range its own p command, so overlapping ranges print twice).
std::string PostinstSkeleton(std::string_view text) {
  static const std::regex kFallbackRe("# here.s the fallback if no module succeeds");
  std::vector<std::string> lines = PerlLines(text);
  std::string out;
  bool r1 = true, r1_done = false, r2 = false, r3 = false;
  for (size_t n = 0; n < lines.size(); ++n) {
    const std::string& line = lines[n];
    auto has = [&](std::string_view s) { return line.find(s) != std::string::npos; };
    if (r1 && !r1_done) {
      out += line;
      if (n > 0 && has(kPrimary)) r1_done = true;
    }
    if (r2) {
      out += line;
      if (has(kAdditional)) r2 = false;
    } else if (std::regex_search(line, kFallbackRe)) {
      out += line;
      r2 = true;
    }
    if (r3 || has(kEnd)) {
      r3 = true;
      out += line;
    }
  }
  return out;
}

Status WriteFile(rootfs::Tree& tree, const std::string& path, const std::string& text,
                 int64_t mtime, std::vector<std::string>* log) {
  // rename(2) replaces the name itself, a symlink included.
  CAIRN_TRY(tree.AddFile(path, text, 0644, 0, 0, mtime));
  Log(log, fmt::format("pam-auth-update: wrote '/{}'", path));
  return {};
}

}  // namespace

Status ApplyPamAuthUpdate(rootfs::Tree& tree, int64_t mtime, std::vector<std::string>* log) {
  if (!IsDirectoryNode(StatNode(tree, kInputDir))) return {};

  // libpam-runtime's postinst, first installation.
  bool force = true;
  for (const char* type : {"auth", "account", "session", "password"}) {
    CAIRN_ASSIGN_OR_RETURN(auto current,
                           ReadIfFile(tree, fmt::format("{}/common-{}", kConfDir, type)));
    if (!current) continue;
    CAIRN_ASSIGN_OR_RETURN(auto sums,
                           ReadIfFile(tree, fmt::format("{}/common-{}.md5sums", kStockDir, type)));
    if (!sums || sums->find(Md5Hex(PostinstSkeleton(*current))) == std::string::npos)
      force = false;
  }

  // pam-auth-update --package [--force].
  Profiles profiles;
  for (const std::string& name : internal::ListDirectory(tree, kInputDir)) {
    if (name.back() == '~' || (name.size() > 2 && name.front() == '#' && name.back() == '#'))
      continue;
    const std::string path = fmt::format("{}/{}", kInputDir, name);
    const rootfs::Node* node = StatNode(tree, path);
    std::string text;
    if (IsRegularNode(node)) {
      CAIRN_ASSIGN_OR_RETURN(text, tree.ReadFile(path));
    } else if (!IsDirectoryNode(node)) {  // a directory reads as empty
      return NotFoundError(fmt::format("could not read PAM profile '/{}'", path));
    }
    Profile p = ParseProfile(text);
    if (!p.disabled) profiles[name] = std::move(p);
  }
  std::vector<std::string> sorted;
  for (const auto& [name, p] : profiles) sorted.push_back(name);
  SortByPriority(profiles, sorted);

  CAIRN_ASSIGN_OR_RETURN(std::optional<Diff> diff, DiffProfiles(tree));
  // Without a merge, debconf's libpam-runtime/profiles answer: empty in a fresh database.
  std::vector<std::string> enabled;
  if (diff) enabled = diff->mods;

  std::set<std::string> seen;
  const std::string seen_path = fmt::format("{}/seen", kSaveDir);
  if (StatNode(tree, seen_path)) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, tree.ReadFile(seen_path));
    for (const std::string& line : PerlLines(text)) seen.insert(Chomp(line));
  }
  std::erase_if(enabled, [&](const std::string& m) { return !profiles.count(m); });
  if (enabled.empty()) seen.clear();
  for (const std::string& name : sorted)
    if (profiles.at(name).Get("Default") == "yes" && !seen.count(name)) enabled.push_back(name);
  SortByPriority(profiles, enabled);
  enabled.erase(std::unique(enabled.begin(), enabled.end()), enabled.end());

  if (!diff && !force) {
    Log(log,
        "pam-auth-update: local modifications to /etc/pam.d/common-*, not updating "
        "(debconf declines the override)");
    return {};
  }

  // Conflicts: the later, lower-priority profile of each pair is dropped.
  for (size_t e = 0; e < enabled.size(); ++e) {
    const Profile& p = profiles.at(enabled[e]);
    for (size_t i = enabled.size(); i-- > 0;)
      if (p.conflicts.count(enabled[i])) enabled.erase(enabled.begin() + static_cast<ptrdiff_t>(i));
  }
  if (enabled.empty())
    return NotFoundError(fmt::format(
        "no PAM profile in '/{}' is enabled by default (pam-auth-update would ask which to "
        "enable)",
        kInputDir));

  if (!IsDirectoryNode(StatNode(tree, kSaveDir)))
    return NotFoundError(
        fmt::format("cannot write '/{}': '/{}' is not a directory", seen_path, kSaveDir));
  std::string seen_text;
  for (const std::string& name : sorted) seen_text += name + "\n";
  CAIRN_ASSIGN_OR_RETURN(std::string seen_to, tree.Resolve(seen_path));
  CAIRN_TRY(WriteFile(tree, seen_to, seen_text, mtime, log));

  // write_profiles().
  for (const char* type : kTypes) {
    const std::string target = fmt::format("{}/common-{}", kConfDir, type);
    const std::string stock = fmt::format("{}/common-{}", kStockDir, type);
    CAIRN_ASSIGN_OR_RETURN(auto current, ReadIfFile(tree, target));
    std::optional<std::string> template_text = current;
    if (current) {
      const auto& known = KnownMd5sums().at(type);
      if (std::find(known.begin(), known.end(), Md5Hex(TemplateSkeleton(*current))) !=
          known.end()) {
        CAIRN_ASSIGN_OR_RETURN(template_text, ReadIfFile(tree, stock));
      }
    }
    std::optional<std::string> written;
    if (template_text) {
      CAIRN_ASSIGN_OR_RETURN(written, CreateFromTemplate(*template_text, profiles, enabled,
                                                         diff ? &*diff : nullptr, type));
    }
    if (!written) {
      if (!force) {
        Log(log, fmt::format("pam-auth-update: '/{}' has no managed block; stopped", target));
        return {};
      }
      CAIRN_ASSIGN_OR_RETURN(template_text, ReadIfFile(tree, stock));
      if (template_text) {
        CAIRN_ASSIGN_OR_RETURN(written, CreateFromTemplate(*template_text, profiles, enabled,
                                                           diff ? &*diff : nullptr, type));
      }
      if (!written) {
        Log(log, fmt::format("pam-auth-update: no usable template '/{}'; stopped", stock));
        return {};
      }
    }

    std::string state;
    const std::string uctype = UcFirst(type);
    int i = 0;
    for (const std::string& mod : enabled) {
      const Profile& p = profiles.at(mod);
      if (!p.Has(uctype + "-Type") || p.Get(uctype + "-Type") == "Additional") continue;
      std::string output = LinesFor(p, uctype, i++);
      if (!output.empty() && output != "0") state += "Module: " + mod + "\n" + output + "\n";
    }
    if (i == 0) state += "Module: null\n[default=1]\t\t\tpam_permit.so\n";
    i = 0;
    for (const std::string& mod : enabled) {
      const Profile& p = profiles.at(mod);
      if (!p.Has(uctype + "-Type") || p.Get(uctype + "-Type") == "Primary") continue;
      std::string output = LinesFor(p, uctype, i++);
      if (!output.empty() && output != "0") state += "Module: " + mod + "\n" + output + "\n";
    }

    if (StatNode(tree, target) && force) {
      // `cp -f TARGET TARGET.pam-old`; the postinst removes all but session-noninteractive's.
      const std::string old = target + ".pam-old";
      const rootfs::Node* prev = StatNode(tree, old);
      uint32_t mode = prev && IsRegularNode(prev) ? prev->meta.mode & 07777
                                                  : StatNode(tree, target)->meta.mode & 0755;
      CAIRN_ASSIGN_OR_RETURN(std::string old_to, tree.Resolve(old));
      CAIRN_TRY(tree.AddFile(old_to, current.value_or(""), mode, 0, 0, mtime));
    }
    CAIRN_TRY(WriteFile(tree, target, *written, mtime, log));
    CAIRN_ASSIGN_OR_RETURN(std::string state_to,
                           tree.Resolve(fmt::format("{}/{}", kSaveDir, type)));
    CAIRN_TRY(WriteFile(tree, state_to, state, mtime, log));
  }

  if (force) {
    for (const char* type : {"auth", "account", "password", "session"}) {
      const std::string old = fmt::format("{}/common-{}.pam-old", kConfDir, type);
      std::string key;
      const rootfs::Node* node = internal::LstatNode(tree, old, &key);
      if (node && !IsDirectoryNode(node)) tree.Remove(key);
    }
  }
  return {};
}

}  // namespace cairn::effects
