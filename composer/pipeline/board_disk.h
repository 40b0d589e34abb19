// WriteBoardDisk: a board's bootable disk image from the image's final tree.
//
// The board's layout becomes a disk::DiskLayout; the root partition gets the
// whole tree (ext4), or a squashfs of it; the boot partition (ESP, or the
// Raspberry Pi firmware partition) gets what the board's bootloader needs,
// taken from the tree itself: the kernel (/boot/vmlinuz-<version>), an
// initramfs cairn generates (initramfs/minimal.h: the static busybox of the
// kernel layer and the modules the root needs), the bootloader's binaries
// and configuration, device trees and firmware. Nothing from the host.
//
//   CAIRN_ASSIGN_OR_RETURN(auto disk, WriteBoardDisk({.board = &board, .root = &tree, ...}));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/config/model.h"
#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::pipeline {

struct BoardDiskRequest {
  const config::Board* board = nullptr;
  const rootfs::Tree* root = nullptr;     ///< the image's final tree for this board
  std::vector<std::string> extra_cmdline;  ///< the stack's kernel-cmdline fragments
  int64_t epoch = 0;
  std::string seed;                ///< ids of the disk derive from it (e.g. the manifest digest)
  std::filesystem::path work_dir;  ///< scratch, removed by the caller
  std::filesystem::path out;       ///< the disk image to write
  bool qcow2 = false;              ///< qemu-img's qcow2 instead of a raw image
  Reporter* reporter = nullptr;
};

struct BoardDisk {
  std::filesystem::path path;
  std::string kernel_version;
  std::string cmdline;  ///< the kernel command line the boot entry passes
  uint64_t size = 0;
};

Result<BoardDisk> WriteBoardDisk(const BoardDiskRequest& request);

/// The initramfs WriteBoardDisk puts on the boot partition (gzip'ed newc
/// cpio), as bytes: for the `cpio` output with `contents: initramfs`.
Result<std::string> BoardInitramfs(const BoardDiskRequest& request);

}  // namespace cairn::pipeline
