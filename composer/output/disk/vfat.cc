// BuildVfat: mkfs.vfat at the partition offset, then mmd/mcopy from a staging directory.
#include "cairn/disk/vfat.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "cairn/disk/layout.h"
#include "cairn/file_util.h"
#include "output/disk/staging.h"
#include "output/disk/tools.h"

namespace cairn::disk {
namespace {

namespace fs = std::filesystem;
using rootfs::FileType;

constexpr uint64_t kCluster = 4096;  // the largest cluster mkfs.vfat picks below 8 GiB
constexpr int64_t kFatEpoch = 315532800;  // 1980-01-01T00:00:00Z, the earliest FAT date

uint64_t CeilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

std::string ParentOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::string_view NameOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error TooSmall(const VfatOptions& o, const Region& region, uint64_t needs) {
  return Error(Code::kConfig,
               fmt::format("partition '{}' ({}) is too small for the tree (needs about {})",
                           o.name, FormatSize(region.size), FormatSize(needs)));
}

// mtools names the filesystem inside the image by byte offset.
std::string MtoolsImage(const Region& region) {
  return fmt::format("{}@@{}", region.image.string(), region.offset);
}

std::string MtoolsPath(std::string_view path) { return fmt::format("::/{}", path); }

}  // namespace

Status CheckVfatTree(const rootfs::Tree& tree, std::string_view name) {
  std::map<std::string, std::set<std::string>> seen;  // directory -> lowercased names
  for (const auto& [path, node] : tree.nodes()) {
    switch (node.meta.type) {
      case FileType::kRegular:
      case FileType::kHardlink:
      case FileType::kDirectory:
        break;
      default:
        return Error(Code::kConfig,
                     fmt::format("partition '{}' is vfat, which cannot hold {} '{}'", name,
                                 rootfs::FileTypeName(node.meta.type), path));
    }
    std::string_view base = NameOf(path);
    for (unsigned char c : base) {
      if (c < 0x20 || c == 0x7f || std::string_view("\"*:<>?\\|").find(static_cast<char>(c)) !=
                                       std::string_view::npos)
        return Error(Code::kConfig,
                     fmt::format("partition '{}' is vfat, which cannot name '{}' (no control "
                                 "characters or any of \" * : < > ? \\ |)", name, path));
    }
    if (base.back() == '.' || base.back() == ' ')
      return Error(Code::kConfig, fmt::format("partition '{}' is vfat, which cannot name '{}' "
                                              "(a name cannot end in '.' or ' ')", name, path));
    if (base.size() > 255)
      return Error(Code::kConfig, fmt::format("partition '{}' is vfat, whose names are at most "
                                              "255 characters: '{}'", name, path));
    if (!seen[ParentOf(path)].insert(Lower(base)).second)
      return Error(Code::kConfig,
                   fmt::format("partition '{}' is vfat, where names ignore case: '{}' clashes "
                               "with another name in its directory", name, path));
  }
  return {};
}

uint64_t VfatSizeFor(const rootfs::Tree& tree, bool esp) {
  uint64_t bytes = 0;
  std::map<std::string, uint64_t> dir_bytes;  // directory -> directory entry bytes
  dir_bytes[""] = 0;
  for (const auto& [path, node] : tree.nodes()) {
    std::string_view base = NameOf(path);
    // A short entry plus one long-name entry per 13 characters.
    dir_bytes[ParentOf(path)] += 32 * (1 + CeilDiv(base.size(), 13));
    if (node.meta.type == FileType::kDirectory) {
      dir_bytes[path] += 64;  // "." and ".."
    } else {
      bytes += CeilDiv(node.content.size, kCluster) * kCluster;
    }
  }
  for (const auto& [dir, entries] : dir_bytes)
    bytes += std::max<uint64_t>(1, CeilDiv(entries, kCluster)) * kCluster;
  // Two FATs of up to 4 bytes per 512-byte cluster, reserved sectors, the
  // FAT16 root directory, and a margin.
  bytes += bytes / 50 + 256 * 1024;
  uint64_t size = CeilDiv(bytes + bytes / 20 + kMiB, kMiB) * kMiB;
  if (esp) size = std::max<uint64_t>(size, kFat32MinSize);
  return size;
}

Status BuildVfat(const rootfs::Tree& tree, const Region& region, const VfatOptions& o) {
  if (o.label.size() > 11)
    return Error(Code::kConfig, fmt::format("partition '{}': vfat label '{}' is longer than 11 "
                                            "characters", o.name, o.label));
  if (o.work_dir.empty()) return InternalError("BuildVfat needs a work directory");
  if (region.offset % kSectorSize != 0 || region.size % 1024 != 0 || region.size == 0)
    return InternalError(fmt::format("vfat region {}+{} is not aligned", region.offset,
                                     region.size));
  CAIRN_TRY(CheckVfatTree(tree, o.name));
  uint64_t content = 0;
  for (const auto& [path, node] : tree.nodes()) content += node.content.size;
  if (content >= region.size) return TooSmall(o, region, VfatSizeFor(tree, o.esp));

  CAIRN_TRY(MakeDirs(o.work_dir));
  CAIRN_ASSIGN_OR_RETURN(TempDir work, TempDir::Create(o.work_dir, "cairn-vfat"));
  const fs::path stage = work.path() / "root";
  CAIRN_TRY(MakeDirs(stage));
  const internal::StageOptions stage_options{.epoch = o.epoch, .min_time = kFatEpoch};
  CAIRN_TRY(internal::StageTree(tree, stage, stage_options));

  const auto env = internal::ToolEnv(std::max(o.epoch, kFatEpoch));
  const uint64_t sector = region.offset / kSectorSize;
  internal::ToolRun mkfs{.env = env};
  if (region.size >= kFat32MinSize) {
    // FAT32 needs at least 65525 clusters, and mtools refuses a volume near
    // that limit ("No directory slots"); mkfs.vfat's own pick gives 256 MiB
    // just 65536 of 4 KiB. Take the largest cluster (up to 4 KiB, which the
    // auto size assumes) that leaves a comfortable margin.
    uint64_t per_cluster = 8;
    while (per_cluster > 1 && region.size / (per_cluster * kSectorSize) < 2 * 65525) per_cluster /= 2;
    mkfs.args = {"-F", "32", "-s", std::to_string(per_cluster)};
  }
  if (!o.label.empty()) {
    mkfs.args.push_back("-n");
    mkfs.args.push_back(o.label);
  }
  // --invariant first: it would otherwise replace the serial given with -i.
  std::vector<std::string> rest = {
      "--invariant", "-i", fmt::format("{:08x}", o.serial), "--mbr=n",
      // Hidden sectors = partition start, as firmware expects of a partition.
      "-h", std::to_string(sector), fmt::format("--offset={}", sector), region.image.string(),
      std::to_string(region.size / 1024)};
  mkfs.args.insert(mkfs.args.end(), rest.begin(), rest.end());
  CAIRN_TRY(internal::RunTool(internal::kMkfsVfat, mkfs, o.reporter));

  const std::string image = MtoolsImage(region);
  // Directories, parents first (the tree's order), in one call.
  internal::ToolRun mmd{.env = env};
  mmd.args = {"-i", image};
  // Files grouped by directory; the map keeps names sorted within each.
  std::map<std::string, std::vector<std::string>> files;
  for (const auto& [path, node] : tree.nodes()) {
    if (node.meta.type == FileType::kDirectory)
      mmd.args.push_back(MtoolsPath(path));
    else
      files[ParentOf(path)].push_back(path);
  }
  if (mmd.args.size() > 2) CAIRN_TRY(internal::RunTool(internal::kMmd, mmd, o.reporter));
  for (const auto& [dir, paths] : files) {
    // -m keeps the staged file's mtime; -D o would silently overwrite, but
    // CheckVfatTree already ruled out clashes, so any prompt is a failure.
    internal::ToolRun copy{.env = env};
    copy.args = {"-m", "-i", image};
    for (const auto& p : paths) copy.args.push_back((stage / p).string());
    copy.args.push_back(dir.empty() ? std::string("::/") : MtoolsPath(dir) + "/");
    ProcessOptions used;
    CAIRN_ASSIGN_OR_RETURN(ProcessResult run,
                           internal::RunToolRaw(internal::kMcopy, copy, o.reporter, &used));
    if (!run.ok()) {
      if (internal::HostFilesystemFull(run.stderr_data))
        return internal::HostFullError(o.name, region.image);
      if (run.stderr_data.find("Disk full") != std::string::npos)
        return TooSmall(o, region, VfatSizeFor(tree, o.esp));
      return FailedProcessError(used, run);
    }
  }
  return {};
}

}  // namespace cairn::disk
