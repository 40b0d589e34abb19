// BuildOptions::targets: keep only the named build targets of an image, so
// one matrix entry (`cairn build --matrix-entry N`) builds one board or arch.
#pragma once

#include <string>
#include <vector>

#include "cairn/config/stack.h"
#include "cairn/result.h"

namespace cairn::pipeline {

/// The targets among `all` named in `names` (in `all`'s order); `all` itself when `names`
/// is empty. kUsage for a name that is not a target, listing the targets there are.
Result<std::vector<config::BuildTarget>> SelectTargets(std::vector<config::BuildTarget> all,
                                                       const std::vector<std::string>& names,
                                                       const std::string& image_name);

}  // namespace cairn::pipeline
