// InspectDisk: one libguestfs appliance, the table read through parted's
// view (part_list and friends), then every filesystem mounted read-only in
// turn at / inside the appliance and its boot and OS files read back.
#include "cairn/disk/inspect.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "cairn/byte_size.h"
#include "cairn/disk/layout.h"
#include "cairn/interrupt.h"
#include "output/disk/boot_config.h"
#include "output/disk/guestfs.h"
#include "output/disk/package_db.h"
#include "output/disk/text_lines.h"

namespace cairn::disk {
namespace {

using internal::Lowercase;

// Config and database files larger than this are reported, not read (a
// dpkg status of a large desktop is a few MiB).
constexpr uint64_t kMaxTextFile = 64 * kMiB;
// Enough of an EFI binary for its PE headers and section table.
constexpr size_t kPeHeadBytes = 64 * 1024;

// Reads the files of one mounted filesystem; every failure becomes a note.
class FilesystemReader {
 public:
  FilesystemReader(GuestfsHandle& g, FilesystemReport& out) : g_(g), out_(out) {}

  // The content of a regular file (symlinks resolved inside the guest), or
  // nullopt when there is none.
  std::optional<std::string> ReadText(const std::string& path) {
    auto real = g_.RealPath(path);
    if (!real.ok()) {
      if (real.error().code() != Code::kNotFound) Note(real.error());
      return std::nullopt;
    }
    auto is_file = g_.IsFile(*real);
    if (!is_file.ok()) {
      Note(is_file.error());
      return std::nullopt;
    }
    if (!*is_file) return std::nullopt;
    auto size = g_.FileSize(*real);
    if (!size.ok()) {
      Note(size.error());
      return std::nullopt;
    }
    if (*size > kMaxTextFile) {
      out_.notes.push_back(fmt::format("{}: not read, {} is more than {}", path, FormatSize(*size),
                                       FormatSize(kMaxTextFile)));
      return std::nullopt;
    }
    auto text = g_.ReadFile(*real);
    if (!text.ok()) {
      Note(text.error());
      return std::nullopt;
    }
    return std::move(*text);
  }

  // The names in a directory, sorted; empty when it is not a directory.
  std::vector<std::string> ListDir(const std::string& dir) {
    auto is_dir = g_.IsDir(dir);
    if (!is_dir.ok()) {
      Note(is_dir.error());
      return {};
    }
    if (!*is_dir) return {};
    auto names = g_.List(dir);
    if (!names.ok()) {
      Note(names.error());
      return {};
    }
    std::sort(names->begin(), names->end());
    return std::move(*names);
  }

  // `name` in `dir` compared case-insensitively (FAT keeps the case it was
  // given, ext4 boot partitions may spell EFI/BOOT either way), as stored.
  std::optional<std::string> FindChild(const std::string& dir, std::string_view name) {
    for (const auto& n : ListDir(dir))
      if (Lowercase(n) == Lowercase(name)) return (dir == "/" ? "" : dir) + "/" + n;
    return std::nullopt;
  }

  void Note(const Error& e) { out_.notes.push_back(e.Render()); }

  GuestfsHandle& g() { return g_; }
  FilesystemReport& out() { return out_; }

 private:
  GuestfsHandle& g_;
  FilesystemReport& out_;
};

bool EndsWithCi(std::string_view name, std::string_view suffix) {
  return name.size() >= suffix.size() &&
         Lowercase(name.substr(name.size() - suffix.size())) == Lowercase(suffix);
}

void ReadBootEntries(FilesystemReader& r) {
  auto& out = r.out().boot_entries;
  // A boot partition holds these at its root; a root filesystem under /boot.
  for (std::string prefix : {"", "/boot"}) {
    const std::string entries = prefix + "/loader/entries";
    for (const auto& name : r.ListDir(entries)) {
      if (!EndsWithCi(name, ".conf")) continue;
      const std::string file = entries + "/" + name;
      if (auto text = r.ReadText(file)) out.push_back(internal::ParseLoaderEntry(*text, file));
    }
    for (const char* grub : {"/grub/grub.cfg", "/grub2/grub.cfg"}) {
      const std::string file = prefix + grub;
      if (auto text = r.ReadText(file))
        for (auto& e : internal::ParseGrubConfig(*text, file)) out.push_back(std::move(e));
    }
    const std::string extlinux = prefix + "/extlinux/extlinux.conf";
    if (auto text = r.ReadText(extlinux))
      for (auto& e : internal::ParseExtlinuxConfig(*text, extlinux)) out.push_back(std::move(e));
  }
  // GRUB on an ESP: EFI/<vendor>/grub.cfg (often only a stub that loads the real one).
  if (auto efi = r.FindChild("/", "EFI")) {
    for (const auto& vendor : r.ListDir(*efi)) {
      const std::string file = *efi + "/" + vendor + "/grub.cfg";
      if (auto text = r.ReadText(file))
        for (auto& e : internal::ParseGrubConfig(*text, file)) out.push_back(std::move(e));
    }
  }
}

void ReadEfiBinaries(FilesystemReader& r) {
  auto efi = r.FindChild("/", "EFI");
  if (!efi) return;
  std::vector<std::string> files;
  if (auto boot = r.FindChild(*efi, "BOOT"))
    for (const auto& n : r.ListDir(*boot))
      if (Lowercase(n).rfind("boot", 0) == 0 && EndsWithCi(n, ".efi"))
        files.push_back(*boot + "/" + n);
  if (auto linux_dir = r.FindChild(*efi, "Linux"))
    for (const auto& n : r.ListDir(*linux_dir))
      if (EndsWithCi(n, ".efi")) files.push_back(*linux_dir + "/" + n);
  for (const auto& path : files) {
    auto is_file = r.g().IsFile(path);
    if (!is_file.ok() || !*is_file) continue;
    EfiBinary bin{.path = path};
    auto size = r.g().FileSize(path);
    if (!size.ok()) {
      r.Note(size.error());
      continue;
    }
    bin.size = *size;
    auto head = r.g().ReadFileRange(path, kPeHeadBytes, 0);
    if (!head.ok()) {
      r.Note(head.error());
    } else if (auto pe = internal::ParsePeHeaders(*head)) {
      bin.arch = pe->arch;
      bin.sections = pe->sections;
      bin.uki = std::find(bin.sections.begin(), bin.sections.end(), ".linux") != bin.sections.end();
    }
    r.out().efi_binaries.push_back(std::move(bin));
  }
}

void ReadRaspberryPi(FilesystemReader& r) {
  RaspberryPiConfig pi{r.ReadText("/config.txt"), r.ReadText("/cmdline.txt")};
  if (pi.config_txt || pi.cmdline_txt) r.out().raspberry_pi = std::move(pi);
}

// The OS and package databases of a root-like filesystem.
void ReadOs(FilesystemReader& r) {
  OsReport os;
  bool found = false;
  for (const char* path : {"/etc/os-release", "/usr/lib/os-release"}) {
    if (auto text = r.ReadText(path)) {
      auto fields = internal::ParseOsRelease(*text);
      os.os_release_path = path;
      os.pretty_name = fields.count("PRETTY_NAME") ? fields["PRETTY_NAME"] : fields["NAME"];
      os.id = fields["ID"];
      os.version_id = fields["VERSION_ID"];
      found = true;
      break;
    }
  }
  auto take = [&](internal::ParsedPackages parsed) {
    for (auto& p : parsed.problems) r.out().notes.push_back(std::move(p));
    found = true;
    return std::move(parsed.packages);
  };
  const std::string dpkg = "/var/lib/dpkg/status";
  if (auto text = r.ReadText(dpkg)) os.dpkg = take(internal::ParseDpkgStatus(*text, dpkg));
  for (const char* apk : {"/lib/apk/db/installed", "/usr/lib/apk/db/installed"}) {
    if (auto text = r.ReadText(apk)) {
      os.apk = take(internal::ParseApkInstalled(*text, apk));
      break;
    }
  }
  if (found) r.out().os = std::move(os);
}

// Filesystems that cannot be mounted to read files from.
bool Mountable(const std::string& type) {
  return !type.empty() && type != "swap" && type != "crypto_LUKS" && type != "LVM2_member" &&
         type != "linux_raid_member";
}

FilesystemReport InspectFilesystem(GuestfsHandle& g, const std::string& device, Reporter* rep) {
  FilesystemReport fs{.device = device};
  FilesystemReader r(g, fs);
  auto type = g.FilesystemType(device);
  if (!type.ok()) {
    r.Note(type.error());
    return fs;
  }
  fs.type = *type;
  if (fs.type.empty()) return fs;
  if (auto label = g.FilesystemLabel(device); label.ok())
    fs.label = *label;
  else
    r.Note(label.error());
  if (auto uuid = g.FilesystemUuid(device); uuid.ok())
    fs.uuid = *uuid;
  else
    r.Note(uuid.error());
  if (!Mountable(fs.type)) return fs;
  if (rep) rep->Verbose(fmt::format("reading {} ({})", device, fs.type));
  if (auto mounted = g.MountReadOnly(device, "/"); !mounted.ok()) {
    r.Note(mounted.error());
    return fs;
  }
  ReadBootEntries(r);
  ReadEfiBinaries(r);
  ReadRaspberryPi(r);
  ReadOs(r);
  if (auto unmounted = g.UnmountAll(); !unmounted.ok()) r.Note(unmounted.error());
  return fs;
}

// The table's identity: GPT disk GUID, or the MBR signature at byte 440.
Result<std::string> DiskId(GuestfsHandle& g, const std::string& device, const std::string& table) {
  if (table == "gpt") {
    CAIRN_ASSIGN_OR_RETURN(std::string guid, g.GptDiskGuid(device));
    return Lowercase(guid);
  }
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, g.ReadDevice(device, 4, 440));
  if (bytes.size() != 4) return ToolError(fmt::format("'{}' is shorter than its MBR", device));
  uint32_t sig = 0;
  for (int i = 3; i >= 0; --i) sig = (sig << 8) | static_cast<uint8_t>(bytes[i]);
  return fmt::format("{:08x}", sig);
}

Result<PartitionReport> InspectPartition(GuestfsHandle& g, const std::string& device,
                                         const DiskReport& disk, const GuestfsPartition& part,
                                         Reporter* rep) {
  PartitionReport p{.number = part.number, .start = part.start, .size = part.size};
  if (disk.table == "gpt") {
    CAIRN_ASSIGN_OR_RETURN(p.type, g.GptType(device, part.number));
    CAIRN_ASSIGN_OR_RETURN(std::string guid, g.GptGuid(device, part.number));
    p.part_uuid = Lowercase(guid);
    CAIRN_ASSIGN_OR_RETURN(p.name, g.GptName(device, part.number));
  } else {
    CAIRN_ASSIGN_OR_RETURN(int id, g.MbrId(device, part.number));
    p.type = fmt::format("{:02x}", id);
    p.part_uuid = fmt::format("{}-{:02d}", disk.disk_id, part.number);
    CAIRN_ASSIGN_OR_RETURN(p.bootable, g.Bootable(device, part.number));
    // An extended partition only holds the logical ones' table.
    if (id == 0x05 || id == 0x0f || id == 0x85) return p;
  }
  p.filesystem = InspectFilesystem(g, device + std::to_string(part.number), rep);
  return p;
}

}  // namespace

Result<DiskReport> InspectDisk(const std::filesystem::path& path, const InspectOptions& options) {
  Reporter* rep = options.reporter;
  DiskReport report{
      .path = path.string(),
      .format = options.format.empty() ? GuestfsHandle::FormatFor(path) : options.format};
  // Checked here too (AddDriveReadOnly does) so the message is not wrapped in
  // "inspecting disk image" context that repeats the path.
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return NotFoundError(fmt::format("no disk image at '{}'", path.string()));
  auto run = [&]() -> Status {
    CAIRN_ASSIGN_OR_RETURN(GuestfsHandle g, GuestfsHandle::Open(rep));
    CAIRN_TRY(g.AddDriveReadOnly(path, report.format));
    {
      std::optional<Step> step;
      if (rep)
        step.emplace(*rep,
                     g.forced_tcg()
                         ? std::string("starting the libguestfs appliance (TCG, ~20-40 s)")
                         : "starting the libguestfs appliance (" + g.backend_description() + ")");
      CAIRN_TRY(g.Launch());
      if (step) step->Done();
    }
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> devices, g.ListDevices());
    if (devices.size() != 1)
      return InternalError(
          fmt::format("the appliance shows {} disks for one image", devices.size()));
    const std::string& dev = devices[0];
    CAIRN_ASSIGN_OR_RETURN(report.size, g.DeviceSize(dev));
    auto table = g.PartitionTableType(dev);
    if (!table.ok() && table.error().code() != Code::kNotFound) return std::move(table).error();
    if (!table.ok()) {
      report.table = "none";
      report.whole_disk = InspectFilesystem(g, dev, rep);
      return g.Shutdown();
    }
    report.table = *table == "msdos" ? "mbr" : *table;
    CAIRN_ASSIGN_OR_RETURN(report.disk_id, DiskId(g, dev, report.table));
    CAIRN_ASSIGN_OR_RETURN(std::vector<GuestfsPartition> parts, g.ListPartitions(dev));
    for (const auto& part : parts) {
      CAIRN_TRY(CheckInterrupted());
      CAIRN_ASSIGN_OR_RETURN(PartitionReport p, InspectPartition(g, dev, report, part, rep));
      report.partitions.push_back(std::move(p));
    }
    return g.Shutdown();
  };
  CAIRN_TRY_CTX(run(), fmt::format("inspecting disk image '{}'", path.string()));
  return report;
}

}  // namespace cairn::disk
