// The build pipeline: Load, Resolve, Lock, Fetch, Extract+Compose, Emit, SBOM.
// docs/build-process.md describes each stage in order.
//
//   cairn::BuildOptions opts;  opts.config_file = "images/demo.yaml";
//   CAIRN_ASSIGN_OR_RETURN(auto result, cairn::BuildImage(opts, reporter));
//   // result.output_dir/oci is an OCI layout; result.digest the image (index) digest
// The CLI is a thin layer over these calls; tests call them directly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cairn/reporter.h"
#include "cairn/result.h"

namespace cairn {

struct BuildOptions {
  std::filesystem::path config_file;
  std::filesystem::path output_dir;    ///< default: out/<image name>
  std::vector<std::string> archs;      ///< overrides the declaration's archs
  /// Build only these targets (board names, or archs without boards); empty: all. An
  /// unknown name is kUsage listing the targets there are (cairn/plan.h, --matrix-entry).
  std::vector<std::string> targets;
  std::filesystem::path lockfile;      ///< build exactly these packages
  std::filesystem::path cache_dir;     ///< default: $CAIRN_CACHE_DIR, $XDG_CACHE_HOME/cairn, ~/.cache/cairn
  bool offline = false;
  bool allow_untrusted = false;
  std::optional<int64_t> source_date_epoch;  ///< flag; else $SOURCE_DATE_EPOCH; else newest package
  int compression_level = 6;
  /// Reuse finished layers from <cache_dir>/layers when everything they were
  /// made from is unchanged (and their tar is the same); false compresses all.
  bool layer_cache = true;
  /// Write a bootable disk image (DIR/disk/<board>.img) for every board with
  /// a partition layout.
  bool disks = true;
  /// A registry repository ("host[:port]/path") shared by builders as a
  /// cache of layers and packages (shared_cache/registry_cache.h); empty: none.
  std::string cache_registry;
  /// Speak plain HTTP to cache_registry (a local registry).
  bool cache_registry_plain_http = false;
  /// Upload the layers and packages this build makes; false only reads.
  bool cache_registry_push = true;
};

/// One resolved package, as `cairn resolve` prints it.
struct ResolvedPackage {
  std::string name;
  std::string version;
  std::string arch;
  std::string url;
  std::string checksum;
  uint64_t size = 0;
};

struct ResolvedArch {
  std::string arch;
  std::vector<ResolvedPackage> packages;  ///< install order
};

/// One built target: an architecture, or a board.
struct ArchOutput {
  std::string arch;
  std::string manifest_digest;
  std::string sbom_path;
  size_t package_count = 0;
  std::string target;                      ///< the board name, or the arch
  std::vector<std::string> layer_digests;  ///< one per cairn layer, bottom first
  std::string disk_path;       ///< the board's disk image (absolute after BuildImage), or ""
  std::string kernel_cmdline;  ///< what the disk's boot entry passes to the kernel
  /// The image's squashfs and cpio outputs (`outputs:`), absolute after BuildImage.
  std::vector<std::string> files;
};

struct BuildResult {
  std::string image_name;
  std::filesystem::path output_dir;
  std::string digest;  ///< of the multi-arch index (or the manifest for a single arch)
  std::vector<ArchOutput> archs;
};

/// Resolves every architecture's package set (uses a lock file if given).
Result<std::vector<ResolvedArch>> ResolveImage(const BuildOptions& options, Reporter& reporter);
/// Resolves and writes the lock file to `lock_path` (atomically).
Status LockImage(const BuildOptions& options, const std::filesystem::path& lock_path,
                 Reporter& reporter);
/// The whole pipeline; outputs are committed to output_dir only when complete.
Result<BuildResult> BuildImage(const BuildOptions& options, Reporter& reporter);

/// The default cache directory.
std::filesystem::path DefaultCacheDir();
/// cairn's version string.
const char* Version();

}  // namespace cairn
