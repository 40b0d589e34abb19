// The APK resolver: world atoms + repository indexes -> the package set
// apk-tools would install, in dependency order.
//
//   solve::ApkResolveRequest req{world, "aarch64"};
//   CAIRN_ASSIGN_OR_RETURN(auto res, solve::ResolveApk(repos, req));
//   for (const apk::PackageInfo* p : res.install_order) ...
// Semantics follow apk-tools (src/solver.c): highest version unless
// constrained, versioned provides are selectable providers, unversioned
// provides are virtual (auto-selected only with a provider priority `k:`),
// `!` conflicts, install_if, tagged repositories (`name@tag`), lock pins.
// Failures are Code::kUnsatisfiable with an explanation in apk-tools' style
// ("unable to select packages:" ...). The returned pointers point into the
// `repos` argument, which must outlive the resolution.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cairn/apk/package.h"
#include "cairn/result.h"

namespace cairn::solve {

/// One repository's packages; a non-empty tag makes it a tagged repository
/// whose packages are only chosen for world atoms naming `@tag` (and their
/// dependencies).
struct ApkRepository {
  std::string url;
  std::string tag;
  std::vector<apk::PackageInfo> packages;
};

struct ApkResolveRequest {
  std::vector<apk::Dependency> world;
  std::string arch;  ///< packages of other arches (except "noarch") are ignored
  /// name -> exact version from a lock; must be honoured.
  std::map<std::string, std::string> pinned;
  /// Optional label per world atom for messages, e.g. "images/x.yaml:5:7".
  std::vector<std::string> world_sources;
};

struct ApkResolution {
  /// Every selected package, dependencies before dependents.
  std::vector<const apk::PackageInfo*> install_order;
};

/// Resolves `request` against `repos` (earlier repositories win ties).
Result<ApkResolution> ResolveApk(const std::vector<ApkRepository>& repos,
                                 const ApkResolveRequest& request);

}  // namespace cairn::solve
