// The build matrix: which builds a set of declarations implies, one entry per
// build target (a board, or an arch when the image has no boards), so that a
// CI matrix or a Kubernetes Job array runs one build per entry
// (docs/build-matrix.md). Every output of a target (OCI, disk, squashfs, ...)
// is made from the same composed tree, so one entry builds them all.
//
//   PlanOptions po;  po.images = {"images/demo.yaml"};   // empty: every images/*.yaml
//   CAIRN_ASSIGN_OR_RETURN(BuildPlan plan, PlanBuilds(po));
//   std::cout << PlanJson(plan);   // {"version":1,"entries":[...],"count":N}
//
// Entries are sorted by image name, then target name, and numbered from 0, so
// `cairn build --matrix-entry N` on another machine finds the same entry by
// planning again from the same declarations.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/result.h"

namespace cairn {

struct PlanOptions {
  /// Image declarations; empty: every *.yaml/*.yml in `project_dir`/images.
  std::vector<std::filesystem::path> images;
  /// The project directory whose images/ is planned without `images`; default: the cwd.
  std::filesystem::path project_dir;
  /// As --arch: without boards the archs to build, with boards a filter (an image none of
  /// whose boards is for these archs contributes no entry).
  std::vector<std::string> archs;
  /// A lock file for every entry (allowed with one image only); otherwise an entry uses
  /// <declaration without .yaml>.lock when it exists (the name 'cairn lock' writes).
  std::filesystem::path lockfile;
  /// List "disk" in the outputs of boards with a partition layout (false: --no-disk).
  bool disks = true;
};

/// One file an entry's build reads, with its content hash.
struct PlanInput {
  std::string path;    ///< relative to the current directory when inside it, else absolute
  std::string sha256;  ///< lowercase hex of the file's bytes
};

/// One build: one target of one image.
struct PlanEntry {
  size_t index = 0;
  std::string image;        ///< the image name
  std::string declaration;  ///< the image's YAML file (as given, or images/<file>)
  std::string target;       ///< the board name, or the arch
  std::string arch;         ///< apk arch
  std::string board;        ///< "" when the image has no boards
  /// What the build writes: "oci" first, then "disk" (a board with a layout), then the
  /// types of the image's `outputs:` (squashfs, erofs, cpio) in declaration order, once each.
  std::vector<std::string> outputs;
  std::string output_dir;   ///< out/<image>/<target>
  std::string lockfile;     ///< "" when none is used
  /// The declaration, every file it includes or names (base, layers, boards), local
  /// keyring files, then the lock file, each once.
  std::vector<PlanInput> inputs;
  /// sha256 (hex) over the cairn version, image, target, arch, outputs and every input's
  /// path and hash: equal keys mean the same build (for a locked image).
  std::string key;
};

struct BuildPlan {
  std::vector<PlanEntry> entries;
};

/// Loads every declaration and lists its targets. Errors: kNotFound (no images/ directory
/// or no declaration in it; a missing file), kConfig (a declaration error; two declarations
/// with the same image name, whose entries would share output directories), kUsage (an
/// unknown --arch; --lockfile with several images; no entry left after the --arch filter).
Result<BuildPlan> PlanBuilds(const PlanOptions& options);

/// The plan as pretty JSON: {"version":1,"entries":[...],"count":N}, with a final newline.
std::string PlanJson(const BuildPlan& plan);
/// {"include":[{"entry":0,"name":"<image>-<target>"},...]} on one line (GitHub Actions'
/// fromJSON), with a final newline.
std::string GithubMatrixJson(const BuildPlan& plan);

/// Entry `index` of `plan`; kUsage naming the count when it is out of range.
Result<PlanEntry> PlanEntryAt(const BuildPlan& plan, long long index);

}  // namespace cairn
