#include "config/parse_file.h"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "cairn/config/arch.h"
#include "cairn/config/did_you_mean.h"

namespace cairn::config::internal {
namespace fs = std::filesystem;
namespace {

bool IsUrl(std::string_view s) { return s.find("://") != std::string_view::npos; }

}  // namespace

// Makes a local path absolute against the declaring file's directory; URLs and
// absolute paths are kept. A leading "@tag " (apk repository pinning) is kept.
std::string ResolveLocal(const fs::path& dir, const std::string& value, bool trim_slash) {
  std::string tag;
  std::string rest = value;
  if (!rest.empty() && rest[0] == '@') {
    size_t sp = rest.find_first_of(" \t");
    if (sp == std::string::npos) return value;  // a bare tag: leave it for validation
    tag = rest.substr(0, sp);
    size_t start = rest.find_first_not_of(" \t", sp);
    rest = start == std::string::npos ? "" : rest.substr(start);
  }
  if (trim_slash) {
    while (rest.size() > 1 && rest.back() == '/') rest.pop_back();
  }
  if (!rest.empty() && !IsUrl(rest) && rest[0] != '/') {
    std::error_code ec;
    fs::path abs = fs::absolute(dir / rest, ec);
    if (!ec) rest = abs.lexically_normal().string();
    while (rest.size() > 1 && rest.back() == '/') rest.pop_back();
  }
  return tag.empty() ? rest : tag + " " + rest;
}

namespace {

Result<DebianSource> ParseDebianSource(const YamlFile& f, const YAML::Node& node,
                                       const fs::path& dir, const std::string& what) {
  DebianSource src;
  src.loc = f.Loc(node);
  if (!node.IsMap()) return WrongType(f, node, what, "a mapping");
  CAIRN_TRY(ForEachKey(
      f, node, what, {"url", "suites", "components", "keyring"},
      [&](const std::string& key, const YAML::Node&, const YAML::Node& v) -> Status {
        std::string w = JoinKey(what, key);
        if (key == "url") {
          CAIRN_ASSIGN_OR_RETURN(src.url, ReadLString(f, v, w));
          src.url.value = ResolveLocal(dir, src.url.value, /*trim_slash=*/true);
          return {};
        }
        CAIRN_ASSIGN_OR_RETURN(std::vector<LString> list, ReadStringList(f, v, w));
        if (key == "suites") src.suites = std::move(list);
        else if (key == "components") src.components = std::move(list);
        else {
          for (LString& k : list) k.value = ResolveLocal(dir, k.value, false);
          src.keyring = std::move(list);
        }
        return {};
      }));
  if (src.suites.empty())
    return ConfigError(src.loc, fmt::format("'{}' names no suites", what))
        .Hint("add e.g. 'suites: [bookworm, bookworm-updates]'");
  return src;
}

Status ParseDebian(const YamlFile& f, const YAML::Node& key, const YAML::Node& node,
                   const fs::path& dir, Debian& out) {
  out.loc = f.Loc(key);
  return ForEachKey(
      f, node, "contents.debian", {"sources", "recommends", "essential", "required", "allow-expired"},
      [&](const std::string& key, const YAML::Node&, const YAML::Node& v) -> Status {
        std::string w = "contents.debian." + key;
        if (key == "sources") {
          if (!v.IsSequence()) return WrongType(f, v, w, "a list of sources");
          for (size_t i = 0; i < v.size(); ++i) {
            CAIRN_ASSIGN_OR_RETURN(auto src,
                                   ParseDebianSource(f, v[i], dir, fmt::format("{}[{}]", w, i)));
            out.sources.push_back(std::move(src));
          }
          return {};
        }
        CAIRN_ASSIGN_OR_RETURN(bool b, ReadBool(f, v, w));
        if (key == "recommends") out.recommends = b;
        else if (key == "essential") out.essential = b;
        else if (key == "required") out.required = b;
        else out.allow_expired = b;
        return {};
      });
}

Status ParseContents(const YamlFile& f, const YAML::Node& node, const fs::path& dir,
                     Contents& out) {
  static const std::vector<std::string> kKeys = {"repositories", "build_repositories",
                                                 "runtime_repositories", "keyring", "packages",
                                                 "debian"};
  return ForEachKey(
      f, node, "contents", kKeys,
      [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& v) -> Status {
        if (key == "debian") return ParseDebian(f, key_node, v, dir, out.debian);
        std::string what = "contents." + key;
        CAIRN_ASSIGN_OR_RETURN(std::vector<LString> list, ReadStringList(f, v, what));
        if (key != "packages") {
          bool is_repo = key != "keyring";
          for (LString& s : list) s.value = ResolveLocal(dir, s.value, is_repo);
        }
        if (key == "repositories") out.repositories = std::move(list);
        else if (key == "build_repositories") out.build_repositories = std::move(list);
        else if (key == "runtime_repositories") out.runtime_repositories = std::move(list);
        else if (key == "keyring") out.keyring = std::move(list);
        else out.packages = std::move(list);
        return {};
      },
      {"baseimage", "runtime_keyring"});
}

}  // namespace

Result<std::vector<LString>> ParseArchs(const YamlFile& f, const YAML::Node& node,
                                        std::string_view what) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<LString> names, ReadStringList(f, node, what));
  std::vector<LString> out;
  for (const LString& n : names) {
    std::vector<std::string> apk = ExpandArch(n.value);
    if (apk.empty()) {
      Error e = ConfigError(n.loc, fmt::format("unknown architecture '{}'", n.value));
      std::vector<std::string> all = KnownApkArchs();
      for (const std::string& a : KnownApkoArchs()) {
        if (std::find(all.begin(), all.end(), a) == all.end()) all.push_back(a);
      }
      if (auto s = SuggestClosest(n.value, all)) {
        e.Hint(fmt::format("did you mean '{}'?", *s));
      } else {
        std::vector<std::string> apko_only;
        for (const std::string& a : KnownApkoArchs()) {
          if (!NormalizeArch(a) || *NormalizeArch(a) != a) apko_only.push_back(a);
        }
        e.Hint(fmt::format("expected one of {} (apk names), {} (apko names) or 'all'",
                           QuoteList(KnownApkArchs(), ", "), QuoteList(apko_only, ", ")));
      }
      return e;
    }
    for (std::string& a : apk) {
      bool dup = std::any_of(out.begin(), out.end(), [&](const LString& o) { return o.value == a; });
      if (!dup) out.push_back(LString{std::move(a), n.loc});
    }
  }
  return out;
}

namespace {

Result<Group> ParseGroup(const YamlFile& f, const YAML::Node& node, const std::string& what) {
  Group g;
  g.loc = f.Loc(node);
  CAIRN_TRY(ForEachKey(f, node, what, {"groupname", "gid", "members"},
                       [&](const std::string& key, const YAML::Node&, const YAML::Node& v) -> Status {
                         std::string w = JoinKey(what, key);
                         if (key == "groupname") {
                           CAIRN_ASSIGN_OR_RETURN(g.groupname, ReadLString(f, v, w));
                         } else if (key == "gid") {
                           CAIRN_ASSIGN_OR_RETURN(g.gid, ReadUint32(f, v, w));
                         } else {
                           CAIRN_ASSIGN_OR_RETURN(auto members, ReadStringList(f, v, w));
                           for (LString& m : members) g.members.push_back(std::move(m.value));
                         }
                         return {};
                       }));
  return g;
}

Result<User> ParseUser(const YamlFile& f, const YAML::Node& node, const std::string& what) {
  User u;
  u.loc = f.Loc(node);
  CAIRN_TRY(ForEachKey(f, node, what, {"username", "uid", "gid", "shell", "homedir"},
                       [&](const std::string& key, const YAML::Node&, const YAML::Node& v) -> Status {
                         std::string w = JoinKey(what, key);
                         if (key == "username") {
                           CAIRN_ASSIGN_OR_RETURN(u.username, ReadLString(f, v, w));
                         } else if (key == "uid") {
                           CAIRN_ASSIGN_OR_RETURN(u.uid, ReadUint32(f, v, w));
                         } else if (key == "gid") {
                           CAIRN_ASSIGN_OR_RETURN(u.gid, ReadUint32(f, v, w));
                         } else if (key == "shell") {
                           CAIRN_ASSIGN_OR_RETURN(u.shell, ReadString(f, v, w));
                         } else {
                           CAIRN_ASSIGN_OR_RETURN(u.homedir, ReadString(f, v, w));
                         }
                         return {};
                       }));
  return u;
}

}  // namespace

Status ParseAccounts(const YamlFile& f, const YAML::Node& node, Accounts& out, bool allow_run_as) {
  std::vector<std::string> keys = {"groups", "users"};
  if (allow_run_as) keys.push_back("run-as");
  return ForEachKey(
      f, node, "accounts", keys,
      [&](const std::string& key, const YAML::Node&, const YAML::Node& v) -> Status {
        std::string w = "accounts." + key;
        if (key == "groups") {
          CAIRN_ASSIGN_OR_RETURN(out.groups,
                                 ParseList<Group>(f, v, w, "a list of groups",
                                                  [&](const YAML::Node& n, const std::string& iw) {
                                                    return ParseGroup(f, n, iw);
                                                  }));
        } else if (key == "users") {
          CAIRN_ASSIGN_OR_RETURN(out.users,
                                 ParseList<User>(f, v, w, "a list of users",
                                                 [&](const YAML::Node& n, const std::string& iw) {
                                                   return ParseUser(f, n, iw);
                                                 }));
        } else {
          CAIRN_ASSIGN_OR_RETURN(out.run_as, ReadLString(f, v, w));
        }
        return {};
      });
}

Status ParseEntrypoint(const YamlFile& f, const YAML::Node& node, Entrypoint& out) {
  return ForEachKey(
      f, node, "entrypoint", {"type", "command", "shell-fragment", "services"},
      [&](const std::string& key, const YAML::Node&, const YAML::Node& v) -> Status {
        std::string w = "entrypoint." + key;
        if (key == "type") {
          CAIRN_ASSIGN_OR_RETURN(out.type, ReadString(f, v, w));
        } else if (key == "command") {
          CAIRN_ASSIGN_OR_RETURN(out.command, ReadString(f, v, w));
        } else if (key == "shell-fragment") {
          CAIRN_ASSIGN_OR_RETURN(out.shell_fragment, ReadString(f, v, w));
        } else {
          CAIRN_ASSIGN_OR_RETURN(out.services, ReadStringMap(f, v, w));
        }
        return {};
      });
}

Result<PathMutation> ParsePath(const YamlFile& f, const YAML::Node& node, const std::string& what) {
  static const std::vector<std::pair<std::string, PathMutation::Type>> kTypes = {
      {"directory", PathMutation::Type::kDirectory},
      {"empty-file", PathMutation::Type::kEmptyFile},
      {"hardlink", PathMutation::Type::kHardLink},
      {"symlink", PathMutation::Type::kSymLink},
      {"permissions", PathMutation::Type::kPermissions}};
  PathMutation p;
  p.loc = f.Loc(node);
  CAIRN_TRY(ForEachKey(
      f, node, what, {"path", "type", "uid", "gid", "permissions", "source", "recursive"},
      [&](const std::string& key, const YAML::Node&, const YAML::Node& v) -> Status {
        std::string w = JoinKey(what, key);
        if (key == "path") {
          CAIRN_ASSIGN_OR_RETURN(p.path, ReadLString(f, v, w));
        } else if (key == "type") {
          CAIRN_ASSIGN_OR_RETURN(LString t, ReadLString(f, v, w));
          std::vector<std::string> names;
          for (const auto& [name, type] : kTypes) {
            if (t.value == name) {
              p.type = type;
              return {};
            }
            names.push_back(name);
          }
          Error e = ConfigError(t.loc, fmt::format("unknown path type '{}'", t.value));
          if (auto s = SuggestClosest(t.value, names)) {
            return std::move(e).Hint(fmt::format("did you mean '{}'?", *s));
          }
          return std::move(e).Hint(fmt::format("expected {}", QuoteList(names)));
        } else if (key == "uid") {
          CAIRN_ASSIGN_OR_RETURN(p.uid, ReadUint32(f, v, w));
        } else if (key == "gid") {
          CAIRN_ASSIGN_OR_RETURN(p.gid, ReadUint32(f, v, w));
        } else if (key == "permissions") {
          CAIRN_ASSIGN_OR_RETURN(p.permissions,
                                 ReadUint32(f, v, w, "an octal mode such as 0o755 or 0755"));
        } else if (key == "source") {
          CAIRN_ASSIGN_OR_RETURN(p.source, ReadLString(f, v, w));
        } else {
          CAIRN_ASSIGN_OR_RETURN(p.recursive, ReadBool(f, v, w));
        }
        return {};
      }));
  // apko joins the path to the root; store it absolute so later stages need not.
  if (!p.path.value.empty() && p.path.value[0] != '/') p.path.value = "/" + p.path.value;
  return p;
}

Result<InlineFile> ParseFile(const YamlFile& f, const YAML::Node& node, const std::string& what) {
  InlineFile file;
  file.loc = f.Loc(node);
  bool have_path = false;
  CAIRN_TRY(ForEachKey(
      f, node, what, {"path", "content", "mode", "uid", "gid"},
      [&](const std::string& key, const YAML::Node&, const YAML::Node& v) -> Status {
        std::string w = JoinKey(what, key);
        if (key == "path") {
          CAIRN_ASSIGN_OR_RETURN(file.path, ReadLString(f, v, w));
          have_path = true;
          CAIRN_TRY(CheckImagePath(file.path, w));
        } else if (key == "content") {
          CAIRN_ASSIGN_OR_RETURN(file.content, ReadString(f, v, w));
        } else if (key == "mode") {
          CAIRN_ASSIGN_OR_RETURN(file.mode, ReadUint32(f, v, w, "an octal mode such as 0o644 or 0644"));
        } else if (key == "uid") {
          CAIRN_ASSIGN_OR_RETURN(file.uid, ReadUint32(f, v, w));
        } else {
          CAIRN_ASSIGN_OR_RETURN(file.gid, ReadUint32(f, v, w));
        }
        return {};
      }));
  if (!have_path) {
    return ConfigError(file.loc, fmt::format("'{}' has no 'path'", what))
        .Hint("give the absolute path of the file in the image, e.g. 'path: /etc/motd'");
  }
  return file;
}

// `outputs:`: a list whose entries are a type ("squashfs") or a mapping
// with `type` and that type's options.
Result<std::vector<Output>> ParseOutputs(const YamlFile& f, const YAML::Node& node) {
  std::vector<Output> outs;
  if (node.IsNull()) return outs;
  if (!node.IsSequence()) return WrongType(f, node, "outputs", "a list of outputs");
  for (const YAML::Node& item : node) {
    Output o;
    o.loc = f.Loc(item);
    if (item.IsScalar()) {
      CAIRN_ASSIGN_OR_RETURN(o.type, ReadLString(f, item, "outputs[]"));
    } else if (item.IsMap()) {
      CAIRN_TRY(ForEachKey(
          f, item, "outputs[]", {"type", "compression", "level", "layer", "contents", "format"},
          [&](const std::string& k, const YAML::Node&, const YAML::Node& v) -> Status {
            const std::string w = JoinKey("outputs[]", k);
            if (k == "type") {
              CAIRN_ASSIGN_OR_RETURN(o.type, ReadLString(f, v, w));
            } else if (k == "compression") {
              CAIRN_ASSIGN_OR_RETURN(o.compression, ReadLString(f, v, w));
            } else if (k == "level") {
              CAIRN_ASSIGN_OR_RETURN(int64_t level, ReadInt64(f, v, w));
              if (level < 1 || level > 22)
                return ConfigError(f.Loc(v), fmt::format("'{}' must be 1..22, not {}", w, level));
              o.level = static_cast<int>(level);
            } else if (k == "layer") {
              CAIRN_ASSIGN_OR_RETURN(o.layer, ReadLString(f, v, w));
            } else if (k == "contents") {
              CAIRN_ASSIGN_OR_RETURN(o.contents, ReadLString(f, v, w));
            } else {
              CAIRN_ASSIGN_OR_RETURN(o.format, ReadLString(f, v, w));
            }
            return {};
          }));
      if (!o.type.loc.known())
        return ConfigError(o.loc, "output without a 'type'")
            .Hint("expected 'type: squashfs', 'type: erofs', 'type: cpio' or 'type: disk'");
    } else {
      return WrongType(f, item, "outputs[]", "an output type or a mapping with 'type'");
    }
    outs.push_back(std::move(o));
  }
  return outs;
}

const std::vector<std::string>& TopLevelKeys() {
  static const std::vector<std::string> keys = {
      "name",        "description", "include",     "contents",    "archs",   "accounts",
      "entrypoint",  "cmd",         "stop-signal", "work-dir",    "environment",
      "annotations", "volumes",     "paths",       "files",       "base",    "layers",
      "boards",      "outputs",     "vcs-url",     "layering"};
  return keys;
}

Result<std::vector<LString>> ReadNameList(const YamlFile& f, const YAML::Node& node,
                                          std::string_view what, std::string_view noun) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<LString> names, ReadStringList(f, node, what));
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].value.empty()) {
      return ConfigError(names[i].loc, fmt::format("empty {} name in '{}'", noun, what));
    }
    for (size_t j = 0; j < i; ++j) {
      if (names[j].value == names[i].value) {
        return ConfigError(names[i].loc, fmt::format("{} '{}' is listed twice", noun, names[i].value))
            .Hint(fmt::format("first listed at {}", names[j].loc.ToString()));
      }
    }
  }
  return names;
}

Status CheckImagePath(const LString& path, std::string_view what) {
  if (path.value.empty() || path.value[0] != '/') {
    return ConfigError(path.loc, fmt::format("'{}' must be an absolute path in the image, got '{}'",
                                             what, path.value))
        .Hint("start the path with '/'");
  }
  for (const auto& part : fs::path(path.value)) {
    if (part == "..") {
      return ConfigError(path.loc,
                         fmt::format("'{}' must not contain '..', got '{}'", what, path.value))
          .Hint("write the path from the image root without '..'");
    }
  }
  return {};
}

Result<ParsedFile> ParseDeclaration(const YamlFile& f, const fs::path& dir) {
  ParsedFile out;
  Image& img = out.image;
  CAIRN_TRY(ForEachKey(
      f, f.root(), "", TopLevelKeys(),
      [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) -> Status {
        img.key_locs[key] = f.Loc(k);
        if (key == "name") {
          CAIRN_ASSIGN_OR_RETURN(img.name, ReadLString(f, v, key));
        } else if (key == "description") {
          CAIRN_ASSIGN_OR_RETURN(img.description, ReadLString(f, v, key));
        } else if (key == "include") {
          // apko takes one path; cairn also takes a list.
          if (v.IsScalar()) {
            out.includes.push_back(LString{v.Scalar(), f.Loc(v)});
          } else if (!v.IsNull()) {
            if (!v.IsSequence()) return WrongType(f, v, key, "a path or a list of paths");
            CAIRN_ASSIGN_OR_RETURN(out.includes, ReadStringList(f, v, key));
          }
        } else if (key == "contents") {
          img.contents.loc = f.Loc(k);
          CAIRN_TRY(ParseContents(f, v, dir, img.contents));
        } else if (key == "archs") {
          CAIRN_ASSIGN_OR_RETURN(img.archs, ParseArchs(f, v, key));
        } else if (key == "accounts") {
          img.accounts.loc = f.Loc(k);
          CAIRN_TRY(ParseAccounts(f, v, img.accounts, /*allow_run_as=*/true));
        } else if (key == "entrypoint") {
          img.entrypoint.loc = f.Loc(k);
          CAIRN_TRY(ParseEntrypoint(f, v, img.entrypoint));
        } else if (key == "cmd") {
          CAIRN_ASSIGN_OR_RETURN(img.cmd, ReadString(f, v, key));
        } else if (key == "stop-signal") {
          CAIRN_ASSIGN_OR_RETURN(img.stop_signal, ReadString(f, v, key));
        } else if (key == "work-dir") {
          CAIRN_ASSIGN_OR_RETURN(img.work_dir, ReadString(f, v, key));
        } else if (key == "environment") {
          CAIRN_ASSIGN_OR_RETURN(img.environment, ReadStringMap(f, v, key));
        } else if (key == "annotations") {
          CAIRN_ASSIGN_OR_RETURN(img.annotations, ReadStringMap(f, v, key));
        } else if (key == "volumes") {
          CAIRN_ASSIGN_OR_RETURN(auto vols, ReadStringList(f, v, key));
          for (LString& s : vols) img.volumes.push_back(std::move(s.value));
        } else if (key == "paths") {
          CAIRN_ASSIGN_OR_RETURN(img.paths, ParseList<PathMutation>(
                                                f, v, key, "a list of path mutations",
                                                [&](const YAML::Node& n, const std::string& w) {
                                                  return ParsePath(f, n, w);
                                                }));
        } else if (key == "files") {
          CAIRN_ASSIGN_OR_RETURN(img.files, ParseList<InlineFile>(
                                                f, v, key, "a list of files",
                                                [&](const YAML::Node& n, const std::string& w) {
                                                  return ParseFile(f, n, w);
                                                }));
        } else if (key == "base") {
          CAIRN_ASSIGN_OR_RETURN(img.base, ReadLString(f, v, key));
          if (img.base.value.empty()) {
            return ConfigError(img.base.loc, "empty 'base'")
                .Hint("name an image under <project>/images, or give a path ending in .yaml");
          }
        } else if (key == "layers") {
          CAIRN_ASSIGN_OR_RETURN(img.layers, ReadNameList(f, v, key, "layer"));
        } else if (key == "boards") {
          CAIRN_ASSIGN_OR_RETURN(img.boards, ReadNameList(f, v, key, "board"));
        } else if (key == "outputs") {
          CAIRN_ASSIGN_OR_RETURN(img.outputs, ParseOutputs(f, v));
        } else if (key == "vcs-url") {
          CAIRN_ASSIGN_OR_RETURN(img.vcs_url, ReadString(f, v, key));
        } else if (key == "layering") {
          img.layering.loc = f.Loc(k);
          CAIRN_TRY(ForEachKey(f, v, key, {"strategy", "budget"},
                               [&](const std::string& lk, const YAML::Node&,
                                   const YAML::Node& lv) -> Status {
                                 if (lk == "strategy") {
                                   CAIRN_ASSIGN_OR_RETURN(img.layering.strategy,
                                                          ReadString(f, lv, "layering.strategy"));
                                 } else {
                                   CAIRN_ASSIGN_OR_RETURN(img.layering.budget,
                                                          ReadInt64(f, lv, "layering.budget"));
                                 }
                                 return {};
                               }));
        }
        return {};
      },
      {"certificates", "os-release", "format"}));
  return out;
}

}  // namespace cairn::config::internal
