// Fetch, Extract+Compose, Emit and SBOM for every architecture of one image,
// into a staging directory (DIR/oci, DIR/sbom) that the caller commits.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cairn/config/model.h"
#include "cairn/config/stack.h"
#include "cairn/fetch/fetcher.h"
#include "cairn/lock/lock.h"
#include "cairn/pipeline.h"
#include "cairn/shared_cache/registry_cache.h"
#include "pipeline/apk_sources.h"

namespace cairn::pipeline {

struct ArchPackages {
  std::string arch;
  std::vector<lock::LockedPackage> packages;  ///< install order
};

/// One cairn layer to compose: its declaration and the packages it adds.
struct LayerPackages {
  config::StackLayer spec;
  std::vector<lock::LockedPackage> packages;  ///< install order
};

/// One build target (a board, or an arch for images without boards).
struct TargetPackages {
  std::string name;  ///< board name or arch
  std::string arch;  ///< apk arch
  const config::Board* board = nullptr;
  std::vector<LayerPackages> layers;  ///< bottom first; one OCI layer each
};

struct ComposeRequest {
  const config::Image* image = nullptr;
  const LoadedKeyring* keys = nullptr;
  std::vector<TargetPackages> targets;
  bool allow_untrusted = false;
  int compression_level = 6;
  std::optional<int64_t> epoch;  ///< unset: the newest package build time
  std::filesystem::path staging;
  fetch::Fetcher* fetcher = nullptr;
  bool debian = false;  ///< the packages are Debian .debs (lock format "deb")
  /// Finished layer blobs across builds (oci/layer_cache.h); empty = no cache.
  std::filesystem::path layer_cache_dir;
  /// Layers missing from the layer cache are asked of it, and layers made
  /// are stored in it; null: none.
  shared_cache::RegistryCache* shared_cache = nullptr;
  bool disks = true;  ///< boards with a layout get DIR/disk/<board>.img
};

struct ComposeResult {
  std::string digest;  ///< what the image's ref names (index, or manifest for one arch)
  int64_t epoch = 0;
  std::vector<ArchOutput> archs;  ///< sbom_path relative to DIR/sbom
};

Result<ComposeResult> ComposeAndEmit(const ComposeRequest& request, Reporter& reporter);

}  // namespace cairn::pipeline
