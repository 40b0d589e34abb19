// The inputs of a Debian build, fetched and verified: for each suite the
// InRelease (gpgv against the declared keyrings, Valid-Until honoured), then
// each component's Packages index for one architecture (size and SHA256 from
// the verified Release). Everything passes through the Fetcher, so --offline
// builds from the cache; indexes are cached by their SHA256.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cairn/config/model.h"
#include "cairn/deb/package.h"
#include "cairn/fetch/fetcher.h"
#include "cairn/lock/lock.h"
#include "cairn/reporter.h"

namespace cairn::pipeline {

/// One suite to read: where it is, which components, whom to trust.
struct DebSuiteRef {
  std::string url;    ///< archive root, no trailing '/'
  std::string suite;
  std::vector<std::string> components;
  std::vector<std::filesystem::path> keyrings;
  SourceLoc loc;      ///< the suite's YAML node
  bool allow_expired = false;

  /// "<url>/dists/<suite>": how the lock and messages name the suite.
  std::string SuiteUrl() const { return url + "/dists/" + suite; }
};

/// Expands `contents.debian.sources` into suites. A source without `url`
/// takes $CAIRN_DEBIAN_ARCHIVE ($CAIRN_DEBIAN_SECURITY_ARCHIVE for a suite
/// ending in "-security"), else the host's apt sources under `etc_apt`.
Result<std::vector<DebSuiteRef>> PlanDebianSuites(const config::Image& image,
                                                  const std::filesystem::path& etc_apt);

/// The keyring files the suites use, by path and SHA-256, for the lock.
Result<std::vector<lock::LockedKey>> LockDebianKeyrings(const std::vector<DebSuiteRef>& suites);

/// The Debian name of an apk architecture (x86_64 -> amd64, aarch64 -> arm64, ...).
Result<std::string> DebianArch(const std::string& apk_arch);

/// Fetches, verifies and parses every suite's indexes for `deb_arch` (plus
/// "all" where the archive publishes it separately). `now` is the time
/// Valid-Until is checked against.
Result<std::vector<deb::Package>> LoadDebianIndexes(const std::vector<DebSuiteRef>& suites,
                                                    const std::string& deb_arch, int64_t now,
                                                    fetch::Fetcher& fetcher, Reporter& reporter);

/// Where a package's .deb is: "<archive>/<Filename>".
std::string DebPackageUrl(const deb::Package& package);

/// Cache key of a .deb: by SHA-256, so the cache is content-addressed.
std::string DebCacheKey(const std::string& sha256);

}  // namespace cairn::pipeline
