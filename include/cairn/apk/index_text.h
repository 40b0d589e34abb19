// APKINDEX text records and .PKGINFO files <-> PackageInfo.
//
//   CAIRN_ASSIGN_OR_RETURN(auto pkgs, apk::ParseApkIndexText(text, "main/x86_64/APKINDEX"));
//   std::string record = apk::FormatIndexRecord(pkgs[0]);   // "C:...\nP:...\n...\n"
// The parser accepts every field letter apk-tools writes (C P V A S I T U L o
// m t c k D p i, plus r q from the installed database) and ignores unknown
// ones, as apk-tools does. Malformed records fail with Code::kIntegrity and a
// "<source>:<line>: " prefix.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/apk/package.h"
#include "cairn/result.h"

namespace cairn::apk {

/// Parses the text of an APKINDEX (records separated by blank lines).
/// `source_name` prefixes error messages ("<source>:<line>: ...").
Result<std::vector<PackageInfo>> ParseApkIndexText(std::string_view text,
                                                   std::string_view source_name);

/// Applies one `X:value` field to `pkg` (shared with the installed-db reader).
/// Unknown letters are ignored; returns an error message without location.
Result<void> ApplyIndexField(char letter, std::string_view value, PackageInfo* pkg);

/// One record in apk-tools' order (C P V A S I T U L o m t c k D p i), each
/// line ending in '\n', without the blank separator line.
std::string FormatIndexRecord(const PackageInfo& pkg);

/// Parses a .PKGINFO (`key = value` lines, '#' comments, repeatable keys).
/// Errors are prefixed ".PKGINFO:<line>: ".
Result<PackageInfo> ParsePkgInfo(std::string_view pkginfo_text);

}  // namespace cairn::apk
