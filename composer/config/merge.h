// Private: include merging (apko ImageConfiguration.MergeInto, extended).
//
// MergeImages(lower, upper) returns `upper` laid over `lower`, where upper is
// the including file and lower what it included. docs/config-reference.md
// ("Includes") lists the rule for every key.
#pragma once

#include "cairn/config/model.h"

namespace cairn::config::internal {

/// `upper` wins for scalars and map keys; lists are concatenated lower-first.
Image MergeImages(Image lower, Image upper);

}  // namespace cairn::config::internal
