// Stacked resolution: layers are resolved bottom-up, and a lower layer is
// locked before the next is solved. Layer i is solved as the requests of
// layers 0..i together with every package of layers 0..i-1 pinned to its
// locked version, so the result can only add packages; what it adds is
// layer i's share. A layer that could only be installed by changing a lower
// layer's package is an error naming the package and both layers.
//
//   CAIRN_ASSIGN_OR_RETURN(auto locked, pipeline::ResolveStack(layers, solver));
//   for (const lock::LockedLayer& l : locked) ...   // l.packages: what l added
//
// The solver is the package source's (libsolv for Debian, the apk resolver).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cairn/config/model.h"
#include "cairn/lock/lock.h"
#include "cairn/result.h"

namespace cairn::pipeline {

/// One layer's package requests.
struct LayerRequests {
  std::string name;
  SourceLoc loc;  ///< where the layer was put in the stack
  std::vector<config::LString> packages;
};

/// Solves `requests` (all layers so far) with `pinned` held at their exact
/// versions (empty for the bottom layer, and for the diagnostic solve);
/// returns every package to install, in install order.
using StackSolver = std::function<Result<std::vector<lock::LockedPackage>>(
    const std::vector<config::LString>& requests, const std::vector<lock::LockedPackage>& pinned)>;

/// Resolves each layer on everything below it. kUnsatisfiable (with the
/// solver's explanation, or naming the lower package a layer would change).
Result<std::vector<lock::LockedLayer>> ResolveStack(const std::vector<LayerRequests>& layers,
                                                    const StackSolver& solve);

}  // namespace cairn::pipeline
