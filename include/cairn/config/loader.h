// Loading a declaration: YAML file -> include merging -> the typed model.
//
// The format is apko's image configuration, read strictly (unknown keys,
// wrong types and YAML syntax errors are located kConfig errors whose
// Render() shows the line and a caret), plus cairn's keys (name,
// description, files, layers, boards). `include:` (a path or a list,
// relative to the including file) is followed recursively; cycles are
// errors. Semantic checks (a package, a repository, unique users, ...) are a
// separate step, Validate() in config/validate.h, because a layer file alone
// need not be a complete image.
//
//   CAIRN_ASSIGN_OR_RETURN(config::Image img, config::LoadImage("images/base.yaml"));
//   CAIRN_TRY(config::Validate(img));
#pragma once

#include <filesystem>

#include "cairn/config/model.h"
#include "cairn/result.h"

namespace cairn::config {

/// Loads `file` and everything it includes into one merged Image.
/// Relative repository and keyring paths are made absolute against the
/// directory of the file that declares them; URLs are kept. `name` defaults
/// to the file's stem. Errors: kNotFound (the file or an include does not
/// exist, located at the `include:` entry), kConfig (everything else), kIo.
Result<Image> LoadImage(const std::filesystem::path& file);

}  // namespace cairn::config
