// StackState: what composing the layers of a stack keeps for the layers above
// (the package database records so far), and its per-layer part as text, so
// a layer restored from the layer cache brings back its records too.
//
//   StackState::Mark before = state.MarkNow();
//   ... compose layer li, which appends to `state` ...
//   std::string text = EncodeLayerState(state, before, newest_build_time);
//   ...next build, on the restored tree of the layers below:
//   CAIRN_ASSIGN_OR_RETURN(int64_t newest, DecodeLayerState(text, "state", state));
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"
#include "compose/apk_install.h"
#include "compose/dpkg_database.h"

namespace cairn::pipeline {

struct StackState {
  compose::InstalledApks apks;                 ///< every APK package so far
  std::vector<compose::InstalledDeb> debs;     ///< every Debian package so far
  std::map<std::string, std::string> stanzas;  ///< dpkg status stanzas written so far
  std::vector<std::string> world;              ///< requests so far (apk world)

  /// How far the state had grown, to tell one layer's additions apart.
  struct Mark {
    size_t apks = 0;
    size_t debs = 0;
    std::set<std::string> scripts;  ///< keys of apks.scripts
    std::set<std::string> stanzas;  ///< keys of stanzas
  };
  Mark MarkNow() const;
};

/// The records added to `state` since `before` (APK packages with every
/// field and file, their scripts; Debian records and status stanzas) and
/// `newest`, the newest package build time at or below the layer, as JSON.
/// The apk world is not included: it follows from the layers' declarations.
std::string EncodeLayerState(const StackState& state, const StackState::Mark& before,
                             int64_t newest);

/// Appends the records EncodeLayerState wrote to `state` and returns
/// `newest`; malformed text is kIntegrity naming `source`.
Result<int64_t> DecodeLayerState(std::string_view text, std::string_view source,
                                 StackState& state);

}  // namespace cairn::pipeline
