// WriteDiskImage: sparse temporary file, partition table, filesystems in
// place, optional qcow2, rename into place.
#include "cairn/disk/image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "cairn/disk/ext4.h"
#include "cairn/disk/kernel_fs.h"
#include "cairn/disk/raw.h"
#include "cairn/disk/vfat.h"
#include "cairn/file_util.h"
#include "output/disk/partition_table.h"
#include "output/disk/tools.h"

namespace cairn::disk {
namespace {

namespace fs = std::filesystem;

// A file beside the output, removed on destruction unless committed.
class TempOutput {
 public:
  static Result<TempOutput> Create(const fs::path& out_path) {
    fs::path dir = out_path.parent_path().empty() ? fs::path(".") : out_path.parent_path();
    std::string templ = (dir / fmt::format(".{}.tmp.XXXXXX", out_path.filename().string())).string();
    int fd = ::mkostemp(templ.data(), O_CLOEXEC);
    if (fd < 0) return ErrnoError(fmt::format("cannot create a file in '{}'", dir.string()), errno);
    ::fchmod(fd, 0644);
    ::close(fd);
    return TempOutput(fs::path(templ));
  }
  TempOutput(TempOutput&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempOutput& operator=(TempOutput&&) = delete;
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;
  ~TempOutput() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const fs::path& path() const { return path_; }

  /// fsyncs and renames over `final_path`.
  Status CommitAs(const fs::path& final_path) {
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      int e = errno;
      if (fd >= 0) ::close(fd);
      return ErrnoError(fmt::format("cannot write '{}'", path_.string()), e);
    }
    ::close(fd);
    if (::rename(path_.c_str(), final_path.c_str()) != 0)
      return ErrnoError(fmt::format("cannot rename into '{}'", final_path.string()), errno);
    path_.clear();
    fs::path dir = final_path.parent_path();
    return SyncDir(dir.empty() ? fs::path(".") : dir);
  }

 private:
  explicit TempOutput(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

Status Truncate(const fs::path& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0)
    return ErrnoError(fmt::format("cannot size '{}' to {} bytes", path.string(), size), errno);
  return {};
}

Status BuildPartition(const PartitionPlan& p, const PartitionContents& contents,
                      const fs::path& image, const fs::path& work_dir, const DiskOptions& o) {
  Region region{.image = image, .offset = p.offset, .size = p.size};
  auto it = contents.find(p.spec.name);
  switch (p.spec.filesystem) {
    case Filesystem::kExt4:
      return BuildExt4(*it->second.tree, region,
                       {.label = p.label, .uuid = p.fs_uuid, .hash_seed = p.hash_seed,
                        .epoch = o.epoch, .work_dir = work_dir, .name = p.spec.name,
                        .reporter = o.reporter});
    case Filesystem::kVfat:
      return BuildVfat(*it->second.tree, region,
                       {.label = p.label, .serial = p.vfat_serial, .epoch = o.epoch,
                        .work_dir = work_dir, .name = p.spec.name,
                        .esp = p.spec.role == PartitionRole::kEsp, .reporter = o.reporter});
    case Filesystem::kRaw:
      return CopyRawImage(it->second.image, region, p.spec.name);
    case Filesystem::kXfs:
    case Filesystem::kBtrfs:  // BuildKernelFilesystems, after the loop
    case Filesystem::kNone:
      return {};
  }
  return InternalError("unknown filesystem");
}

Status RunQemuImg(const fs::path& raw, const fs::path& out, Reporter* reporter) {
  // In-order writes (no -W), so the cluster layout and thus the bytes are the
  // same on every run.
  internal::ToolRun run{.env = internal::ToolEnv(0)};
  run.args = {"convert", "-q", "-f", "raw", "-O", "qcow2", raw.string(), out.string()};
  CAIRN_TRY(internal::RunTool(internal::kQemuImg, run, reporter));
  return {};
}

}  // namespace

Status ConvertToQcow2(const fs::path& raw, const fs::path& out_path) {
  CAIRN_ASSIGN_OR_RETURN(TempOutput tmp, TempOutput::Create(out_path));
  CAIRN_TRY(RunQemuImg(raw, tmp.path(), nullptr));
  return tmp.CommitAs(out_path);
}

Result<DiskPlan> WriteDiskImage(const DiskLayout& layout, const PartitionContents& contents,
                                const fs::path& out_path, const DiskOptions& o) {
  NullReporter null_reporter;
  Reporter& reporter = o.reporter ? *o.reporter : null_reporter;
  Step step(reporter, fmt::format("writing disk image '{}'", out_path.filename().string()));
  if (o.seed.empty()) return InternalError("WriteDiskImage needs a seed");
  if (o.epoch < 0)
    return UsageError(fmt::format("the epoch must not be negative (got {})", o.epoch));
  CAIRN_ASSIGN_OR_RETURN(DiskPlan plan, PlanDisk(layout, contents, o.seed));

  fs::path out_dir = out_path.parent_path().empty() ? fs::path(".") : out_path.parent_path();
  CAIRN_TRY(MakeDirs(out_dir));
  fs::path work_dir = o.work_dir.empty() ? out_dir : o.work_dir;
  CAIRN_ASSIGN_OR_RETURN(TempOutput raw, TempOutput::Create(out_path));
  CAIRN_TRY(Truncate(raw.path(), plan.size));
  CAIRN_TRY(internal::WritePartitionTable(plan, raw.path(), o.reporter));
  for (const auto& p : plan.partitions) {
    if (NeedsKernel(p.spec.filesystem)) continue;
    Step part_step(reporter, fmt::format("({}/{}) {} partition '{}' ({})", p.number,
                                         plan.partitions.size(), FilesystemName(p.spec.filesystem),
                                         p.spec.name, FormatSize(p.size)));
    auto built = BuildPartition(p, contents, raw.path(), work_dir, o);
    if (!built) return std::move(built).error().Context(fmt::format("writing '{}'", out_path.string()));
    part_step.Done();
  }
  // One appliance launch for every xfs/btrfs partition, the slow part.
  auto kernel_built = BuildKernelFilesystems(plan, contents, raw.path(),
                                             {.epoch = o.epoch, .reporter = o.reporter});
  if (!kernel_built)
    return std::move(kernel_built).error().Context(fmt::format("writing '{}'", out_path.string()));
  if (o.format == ImageFormat::kQcow2) {
    CAIRN_ASSIGN_OR_RETURN(TempOutput qcow, TempOutput::Create(out_path));
    CAIRN_TRY(RunQemuImg(raw.path(), qcow.path(), o.reporter));
    CAIRN_TRY(qcow.CommitAs(out_path));
  } else {
    CAIRN_TRY(raw.CommitAs(out_path));
  }
  step.Done();
  return plan;
}

}  // namespace cairn::disk
