// Builds a signed APK v2 repository from package sources (package_source.h,
// synth.h): for each architecture, every package as
// OUT/<arch>/<name>-<version>.apk and OUT/<arch>/APKINDEX.tar.gz, both
// signed `.SIGN.<ALG>.<key name>`, plus the public key as OUT/<key name>.
//
// Deterministic: builddate and every mtime are `epoch`, owners are numeric,
// gzip headers carry no time, and records are sorted by package name, so the
// same sources, key and options give byte-identical files. The repository is
// assembled in a temporary sibling of OUT and renamed over it at the end, so
// OUT is either the old or the complete new repository.
//
//   testrepo::RepoOptions opts{.private_key = "tests/data/keys/cairn-demo.rsa"};
//   CAIRN_TRY(testrepo::BuildRepo(pkgs, opts, "build/demo-repo", reporter));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cairn/testrepo/package_source.h"

namespace cairn::testrepo {

/// The builddate used when neither --epoch nor SOURCE_DATE_EPOCH is given
/// (2023-11-14T22:13:20Z).
inline constexpr int64_t kDefaultEpoch = 1700000000;

struct RepoOptions {
  /// apk architectures, built in this order.
  std::vector<std::string> archs = {"x86_64", "aarch64"};
  /// builddate of every package and mtime of every archive entry.
  int64_t epoch = kDefaultEpoch;
  /// PEM RSA private key (PKCS#1 or PKCS#8).
  std::filesystem::path private_key;
  /// PEM public key copied into the repository; empty = private_key + ".pub".
  std::filesystem::path public_key;
  /// Name readers look the key up by; empty = the public key's file name.
  std::string key_name;
  /// Content of each index's DESCRIPTION entry.
  std::string description = "cairn-mkrepo";
};

/// What BuildRepo wrote, for reports and tests.
struct RepoSummary {
  std::string key_name;
  size_t packages_per_arch = 0;
  uint64_t total_bytes = 0;  ///< .apk and index bytes over all architectures
};

/// Builds the repository described above into `out_dir` (replacing it).
/// Errors: kNotFound for a missing key file, kUsage for an invalid
/// architecture name or one a `program` entry has no generator for, kIo for
/// file errors.
Result<RepoSummary> BuildRepo(const std::vector<PackageSource>& packages,
                              const RepoOptions& options, const std::filesystem::path& out_dir,
                              Reporter& reporter);

}  // namespace cairn::testrepo
