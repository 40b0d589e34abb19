// Semantic checks on a loaded image declaration (after includes are merged).
//
// LoadImage() only checks each file's shape; Validate() checks that the
// merged result can be built: it names packages and a repository, accounts
// are unique and complete, run-as refers to something that will exist, and
// in-image paths are absolute and free of '..'. Each error points at the
// YAML node it is about (kConfig).
//
//   CAIRN_ASSIGN_OR_RETURN(auto img, config::LoadImage(path));
//   CAIRN_TRY(config::Validate(img));
#pragma once

#include "cairn/config/model.h"
#include "cairn/result.h"

namespace cairn::config {

/// Ok, or the first problem found (contents, accounts, entrypoint, paths, files, in that order).
Status Validate(const Image& image);

}  // namespace cairn::config
