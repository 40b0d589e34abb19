// Inspecting a disk image: what a built (or any) disk holds, read through the
// libguestfs appliance without mounting anything on the host.
//
//   CAIRN_ASSIGN_OR_RETURN(disk::DiskReport report,
//                          disk::InspectDisk("out/demo/disk/pc.img", {.reporter = &reporter}));
//   std::fputs(disk::FormatReport(report).c_str(), stdout);   // or ReportJson(report).dump(2)
//
// The report has the partition table (type, disk id, size), each partition
// (number, byte offsets, type, GPT name, partition UUID, MBR active flag) and
// its filesystem (type, label, UUID), and in each filesystem: boot entries
// (systemd-boot loader/entries/*.conf, grub.cfg menu entries, extlinux.conf
// labels), EFI binaries (UKIs recognised by their .linux section), Raspberry
// Pi config.txt/cmdline.txt, and for a root-like filesystem (ext4, vfat,
// squashfs, ... holding /etc/os-release or /usr/lib/os-release) the OS name
// and the installed dpkg and apk packages. A disk without a partition table
// is inspected as one filesystem. One appliance launch per call (13-45 s
// under TCG; see output/disk/guestfs.h for the backend).
//
// A file that cannot be parsed does not fail the inspection: it becomes a
// note on its filesystem. Errors are reserved for the disk itself (missing,
// unreadable, appliance failing to start).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cairn/reporter.h"
#include "cairn/result.h"

namespace cairn::disk {

/// One boot menu entry of systemd-boot, GRUB or extlinux.
struct BootEntry {
  std::string loader;  ///< "systemd-boot", "grub" or "extlinux"
  std::string file;    ///< the config file it came from, absolute in its filesystem
  std::string title;   ///< title / menuentry title / label
  std::string kernel;  ///< linux / kernel path
  std::vector<std::string> initrds;
  std::string options;     ///< the kernel command line (options / linux arguments / append)
  std::string devicetree;  ///< devicetree / fdt (or "fdtdir DIR" for extlinux's fdtdir)
};

/// An EFI executable under EFI/BOOT (BOOT*.EFI) or EFI/Linux (*.efi).
struct EfiBinary {
  std::string path;  ///< absolute in its filesystem, as stored (case preserved)
  uint64_t size = 0;
  /// PE section names in table order; empty when the file is not a PE image.
  std::vector<std::string> sections;
  /// The PE machine: "x86_64", "aarch64", "i386", "arm", "riscv64" or "0x<hex>".
  std::string arch;
  /// A unified kernel image: a PE file with a .linux section.
  bool uki = false;
};

/// Raspberry Pi firmware configuration at the root of a FAT partition.
struct RaspberryPiConfig {
  std::optional<std::string> config_txt;   ///< config.txt's content, when present
  std::optional<std::string> cmdline_txt;  ///< cmdline.txt's content, when present
};

/// An installed package as its package database records it.
struct InstalledPackage {
  std::string name;
  std::string version;
  std::string arch;
};

/// What a root-like filesystem says about its OS.
struct OsReport {
  std::string os_release_path;  ///< the os-release file read
  std::string pretty_name;      ///< PRETTY_NAME (else NAME)
  std::string id;               ///< ID
  std::string version_id;       ///< VERSION_ID
  /// Packages from /var/lib/dpkg/status ("install ok installed" only), sorted by name.
  std::optional<std::vector<InstalledPackage>> dpkg;
  /// Packages from /lib/apk/db/installed, sorted by name.
  std::optional<std::vector<InstalledPackage>> apk;
};

/// A filesystem and what was found in it.
struct FilesystemReport {
  std::string device;  ///< the appliance's device ("/dev/sda2")
  std::string type;    ///< "ext4", "vfat", "squashfs", ...; empty when blkid finds none
  std::string label;
  std::string uuid;  ///< as blkid spells it ("1A2B-3C4D" for vfat)
  std::vector<BootEntry> boot_entries;
  std::vector<EfiBinary> efi_binaries;
  std::optional<RaspberryPiConfig> raspberry_pi;
  std::optional<OsReport> os;
  /// Things that could not be read or parsed ("/var/lib/dpkg/status:12: ..."); never fatal.
  std::vector<std::string> notes;
};

/// One partition of the table.
struct PartitionReport {
  int number = 0;         ///< 1-based, as in the table
  uint64_t start = 0;     ///< bytes from the start of the disk
  uint64_t size = 0;      ///< bytes
  std::string type;       ///< GPT type GUID (uppercase) or MBR type byte ("0c")
  std::string name;       ///< GPT partition name (empty for MBR)
  std::string part_uuid;  ///< GPT partition GUID (lowercase), or MBR "<disk id>-<NN>"
  bool bootable = false;  ///< MBR active flag
  FilesystemReport filesystem;
};

/// The whole disk.
struct DiskReport {
  std::string path;     ///< the image as given
  std::string format;   ///< "raw" or "qcow2"
  uint64_t size = 0;    ///< virtual size in bytes
  std::string table;    ///< "gpt", "mbr", or "none" (no partition table)
  /// GPT disk GUID (lowercase) or MBR signature (8 lowercase hex digits).
  std::string disk_id;
  std::vector<PartitionReport> partitions;
  /// Without a partition table: the filesystem on the whole disk (a squashfs image, ...).
  std::optional<FilesystemReport> whole_disk;
};

struct InspectOptions {
  /// "raw" or "qcow2"; empty: qcow2 for a ".qcow2" file name, raw otherwise.
  std::string format;
  Reporter* reporter = nullptr;  ///< progress and warnings; nullptr is silent
};

/// Inspects the image at `path` (read-only; one appliance launch). Errors:
/// kNotFound (no such file), kUsage (unknown format), kTool (libguestfs or its
/// appliance failed), kInterrupted.
Result<DiskReport> InspectDisk(const std::filesystem::path& path,
                               const InspectOptions& options = {});

/// The report as text for people: the table, one block per partition, its
/// boot entries, EFI binaries, OS and every package.
std::string FormatReport(const DiskReport& report);

/// The report as JSON (keys sorted; every field of the structs above).
nlohmann::json ReportJson(const DiskReport& report);

}  // namespace cairn::disk
