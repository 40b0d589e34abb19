// cairn against mmdebstrap, the reference for a Debian root built without a
// running system: the essential set plus systemd for amd64, from the same
// suites of the same archive (the mirrors cairn's lock names), built by both.
// The package sets must be identical (dpkg-query on both databases). Then
// every path of the two trees, as GNU tar lists cairn's layer blob and
// mmdebstrap's tarball with --numeric-owner, must agree in type, mode, owner,
// symlink target, hard-link group and regular-file size, except for the
// differences kAllowed lists with a reason: mmdebstrap's own set-up, and
// state that only running dpkg, apt and the scripts' tools leaves behind.
// Anything else fails the test, printed one line per path.
//
// Needs the network (the Debian archive), mmdebstrap, and root or unprivileged
// user namespaces. Both package caches live in the build tree, so a rerun
// downloads nothing but the indexes.
#include <fnmatch.h>
#include <unistd.h>

#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

fs::path DebianCache() { return fs::path(CAIRN_BINARY_DIR) / "test-cache" / "debian"; }
fs::path MmdebstrapCache() { return fs::path(CAIRN_BINARY_DIR) / "test-cache" / "mmdebstrap"; }

// One path of a tree as GNU tar lists it. A hard link takes the type, mode,
// owner and size of the file it links to, and every member of the group
// records the whole group, so the tar order (which path came first) does not
// matter.
struct Entry {
  char type = '?';     // '-' file, 'd', 'l', 'c', 'b', 'p'
  std::string mode;    // "rwxr-sr-x"
  std::string owner;   // "uid/gid"
  std::string size;    // regular files: bytes; devices: "major,minor"
  std::string target;  // symlinks
  std::string links;   // hard-link group: its paths, sorted, joined by ' '
  bool operator==(const Entry&) const = default;
};

std::string Describe(const Entry& e) {
  std::string s = std::string(1, e.type) + e.mode + " " + e.owner;
  if (e.type == '-' || e.type == 'c' || e.type == 'b') s += " " + e.size;
  if (e.type == 'l') s += " -> " + e.target;
  if (!e.links.empty()) s += " [hard links: " + e.links + "]";
  return s;
}

std::string Normalise(std::string name) {
  if (name.rfind("./", 0) == 0) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

// `tar --numeric-owner -tvf FILE` parsed into path -> Entry (paths without
// "./" or a trailing slash; the root itself is left out).
std::map<std::string, Entry> ListTar(const fs::path& file) {
  auto r = RunCommand({"tar", "--numeric-owner", "-tvf", file.string()});
  INFO("tar -tvf " << file << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  std::map<std::string, Entry> out;
  std::map<std::string, std::string> hard;  // link -> the path it names
  for (const std::string& line : Lines(r.out)) {
    std::istringstream in(line);
    std::string perms, owner, size, date, time, rest;
    in >> perms >> owner >> size >> date >> time;
    std::getline(in >> std::ws, rest);
    INFO(line);
    REQUIRE(perms.size() == 10);
    Entry e;
    e.type = perms[0];
    e.mode = perms.substr(1);
    e.owner = owner;
    if (e.type == '-' || e.type == 'c' || e.type == 'b') e.size = size;
    std::string name = rest;
    if (e.type == 'l') {
      size_t at = rest.find(" -> ");
      REQUIRE(at != std::string::npos);
      name = rest.substr(0, at);
      e.target = rest.substr(at + 4);
    } else if (e.type == 'h') {
      size_t at = rest.find(" link to ");
      REQUIRE(at != std::string::npos);
      name = rest.substr(0, at);
      hard[Normalise(name)] = Normalise(rest.substr(at + 9));
    }
    name = Normalise(name);
    if (name.empty() || name == ".") continue;
    out[name] = e;
  }
  std::map<std::string, std::set<std::string>> groups;  // first path -> all paths
  for (const auto& [link, first] : hard) {
    INFO("hard link " << link << " -> " << first);
    REQUIRE(out.count(first) == 1);
    REQUIRE(out[first].type == '-');
    groups[first].insert(first);
    groups[first].insert(link);
  }
  for (const auto& [first, paths] : groups) {
    std::string joined;
    for (const auto& p : paths) joined += (joined.empty() ? "" : " ") + p;
    Entry leader = out[first];
    leader.links = joined;
    for (const auto& p : paths) out[p] = leader;
  }
  return out;
}

// Extracts the members of `tar_file` matching the glob `member` (so that
// "./x" and "x" both match "*x") into `dir`.
void ExtractMember(const fs::path& tar_file, const std::string& member, const fs::path& dir) {
  fs::create_directories(dir);
  auto r = RunCommand(
      {"tar", "-xf", tar_file.string(), "-C", dir.string(), "--wildcards", "*" + member});
  INFO("extracting " << member << " from " << tar_file << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(fs::exists(dir / member));
}

// "name version status" per package, as dpkg-query reads the database at `root`.
std::set<std::string> Installed(const fs::path& root) {
  auto r = RunCommand({"dpkg-query", "--admindir=" + (root / "var/lib/dpkg").string(), "-W", "-f",
                       "${binary:Package} ${Version} ${db:Status-Status}\\n"});
  INFO(Tail(r.err));
  REQUIRE(r.exit_code == 0);
  auto lines = Lines(r.out);
  return {lines.begin(), lines.end()};
}

// The libraries of an ld.so.cache as the host's ldconfig prints them, without
// the generator line (cairn names itself there, ldconfig its glibc version).
std::vector<std::string> CacheEntries(const fs::path& cache) {
  auto r = RunCommand({"ldconfig", "-p", "-C", cache.string()});
  INFO(Tail(r.err));
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> out;
  for (const std::string& l : Lines(r.out)) {
    if (l.rfind("Cache generated by:", 0) == 0) continue;
    // "69 libs found in cache `/path/to/ld.so.cache'": the count only
    size_t at = l.find(" in cache `");
    out.push_back(at == std::string::npos ? l : l.substr(0, at));
  }
  return out;
}

enum class Diff {
  kOnlyMmdebstrap,  // mmdebstrap has the path, cairn does not
  kOnlyCairn,       // cairn has the path, mmdebstrap does not
  kContent,         // both have it as a regular file with the same metadata; sizes differ
  kHardLinks,       // the same file, hard-linked to other paths
  kMetadata,        // type, mode, owner or link target differ
};

const char* DiffName(Diff d) {
  switch (d) {
    case Diff::kOnlyMmdebstrap:
      return "only in mmdebstrap";
    case Diff::kOnlyCairn:
      return "only in cairn";
    case Diff::kContent:
      return "content differs";
    case Diff::kHardLinks:
      return "hard links differ";
    case Diff::kMetadata:
      return "differs";
  }
  return "?";
}

struct Allowed {
  const char* pattern;  // fnmatch(3) glob without FNM_PATHNAME: '*' crosses '/'
  Diff diff;
  const char* reason;
};

// Differences that are not cairn bugs, each with why. Everything a script
// would create that the image needs to work (accounts, alternatives, unit
// links, PAM and shell configuration, tmpfiles) is deliberately not here.
const Allowed kAllowed[] = {
    // mmdebstrap's own set-up and its apt run
    {"dev/*", Diff::kOnlyMmdebstrap,
     "device nodes mmdebstrap makes for its chroot; a runtime mounts /dev"},
    {"etc/apt/sources.list", Diff::kOnlyMmdebstrap, "mmdebstrap writes its mirror lines"},
    {"etc/apt/sources.list.d", Diff::kOnlyMmdebstrap,
     "mmdebstrap's apt set-up (apt is not installed)"},
    {"etc/apt/preferences.d", Diff::kOnlyMmdebstrap,
     "mmdebstrap's apt set-up (apt is not installed)"},
    {"var/cache/apt*", Diff::kOnlyMmdebstrap, "mmdebstrap's apt cache directories and lock"},
    {"var/lib/apt*", Diff::kOnlyMmdebstrap, "mmdebstrap's apt lists and extended_states"},
    {"var/log/apt", Diff::kOnlyMmdebstrap, "apt's log directory from mmdebstrap's apt run"},
    {"etc/hostname", Diff::kOnlyMmdebstrap, "copied from the host by mmdebstrap"},
    {"etc/resolv.conf", Diff::kOnlyMmdebstrap, "copied from the host by mmdebstrap"},
    {"etc/fstab", Diff::kOnlyMmdebstrap,
     "mmdebstrap writes '# UNCONFIGURED FSTAB FOR BASE SYSTEM'"},
    // what running dpkg and the shadow tools leaves behind
    {"var/lib/dpkg/*-old", Diff::kOnlyMmdebstrap, "dpkg's backups of status and diversions"},
    {"etc/.pwd.lock", Diff::kOnlyMmdebstrap, "lckpwdf(3) lock file of useradd/groupadd"},
    {"etc/passwd-", Diff::kOnlyMmdebstrap, "backup written by the shadow tools"},
    {"etc/group-", Diff::kOnlyMmdebstrap, "backup written by the shadow tools"},
    {"usr/bin/gunzip", Diff::kHardLinks,
     "mmdebstrap unpacks the essential set twice (tar, then dpkg over it), which splits "
     "gzip's hard link; dpkg alone keeps it, as on any installed bookworm"},
    {"usr/bin/uncompress", Diff::kHardLinks, "the other half of gzip's hard link"},
    // caches rebuilt by the tool that reads them
    {"var/cache/debconf/*.dat*", Diff::kOnlyMmdebstrap,
     "debconf's answer and template database, filled when debconf runs config scripts; "
     "debconf rebuilds it from var/lib/dpkg/info/*.templates"},
    {"var/lib/systemd/catalog*", Diff::kOnlyMmdebstrap,
     "binary message catalog index of journalctl --update-catalog; "
     "systemd-journal-catalog-update.service builds it on first boot"},
    {"etc/ld.so.cache", Diff::kContent,
     "the generator string differs ('cairn' against ldconfig's version); "
     "the entries are compared separately with ldconfig -p"},
};

struct Difference {
  std::string path;
  Diff diff;
  std::string text;
};

}  // namespace

TEST_CASE("essential + systemd from cairn matches mmdebstrap path by path",
          "[e2e][debian][mmdebstrap]") {
  ScratchDir scratch("e2e-mmdebstrap");
  const fs::path decl = scratch.path() / "image.yaml";
  WriteText(decl, R"(# the suites of images/debian-bookworm.yaml, amd64 only
name: mmdebstrap-compare
contents:
  debian:
    sources:
      - suites: [bookworm, bookworm-updates]
        components: [main]
      - suites: [bookworm-security]
        components: [main]
  packages: [systemd]
archs: [x86_64]
)");
  const fs::path out = scratch.path() / "out";
  auto build = Cairn({"build", decl.string(), "--cache-dir", DebianCache().string(), "-o",
                      out.string(), "--source-date-epoch", "1700000000"});
  {
    INFO(Tail(build.err));
    REQUIRE(build.exit_code == 0);
  }
  const fs::path oci = out / "oci";
  const fs::path manifest = Blob(oci, Jq(".manifests[0].digest", oci / "index.json"));
  REQUIRE(Jq(".layers | length", manifest) == "1");
  const fs::path layer = Blob(oci, Jq(".layers[0].digest", manifest));

  // mmdebstrap from the same archives: one "deb URL SUITE main" per suite cairn locked.
  std::vector<std::string> mirrors;
  for (const std::string& url : Lines(Jq(".repositories[].url", out / "cairn.lock"))) {
    size_t at = url.find("/dists/");
    REQUIRE(at != std::string::npos);
    mirrors.push_back("deb " + url.substr(0, at) + " " + url.substr(at + 7) + " main");
  }
  REQUIRE(mirrors.size() == 3);
  fs::create_directories(MmdebstrapCache());
  const std::string cache = MmdebstrapCache().string();
  const fs::path mm_tar = scratch.path() / "mmdebstrap.tar";
  // Through bash, closing every inherited descriptor above 2: mmdebstrap hands
  // apt the next free one for `cat >&N` in a dash script, and dash rejects N > 9.
  std::vector<std::string> argv = {
      "bash", "-c",
      "for p in /proc/$$/fd/*; do fd=${p##*/}; [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; "
      "done 2>/dev/null; exec \"$@\"",
      "bash", "mmdebstrap", ::geteuid() == 0 ? "--mode=root" : "--mode=unshare",
      "--variant=essential", "--include=systemd", "--architectures=amd64",
      // Keep the .debs in a cache of our own across runs: mmdebstrap would
      // delete the essential ones after unpacking them, and its cleanup
      // empties var/cache/apt/archives before the tarball is written.
      "--skip=essential/unlink", "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives/",
      "--setup-hook=sync-in " + cache + " /var/cache/apt/archives/",
      "--customize-hook=sync-out /var/cache/apt/archives " + cache, "bookworm", mm_tar.string()};
  argv.insert(argv.end(), mirrors.begin(), mirrors.end());
  auto mm = RunCommand(argv);
  {
    INFO("mmdebstrap: " << Tail(mm.err));
    REQUIRE(mm.exit_code == 0);
  }

  // The same packages at the same versions, or nothing else is comparable.
  const fs::path cairn_db = scratch.path() / "cairn-db";
  const fs::path mm_db = scratch.path() / "mmdebstrap-db";
  ExtractMember(layer, "var/lib/dpkg/status", cairn_db);
  ExtractMember(mm_tar, "var/lib/dpkg/status", mm_db);
  std::set<std::string> cairn_pkgs = Installed(cairn_db);
  std::set<std::string> mm_pkgs = Installed(mm_db);
  std::string only;
  for (const auto& p : mm_pkgs)
    if (!cairn_pkgs.count(p)) only += "\n  only mmdebstrap: " + p;
  for (const auto& p : cairn_pkgs)
    if (!mm_pkgs.count(p)) only += "\n  only cairn: " + p;
  {
    INFO("package sets differ:" << only);
    REQUIRE(only.empty());
  }
  REQUIRE(cairn_pkgs.size() > 80);
  REQUIRE(cairn_pkgs.count("systemd " +
                           Jq(".archs.x86_64.packages[] | select(.name == \"systemd\") | .version",
                              out / "cairn.lock") +
                           " installed") == 1);

  // Path by path.
  std::map<std::string, Entry> cairn_tree = ListTar(layer);
  std::map<std::string, Entry> mm_tree = ListTar(mm_tar);
  REQUIRE(cairn_tree.size() > 6000);
  std::vector<Difference> diffs;
  std::set<std::string> paths;
  for (const auto& [p, e] : cairn_tree) paths.insert(p);
  for (const auto& [p, e] : mm_tree) paths.insert(p);
  for (const std::string& p : paths) {
    auto c = cairn_tree.find(p);
    auto m = mm_tree.find(p);
    if (c == cairn_tree.end()) {
      diffs.push_back({p, Diff::kOnlyMmdebstrap, Describe(m->second)});
    } else if (m == mm_tree.end()) {
      diffs.push_back({p, Diff::kOnlyCairn, Describe(c->second)});
    } else if (!(c->second == m->second)) {
      Entry same_size = c->second;
      same_size.size = m->second.size;
      Entry same_links = c->second;
      same_links.links = m->second.links;
      Diff kind = c->second.type == '-' && same_size == m->second ? Diff::kContent
                  : same_links == m->second                       ? Diff::kHardLinks
                                                                  : Diff::kMetadata;
      diffs.push_back(
          {p, kind, "mmdebstrap " + Describe(m->second) + ", cairn " + Describe(c->second)});
    }
  }
  std::string unexpected;
  size_t unexpected_count = 0;
  std::vector<size_t> used(std::size(kAllowed), 0);
  for (const Difference& d : diffs) {
    bool allowed = false;
    for (size_t i = 0; i < std::size(kAllowed) && !allowed; ++i) {
      if (kAllowed[i].diff == d.diff && ::fnmatch(kAllowed[i].pattern, d.path.c_str(), 0) == 0) {
        allowed = true;
        ++used[i];
      }
    }
    if (allowed) continue;
    ++unexpected_count;
    unexpected += "\n  /" + d.path + ": " + DiffName(d.diff) + ": " + d.text;
  }
  for (size_t i = 0; i < std::size(kAllowed); ++i)
    if (!used[i]) WARN("allowlist entry '" << kAllowed[i].pattern << "' matched nothing");
  {
    INFO(unexpected_count << " of " << paths.size()
                          << " paths differ beyond the allowlist:" << unexpected);
    CHECK(unexpected_count == 0);
  }

  // The cache's content beyond its generator line: the same libraries at the same paths.
  ExtractMember(layer, "etc/ld.so.cache", cairn_db);
  ExtractMember(mm_tar, "etc/ld.so.cache", mm_db);
  CHECK(CacheEntries(cairn_db / "etc/ld.so.cache") == CacheEntries(mm_db / "etc/ld.so.cache"));
}

}  // namespace cairn::e2e
