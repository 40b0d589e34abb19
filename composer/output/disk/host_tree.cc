// AddHostPath: a walk with lstat, names sorted, content copied into the store.
#include "output/disk/host_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "output/disk/fd.h"

namespace cairn::disk::internal {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;
using rootfs::FsEntry;

class Walker {
 public:
  Walker(rootfs::Tree& tree, const HostTreeOptions& o) : tree_(tree), o_(o) {}

  int64_t Time(const struct stat& st) const {
    int64_t t = st.st_mtim.tv_sec;
    return o_.epoch && t > *o_.epoch ? *o_.epoch : t;
  }

  FsEntry Entry(const std::string& at, const struct stat& st, FileType type) const {
    return {.path = at, .type = type, .mode = static_cast<uint32_t>(st.st_mode & 07777),
            .uid = o_.uid, .gid = o_.gid, .mtime = Time(st)};
  }

  Status AddOne(const fs::path& host, const std::string& at, const struct stat& st) {
    if (S_ISDIR(st.st_mode)) {
      CAIRN_TRY(Placed(tree_.Add(Entry(at, st, FileType::kDirectory), nullptr), host));
      return AddChildren(host, at);
    }
    if (S_ISREG(st.st_mode)) {
      // A second name of an inode already copied becomes a hard link to it.
      if (st.st_nlink > 1) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        if (auto it = links_.find(key); it != links_.end()) {
          FsEntry e = Entry(at, st, FileType::kHardlink);
          e.link_target = it->second;
          return Placed(tree_.Add(std::move(e), nullptr), host);
        }
        links_.emplace(key, at);
      }
      Fd in(::open(host.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (in.get() < 0) return ErrnoError(fmt::format("cannot read '{}'", host.string()), errno);
      const uint64_t size = static_cast<uint64_t>(st.st_size);
      auto blob = tree_.store().AppendFromFile(in.get(), 0, size);
      if (!blob) return std::move(blob).error().Context(fmt::format("copying '{}'", host.string()));
      FsEntry e = Entry(at, st, FileType::kRegular);
      e.size = size;
      return Placed(tree_.AddStored(std::move(e), {.blob = *blob}), host);
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(host.c_str(), target.data(), target.size());
      if (n < 0 || static_cast<size_t>(n) >= target.size())
        return ErrnoError(fmt::format("cannot read the symlink '{}'", host.string()),
                          n < 0 ? errno : ENAMETOOLONG);
      target.resize(static_cast<size_t>(n));
      FsEntry e = Entry(at, st, FileType::kSymlink);
      e.mode = 0777;
      e.link_target = std::move(target);
      return Placed(tree_.Add(std::move(e), nullptr), host);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      FsEntry e = Entry(at, st, S_ISCHR(st.st_mode) ? FileType::kCharDevice : FileType::kBlockDevice);
      e.dev_major = major(st.st_rdev);
      e.dev_minor = minor(st.st_rdev);
      return Placed(tree_.Add(std::move(e), nullptr), host);
    }
    if (S_ISFIFO(st.st_mode)) return Placed(tree_.Add(Entry(at, st, FileType::kFifo), nullptr), host);
    return UsageError(fmt::format("cannot copy '{}': sockets cannot be copied into an image",
                                  host.string()));
  }

  Status AddChildren(const fs::path& host, const std::string& at) {
    DIR* dir = ::opendir(host.c_str());
    if (!dir) return ErrnoError(fmt::format("cannot read the directory '{}'", host.string()), errno);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* d = ::readdir(dir)) {
      std::string name = d->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    int err = errno;
    ::closedir(dir);
    if (err) return ErrnoError(fmt::format("cannot read the directory '{}'", host.string()), err);
    std::sort(names.begin(), names.end());  // the walk, and so link targets, never depend on readdir
    for (const auto& name : names) {
      fs::path child = host / name;
      struct stat st {};
      if (::lstat(child.c_str(), &st) != 0)
        return ErrnoError(fmt::format("cannot read '{}'", child.string()), errno);
      CAIRN_TRY(AddOne(child, at.empty() ? name : at + "/" + name, st));
    }
    return {};
  }

 private:
  static Status Placed(Status s, const fs::path& host) {
    if (!s.ok()) return std::move(s).error().Context(fmt::format("copying '{}'", host.string()));
    return {};
  }

  rootfs::Tree& tree_;
  const HostTreeOptions& o_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // inode -> first tree path
};

}  // namespace

Result<HostSource> AddHostPath(rootfs::Tree& tree, const fs::path& source, const std::string& at,
                               const HostTreeOptions& options) {
  struct stat st {};
  if (::lstat(source.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return NotFoundError(fmt::format("'{}' does not exist", source.string()));
    return ErrnoError(fmt::format("cannot read '{}'", source.string()), errno);
  }
  Walker walker(tree, options);
  HostSource out{.directory = S_ISDIR(st.st_mode),
                 .mode = static_cast<uint32_t>(st.st_mode & 07777),
                 .mtime = walker.Time(st)};
  if (out.directory && at.empty()) {
    CAIRN_TRY(walker.AddChildren(source, at));
  } else {
    if (at.empty()) return InternalError("AddHostPath: a file needs a name in the tree");
    CAIRN_TRY(walker.AddOne(source, at, st));
  }
  return out;
}

}  // namespace cairn::disk::internal
