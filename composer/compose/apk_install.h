// Installing APK packages into the tree, the way apk-tools would but without
// running anything: packages are opened and verified (signature, C:, size),
// their data streamed into the tree in install order (datahash checked), file
// conflicts checked against `replaces` and `origin`, and the maintainer
// scripts kept as data for lib/apk/db/scripts.tar, never executed.
//
//   CAIRN_ASSIGN_OR_RETURN(auto opened, OpenApkPackages(files, keyring, untrusted));
//   int64_t epoch = NewestBuildTime(opened);
//   CAIRN_ASSIGN_OR_RETURN(auto installed, InstallApkPackages(opened, tree, reporter));
//   CAIRN_TRY(WriteApkDatabase(installed, db_spec, tree));
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cairn/apk/installed_db.h"
#include "cairn/apk/package.h"
#include "cairn/extract/apk_package.h"
#include "cairn/extract/keyring.h"
#include "cairn/reporter.h"
#include "cairn/rootfs/tree.h"

namespace cairn::compose {

/// A package file to install, with what the index or lock promised about it.
struct ApkFile {
  std::filesystem::path path;
  apk::PackageInfo expected;  ///< name, version, checksum (C:), size, repository
};

/// A verified, opened package: metadata from its own .PKGINFO plus the
/// index identity (checksum, size, repository).
struct OpenedApk {
  apk::PackageInfo info;
  /// The open file; empty for a package of a lower layer that a build took
  /// from the layer cache (its metadata is all that layers above need).
  std::optional<extract::ApkPackage> package;
};

/// Pairs a package opened (and so verified) by the caller with what the index
/// promised: its .PKGINFO must name the expected package.
Result<OpenedApk> AdoptApkPackage(extract::ApkPackage package, const apk::PackageInfo& expected);

/// Opens and verifies each file; its .PKGINFO must name the expected package.
Result<std::vector<OpenedApk>> OpenApkPackages(const std::vector<ApkFile>& files,
                                               const extract::Keyring& keyring,
                                               bool allow_untrusted);

/// The newest .PKGINFO builddate (apko's default epoch), 0 if none.
int64_t NewestBuildTime(const std::vector<OpenedApk>& packages);

struct InstalledApks {
  std::vector<apk::InstalledPackage> packages;  ///< install order, with final file lists
  /// scripts.tar entries: "<name>-<version>.<Q1>.<action>" -> script text.
  std::map<std::string, std::string> scripts;
};

/// For stacked layers: which packages are already in the tree and which layer
/// each package belongs to.
struct ApkInstallOptions {
  /// packages[0, first) were installed by lower layers: only the rest are
  /// installed, and a file of a lower layer's package may not change at all.
  size_t first = 0;
  /// packages[end..] belong to higher layers and are not installed now.
  size_t end = static_cast<size_t>(-1);
  /// Per package, the cairn layer that installs it (messages); may be empty.
  std::vector<std::string> layer_of;
};

/// Streams packages[first..] into `tree` in order. A path written by two
/// packages is an error unless the later one `replaces` the earlier or both
/// share an origin (apk-tools' rules), and always when the earlier one
/// belongs to a lower layer. The result lists only the packages installed.
Result<InstalledApks> InstallApkPackages(const std::vector<OpenedApk>& packages,
                                         rootfs::Tree& tree, Reporter& reporter,
                                         const ApkInstallOptions& options = {});

/// What apk's own files in the image say.
struct ApkDatabaseSpec {
  std::string arch;
  std::vector<std::string> world;         ///< atoms as declared
  std::vector<std::string> repositories;  ///< runtime repository lines
  std::map<std::string, std::string> keys;  ///< key file name -> PEM text (etc/apk/keys)
  int64_t epoch = 0;
};

/// Writes etc/apk/{world,repositories,arch,keys/*} and lib/apk/db/{installed,
/// triggers,scripts.tar,lock} (lib/apk follows a lib -> usr/lib link).
Status WriteApkDatabase(const InstalledApks& installed, const ApkDatabaseSpec& spec,
                        rootfs::Tree& tree);

}  // namespace cairn::compose
