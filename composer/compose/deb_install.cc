#include "compose/deb_install.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "cairn/effects/alternatives.h"
#include "cairn/effects/base_files.h"
#include "cairn/effects/deb_accounts.h"
#include "cairn/effects/ldconfig.h"
#include "cairn/effects/systemd_units.h"
#include "cairn/interrupt.h"
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
                                                            Reporter& reporter) {
  for (const std::string& d : MergedUsrDirs(deb_arch)) {
    CAIRN_TRY(tree.AddDirectory("usr/" + d, 0755, 0, 0, epoch));
    CAIRN_TRY(tree.AddSymlink(d, "usr/" + d, epoch));
  }
  std::vector<InstalledDebPackage> out;
  out.reserve(packages.size());
  for (size_t i = 0; i < packages.size(); ++i) {
    CAIRN_TRY(CheckInterrupted());
    const OpenedDeb& pkg = packages[i];
    reporter.Progress(i + 1, packages.size(), "installing", Label(pkg.package));
    InstalledDebPackage rec;
    rec.package = pkg.package;
    rec.control_text = pkg.file.control_text();
    rec.md5sums_text = pkg.file.md5sums_text();
    rec.conffiles_text = pkg.file.conffiles_text();
    rec.control_files = pkg.file.control_files();
    Status st = pkg.file.ForEachDataEntry(
        [&](const rootfs::FsEntry& entry, const rootfs::ContentReader* content) -> Status {
          rec.paths.push_back(entry.path);
          CAIRN_ASSIGN_OR_RETURN(std::string final_path, FinalPath(tree, entry.path));
          const rootfs::Node* existing = tree.Find(final_path);
          if (existing && entry.type != FileType::kDirectory) {
            if (existing->meta.type == FileType::kDirectory)
              return Error(Code::kUnsatisfiable,
                           fmt::format("'{}' installs a file at '/{}', where a directory exists",
                                       Label(pkg.package), final_path));
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
    for (const char* script : {"preinst", "postinst"}) {
      auto it = pkg.file.scripts().find(script);
      if (it != pkg.file.scripts().end())
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

  std::vector<effects::AlternativeInstall> alternatives;
  std::vector<std::string> units = spec.enable_units;
  for (const auto& pkg : installed) {
    for (const auto& s : pkg.scripts) {
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
        if (u.verb == "enable" && !u.user) units.insert(units.end(), u.units.begin(), u.units.end());
      }
      std::string skipped = effects::SkippedCommandsLine(s);
      if (!skipped.empty()) reporter.Verbose(skipped);
    }
  }
  CAIRN_TRY(effects::ApplyAlternatives(tree, alternatives, t, &log));
  if (!units.empty()) CAIRN_TRY(effects::DebSystemdHelperEnable(tree, units, &log, t));
  effects::LdSoCacheOptions ld;
  ld.arch = spec.apk_arch;
  CAIRN_TRY(effects::WriteLdSoCache(tree, t, ld, reporter));
  CAIRN_TRY(effects::ResetMachineId(tree, t));
  for (const auto& line : log) reporter.Debug(line);
  return {};
}

}  // namespace cairn::compose
