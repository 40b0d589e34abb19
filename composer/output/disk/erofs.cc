// WriteErofs: stage the tree, describe its owners and modes to fakeroot, run
// mkfs.erofs inside that fakeroot session.
#include "cairn/disk/erofs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cairn/file_util.h"
#include "cairn/output_file.h"
#include "cairn/subprocess.h"
#include "output/disk/staging.h"
#include "output/disk/tools.h"

namespace cairn::disk {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;
using rootfs::Node;
using internal::IsSpecial;
using internal::ParentPath;
using internal::TypeBits;

constexpr int kMaxLz4hcLevel = 12;

Status CheckOptions(const ErofsOptions& o) {
  const auto& known = ErofsCompressors();
  if (std::find(known.begin(), known.end(), o.compression) == known.end())
    return Error(Code::kUsage, fmt::format("unknown erofs compression '{}' (expected one of: {})",
                                           o.compression, fmt::join(known, ", ")));
  if (o.level && o.compression != "lz4hc")
    return Error(Code::kUsage,
                 fmt::format("erofs compression '{}' takes no level (only lz4hc does)",
                             o.compression));
  if (o.level && (*o.level < 0 || *o.level > kMaxLz4hcLevel))
    return Error(Code::kUsage, fmt::format("erofs lz4hc level {} is out of range (0..{})",
                                           *o.level, kMaxLz4hcLevel));
  if (o.epoch < 0 || o.epoch > UINT32_MAX)
    return Error(Code::kUsage, fmt::format("epoch {} is out of range for erofs", o.epoch));
  if (o.uuid.empty()) return InternalError("WriteErofs needs a filesystem uuid");
  if (o.work_dir.empty()) return InternalError("WriteErofs needs a work directory");
  return {};
}

Status SetTimes(const fs::path& path, int64_t when) {
  struct timespec times[2] = {{when, 0}, {when, 0}};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return IoError(fmt::format("cannot set the times of '{}': {}", path.string(),
                               std::strerror(errno)));
  return {};
}

// Device nodes and fifos become empty files in the staging directory: the
// fakeroot state gives them their type and device number. Creating them
// changed their directories' times, which are put back.
Status StageSpecials(const rootfs::Tree& tree, const fs::path& stage,
                     const internal::StageOptions& so) {
  std::set<std::string> parents;
  for (const auto& [path, node] : tree.nodes()) {
    if (!IsSpecial(node.meta.type)) continue;
    const fs::path host = stage / path;
    int fd = ::open(host.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
      return IoError(fmt::format("cannot stage '{}': {}", host.string(), std::strerror(errno)));
    ::close(fd);
    CAIRN_TRY(SetTimes(host, internal::StagedTime(node.meta.mtime, so)));
    parents.insert(ParentPath(path));
  }
  for (const auto& dir : parents) {
    if (dir.empty()) continue;  // the root's times are set last, by the caller
    const Node* node = tree.Find(dir);
    CAIRN_TRY(SetTimes(stage / dir, node ? internal::StagedTime(node->meta.mtime, so) : so.epoch));
  }
  return {};
}

// One line of fakeroot's save file (faked.c: dev in hex, mode in octal, the
// rest in decimal); fakeroot -i loads it and answers stat() from it.
std::string StateLine(const struct stat& st, uint32_t mode, uint32_t uid, uint32_t gid,
                      dev_t rdev) {
  return fmt::format("dev={:x},ino={},mode={:o},uid={},gid={},nlink={},rdev={}\n",
                     static_cast<unsigned long long>(st.st_dev),
                     static_cast<unsigned long long>(st.st_ino), mode, uid, gid,
                     static_cast<unsigned long long>(st.st_nlink),
                     static_cast<unsigned long long>(rdev));
}

// Every staged inode with the tree's metadata. Hard links share their
// target's inode (and so its line).
Result<std::string> FakerootState(const rootfs::Tree& tree, const fs::path& stage) {
  std::string out;
  struct stat st;
  if (::lstat(stage.c_str(), &st) != 0)
    return IoError(fmt::format("cannot stat '{}': {}", stage.string(), std::strerror(errno)));
  out += StateLine(st, S_IFDIR | 0755, 0, 0, 0);
  for (const auto& [path, node] : tree.nodes()) {
    if (node.meta.type == FileType::kHardlink) continue;
    const fs::path host = stage / path;
    if (::lstat(host.c_str(), &st) != 0)
      return IoError(fmt::format("cannot stat staged '{}': {}", host.string(),
                                 std::strerror(errno)));
    const FileType type = node.meta.type;
    const uint32_t perms = type == FileType::kSymlink ? 0777 : (node.meta.mode & 07777);
    const dev_t rdev = (type == FileType::kCharDevice || type == FileType::kBlockDevice)
                           ? makedev(node.meta.dev_major, node.meta.dev_minor)
                           : 0;
    out += StateLine(st, TypeBits(type) | perms, node.meta.uid, node.meta.gid, rdev);
  }
  return out;
}

// getfattr/setfattr quote a file name's unusual bytes as \ooo.
std::string QuoteAttrPath(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if (c <= ' ' || c >= 0x7f || c == '\\' || c == '=')
      fmt::format_to(std::back_inserter(out), "\\{:03o}", c);
    else
      out.push_back(static_cast<char>(c));
  }
  return out;
}

// `setfattr --restore` input for every node with xattrs; empty when none has any.
Result<std::string> XattrRestore(const rootfs::Tree& tree, const fs::path& stage) {
  std::string out;
  for (const auto& [path, node] : tree.nodes()) {
    if (node.meta.xattrs.empty() || node.meta.type == FileType::kHardlink) continue;
    fmt::format_to(std::back_inserter(out), "# file: {}\n",
                   QuoteAttrPath((stage / path).string()));
    for (const auto& [name, value] : node.meta.xattrs) {
      if (name.empty() || name.find_first_of("\n=") != std::string::npos)
        return Error(Code::kConfig, fmt::format("'{}' has an invalid xattr name", path));
      out += name + "=0x";
      for (unsigned char c : value) fmt::format_to(std::back_inserter(out), "{:02x}", c);
      out.push_back('\n');
    }
    out.push_back('\n');
  }
  return out;
}

std::vector<std::string> MkfsArgs(const ErofsOptions& o, const fs::path& image,
                                  const fs::path& stage) {
  std::vector<std::string> args = {"--quiet"};
  if (o.compression != "none")
    args.push_back(o.level ? fmt::format("-z{},{}", o.compression, *o.level)
                           : "-z" + o.compression);
  // -T is the superblock time and clamps every inode's mtime (erofs-utils 1.5).
  args.insert(args.end(), {"-U", o.uuid, fmt::format("-T{}", o.epoch),
                           image.string(), stage.string()});
  return args;
}

}  // namespace

const std::vector<std::string>& ErofsCompressors() {
  static const std::vector<std::string> kCompressors = {"lz4hc", "lz4", "none"};
  return kCompressors;
}

Status WriteErofs(const rootfs::Tree& tree, const fs::path& out, const ErofsOptions& o) {
  CAIRN_TRY(CheckOptions(o));
  CAIRN_ASSIGN_OR_RETURN(std::string mkfs, internal::LocateTool(internal::kMkfsErofs));
  CAIRN_TRY(MakeDirs(o.work_dir));
  CAIRN_ASSIGN_OR_RETURN(TempDir work, TempDir::Create(o.work_dir, "cairn-erofs"));
  const fs::path stage = work.path() / "root";
  CAIRN_TRY(MakeDirs(stage));

  const internal::StageOptions so{.epoch = o.epoch};
  CAIRN_TRY(internal::StageTree(tree, stage, so));
  CAIRN_TRY(StageSpecials(tree, stage, so));
  CAIRN_TRY(SetTimes(stage, o.epoch));
  CAIRN_ASSIGN_OR_RETURN(std::string state, FakerootState(tree, stage));
  const fs::path state_file = work.path() / "fakeroot.state";
  CAIRN_TRY(WriteFileAtomic(state_file, state));
  CAIRN_ASSIGN_OR_RETURN(std::string xattrs, XattrRestore(tree, stage));

  CAIRN_ASSIGN_OR_RETURN(OutputFile file, OutputFile::Create(out));
  std::vector<std::string> mkfs_argv = {mkfs};
  for (auto& a : MkfsArgs(o, file.temp_path(), stage)) mkfs_argv.push_back(std::move(a));
  internal::ToolRun run{.env = internal::ToolEnv(o.epoch)};
  run.args = {"-i", state_file.string(), "--"};
  if (xattrs.empty()) {
    run.args.insert(run.args.end(), mkfs_argv.begin(), mkfs_argv.end());
  } else {
    // xattrs live in the fakeroot session's memory, so they are set in the
    // same session that runs mkfs.erofs.
    CAIRN_ASSIGN_OR_RETURN(std::string setfattr, internal::LocateTool(internal::kSetfattr));
    const fs::path restore = work.path() / "xattrs";
    CAIRN_TRY(WriteFileAtomic(restore, xattrs));
    run.args.insert(run.args.end(),
                    {"/bin/sh", "-c",
                     fmt::format("{} --restore={} && exec {}", ShellQuote(setfattr),
                                 ShellQuote(restore.string()), ShellJoin(mkfs_argv))});
  }
  CAIRN_TRY(internal::RunTool(internal::kFakeroot, run, o.reporter));
  return file.Commit();
}

}  // namespace cairn::disk
