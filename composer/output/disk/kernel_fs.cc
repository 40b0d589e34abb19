// BuildKernelFilesystems: one appliance launch fills every xfs/btrfs partition.
#include "cairn/disk/kernel_fs.h"

#include <cctype>

#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "cairn/oci/tar.h"
#include "output/disk/guestfs.h"

namespace cairn::disk {
namespace {

namespace fs = std::filesystem;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// What blkid reads back must be what the plan promised (fstab and the kernel
// command line name the partition by these).
Status CheckIdentity(GuestfsHandle& g, const std::string& device, const PartitionPlan& p) {
  CAIRN_ASSIGN_OR_RETURN(std::string type, g.FilesystemType(device));
  CAIRN_ASSIGN_OR_RETURN(std::string label, g.FilesystemLabel(device));
  CAIRN_ASSIGN_OR_RETURN(std::string uuid, g.FilesystemUuid(device));
  const std::string want_type(FilesystemName(p.spec.filesystem));
  if (type != want_type || label != p.label || Lower(uuid) != Lower(p.fs_uuid))
    return Error(Code::kTool,
                 fmt::format("the new filesystem reads back as type '{}', label '{}', UUID '{}' "
                             "(expected '{}', '{}', '{}')",
                             type, label, uuid, want_type, p.label, p.fs_uuid));
  return {};
}

Status BuildOne(GuestfsHandle& g, const std::string& device, const PartitionPlan& p,
                const rootfs::Tree& tree, const KernelFsOptions& o) {
  const std::string fstype(FilesystemName(p.spec.filesystem));
  // supermin copies mkfs.xfs into the appliance only when libguestfs-xfs
  // lists xfsprogs; without it mkfs fails with an obscure message.
  CAIRN_ASSIGN_OR_RETURN(bool available, g.FeatureAvailable(fstype));
  if (!available)
    return Error(Code::kTool, fmt::format("the libguestfs appliance has no {} tools", fstype))
        .Hint(p.spec.filesystem == Filesystem::kXfs
                  ? "install the Debian package 'libguestfs-xfs' (it adds xfsprogs to the "
                    "appliance)"
                  : "install the Debian package 'btrfs-progs'");
  CAIRN_TRY(g.Mkfs(device, fstype, p.label));
  CAIRN_TRY(g.SetUuid(device, p.fs_uuid));
  CAIRN_TRY(g.Mount(device, "/"));
  // mtimes clamped to the epoch, as every other filesystem gets them.
  rootfs::Tree clamped = tree;
  clamped.ClampMtimes(o.epoch);
  // An accounts tree without etc/passwd leaves uname/gname out of the
  // archive, so tar in the appliance keeps the numeric ids instead of mapping
  // names through the appliance's own /etc/passwd.
  rootfs::Tree no_accounts(tree.store());
  Status extracted = g.TarIn(
      [&](const ByteSink& sink) {
        return oci::WriteTarStream(clamped, sink, {.accounts = &no_accounts});
      },
      "/");
  if (!extracted.ok()) {
    if (extracted.error().message().find("No space left on device") != std::string::npos)
      return Error(Code::kConfig,
                   fmt::format("partition '{}' ({}) is too small for the tree (needs about {})",
                               p.spec.name, FormatSize(p.size),
                               FormatSize(KernelFsSizeFor(p.spec.filesystem, tree))))
          .Hint("give the partition a larger size, or size 'auto'");
    return extracted;
  }
  // The root directory is not in the tree; tar-in touched it.
  CAIRN_TRY(g.SetTimes("/", o.epoch, o.epoch));
  CAIRN_TRY(g.Unmount("/"));
  CAIRN_TRY(g.Sync());
  return CheckIdentity(g, device, p);
}

}  // namespace

Status BuildKernelFilesystems(const DiskPlan& plan, const PartitionContents& contents,
                              const fs::path& image, const KernelFsOptions& o) {
  std::vector<const PartitionPlan*> todo;
  for (const auto& p : plan.partitions)
    if (NeedsKernel(p.spec.filesystem)) todo.push_back(&p);
  if (todo.empty()) return {};

  NullReporter null_reporter;
  Reporter& reporter = o.reporter ? *o.reporter : null_reporter;
  CAIRN_ASSIGN_OR_RETURN(GuestfsHandle g, GuestfsHandle::Open(o.reporter));
  CAIRN_TRY(g.AddDrive(image, "raw"));
  {
    Step launch(reporter, fmt::format("starting the libguestfs appliance ({})",
                                      g.backend_description()));
    CAIRN_TRY(g.Launch());
    launch.Done();
  }
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> devices, g.ListDevices());
  if (devices.empty()) return InternalError("the appliance lists no disk");
  for (const PartitionPlan* p : todo) {
    Step step(reporter, fmt::format("({}/{}) {} partition '{}' ({})", p->number,
                                    plan.partitions.size(), FilesystemName(p->spec.filesystem),
                                    p->spec.name, FormatSize(p->size)));
    auto it = contents.find(p->spec.name);
    if (it == contents.end() || !it->second.tree)
      return InternalError(fmt::format("partition '{}' has no tree", p->spec.name));
    const std::string device = fmt::format("{}{}", devices.front(), p->number);
    Status built = BuildOne(g, device, *p, *it->second.tree, o);
    if (!built.ok()) {
      if (built.error().code() == Code::kConfig) return built;
      return std::move(built).error().Context(
          fmt::format("building {} partition '{}' in the appliance",
                      FilesystemName(p->spec.filesystem), p->spec.name));
    }
    step.Done();
  }
  // Only a clean shutdown guarantees every write reached the image.
  CAIRN_TRY(g.Shutdown());
  return {};
}

}  // namespace cairn::disk
