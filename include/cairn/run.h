// `cairn run`: boots a built board disk image under QEMU with the board's
// settings (boards/*.yaml `qemu:`), serial console on the terminal.
//
//   RunOptions o{.config_file = "images/demo-boot.yaml", .check = "system started",
//                .timeout_seconds = 120};
//   CAIRN_TRY(RunImage(o, reporter));   // OK once the marker is on the console
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

/// The QEMU command line for `board` booting `disk` (exposed for tests).
/// `vars` is a writable copy of the firmware's variable store where the
/// firmware needs one (AAVMF). With `headless`, networking is off.
Result<std::vector<std::string>> QemuCommand(const config::Board& board,
                                             const std::filesystem::path& disk,
                                             const std::filesystem::path& vars,
                                             const std::string& accel, bool headless);

Status RunImage(const RunOptions& options, Reporter& reporter);

}  // namespace cairn
