// The host's apt sources: where cairn finds the Debian archive when a
// declaration names only suites. Reads /etc/apt/sources.list (one-line
// format) and /etc/apt/sources.list.d/*.list and *.sources (deb822), as
// sources.list(5) describes, and answers "which archive URL serves suite X".
//
//   CAIRN_ASSIGN_OR_RETURN(auto sources, deb::ReadHostAptSources("/etc/apt"));
//   auto url = deb::FindArchiveForSuite(sources, "bookworm-security");
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

namespace cairn::deb {

/// One source entry ("deb" types only are used by cairn; "deb-src" is kept
/// so callers can tell them apart).
struct AptSource {
  std::vector<std::string> types;       ///< "deb", "deb-src"
  std::vector<std::string> uris;        ///< archive roots, without trailing '/'
  std::vector<std::string> suites;
  std::vector<std::string> components;
  std::string signed_by;                ///< Signed-By / [signed-by=...], "" if absent
  bool enabled = true;                  ///< deb822 "Enabled: no" -> false
  std::string origin;                   ///< "file:line", for messages
};

/// sources.list one-line format: `deb [opt=val ...] uri suite [component...]`.
/// Comments and blank lines are skipped; malformed lines are kConfig errors.
Result<std::vector<AptSource>> ParseOneLineSources(std::string_view text, std::string_view origin);
/// deb822 .sources format (Types, URIs, Suites, Components, Signed-By, Enabled).
Result<std::vector<AptSource>> ParseDeb822Sources(std::string_view text, std::string_view origin);
/// Every entry under `etc_apt` (sources.list, then sources.list.d/* sorted by
/// name); a missing directory gives an empty list.
Result<std::vector<AptSource>> ReadHostAptSources(const std::filesystem::path& etc_apt);

/// The first enabled "deb" entry's URI that lists `suite`, if any.
std::optional<std::string> FindArchiveForSuite(const std::vector<AptSource>& sources,
                                               std::string_view suite);

}  // namespace cairn::deb
