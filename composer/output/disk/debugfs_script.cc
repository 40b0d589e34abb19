#include "output/disk/debugfs_script.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace cairn::disk::internal {
namespace {

using rootfs::FileType;
using rootfs::Node;

std::string BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

class ScriptWriter {
 public:
  ScriptWriter(const std::filesystem::path& values_dir, int64_t epoch)
      : values_dir_(values_dir), epoch_(epoch) {}

  void Sif(const std::string& qpath, std::string_view field, std::string_view value) {
    fmt::format_to(std::back_inserter(out_.text), "sif {} {} {}\n", qpath, field, value);
  }
  void Owner(const std::string& qpath, const Node& node, const StagedMeta* staged) {
    if (!staged || staged->uid != node.meta.uid) Sif(qpath, "uid", std::to_string(node.meta.uid));
    if (!staged || staged->gid != node.meta.gid) Sif(qpath, "gid", std::to_string(node.meta.gid));
  }
  void Xattrs(const std::string& qpath, const Node& node, const StagedMeta* staged) {
    if (staged) {
      for (const auto& name : staged->host_xattrs)
        if (!node.meta.xattrs.count(name))
          fmt::format_to(std::back_inserter(out_.text), "ea_rm {} {}\n", qpath, DebugfsQuote(name));
    }
    for (const auto& [name, value] : node.meta.xattrs) {
      auto [it, added] = value_index_.emplace(value, out_.values.size());
      if (added) out_.values.push_back(value);
      fmt::format_to(std::back_inserter(out_.text), "ea_set -f {} {} {}\n",
                     DebugfsQuote((values_dir_ / std::to_string(it->second)).string()), qpath,
                     DebugfsQuote(name));
    }
  }
  void Ctime(const std::string& qpath) { Sif(qpath, "ctime", fmt::format("@{}", epoch_)); }
  void Raw(std::string_view line) {
    out_.text.append(line);
    out_.text.push_back('\n');
  }
  DebugfsScript Take() { return std::move(out_); }

 private:
  std::filesystem::path values_dir_;
  int64_t epoch_;
  DebugfsScript out_;
  std::map<std::string, size_t> value_index_;
};

}  // namespace

std::string DebugfsQuote(std::string_view word) {
  std::string out = "\"";
  for (char c : word) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Result<DebugfsScript> BuildDebugfsScript(const rootfs::Tree& tree, const StagedTree& staged,
                                         const std::filesystem::path& values_dir,
                                         const StageOptions& options) {
  ScriptWriter w(values_dir, options.epoch);
  std::set<std::string> touched_dirs;  // directories that got debugfs-made children
  for (const auto& [path, node] : tree.nodes()) {
    if (path.find('\n') != std::string::npos)
      return Error(Code::kConfig,
                   fmt::format("path '{}' has a newline, which ext4 images cannot be given "
                               "here", path));
    for (const auto& [name, value] : node.meta.xattrs) {
      if (name.find('\n') != std::string::npos || name.empty())
        return Error(Code::kConfig, fmt::format("'{}' has an invalid xattr name", path));
    }
    const FileType type = node.meta.type;
    if (type == FileType::kHardlink) continue;
    const std::string qpath = DebugfsQuote("/" + path);
    const uint32_t mode = node.meta.mode & 07777;
    if (IsSpecial(type)) {
      std::string parent = ParentPath(path);
      w.Raw("cd " + DebugfsQuote("/" + parent));
      if (type == FileType::kFifo) {
        w.Raw(fmt::format("mknod {} p", DebugfsQuote(BaseName(path))));
      } else {
        w.Raw(fmt::format("mknod {} {} {} {}", DebugfsQuote(BaseName(path)),
                          type == FileType::kCharDevice ? 'c' : 'b', node.meta.dev_major,
                          node.meta.dev_minor));
      }
      w.Raw("cd /");
      touched_dirs.insert(parent);
      int64_t when = StagedTime(node.meta.mtime, options);
      w.Sif(qpath, "mode", fmt::format("0{:o}", TypeBits(type) | mode));
      w.Owner(qpath, node, nullptr);
      w.Sif(qpath, "atime", fmt::format("@{}", when));
      w.Sif(qpath, "mtime", fmt::format("@{}", when));
      w.Xattrs(qpath, node, nullptr);
      w.Ctime(qpath);
      continue;
    }
    auto it = staged.find(path);
    if (it == staged.end())
      return InternalError(fmt::format("'{}' was not staged", path));
    const StagedMeta& meta = it->second;
    // A symlink's mode is always 0777 in ext4 (and cannot be chosen when staging).
    if (type != FileType::kSymlink && meta.mode != mode)
      w.Sif(qpath, "mode", fmt::format("0{:o}", TypeBits(type) | mode));
    w.Owner(qpath, node, &meta);
    w.Xattrs(qpath, node, &meta);
    w.Ctime(qpath);
  }
  // Linking a new inode may have changed its directory's times: put them back.
  for (const auto& dir : touched_dirs) {
    int64_t when = options.epoch;
    if (!dir.empty()) {
      const Node* node = tree.Find(dir);
      if (node) when = StagedTime(node->meta.mtime, options);
    }
    std::string qdir = DebugfsQuote("/" + dir);
    w.Sif(qdir, "atime", fmt::format("@{}", when));
    w.Sif(qdir, "mtime", fmt::format("@{}", when));
    w.Ctime(qdir);
  }
  return w.Take();
}

}  // namespace cairn::disk::internal
