// The Debian resolver: requested packages + Packages stanzas -> the set apt
// would install into an empty root, in dpkg's configure order.
//
//   CAIRN_ASSIGN_OR_RETURN(auto res, solve::ResolveDeb(universe, requests, {"amd64"}));
//   for (const deb::Package* p : res.packages) ...
// libsolv solves in Debian semantics; the highest version wins unless pinned,
// and the first installable alternative of `a | b` wins as in apt. Failures:
// kUnsatisfiable ("unable to select packages:", one block per problem, at the
// first request involved), kNotFound (unknown name), kConfig (bad ':arch').
// The returned pointers point into `universe`, which must outlive the result.
#pragma once

#include <string>
#include <vector>

#include "cairn/deb/package.h"
#include "cairn/error.h"
#include "cairn/result.h"

namespace cairn::solve {

/// One requested package: `name[:arch] [(op version)]`.
struct DebRequest {
  /// A package name, optionally qualified with one of the configured
  /// architectures ("libc6:i386"); a virtual name with one provider selects it.
  std::string name;
  deb::RelationOp op = deb::RelationOp::kAny;
  std::string version;  ///< "" for kAny; kEqual pins a version
  SourceLoc loc;        ///< the YAML node, attached to errors about this request
};

struct DebResolveOptions {
  /// The native architecture ("amd64", "arm64"); "all" packages count as native.
  std::string architecture;
  /// dpkg --add-architecture: packages of these may be installed too, by
  /// arch-qualified requests or through Multi-Arch.
  std::vector<std::string> foreign_architectures;
  /// Install Recommends (apt's default; mmdebstrap turns it off).
  bool with_recommends = false;
  /// Add every Essential: yes package of the native architecture (or "all"),
  /// as mmdebstrap's essential variant does.
  bool with_essential = true;
  /// Add every Priority: required package of the native architecture (or "all").
  bool with_required = false;
};

struct DebResolution {
  /// Every selected package in install order: Pre-Depends and Depends before
  /// their dependents where the graph allows; a dependency cycle is broken
  /// deterministically (at a Depends edge before a Pre-Depends edge); ties go
  /// by name, then architecture, then version.
  std::vector<const deb::Package*> packages;
};

/// Resolves `requests` against `universe` (packages of architectures other
/// than the native one, "all" and the foreign ones are ignored; a stanza
/// repeated with the same name, version and architecture counts once, the
/// first one wins).
Result<DebResolution> ResolveDeb(const std::vector<deb::Package>& universe,
                                 const std::vector<DebRequest>& requests,
                                 const DebResolveOptions& options);

}  // namespace cairn::solve
