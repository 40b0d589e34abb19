// ScanMaintainerScript: maintainer-script commands classified as actions.
//
// effects/shell_words.h reads the script into simple commands (quotes,
// here-documents, case labels, functions and conditions handled there). This
// file expands each command's words (only $DPKG_ROOT, which is "" for an
// image root, and variables assigned once to a literal) and maps known
// commands to actions. It is a heuristic, not a shell: control flow is not
// followed, so every branch counts, and a command it cannot expand is
// reported rather than guessed.
#include "cairn/effects/script_scan.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "effects/shell_words.h"

namespace cairn::effects {
namespace {

namespace sh = internal::sh;
using sh::BestEffort;
using sh::Command;
using sh::ExpandWord;
using sh::Literal;
using sh::Vars;
using sh::Word;

// ---------------------------------------------------------------------------
// Classification

enum class Outcome { kHandled, kUnrecognised };

bool ParseUint(std::string_view s, uint32_t& out, int base = 10) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

bool OneOf(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

template <size_t N>
bool OneOf(std::string_view s, const std::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), s) != std::end(set);
}

Outcome UpdateAlternatives(const std::vector<std::string>& a, ScriptActions& out) {
  size_t i = 0;
  while (i < a.size()) {
    const std::string& opt = a[i];
    if (opt == "--install") {
      if (a.size() < i + 5) return Outcome::kUnrecognised;
      AlternativeInstall in;
      in.link = a[i + 1];
      in.name = a[i + 2];
      in.path = a[i + 3];
      auto [p, ec] =
          std::from_chars(a[i + 4].data(), a[i + 4].data() + a[i + 4].size(), in.priority);
      if (ec != std::errc() || p != a[i + 4].data() + a[i + 4].size())
        return Outcome::kUnrecognised;
      i += 5;
      while (i < a.size()) {
        if (a[i] != "--slave" || a.size() < i + 4) return Outcome::kUnrecognised;
        in.slaves.push_back({a[i + 1], a[i + 2], a[i + 3]});
        i += 4;
      }
      out.alternatives.push_back(std::move(in));
      return Outcome::kHandled;
    }
    // Removing what a postinst never installed, and queries, change nothing here.
    if (OneOf(opt, {"--remove", "--remove-all", "--query", "--display", "--list",
                    "--get-selections", "--help", "--version"}))
      return Outcome::kHandled;
    if (OneOf(opt, {"--altdir", "--admindir", "--log", "--root", "--instdir"})) {
      i += 2;
      continue;
    }
    if (OneOf(opt, {"--quiet", "--verbose", "--force", "--debug", "--skip-auto"})) {
      ++i;
      continue;
    }
    return Outcome::kUnrecognised;  // --set, --auto, --config, --set-selections ...
  }
  return Outcome::kUnrecognised;
}

// adduser/addgroup (Debian adduser), useradd/groupadd/usermod (shadow).
Outcome Account(const std::string& tool, const std::vector<std::string>& a, ScriptActions& out) {
  AccountAction act;
  act.tool = tool;
  std::vector<std::string> positional;
  if (tool == "adduser" || tool == "addgroup") {
    bool group_flag = false;
    act.create_home = true;
    for (size_t i = 0; i < a.size(); ++i) {
      std::string opt = a[i];
      std::string value;
      bool inline_value = false;
      if (opt.rfind("--", 0) == 0 && opt.find('=') != std::string::npos) {
        value = opt.substr(opt.find('=') + 1);
        opt = opt.substr(0, opt.find('='));
        inline_value = true;
      }
      auto take = [&](std::string& dst) {
        if (inline_value) {
          dst = value;
          return true;
        }
        if (i + 1 >= a.size()) return false;
        dst = a[++i];
        return true;
      };
      std::string num;
      if (opt == "--system") {
        act.system = true;
      } else if (opt == "--group") {
        group_flag = true;
      } else if (opt == "--ingroup") {
        if (!take(act.group)) return Outcome::kUnrecognised;
      } else if (opt == "--home") {
        if (!take(act.home)) return Outcome::kUnrecognised;
      } else if (opt == "--shell") {
        if (!take(act.shell)) return Outcome::kUnrecognised;
      } else if (opt == "--gecos" || opt == "--comment") {
        if (!take(act.gecos)) return Outcome::kUnrecognised;
      } else if (opt == "--uid" || opt == "--gid") {
        uint32_t id = 0;
        if (!take(num) || !ParseUint(num, id)) return Outcome::kUnrecognised;
        (opt == "--uid" ? act.uid : act.gid) = id;
      } else if (opt == "--no-create-home") {
        act.create_home = false;
      } else if (OneOf(opt, {"--firstuid", "--lastuid", "--firstgid", "--lastgid", "--conf",
                             "--extrausers", "--key"})) {
        if (!inline_value && opt != "--extrausers") ++i;
      } else if (opt.size() > 1 && opt[0] == '-') {
        // --quiet, --force-badname, --disabled-password, --disabled-login, ...
      } else {
        positional.push_back(a[i]);
      }
    }
    if (positional.size() == 2 && tool == "adduser" && !group_flag && !act.system) {
      out.accounts.push_back(
          {AccountAction::Kind::kMembership, tool, false, positional[0], positional[1]});
      return Outcome::kHandled;
    }
    if (positional.size() != 1) return Outcome::kUnrecognised;
    act.name = positional[0];
    if (tool == "addgroup" || (group_flag && !act.system)) {
      act.kind = AccountAction::Kind::kGroup;
      act.create_home = false;
    } else {
      act.create_group = group_flag;
    }
    out.accounts.push_back(std::move(act));
    return Outcome::kHandled;
  }

  // shadow's tools: short options may be combined ("-rM").
  static const std::map<std::string, char, std::less<>> kLong = {
      {"--system", 'r'},     {"--gid", 'g'},           {"--groups", 'G'},
      {"--home-dir", 'd'},   {"--create-home", 'm'},   {"--no-create-home", 'M'},
      {"--shell", 's'},      {"--comment", 'c'},       {"--uid", 'u'},
      {"--user-group", 'U'}, {"--no-user-group", 'N'}, {"--force", 'f'},
      {"--non-unique", 'o'}, {"--append", 'a'},        {"--key", 'K'},
      {"--password", 'p'},   {"--root", 'R'},          {"--prefix", 'P'},
      {"--base-dir", 'b'},   {"--expiredate", 'e'},    {"--inactive", 'f'},
      {"--skel", 'k'}};
  const std::string_view with_arg = tool == "groupadd" ? "gKpRP" : "gGdscuKpRPbefkl";
  std::vector<std::pair<char, std::string>> opts;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& w = a[i];
    if (w.rfind("--", 0) == 0) {
      std::string name = w.substr(0, w.find('='));
      auto it = kLong.find(name);
      if (it == kLong.end()) return Outcome::kUnrecognised;
      std::string value;
      if (with_arg.find(it->second) != std::string_view::npos) {
        if (w.find('=') != std::string::npos)
          value = w.substr(w.find('=') + 1);
        else if (i + 1 < a.size())
          value = a[++i];
        else
          return Outcome::kUnrecognised;
      }
      opts.emplace_back(it->second, value);
    } else if (w.size() > 1 && w[0] == '-') {
      for (size_t k = 1; k < w.size(); ++k) {
        char c = w[k];
        if (with_arg.find(c) == std::string_view::npos) {
          opts.emplace_back(c, "");
          continue;
        }
        std::string value = w.substr(k + 1);
        if (value.empty()) {
          if (i + 1 >= a.size()) return Outcome::kUnrecognised;
          value = a[++i];
        }
        opts.emplace_back(c, value);
        break;
      }
    } else {
      positional.push_back(w);
    }
  }
  if (positional.size() != 1) return Outcome::kUnrecognised;
  act.name = positional[0];

  if (tool == "usermod") {
    // Only `usermod -a -G groups user` is data; anything else edits an account.
    bool append = false;
    std::string groups;
    for (const auto& [c, v] : opts) {
      if (c == 'a')
        append = true;
      else if (c == 'G')
        groups = v;
      else
        return Outcome::kUnrecognised;
    }
    if (!append || groups.empty()) return Outcome::kUnrecognised;
    size_t pos = 0;
    while (pos <= groups.size()) {
      size_t comma = groups.find(',', pos);
      if (comma == std::string::npos) comma = groups.size();
      if (comma > pos)
        out.accounts.push_back({AccountAction::Kind::kMembership, tool, false, act.name,
                                groups.substr(pos, comma - pos)});
      pos = comma + 1;
    }
    return Outcome::kHandled;
  }

  act.kind = tool == "groupadd" ? AccountAction::Kind::kGroup : AccountAction::Kind::kUser;
  bool no_user_group = false;
  for (const auto& [c, v] : opts) {
    uint32_t id = 0;
    switch (c) {
      case 'r':
        act.system = true;
        break;
      case 'g':
        if (ParseUint(v, id))
          act.gid = id;
        else if (act.kind == AccountAction::Kind::kUser)
          act.group = v;
        else
          return Outcome::kUnrecognised;
        break;
      case 'u':
        if (!ParseUint(v, id)) return Outcome::kUnrecognised;
        act.uid = id;
        break;
      case 'G': {
        size_t pos = 0;
        while (pos <= v.size()) {
          size_t comma = v.find(',', pos);
          if (comma == std::string::npos) comma = v.size();
          if (comma > pos) act.extra_groups.push_back(v.substr(pos, comma - pos));
          pos = comma + 1;
        }
        break;
      }
      case 'd':
        act.home = v;
        break;
      case 'm':
        act.create_home = true;
        break;
      case 'M':
        act.create_home = false;
        break;
      case 's':
        act.shell = v;
        break;
      case 'c':
        act.gecos = v;
        break;
      case 'N':
        no_user_group = true;
        break;
      default:
        break;  // -U, -f, -o, -K, ... do not change what is created
    }
  }
  // Debian's login.defs has USERGROUPS_ENAB yes: useradd makes a group of
  // the user's name unless -N or an explicit -g says otherwise.
  if (act.kind == AccountAction::Kind::kUser)
    act.create_group = !no_user_group && act.group.empty() && !act.gid;
  out.accounts.push_back(std::move(act));
  return Outcome::kHandled;
}

Outcome DebSystemdHelper(const std::vector<std::string>& a, ScriptActions& out) {
  UnitAction act;
  act.tool = "deb-systemd-helper";
  size_t i = 0;
  for (; i < a.size() && a[i].rfind("--", 0) == 0; ++i) {
    if (a[i] == "--user") act.user = true;
  }
  if (i >= a.size()) return Outcome::kUnrecognised;
  act.verb = a[i];
  if (OneOf(act.verb, {"was-enabled", "is-enabled", "debian-installed"})) return Outcome::kHandled;
  if (!OneOf(act.verb,
             {"enable", "disable", "purge", "mask", "unmask", "update-state", "reenable"}))
    return Outcome::kUnrecognised;
  act.units.assign(a.begin() + static_cast<std::ptrdiff_t>(i) + 1, a.end());
  out.units.push_back(std::move(act));
  return Outcome::kHandled;
}

constexpr std::string_view kSystemctlStateVerbs[] = {
    "enable",     "disable",     "reenable",  "mask",         "unmask", "preset",
    "preset-all", "set-default", "add-wants", "add-requires", "link",   "revert"};

Outcome Systemctl(const std::vector<Word>& words, const Vars& vars, ScriptActions& out) {
  auto a = Literal(words, 1, vars);
  if (!a) {
    // `systemctl "$@"` in a wrapper function: report only if a state verb shows.
    for (size_t i = 1; i < words.size(); ++i)
      if (OneOf(words[i].Display(), kSystemctlStateVerbs)) return Outcome::kUnrecognised;
    return Outcome::kHandled;
  }
  UnitAction act;
  act.tool = "systemctl";
  size_t i = 0;
  for (; i < a->size() && (*a)[i].rfind('-', 0) == 0; ++i) {
    const std::string& o = (*a)[i];
    if (o == "--user" || o == "--global") act.user = true;
    if (o == "--root" || o == "-M" || o == "-H" || o == "--host" || o == "--machine") ++i;
  }
  if (i >= a->size()) return Outcome::kHandled;
  act.verb = (*a)[i];
  // Runtime verbs (start, daemon-reload, is-active, ...) do nothing to an image.
  if (!OneOf(act.verb, kSystemctlStateVerbs)) return Outcome::kHandled;
  for (++i; i < a->size(); ++i)
    if ((*a)[i].rfind('-', 0) != 0) act.units.push_back((*a)[i]);
  out.units.push_back(std::move(act));
  return Outcome::kHandled;
}

Outcome MaintscriptHelper(const std::vector<Word>& words, const Vars& vars, ScriptActions& out) {
  std::vector<Word> before;
  for (size_t i = 1; i < words.size() && words[i].Bare() != "--"; ++i) before.push_back(words[i]);
  auto a = Literal(before, 0, vars);
  if (!a || a->empty()) return Outcome::kUnrecognised;
  if ((*a)[0] == "supports") return Outcome::kHandled;
  out.maintscript_helper.push_back({(*a)[0], {a->begin() + 1, a->end()}});
  return Outcome::kHandled;
}

Outcome DpkgDivert(const std::vector<std::string>& a, ScriptActions& out) {
  Diversion d;
  std::vector<std::string> files;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& o = a[i];
    if (OneOf(o, {"--list", "--listpackage", "--truename", "--help", "--version"}))
      return Outcome::kHandled;
    if (o == "--add") {
      d.add = true;
    } else if (o == "--remove") {
      d.add = false;
    } else if (o == "--rename") {
      d.rename = true;
    } else if (o == "--no-rename") {
      d.rename = false;
    } else if (o == "--local") {
      d.local = true;
    } else if (o == "--divert" || o == "--package" || o == "--admindir" || o == "--instdir" ||
               o == "--root") {
      if (i + 1 >= a.size()) return Outcome::kUnrecognised;
      if (o == "--divert") d.divert_to = a[i + 1];
      if (o == "--package") d.package = a[i + 1];
      ++i;
    } else if (o == "--test") {
      return Outcome::kHandled;
    } else if (o.rfind("--", 0) == 0) {
      // --quiet
    } else {
      files.push_back(o);
    }
  }
  if (files.size() != 1) return Outcome::kUnrecognised;
  d.file = files[0];
  out.diversions.push_back(std::move(d));
  return Outcome::kHandled;
}

Outcome DpkgStatoverride(const std::vector<std::string>& a, ScriptActions& out) {
  StatOverride s;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& o = a[i];
    if (o == "--list" || o == "--help" || o == "--version") return Outcome::kHandled;
    if (o == "--update") {
      s.update = true;
    } else if (o == "--admindir" || o == "--instdir" || o == "--root") {
      ++i;
    } else if (o == "--add") {
      if (a.size() < i + 5 || !ParseUint(a[i + 3], s.mode, 8)) return Outcome::kUnrecognised;
      s.user = a[i + 1];
      s.group = a[i + 2];
      s.path = a[i + 4];
      out.stat_overrides.push_back(std::move(s));
      return Outcome::kHandled;
    } else if (o == "--remove") {
      if (a.size() < i + 2) return Outcome::kUnrecognised;
      s.add = false;
      s.path = a[i + 1];
      out.stat_overrides.push_back(std::move(s));
      return Outcome::kHandled;
    }
  }
  return Outcome::kUnrecognised;
}

// Builtins and helpers that only read or print; none changes the image.
const std::set<std::string, std::less<>>& Inert() {
  static const std::set<std::string, std::less<>> kInert = {
      ":", ".", "source", "true", "false", "set", "unset", "export", "readonly", "local", "declare",
      "return", "exit", "shift", "break", "continue", "eval", "exec", "trap", "wait", "read", "cd",
      "pwd", "umask", "test", "[", "[[", "echo", "printf", "getopts", "type", "command", "hash",
      "alias", "let", "cat", "grep", "egrep", "fgrep", "sed", "awk", "cut", "tr", "head", "tail",
      "sort", "uniq", "wc", "basename", "dirname", "readlink", "realpath", "dpkg-realpath", "cmp",
      "diff", "md5sum", "sha1sum", "sha256sum", "getent", "id", "uname", "which", "dpkg-query",
      "dpkg-architecture", "mktemp", "sleep", "logger", "expr", "seq", "tty", "stat", "env", "date",
      "whoami", "ischroot", "pathfind", "searchpath",
      // Runtime service control: a chroot or image has nothing running.
      "deb-systemd-invoke", "invoke-rc.d", "service", "start-stop-daemon", "dbus-send", "pidof",
      "nscd", "udevadm", "telinit", "initctl", "runlevel", "systemd-detect-virt",
      "update-notifier"};
  return kInert;
}

const std::set<std::string, std::less<>>& Tools() {
  static const std::set<std::string, std::less<>> kTools = {"ldconfig",
                                                            "update-initramfs",
                                                            "depmod",
                                                            "update-ca-certificates",
                                                            "systemd-sysusers",
                                                            "systemd-tmpfiles",
                                                            "systemd-machine-id-setup",
                                                            "shadowconfig"};
  return kTools;
}

Outcome Classify(const Command& c, const sh::Script& parsed, const Vars& vars, ScriptActions& out) {
  const std::vector<Word>& w = c.words;
  std::string cmd = ExpandWord(w[0], vars).value_or(w[0].Display());
  if (cmd == "sed") {
    // The one filter that commonly edits files in place.
    for (size_t i = 1; i < w.size(); ++i) {
      std::string arg = w[i].Display();
      if (arg.rfind("-i", 0) == 0 || arg.rfind("--in-place", 0) == 0) return Outcome::kUnrecognised;
    }
  }
  if (parsed.functions.count(cmd) || Inert().count(cmd)) return Outcome::kHandled;
  if (cmd == "systemctl") return Systemctl(w, vars, out);
  if (cmd == "dpkg-maintscript-helper") return MaintscriptHelper(w, vars, out);
  if (cmd.rfind("db_", 0) == 0) {
    out.debconf.push_back({cmd, BestEffort(w, 1, vars)});
    return Outcome::kHandled;
  }
  if (Tools().count(cmd)) {
    out.tools.push_back({cmd, BestEffort(w, 1, vars)});
    return Outcome::kHandled;
  }
  if (cmd == "dpkg") {
    for (const std::string& arg : BestEffort(w, 1, vars)) {
      if (OneOf(arg, {"--compare-versions", "--print-architecture", "--print-foreign-architectures",
                      "-s", "--status", "-L", "--listfiles", "-S", "--search", "-l", "--list",
                      "--version"}) ||
          arg.rfind("--assert-", 0) == 0 || arg.rfind("--validate-", 0) == 0)
        return Outcome::kHandled;
    }
    return Outcome::kUnrecognised;
  }

  auto a = Literal(w, 1, vars);
  if (cmd == "dpkg-trigger") {
    if (!a) return Outcome::kUnrecognised;
    for (const std::string& arg : *a) {
      if (arg == "--check-supported") return Outcome::kHandled;
      if (arg.rfind('-', 0) != 0) out.triggers.push_back(arg);
    }
    return Outcome::kHandled;
  }
  if (!a) return Outcome::kUnrecognised;
  if (cmd == "update-alternatives") return UpdateAlternatives(*a, out);
  if (OneOf(cmd, {"adduser", "addgroup", "useradd", "groupadd", "usermod"}))
    return Account(cmd, *a, out);
  if (cmd == "deb-systemd-helper") return DebSystemdHelper(*a, out);
  if (cmd == "dpkg-divert") return DpkgDivert(*a, out);
  if (cmd == "dpkg-statoverride") return DpkgStatoverride(*a, out);
  return Outcome::kUnrecognised;
}

}  // namespace

ScriptActions ScanMaintainerScript(std::string_view package, std::string_view script_name,
                                   std::string_view text) {
  ScriptActions out;
  out.package = std::string(package);
  out.script = std::string(script_name);
  sh::Script parsed = sh::Parse(text);
  Vars vars = sh::LiteralVariables(parsed);
  for (const Command& c : parsed.commands) {
    if (Classify(c, parsed, vars, out) == Outcome::kHandled || c.in_condition) continue;
    std::string name = ExpandWord(c.words[0], vars).value_or(c.words[0].Display());
    if (name.empty()) continue;
    if (std::find(out.unrecognised.begin(), out.unrecognised.end(), name) == out.unrecognised.end())
      out.unrecognised.push_back(std::move(name));
  }
  return out;
}

std::string SkippedCommandsLine(const ScriptActions& actions) {
  if (actions.unrecognised.empty()) return "";
  return fmt::format("skipped: {} {}: {}", actions.package, actions.script,
                     fmt::join(actions.unrecognised, ", "));
}

}  // namespace cairn::effects
