#include "pipeline/compose_image.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "cairn/digest.h"
#include "cairn/effects/busybox.h"
#include "cairn/effects/container_dirs.h"
#include "cairn/effects/ldconfig.h"
#include "cairn/file_util.h"
#include "cairn/interrupt.h"
#include "cairn/oci/layout.h"
#include "cairn/parallel.h"
#include "cairn/rootfs/tree.h"
#include "cairn/sbom/spdx.h"
#include "compose/accounts.h"
#include "compose/apk_install.h"
#include "compose/deb_install.h"
#include "compose/dpkg_database.h"
#include "pipeline/deb_sources.h"
#include "compose/paths.h"

namespace cairn::pipeline {
namespace fs = std::filesystem;

namespace {

// Fetches and opens one APK package, verified before it enters the cache.
Result<compose::OpenedApk> FetchPackage(const ComposeRequest& req, const ArchPackages& arch,
                                        const lock::LockedPackage& p) {
  apk::PackageInfo info = lock::ToPackageInfo(p);
  CAIRN_ASSIGN_OR_RETURN(std::string key, PackageCacheKey(arch.arch, info));
  auto open = [&](const fs::path& file) -> Result<extract::ApkPackage> {
    auto opened = extract::ApkPackage::Open(file, req.keys->keyring, {p.checksum, p.size},
                                            req.allow_untrusted);
    if (!opened.ok()) return NameSource(std::move(opened).error(), file, p.url);
    return opened;
  };
  std::optional<extract::ApkPackage> kept;
  auto verify = [&](const fs::path& file) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto opened, open(file));
    // A corrupt data member must never enter the cache (Open() checks only
    // the control member; extraction would find it after caching).
    auto hashed = opened.VerifyDataHash();
    if (!hashed.ok()) return std::move(hashed).error().Context(fmt::format("'{}'", p.url));
    return {};
  };
  // A cached entry passed `verify` when it entered; its data hash is
  // checked again while it is extracted, so here the signed control
  // member is enough, and that open is kept for composing.
  auto verify_cached = [&](const fs::path& file) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto opened, open(file));
    kept.emplace(std::move(opened));
    return {};
  };
  auto path = req.fetcher->Fetch({.url = p.url, .cache_key = key, .immutable = true,
                                  .expected_size = p.size, .verify = verify,
                                  .verify_cached = verify_cached});
  if (!path.ok())
    return std::move(path).error().Context(fmt::format("fetching '{}-{}'", p.name, p.version));
  if (!kept || kept->path() != *path) {  // downloaded now: verified under a temporary name
    CAIRN_ASSIGN_OR_RETURN(auto opened, open(*path));
    kept.emplace(std::move(opened));
  }
  auto adopted = compose::AdoptApkPackage(std::move(*kept), info);
  if (!adopted.ok()) return NameSource(std::move(adopted).error(), *path, p.url);
  return std::move(*adopted);
}

// Fetches one .deb by its SHA256 from the verified index, opened (its
// ar/control structure checked) before it enters the cache.
Result<compose::OpenedDeb> FetchDeb(const ComposeRequest& req, const lock::LockedPackage& p) {
  if (p.sha256.size() != 64)
    return IntegrityError(fmt::format("the lock has no sha256 for '{} {}'", p.name, p.version));
  auto verify = [&](const fs::path& file) -> Status {
    auto opened = compose::OpenDeb(file, p.name, p.version);
    if (!opened.ok()) return NameSource(std::move(opened).error(), file, p.url);
    return {};
  };
  auto path = req.fetcher->Fetch({.url = p.url, .cache_key = DebCacheKey(p.sha256),
                                  .immutable = true, .expected_size = p.size,
                                  .expected_sha256 = p.sha256, .verify = verify,
                                  .verify_cached = verify});
  if (!path.ok())
    return std::move(path).error().Context(fmt::format("fetching '{} {}'", p.name, p.version));
  return compose::OpenDeb(*path, p.name, p.version);
}

// Fetch: every package of one arch into the cache, verified before entry,
// and opened once (the open that verified a cached entry is the one
// composed). Packages are independent here and the fetcher is safe across
// threads, so downloads and signature checks run on every core.
template <typename Opened>
Result<std::vector<Opened>> FetchAll(
    const ArchPackages& arch, Reporter& reporter,
    const std::function<Result<Opened>(const lock::LockedPackage&)>& fetch_one) {
  std::vector<std::optional<Opened>> slots(arch.packages.size());
  std::atomic<size_t> done{0};
  CAIRN_TRY(ParallelFor(arch.packages.size(), DefaultWorkers(), [&](size_t i) -> Status {
    CAIRN_TRY(CheckInterrupted());
    const lock::LockedPackage& p = arch.packages[i];
    CAIRN_ASSIGN_OR_RETURN(slots[i], fetch_one(p));
    reporter.Progress(++done, arch.packages.size(), "fetched", p.name + " " + p.version);
    return {};
  }));
  std::vector<Opened> out;
  out.reserve(slots.size());
  for (auto& s : slots) out.push_back(std::move(*s));
  return out;
}

std::map<std::string, std::string> ParseOsRelease(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq == std::string::npos || line[0] == '#') continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    out[line.substr(0, eq)] = v;
  }
  return out;
}

sbom::OsRelease OsReleaseOf(const rootfs::Tree& tree) {
  sbom::OsRelease os;
  auto text = tree.ReadFile("etc/os-release");
  if (!text.ok()) text = tree.ReadFile("usr/lib/os-release");
  if (!text.ok()) return os;
  auto kv = ParseOsRelease(*text);
  os.id = kv["ID"];
  os.name = kv["NAME"];
  os.version_id = kv["VERSION_ID"];
  os.pretty_name = kv["PRETTY_NAME"];
  return os;
}

// apko's shell splitting of entrypoint.command: whitespace-separated words,
// with single and double quotes grouping.
std::vector<std::string> SplitCommand(const std::string& cmd) {
  std::vector<std::string> out;
  std::string cur;
  bool have = false;
  char quote = 0;
  for (char c : cmd) {
    if (quote) {
      if (c == quote) quote = 0; else cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      have = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (have || !cur.empty()) out.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += c;
    }
  }
  if (have || !cur.empty()) out.push_back(cur);
  return out;
}

oci::ImageConfigSpec ConfigSpec(const config::Image& image, const std::string& arch, int64_t epoch) {
  oci::ImageConfigSpec spec;
  spec.arch = arch;
  spec.epoch = epoch;
  std::map<std::string, std::string> env = {
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}};
  for (const auto& [k, v] : image.environment) env[k] = v;
  for (const auto& [k, v] : env) spec.env.push_back(k + "=" + v);
  if (!image.entrypoint.command.empty()) {
    spec.entrypoint = SplitCommand(image.entrypoint.command);
  } else if (!image.entrypoint.shell_fragment.empty()) {
    spec.entrypoint = {"/bin/sh", "-c", image.entrypoint.shell_fragment};
  }
  if (!image.cmd.empty()) spec.cmd = SplitCommand(image.cmd);
  spec.work_dir = image.work_dir;
  spec.user = image.accounts.run_as.value;
  spec.labels = image.annotations;
  spec.annotations = image.annotations;
  spec.stop_signal = image.stop_signal;
  spec.volumes = image.volumes;
  spec.history_comment = fmt::format("cairn image '{}'", image.name.value);
  return spec;
}

struct ArchBuild {
  std::string arch;
  std::vector<compose::OpenedApk> opened;
  std::vector<compose::OpenedDeb> debs;  ///< Debian images
  std::string deb_arch;
};

// Extract + Compose for Debian: packages, then the scripts' effects and dpkg's database.
Status ComposeDebianTree(const ComposeRequest& req, const ArchBuild& ab, int64_t epoch,
                         rootfs::Tree& tree, Reporter& reporter) {
  const config::Image& image = *req.image;
  CAIRN_ASSIGN_OR_RETURN(auto installed,
                         compose::InstallDebPackages(ab.debs, ab.deb_arch, tree, epoch,
                                                     req.staging / ("unpack-" + ab.arch),
                                                     reporter));
  std::vector<compose::InstalledDeb> db;
  for (const auto& p : installed) db.push_back(p.record);
  compose::DpkgDatabaseSpec spec;
  spec.architecture = ab.deb_arch;
  spec.epoch = epoch;
  CAIRN_TRY(compose::WriteDpkgDatabase(db, spec, tree));
  // After the database: dpkg records conffiles as shipped, before any effect edits one.
  compose::DebEffectsSpec fx;
  fx.apk_arch = ab.arch;
  fx.epoch = epoch;
  fx.scratch = req.staging / ("depmod-" + ab.arch);
  CAIRN_TRY(compose::ApplyDebianEffects(installed, fx, tree, reporter));
  CAIRN_TRY(compose::ApplyAccounts(image.accounts, tree, epoch));
  CAIRN_TRY(compose::ApplyInlineFiles(image.files, tree, epoch));
  CAIRN_TRY(compose::ApplyPathMutations(image.paths, tree, epoch));
  tree.ClampMtimes(epoch);
  return {};
}

// The newest package build time of a Debian set: dpkg-deb stamps the ar members with it.
int64_t NewestDebBuildTime(const std::vector<compose::OpenedDeb>& debs) {
  int64_t newest = 0;
  for (const auto& d : debs) newest = std::max(newest, d.file.data_member().mtime);
  return newest;
}

// Extract + Compose: the whole root filesystem of one arch.
Status ComposeTree(const ComposeRequest& req, const ArchBuild& ab, int64_t epoch,
                   rootfs::Tree& tree, Reporter& reporter) {
  const config::Image& image = *req.image;
  CAIRN_TRY(effects::EnsureContainerDirs(tree, epoch));
  CAIRN_ASSIGN_OR_RETURN(auto installed, compose::InstallApkPackages(ab.opened, tree, reporter));
  CAIRN_TRY(compose::ApplyAccounts(image.accounts, tree, epoch));
  CAIRN_TRY(compose::ApplyInlineFiles(image.files, tree, epoch));
  CAIRN_TRY(compose::ApplyPathMutations(image.paths, tree, epoch));
  std::vector<std::string> owners;
  for (const auto& o : ab.opened) owners.push_back(o.info.name);
  CAIRN_TRY(effects::InstallBusyboxLinks(tree, epoch, reporter, owners));
  effects::LdSoCacheOptions ld;
  ld.arch = ab.arch;
  CAIRN_TRY(effects::WriteLdSoCache(tree, epoch, ld, reporter));
  compose::ApkDatabaseSpec db;
  db.arch = ab.arch;
  for (const auto& p : image.contents.packages) db.world.push_back(p.value);
  db.repositories = RuntimeRepositories(image);
  db.keys = req.keys->pem;
  db.epoch = epoch;
  CAIRN_TRY(compose::WriteApkDatabase(installed, db, tree));
  tree.ClampMtimes(epoch);
  return {};
}

}  // namespace

Result<ComposeResult> ComposeAndEmit(const ComposeRequest& req, Reporter& reporter) {
  const config::Image& image = *req.image;
  ComposeResult result;

  // Fetch and verify everything first: the default epoch needs every package.
  std::vector<ArchBuild> builds;
  for (const auto& arch : req.archs) {
    Step step(reporter, fmt::format("fetching packages for {}", arch.arch));
    if (req.debian) {
      CAIRN_ASSIGN_OR_RETURN(std::string deb_arch, DebianArch(arch.arch));
      CAIRN_ASSIGN_OR_RETURN(
          auto debs, FetchAll<compose::OpenedDeb>(arch, reporter, [&](const auto& p) {
            return FetchDeb(req, p);
          }));
      builds.push_back({arch.arch, {}, std::move(debs), deb_arch});
    } else {
      CAIRN_ASSIGN_OR_RETURN(
          auto opened, FetchAll<compose::OpenedApk>(arch, reporter, [&](const auto& p) {
            return FetchPackage(req, arch, p);
          }));
      builds.push_back({arch.arch, std::move(opened), {}, ""});
    }
    step.Done();
  }
  int64_t epoch = 0;
  if (req.epoch) {
    epoch = *req.epoch;
  } else {
    for (const auto& b : builds) {
      epoch = std::max(epoch, compose::NewestBuildTime(b.opened));
      epoch = std::max(epoch, NewestDebBuildTime(b.debs));
    }
  }
  result.epoch = epoch;

  fs::path oci_dir = req.staging / "oci";
  fs::path sbom_dir = req.staging / "sbom";
  CAIRN_TRY(MakeDirs(sbom_dir));
  CAIRN_ASSIGN_OR_RETURN(auto layout, oci::OciLayoutWriter::Open(oci_dir));
  std::vector<oci::ImageResult> images;
  for (const auto& b : builds) {
    Step step(reporter, fmt::format("composing {} for {}", image.name.value, b.arch));
    CAIRN_ASSIGN_OR_RETURN(auto store, rootfs::ContentStore::Create(req.staging));
    rootfs::Tree tree(*store);
    auto compose_start = std::chrono::steady_clock::now();
    auto composed = req.debian ? ComposeDebianTree(req, b, epoch, tree, reporter)
                               : ComposeTree(req, b, epoch, tree, reporter);
    std::chrono::duration<double> compose_seconds =
        std::chrono::steady_clock::now() - compose_start;
    if (!composed.ok())
      return std::move(composed).error().Context(fmt::format("composing for {}", b.arch));

    oci::LayerOptions lo;
    lo.gzip_level = req.compression_level;
    CAIRN_ASSIGN_OR_RETURN(auto layer, layout.AddLayer(tree, lo));
    // One line for bench/run.sh: extraction+compose, then where the layer's time went.
    reporter.Verbose(fmt::format(
        "layer {} ({} bytes, {} uncompressed; {:.3f}s extracting and composing, {:.3f}s layer: "
        "{:.3f}s compressing, {:.3f}s hashing, {:.3f}s writing)",
        layer.digest, layer.size, layer.uncompressed_size, compose_seconds.count(),
        layer.timings.total_seconds, layer.timings.compress_seconds, layer.timings.hash_seconds,
        layer.timings.write_seconds));
    CAIRN_ASSIGN_OR_RETURN(auto img, layout.AddImage(ConfigSpec(image, b.arch, epoch), {layer}));

    sbom::ImageSbomInput si;
    si.image_name = image.name.value;
    si.arch = b.arch;
    si.epoch = epoch;
    si.manifest_digest = img.manifest.digest;
    si.config_digest = img.config.digest;
    si.layer_digests = {layer.digest};
    si.os = OsReleaseOf(tree);
    si.tool_version = Version();
    for (const auto& o : b.opened) si.packages.push_back({o.info, "", ""});
    // FetchDebs opened the locked packages in order, so the lock entry of
    // debs[i] is packages[i].
    const auto& locked = req.archs[&b - builds.data()].packages;
    for (size_t i = 0; i < b.debs.size(); ++i) {
      const compose::OpenedDeb& d = b.debs[i];
      apk::PackageInfo info;
      info.name = d.package.name;
      info.version = d.package.version;
      info.arch = d.package.architecture;
      info.description = d.package.description;
      info.url = d.package.homepage;
      info.maintainer = d.package.maintainer;
      info.origin = d.package.source;
      info.datahash = locked[i].sha256;  // the .deb's SHA256, reported as the SBOM checksum
      si.packages.push_back(
          {info, "", sbom::DebPurl(info.name, info.version, info.arch, si.os)});
    }
    std::string sbom_name = fmt::format("sbom-{}.spdx.json", b.arch);
    CAIRN_TRY(WriteFileAtomic(sbom_dir / sbom_name, sbom::WriteSpdxImage(si)));
    result.archs.push_back(
        {b.arch, img.manifest.digest, sbom_name, b.opened.size() + b.debs.size()});
    images.push_back(std::move(img));
    step.Done();
  }

  oci::TagOptions to;
  to.index_annotations = image.annotations;
  CAIRN_ASSIGN_OR_RETURN(oci::Descriptor tagged, layout.TagImages(image.name.value, images, to));
  CAIRN_TRY(layout.Commit());
  result.digest = tagged.digest;
  if (images.size() > 1) {
    sbom::IndexSbomInput ii;
    ii.image_name = image.name.value;
    ii.epoch = epoch;
    ii.index_digest = tagged.digest;
    ii.tool_version = Version();
    for (const auto& img : images) ii.images.push_back({img.apk_arch, img.manifest.digest});
    CAIRN_TRY(WriteFileAtomic(sbom_dir / "sbom-index.spdx.json", sbom::WriteSpdxIndex(ii)));
  }
  return result;
}

}  // namespace cairn::pipeline
