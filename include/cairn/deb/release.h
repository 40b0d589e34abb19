// The Release file of a Debian suite (dists/<suite>/Release, or the signed
// text inside InRelease): what the suite is, when it was made, until when it
// may be trusted, and the size and SHA256 of every index file under it.
//
// Only parse text whose signature has been verified (see deb/inrelease.h):
//   CAIRN_ASSIGN_OR_RETURN(deb::Release rel, deb::ParseRelease(text, "deb.debian.org bookworm"));
//   CAIRN_TRY(deb::CheckReleaseFresh(rel, now, "deb.debian.org bookworm"));
//   const deb::ReleaseEntry* e = rel.FindFile("main/binary-amd64/Packages.xz");
// MD5Sum and SHA1 lists are ignored: like apt, we insist on SHA256.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/deb/control.h"
#include "cairn/result.h"

namespace cairn::deb {

/// One line of the SHA256 list: " <sha256> <size> <path>".
struct ReleaseEntry {
  std::string path;  ///< relative to the suite directory: "main/binary-amd64/Packages.xz"
  uint64_t size = 0;
  std::string sha256;  ///< lowercase hex
};

struct Release {
  std::string origin, label, suite, codename, version;
  int64_t date = 0;                    ///< Date, seconds since the epoch (UTC)
  std::optional<int64_t> valid_until;  ///< Valid-Until, when the suite sets one
  std::vector<std::string> architectures, components;
  bool acquire_by_hash = false;  ///< Acquire-By-Hash: yes
  /// From the SHA256 list, keyed by path (std::less<> so string_views look up).
  std::map<std::string, ReleaseEntry, std::less<>> files;
  /// The whole paragraph, for fields not modelled (Description, Changelogs...).
  Paragraph paragraph;

  /// The SHA256 entry for `path`, or nullptr when the Release does not list it.
  const ReleaseEntry* FindFile(std::string_view path) const;
};

/// Parses verified Release text. Errors are kIntegrity and start with
/// `origin` (and the line, for syntax errors); a Release without a Date or
/// without a SHA256 list is an error.
Result<Release> ParseRelease(std::string_view text, std::string_view origin);

/// Parses a Release date: "Sat, 10 Aug 2024 09:19:43 UTC" (the weekday is
/// optional; the zone may be UTC, GMT, Z or a numeric offset like +0000).
Result<int64_t> ParseReleaseDate(std::string_view text);

/// Formats seconds since the epoch as "Sat, 10 Aug 2024 09:19:43 UTC".
std::string FormatReleaseDate(int64_t unix_time);

/// kIntegrity when the release has a Valid-Until earlier than `now_unix`:
/// expired metadata is how a mirror that stopped updating, or an attacker
/// replaying old (validly signed) indexes, would look. The error's hint says
/// how to accept it for dated snapshot archives.
Status CheckReleaseFresh(const Release& release, int64_t now_unix, std::string_view origin);

}  // namespace cairn::deb
