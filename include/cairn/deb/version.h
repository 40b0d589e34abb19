// Debian version ordering, exactly as dpkg orders versions
// (lib/dpkg/version.c: epoch, then upstream and revision compared with
// verrevcmp, where '~' sorts before everything, even the end of the string).
#pragma once

#include <string>
#include <string_view>

#include "cairn/result.h"

namespace cairn::deb {

/// [epoch:]upstream_version[-debian_revision]
struct Version {
  unsigned long epoch = 0;
  std::string upstream;
  std::string revision;  ///< "" when there is no '-'

  /// Parses with dpkg's rules (parseversion); errors say what is wrong.
  static Result<Version> Parse(std::string_view text);
  std::string Format() const;
};

/// <0, 0, >0 like strcmp, by dpkg's ordering.
int CompareVersions(const Version& a, const Version& b);
/// Convenience: parses both (an unparsable version compares as its raw string
/// would under verrevcmp with epoch 0, as dpkg does for broken input).
int CompareVersions(std::string_view a, std::string_view b);

}  // namespace cairn::deb
