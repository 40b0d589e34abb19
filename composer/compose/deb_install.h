// Installing Debian packages into the tree the way dpkg would, without dpkg
// and without running anything: merged-/usr links first (as Debian >= 12
// roots have them), then each verified .deb's data streamed in install order
// with dpkg's ownership rule (a file in two packages is an error unless the
// later one Replaces the earlier), then the maintainer scripts' common effects
// done natively (ApplyDebianEffects); what else a script would have done is
// reported per package, never run.
//
//   CAIRN_ASSIGN_OR_RETURN(auto installed, InstallDebPackages(opened, tree, reporter));
//   CAIRN_TRY(ApplyDebianEffects(installed, spec, tree, reporter));
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cairn/deb/package.h"
#include "cairn/effects/script_scan.h"
#include "cairn/extract/deb_package.h"
#include "cairn/reporter.h"
#include "cairn/rootfs/tree.h"
#include "compose/dpkg_database.h"

namespace cairn::compose {

/// A verified, opened .deb with its control file parsed.
struct OpenedDeb {
  deb::Package package;  ///< from the .deb's own control file
  /// The open file; empty for a package of a lower layer that a build took
  /// from the layer cache (its control data is all that layers above need).
  std::optional<extract::DebPackage> file;
};

/// Opens `path` and checks that its control file names the expected package.
Result<OpenedDeb> OpenDeb(const std::filesystem::path& path, const std::string& name,
                          const std::string& version);

struct InstalledDebPackage {
  deb::Package package;
  InstalledDeb record;  ///< what dpkg's database records of it (WriteDpkgDatabase)
  std::vector<effects::ScriptActions> scripts;  ///< scanned preinst/postinst
};

/// For stacked layers (see ApkInstallOptions): packages[0, first) are in the
/// tree already and their files may not change; layer_of names each
/// package's layer for messages.
struct DebInstallOptions {
  size_t first = 0;
  size_t end = static_cast<size_t>(-1);  ///< packages[end..] are not installed now
  std::vector<std::string> layer_of;
};

/// Creates the merged-/usr links (bin, sbin, lib and the arch's lib64 ->
/// usr/...) when first == 0, and streams packages[first..] into the tree in
/// order; data members are decompressed ahead on other threads into plain
/// tars under `scratch`. Returns the packages installed.
Result<std::vector<InstalledDebPackage>> InstallDebPackages(const std::vector<OpenedDeb>& packages,
                                                            const std::string& deb_arch,
                                                            rootfs::Tree& tree, int64_t epoch,
                                                            const std::filesystem::path& scratch,
                                                            Reporter& reporter,
                                                            const DebInstallOptions& options = {});

struct DebEffectsSpec {
  std::string apk_arch;            ///< for the ld.so cache
  std::vector<std::string> enable_units;  ///< declared units to enable
  int64_t epoch = 0;
  std::filesystem::path scratch;  ///< host directory for depmod's copy of module trees
};

/// The scripts' effects, natively: base-passwd, base-files, shadow, sysusers.d,
/// the small files postinsts copy or touch (ApplyPostinstFiles: nsswitch.conf,
/// shells, opasswd, environment, faillog, subuid, subgid), the accounts scripts
/// create, alternatives, unit enablement (`systemctl enable` as links only,
/// `deb-systemd-helper enable` with its state), systemd-tmpfiles --create,
/// pam-auth-update, update-rc.d defaults, dash's diversions, ld.so.cache with
/// Debian's ldconfig directories, depmod data for every kernel with modules,
/// an empty machine-id. Logs one "skipped:" line per script with commands left.
Status ApplyDebianEffects(const std::vector<InstalledDebPackage>& installed,
                          const DebEffectsSpec& spec, rootfs::Tree& tree, Reporter& reporter);

}  // namespace cairn::compose
