// Private to sbom: package URLs (https://github.com/package-url/purl-spec).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::sbom::internal {

/// "pkg:<type>/[<namespace>/]<name>@<version>?k=v&..." with every component
/// percent-encoded (cairn/percent_encode.h); qualifiers must already be sorted by key and empty values are dropped.
std::string Purl(std::string_view type, std::string_view ns, std::string_view name,
                 std::string_view version,
                 const std::vector<std::pair<std::string, std::string>>& qualifiers);

}  // namespace cairn::sbom::internal
