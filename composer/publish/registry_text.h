// Private to publish: small text helpers the registry client shares.
#pragma once

#include <string>
#include <string_view>

#include "cairn/publish/http.h"

namespace cairn::publish::internal {

/// The registry's error JSON ({"errors":[{"code","message"}]}) as
/// "CODE: message; CODE: message", or the start of a plain-text body, or "".
std::string RegistryErrorText(const HttpResponse& response);

/// "HTTP 404 Not Found" style status text.
std::string StatusText(int status);

}  // namespace cairn::publish::internal
