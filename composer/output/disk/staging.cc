#include "output/disk/staging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "output/disk/fd.h"

namespace cairn::disk::internal {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;
using rootfs::Node;

constexpr size_t kChunk = 1 << 20;

Status SetTimes(const fs::path& path, int64_t when, bool no_follow) {
  struct timespec times[2] = {{static_cast<time_t>(when), 0}, {static_cast<time_t>(when), 0}};
  if (::utimensat(AT_FDCWD, path.c_str(), times, no_follow ? AT_SYMLINK_NOFOLLOW : 0) != 0)
    return ErrnoError(fmt::format("cannot set the times of '{}'", path.string()), errno);
  return {};
}

Status WriteAll(int fd, const char* data, size_t size, const fs::path& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(fmt::format("cannot write '{}'", path.string()), errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Status StageFile(const rootfs::Tree& tree, const Node& node, const fs::path& path,
                 int64_t when, std::vector<char>& buf) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) return ErrnoError(fmt::format("cannot create '{}'", path.string()), errno);
  uint64_t offset = 0;
  while (offset < node.content.size) {
    CAIRN_ASSIGN_OR_RETURN(size_t n, tree.store().ReadAt(node.content, offset, buf.data(), buf.size()));
    if (n == 0) break;
    CAIRN_TRY(WriteAll(fd.get(), buf.data(), n, path));
    offset += n;
  }
  if (offset != node.content.size)
    return InternalError(fmt::format("content of '{}' ended after {} of {} bytes", node.meta.path,
                                     offset, node.content.size));
  if (::fchmod(fd.get(), (node.meta.mode & 07777) | 0400) != 0)
    return ErrnoError(fmt::format("cannot chmod '{}'", path.string()), errno);
  struct timespec times[2] = {{static_cast<time_t>(when), 0}, {static_cast<time_t>(when), 0}};
  if (::futimens(fd.get(), times) != 0)
    return ErrnoError(fmt::format("cannot set the times of '{}'", path.string()), errno);
  if (::close(fd.Release()) != 0)
    return ErrnoError(fmt::format("cannot write '{}'", path.string()), errno);
  return {};
}

Result<std::vector<std::string>> HostXattrs(const fs::path& path) {
  std::vector<std::string> names;
  ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
  if (size < 0) {
    if (errno == ENOTSUP) return names;
    return ErrnoError(fmt::format("cannot list the xattrs of '{}'", path.string()), errno);
  }
  if (size == 0) return names;
  std::string list(static_cast<size_t>(size), '\0');
  size = ::llistxattr(path.c_str(), list.data(), list.size());
  if (size < 0) return ErrnoError(fmt::format("cannot list the xattrs of '{}'", path.string()), errno);
  list.resize(static_cast<size_t>(size));
  for (size_t i = 0; i < list.size();) {
    size_t end = list.find('\0', i);
    if (end == std::string::npos) end = list.size();
    if (end > i) names.emplace_back(list.substr(i, end - i));
    i = end + 1;
  }
  return names;
}

}  // namespace

uint32_t TypeBits(rootfs::FileType type) {
  switch (type) {
    case rootfs::FileType::kDirectory: return S_IFDIR;
    case rootfs::FileType::kSymlink: return S_IFLNK;
    case rootfs::FileType::kCharDevice: return S_IFCHR;
    case rootfs::FileType::kBlockDevice: return S_IFBLK;
    case rootfs::FileType::kFifo: return S_IFIFO;
    case rootfs::FileType::kRegular:
    case rootfs::FileType::kHardlink: return S_IFREG;
  }
  return S_IFREG;
}

bool IsSpecial(rootfs::FileType type) {
  return type == rootfs::FileType::kCharDevice || type == rootfs::FileType::kBlockDevice ||
         type == rootfs::FileType::kFifo;
}

std::string ParentPath(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

int64_t StagedTime(int64_t mtime, const StageOptions& options) {
  return std::max(std::min(mtime, options.epoch), options.min_time);
}

Result<StagedTree> StageTree(const rootfs::Tree& tree, const fs::path& dir,
                             const StageOptions& options) {
  std::vector<char> buf(kChunk);
  StagedTree staged;
  std::vector<const Node*> links;
  for (const auto& [path, node] : tree.nodes()) {
    // The tree never puts a node under a symlink (Tree::Add resolves parents),
    // but the host would follow one out of `dir`: check, whoever built the tree.
    if (std::string parent = ParentPath(path); !parent.empty()) {
      const Node* p = tree.Find(parent);
      if (!p || p->meta.type != FileType::kDirectory)
        return IntegrityError(fmt::format(
            "cannot stage '{}': its parent '{}' is {} in the tree, not a directory", path, parent,
            p ? fmt::format("a {}", rootfs::FileTypeName(p->meta.type)) : "missing"));
    }
    fs::path host = dir / path;
    int64_t when = StagedTime(node.meta.mtime, options);
    switch (node.meta.type) {
      case FileType::kDirectory:
        if (::mkdir(host.c_str(), 0700) != 0)
          return ErrnoError(fmt::format("cannot create directory '{}'", host.string()), errno);
        break;
      case FileType::kRegular:
        CAIRN_TRY(StageFile(tree, node, host, when, buf));
        break;
      case FileType::kHardlink:
        links.push_back(&node);  // its target may sort after it
        break;
      case FileType::kSymlink:
        if (::symlink(node.meta.link_target.c_str(), host.c_str()) != 0)
          return ErrnoError(fmt::format("cannot create symlink '{}'", host.string()), errno);
        CAIRN_TRY(SetTimes(host, when, /*no_follow=*/true));
        break;
      case FileType::kCharDevice:
      case FileType::kBlockDevice:
      case FileType::kFifo:
        continue;  // created by the caller
    }
    staged.emplace(path, StagedMeta{});
  }
  for (const Node* node : links) {
    const Node* t = tree.Find(node->meta.link_target);
    if (!t || t->meta.type != FileType::kRegular)
      return IntegrityError(fmt::format("cannot stage hard link '{}': '{}' is not a regular file",
                                        node->meta.path, node->meta.link_target));
    fs::path host = dir / node->meta.path;
    fs::path target = dir / node->meta.link_target;
    if (::link(target.c_str(), host.c_str()) != 0)
      return ErrnoError(fmt::format("cannot link '{}' to '{}'", host.string(), target.string()),
                        errno);
  }
  // Directories last and deepest first: creating children changed their times.
  for (auto it = tree.nodes().rbegin(); it != tree.nodes().rend(); ++it) {
    const Node& node = it->second;
    if (node.meta.type != FileType::kDirectory) continue;
    fs::path host = dir / it->first;
    if (::chmod(host.c_str(), (node.meta.mode & 07777) | 0700) != 0)
      return ErrnoError(fmt::format("cannot chmod '{}'", host.string()), errno);
    CAIRN_TRY(SetTimes(host, StagedTime(node.meta.mtime, options), /*no_follow=*/false));
  }
  for (auto& [path, meta] : staged) {
    fs::path host = dir / path;
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0)
      return ErrnoError(fmt::format("cannot stat '{}'", host.string()), errno);
    meta.mode = st.st_mode & 07777;
    meta.uid = st.st_uid;
    meta.gid = st.st_gid;
    CAIRN_ASSIGN_OR_RETURN(meta.host_xattrs, HostXattrs(host));
  }
  return staged;
}

}  // namespace cairn::disk::internal
