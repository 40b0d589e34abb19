#include "output/disk/guestfs.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "cairn/interrupt.h"
#include "output/disk/fd.h"

// guestfs.h carries its own extern "C" guards; it is included here only, so
// no public header sees the C API.
#include <guestfs.h>

namespace cairn::disk {
namespace fs = std::filesystem;

namespace {

// Frees what libguestfs returns: a malloc'ed string, or a NULL-terminated array of them.
std::string TakeString(char* s) {
  std::string out = s ? s : "";
  std::free(s);
  return out;
}
std::string TakeBuffer(char* s, size_t size) {
  std::string out = s ? std::string(s, size) : std::string();
  std::free(s);
  return out;
}
std::vector<std::string> TakeList(char** list) {
  std::vector<std::string> out;
  if (!list) return out;
  for (char** p = list; *p; ++p) {
    out.emplace_back(*p);
    std::free(*p);
  }
  std::free(list);
  return out;
}

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// True when /boot holds a kernel supermin can use (or SUPERMIN_KERNEL names one).
bool HostKernelPresent() {
  if (!EnvOr("SUPERMIN_KERNEL").empty()) return true;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/boot", ec))
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) return true;
  return false;
}

}  // namespace

// The event callback's state. Appliance output arrives in arbitrary chunks;
// it is cut into lines here so the Reporter sees whole lines.
struct GuestfsHandle::Events {
  Reporter* reporter = nullptr;
  std::mutex mu;
  std::string appliance_partial;

  static void Callback(guestfs_h*, void* opaque, uint64_t event, int, int, const char* buf,
                       size_t buf_len, const uint64_t*, size_t) {
    auto* self = static_cast<Events*>(opaque);
    if (!self->reporter || !buf) return;
    std::string text(buf, buf_len);
    std::lock_guard<std::mutex> lock(self->mu);
    if (event == GUESTFS_EVENT_APPLIANCE) {
      self->appliance_partial += text;
      size_t nl;
      while ((nl = self->appliance_partial.find('\n')) != std::string::npos) {
        std::string line = self->appliance_partial.substr(0, nl);
        self->appliance_partial.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        self->reporter->Debug("appliance: " + line);
      }
      return;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (event == GUESTFS_EVENT_WARNING)
      self->reporter->Warn("libguestfs: " + text);
    else
      self->reporter->Debug("libguestfs: " + text);
  }
};

void GuestfsHandle::Deleter::operator()(guestfs_h* g) const { guestfs_close(g); }

GuestfsHandle::GuestfsHandle(guestfs_h* g, std::unique_ptr<Events> events)
    : events_(std::move(events)), g_(g) {}
GuestfsHandle::GuestfsHandle(GuestfsHandle&&) noexcept = default;
GuestfsHandle& GuestfsHandle::operator=(GuestfsHandle&&) noexcept = default;
GuestfsHandle::~GuestfsHandle() = default;

Result<GuestfsHandle> GuestfsHandle::Open(Reporter* reporter) {
  // NO_ENVIRONMENT, then parse_environment with the error handler replaced,
  // so a bad LIBGUESTFS_* variable is an Error and not a line on stderr.
  guestfs_h* raw = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
  if (!raw) return ErrnoError("cannot create a libguestfs handle (guestfs_create_flags)", errno);
  auto events = std::make_unique<Events>();
  events->reporter = reporter;
  GuestfsHandle h(raw, std::move(events));
  guestfs_set_error_handler(raw, nullptr, nullptr);
  if (guestfs_set_event_callback(raw, &Events::Callback,
                                 GUESTFS_EVENT_LIBRARY | GUESTFS_EVENT_WARNING |
                                     GUESTFS_EVENT_APPLIANCE | GUESTFS_EVENT_TRACE,
                                 0, h.events_.get()) == -1)
    return h.Failure("guestfs_set_event_callback", "");
  if (guestfs_parse_environment(raw) == -1) return h.Failure("guestfs_parse_environment", "");

  const bool user_backend = !EnvOr("LIBGUESTFS_BACKEND").empty();
  if (!user_backend) {
    if (guestfs_set_backend(raw, "direct") == -1) return h.Failure("guestfs_set_backend", "direct");
    // Settings the user gave still apply; TCG only replaces "no settings".
    if (EnvOr("LIBGUESTFS_BACKEND_SETTINGS").empty()) {
      char force_tcg[] = "force_tcg";
      char* settings[] = {force_tcg, nullptr};
      if (guestfs_set_backend_settings(raw, settings) == -1)
        return h.Failure("guestfs_set_backend_settings", "force_tcg");
      h.forced_tcg_ = true;
    }
  }
  h.backend_ = TakeString(guestfs_get_backend(raw));
  if (h.forced_tcg_)
    h.backend_ += ", force_tcg";
  else if (!EnvOr("LIBGUESTFS_BACKEND_SETTINGS").empty())
    h.backend_ += ", " + EnvOr("LIBGUESTFS_BACKEND_SETTINGS");
  return h;
}

Error GuestfsHandle::Failure(std::string_view call, std::string_view argument) const {
  std::string what = argument.empty() ? std::string(call) : fmt::format("{} '{}'", call, argument);
  if (InterruptRequested()) return Error(Code::kInterrupted, what + ": interrupted");
  const char* last = g_ ? guestfs_last_error(g_.get()) : nullptr;
  const int err = g_ ? guestfs_last_errno(g_.get()) : 0;
  std::string text = last && *last ? last : "failed without a message";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  // ENOENT is the one failure callers act on (an optional file is absent).
  Code code = err == ENOENT ? Code::kNotFound : Code::kTool;
  return Error(code, fmt::format("libguestfs: {}: {}", what, text));
}

std::string GuestfsHandle::FormatFor(const fs::path& image) {
  return image.extension() == ".qcow2" ? "qcow2" : "raw";
}

Status GuestfsHandle::AddDriveReadOnly(const fs::path& image, std::string_view format) {
  return AddDriveImpl(image, format, /*read_only=*/true);
}

Status GuestfsHandle::AddDrive(const fs::path& image, std::string_view format) {
  return AddDriveImpl(image, format, /*read_only=*/false);
}

Status GuestfsHandle::AddDriveImpl(const fs::path& image, std::string_view format,
                                   bool read_only) {
  std::string fmt_name = format.empty() ? FormatFor(image) : std::string(format);
  if (fmt_name != "raw" && fmt_name != "qcow2")
    return UsageError(
        fmt::format("unknown disk image format '{}' (expected 'raw' or 'qcow2')", fmt_name));
  std::error_code ec;
  if (!fs::is_regular_file(image, ec) && !fs::is_block_file(image, ec))
    return NotFoundError(fmt::format("no disk image at '{}'", image.string()));
  if (guestfs_add_drive_opts(g_.get(), image.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY,
                             read_only ? 1 : 0, GUESTFS_ADD_DRIVE_OPTS_FORMAT, fmt_name.c_str(),
                             -1) == -1)
    return Failure(fmt::format("add_drive ({}{})", read_only ? "read-only, " : "", fmt_name),
                   image.string());
  return {};
}

Status GuestfsHandle::Launch() {
  if (guestfs_launch(g_.get()) == -1) {
    Error failed = Failure("launch", "");
    if (failed.code() == Code::kInterrupted) return failed;
    // libguestfs appends a paragraph on debugging; the hint below says it shorter.
    std::string message = failed.message();
    if (size_t at = message.find("\nTo see full error messages"); at != std::string::npos)
      message.resize(at);
    Error e(failed.code(), message);
    std::string hint =
        "to see the appliance's log, run again with "
        "LIBGUESTFS_DEBUG=1 LIBGUESTFS_TRACE=1 "
        "(and cairn -vv)";
    if (!HostKernelPresent())
      hint =
          "/boot has no kernel for supermin to build the appliance from: "
          "install the Debian "
          "package 'linux-image-cloud-amd64' (or set SUPERMIN_KERNEL); " +
          hint;
    return std::move(e).Hint(hint).Context(
        fmt::format("starting the libguestfs appliance (backend {})", backend_));
  }
  return {};
}

Result<std::vector<std::string>> GuestfsHandle::ListDevices() {
  char** list = guestfs_list_devices(g_.get());
  if (!list) return Failure("list_devices", "");
  return TakeList(list);
}

Result<uint64_t> GuestfsHandle::DeviceSize(const std::string& device) {
  int64_t size = guestfs_blockdev_getsize64(g_.get(), device.c_str());
  if (size < 0) return Failure("blockdev_getsize64", device);
  return static_cast<uint64_t>(size);
}

Result<std::string> GuestfsHandle::PartitionTableType(const std::string& device) {
  char* type = guestfs_part_get_parttype(g_.get(), device.c_str());
  if (!type) {
    Error e = Failure("part_get_parttype", device);
    // parted says "unrecognised disk label" for a device without a table.
    if (e.code() == Code::kTool && e.message().find("unrecognised disk label") != std::string::npos)
      return NotFoundError(fmt::format("'{}' has no partition table", device));
    return e;
  }
  return TakeString(type);
}

Result<std::vector<GuestfsPartition>> GuestfsHandle::ListPartitions(const std::string& device) {
  guestfs_partition_list* list = guestfs_part_list(g_.get(), device.c_str());
  if (!list) return Failure("part_list", device);
  std::vector<GuestfsPartition> out;
  for (uint32_t i = 0; i < list->len; ++i)
    out.push_back({list->val[i].part_num, list->val[i].part_start, list->val[i].part_size});
  guestfs_free_partition_list(list);
  return out;
}

namespace {
// Failure() quotes its argument: this makes it read "'/dev/sda' partition '2'".
std::string PartArg(const std::string& device, int number) {
  return fmt::format("{}' partition '{}", device, number);
}
}  // namespace

Result<std::string> GuestfsHandle::GptType(const std::string& device, int number) {
  char* s = guestfs_part_get_gpt_type(g_.get(), device.c_str(), number);
  if (!s) return Failure("part_get_gpt_type", PartArg(device, number));
  return TakeString(s);
}

Result<std::string> GuestfsHandle::GptGuid(const std::string& device, int number) {
  char* s = guestfs_part_get_gpt_guid(g_.get(), device.c_str(), number);
  if (!s) return Failure("part_get_gpt_guid", PartArg(device, number));
  return TakeString(s);
}

Result<std::string> GuestfsHandle::GptName(const std::string& device, int number) {
  char* s = guestfs_part_get_name(g_.get(), device.c_str(), number);
  if (!s) return Failure("part_get_name", PartArg(device, number));
  return TakeString(s);
}

Result<std::string> GuestfsHandle::GptDiskGuid(const std::string& device) {
  char* s = guestfs_part_get_disk_guid(g_.get(), device.c_str());
  if (!s) return Failure("part_get_disk_guid", device);
  return TakeString(s);
}

Result<int> GuestfsHandle::MbrId(const std::string& device, int number) {
  int id = guestfs_part_get_mbr_id(g_.get(), device.c_str(), number);
  if (id == -1) return Failure("part_get_mbr_id", PartArg(device, number));
  return id;
}

Result<bool> GuestfsHandle::Bootable(const std::string& device, int number) {
  int b = guestfs_part_get_bootable(g_.get(), device.c_str(), number);
  if (b == -1) return Failure("part_get_bootable", PartArg(device, number));
  return b != 0;
}

Result<std::string> GuestfsHandle::ReadDevice(const std::string& device, size_t count,
                                              uint64_t offset) {
  size_t size = 0;
  char* data = guestfs_pread_device(g_.get(), device.c_str(), static_cast<int>(count),
                                    static_cast<int64_t>(offset), &size);
  if (!data) return Failure("pread_device", device);
  return TakeBuffer(data, size);
}

Result<std::string> GuestfsHandle::FilesystemType(const std::string& device) {
  char* s = guestfs_vfs_type(g_.get(), device.c_str());
  if (!s) return Failure("vfs_type", device);
  return TakeString(s);
}

Result<std::string> GuestfsHandle::FilesystemLabel(const std::string& device) {
  char* s = guestfs_vfs_label(g_.get(), device.c_str());
  if (!s) return Failure("vfs_label", device);
  return TakeString(s);
}

Result<std::string> GuestfsHandle::FilesystemUuid(const std::string& device) {
  char* s = guestfs_vfs_uuid(g_.get(), device.c_str());
  if (!s) return Failure("vfs_uuid", device);
  return TakeString(s);
}

Status GuestfsHandle::MountReadOnly(const std::string& device, const std::string& mountpoint) {
  if (guestfs_mount_ro(g_.get(), device.c_str(), mountpoint.c_str()) == -1)
    return Failure("mount_ro", device);
  return {};
}

Status GuestfsHandle::UnmountAll() {
  if (guestfs_umount_all(g_.get()) == -1) return Failure("umount_all", "");
  return {};
}

Result<std::string> GuestfsHandle::RealPath(const std::string& path) {
  char* s = guestfs_realpath(g_.get(), path.c_str());
  if (!s) return Failure("realpath", path);
  return TakeString(s);
}

Result<bool> GuestfsHandle::IsFile(const std::string& path) {
  int r = guestfs_is_file(g_.get(), path.c_str());
  if (r == -1) return Failure("is_file", path);
  return r != 0;
}

Result<bool> GuestfsHandle::IsDir(const std::string& path, bool follow_symlinks) {
  int r = guestfs_is_dir_opts(g_.get(), path.c_str(), GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS,
                              follow_symlinks ? 1 : 0, -1);
  if (r == -1) return Failure("is_dir", path);
  return r != 0;
}

Result<std::vector<std::string>> GuestfsHandle::List(const std::string& dir) {
  char** list = guestfs_ls(g_.get(), dir.c_str());
  if (!list) return Failure("ls", dir);
  return TakeList(list);
}

Result<uint64_t> GuestfsHandle::FileSize(const std::string& path) {
  int64_t size = guestfs_filesize(g_.get(), path.c_str());
  if (size < 0) return Failure("filesize", path);
  return static_cast<uint64_t>(size);
}

Result<std::string> GuestfsHandle::ReadFile(const std::string& path) {
  size_t size = 0;
  char* data = guestfs_read_file(g_.get(), path.c_str(), &size);
  if (!data) return Failure("read_file", path);
  return TakeBuffer(data, size);
}

Result<std::string> GuestfsHandle::ReadFileRange(const std::string& path, size_t count,
                                                 uint64_t offset) {
  size_t size = 0;
  char* data = guestfs_pread(g_.get(), path.c_str(), static_cast<int>(count),
                             static_cast<int64_t>(offset), &size);
  if (!data) return Failure("pread", path);
  return TakeBuffer(data, size);
}

Result<bool> GuestfsHandle::FeatureAvailable(const std::string& group) {
  const char* groups[] = {group.c_str(), nullptr};
  int r = guestfs_feature_available(g_.get(), const_cast<char**>(groups));
  if (r == -1) return Failure("feature_available", group);
  return r != 0;
}

Status GuestfsHandle::Mkfs(const std::string& device, const std::string& fstype,
                           const std::string& label) {
  int r = label.empty()
              ? guestfs_mkfs_opts(g_.get(), fstype.c_str(), device.c_str(), -1)
              : guestfs_mkfs_opts(g_.get(), fstype.c_str(), device.c_str(),
                                  GUESTFS_MKFS_OPTS_LABEL, label.c_str(), -1);
  if (r == -1) return Failure("mkfs " + fstype, device);
  return {};
}

Status GuestfsHandle::SetUuid(const std::string& device, const std::string& uuid) {
  if (guestfs_set_uuid(g_.get(), device.c_str(), uuid.c_str()) == -1)
    return Failure("set_uuid " + uuid, device);
  return {};
}

Status GuestfsHandle::Mount(const std::string& device, const std::string& mountpoint,
                            const std::string& options) {
  if (guestfs_mount_options(g_.get(), options.c_str(), device.c_str(), mountpoint.c_str()) == -1)
    return Failure(options.empty() ? "mount" : "mount -o " + options, device);
  return {};
}

Status GuestfsHandle::Unmount(const std::string& mountpoint) {
  if (guestfs_umount(g_.get(), mountpoint.c_str()) == -1) return Failure("umount", mountpoint);
  return {};
}

Status GuestfsHandle::Sync() {
  if (guestfs_sync(g_.get()) == -1) return Failure("sync", "");
  return {};
}

Status GuestfsHandle::TarIn(const TarProducer& produce, const std::string& dir) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("cannot create a pipe for tar-in", errno);
  internal::Fd read_end(fds[0]);
  const int write_fd = fds[1];
  Status produced;
  bool pipe_closed = false;
  std::thread writer([&produce, &produced, &pipe_closed, write_fd] {
    // When the appliance stops reading (tar failed), writes fail with EPIPE
    // instead of killing the process; the SIGPIPE stays pending on this
    // thread and is discarded when it ends.
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
    produced = produce([write_fd, &pipe_closed](const char* data, size_t size) -> Status {
      while (size > 0) {
        ssize_t n = ::write(write_fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          pipe_closed = errno == EPIPE;
          return ErrnoError("cannot send the tar stream to the appliance", errno);
        }
        data += n;
        size -= static_cast<size_t>(n);
      }
      return {};
    });
    ::close(write_fd);
  });
  // libguestfs opens the path itself; /dev/fd/N is a new descriptor for the
  // same pipe, so read_end stays open until the upload is over.
  const std::string source = fmt::format("/dev/fd/{}", read_end.get());
  const int r = guestfs_tar_in_opts(g_.get(), source.c_str(), dir.c_str(),
                                    GUESTFS_TAR_IN_OPTS_XATTRS, 1, -1);
  std::optional<Error> failed;
  if (r == -1) failed = Failure("tar_in", dir);
  // A writer still blocked on a full pipe gets EPIPE once nobody reads.
  ::close(read_end.Release());
  writer.join();
  // The producer's own failure (e.g. reading the content store) explains a
  // truncated archive better than tar does; a broken pipe is only the echo
  // of tar's failure.
  if (!produced.ok() && !(failed && pipe_closed)) return produced;
  if (failed) return *failed;
  return {};
}

Status GuestfsHandle::SetTimes(const std::string& path, int64_t atime, int64_t mtime) {
  if (guestfs_utimens(g_.get(), path.c_str(), atime, 0, mtime, 0) == -1)
    return Failure("utimens", path);
  return {};
}

Result<std::vector<std::string>> GuestfsHandle::ListPartitionDevices() {
  char** list = guestfs_list_partitions(g_.get());
  if (!list) return Failure("list_partitions", "");
  return TakeList(list);
}

Result<int> GuestfsHandle::PartitionNumber(const std::string& partition) {
  int n = guestfs_part_to_partnum(g_.get(), partition.c_str());
  if (n == -1) return Failure("part_to_partnum", partition);
  return n;
}

Result<std::vector<std::string>> GuestfsHandle::InspectOs() {
  char** roots = guestfs_inspect_os(g_.get());
  if (!roots) return Failure("inspect_os", "");
  return TakeList(roots);
}

Result<std::map<std::string, std::string>> GuestfsHandle::InspectMountpoints(
    const std::string& root) {
  char** pairs = guestfs_inspect_get_mountpoints(g_.get(), root.c_str());
  if (!pairs) return Failure("inspect_get_mountpoints", root);
  std::vector<std::string> flat = TakeList(pairs);
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

Result<bool> GuestfsHandle::Exists(const std::string& path) {
  int r = guestfs_exists(g_.get(), path.c_str());
  if (r == -1) return Failure("exists", path);
  return r != 0;
}

Status GuestfsHandle::MkdirP(const std::string& path) {
  if (guestfs_mkdir_p(g_.get(), path.c_str()) == -1) return Failure("mkdir_p", path);
  return {};
}

Status GuestfsHandle::RemoveAll(const std::string& path) {
  if (guestfs_rm_rf(g_.get(), path.c_str()) == -1) return Failure("rm_rf", path);
  return {};
}

Status GuestfsHandle::WriteFile(const std::string& path, std::string_view content) {
  if (guestfs_write(g_.get(), path.c_str(), content.data(), content.size()) == -1)
    return Failure("write", path);
  return {};
}

Status GuestfsHandle::Chmod(const std::string& path, uint32_t mode) {
  if (guestfs_chmod(g_.get(), static_cast<int>(mode), path.c_str()) == -1)
    return Failure(fmt::format("chmod {:o}", mode), path);
  return {};
}

Status GuestfsHandle::Chown(const std::string& path, uint32_t uid, uint32_t gid) {
  if (guestfs_lchown(g_.get(), static_cast<int>(uid), static_cast<int>(gid), path.c_str()) == -1)
    return Failure(fmt::format("lchown {}:{}", uid, gid), path);
  return {};
}

Result<GuestfsStat> GuestfsHandle::Lstat(const std::string& path) {
  struct guestfs_statns* st = guestfs_lstatns(g_.get(), path.c_str());
  if (!st) return Failure("lstatns", path);
  GuestfsStat out;
  out.mode = static_cast<uint32_t>(st->st_mode);
  out.uid = static_cast<uint32_t>(st->st_uid);
  out.gid = static_cast<uint32_t>(st->st_gid);
  out.size = static_cast<uint64_t>(st->st_size);
  out.nlink = static_cast<uint64_t>(st->st_nlink);
  out.ino = static_cast<uint64_t>(st->st_ino);
  out.rdev = static_cast<uint64_t>(st->st_rdev);
  out.mtime = st->st_mtime_sec;
  out.ctime = st->st_ctime_sec;
  guestfs_free_statns(st);
  return out;
}

Result<std::string> GuestfsHandle::ReadLink(const std::string& path) {
  char* s = guestfs_readlink(g_.get(), path.c_str());
  if (!s) return Failure("readlink", path);
  return TakeString(s);
}

Result<std::map<std::string, std::string>> GuestfsHandle::Xattrs(const std::string& path) {
  guestfs_xattr_list* list = guestfs_lgetxattrs(g_.get(), path.c_str());
  if (!list) return Failure("lgetxattrs", path);
  std::map<std::string, std::string> out;
  for (uint32_t i = 0; i < list->len; ++i)
    out.emplace(list->val[i].attrname,
                std::string(list->val[i].attrval, list->val[i].attrval_len));
  guestfs_free_xattr_list(list);
  return out;
}

Status GuestfsHandle::Shutdown() {
  if (guestfs_shutdown(g_.get()) == -1) return Failure("shutdown", "");
  return {};
}

}  // namespace cairn::disk
