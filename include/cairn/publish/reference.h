// Image references as `docker push` and skopeo spell them:
// [registry/]repository[:tag][@digest].
//
//   CAIRN_ASSIGN_OR_RETURN(auto ref, publish::ParseReference("localhost:5000/demo:1.0"));
//   ref.registry == "localhost:5000", ref.repository == "demo", ref.tag == "1.0"
//
// Docker's defaulting rules apply: a first component with a '.' or ':' or
// equal to "localhost" names the registry, anything else is a Docker Hub
// repository ("alpine" is docker.io/library/alpine). Repository names must be
// lowercase; tags and digests follow the OCI distribution grammar.
#pragma once

#include <string>
#include <string_view>

#include "cairn/result.h"

namespace cairn::publish {

/// The registry Docker Hub references default to.
inline constexpr const char* kDockerHub = "docker.io";

/// A parsed reference; tag and digest are empty when not given.
struct Reference {
  std::string registry;    ///< "docker.io", "localhost:5000", "ghcr.io"
  std::string repository;  ///< "library/alpine", "team/app"
  std::string tag;         ///< "1.0"; empty when none
  std::string digest;      ///< "sha256:<64 hex>"; empty when none

  /// "registry/repository[:tag][@digest]".
  std::string ToString() const;
  /// The host the API is served from ("registry-1.docker.io" for docker.io).
  std::string ApiHost() const;
};

/// Parses `text`; a kUsage error naming the offending part otherwise.
Result<Reference> ParseReference(std::string_view text);

/// A valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool IsValidTag(std::string_view tag);

}  // namespace cairn::publish
