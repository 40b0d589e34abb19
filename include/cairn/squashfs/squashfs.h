// squashfs output: a rootfs::Tree as a squashfs image, without root.
//
// cairn's deterministic tar stream (oci::WriteTarStream) is piped into
// `mksquashfs - <tmp> -tar -noappend -mkfs-time E -all-time E -comp C`, so
// owners, modes, device nodes, hard links and xattrs come from the tree
// (never from the host, never -all-root). The root directory, which the tar
// does not carry, is root:root 0755. SOURCE_DATE_EPOCH is removed from the
// child's environment so the flags alone set the times; every inode and the
// superblock get the epoch, and the same tree, epoch and options give
// byte-identical images. The image is written beside `out` under a temporary
// name and renamed into place only when mksquashfs succeeded.
//
//   squashfs::SquashfsOptions opts{.epoch = epoch, .compressor = "zstd"};
//   CAIRN_TRY(squashfs::WriteSquashfs(tree, out_dir / "rootfs.squashfs", opts));
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::squashfs {

/// How the image is built.
struct SquashfsOptions {
  /// Superblock and inode time (seconds since 1970; 0 .. 2^32-1).
  int64_t epoch = 0;
  /// One of "gzip", "xz", "zstd", "lz4", "lzo" (kernel-readable compressors).
  std::string compressor = "zstd";
  /// -Xcompression-level for gzip and lzo (1..9) and zstd (1..22); xz and
  /// lz4 take none. Unset: mksquashfs's default.
  std::optional<int> compression_level;
  /// Which layer of a stacked tree to write (TarOptions::layer); -1 is the merged root.
  int layer = -1;
  /// Data block size in bytes (a power of two, 4 KiB .. 1 MiB); 0: mksquashfs's 128 KiB.
  uint32_t block_size = 0;
  /// Kill mksquashfs after this long.
  std::optional<std::chrono::milliseconds> timeout;
};

/// The compressors WriteSquashfs accepts, in the order errors list them.
const std::vector<std::string>& Compressors();

/// The mksquashfs arguments after "mksquashfs - <image>" for `options`
/// (exposed for tests and for logging); kUsage for an invalid option.
Result<std::vector<std::string>> MksquashfsArgs(const SquashfsOptions& options);

/// Writes `tree` as a squashfs image at `out`. Errors: kUsage for an unknown
/// compressor, a level out of range or an epoch out of range; kIo when the
/// output directory cannot take the file; kTool when mksquashfs is missing
/// or fails (with its stderr). Nothing is left at `out` or beside it on failure.
Status WriteSquashfs(const rootfs::Tree& tree, const std::filesystem::path& out,
                     const SquashfsOptions& options);

}  // namespace cairn::squashfs
