// Percent-encoding (RFC 3986 section 2.1) of one URL component: package URLs
// in SBOMs, query and form values sent to registries.
//
//   std::string q = "scope=" + cairn::PercentEncode("repository:cairn/demo:pull,push");
#pragma once

#include <string>
#include <string_view>

namespace cairn {

/// Encodes every byte except the unreserved characters [A-Za-z0-9-._~] as
/// "%XX" (uppercase hex), so the result is safe in any URL component.
std::string PercentEncode(std::string_view text);

}  // namespace cairn
