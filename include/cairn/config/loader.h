// Loading a declaration: YAML file -> include merging -> the typed model.
//
// The format is apko's image configuration, read strictly (unknown keys,
// wrong types and YAML syntax errors are located kConfig errors whose
// Render() shows the line and a caret), plus cairn's keys (name,
// description, files, base, layers, boards). `include:` (a path or a list,
// relative to the including file) is followed recursively; cycles are
// errors. LoadImage also loads what the image refers to: its `base:` image
// (recursively), its `layers:` and its `boards:` (and the boards' layers),
// into Image::stack and Image::board_defs. Semantic checks (a package, a
// repository, unique users, partition rules, ...) are a separate step,
// Validate() in config/validate.h; the per-target stack checks (requires,
// conflicts, archs) are in PlanTargets() (config/stack.h).
//
//   CAIRN_ASSIGN_OR_RETURN(config::Image img, config::LoadImage("images/base.yaml"));
//   CAIRN_TRY(config::Validate(img));
#pragma once

#include <filesystem>
#include <optional>

#include "cairn/config/model.h"
#include "cairn/result.h"

namespace cairn::config {

/// Loads `file` and everything it includes into one merged Image, then its
/// base, layers and boards:
///  - Image::stack is the base's stack, the base's own-contents layer (kind
///    "image", when it has packages, accounts, files or paths, or the base's
///    stack is otherwise empty), then the `layers:` in order;
///    base_layer_count is how many entries came from the base.
///  - Image::board_defs are the `boards:` in order, each with its layers in
///    Board::layer_defs; Board::loc and Layer::loc are the entries that named them.
///  - Without package sources of its own, an image takes its base's
///    (repositories, keyring, Debian sources), and its archs if it has none.
/// A name resolves to <project>/<layers|boards|images>/<name>.yaml (or .yml),
/// where <project> is the nearest ancestor of the declaring file with a
/// layers/ or boards/ directory; a value ending in .yaml/.yml or containing
/// '/' is a path relative to the declaring file. Relative repository and
/// keyring paths are made absolute against the directory of the file that
/// declares them; URLs are kept. `name` defaults to the file's stem.
/// Image::included_files lists every file read (includes, base, layers,
/// boards), each once, in the order read.
/// Errors: kNotFound (the file, an include or a referenced path does not
/// exist, located at the entry), kConfig (an unknown name, with a
/// did-you-mean over the files present; a cycle; a base with boards or
/// another package source; everything else), kIo.
Result<Image> LoadImage(const std::filesystem::path& file);

/// Parses one layer file (layers/<name>.yaml); Layer::loc is the file's start.
Result<Layer> LoadLayer(const std::filesystem::path& file);

/// Parses one board file (boards/<name>.yaml) without loading its layers
/// (Board::layer_defs stays empty); Board::loc is the file's start.
Result<Board> LoadBoard(const std::filesystem::path& file);

/// The nearest ancestor directory of `file` (starting with its own directory)
/// that has a layers/ or boards/ subdirectory; nullopt if there is none.
std::optional<std::filesystem::path> FindProjectRoot(const std::filesystem::path& file);

}  // namespace cairn::config
