// The image's `outputs:` besides the OCI layout and the board disk: squashfs
// files of the merged root or of one cairn layer, erofs files of the merged
// root, and cpio archives of the whole root (to run from RAM) or of the
// board's generated initramfs.
//
// Files are named <type>/<target>[-<layer>].<ext> under the build's staging
// directory, so they are committed with the rest of the build, or not at all.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cairn/config/model.h"
#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"
#include "pipeline/board_disk.h"

namespace cairn::pipeline {

struct ExtraOutputsRequest {
  const std::vector<config::Output>* outputs = nullptr;
  std::string target;                    ///< board name or arch: the file stem
  std::vector<std::string> layer_names;  ///< the target's cairn layers, bottom first
  rootfs::Tree* tree = nullptr;          ///< final; a cpio of the root may add /init on top
  int64_t epoch = 0;
  std::string seed;                      ///< filesystem UUIDs derive from it (the manifest digest)
  std::filesystem::path staging;         ///< the build's output directory being written
  std::filesystem::path work_dir;        ///< scratch space (erofs staging)
  /// For `contents: initramfs` (board, root, work_dir, epoch); board null: none.
  BoardDiskRequest board;
  Reporter* reporter = nullptr;
};

/// Writes every squashfs, erofs and cpio output; returns their paths relative to
/// `staging`, in declaration order. Disk outputs are WriteBoardDisk's.
Result<std::vector<std::string>> WriteExtraOutputs(const ExtraOutputsRequest& request);

}  // namespace cairn::pipeline
