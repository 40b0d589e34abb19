// Loading package sources: PKGINFO (strict: unknown keys are errors, unlike a
// real .PKGINFO), the files/ tree, and ENTRIES overrides.
#include "cairn/testrepo/package_source.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <map>
#include <system_error>

#include "cairn/apk/version.h"
#include "cairn/file_util.h"
#include "cairn/testrepo/elf_hello.h"

namespace cairn::testrepo {
namespace {

namespace fs = std::filesystem;

struct Line {
  int number = 0;
  std::string text;
};

std::vector<Line> SplitLines(std::string_view text) {
  std::vector<Line> lines;
  int n = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    lines.push_back({++n, std::string(l)});
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

SourceLoc LocOf(const fs::path& file, const Line& line, std::string_view at) {
  int col = 1;
  if (at.data() >= line.text.data() && at.data() <= line.text.data() + line.text.size()) {
    col = static_cast<int>(at.data() - line.text.data()) + 1;
  }
  return SourceLoc{file.string(), line.number, col, line.text};
}

Result<int> ParseInt(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return UsageError("not an integer");
  return v;
}

// Validates a relative path: no leading '/', no '.', '..' or empty components.
bool ValidRelPath(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    std::string_view comp = p.substr(start, end - start);
    if (comp.empty() || comp == "." || comp == "..") return false;
    start = end + 1;
  }
  return true;
}

constexpr std::string_view kKnownKeys[] = {"pkgname",
                                           "pkgver",
                                           "pkgdesc",
                                           "url",
                                           "license",
                                           "origin",
                                           "maintainer",
                                           "commit",
                                           "depend",
                                           "provides",
                                           "install_if",
                                           "replaces",
                                           "replaces_priority",
                                           "provider_priority",
                                           "triggers"};
constexpr std::string_view kComputedKeys[] = {"arch", "size", "builddate", "datahash", "packager"};

Status ApplyPkgInfoLine(const fs::path& file, const Line& line, apk::PackageInfo* info) {
  std::string_view l = Trim(line.text);
  if (l.empty() || l.front() == '#') return {};
  size_t eq = l.find('=');
  if (eq == std::string_view::npos) {
    return ConfigError(LocOf(file, line, l), "expected 'key = value'");
  }
  std::string_view key = Trim(l.substr(0, eq));
  std::string_view value = Trim(l.substr(eq + 1));
  auto at_value = [&] { return LocOf(file, line, value); };
  if (std::find(std::begin(kComputedKeys), std::end(kComputedKeys), key) !=
      std::end(kComputedKeys)) {
    return ConfigError(
        LocOf(file, line, key),
        fmt::format("key '{}' is computed by cairn-mkrepo and must not be set", key));
  }
  if (std::find(std::begin(kKnownKeys), std::end(kKnownKeys), key) == std::end(kKnownKeys)) {
    return ConfigError(LocOf(file, line, key), fmt::format("unknown key '{}'", key))
        .Hint(
            "known keys: pkgname, pkgver, pkgdesc, url, license, origin, maintainer, commit, "
            "depend, provides, install_if, replaces, replaces_priority, provider_priority, "
            "triggers");
  }
  auto deps = [&](std::vector<apk::Dependency>* out) -> Status {
    auto parsed = apk::ParseDependencyList(value);
    if (!parsed) return ConfigError(at_value(), parsed.error().message());
    out->insert(out->end(), parsed->begin(), parsed->end());
    return {};
  };
  if (key == "pkgname") {
    info->name = std::string(value);
  } else if (key == "pkgver") {
    if (!apk::IsValidVersion(value)) {
      return ConfigError(at_value(), fmt::format("invalid apk version '{}'", value));
    }
    info->version = std::string(value);
  } else if (key == "pkgdesc") {
    info->description = std::string(value);
  } else if (key == "url") {
    info->url = std::string(value);
  } else if (key == "license") {
    info->license = std::string(value);
  } else if (key == "origin") {
    info->origin = std::string(value);
  } else if (key == "maintainer") {
    info->maintainer = std::string(value);
  } else if (key == "commit") {
    info->commit = std::string(value);
  } else if (key == "depend") {
    return deps(&info->depends);
  } else if (key == "install_if") {
    return deps(&info->install_if);
  } else if (key == "replaces") {
    return deps(&info->replaces);
  } else if (key == "provides") {
    for (size_t pos = 0; pos < value.size();) {
      size_t end = value.find(' ', pos);
      if (end == std::string_view::npos) end = value.size();
      std::string_view atom = value.substr(pos, end - pos);
      pos = end + 1;
      if (atom.empty()) continue;
      size_t e = atom.find('=');
      apk::Provide p{std::string(atom.substr(0, e)),
                     e == std::string_view::npos ? "" : std::string(atom.substr(e + 1))};
      if (p.name.empty()) return ConfigError(at_value(), "empty name in 'provides'");
      info->provides.push_back(std::move(p));
    }
  } else if (key == "replaces_priority" || key == "provider_priority") {
    auto n = ParseInt(value);
    if (!n) {
      return ConfigError(at_value(), fmt::format("'{}' must be an integer, not '{}'", key, value));
    }
    if (key == "replaces_priority") {
      info->replaces_priority = *n;
    } else {
      info->provider_priority = *n;
      info->has_provider_priority = true;
    }
  } else if (key == "triggers") {
    for (size_t pos = 0; pos < value.size();) {
      size_t end = value.find(' ', pos);
      if (end == std::string_view::npos) end = value.size();
      if (end > pos) info->triggers.emplace_back(value.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  return {};
}

Result<apk::PackageInfo> LoadPkgInfo(const fs::path& file) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  apk::PackageInfo info;
  for (const Line& line : SplitLines(text)) CAIRN_TRY(ApplyPkgInfoLine(file, line, &info));
  SourceLoc loc{file.string()};
  if (info.name.empty()) return ConfigError(loc, "missing required key 'pkgname'");
  if (info.version.empty()) return ConfigError(loc, "missing required key 'pkgver'");
  if (info.origin.empty()) info.origin = info.name;
  return info;
}

// Adds `path`'s missing parents as root:root 0755 directories.
void AddParents(std::map<std::string, SourceFile>& files, const std::string& path) {
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    if (files.count(parent)) continue;
    SourceFile d;
    d.meta.path = parent;
    d.meta.type = rootfs::FileType::kDirectory;
    d.meta.mode = 0755;
    files.emplace(parent, std::move(d));
  }
}

Status ScanTree(const fs::path& root, std::map<std::string, SourceFile>& files) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec), end;
  if (ec) return ErrnoError(fmt::format("reading '{}'", root.string()), ec.value());
  for (; it != end; it.increment(ec)) {
    if (ec) return ErrnoError(fmt::format("reading '{}'", root.string()), ec.value());
    const fs::path& p = it->path();
    std::string rel = p.lexically_relative(root).generic_string();
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) return ErrnoError(fmt::format("stat '{}'", p.string()), errno);
    SourceFile f;
    f.meta.path = rel;
    if (S_ISDIR(st.st_mode)) {
      f.meta.type = rootfs::FileType::kDirectory;
      f.meta.mode = 0755;
    } else if (S_ISLNK(st.st_mode)) {
      f.meta.type = rootfs::FileType::kSymlink;
      f.meta.mode = 0777;
      f.meta.link_target = fs::read_symlink(p, ec).string();
      if (ec) return ErrnoError(fmt::format("reading link '{}'", p.string()), ec.value());
    } else if (S_ISREG(st.st_mode)) {
      f.meta.type = rootfs::FileType::kRegular;
      // Git keeps only the executable bit, so that is all we take from the host.
      f.meta.mode = (st.st_mode & S_IXUSR) ? 0755 : 0644;
      CAIRN_ASSIGN_OR_RETURN(f.content, ReadFile(p));
      f.meta.size = f.content.size();
    } else {
      return ConfigError(SourceLoc{p.string()},
                         "unsupported file type (expected a file, directory or symlink)");
    }
    files[rel] = std::move(f);
  }
  return {};
}

Status ApplyEntriesLine(const fs::path& file, const Line& line, const fs::path& tree_root,
                        std::map<std::string, SourceFile>& files) {
  std::string_view l = Trim(line.text);
  if (l.empty() || l.front() == '#') return {};
  // Split into at most 6 fields; the 6th (program message) keeps its spaces.
  std::vector<std::string_view> f;
  std::string_view rest = l;
  while (!rest.empty() && f.size() < 5) {
    size_t sp = rest.find_first_of(" \t");
    f.push_back(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view() : Trim(rest.substr(sp));
  }
  if (!rest.empty()) f.push_back(rest);
  std::string_view kind = f[0];
  auto usage = [&](std::string_view expected) {
    return ConfigError(LocOf(file, line, kind), fmt::format("expected '{}'", expected));
  };
  SourceFile e;
  size_t want = 0;
  if (kind == "dir" || kind == "file") {
    want = 5;
  } else if (kind == "symlink") {
    want = 3;
  } else if (kind == "program") {
    want = 6;
  } else {
    return ConfigError(LocOf(file, line, kind), fmt::format("unknown entry kind '{}'", kind))
        .Hint("expected 'dir', 'file', 'symlink' or 'program'");
  }
  if (f.size() != want) {
    if (kind == "dir") return usage("dir PATH MODE UID GID");
    if (kind == "file") return usage("file PATH MODE UID GID");
    if (kind == "symlink") return usage("symlink PATH TARGET");
    return usage("program PATH MODE UID GID MESSAGE");
  }
  std::string path(f[1]);
  if (!ValidRelPath(path)) {
    return ConfigError(LocOf(file, line, f[1]),
                       fmt::format("invalid path '{}' (expected a relative path without '.' "
                                   "or '..' components)",
                                   path));
  }
  e.meta.path = path;
  if (kind == "symlink") {
    e.meta.type = rootfs::FileType::kSymlink;
    e.meta.mode = 0777;
    e.meta.link_target = std::string(f[2]);
  } else {
    unsigned mode = 0;
    auto [p, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), mode, 8);
    if (ec != std::errc() || p != f[2].data() + f[2].size() || mode > 07777) {
      return ConfigError(LocOf(file, line, f[2]),
                         fmt::format("invalid mode '{}' (expected octal, at most 7777)", f[2]));
    }
    e.meta.mode = mode;
    for (int i : {3, 4}) {
      auto id = ParseInt(f[i]);
      if (!id || *id < 0) {
        return ConfigError(
            LocOf(file, line, f[i]),
            fmt::format("invalid {} '{}' (expected a number)", i == 3 ? "uid" : "gid", f[i]));
      }
      (i == 3 ? e.meta.uid : e.meta.gid) = static_cast<uint32_t>(*id);
    }
    if (kind == "dir") {
      e.meta.type = rootfs::FileType::kDirectory;
    } else if (kind == "program") {
      e.program = true;
      e.program_message = std::string(f[5]);
    } else {
      auto it = files.find(path);
      if (it == files.end() || it->second.meta.type != rootfs::FileType::kRegular) {
        return ConfigError(LocOf(file, line, f[1]), fmt::format("no regular file '{}' under '{}'",
                                                                path, tree_root.string()));
      }
      e.content = std::move(it->second.content);
      e.meta.size = e.content.size();
    }
  }
  AddParents(files, path);
  files[path] = std::move(e);
  return {};
}

}  // namespace

Result<PackageSource> LoadPackageSource(const fs::path& dir) {
  PackageSource pkg;
  CAIRN_ASSIGN_OR_RETURN(pkg.info, LoadPkgInfo(dir / "PKGINFO"));
  std::map<std::string, SourceFile> files;
  std::error_code ec;
  const fs::path tree = dir / "files";
  if (fs::is_directory(tree, ec)) CAIRN_TRY(ScanTree(tree, files));
  const fs::path entries = dir / "ENTRIES";
  if (fs::exists(entries, ec)) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(entries));
    for (const Line& line : SplitLines(text)) {
      CAIRN_TRY(ApplyEntriesLine(entries, line, tree, files));
    }
  }
  // Byte order puts every path after its parent ("a" < "a-b" < "a/b").
  for (auto& [path, f] : files) pkg.files.push_back(std::move(f));
  return pkg;
}

Result<std::vector<PackageSource>> LoadRepoSource(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return NotFoundError(
          fmt::format("package source directory '{}' does not exist", dir.string()));
    }
    return ErrnoError(fmt::format("reading '{}'", dir.string()), ec.value());
  }
  std::vector<fs::path> dirs;
  for (const auto& e : it) {
    if (e.is_directory(ec) && fs::exists(e.path() / "PKGINFO", ec)) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  std::vector<PackageSource> pkgs;
  std::map<std::string, fs::path> seen;
  for (const auto& d : dirs) {
    CAIRN_ASSIGN_OR_RETURN(PackageSource p, LoadPackageSource(d));
    auto [prev, inserted] = seen.emplace(p.info.name, d);
    if (!inserted) {
      return ConfigError(SourceLoc{(d / "PKGINFO").string()},
                         fmt::format("package '{}' is also declared in '{}'", p.info.name,
                                     (prev->second / "PKGINFO").string()));
    }
    pkgs.push_back(std::move(p));
  }
  if (pkgs.empty()) {
    return NotFoundError(
        fmt::format("no package sources (subdirectories with a PKGINFO) in '{}'", dir.string()));
  }
  std::sort(pkgs.begin(), pkgs.end(), [](const PackageSource& a, const PackageSource& b) {
    return a.info.name < b.info.name;
  });
  return pkgs;
}

Result<std::vector<SourceFile>> FilesForArch(const PackageSource& pkg, std::string_view arch) {
  std::vector<SourceFile> out = pkg.files;
  for (SourceFile& f : out) {
    if (!f.program) continue;
    std::string msg = f.program_message;
    for (size_t pos; (pos = msg.find("{arch}")) != std::string::npos;) {
      msg.replace(pos, 6, arch);
    }
    auto elf = MakeHelloElf(arch, msg + "\n");
    if (!elf) return std::move(elf).error().Context(fmt::format("generating '{}'", f.meta.path));
    f.content = std::move(*elf);
    f.meta.size = f.content.size();
  }
  return out;
}

std::string FormatPkgInfo(const apk::PackageInfo& p) {
  std::string s = "# Generated by cairn-mkrepo\n";
  auto kv = [&](std::string_view k, std::string_view v) {
    if (!v.empty()) s += fmt::format("{} = {}\n", k, v);
  };
  kv("pkgname", p.name);
  kv("pkgver", p.version);
  kv("pkgdesc", p.description);
  kv("url", p.url);
  kv("builddate", std::to_string(p.build_time));
  kv("size", std::to_string(p.installed_size));
  kv("arch", p.arch);
  kv("origin", p.origin);
  kv("commit", p.commit);
  kv("maintainer", p.maintainer);
  kv("license", p.license);
  if (p.has_provider_priority) kv("provider_priority", std::to_string(p.provider_priority));
  if (p.replaces_priority != 0) kv("replaces_priority", std::to_string(p.replaces_priority));
  for (const auto& d : p.replaces) kv("replaces", d.Format());
  for (const auto& d : p.depends) kv("depend", d.Format());
  for (const auto& pr : p.provides) {
    kv("provides", pr.version.empty() ? pr.name : pr.name + "=" + pr.version);
  }
  if (!p.install_if.empty()) {
    std::string atoms;
    for (const auto& d : p.install_if) atoms += (atoms.empty() ? "" : " ") + d.Format();
    kv("install_if", atoms);
  }
  if (!p.triggers.empty()) {
    std::string globs;
    for (const auto& t : p.triggers) globs += (globs.empty() ? "" : " ") + t;
    kv("triggers", globs);
  }
  kv("datahash", p.datahash);
  return s;
}

}  // namespace cairn::testrepo
