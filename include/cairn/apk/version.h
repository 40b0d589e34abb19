// apk-tools version ordering and matching (src/version.c semantics).
//
//   apk::CompareVersions("1.0_rc1", "1.0") < 0
//   apk::VersionSatisfies("1.6.9_p1", VersionOp::kFuzzy, "1.6") == true
// Grammar: number{.number}{letter}{_suffix{number}}{~hash}{-rN}. Versions that
// break the grammar still compare as apk-tools compares them: at the point
// where one version turns invalid it sorts lower ("1.0-" < "1.0"), and two
// versions invalid at the same point are equal. IsValidVersion() tells them
// apart. The test table tests/unit/repo/apk/version_data.txt lists the rules.
#pragma once

#include <string_view>

#include "cairn/apk/package.h"

namespace cairn::apk {

/// Does `version` follow the apk version grammar?
bool IsValidVersion(std::string_view version);
/// <0, 0, >0 like strcmp.
int CompareVersions(std::string_view a, std::string_view b);
/// Does `version` satisfy `op constraint`? kAny is always true; kChecksum is
/// decided by the caller (it needs the package identity), here false. The
/// fuzzy operators (~ >~ <~) treat `constraint` as a prefix: "1.6.9_p1" ~ "1.6".
bool VersionSatisfies(std::string_view version, VersionOp op, std::string_view constraint);

}  // namespace cairn::apk
