// The build targets of a loaded image and the cairn layers of each, bottom
// first: what the pipeline resolves, composes and emits as OCI layers.
//
// One target per board (or per arch when the image declares no boards). Its
// stack is, per the layer spec: (1) the base image's stack including the
// base's own contents, (2) the image's `layers:`, (3) the board's `layers:`
// not already present, (4) the board's own layer "board-<board>" (its
// packages, bootloader packages and files) if it has packages or files, (5)
// the image's own layer (contents.packages, accounts, files, paths) if it has
// any, or if the stack would otherwise be empty. Package names are expanded
// for the target (${arch}, ${debian-arch}, ${kernel-flavour}). PlanTargets
// checks the stack and returns a located kConfig error naming the YAML
// node(s) at fault: a layer listed twice, an unmet `requires`, a `conflicts`,
// an arch a layer does not support, a layer without packages for the image's
// source, one file path declared by two layers.
//
//   CAIRN_ASSIGN_OR_RETURN(auto targets, config::PlanTargets(image, "apk", {"x86_64"}));
//   for (const auto& t : targets) for (const auto& l : t.layers) ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/config/model.h"
#include "cairn/result.h"

namespace cairn::config {

/// One cairn layer of a build target, with its packages expanded for one source and arch.
struct StackLayer {
  std::string name;   ///< layer name; "board-<board>" for a board's own layer; the image name for the image's own contents
  std::string kind;   ///< "layer", "board" or "image"
  SourceLoc loc;      ///< the YAML node that put it in the stack (the `layers:` entry, the board name, the image file)
  std::vector<LString> packages;   ///< expanded (${arch} ${debian-arch} ${kernel-flavour} substituted), all + by_arch[arch]
  Accounts accounts;
  std::vector<InlineFile> files;
  std::vector<PathMutation> paths;
  std::vector<LString> services;
  std::vector<LString> kernel_cmdline;
};

/// One build: a board, or an arch when the image declares no boards.
struct BuildTarget {
  std::string name;             ///< the board name, or the arch
  std::string arch;             ///< apk arch
  const Board* board = nullptr; ///< points into image.board_defs; nullptr without boards
  std::vector<StackLayer> layers;  ///< bottom first, per the spec's 5 steps
};

/// The package source of an image: "debian" when contents.debian is set, else "apk".
std::string PackageSourceOf(const Image& image);

/// The targets of an image for package source `source` ("debian" or "apk"). Without boards, one
/// target per entry of `archs` (the caller's choice of archs; apk or OCI names); with boards, one
/// per board (archs then only filters: a board whose arch is not in a non-empty `archs` is
/// skipped). Without boards and with `archs` empty, the image's archs are used, else the host's.
/// Errors: kUsage (an unknown arch in `archs`, or no board left after filtering), kConfig (the
/// stack checks above, located), kInternal (a source other than "debian" or "apk").
Result<std::vector<BuildTarget>> PlanTargets(const Image& image, std::string_view source,
                                             const std::vector<std::string>& archs);

/// "amd64" for x86_64, "arm64" for aarch64, "armhf" armv7, "armel" armhf(apk), "i386" x86, ppc64el, s390x, riscv64.
/// OCI names are accepted too (amd64 -> amd64). kConfig for an arch Debian has no name for.
Result<std::string> DebianArchOf(std::string_view apk_arch);

/// Substitutes ${arch}, ${debian-arch} and ${kernel-flavour} in `text` (a package name).
/// kConfig at text.loc for an unknown variable or an unterminated "${".
Result<LString> ExpandPackageName(const LString& text, std::string_view arch,
                                  std::string_view debian_arch, std::string_view kernel_flavour);

}  // namespace cairn::config
