#include "compose/deb_install.h"

#include <algorithm>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "cairn/effects/alternatives.h"
#include "cairn/effects/base_files.h"
#include "cairn/effects/deb_accounts.h"
#include "cairn/effects/depmod.h"
#include "cairn/effects/ldconfig.h"
#include "cairn/effects/postinst_files.h"
#include "cairn/effects/systemd_units.h"
#include "cairn/effects/tmpfiles.h"
#include "cairn/effects/pam_auth_update.h"
#include "cairn/effects/update_rc_d.h"
#include "cairn/interrupt.h"
#include "compose/deb_unpack_ahead.h"
#include "compose/paths.h"

namespace cairn::compose {
namespace {

using rootfs::FileType;

std::string Label(const deb::Package& p) { return p.name + " " + p.version; }

bool Replaces(const deb::Package& newer, const deb::Package& older) {
  for (const auto& alternatives : newer.replaces)
    for (const auto& r : alternatives)
      if (r.name == older.name) return true;
  return false;
}

// mmdebstrap's merged-usr hook: these exist as links before anything is unpacked.
std::vector<std::string> MergedUsrDirs(const std::string& deb_arch) {
  std::vector<std::string> dirs = {"bin", "sbin", "lib"};
  if (deb_arch == "amd64") dirs.push_back("lib64");
  return dirs;
}

// Debian's glibc has slibdir /lib/<triplet> and libdir /usr/lib/<triplet>, so ldconfig's
// built-in directories are those two, then /lib and /usr/lib (`ldconfig -v` on bookworm
// lists them as "<builtin>"). /lib64, which holds only the loader's link, is never scanned:
// the cache has one path for ld-linux-x86-64.so.2, as ldconfig writes it.
std::vector<std::string> DebianLdconfigDirs(const std::string& apk_arch) {
  static const std::pair<const char*, const char*> kTriplets[] = {
      {"x86_64", "x86_64-linux-gnu"},       {"aarch64", "aarch64-linux-gnu"},
      {"armv7", "arm-linux-gnueabihf"},     {"x86", "i386-linux-gnu"},
      {"ppc64le", "powerpc64le-linux-gnu"}, {"s390x", "s390x-linux-gnu"},
      {"riscv64", "riscv64-linux-gnu"},
  };
  for (const auto& [arch, triplet] : kTriplets)
    if (apk_arch == arch)
      return {fmt::format("/lib/{}", triplet), fmt::format("/usr/lib/{}", triplet), "/lib",
              "/usr/lib"};
  return {};  // the upstream set
}

// dpkg-divert --add, as dpkg records it in var/lib/dpkg/diversions.
struct DpkgDiversion {
  std::string file, divert_to, package;
};

// dash's postinst claims /bin/sh and its manual page through a shell function
// whose arguments are variables, so the scan cannot read them; this is what
// it does on a first install (bookworm's dash 0.5.12).
std::vector<DpkgDiversion> DashDiversions(const std::string& postinst) {
  if (postinst.find("claim_binsh") == std::string::npos) return {};
  return {{"/bin/sh", "/bin/sh.distrib", "dash"},
          {"/usr/share/man/man1/sh.1.gz", "/usr/share/man/man1/sh.distrib.1.gz", "dash"}};
}

// var/lib/dpkg/diversions: three lines per diversion, the newest first, as
// dpkg-divert writes it; only written when there is one.
Status WriteDiversions(const std::vector<DpkgDiversion>& added, rootfs::Tree& tree,
                       int64_t mtime) {
  if (added.empty()) return {};
  std::string text;
  for (auto it = added.rbegin(); it != added.rend(); ++it)
    text += it->file + "\n" + it->divert_to + "\n" + it->package + "\n";
  return tree.AddFile("var/lib/dpkg/diversions", text, 0644, 0, 0, mtime);
}

}  // namespace

Result<OpenedDeb> OpenDeb(const std::filesystem::path& path, const std::string& name,
                          const std::string& version) {
  CAIRN_ASSIGN_OR_RETURN(auto file, extract::DebPackage::Open(path));
  CAIRN_ASSIGN_OR_RETURN(auto paragraphs, deb::ParseControlFile(file.control_text(), path.string()));
  if (paragraphs.size() != 1)
    return IntegrityError(fmt::format("package '{}': control file has {} paragraphs (expected 1)",
                                      path.string(), paragraphs.size()));
  CAIRN_ASSIGN_OR_RETURN(auto pkg, deb::PackageFromParagraph(paragraphs[0], path.string()));
  if (pkg.name != name || pkg.version != version)
    return IntegrityError(fmt::format("package file '{}' holds '{} {}' but the index promised "
                                      "'{} {}'",
                                      path.string(), pkg.name, pkg.version, name, version));
  return OpenedDeb{std::move(pkg), std::move(file)};
}

Result<std::vector<InstalledDebPackage>> InstallDebPackages(const std::vector<OpenedDeb>& packages,
                                                            const std::string& deb_arch,
                                                            rootfs::Tree& tree, int64_t epoch,
                                                            const std::filesystem::path& scratch,
                                                            Reporter& reporter,
                                                            const DebInstallOptions& options) {
  const size_t end = std::min(options.end, packages.size());
  const size_t first = std::min(options.first, end);
  if (first == 0) {
    for (const std::string& d : MergedUsrDirs(deb_arch)) {
      CAIRN_TRY(tree.AddDirectory("usr/" + d, 0755, 0, 0, epoch));
      CAIRN_TRY(tree.AddSymlink(d, "usr/" + d, epoch));
    }
  }
  auto layer = [&](size_t k) {
    return k < options.layer_of.size() ? fmt::format(" of layer '{}'", options.layer_of[k])
                                       : std::string();
  };
  std::vector<InstalledDebPackage> out;
  out.reserve(end - first);
  unsigned cores = std::thread::hardware_concurrency();
  DebUnpackAhead ahead(packages, scratch, cores == 0 ? 1 : cores, first, end);
  for (size_t i = first; i < end; ++i) {
    CAIRN_TRY(CheckInterrupted());
    const OpenedDeb& pkg = packages[i];
    reporter.Progress(i - first + 1, end - first, "installing", Label(pkg.package));
    if (!pkg.file)
      return InternalError(fmt::format("package '{}' is not open", Label(pkg.package)));
    InstalledDebPackage rec;
    rec.package = pkg.package;
    rec.record.control_text = pkg.file->control_text();
    rec.record.md5sums_text = pkg.file->md5sums_text();
    rec.record.conffiles_text = pkg.file->conffiles_text();
    rec.record.control_members = pkg.file->control_files();  // the database skips control etc.
    auto tar = ahead.Get(i);
    if (!tar.ok())
      return std::move(tar).error().Context(fmt::format("installing '{}'", Label(pkg.package)));
    Status st = pkg.file->ForEachDecompressedEntry(
        *tar,
        [&](const rootfs::FsEntry& entry, const rootfs::ContentReader* content) -> Status {
          rec.record.paths.push_back(entry.path);
          CAIRN_ASSIGN_OR_RETURN(std::string final_path, FinalPath(tree, entry.path));
          const rootfs::Node* existing = tree.Find(final_path);
          if (existing && entry.type != FileType::kDirectory) {
            if (existing->meta.type == FileType::kDirectory)
              return Error(Code::kUnsatisfiable,
                           fmt::format("'{}' installs a file at '/{}', where a directory exists",
                                       Label(pkg.package), final_path));
            if (existing->owner >= 0 && static_cast<size_t>(existing->owner) < first)
              return Error(Code::kUnsatisfiable,
                           fmt::format("'{}'{} would change '/{}', which '{}'{} installed",
                                       Label(pkg.package), layer(i), final_path,
                                       Label(packages[existing->owner].package),
                                       layer(existing->owner)))
                  .Hint("a layer never changes what a lower layer installed");
            if (existing->owner >= 0 && existing->owner != static_cast<int>(i) &&
                !Replaces(pkg.package, packages[existing->owner].package)) {
              return Error(Code::kUnsatisfiable,
                           fmt::format("file '/{}' is in both '{}' and '{}'", final_path,
                                       Label(packages[existing->owner].package),
                                       Label(pkg.package)))
                  .Hint(fmt::format("dpkg allows this only when '{}' Replaces '{}'",
                                    pkg.package.name, packages[existing->owner].package.name));
            }
          }
          // A directory the merged-/usr links already provide stays a link.
          if (entry.type == FileType::kDirectory && existing &&
              existing->meta.type == FileType::kSymlink)
            return {};
          return tree.Add(entry, content, static_cast<int>(i));
        });
    if (!st.ok()) return std::move(st).error().Context(fmt::format("installing '{}'", Label(pkg.package)));
    ahead.Release(i);
    for (const char* script : {"preinst", "postinst"}) {
      auto it = pkg.file->scripts().find(script);
      if (it != pkg.file->scripts().end())
        rec.scripts.push_back(effects::ScanMaintainerScript(pkg.package.name, script, it->second));
    }
    out.push_back(std::move(rec));
  }
  return out;
}

Status ApplyDebianEffects(const std::vector<InstalledDebPackage>& installed,
                          const DebEffectsSpec& spec, rootfs::Tree& tree, Reporter& reporter) {
  const int64_t t = spec.epoch;
  CAIRN_TRY(effects::ApplyBasePasswd(tree, t));
  CAIRN_TRY(effects::ApplyBaseFiles(tree, t));
  CAIRN_TRY(effects::ApplyShadow(tree, t));
  std::vector<std::string> log;
  CAIRN_TRY(effects::ApplySysusers(tree, t, &log));
  std::set<std::string> names;
  for (const auto& pkg : installed) names.insert(pkg.package.name);
  CAIRN_TRY(effects::ApplyPostinstFiles(tree, names, t, &log));

  // `systemd-tmpfiles --create NAME.conf...` as the scripts call it (after
  // sysusers: the configs name its groups). systemd's postinst makes
  // var/log/journal first, which a 'z' line then adjusts.
  std::vector<std::string> tmpfiles;
  for (const auto& pkg : installed)
    for (const auto& s : pkg.scripts)
      for (const auto& run : s.tools)
        if (run.tool == "systemd-tmpfiles")
          for (const auto& a : run.args)
            if (a.size() > 5 && a.compare(a.size() - 5, 5, ".conf") == 0) tmpfiles.push_back(a);
  if (!tmpfiles.empty()) {
    if (names.count("systemd") && !tree.Find("var/log/journal"))
      CAIRN_TRY(tree.AddDirectory("var/log/journal", 0755, 0, 0, t));
    CAIRN_TRY(effects::ApplyTmpfiles(tree, tmpfiles, t, &log));
  }

  std::vector<effects::AlternativeInstall> alternatives;
  std::vector<std::string> units = spec.enable_units;
  // `systemctl enable` (systemd's own postinst enables getty@tty1, remote-fs.target and
  // systemd-pstore this way) makes the links only: no deb-systemd-helper state.
  std::vector<std::string> systemctl_units;
  std::vector<DpkgDiversion> diversions;
  for (const auto& pkg : installed) {
    if (pkg.package.name == "dash") {
      auto it = pkg.record.control_members.find("postinst");
      if (it != pkg.record.control_members.end())
        for (auto& d : DashDiversions(it->second)) diversions.push_back(std::move(d));
    }
    for (const auto& s : pkg.scripts) {
      for (const auto& d : s.diversions) {
        // Only what the scan read literally; a renamed file is not moved here.
        if (!d.add || d.local || d.file.empty()) continue;
        diversions.push_back({d.file, d.divert_to.empty() ? d.file + ".distrib" : d.divert_to,
                              d.package.empty() ? pkg.package.name : d.package});
      }
      for (const auto& a : s.accounts) {
        std::string source = fmt::format("package {} ({})", pkg.package.name, s.script);
        if (a.kind == effects::AccountAction::Kind::kGroup) {
          CAIRN_TRY(effects::AddSystemGroup(tree, a.name, a.gid, source, t));
          continue;
        }
        effects::SystemAccountRequest req;
        req.source = source;
        if (a.kind == effects::AccountAction::Kind::kMembership) {
          req.user = a.name;
          req.extra_groups = {a.group};
        } else {
          req.user = a.name;
          req.group = a.group.empty() && !a.create_group ? "nogroup" : a.group;
          req.create_group = a.create_group;
          if (!a.home.empty()) req.home = a.home;
          if (!a.shell.empty()) req.shell = a.shell;
          req.gecos = a.gecos;
          req.create_home = a.create_home;
          req.uid = a.uid;
          req.gid = a.gid;
          req.extra_groups = a.extra_groups;
        }
        CAIRN_TRY(effects::AddSystemAccount(tree, req, t));
      }
      for (const auto& alt : s.alternatives) alternatives.push_back(alt);
      for (const auto& u : s.units) {
        // On a first install only the "enable" branch of debhelper's block runs.
        if (u.verb != "enable" || u.user) continue;
        auto& into = u.tool == "systemctl" ? systemctl_units : units;
        into.insert(into.end(), u.units.begin(), u.units.end());
      }
      // Commands this function does natively below are not "skipped".
      effects::ScriptActions shown = s;
      std::erase_if(shown.unrecognised, [&](const std::string& cmd) {
        return (cmd == "pam-auth-update" && pkg.package.name == "libpam-runtime") ||
               (cmd == "update-rc.d" && pkg.package.name == "util-linux-extra");
      });
      std::string skipped = effects::SkippedCommandsLine(shown);
      if (!skipped.empty()) reporter.Verbose(skipped);
    }
  }
  CAIRN_TRY(effects::ApplyAlternatives(tree, alternatives, t, &log));
  CAIRN_TRY(WriteDiversions(diversions, tree, t));
  if (names.count("libpam-runtime")) CAIRN_TRY(effects::ApplyPamAuthUpdate(tree, t, &log));
  // `update-rc.d NAME defaults` on a first install; the scan lists such calls
  // as unrecognised, so the known one is named here: util-linux-extra's
  // postinst, guarded by [ -x /etc/init.d/hwclock.sh ].
  std::vector<std::string> rc_scripts;
  if (names.count("util-linux-extra")) {
    const rootfs::Node* n = tree.Find("etc/init.d/hwclock.sh");
    if (n && (n->meta.mode & 0111)) rc_scripts.push_back("hwclock.sh");
  }
  CAIRN_TRY(effects::UpdateRcDefaults(tree, rc_scripts, t, &log));
  for (const std::string& unit : systemctl_units) {
    // Scripts write `systemctl enable UNIT || true`: a unit that is not there is skipped.
    Status st = effects::EnableUnits(tree, {unit}, &log, t);
    if (!st.ok() && st.error().code() != Code::kNotFound) return st;
    if (!st.ok()) log.push_back(fmt::format("systemctl: {}; skipped", st.error().message()));
  }
  if (!units.empty()) CAIRN_TRY(effects::DebSystemdHelperEnable(tree, units, &log, t));
  effects::LdSoCacheOptions ld;
  ld.arch = spec.apk_arch;
  ld.trusted_dirs = DebianLdconfigDirs(spec.apk_arch);
  CAIRN_TRY(effects::WriteLdSoCache(tree, t, ld, reporter));
  // What linux-image's postinst (/etc/kernel/postinst.d) does with depmod.
  if (!spec.scratch.empty()) CAIRN_TRY(effects::RunDepmod(tree, spec.scratch, t, &log));
  CAIRN_TRY(effects::ResetMachineId(tree, t));
  for (const auto& line : log) reporter.Debug(line);
  return {};
}

}  // namespace cairn::compose
