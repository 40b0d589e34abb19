// apk-tools version ordering and matching (src/version.c semantics).
//
//   apk::CompareVersions("1.0_rc1", "1.0") < 0
//   apk::VersionSatisfies("1.6.9_p1", VersionOp::kFuzzy, "1.6") == true
// Invalid versions compare as apk-tools compares them (they sort after valid
// tokens); IsValidVersion() tells them apart.
#pragma once

#include <string_view>

#include "cairn/apk/package.h"

namespace cairn::apk {

bool IsValidVersion(std::string_view version);
/// <0, 0, >0 like strcmp.
int CompareVersions(std::string_view a, std::string_view b);
/// Does `version` satisfy `op constraint`? kAny is always true; kChecksum is
/// decided by the caller (it needs the package identity), here false.
bool VersionSatisfies(std::string_view version, VersionOp op, std::string_view constraint);

}  // namespace cairn::apk
