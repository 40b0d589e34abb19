// ld.so.conf reading and glob matching over rootfs::Tree paths.
//
// The tree is the only filesystem here: every path is resolved with
// Tree::Resolve (chroot-like), so an image's absolute symlinks and include
// patterns never touch the host.
#include "effects/ld_so_conf.h"

#include <fnmatch.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace cairn::effects::internal {
namespace {

// An include chain deeper than this is a loop; glibc would recurse forever.
constexpr int kMaxIncludeDepth = 16;

bool HasWildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

std::string JoinAbs(std::string_view dir, std::string_view name) {
  if (dir.empty() || dir == "/") return fmt::format("/{}", name);
  return fmt::format("{}/{}", dir, name);
}

std::string_view TreeKey(std::string_view abs) {
  while (!abs.empty() && abs.front() == '/') abs.remove_prefix(1);
  return abs;
}

// The node a path names after following every symlink, or nullptr.
const rootfs::Node* FindResolved(const rootfs::Tree& tree, std::string_view path) {
  auto resolved = tree.Resolve(TreeKey(path));
  if (!resolved.ok()) return nullptr;
  if (resolved->empty()) return nullptr;  // the root itself
  return tree.Find(*resolved);
}

bool IsDirectory(const rootfs::Tree& tree, std::string_view path) {
  if (TreeKey(path).empty()) return true;
  const rootfs::Node* n = FindResolved(tree, path);
  return n && n->meta.type == rootfs::FileType::kDirectory;
}

bool Exists(const rootfs::Tree& tree, std::string_view path) {
  // glob(3) reports dangling symlinks too: look the last component up unresolved.
  std::string_view key = TreeKey(path);
  size_t slash = key.rfind('/');
  std::string parent = slash == std::string_view::npos ? "" : std::string(key.substr(0, slash));
  std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  auto rp = tree.Resolve(parent);
  if (!rp.ok()) return false;
  std::string full = rp->empty() ? std::string(name) : fmt::format("{}/{}", *rp, name);
  return tree.Find(full) != nullptr;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Status ParseConf(const rootfs::Tree& tree, const std::string& conf, int depth, Reporter& reporter,
                 std::vector<std::string>& dirs) {
  if (depth > kMaxIncludeDepth)
    return IntegrityError(
        fmt::format("'{}': ld.so.conf includes are nested more than {} deep (an include loop?)",
                    conf, kMaxIncludeDepth));
  const rootfs::Node* node = FindResolved(tree, conf);
  // ldconfig ignores a missing file silently; a directory reads as empty.
  if (!node || (node->meta.type != rootfs::FileType::kRegular &&
                node->meta.type != rootfs::FileType::kHardlink))
    return {};
  CAIRN_ASSIGN_OR_RETURN(std::string text, tree.ReadFile(TreeKey(conf)));

  size_t lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++lineno;
    line = line.substr(0, line.find('#'));
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front())))
      line.remove_prefix(1);
    if (line.empty()) continue;

    auto blank_at = [&](size_t i) { return i < line.size() && (line[i] == ' ' || line[i] == '\t'); };
    if (line.substr(0, 7) == "include" && blank_at(7)) {
      std::string_view rest = line.substr(8);
      size_t i = 0;
      while (i < rest.size()) {
        size_t j = rest.find_first_of(" \t", i);
        if (j == std::string_view::npos) j = rest.size();
        std::string_view word = rest.substr(i, j - i);
        i = j + 1;
        if (word.empty()) continue;
        std::string pattern(word);
        if (pattern.front() != '/') {
          size_t slash = conf.rfind('/');
          pattern = JoinAbs(slash == std::string::npos ? "" : conf.substr(0, slash), pattern);
        }
        for (const std::string& file : GlobTree(tree, pattern))
          CAIRN_TRY(ParseConf(tree, file, depth + 1, reporter, dirs));
      }
      continue;
    }
    if (StartsWithNoCase(line, "hwcap") && blank_at(5)) {
      reporter.Warn(fmt::format("{}:{}: hwcap directive ignored", conf, lineno));
      continue;
    }
    std::string_view dir = line.substr(0, line.find('='));
    dir = Trim(dir);
    while (!dir.empty() && dir.back() == '/') dir.remove_suffix(1);
    if (!dir.empty()) dirs.emplace_back(dir);
  }
  return {};
}

}  // namespace

std::vector<std::string> ListDirectory(const rootfs::Tree& tree, std::string_view dir) {
  std::vector<std::string> names;
  auto resolved = tree.Resolve(TreeKey(dir));
  if (!resolved.ok()) return names;
  const auto& nodes = tree.nodes();
  std::string prefix = resolved->empty() ? "" : *resolved + "/";
  auto it = nodes.lower_bound(prefix);
  while (it != nodes.end()) {
    std::string_view key = it->first;
    if (key.substr(0, prefix.size()) != prefix) break;
    std::string_view name = key.substr(prefix.size());
    size_t slash = name.find('/');
    if (slash == std::string_view::npos) {
      if (!name.empty()) names.emplace_back(name);
      ++it;
      continue;
    }
    // Skip the whole subtree of a child directory: its keys sort in
    // ["child/", "child0") because '0' follows '/'.
    it = nodes.lower_bound(fmt::format("{}{}0", prefix, name.substr(0, slash)));
  }
  // The map is already sorted by full path, which sorts names within one directory.
  return names;
}

std::vector<std::string> GlobTree(const rootfs::Tree& tree, std::string_view pattern) {
  std::vector<std::string> current = {"/"};
  size_t i = 0;
  bool first = true;
  while (i <= pattern.size()) {
    size_t j = pattern.find('/', i);
    if (j == std::string_view::npos) j = pattern.size();
    std::string_view comp = pattern.substr(i, j - i);
    i = j + 1;
    if (comp.empty()) continue;
    std::vector<std::string> next;
    for (const std::string& base : current) {
      if (!IsDirectory(tree, base)) continue;
      if (!HasWildcard(comp)) {
        std::string candidate = JoinAbs(base, comp);
        if (Exists(tree, candidate)) next.push_back(std::move(candidate));
        continue;
      }
      std::string pat(comp);
      for (const std::string& name : ListDirectory(tree, base)) {
        if (::fnmatch(pat.c_str(), name.c_str(), FNM_PERIOD) == 0)
          next.push_back(JoinAbs(base, name));
      }
    }
    current = std::move(next);
    first = false;
  }
  if (first) return {};
  std::sort(current.begin(), current.end());
  return current;
}

Result<std::vector<std::string>> ReadLdSoConf(const rootfs::Tree& tree, std::string_view conf_path,
                                              Reporter& reporter) {
  std::vector<std::string> dirs;
  std::string conf = JoinAbs("", TreeKey(conf_path));
  CAIRN_TRY(ParseConf(tree, conf, 0, reporter, dirs));
  return dirs;
}

}  // namespace cairn::effects::internal
