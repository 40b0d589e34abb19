#include "cairn/effects/depmod.h"

#include <fstream>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "cairn/subprocess.h"

namespace cairn::effects {
namespace fs = std::filesystem;
namespace {

bool IsModule(std::string_view path) {
  for (std::string_view ext : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"}) {
    if (path.size() > ext.size() && path.substr(path.size() - ext.size()) == ext) return true;
  }
  return false;
}

// Where lib/modules really is in this tree ("usr/lib/modules" on merged /usr).
std::string ModulesRoot(const rootfs::Tree& tree) {
  auto resolved = tree.Resolve("lib/modules");
  return resolved.ok() ? *resolved : "lib/modules";
}

// Copies the tree's directory `prefix` (regular files, directories, links)
// to `dest` on the host, so depmod can read it.
Status CopyOut(const rootfs::Tree& tree, const std::string& prefix, const fs::path& dest) {
  std::error_code ec;
  fs::create_directories(dest, ec);
  if (ec) return IoError(fmt::format("cannot create '{}': {}", dest.string(), ec.message()));
  std::vector<char> buf(1 << 20);
  for (auto it = tree.nodes().lower_bound(prefix + "/"); it != tree.nodes().end(); ++it) {
    const auto& [path, node] = *it;
    if (path.compare(0, prefix.size() + 1, prefix + "/") != 0) break;
    fs::path out = dest / path.substr(prefix.size() + 1);
    switch (node.meta.type) {
      case rootfs::FileType::kDirectory:
        fs::create_directories(out, ec);
        break;
      case rootfs::FileType::kSymlink:
        fs::create_symlink(node.meta.link_target, out, ec);
        break;
      case rootfs::FileType::kRegular:
      case rootfs::FileType::kHardlink: {
        std::ofstream f(out, std::ios::binary);
        for (uint64_t off = 0; off < node.content.size;) {
          CAIRN_ASSIGN_OR_RETURN(size_t n, tree.store().ReadAt(node.content, off, buf.data(),
                                                               buf.size()));
          if (n == 0) break;
          f.write(buf.data(), static_cast<std::streamsize>(n));
          off += n;
        }
        if (!f) return IoError(fmt::format("cannot write '{}'", out.string()));
        break;
      }
      default:
        break;  // devices and fifos do not belong in a module tree; depmod ignores them
    }
    if (ec) return IoError(fmt::format("cannot create '{}': {}", out.string(), ec.message()));
  }
  return {};
}

}  // namespace

std::vector<std::string> KernelVersionsWithModules(const rootfs::Tree& tree) {
  std::string root = ModulesRoot(tree);
  std::set<std::string> versions;
  for (auto it = tree.nodes().lower_bound(root + "/"); it != tree.nodes().end(); ++it) {
    const std::string& path = it->first;
    if (path.compare(0, root.size() + 1, root + "/") != 0) break;
    std::string rest = path.substr(root.size() + 1);
    size_t slash = rest.find('/');
    if (slash != std::string::npos && IsModule(rest) &&
        it->second.meta.type != rootfs::FileType::kDirectory)
      versions.insert(rest.substr(0, slash));
  }
  return {versions.begin(), versions.end()};
}

Status RunDepmod(rootfs::Tree& tree, const fs::path& scratch, int64_t mtime,
                 std::vector<std::string>* log) {
  std::vector<std::string> versions = KernelVersionsWithModules(tree);
  if (versions.empty()) return {};
  std::string root = ModulesRoot(tree);
  for (const std::string& version : versions) {
    fs::path base = scratch / version;
    fs::path dir = base / "lib/modules" / version;
    std::error_code ec;
    fs::remove_all(base, ec);
    CAIRN_TRY(CopyOut(tree, root + "/" + version, dir));
    ProcessOptions p;
    p.argv = {"depmod", "-b", base.string(), version};
    p.env_set = {{"LC_ALL", "C"}};
    CAIRN_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(p));
    if (!r.ok()) {
      Error e = FailedProcessError(p, r);
      if (r.exit_code == 127) e.Hint("install the 'kmod' package");
      return std::move(e).Context(fmt::format("making module dependency data for kernel '{}'",
                                              version));
    }
    // depmod writes its indexes at the top of the version directory.
    size_t added = 0;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name.rfind("modules.", 0) != 0) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::string target = root + "/" + version + "/" + name;
      const rootfs::Node* old = tree.Find(target);
      if (old && old->meta.type == rootfs::FileType::kRegular && old->owner >= 0)
        continue;  // shipped by the package (modules.order, modules.builtin...): keep it
      CAIRN_TRY(tree.AddFile(target, content, 0644, 0, 0, mtime));
      ++added;
    }
    if (ec) return IoError(fmt::format("cannot read '{}': {}", dir.string(), ec.message()));
    fs::remove_all(base, ec);
    if (log) log->push_back(fmt::format("depmod: {} index files for kernel {}", added, version));
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return {};
}

}  // namespace cairn::effects
