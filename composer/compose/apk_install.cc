#include "compose/apk_install.h"

#include "compose/paths.h"

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "cairn/apk/index_text.h"
#include "cairn/interrupt.h"
#include "cairn/parallel.h"

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

// One data entry of a package, decompressed and (for files) spooled into the
// tree's content store on a read-ahead thread, waiting to be placed.
struct StagedEntry {
  rootfs::FsEntry entry;
  std::optional<rootfs::StoredContent> content;
};

// Everything in package `pkg` that does not depend on the tree: inflate,
// datahash check, content spooling and SHA-1. Runs ahead of the installer.
Result<std::vector<StagedEntry>> StagePackage(const OpenedApk& pkg, rootfs::ContentStore& store) {
  std::vector<StagedEntry> out;
  if (!pkg.package)
    return InternalError(fmt::format("package '{}' is not open", Label(pkg.info)));
  Status st = pkg.package->ForEachDataEntry(
      [&](const rootfs::FsEntry& entry, const rootfs::ContentReader* content) -> Status {
        StagedEntry staged{entry, std::nullopt};
        if (content) {
          std::string sha1;
          auto blob = store.Append(*content, entry.size, &sha1);
          if (!blob.ok())
            return std::move(blob).error().Context(fmt::format("storing '{}'", entry.path));
          staged.content = rootfs::StoredContent{*blob, std::move(sha1)};
        }
        out.push_back(std::move(staged));
        return {};
      });
  if (!st.ok()) return std::move(st).error();
  return out;
}

// Places one staged entry of packages[i], refusing to overwrite another
// package's file unless it `replaces` it (or shares its origin).
Status PlaceEntry(const std::vector<OpenedApk>& packages, size_t i, StagedEntry staged,
                  rootfs::Tree& tree, std::vector<Recorded>& recorded,
                  const ApkInstallOptions& options) {
  const apk::PackageInfo& info = packages[i].info;
  const rootfs::FsEntry& entry = staged.entry;
  CAIRN_ASSIGN_OR_RETURN(std::string final_path, FinalPath(tree, entry.path));
  const rootfs::Node* existing = tree.Find(final_path);
  if (existing && entry.type != FileType::kDirectory) {
    if (existing->meta.type == FileType::kDirectory) {
      return Error(Code::kUnsatisfiable,
                   fmt::format("'{}' installs a file at '/{}', where a directory exists",
                               Label(info), final_path));
    }
    if (existing->owner >= 0 && static_cast<size_t>(existing->owner) < options.first) {
      const apk::PackageInfo& owner = packages[existing->owner].info;
      auto layer = [&](size_t k) {
        return k < options.layer_of.size() ? fmt::format(" of layer '{}'", options.layer_of[k])
                                           : std::string();
      };
      return Error(Code::kUnsatisfiable,
                   fmt::format("'{}'{} would change '/{}', which '{}'{} installed", Label(info),
                               layer(i), final_path, Label(owner), layer(existing->owner)))
          .Hint("a layer never changes what a lower layer installed");
    }
    if (existing->owner >= 0 && existing->owner != static_cast<int>(i) &&
        !MayOverwrite(info, packages[existing->owner].info)) {
      const apk::PackageInfo& owner = packages[existing->owner].info;
      return Error(Code::kUnsatisfiable, fmt::format("file '/{}' is in both '{}' and '{}'",
                                                     final_path, Label(owner), Label(info)))
          .Hint(fmt::format("'{}' would need 'replaces = {}' to take it over", info.name,
                            owner.name));
    }
  }
  bool directory = entry.type == FileType::kDirectory;
  if (staged.content) {
    CAIRN_TRY(tree.AddStored(std::move(staged.entry), std::move(*staged.content),
                             static_cast<int>(i)));
  } else {
    CAIRN_TRY(tree.Add(std::move(staged.entry), nullptr, static_cast<int>(i)));
  }
  recorded.push_back({std::move(final_path), directory});
  return {};
}

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
                                         rootfs::Tree& tree, Reporter& reporter,
                                         const ApkInstallOptions& options) {
  const size_t end = std::min(options.end, packages.size());
  const size_t first = std::min(options.first, end);
  InstalledApks result;
  std::vector<std::vector<Recorded>> recorded(packages.size());
  std::vector<std::string> skipped_scripts;
  // Placing is sequential (install order decides who owns a path); inflating
  // and spooling the next packages is not, so it runs on the other cores.
  rootfs::ContentStore& store = tree.store();
  ReadAhead<std::vector<StagedEntry>> ahead(
      end - first, /*window=*/DefaultWorkers(),
      [&](size_t k) { return StagePackage(packages[first + k], store); });
  for (size_t i = first; i < end; ++i) {
    CAIRN_TRY(CheckInterrupted());
    const OpenedApk& pkg = packages[i];
    reporter.Progress(i - first + 1, end - first, "installing",
                      pkg.info.name + " " + pkg.info.version);
    auto staged = ahead.Take(i - first);
    Status st = staged.ok() ? Status{} : Status(std::move(staged).error());
    for (size_t e = 0; st.ok() && e < staged->size(); ++e)
      st = PlaceEntry(packages, i, std::move((*staged)[e]), tree, recorded[i], options);
    if (!st.ok()) return std::move(st).error().Context(fmt::format("installing '{}'", Label(pkg.info)));

    std::vector<std::string> actions;
    for (const auto& [name, text] : pkg.package->scripts()) {
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
  for (size_t i = first; i < end; ++i) {
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
