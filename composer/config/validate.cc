#include "cairn/config/validate.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "config/parse_file.h"

namespace cairn::config {
namespace {

// Where a check about a whole section points: the section key, else the file.
SourceLoc SectionLoc(const Image& img, const std::string& key) {
  auto it = img.key_locs.find(key);
  if (it != img.key_locs.end()) return it->second;
  SourceLoc loc;
  loc.file = img.source_file;
  return loc;
}

bool IsNumeric(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error Duplicate(const SourceLoc& here, std::string what, const SourceLoc& first) {
  return ConfigError(here, std::move(what)).Hint(fmt::format("first declared at {}", first.ToString()));
}

Status CheckContents(const Image& img) {
  const Contents& c = img.contents;
  // A Debian image may be just the essential (or required) set.
  bool debian_base = !c.debian.empty() &&
                     (c.debian.essential.value_or(true) || c.debian.required.value_or(false));
  if (c.packages.empty() && !debian_base) {
    return ConfigError(c.loc.known() ? c.loc : SectionLoc(img, "contents"), "no packages declared")
        .Hint("list at least one package under 'contents.packages'");
  }
  bool apk = !c.repositories.empty() || !c.build_repositories.empty() ||
             !c.runtime_repositories.empty();
  if (!c.debian.empty()) {
    if (apk) {
      const LString& first = !c.repositories.empty()         ? c.repositories.front()
                             : !c.build_repositories.empty() ? c.build_repositories.front()
                                                             : c.runtime_repositories.front();
      return ConfigError(first.loc, "an image takes its packages either from APK repositories "
                                    "or from Debian sources, not both")
          .Hint(fmt::format("'contents.debian' is declared at {}", c.debian.loc.ToString()));
    }
    if (c.debian.sources.empty())
      return ConfigError(c.debian.loc, "'contents.debian' has no sources")
          .Hint("add e.g. 'sources: [{suites: [bookworm]}]'");
    for (const DebianSource& src : c.debian.sources) {
      for (const auto* list : {&src.suites, &src.components, &src.keyring}) {
        for (const LString& v : *list) {
          if (v.value.empty()) return ConfigError(v.loc, "empty entry");
          if (list != &src.keyring && v.value.find_first_of(" \t/") != std::string::npos)
            return ConfigError(v.loc, fmt::format("'{}' is not a suite or component name", v.value));
        }
      }
    }
  } else if (!apk) {
    return ConfigError(c.loc.known() ? c.loc : SectionLoc(img, "contents"),
                       "no repositories declared")
        .Hint("list at least one under 'contents.repositories' or 'contents.build_repositories', "
              "or Debian sources under 'contents.debian.sources'");
  }
  for (const auto* list : {&c.repositories, &c.build_repositories, &c.runtime_repositories}) {
    for (const LString& r : *list) {
      if (r.value.empty()) return ConfigError(r.loc, "empty repository");
      if (r.value[0] == '@' && r.value.find_first_of(" \t") == std::string::npos) {
        return ConfigError(r.loc, fmt::format("repository '{}' has a tag but no URL", r.value))
            .Hint("write '@tag https://...' or '@tag ./path'");
      }
    }
  }
  for (const LString& k : c.keyring) {
    if (k.value.empty()) return ConfigError(k.loc, "empty keyring entry");
  }
  for (const LString& p : c.packages) {
    if (p.value.empty()) return ConfigError(p.loc, "empty package name");
    if (p.value.find_first_of(" \t") != std::string::npos) {
      return ConfigError(p.loc, fmt::format("package '{}' contains whitespace", p.value))
          .Hint("write one package per list entry");
    }
  }
  return {};
}

Status CheckAccounts(const Image& img) {
  const Accounts& a = img.accounts;
  std::map<std::string, SourceLoc> group_names, user_names;
  std::map<uint32_t, SourceLoc> gids, uids;
  for (const Group& g : a.groups) {
    if (g.groupname.value.empty()) return ConfigError(g.loc, "group has no 'groupname'");
    if (!g.gid) {
      return ConfigError(g.loc, fmt::format("group '{}' has no 'gid'", g.groupname.value));
    }
    auto [it, fresh] = group_names.emplace(g.groupname.value, g.groupname.loc);
    if (!fresh) {
      return Duplicate(g.groupname.loc, fmt::format("duplicate group '{}'", g.groupname.value),
                       it->second);
    }
    auto [git, gfresh] = gids.emplace(*g.gid, g.loc);
    if (!gfresh) {
      return Duplicate(g.loc, fmt::format("duplicate gid {} (group '{}')", *g.gid, g.groupname.value),
                       git->second);
    }
  }
  for (const User& u : a.users) {
    if (u.username.value.empty()) return ConfigError(u.loc, "user has no 'username'");
    if (!u.uid) return ConfigError(u.loc, fmt::format("user '{}' has no 'uid'", u.username.value));
    if (*u.uid == 0) {
      // apko refuses this too: uid 0 is root, which the base files provide.
      return ConfigError(u.loc, fmt::format("user '{}' has uid 0", u.username.value))
          .Hint("to run as root, use 'run-as: 0' instead of declaring a user");
    }
    auto [it, fresh] = user_names.emplace(u.username.value, u.username.loc);
    if (!fresh) {
      return Duplicate(u.username.loc, fmt::format("duplicate user '{}'", u.username.value),
                       it->second);
    }
    auto [uit, ufresh] = uids.emplace(*u.uid, u.loc);
    if (!ufresh) {
      return Duplicate(u.loc, fmt::format("duplicate uid {} (user '{}')", *u.uid, u.username.value),
                       uit->second);
    }
  }
  if (!a.run_as.value.empty()) {
    // OCI "user[:group]"; each part numeric, root, or declared here.
    std::string user = a.run_as.value;
    std::string group;
    if (auto colon = user.find(':'); colon != std::string::npos) {
      group = user.substr(colon + 1);
      user = user.substr(0, colon);
    }
    if (!IsNumeric(user) && user != "root" && !user_names.count(user)) {
      return ConfigError(a.run_as.loc, fmt::format("'run-as' names user '{}', which is not declared",
                                                   user))
          .Hint("declare it under 'accounts.users' or give a numeric uid");
    }
    if (!group.empty() && !IsNumeric(group) && group != "root" && !group_names.count(group)) {
      return ConfigError(a.run_as.loc,
                         fmt::format("'run-as' names group '{}', which is not declared", group))
          .Hint("declare it under 'accounts.groups' or give a numeric gid");
    }
  }
  return {};
}

Status CheckPaths(const Image& img) {
  for (size_t i = 0; i < img.paths.size(); ++i) {
    const PathMutation& p = img.paths[i];
    std::string what = fmt::format("paths[{}].path", i);
    if (p.path.value.empty()) return ConfigError(p.loc, fmt::format("'paths[{}]' has no 'path'", i));
    CAIRN_TRY(internal::CheckImagePath(p.path, what));
    bool link = p.type == PathMutation::Type::kHardLink || p.type == PathMutation::Type::kSymLink;
    if (link && p.source.value.empty()) {
      return ConfigError(p.loc, fmt::format("link '{}' has no 'source'", p.path.value))
          .Hint("'source' is the link target");
    }
    if (p.permissions > 07777) {
      return ConfigError(p.loc, fmt::format("permissions 0o{:o} of '{}' are not a file mode",
                                            p.permissions, p.path.value))
          .Hint("expected at most 0o7777");
    }
  }
  std::map<std::string, SourceLoc> seen;
  for (size_t i = 0; i < img.files.size(); ++i) {
    const InlineFile& f = img.files[i];
    CAIRN_TRY(internal::CheckImagePath(f.path, fmt::format("files[{}].path", i)));
    auto [it, fresh] = seen.emplace(f.path.value, f.path.loc);
    if (!fresh) {
      return Duplicate(f.path.loc, fmt::format("file '{}' is declared twice", f.path.value),
                       it->second);
    }
    if (f.mode > 07777) {
      return ConfigError(f.loc, fmt::format("mode 0o{:o} of '{}' is not a file mode", f.mode,
                                            f.path.value))
          .Hint("expected at most 0o7777");
    }
  }
  return {};
}

Status CheckEntrypoint(const Image& img) {
  const Entrypoint& e = img.entrypoint;
  if (e.type == "service-bundle") {
    return ConfigError(e.loc, "entrypoint type 'service-bundle' is not supported yet")
        .Hint("use 'command' or 'shell-fragment'");
  }
  if (!e.type.empty()) {
    return ConfigError(e.loc, fmt::format("unknown entrypoint type '{}'", e.type))
        .Hint("expected 'service-bundle' or no 'type'");
  }
  if (!e.services.empty()) {
    return ConfigError(e.loc, "entrypoint 'services' need type 'service-bundle', not supported yet");
  }
  if (!e.command.empty() && !e.shell_fragment.empty()) {
    return ConfigError(e.loc, "entrypoint has both 'command' and 'shell-fragment'")
        .Hint("keep one of them");
  }
  if (!img.work_dir.empty() && img.work_dir[0] != '/') {
    return ConfigError(SectionLoc(img, "work-dir"),
                       fmt::format("'work-dir' must be absolute, got '{}'", img.work_dir));
  }
  for (const std::string& v : img.volumes) {
    if (v.empty() || v[0] != '/') {
      return ConfigError(SectionLoc(img, "volumes"),
                         fmt::format("volume '{}' must be an absolute path", v));
    }
  }
  for (const auto& [k, v] : img.environment) {
    if (k.empty() || k.find('=') != std::string::npos) {
      return ConfigError(SectionLoc(img, "environment"),
                         fmt::format("environment variable name '{}' is not valid", k))
          .Hint("names must be non-empty and must not contain '='");
    }
  }
  return {};
}

}  // namespace

Status Validate(const Image& image) {
  CAIRN_TRY(CheckContents(image));
  CAIRN_TRY(CheckAccounts(image));
  CAIRN_TRY(CheckEntrypoint(image));
  CAIRN_TRY(CheckPaths(image));
  for (const LString& a : image.archs) {
    if (a.value.empty()) return ConfigError(a.loc, "empty architecture");
  }
  return {};
}

}  // namespace cairn::config
