// Parsers for what a root filesystem says about its OS (private to
// output/disk): os-release and the dpkg and apk package databases, as pure
// functions from text, tested without libguestfs.
//
//   auto fields = internal::ParseOsRelease(text);           // fields["PRETTY_NAME"]
//   auto dpkg = internal::ParseDpkgStatus(text, "/var/lib/dpkg/status");
//   for (auto& p : dpkg.problems) report.notes.push_back(p);
//
// The database parsers skip a record they cannot use and say why in
// `problems` ("origin:line: ..."), so one damaged record does not hide the
// other packages of an image being inspected.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/disk/inspect.h"

namespace cairn::disk::internal {

/// os-release(5): KEY=value lines, values optionally in shell quotes
/// ("..." with \\ \" \$ \` escapes, or '...'); comments and malformed lines skipped.
std::map<std::string, std::string> ParseOsRelease(std::string_view text);

/// Packages of one database, sorted by name then architecture, and what was skipped.
struct ParsedPackages {
  std::vector<InstalledPackage> packages;
  std::vector<std::string> problems;
};

/// /var/lib/dpkg/status (deb822 paragraphs): Package, Version, Architecture of
/// every paragraph whose Status is "install ok installed" or "hold ok
/// installed" (other states, such as removed packages that left config files
/// or half-installed ones, are not installed).
ParsedPackages ParseDpkgStatus(std::string_view text, std::string_view origin);

/// /lib/apk/db/installed: records of "X:value" lines separated by blank
/// lines; P: name, V: version, A: arch.
ParsedPackages ParseApkInstalled(std::string_view text, std::string_view origin);

}  // namespace cairn::disk::internal
