// GuestfsHandle: a move-only RAII wrapper over one libguestfs handle, for
// reading and writing disk images through the libguestfs appliance (a small
// Linux VM), so nothing is mounted on the host and no root is needed.
//
//   CAIRN_ASSIGN_OR_RETURN(auto g, GuestfsHandle::Open(&reporter));
//   CAIRN_TRY(g.AddDriveReadOnly("disk.img", ""));   // format from the extension
//   CAIRN_TRY(g.Launch());                            // 13-45 s under TCG
//   CAIRN_TRY(g.MountReadOnly("/dev/sda2", "/"));
//   CAIRN_ASSIGN_OR_RETURN(std::string text, g.ReadFile("/etc/os-release"));
//   CAIRN_TRY(g.Shutdown());
//
// Writing: AddDrive instead of AddDriveReadOnly, then Mkfs/SetUuid, Mount,
// TarIn (a tar stream produced on a second thread), Unmount, Sync; the image
// holds every change only once Shutdown() has succeeded.
//
// Backend: the caller's LIBGUESTFS_BACKEND (and LIBGUESTFS_BACKEND_SETTINGS)
// win when set; otherwise the handle uses "direct" with "force_tcg", because
// KVM guests hang on the machines cairn is developed and tested on. Errors
// carry guestfs_last_error and the name of the failed call; library warnings
// go to the Reporter (debug messages only with LIBGUESTFS_DEBUG=1).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/byte_sink.h"
#include "cairn/reporter.h"
#include "cairn/result.h"

struct guestfs_h;

namespace cairn::disk {

/// One entry of `part-list`: byte offsets of a partition.
struct GuestfsPartition {
  int number = 0;
  uint64_t start = 0;
  uint64_t size = 0;
};

/// What `lstatns` reports about one path inside the appliance.
struct GuestfsStat {
  uint32_t mode = 0;  ///< type and permission bits (st_mode)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  uint64_t nlink = 0;
  uint64_t ino = 0;
  uint64_t rdev = 0;   ///< device number of a device node (Linux encoding)
  int64_t mtime = 0;   ///< seconds
  int64_t ctime = 0;   ///< seconds
};

/// Writes a whole tar archive to the sink it is given (see GuestfsHandle::TarIn).
using TarProducer = std::function<Status(const ByteSink&)>;

class GuestfsHandle {
 public:
  /// Creates a handle (no appliance yet). `reporter` receives warnings and
  /// launch progress; it must outlive the handle; nullptr is silent.
  static Result<GuestfsHandle> Open(Reporter* reporter = nullptr);

  GuestfsHandle(GuestfsHandle&&) noexcept;
  GuestfsHandle& operator=(GuestfsHandle&&) noexcept;
  GuestfsHandle(const GuestfsHandle&) = delete;
  GuestfsHandle& operator=(const GuestfsHandle&) = delete;
  /// Closes the handle (kills the appliance); errors are not reported here.
  ~GuestfsHandle();

  /// "direct force_tcg" or whatever the environment chose, for messages.
  const std::string& backend_description() const { return backend_; }
  /// True when the handle forces TCG (no LIBGUESTFS_BACKEND in the environment).
  bool forced_tcg() const { return forced_tcg_; }

  /// Adds `image` read-only (writes go to a throw-away overlay). `format` is
  /// "raw" or "qcow2"; empty means qcow2 for a ".qcow2" name, raw otherwise
  /// (never probed: probing a raw image that looks like qcow2 is unsafe).
  Status AddDriveReadOnly(const std::filesystem::path& image, std::string_view format);
  /// Adds `image` writable: the appliance writes to the file itself, and every
  /// change is in it once Shutdown() succeeded. `format` as for AddDriveReadOnly.
  Status AddDrive(const std::filesystem::path& image, std::string_view format);
  /// The format AddDriveReadOnly picks for `image` when given no format.
  static std::string FormatFor(const std::filesystem::path& image);

  /// Starts the appliance. A failure explains how to get the appliance's log
  /// and, when /boot has no kernel, which package supermin needs.
  Status Launch();

  /// Block devices of the added drives ("/dev/sda").
  Result<std::vector<std::string>> ListDevices();
  /// Size of a device or partition in bytes.
  Result<uint64_t> DeviceSize(const std::string& device);
  /// "gpt", "msdos", ..., or kNotFound when the device has no partition table.
  Result<std::string> PartitionTableType(const std::string& device);
  /// The partitions of a device, in table order.
  Result<std::vector<GuestfsPartition>> ListPartitions(const std::string& device);
  /// GPT: partition type GUID, partition GUID, partition name, disk GUID (as
  /// libguestfs spells them).
  Result<std::string> GptType(const std::string& device, int number);
  Result<std::string> GptGuid(const std::string& device, int number);
  Result<std::string> GptName(const std::string& device, int number);
  Result<std::string> GptDiskGuid(const std::string& device);
  /// MBR: the partition type byte and the "active" flag.
  Result<int> MbrId(const std::string& device, int number);
  Result<bool> Bootable(const std::string& device, int number);
  /// `count` bytes of a device from `offset` (short at the end of the device).
  Result<std::string> ReadDevice(const std::string& device, size_t count, uint64_t offset);

  /// The filesystem in a device ("ext4", "vfat", "squashfs", ...), "" when blkid finds none.
  Result<std::string> FilesystemType(const std::string& device);
  Result<std::string> FilesystemLabel(const std::string& device);
  Result<std::string> FilesystemUuid(const std::string& device);

  /// Mounts a filesystem read-only at `mountpoint` inside the appliance.
  Status MountReadOnly(const std::string& device, const std::string& mountpoint);
  Status UnmountAll();

  /// Whether the appliance has an optional group of calls ("xfs", "btrfs",
  /// ...; `guestfish available` lists them), which depends on the packages
  /// supermin found on the host.
  Result<bool> FeatureAvailable(const std::string& group);
  /// `mkfs -t fstype` on a device ("xfs", "btrfs", ...), with `label` unless empty.
  Status Mkfs(const std::string& device, const std::string& fstype, const std::string& label);
  /// Sets the UUID of an unmounted filesystem (ext*: tune2fs, xfs: xfs_admin -U,
  /// btrfs: btrfstune -U).
  Status SetUuid(const std::string& device, const std::string& uuid);
  /// Mounts a filesystem read-write at `mountpoint` inside the appliance,
  /// with mount(8) `options` ("" for the defaults).
  Status Mount(const std::string& device, const std::string& mountpoint,
               const std::string& options = "");
  /// Unmounts one mountpoint (or device).
  Status Unmount(const std::string& mountpoint);
  /// Flushes every write inside the appliance to its disks.
  Status Sync();
  /// Extracts the tar archive `produce` writes into the mounted directory
  /// `dir`, as root inside the appliance: owners (numeric when the archive
  /// names none), modes, mtimes, hard links, device nodes, fifos and xattrs
  /// (SCHILY.xattr, e.g. security.capability). `produce` runs on a second
  /// thread and streams through a pipe, so the archive never touches the
  /// host's disk. Fails with the producer's error when it failed, else with
  /// tar's message.
  Status TarIn(const TarProducer& produce, const std::string& dir);
  /// Sets atime and mtime (whole seconds) of a path; a symlink itself is changed.
  Status SetTimes(const std::string& path, int64_t atime, int64_t mtime);

  /// Partition devices of every drive ("/dev/sda1", ...), in order.
  Result<std::vector<std::string>> ListPartitionDevices();
  /// The partition number of a partition device ("/dev/sda2" -> 2).
  Result<int> PartitionNumber(const std::string& partition);
  /// libguestfs OS inspection: the root filesystems of the operating systems found.
  Result<std::vector<std::string>> InspectOs();
  /// Where an inspected OS mounts its filesystems: mountpoint -> device.
  Result<std::map<std::string, std::string>> InspectMountpoints(const std::string& root);

  /// Whether a path exists (symlinks followed, as test -e).
  Result<bool> Exists(const std::string& path);
  /// mkdir -p (new directories 0755).
  Status MkdirP(const std::string& path);
  /// rm -rf.
  Status RemoveAll(const std::string& path);
  /// Creates or truncates a file and writes `content` (new files 0644).
  Status WriteFile(const std::string& path, std::string_view content);
  /// chmod (permission bits incl. setuid/setgid/sticky).
  Status Chmod(const std::string& path, uint32_t mode);
  /// lchown: the path itself, not a symlink's target.
  Status Chown(const std::string& path, uint32_t uid, uint32_t gid);

  /// lstat of a path inside the mounted filesystems.
  Result<GuestfsStat> Lstat(const std::string& path);
  /// A symlink's target.
  Result<std::string> ReadLink(const std::string& path);
  /// Every extended attribute of a path (not following symlinks), by name.
  Result<std::map<std::string, std::string>> Xattrs(const std::string& path);

  /// The path with every symlink resolved inside the mounted filesystems
  /// (absolute symlinks of the guest stay in the guest).
  Result<std::string> RealPath(const std::string& path);
  Result<bool> IsFile(const std::string& path);
  /// A directory; with `follow_symlinks`, also a symlink to one (test -d).
  Result<bool> IsDir(const std::string& path, bool follow_symlinks = false);
  /// Names in a directory (no "." or ".."), unsorted.
  Result<std::vector<std::string>> List(const std::string& dir);
  Result<uint64_t> FileSize(const std::string& path);
  /// A whole file (binary safe).
  Result<std::string> ReadFile(const std::string& path);
  /// `count` bytes of a file from `offset` (short at the end of the file).
  Result<std::string> ReadFileRange(const std::string& path, size_t count, uint64_t offset);

  /// Shuts the appliance down and reports a failure (the destructor cannot).
  Status Shutdown();

 private:
  // What the event callback needs; on the heap, so a move keeps its address.
  struct Events;
  struct Deleter {
    void operator()(guestfs_h* g) const;
  };
  GuestfsHandle(guestfs_h* g, std::unique_ptr<Events> events);
  Status AddDriveImpl(const std::filesystem::path& image, std::string_view format,
                      bool read_only);
  /// The error for a failed call: guestfs_last_error, the call's name and what it was given.
  Error Failure(std::string_view call, std::string_view argument) const;

  std::unique_ptr<Events> events_;
  std::unique_ptr<guestfs_h, Deleter> g_;
  std::string backend_;
  bool forced_tcg_ = false;
};

}  // namespace cairn::disk
