// WriteBoardDisk: board layout -> disk layout, boot partition per bootloader
// type, generated initramfs, root filesystem; see board_disk.h.
#include "pipeline/board_disk.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "cairn/disk/erofs.h"
#include "cairn/disk/ids.h"
#include "cairn/disk/image.h"
#include "cairn/file_util.h"
#include "cairn/initramfs/minimal.h"
#include "cairn/squashfs/squashfs.h"
#include "cairn/uki/uki.h"

namespace cairn::pipeline {
namespace {

namespace fs = std::filesystem;

struct Kernel {
  std::string version;
  std::string vmlinuz;  ///< tree path
};

Result<Kernel> FindKernel(const config::Board& board, const rootfs::Tree& root) {
  std::vector<Kernel> found;
  const std::string prefix = "boot/vmlinuz-";
  for (auto it = root.nodes().lower_bound(prefix);
       it != root.nodes().end() && it->first.rfind(prefix, 0) == 0; ++it)
    if (it->second.meta.type == rootfs::FileType::kRegular)
      found.push_back({it->first.substr(prefix.size()), it->first});
  if (found.empty())
    return ConfigError(board.loc, fmt::format("board '{}' boots a kernel, but the image has no "
                                              "/boot/vmlinuz-*",
                                              board.name.value))
        .Hint("the board's layers should include 'kernel' (boards/*.yaml: layers: [kernel])");
  if (found.size() > 1) {
    std::vector<std::string> names;
    for (const auto& k : found) names.push_back(k.version);
    return ConfigError(board.loc, fmt::format("board '{}': the image has {} kernels ({}); cairn "
                                              "boots exactly one",
                                              board.name.value, found.size(),
                                              fmt::join(names, ", ")));
  }
  return found.front();
}

// Copies the regular file at `from` in `root` (links followed) to `dest` in `to`.
Status CopyInto(const rootfs::Tree& root, std::string_view from, rootfs::Tree& to,
                const std::string& dest, int64_t epoch) {
  CAIRN_ASSIGN_OR_RETURN(std::string real, root.Resolve(from));
  const rootfs::Node* n = root.Find(real);
  if (!n || n->meta.type != rootfs::FileType::kRegular)
    return NotFoundError(fmt::format("the image has no file '/{}'", from));
  rootfs::FsEntry e;
  e.path = dest;
  e.mode = 0644;
  e.mtime = epoch;
  e.size = n->meta.size;
  uint64_t at = 0;
  rootfs::ContentReader reader = [&](char* buf, size_t cap) -> Result<size_t> {
    CAIRN_ASSIGN_OR_RETURN(size_t got, root.store().ReadAt(n->content, at, buf, cap));
    at += got;
    return got;
  };
  return to.Add(e, &reader);
}

std::string EfiArch(const std::string& arch) { return arch == "aarch64" ? "aa64" : "x64"; }

// A unified kernel image (systemd's stub + kernel, initrd, command line and
// os-release) as the firmware's default loader: no boot loader, one file to
// sign, the command line sealed in it.
Status AddUki(const BoardDiskRequest& req, const Kernel& kernel, const std::string& cmdline,
              const std::string& initrd, rootfs::Tree& boot) {
  const config::Board& board = *req.board;
  const std::string& arch = board.arch.value;
  CAIRN_ASSIGN_OR_RETURN(std::string stub_path, uki::StubPath(arch));
  uki::UkiInputs in;
  auto stub = req.root->ReadFile(stub_path);
  if (!stub.ok())
    return std::move(stub).error().Hint(
        "the 'uki' bootloader needs systemd's EFI stub: add systemd-boot-efi to the board's "
        "bootloader packages");
  in.stub = std::move(*stub);
  CAIRN_ASSIGN_OR_RETURN(in.kernel, req.root->ReadFile(kernel.vmlinuz));
  in.initrd = initrd;
  in.cmdline = cmdline;
  in.uname = kernel.version;
  for (const char* os : {"etc/os-release", "usr/lib/os-release"}) {
    auto text = req.root->ReadFile(os);
    if (text.ok()) {
      in.os_release = std::move(*text);
      break;
    }
  }
  const fs::path file = req.work_dir / "uki.efi";
  auto written = uki::WriteUki(in, file, {.arch = arch});
  if (!written.ok()) return std::move(written).error();
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, ReadFile(file));
  std::error_code ec;
  fs::remove(file, ec);
  std::string upper = EfiArch(arch);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  return boot.AddFile(fmt::format("EFI/BOOT/BOOT{}.EFI", upper), bytes, 0644, 0, 0, req.epoch);
}

bool HasOption(const std::vector<std::string>& cmdline, std::string_view key) {
  return std::any_of(cmdline.begin(), cmdline.end(),
                     [&](const std::string& w) { return w.rfind(key, 0) == 0; });
}

// Root filesystems built as a read-only image file (squashfs, erofs) rather
// than in place from the tree.
bool IsImageFs(std::string_view fs) { return fs == "squashfs" || fs == "erofs"; }

// Modules an initramfs may need to reach a root on the machines cairn's
// boards describe; those the kernel lacks are skipped, built-in ones cost nothing.
std::vector<std::string> CandidateModules(const std::string& arch, std::string_view root_fs) {
  std::vector<std::string> m = {"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "ext4"};
  if (arch == "x86_64") {
    for (const char* x : {"ahci", "nvme"}) m.push_back(x);
  } else {
    // bcm2835: the Pi's SD host (sdhost), which the Pi 3 device tree muxes the
    // card to; sdhci_iproc: its Arasan SDHCI, the card's controller on the Pi 4.
    for (const char* x : {"virtio_mmio", "sdhci_iproc", "bcm2835", "mmc_block", "nvme"})
      m.push_back(x);
  }
  // A read-only image root sits below a writable overlay.
  if (IsImageFs(root_fs)) {
    m.push_back(std::string(root_fs));
    m.push_back("overlay");
  }
  if (root_fs == "xfs" || root_fs == "btrfs") m.push_back(std::string(root_fs));
  return m;
}

// The initramfs image (gzip'ed newc cpio) for `kernel`, as bytes.
Result<std::string> BuildInitrd(const BoardDiskRequest& req, const Kernel& kernel,
                                std::string_view root_fs) {
  std::vector<std::string> modules;
  for (const auto& m : CandidateModules(req.board->arch.value, root_fs))
    if (initramfs::ModuleClosure(*req.root, kernel.version, {m}).ok()) modules.push_back(m);
  initramfs::MinimalInitramfsSpec spec;
  spec.kernel_version = kernel.version;
  spec.modules = modules;
  spec.on_failure = initramfs::OnFailure::kShell;
  spec.epoch = req.epoch;
  CAIRN_ASSIGN_OR_RETURN(auto store, rootfs::ContentStore::Create(req.work_dir));
  rootfs::Tree initrd(*store);
  auto built = initramfs::BuildMinimalInitramfs(*req.root, spec, initrd);
  if (!built.ok())
    return std::move(built).error().Context(
        fmt::format("generating the initramfs for kernel {}", kernel.version));
  std::string bytes;
  CAIRN_TRY(initramfs::WriteCpio(initrd,
                                 [&](const char* data, size_t size) -> Status {
                                   bytes.append(data, size);
                                   return {};
                                 },
                                 {.epoch = req.epoch}));
  if (req.reporter)
    req.reporter->Verbose(fmt::format("initramfs for {}: {} modules, {} bytes", kernel.version,
                                      built->load_order.size(), bytes.size()));
  return bytes;
}

// The board's device trees, from the kernel's dtb directory, at the top of
// the boot partition (where extlinux's `fdtdir /` and the Pi firmware look).
Status AddDeviceTrees(const BoardDiskRequest& req, const Kernel& kernel, rootfs::Tree& boot) {
  for (const auto& dt : req.board->device_trees) {
    const std::string name = dt.value.substr(dt.value.rfind('/') + 1);
    CAIRN_TRY(CopyInto(*req.root, fmt::format("usr/lib/linux-image-{}/{}", kernel.version, dt.value),
                       boot, name, req.epoch));
  }
  return {};
}

// The Raspberry Pi firmware files (raspi-firmware), config.txt, the device
// trees and cmdline.txt at the top of the firmware partition.
Status AddPiFirmware(const BoardDiskRequest& req, const Kernel& kernel, const std::string& cmdline,
                     rootfs::Tree& boot) {
  const rootfs::Tree& root = *req.root;
  CAIRN_ASSIGN_OR_RETURN(std::string fw, root.Resolve("usr/lib/raspi-firmware"));
  size_t files = 0;
  for (auto it = root.nodes().lower_bound(fw + "/");
       it != root.nodes().end() && it->first.rfind(fw + "/", 0) == 0; ++it) {
    const std::string rel = it->first.substr(fw.size() + 1);
    if (it->second.meta.type != rootfs::FileType::kRegular || rel.find('/') != std::string::npos)
      continue;
    CAIRN_TRY(CopyInto(root, it->first, boot, rel, req.epoch));
    ++files;
  }
  if (files == 0)
    return ConfigError(req.board->bootloader.loc,
                       fmt::format("board '{}': no Raspberry Pi firmware in /usr/lib/raspi-firmware",
                                   req.board->name.value))
        .Hint("add the package raspi-firmware (non-free-firmware) to the board's bootloader packages");
  if (root.Find("boot/firmware/config.txt"))
    CAIRN_TRY(CopyInto(root, "boot/firmware/config.txt", boot, "config.txt", req.epoch));
  else
    CAIRN_TRY(boot.AddFile("config.txt", "arm_64bit=1\nenable_uart=1\nupstream_kernel=1\n"
                                         "kernel=vmlinuz\ninitramfs initrd.img followkernel\n",
                           0644, 0, 0, req.epoch));
  CAIRN_TRY(boot.AddFile("cmdline.txt", cmdline + "\n", 0644, 0, 0, req.epoch));
  return AddDeviceTrees(req, kernel, boot);
}

// The U-Boot build for the board: declared (bootloader.u-boot), or the one
// for the SoC of its first device tree.
Result<std::string> UBootBuild(const config::Board& board, bool pi_firmware) {
  if (!board.bootloader.uboot.value.empty()) return board.bootloader.uboot.value;
  if (!board.device_trees.empty()) {
    const std::string& dt = board.device_trees.front().value;
    if (dt.find("bcm2837") != std::string::npos) return std::string("rpi_3");
    if (dt.find("bcm2711") != std::string::npos) return std::string("rpi_4");
  }
  if (pi_firmware) return std::string("rpi_arm64");
  return ConfigError(board.bootloader.loc,
                     fmt::format("board '{}': which U-Boot build does it boot?", board.name.value))
      .Hint("name it: bootloader: {u-boot: qemu_arm64} (a directory under /usr/lib/u-boot)");
}

// Fills the boot partition's tree for the board's bootloader type.
Status FillBoot(const BoardDiskRequest& req, const Kernel& kernel, const std::string& cmdline,
                const std::string& initrd, const std::string& boot_label, bool pi_firmware,
                rootfs::Tree& boot) {
  const config::Board& board = *req.board;
  const rootfs::Tree& root = *req.root;
  const std::string& type = board.bootloader.type.value;
  const int64_t epoch = req.epoch;
  if (type == "uki") return AddUki(req, kernel, cmdline, initrd, boot);
  CAIRN_TRY(CopyInto(root, kernel.vmlinuz, boot, "vmlinuz", epoch));
  CAIRN_TRY(boot.AddFile("initrd.img", initrd, 0644, 0, 0, epoch));
  const std::string efi = EfiArch(board.arch.value);
  std::string upper = efi;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  if (type == "systemd-boot") {
    CAIRN_TRY(CopyInto(root, fmt::format("usr/lib/systemd/boot/efi/systemd-boot{}.efi", efi), boot,
                       fmt::format("EFI/BOOT/BOOT{}.EFI", upper), epoch));
    CAIRN_TRY(boot.AddFile("loader/loader.conf", "timeout 0\ndefault cairn.conf\n", 0644, 0, 0,
                           epoch));
    CAIRN_TRY(boot.AddFile("loader/entries/cairn.conf",
                           fmt::format("title {}\nlinux /vmlinuz\ninitrd /initrd.img\noptions {}\n",
                                       board.name.value, cmdline),
                           0644, 0, 0, epoch));
    return {};
  }
  if (type == "grub-efi") {
    // shim (signed by Microsoft's UEFI CA) loads grubx64.efi from its own
    // directory; Debian's signed GRUB reads grub.cfg beside itself.
    CAIRN_TRY(CopyInto(root, fmt::format("usr/lib/shim/shim{}.efi.signed", efi), boot,
                       fmt::format("EFI/BOOT/BOOT{}.EFI", upper), epoch));
    CAIRN_TRY(CopyInto(root, fmt::format("usr/lib/grub/{}-efi-signed/grub{}.efi.signed",
                                         board.arch.value == "aarch64" ? "arm64" : "x86_64", efi),
                       boot, fmt::format("EFI/BOOT/grub{}.efi", efi), epoch));
    CAIRN_TRY(boot.AddFile("EFI/BOOT/grub.cfg",
                           fmt::format("set timeout=0\nsearch --no-floppy --label {} --set=root\n"
                                       "linux /vmlinuz {}\ninitrd /initrd.img\nboot\n",
                                       boot_label, cmdline),
                           0644, 0, 0, epoch));
    return {};
  }
  if (type == "rpi-firmware") return AddPiFirmware(req, kernel, cmdline, boot);
  if (type == "u-boot-extlinux") {
    // On a Pi the GPU firmware starts U-Boot from the firmware partition;
    // elsewhere U-Boot sits in flash (QEMU: -bios) and only reads extlinux.
    // u-boot.bin is on the partition in both cases, where `cairn run` finds it.
    if (pi_firmware) {
      CAIRN_TRY(AddPiFirmware(req, kernel, cmdline, boot));
    } else {
      CAIRN_TRY(AddDeviceTrees(req, kernel, boot));
    }
    // `fdtdir /` loads $fdtfile, which U-Boot names with the vendor
    // directory (broadcom/bcm2837-rpi-3-b.dtb): the trees go there as well.
    for (const auto& dt : board.device_trees)
      if (dt.value.find('/') != std::string::npos)
        CAIRN_TRY(CopyInto(root, fmt::format("usr/lib/linux-image-{}/{}", kernel.version, dt.value),
                           boot, dt.value, epoch));
    CAIRN_ASSIGN_OR_RETURN(std::string build, UBootBuild(board, pi_firmware));
    Status copied = CopyInto(root, fmt::format("usr/lib/u-boot/{}/u-boot.bin", build), boot,
                             "u-boot.bin", epoch);
    if (!copied.ok())
      return std::move(copied).error().Hint(
          "the board's bootloader packages must install that U-Boot build (u-boot-qemu for "
          "qemu_*, u-boot-rpi for rpi_*)");
    // Without device trees U-Boot hands the kernel its own (QEMU's).
    CAIRN_TRY(boot.AddFile("extlinux/extlinux.conf",
                           fmt::format("default cairn\ntimeout 1\nlabel cairn\n  kernel /vmlinuz\n"
                                       "  initrd /initrd.img\n{}  append {}\n",
                                       board.device_trees.empty() ? "" : "  fdtdir /\n", cmdline),
                           0644, 0, 0, epoch));
    return {};
  }
  return ConfigError(board.bootloader.type.loc,
                     fmt::format("board '{}': writing a disk for bootloader '{}' is not supported "
                                 "yet (supported: systemd-boot, grub-efi, uki, rpi-firmware, "
                                 "u-boot-extlinux)",
                                 board.name.value, type));
}

Result<disk::PartitionRole> RoleOf(const config::Partition& p) {
  const std::string& role = p.role.value;
  if (role == "esp") return disk::PartitionRole::kEsp;
  if (role == "boot") return disk::PartitionRole::kBoot;
  if (role == "root") return p.slot.value == "b" ? disk::PartitionRole::kRootB
                                                 : disk::PartitionRole::kRoot;
  if (role == "data") return disk::PartitionRole::kData;
  if (role == "firmware") return disk::PartitionRole::kFirmware;
  return ConfigError(p.role.loc, fmt::format("partition role '{}' cannot be written yet", role));
}

}  // namespace

// The root as a read-only image file for a raw partition.
Status WriteRootImage(const BoardDiskRequest& req, const std::string& root_fs,
                      const std::string& partition, const fs::path& file) {
  if (root_fs == "erofs") {
    disk::ErofsOptions eo;
    eo.epoch = req.epoch;
    eo.uuid = disk::DeriveUuid(req.seed, "erofs", partition);
    eo.work_dir = req.work_dir;
    eo.reporter = req.reporter;
    return disk::WriteErofs(*req.root, file, eo);
  }
  squashfs::SquashfsOptions so;
  so.epoch = req.epoch;
  return squashfs::WriteSquashfs(*req.root, file, so);
}

Result<BoardDisk> WriteBoardDisk(const BoardDiskRequest& req) {
  const config::Board& board = *req.board;
  const config::Layout& layout = board.layout;
  if (layout.partitions.empty())
    return ConfigError(board.loc, fmt::format("board '{}' has no partition layout", board.name.value));
  CAIRN_ASSIGN_OR_RETURN(Kernel kernel, FindKernel(board, *req.root));
  CAIRN_TRY(MakeDirs(req.work_dir));

  disk::DiskLayout dl;
  dl.table = layout.table.value == "mbr" ? disk::TableType::kMbr : disk::TableType::kGpt;
  dl.arch = board.arch.value;
  std::optional<size_t> boot_index, root_index;
  std::map<std::string, int> used;
  for (size_t i = 0; i < layout.partitions.size(); ++i) {
    const config::Partition& p = layout.partitions[i];
    disk::PartitionSpec s;
    CAIRN_ASSIGN_OR_RETURN(s.role, RoleOf(p));
    s.name = p.role.value + (p.slot.value.empty() ? "" : "-" + p.slot.value);
    if (used[s.name]++) s.name += fmt::format("-{}", used[s.name]);
    const std::string& fsname = p.filesystem.value;
    if (fsname == "vfat") s.filesystem = disk::Filesystem::kVfat;
    else if (fsname == "ext4") s.filesystem = disk::Filesystem::kExt4;
    else if (fsname == "xfs") s.filesystem = disk::Filesystem::kXfs;
    else if (fsname == "btrfs") s.filesystem = disk::Filesystem::kBtrfs;
    else if (IsImageFs(fsname) && p.role.value == "root" && p.slot.value != "b")
      s.filesystem = disk::Filesystem::kRaw;
    else if (IsImageFs(fsname))
      return ConfigError(p.filesystem.loc,
                         fmt::format("a {} partition holds the root image: only the (first) "
                                     "root partition can be {}",
                                     fsname, fsname))
          .Hint("use ext4 for data partitions, or none for a second root slot");
    else if (fsname == "none" || fsname.empty()) s.filesystem = disk::Filesystem::kNone;
    else
      return ConfigError(p.filesystem.loc,
                         fmt::format("filesystem '{}' cannot be written yet (vfat, ext4, "
                                     "xfs, btrfs, squashfs, erofs or none)",
                                     fsname));
    // "rest" needs a disk size the board does not give: the partition gets
    // what its contents need, and grows on the device (resize2fs, growfs).
    s.size = p.size_bytes ? disk::PartitionSize::Fixed(p.size_bytes) : disk::PartitionSize::Auto();
    s.label = p.label.value;
    if (!boot_index && (p.role.value == "esp" || p.role.value == "boot" ||
                        p.role.value == "firmware"))
      boot_index = i;
    if (!root_index && p.role.value == "root" && p.slot.value != "b") root_index = i;
    dl.partitions.push_back(std::move(s));
  }
  if (!boot_index || !root_index)
    return ConfigError(layout.loc, fmt::format("board '{}': the layout needs a boot partition "
                                               "(esp, boot or firmware) and a root partition",
                                               board.name.value));
  // U-Boot's distro boot scans the partitions flagged bootable first.
  if (dl.table == disk::TableType::kMbr) dl.partitions[*boot_index].bootable = true;
  const std::string root_fs = layout.partitions[*root_index].filesystem.value;
  const bool image_root = IsImageFs(root_fs);
  const std::string root_label = disk::EffectiveLabel(dl.partitions[*root_index]);
  const std::string boot_label = disk::EffectiveLabel(dl.partitions[*boot_index]);

  std::vector<std::string> cmdline;
  for (const auto& w : board.kernel.cmdline) cmdline.push_back(w.value);
  for (const auto& w : req.extra_cmdline) cmdline.push_back(w);
  // squashfs and erofs (mkfs.erofs 1.5) have no label and busybox's findfs
  // cannot read their UUIDs: the initramfs finds them by GPT partition name
  // (PARTLABEL=), which an MBR does not have, or the board names the device.
  const bool gpt = dl.table == disk::TableType::kGpt;
  for (const auto& w : cmdline)
    if (image_root && w.rfind("root=", 0) == 0 && w.rfind("root=/dev/", 0) != 0 &&
        !(gpt && w.rfind("root=PARTLABEL=", 0) == 0))
      return ConfigError(layout.loc,
                         fmt::format("board '{}': a {} root cannot be found by '{}' (it has "
                                     "no label)",
                                     board.name.value, root_fs, w))
          .Hint(gpt ? "leave root= out (cairn uses root=PARTLABEL=<partition name>), or name "
                      "the device, e.g. root=/dev/vda2"
                    : "name the device in the board's kernel cmdline, e.g. root=/dev/mmcblk0p2");
  if (!HasOption(cmdline, "root=")) {
    if (image_root && !gpt)
      return ConfigError(layout.loc, fmt::format("board '{}': a {} root on an MBR disk needs "
                                                 "root=/dev/... in the kernel cmdline (it has "
                                                 "no label and MBR partitions no names)",
                                                 board.name.value, root_fs));
    cmdline.push_back(image_root ? "root=PARTLABEL=" + dl.partitions[*root_index].name
                                 : "root=LABEL=" + root_label);
  }
  if (!HasOption(cmdline, "rootfstype="))
    cmdline.push_back("rootfstype=" + root_fs);
  if (image_root && !HasOption(cmdline, "cairn.overlay=")) cmdline.push_back("cairn.overlay=tmpfs");
  const std::string cmdline_text = fmt::format("{}", fmt::join(cmdline, " "));

  CAIRN_ASSIGN_OR_RETURN(std::string initrd, BuildInitrd(req, kernel, root_fs));
  CAIRN_ASSIGN_OR_RETURN(auto boot_store, rootfs::ContentStore::Create(req.work_dir));
  rootfs::Tree boot(*boot_store);
  const bool pi_firmware = layout.partitions[*boot_index].role.value == "firmware";
  Status filled = FillBoot(req, kernel, cmdline_text, initrd, boot_label, pi_firmware, boot);
  if (!filled.ok())
    return std::move(filled).error().Context(
        fmt::format("writing the boot partition of board '{}'", board.name.value));

  CAIRN_ASSIGN_OR_RETURN(auto empty_store, rootfs::ContentStore::Create(req.work_dir));
  rootfs::Tree empty(*empty_store);
  disk::PartitionContents contents;
  const fs::path image_file = req.work_dir / ("root." + root_fs);
  for (size_t i = 0; i < dl.partitions.size(); ++i) {
    const disk::PartitionSpec& s = dl.partitions[i];
    if (s.filesystem == disk::Filesystem::kNone) continue;
    if (i == *boot_index) {
      contents[s.name] = {.tree = &boot};
    } else if (i == *root_index && image_root) {
      CAIRN_TRY(WriteRootImage(req, root_fs, s.name, image_file));
      contents[s.name] = {.image = image_file};
    } else if (i == *root_index) {
      contents[s.name] = {.tree = req.root};
    } else {
      // Second root slots and data partitions start empty.
      contents[s.name] = {.tree = &empty};
    }
  }
  disk::DiskOptions options;
  options.epoch = req.epoch;
  options.seed = req.seed;
  options.work_dir = req.work_dir;
  options.reporter = req.reporter;
  if (req.qcow2) options.format = disk::ImageFormat::kQcow2;
  CAIRN_ASSIGN_OR_RETURN(disk::DiskPlan plan, disk::WriteDiskImage(dl, contents, req.out, options));
  if (!plan.byte_reproducible && req.reporter)
    req.reporter->Warn(fmt::format("{}: xfs and btrfs partitions are filled by the kernel, so "
                                   "this disk's bytes differ from build to build (its files, "
                                   "owners, labels and UUIDs do not)",
                                   req.out.filename().string()));
  return BoardDisk{req.out, kernel.version, cmdline_text, plan.size};
}

Result<std::string> BoardInitramfs(const BoardDiskRequest& req) {
  CAIRN_ASSIGN_OR_RETURN(Kernel kernel, FindKernel(*req.board, *req.root));
  std::string root_fs = "ext4";
  for (const auto& p : req.board->layout.partitions)
    if (p.role.value == "root" && p.slot.value != "b") {
      root_fs = p.filesystem.value;
      break;
    }
  CAIRN_TRY(MakeDirs(req.work_dir));
  return BuildInitrd(req, kernel, root_fs);
}

}  // namespace cairn::pipeline
