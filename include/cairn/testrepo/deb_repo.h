// Writing a small Debian archive for tests: the layout apt and cairn read, with
// one component ("main") and one suite, signed with a test key like dak signs.
//
// Packages go to pool/main/<prefix>/<source>/<name>_<version>_<arch>.deb
// (epoch dropped, as in Debian's pool); dists/<suite>/main/binary-<arch>/
// holds Packages and Packages.xz (stanzas sorted by name; "all" packages are
// listed in every architecture's index), dists/<suite>/Release lists their
// sizes and SHA256, and dists/<suite>/InRelease is that Release clearsigned by
// `gpg` in a throwaway GnuPG home. Everything but the signature depends only
// on the spec.
//
//   testrepo::DebRepoSpec spec{.suite = "test", .archs = {"amd64"}, .epoch = 1700000000,
//                              .secret_key = keys / "cairn-test-archive.secret.asc"};
//   spec.packages.push_back({.deb = hello_spec, .arch = "amd64"});
//   CAIRN_TRY(testrepo::WriteDebRepository(spec, scratch / "repo"));
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cairn/result.h"
#include "cairn/testrepo/deb_builder.h"

namespace cairn::testrepo {

/// One package of the archive.
struct DebRepoPackage {
  /// The .deb; its control text must name Package, Version and Architecture.
  DebSpec deb;
  /// The Debian architecture it is built for: one of DebRepoSpec::archs, or
  /// "all". Must equal the control text's Architecture field.
  std::string arch;
};

/// What WriteDebRepository writes.
struct DebRepoSpec {
  std::string suite = "test";                ///< dists/<suite>, Release "Suite:"
  std::string codename;                      ///< Release "Codename:"; "" means the suite
  std::string origin = "cairn";              ///< Release "Origin:"
  std::string label = "cairn test archive";  ///< Release "Label:"
  /// Debian architectures with a binary-<arch> index, e.g. {"amd64", "arm64"};
  /// at least one, never "all".
  std::vector<std::string> archs = {"amd64"};
  /// In any order; each (name, version, arch) at most once.
  std::vector<DebRepoPackage> packages;
  /// Release "Date:", seconds since the epoch (UTC).
  int64_t epoch = 0;
  /// Release "Valid-Until:", when set.
  std::optional<int64_t> valid_until;
  /// An ASCII-armored or binary OpenPGP secret key (with no passphrase) that
  /// clearsigns InRelease; empty writes an unsigned archive (Release only).
  std::filesystem::path secret_key;
};

/// Writes the archive under `root` (created if needed; files of the same name
/// are replaced, others are left alone). kUsage for a bad spec (no or invalid
/// architecture, a package whose control text lacks Package, Version or
/// Architecture or disagrees with `arch`, a duplicate package, or whatever
/// BuildDeb refuses); kNotFound for a missing secret key; kTool when gpg fails
/// (its stderr tail included); kIo for write errors.
Status WriteDebRepository(const DebRepoSpec& spec, const std::filesystem::path& root);

/// The pool path (relative to the archive root) WriteDebRepository gives a
/// package: "pool/main/h/hello/hello_1.0-1_amd64.deb", "pool/main/libf/libfoo/...".
/// `source` is the source package name ("" means `name`); the epoch is dropped.
std::string DebPoolPath(const std::string& name, const std::string& source,
                        const std::string& version, const std::string& arch);

}  // namespace cairn::testrepo
