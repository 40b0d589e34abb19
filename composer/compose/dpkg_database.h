// WriteDpkgDatabase: dpkg's own state under var/lib/dpkg, written natively,
// so `dpkg -l`, `dpkg -S`, `dpkg-query -W`, `dpkg --verify` and scanners
// (Trivy, Grype, syft) read the image as if dpkg 1.21 (bookworm) had
// installed and configured every package. The output was compared byte for
// byte with what dpkg itself writes: field order and normalisation of the
// status stanzas, the .list/.md5sums/.conffiles files, the triggers files.
//
//   std::vector<InstalledDeb> installed = ...;   // one per .deb, in install order
//   CAIRN_TRY(WriteDpkgDatabase(installed, {"amd64", {}, epoch}, tree));
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cairn/result.h"
#include "cairn/rootfs/tree.h"

namespace cairn::compose {

/// One unpacked .deb, as its archive had it.
struct InstalledDeb {
  /// The .deb's `control` file, verbatim.
  std::string control_text;
  /// Every path the data member held, in archive order, in tree form
  /// ("usr/bin/x", never "" and never with a leading '/'), directories
  /// included. These are the archive's paths, not resolved ones: on a
  /// usr-merged root coreutils still lists "bin/ls", as dpkg records it.
  std::vector<std::string> paths;
  /// The `md5sums` member, or "" if the package had none (dpkg then makes
  /// one from the unpacked regular files, and so does WriteDpkgDatabase).
  std::string md5sums_text;
  /// The `conffiles` member, or "".
  std::string conffiles_text;
  /// Other control members to keep as info/<package>.<name>: preinst,
  /// postinst, prerm, postrm, config, templates, triggers, shlibs, symbols...
  /// (extract::DebPackage::control_files() as it is: its `control`,
  /// `md5sums` and `conffiles` entries are skipped, having fields above).
  std::map<std::string, std::string> control_members;
};

/// What the database says about the system as a whole.
struct DpkgDatabaseSpec {
  std::string architecture;                        ///< dpkg's native architecture, "amd64"
  std::vector<std::string> foreign_architectures;  ///< as `dpkg --add-architecture` adds them
  int64_t epoch = 0;                               ///< mtime of every file written
  /// Stacked layers: installed[0, first_new) were written by a lower layer.
  /// Their info/ files are left alone and their status stanzas are taken
  /// from `stanzas` (the conffile hashes as shipped, not as effects left them).
  size_t first_new = 0;
  /// "<name>:<arch>" -> status stanza; read for lower packages, filled for new ones.
  std::map<std::string, std::string>* stanzas = nullptr;
};

/// Writes var/lib/dpkg: `status` (every package "install ok installed",
/// stanzas sorted and fields ordered and normalised as dpkg writes them,
/// Conffiles hashed from the files in `tree`), info/<pkg>[:arch].{list,
/// md5sums,conffiles,<member>}, info/format, `arch`, triggers/{File,
/// Unincorp,Lock,<name>} from the packages' `interest` directives, the lock
/// files and the updates/alternatives/parts directories; all root:root with
/// mtime spec.epoch. Nothing is marked pending: cairn applies the effects of
/// scripts and triggers itself. Call it once every package is unpacked and
/// before anything edits a conffile: dpkg records the shipped content's MD5,
/// and `tree` is where it is read. Malformed control data is kIntegrity; two
/// packages that dpkg could not have installed together, or a package for an
/// architecture not in `spec`, are kUnsatisfiable.
Status WriteDpkgDatabase(const std::vector<InstalledDeb>& installed, const DpkgDatabaseSpec& spec,
                         rootfs::Tree& tree);

}  // namespace cairn::compose
