// EditDisk: copy the input beside the output, one appliance launch applies
// the operations in order, rename after a clean shutdown.
#include "cairn/disk/edit.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include <fmt/format.h>

#include "cairn/disk/layout.h"
#include "cairn/file_util.h"
#include "cairn/oci/tar.h"
#include "cairn/output_file.h"
#include "output/disk/guestfs.h"
#include "output/disk/host_tree.h"
#include "output/disk/sparse_copy.h"

namespace cairn::disk {
namespace {

namespace fs = std::filesystem;

bool ReadOnlyType(std::string_view type) {
  return type == "squashfs" || type == "erofs" || type == "iso9660" || type == "cramfs" ||
         type == "romfs" || type == "udf";
}

// Filesystems without Unix owners and modes: chown fails there, and tar
// keeps neither (it detects this itself and extracts with --no-same-owner).
bool NoUnixOwners(std::string_view type) {
  return type == "vfat" || type == "msdos" || type == "exfat" || type == "ntfs";
}

// FAT refuses chmod to modes it cannot store unless mounted with "quiet";
// tar sets every file's mode, so without it a copy-in would fail.
std::string MountOptionsFor(std::string_view type) {
  return type == "vfat" || type == "msdos" ? "quiet" : "";
}

std::string Describe(const EditOp& op) {
  switch (op.kind) {
    case EditOp::Kind::kCopyIn:
      return fmt::format("copy-in '{}' to '{}'", op.source.string(), op.dest.ToString());
    case EditOp::Kind::kMkdir: return fmt::format("mkdir '{}'", op.dest.ToString());
    case EditOp::Kind::kDelete: return fmt::format("delete '{}'", op.dest.ToString());
    case EditOp::Kind::kWrite: return fmt::format("write '{}'", op.dest.ToString());
  }
  return "?";
}

// "/a/b/" -> "/a/b"; "/" stays.
std::string Trimmed(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}
std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}
std::string NameOf(const std::string& path) { return path.substr(path.rfind('/') + 1); }
std::string Join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

struct GuestPartition {
  int number = 0;
  std::string device;  // "/dev/sda2"
  std::string name;    // GPT partition name
  std::string label;   // filesystem label
  std::string type;    // filesystem type, "" when none
};

// "2 (name 'root', label 'rootfs', ext4)"; without the type when a message names it anyway.
std::string DescribePartition(const GuestPartition& p, bool with_type = true) {
  std::vector<std::string> parts;
  if (!p.name.empty()) parts.push_back(fmt::format("name '{}'", p.name));
  if (!p.label.empty()) parts.push_back(fmt::format("label '{}'", p.label));
  if (with_type) parts.push_back(p.type.empty() ? "no filesystem" : p.type);
  if (parts.empty()) return std::to_string(p.number);
  return fmt::format("{} ({})", p.number, fmt::join(parts, ", "));
}

struct Mounted {
  std::string mountpoint;
  std::string device;
  std::string type;
};

// One appliance session: which filesystems are mounted for the current
// destination, and the operations on them.
class Session {
 public:
  Session(GuestfsHandle& g, std::string disk_name, rootfs::ContentStore& store,
          const EditOptions& o)
      : g_(g), disk_name_(std::move(disk_name)), store_(store), o_(o) {}

  Status LoadPartitions() {
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> devices, g_.ListDevices());
    if (devices.empty()) return InternalError("the appliance lists no disk");
    auto table = g_.PartitionTableType(devices.front());
    if (!table) {
      if (table.error().code() == Code::kNotFound) return {};  // a bare filesystem
      return std::move(table).error();
    }
    const bool gpt = *table == "gpt";
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> parts, g_.ListPartitionDevices());
    for (const auto& device : parts) {
      GuestPartition p;
      p.device = device;
      CAIRN_ASSIGN_OR_RETURN(p.number, g_.PartitionNumber(device));
      if (gpt) {
        CAIRN_ASSIGN_OR_RETURN(p.name, g_.GptName(devices.front(), p.number));
      }
      // A partition without a filesystem (swap aside) has neither.
      if (auto type = g_.FilesystemType(device)) p.type = *type;
      if (auto label = g_.FilesystemLabel(device)) p.label = *label;
      partitions_.push_back(std::move(p));
    }
    return {};
  }

  // Mounts what `target` names at "/" (nothing changes when it already is).
  Status Select(const EditTarget& target) {
    if (current_ && *current_ == target.partition) return {};
    current_.reset();
    CAIRN_TRY(g_.UnmountAll());
    mounts_.clear();
    if (target.partition.empty()) {
      CAIRN_TRY(MountOs());
    } else {
      CAIRN_ASSIGN_OR_RETURN(const GuestPartition* p, FindPartition(target.partition));
      CAIRN_TRY(MountPartition(*p));
    }
    current_ = target.partition;
    return {};
  }

  Status Apply(const EditOp& op) {
    CAIRN_TRY(Select(op.dest));
    switch (op.kind) {
      case EditOp::Kind::kCopyIn: return CopyIn(op);
      case EditOp::Kind::kMkdir: return Mkdir(op);
      case EditOp::Kind::kDelete: return Delete(op);
      case EditOp::Kind::kWrite: return Write(op);
    }
    return InternalError("unknown edit operation");
  }

 private:
  std::string PartitionList() const {
    if (partitions_.empty()) return "it has no partition table";
    std::vector<std::string> items;
    for (const auto& p : partitions_) items.push_back(DescribePartition(p));
    return fmt::format("partitions: {}", fmt::join(items, ", "));
  }

  // By number, then GPT name, then filesystem label.
  Result<const GuestPartition*> FindPartition(const std::string& key) {
    const bool numeric = std::all_of(key.begin(), key.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    std::vector<const GuestPartition*> by_name, by_label;
    for (const auto& p : partitions_) {
      if (numeric && std::to_string(p.number) == key) return &p;
      if (p.name == key) by_name.push_back(&p);
      if (p.label == key) by_label.push_back(&p);
    }
    for (const auto* found : {&by_name, &by_label}) {
      if (found->size() == 1) return found->front();
      if (found->size() > 1)
        return UsageError(fmt::format("'{}' names {} partitions of '{}' ({}); use the number",
                                      key, found->size(), disk_name_, PartitionList()));
    }
    return NotFoundError(fmt::format("'{}' has no partition '{}' ({})", disk_name_, key,
                                     PartitionList()));
  }

  Status MountPartition(const GuestPartition& p) {
    if (p.type.empty() || p.type == "swap")
      return UsageError(fmt::format("partition {} of '{}' holds {}, nothing to edit",
                                    DescribePartition(p, false), disk_name_,
                                    p.type.empty() ? "no filesystem" : "swap"));
    if (ReadOnlyType(p.type))
      return UsageError(fmt::format("partition {} of '{}' holds a {} filesystem, which is "
                                    "read-only: it cannot be edited",
                                    DescribePartition(p, false), disk_name_, p.type))
          .Hint("rebuild that filesystem instead");
    CAIRN_TRY(g_.Mount(p.device, "/", MountOptionsFor(p.type)));
    mounts_.push_back({"/", p.device, p.type});
    return {};
  }

  Status MountOs() {
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> roots, g_.InspectOs());
    if (roots.empty())
      return NotFoundError(fmt::format("libguestfs inspection finds no operating system in '{}'",
                                       disk_name_))
          .Hint(fmt::format("name the partition: 'PART:/path' ({})", PartitionList()));
    if (roots.size() > 1)
      return UsageError(fmt::format("'{}' holds {} operating systems (roots {})", disk_name_,
                                    roots.size(), fmt::join(roots, ", ")))
          .Hint(fmt::format("name the partition: 'PART:/path' ({})", PartitionList()));
    CAIRN_ASSIGN_OR_RETURN(auto mountpoints, g_.InspectMountpoints(roots.front()));
    // std::map order puts "/" before "/boot" before "/boot/efi".
    for (const auto& [mountpoint, device] : mountpoints) {
      std::string type;
      if (auto t = g_.FilesystemType(device)) type = *t;
      Status mounted = ReadOnlyType(type) ? g_.MountReadOnly(device, mountpoint)
                                          : g_.Mount(device, mountpoint, MountOptionsFor(type));
      if (!mounted.ok())
        return std::move(mounted).error().Context(fmt::format(
            "mounting '{}' at '{}' as the operating system's fstab says", device, mountpoint));
      mounts_.push_back({mountpoint, device, type});
    }
    return {};
  }

  // The filesystem a path lands on: the longest mountpoint that is a prefix.
  const Mounted* MountFor(const std::string& path) const {
    const Mounted* best = nullptr;
    for (const auto& m : mounts_) {
      const bool covers = m.mountpoint == "/" || path == m.mountpoint ||
                          path.rfind(m.mountpoint + "/", 0) == 0;
      if (covers && (!best || m.mountpoint.size() > best->mountpoint.size())) best = &m;
    }
    return best;
  }

  Result<const Mounted*> Writable(const std::string& path) {
    const Mounted* m = MountFor(path);
    if (!m) return InternalError(fmt::format("nothing is mounted for '{}'", path));
    if (ReadOnlyType(m->type))
      return UsageError(fmt::format("'{}' is on {} ({} at '{}'), which is read-only: it cannot "
                                    "be edited",
                                    path, m->device, m->type, m->mountpoint));
    return m;
  }

  Result<bool> PathExists(const std::string& path) {
    auto st = g_.Lstat(path);
    if (st.ok()) return true;
    if (st.error().code() == Code::kNotFound) return false;
    return std::move(st).error();
  }

  // A directory, or a symlink to one (as test -d; merged-/usr guests have /lib -> usr/lib).
  Result<bool> IsDirectory(const std::string& path, bool exists) {
    if (!exists) return false;
    return g_.IsDir(path, /*follow_symlinks=*/true);
  }

  // Owner and time of something this edit created.
  Status Stamp(const std::string& path, const Mounted& m, const EditOp& op) {
    if (!NoUnixOwners(m.type)) CAIRN_TRY(g_.Chown(path, op.uid, op.gid));
    if (o_.epoch) CAIRN_TRY(g_.SetTimes(path, *o_.epoch, *o_.epoch));
    return {};
  }

  Status EnsureDir(const std::string& dir) {
    CAIRN_ASSIGN_OR_RETURN(bool exists, PathExists(dir));
    if (!exists) return g_.MkdirP(dir);
    CAIRN_ASSIGN_OR_RETURN(bool is_dir, IsDirectory(dir, exists));
    if (!is_dir) return UsageError(fmt::format("'{}' exists and is not a directory", dir));
    return {};
  }

  Status CopyIn(const EditOp& op) {
    std::string dest = op.dest.path;
    struct stat st {};
    if (::lstat(op.source.c_str(), &st) != 0)
      return NotFoundError(fmt::format("'{}' does not exist", op.source.string()));
    // "DIR/" means "into DIR" (the source keeps its name), as for cp.
    if (dest.size() > 1 && dest.back() == '/') {
      std::string name = op.source.lexically_normal().filename().string();
      if (name.empty() || name == "." || name == "..")
        name = fs::absolute(op.source).lexically_normal().parent_path().filename().string();
      dest = Join(Trimmed(dest), name);
    }
    dest = Trimmed(dest);
    CAIRN_TRY(Writable(dest));
    CAIRN_ASSIGN_OR_RETURN(bool exists, PathExists(dest));
    CAIRN_ASSIGN_OR_RETURN(bool dest_is_dir, IsDirectory(dest, exists));
    rootfs::Tree tree(store_);
    internal::HostTreeOptions host{.uid = op.uid, .gid = op.gid, .epoch = o_.epoch};
    std::string extract_into;
    if (S_ISDIR(st.st_mode) && dest_is_dir) {
      // Merged into the existing directory, whose own metadata stays.
      CAIRN_TRY(internal::AddHostPath(tree, op.source, "", host));
      extract_into = dest;
    } else {
      if (dest == "/" || dest_is_dir)
        return UsageError(fmt::format("'{}' is a directory and '{}' is not", dest,
                                      op.source.string()))
            .Hint("end the destination with '/' to copy into it");
      if (exists && S_ISDIR(st.st_mode))
        return UsageError(fmt::format("'{}' exists and is not a directory", dest));
      CAIRN_TRY(EnsureDir(ParentOf(dest)));
      CAIRN_TRY(internal::AddHostPath(tree, op.source, NameOf(dest), host));
      extract_into = ParentOf(dest);
    }
    // tar runs outside the guest's root: resolve symlinks inside the guest first.
    CAIRN_ASSIGN_OR_RETURN(std::string real, g_.RealPath(extract_into));
    rootfs::Tree no_accounts(store_);  // numeric owners, see kernel_fs.cc
    return g_.TarIn(
        [&](const ByteSink& sink) {
          return oci::WriteTarStream(tree, sink, {.accounts = &no_accounts});
        },
        real);
  }

  Status Mkdir(const EditOp& op) {
    const std::string dir = Trimmed(op.dest.path);
    CAIRN_ASSIGN_OR_RETURN(const Mounted* m, Writable(dir));
    CAIRN_ASSIGN_OR_RETURN(bool exists, PathExists(dir));
    if (exists) return EnsureDir(dir);  // mkdir -p: an existing directory is fine
    CAIRN_TRY(g_.MkdirP(dir));
    return Stamp(dir, *m, op);
  }

  Status Delete(const EditOp& op) {
    const std::string path = Trimmed(op.dest.path);
    if (path == "/")
      return UsageError("refusing to delete '/' (delete what is in it instead)");
    CAIRN_TRY(Writable(path));
    CAIRN_ASSIGN_OR_RETURN(bool exists, PathExists(path));
    if (!exists) return NotFoundError(fmt::format("'{}' does not exist", path));
    return g_.RemoveAll(path);
  }

  Status Write(const EditOp& op) {
    const std::string& path = op.dest.path;
    if (path.back() == '/')
      return UsageError(fmt::format("'{}' names a directory, not a file", path));
    CAIRN_ASSIGN_OR_RETURN(const Mounted* m, Writable(path));
    CAIRN_ASSIGN_OR_RETURN(bool exists, PathExists(path));
    CAIRN_ASSIGN_OR_RETURN(bool is_dir, IsDirectory(path, exists));
    if (is_dir)
      return UsageError(fmt::format("'{}' is a directory, not a file", path));
    if (!exists) CAIRN_TRY(EnsureDir(ParentOf(path)));
    CAIRN_TRY(g_.WriteFile(path, op.text));
    // An existing file keeps its owner and mode; a new one gets the owner.
    if (!exists) return Stamp(path, *m, op);
    if (o_.epoch) CAIRN_TRY(g_.SetTimes(path, *o_.epoch, *o_.epoch));
    return {};
  }

  GuestfsHandle& g_;
  std::string disk_name_;
  rootfs::ContentStore& store_;
  const EditOptions& o_;
  std::vector<GuestPartition> partitions_;
  std::optional<std::string> current_;  // the mounted target's partition ("" = the OS)
  std::vector<Mounted> mounts_;
};

// What can be checked before the (slow) copy and launch.
Status Precheck(const fs::path& disk, const fs::path& out, const std::vector<EditOp>& ops) {
  std::error_code ec;
  if (!fs::is_regular_file(disk, ec))
    return NotFoundError(fmt::format("no disk image at '{}'", disk.string()));
  const std::string in_format = GuestfsHandle::FormatFor(disk);
  const std::string out_format = GuestfsHandle::FormatFor(out);
  if (in_format != out_format)
    return UsageError(fmt::format("'{}' is {} and the output keeps its format, but '{}' is named "
                                  "as {}",
                                  disk.string(), in_format, out.string(), out_format))
        .Hint(in_format == "qcow2" ? "name the output *.qcow2"
                                   : "name the output without .qcow2 (convert it afterwards "
                                     "with qemu-img)");
  if (ops.empty()) return UsageError("nothing to do: no edit operations");
  for (const auto& op : ops) {
    if (op.kind != EditOp::Kind::kCopyIn) continue;
    struct stat st {};
    if (::lstat(op.source.c_str(), &st) != 0)
      return NotFoundError(fmt::format("{}: '{}' does not exist", Describe(op),
                                       op.source.string()));
    if (S_ISSOCK(st.st_mode))
      return UsageError(fmt::format("{}: '{}' is a socket", Describe(op), op.source.string()));
  }
  return {};
}

}  // namespace

Status EditDisk(const fs::path& disk, const fs::path& out, const std::vector<EditOp>& ops,
                const EditOptions& o) {
  NullReporter null_reporter;
  Reporter& reporter = o.reporter ? *o.reporter : null_reporter;
  const std::string disk_name = disk.filename().string();
  auto context = [&](Error e) {
    return std::move(e).Context(fmt::format("editing '{}'", disk.string()));
  };
  if (Status ok = Precheck(disk, out, ops); !ok.ok()) return context(std::move(ok).error());

  const std::string ctx = fmt::format("editing '{}'", disk.string());
  Step step(reporter, fmt::format("editing '{}' into '{}'", disk_name, out.filename().string()));
  const fs::path out_dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  CAIRN_TRY_CTX(MakeDirs(out_dir), ctx);
  auto tmp = OutputFile::Create(out);
  if (!tmp) return context(std::move(tmp).error());
  {
    Step copy(reporter, fmt::format("copying '{}'", disk_name));
    CAIRN_TRY_CTX(internal::CopySparse(disk, tmp->temp_path()), ctx);
    copy.Done();
  }
  auto store = rootfs::ContentStore::Create(out_dir);
  if (!store) return context(std::move(store).error());

  auto handle = GuestfsHandle::Open(o.reporter);
  if (!handle) return context(std::move(handle).error());
  GuestfsHandle& g = *handle;
  CAIRN_TRY_CTX(g.AddDrive(tmp->temp_path(), GuestfsHandle::FormatFor(disk)), ctx);
  {
    Step launch(reporter, fmt::format("starting the libguestfs appliance ({})",
                                      g.backend_description()));
    CAIRN_TRY_CTX(g.Launch(), ctx);
    launch.Done();
  }
  Session session(g, disk_name, **store, o);
  if (Status loaded = session.LoadPartitions(); !loaded.ok())
    return context(std::move(loaded).error());
  for (size_t i = 0; i < ops.size(); ++i) {
    Step op_step(reporter, fmt::format("({}/{}) {}", i + 1, ops.size(), Describe(ops[i])));
    Status applied = session.Apply(ops[i]);
    if (!applied.ok())
      return context(std::move(applied).error().Context(Describe(ops[i])));
    op_step.Done();
  }
  CAIRN_TRY_CTX(g.UnmountAll(), ctx);
  CAIRN_TRY_CTX(g.Sync(), ctx);
  // Only a clean shutdown guarantees every write reached the copy.
  CAIRN_TRY_CTX(g.Shutdown(), ctx);
  CAIRN_TRY_CTX(tmp->Commit(), ctx);
  step.Done();
  return {};
}

}  // namespace cairn::disk
