// WWW-Authenticate challenges (RFC 7235) as registries send them with a 401:
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull"
//   Basic realm="Registry Realm"
//
//   CAIRN_ASSIGN_OR_RETURN(auto challenges, publish::ParseWwwAuthenticate(header));
//   if (challenges[0].scheme == "bearer") realm = challenges[0].Param("realm");
// Several challenges may share one header value, separated by commas.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

namespace cairn::publish {

/// One challenge: a scheme and its parameters.
struct AuthChallenge {
  std::string scheme;                         ///< lowercased: "bearer", "basic"
  std::map<std::string, std::string> params;  ///< names lowercased, values unquoted
  /// The parameter's value, or "" when absent.
  std::string Param(const std::string& name) const;
};

/// Parses one header value into its challenges (at least one); kIo error
/// quoting the header when it does not follow the grammar.
Result<std::vector<AuthChallenge>> ParseWwwAuthenticate(std::string_view value);

}  // namespace cairn::publish
