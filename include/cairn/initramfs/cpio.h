// initramfs archives: a rootfs::Tree as a deterministic "newc" cpio, the
// format the kernel unpacks into its initial root (initramfs).
//
// Written by libarchive's newc writer, entries in the tree's sorted order
// (parents first) after a "." entry for the root (root:root 0755, which the
// kernel applies to its rootfs); uid/gid/mode from the tree, never the host;
// mtimes clamped to the epoch (and to 0 from below); inode numbers counted
// 1, 2, ... in archive order, one per hard-link group. A hard-link group is
// written the way GNU cpio and the kernel expect: every member with the
// group's inode and link count, the content with the last member only (the
// kernel truncates and rewrites the shared inode at each member with data).
// Device nodes keep their numbers, so /dev/console can be in the archive
// without root. xattrs are not stored: newc has no field for them.
// Compression is gzip without name or time (as `gzip -n`) or zstd; the same
// tree and options give the same bytes.
//
//   CAIRN_TRY(initramfs::WriteCpioFile(tree, out / "initrd.img", {.epoch = epoch}));
//   initramfs::CpioOptions zstd{.compression = initramfs::CpioCompression::kZstd};
//   CAIRN_TRY(initramfs::WriteCpio(tree, sink, zstd));
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "cairn/byte_sink.h"
#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::initramfs {

/// How the cpio stream is compressed (all three are CONFIG_RD_* in distribution kernels).
enum class CpioCompression { kNone, kGzip, kZstd };

/// "none", "gzip", "zstd".
std::string_view CompressionName(CpioCompression compression);
/// Parses a CompressionName; kUsage listing the choices otherwise.
Result<CpioCompression> ParseCompression(std::string_view name);

struct CpioOptions {
  /// mtimes newer than this are written as this (SOURCE_DATE_EPOCH clamp).
  int64_t epoch = 0;
  CpioCompression compression = CpioCompression::kGzip;
  /// gzip 1..9 (default 6), zstd 1..19 (default 3); unset: the default.
  std::optional<int> level;
};

/// Streams `tree` as a newc cpio (compressed as asked) to `sink`. Errors: a
/// file of 4 GiB or more, a uid/gid/device number beyond newc's 32 bits or
/// a broken hard link (kIntegrity naming the path), a bad level (kUsage), or
/// the sink's own error.
Status WriteCpio(const rootfs::Tree& tree, const ByteSink& sink, const CpioOptions& options);

/// WriteCpio into a file, written beside `out` and renamed into place only when complete.
Status WriteCpioFile(const rootfs::Tree& tree, const std::filesystem::path& out,
                     const CpioOptions& options);

}  // namespace cairn::initramfs
