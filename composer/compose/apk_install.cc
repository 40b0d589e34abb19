#include "compose/apk_install.h"

#include "compose/paths.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "cairn/apk/index_text.h"
#include "cairn/interrupt.h"

namespace cairn::compose {
namespace {

using rootfs::FileType;

std::string Label(const apk::PackageInfo& p) { return p.name + "-" + p.version; }

bool MayOverwrite(const apk::PackageInfo& newer, const apk::PackageInfo& older) {
  if (!newer.origin.empty() && newer.origin == older.origin) return true;
  return std::any_of(newer.replaces.begin(), newer.replaces.end(),
                     [&](const apk::Dependency& d) { return d.name == older.name; });
}

struct Recorded {
  std::string path;
  bool directory;
};

}  // namespace

Result<OpenedApk> AdoptApkPackage(extract::ApkPackage pkg, const apk::PackageInfo& expected) {
  auto info = apk::ParsePkgInfo(pkg.pkginfo_text());
  if (!info.ok())
    return std::move(info).error().Context(
        fmt::format("reading .PKGINFO of '{}'", pkg.path().string()));
  if (info->name != expected.name || info->version != expected.version)
    return IntegrityError(fmt::format("package file '{}' holds '{}' but the index promised '{}'",
                                      pkg.path().string(), Label(*info), Label(expected)));
  info->checksum = pkg.checksum();
  info->size = expected.size;
  info->repository = expected.repository;
  if (info->arch.empty()) info->arch = expected.arch;
  return OpenedApk{std::move(*info), std::move(pkg)};
}

Result<std::vector<OpenedApk>> OpenApkPackages(const std::vector<ApkFile>& files,
                                               const extract::Keyring& keyring,
                                               bool allow_untrusted) {
  std::vector<OpenedApk> out;
  out.reserve(files.size());
  for (const auto& f : files) {
    CAIRN_TRY(CheckInterrupted());
    CAIRN_ASSIGN_OR_RETURN(
        auto pkg, extract::ApkPackage::Open(f.path, keyring, {f.expected.checksum, f.expected.size},
                                            allow_untrusted));
    CAIRN_ASSIGN_OR_RETURN(auto opened, AdoptApkPackage(std::move(pkg), f.expected));
    out.push_back(std::move(opened));
  }
  return out;
}

int64_t NewestBuildTime(const std::vector<OpenedApk>& packages) {
  int64_t newest = 0;
  for (const auto& p : packages) newest = std::max(newest, p.info.build_time);
  return newest;
}

Result<InstalledApks> InstallApkPackages(const std::vector<OpenedApk>& packages,
                                         rootfs::Tree& tree, Reporter& reporter) {
  InstalledApks result;
  std::vector<std::vector<Recorded>> recorded(packages.size());
  std::vector<std::string> skipped_scripts;
  for (size_t i = 0; i < packages.size(); ++i) {
    CAIRN_TRY(CheckInterrupted());
    const OpenedApk& pkg = packages[i];
    reporter.Progress(i + 1, packages.size(), "installing", pkg.info.name + " " + pkg.info.version);
    auto& rec = recorded[i];
    Status st = pkg.package.ForEachDataEntry(
        [&](const rootfs::FsEntry& entry, const rootfs::ContentReader* content) -> Status {
          CAIRN_ASSIGN_OR_RETURN(std::string final_path, FinalPath(tree, entry.path));
          const rootfs::Node* existing = tree.Find(final_path);
          if (existing && entry.type != FileType::kDirectory) {
            bool existing_dir = existing->meta.type == FileType::kDirectory;
            if (existing_dir) {
              return Error(Code::kUnsatisfiable,
                           fmt::format("'{}' installs a file at '/{}', where a directory exists",
                                       Label(pkg.info), final_path));
            }
            if (existing->owner >= 0 && existing->owner != static_cast<int>(i) &&
                !MayOverwrite(pkg.info, packages[existing->owner].info)) {
              return Error(Code::kUnsatisfiable,
                           fmt::format("file '/{}' is in both '{}' and '{}'", final_path,
                                       Label(packages[existing->owner].info), Label(pkg.info)))
                  .Hint(fmt::format("'{}' would need 'replaces = {}' to take it over",
                                    pkg.info.name, packages[existing->owner].info.name));
            }
          }
          CAIRN_TRY(tree.Add(entry, content, static_cast<int>(i)));
          rec.push_back({final_path, entry.type == FileType::kDirectory});
          return {};
        });
    if (!st.ok()) return std::move(st).error().Context(fmt::format("installing '{}'", Label(pkg.info)));

    std::vector<std::string> actions;
    for (const auto& [name, text] : pkg.package.scripts()) {
      std::string action = name.substr(name.find_first_not_of('.'));
      actions.push_back(action);
      result.scripts[fmt::format("{}-{}.{}.{}", pkg.info.name, pkg.info.version, pkg.info.checksum,
                                 action)] = text;
    }
    if (!actions.empty()) {
      std::string list = fmt::format("{}", fmt::join(actions, ", "));
      reporter.Verbose(fmt::format("not run: {} scripts of '{}'", list, Label(pkg.info)));
      skipped_scripts.push_back(fmt::format("{} ({})", pkg.info.name, list));
    }
  }
  if (!skipped_scripts.empty())
    reporter.Info(fmt::format("package scripts recorded, not run: {}", fmt::join(skipped_scripts, ", ")));

  // File lists: directories a package shipped, and the files it still owns
  // after later packages took some over.
  for (size_t i = 0; i < packages.size(); ++i) {
    apk::InstalledPackage ip;
    ip.info = packages[i].info;
    std::set<std::string> seen;
    for (const auto& r : recorded[i]) {
      if (!seen.insert(r.path).second) continue;
      const rootfs::Node* n = tree.Find(r.path);
      if (!n) continue;
      if (!r.directory && n->owner != static_cast<int>(i)) continue;
      apk::InstalledFile f;
      f.path = r.path;
      f.type = n->meta.type;
      f.uid = n->meta.uid;
      f.gid = n->meta.gid;
      f.mode = n->meta.mode;
      f.sha1 = n->sha1;
      ip.files.push_back(std::move(f));
    }
    result.packages.push_back(std::move(ip));
  }
  return result;
}

}  // namespace cairn::compose
