// `cairn run`: boots a built board disk image under QEMU with the board's
// settings (boards/*.yaml `qemu:`), serial console on the terminal.
//
//   RunOptions o{.config_file = "images/demo-boot.yaml", .check = "system started",
//                .timeout_seconds = 120};
//   CAIRN_TRY(RunImage(o, reporter));   // OK once the marker is on the console
//
// U-Boot boards (qemu firmware `u-boot`) start the u-boot.bin found on the
// disk's boot partition: as -bios on `virt`, as -kernel with the board's
// first device tree on raspi machines, whose SD card is a qcow2 overlay of
// the disk sized to the power of two QEMU's SD model insists on.
//
// With `check`, QEMU runs headless with networking off (-nic none), its
// console is copied to stderr, and RunImage returns as soon as the marker
// appears (QEMU is killed), or fails with the console's last lines when the
// timeout passes, QEMU exits, or a line says the boot failed (firmware
// refusing the loader, a kernel panic, the initramfs giving up).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cairn/config/model.h"
#include "cairn/reporter.h"
#include "cairn/result.h"

namespace cairn {

struct RunOptions {
  std::filesystem::path config_file;
  std::filesystem::path output_dir;  ///< where `cairn build` wrote; default out/<image name>
  std::string board;                 ///< default: the image's only board
  std::string check;                 ///< marker to wait for; empty = interactive
  int timeout_seconds = 300;
  std::string accel = "tcg";         ///< QEMU accelerator (KVM guests hang on some hosts)
};

/// What QEMU is given besides the board's settings.
struct QemuInputs {
  std::filesystem::path disk;       ///< the image booted
  std::string disk_format = "raw";  ///< raw, or qcow2 for an overlay
  /// A writable copy of the firmware's variable store (AAVMF).
  std::filesystem::path vars;
  /// firmware u-boot: the u-boot.bin read from the disk's boot partition.
  std::filesystem::path uboot;
  /// raspi machines: the device tree U-Boot is started with.
  std::filesystem::path dtb;
};

/// The QEMU command line for `board` (exposed for tests). With `headless`,
/// networking is off and the console is QEMU's stdio.
Result<std::vector<std::string>> QemuCommand(const config::Board& board, const QemuInputs& inputs,
                                             const std::string& accel, bool headless);

/// Copies the file `name` from the first partition of `disk` whose FAT
/// filesystem holds it (mtools; the partition table read by sfdisk) to `dest`.
Status CopyFromBootPartition(const std::filesystem::path& disk, const std::string& name,
                             const std::filesystem::path& dest);

Status RunImage(const RunOptions& options, Reporter& reporter);

}  // namespace cairn
