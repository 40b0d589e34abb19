// The inputs of an APK build, fetched and verified: the keyring and, per
// architecture, the repositories' indexes. Everything passes through the
// Fetcher (so it is cached for --offline) and is verified before use.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cairn/config/model.h"
#include "cairn/extract/keyring.h"
#include "cairn/fetch/fetcher.h"
#include "cairn/lock/lock.h"
#include "cairn/reporter.h"
#include "cairn/solve/apk_resolver.h"

namespace cairn::pipeline {

/// A repository line ("@tag url" or "url") split into its parts.
struct RepositoryRef {
  std::string url;
  std::string tag;
  SourceLoc loc;
};
std::vector<RepositoryRef> BuildRepositories(const config::Image& image);
/// Lines for etc/apk/repositories: network `repositories` (host paths and
/// file:// are left out) + every `runtime_repositories` entry.
std::vector<std::string> RuntimeRepositories(const config::Image& image);

struct LoadedKeyring {
  extract::Keyring keyring;
  std::map<std::string, std::string> pem;  ///< name -> key file text (for etc/apk/keys)
  std::vector<lock::LockedKey> locked;
};
Result<LoadedKeyring> LoadKeyring(const config::Image& image, fetch::Fetcher& fetcher);

/// "<repo>/<arch>/APKINDEX.tar.gz" and "<repo>/<arch>/<name>-<version>.apk".
std::string IndexUrl(const std::string& repo, const std::string& arch);
std::string PackageUrl(const std::string& repo, const std::string& arch,
                       const apk::PackageInfo& package);

/// Fetches, verifies and parses every repository's index for `arch`.
Result<std::vector<solve::ApkRepository>> LoadRepositories(const std::vector<RepositoryRef>& repos,
                                                           const std::string& arch,
                                                           const extract::Keyring& keyring,
                                                           bool allow_untrusted,
                                                           fetch::Fetcher& fetcher,
                                                           Reporter& reporter);

/// A verification error about the fetcher's temporary file `temp`, reworded to name
/// `url` instead: the temporary file is gone by the time the user reads it.
Error NameSource(Error error, const std::filesystem::path& temp, const std::string& url);

/// The cache key of a package: by arch and control hash, so a re-signed or
/// rebuilt package with the same name and version never hits a stale entry.
Result<std::string> PackageCacheKey(const std::string& arch, const apk::PackageInfo& package);

}  // namespace cairn::pipeline
