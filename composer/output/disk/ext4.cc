// BuildExt4: stage the tree, mke2fs -d at the partition offset, one debugfs fix-up.
#include "cairn/disk/ext4.h"

#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "cairn/disk/layout.h"
#include "cairn/file_util.h"
#include "output/disk/debugfs_script.h"
#include "output/disk/ext4_geometry.h"
#include "output/disk/staging.h"
#include "output/disk/tools.h"

namespace cairn::disk {
namespace {

namespace fs = std::filesystem;
using internal::Ext4Needs;

// cairn's own mke2fs.conf (MKE2FS_CONFIG), so the host's /etc/mke2fs.conf
// cannot change the image. The features are bookworm's ext4 defaults, which
// GRUB 2.06, U-Boot and Linux >= 3.18 all read.
constexpr std::string_view kMke2fsConf = R"([defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
	reserved_ratio = 5.0

[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
)";

Error TooSmall(const Ext4Options& o, const Region& region, const Ext4Needs& needs) {
  return Error(Code::kConfig,
               fmt::format("partition '{}' ({}) is too small for the tree (needs about {})",
                           o.name, FormatSize(region.size), FormatSize(needs.auto_bytes)));
}

// libext2fs's own words for a full filesystem. errno's "No space left on
// device" is not among them: that is the host refusing to grow the image.
bool OutOfSpace(std::string_view stderr_text) {
  return stderr_text.find("Could not allocate block") != std::string_view::npos ||
         stderr_text.find("Could not allocate inode") != std::string_view::npos ||
         stderr_text.find("No free space") != std::string_view::npos;
}

// debugfs exits 0 even when commands fail; everything on stderr after its
// version banner is an error.
std::string DebugfsErrors(std::string_view err) {
  constexpr int kMaxLines = 20;
  std::string out;
  size_t pos = 0;
  bool first = true;
  int lines = 0;
  while (pos < err.size()) {
    size_t end = err.find('\n', pos);
    if (end == std::string_view::npos) end = err.size();
    std::string_view line = err.substr(pos, end - pos);
    pos = end + 1;
    if (first && line.rfind("debugfs ", 0) == 0) {
      first = false;
      continue;
    }
    first = false;
    if (line.empty()) continue;
    if (++lines <= kMaxLines) {
      out.append(line);
      out.push_back('\n');
    }
  }
  if (lines > kMaxLines) out += fmt::format("... and {} more lines\n", lines - kMaxLines);
  return out;
}

Status CheckOptions(const Region& region, const Ext4Options& o) {
  if (o.label.size() > 16)
    return Error(Code::kConfig, fmt::format("partition '{}': ext4 label '{}' is longer than 16 "
                                            "bytes", o.name, o.label));
  if (o.uuid.empty() || o.hash_seed.empty())
    return InternalError("BuildExt4 needs a filesystem uuid and hash seed");
  if (o.work_dir.empty()) return InternalError("BuildExt4 needs a work directory");
  if (region.offset % kSectorSize != 0 || region.size % internal::kExt4BlockSize != 0 ||
      region.size == 0)
    return InternalError(fmt::format("ext4 region {}+{} is not block aligned", region.offset,
                                     region.size));
  return {};
}

}  // namespace

Status BuildExt4(const rootfs::Tree& tree, const Region& region, const Ext4Options& o) {
  CAIRN_TRY(CheckOptions(region, o));
  const Ext4Needs needs = internal::MeasureExt4(tree);
  // File data alone does not fit: no need to stage anything to know.
  if (needs.content_bytes >= region.size) return TooSmall(o, region, needs);

  CAIRN_TRY(MakeDirs(o.work_dir));
  CAIRN_ASSIGN_OR_RETURN(TempDir work, TempDir::Create(o.work_dir, "cairn-ext4"));
  const fs::path stage = work.path() / "root";
  const fs::path values = work.path() / "xattrs";
  const fs::path conf = work.path() / "mke2fs.conf";
  CAIRN_TRY(MakeDirs(stage));
  CAIRN_TRY(MakeDirs(values));
  CAIRN_TRY(WriteFileAtomic(conf, kMke2fsConf));

  const internal::StageOptions stage_options{.epoch = o.epoch};
  CAIRN_ASSIGN_OR_RETURN(internal::StagedTree staged,
                         internal::StageTree(tree, stage, stage_options));
  CAIRN_ASSIGN_OR_RETURN(internal::DebugfsScript script,
                         internal::BuildDebugfsScript(tree, staged, values, stage_options));
  for (size_t i = 0; i < script.values.size(); ++i)
    CAIRN_TRY(WriteFileAtomic(values / std::to_string(i), script.values[i]));

  auto env = internal::ToolEnv(o.epoch);
  env["MKE2FS_CONFIG"] = conf.string();
  internal::ToolRun mkfs{.env = env};
  mkfs.args = {"-q", "-F", "-t", "ext4", "-b", std::to_string(internal::kExt4BlockSize),
               "-I", std::to_string(internal::kExt4InodeSize),
               "-N", std::to_string(internal::Ext4InodeCount(needs, region.size)),
               "-U", o.uuid, "-L", o.label,
               // The image is a fresh sparse file: nothing to zero or discard.
               "-E", fmt::format("offset={},root_owner=0:0,hash_seed={},"
                                 "assume_storage_prezeroed=1,nodiscard",
                                 region.offset, o.hash_seed),
               "-d", stage.string(), region.image.string(),
               fmt::format("{}k", region.size / 1024)};
  ProcessOptions used;
  CAIRN_ASSIGN_OR_RETURN(ProcessResult made,
                         internal::RunToolRaw(internal::kMke2fs, mkfs, o.reporter, &used));
  if (!made.ok()) {
    if (internal::HostFilesystemFull(made.stderr_data))
      return internal::HostFullError(o.name, region.image);
    if (OutOfSpace(made.stderr_data)) return TooSmall(o, region, needs);
    return FailedProcessError(used, made);
  }

  internal::ToolRun fix{.env = internal::ToolEnv(o.epoch)};
  fix.args = {"-w", "-f", "-", fmt::format("{}?offset={}", region.image.string(), region.offset)};
  // The superblock's lifetime-writes counter records how much mke2fs and
  // debugfs wrote, which differs with who runs them (as root, fewer owners
  // need fixing). Zero it: libext2fs only adds to a non-zero counter.
  script.text += "ssv kbytes_written 0\n";
  fix.stdin_data = std::move(script.text);
  CAIRN_ASSIGN_OR_RETURN(ProcessResult fixed,
                         internal::RunToolRaw(internal::kDebugfs, fix, o.reporter, &used));
  used.stdin_data.reset();
  if (!fixed.ok()) return FailedProcessError(used, fixed);
  std::string errors = DebugfsErrors(fixed.stderr_data);
  if (!errors.empty()) {
    if (internal::HostFilesystemFull(errors)) return internal::HostFullError(o.name, region.image);
    if (OutOfSpace(errors)) return TooSmall(o, region, needs);
    return ToolError(fmt::format("debugfs could not set ownership and metadata in partition "
                                 "'{}':\n{}", o.name, errors));
  }
  return {};
}

}  // namespace cairn::disk
