// The build pipeline (docs/build-process.md): Load, Resolve, Lock, Fetch,
// Extract+Compose, Emit, SBOM, Commit.
#include "cairn/pipeline.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cairn/apk/package.h"
#include "cairn/config/arch.h"
#include "cairn/config/loader.h"
#include "cairn/config/validate.h"
#include "cairn/digest.h"
#include "cairn/fetch/fetcher.h"
#include "cairn/file_util.h"
#include "cairn/interrupt.h"
#include "cairn/lock/lock.h"
#include "cairn/shared_cache/registry_cache.h"
#include "cairn/shared_cache/registry_fetcher.h"
#include "pipeline/apk_sources.h"
#include "pipeline/compose_image.h"
#include "pipeline/deb_sources.h"
#include "pipeline/select_targets.h"
#include "pipeline/stack_resolve.h"
#include "cairn/config/stack.h"
#include "cairn/solve/deb_resolver.h"
#include "cairn/deb/package.h"
#include <ctime>

namespace cairn {
namespace fs = std::filesystem;

const char* Version() { return CAIRN_VERSION; }

fs::path DefaultCacheDir() {
  if (const char* d = std::getenv("CAIRN_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "cairn";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "cairn";
  return fs::temp_directory_path() / "cairn-cache";
}

namespace {

using pipeline::RepositoryRef;

// Everything one build needs, loaded once.
struct Inputs {
  config::Image image;
  std::vector<std::string> archs;
  pipeline::LoadedKeyring keys;
  std::vector<RepositoryRef> repos;
  std::vector<config::BuildTarget> targets;  ///< boards, or archs
  lock::Lock lock;  ///< resolved (or read) packages per target
};

// A target is layered (its lock records each layer) unless it is a plain
// image: one layer of the image's own contents and no board.
bool Layered(const config::BuildTarget& t) {
  return t.board != nullptr || t.layers.size() != 1 || t.layers[0].kind != "image";
}

std::vector<pipeline::LayerRequests> LayerRequestsOf(const config::BuildTarget& t) {
  std::vector<pipeline::LayerRequests> out;
  for (const auto& l : t.layers) out.push_back({l.name, l.loc, l.packages});
  return out;
}

// Stores a stacked resolution as the target's lock entry.
void LockTarget(Inputs& in, const config::BuildTarget& t, std::vector<lock::LockedLayer> layers) {
  lock::LockedArch locked;
  for (const auto& l : layers)
    locked.packages.insert(locked.packages.end(), l.packages.begin(), l.packages.end());
  if (Layered(t)) {
    locked.layers = std::move(layers);
    if (t.name != t.arch) locked.arch = t.arch;
  }
  in.lock.archs[t.name] = std::move(locked);
}

Result<std::vector<std::string>> ChooseArchs(const BuildOptions& o, const config::Image& image) {
  std::vector<std::string> out;
  if (!o.archs.empty()) {
    for (const auto& a : o.archs) {
      auto expanded = config::ExpandArch(a);
      if (expanded.empty())
        return UsageError(fmt::format("unknown architecture '{}' given to --arch", a))
            .Hint("use an apk name (x86_64, aarch64, armv7, ...) or an OCI name (amd64, arm64, ...)");
      out.insert(out.end(), expanded.begin(), expanded.end());
    }
  } else {
    for (const auto& a : image.archs) out.push_back(a.value);
  }
  if (out.empty()) out.push_back(*config::NormalizeArch("host"));
  std::vector<std::string> unique;
  for (auto& a : out)
    if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
  return unique;
}

Result<lock::LockedConfig> LockConfig(const config::Image& image) {
  lock::LockedConfig c;
  std::vector<std::string> files = image.included_files;
  if (files.empty()) files.push_back(image.source_file);
  for (const auto& f : files) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(f));
    fs::path rel = fs::absolute(f).lexically_normal().lexically_relative(fs::current_path());
    c.files.push_back({rel.empty() ? f : rel.string(), Sha256Hex(text)});
  }
  c.sha256 = lock::ConfigDigest(c.files);
  return c;
}

Result<std::vector<apk::Dependency>> World(const std::vector<config::LString>& packages,
                                           std::vector<std::string>* sources) {
  std::vector<apk::Dependency> world;
  for (const auto& p : packages) {
    auto dep = apk::Dependency::Parse(p.value);
    if (!dep.ok()) return ConfigError(p.loc, dep.error().message());
    world.push_back(*dep);
    sources->push_back(p.loc.ToString());
  }
  return world;
}

// Debian requests: "name", "name=version" or "name:arch" (apt's syntax).
Result<std::vector<solve::DebRequest>> DebianRequests(const std::vector<config::LString>& packages) {
  std::vector<solve::DebRequest> out;
  for (const auto& p : packages) {
    solve::DebRequest r;
    r.loc = p.loc;
    std::string v = p.value;
    if (size_t eq = v.find('='); eq != std::string::npos) {
      r.op = deb::RelationOp::kEqual;
      r.version = v.substr(eq + 1);
      v.resize(eq);
      if (r.version.empty() || v.empty())
        return ConfigError(p.loc, fmt::format("'{}' is not 'name' or 'name=version'", p.value));
    }
    r.name = v;
    out.push_back(std::move(r));
  }
  return out;
}

// Resolves one target's stack with the source's solver and locks it.
Status ResolveTarget(Inputs& in, const config::BuildTarget& t, const pipeline::StackSolver& solver,
                     Reporter& reporter) {
  auto layers = pipeline::ResolveStack(LayerRequestsOf(t), solver);
  if (!layers.ok())
    return std::move(layers).error().Context(fmt::format("resolving packages for {}", t.name));
  LockTarget(in, t, std::move(*layers));
  reporter.Info(fmt::format("{}: {} packages", t.name, in.lock.archs[t.name].packages.size()));
  return {};
}

// Resolve for Debian: every suite's indexes for each arch, then libsolv, one
// layer at a time (pipeline/stack_resolve.h).
Status ResolveDebian(Inputs& in, const std::vector<pipeline::DebSuiteRef>& suites,
                     fetch::Fetcher& fetcher, Reporter& reporter) {
  const config::Debian& d = in.image.contents.debian;
  std::map<std::string, std::vector<deb::Package>> universes;  // by Debian arch
  for (const auto& t : in.targets) {
    Step step(reporter, fmt::format("resolving packages for {}", t.name));
    CAIRN_ASSIGN_OR_RETURN(std::string deb_arch, pipeline::DebianArch(t.arch));
    if (!universes.count(deb_arch)) {
      CAIRN_ASSIGN_OR_RETURN(universes[deb_arch],
                             pipeline::LoadDebianIndexes(suites, deb_arch, std::time(nullptr),
                                                         fetcher, reporter));
    }
    const auto& universe = universes[deb_arch];
    solve::DebResolveOptions opts;
    opts.architecture = deb_arch;
    opts.with_recommends = d.recommends.value_or(false);
    opts.with_essential = d.essential.value_or(true);
    opts.with_required = d.required.value_or(false);
    pipeline::StackSolver solver =
        [&](const std::vector<config::LString>& packages,
            const std::vector<lock::LockedPackage>& pinned)
        -> Result<std::vector<lock::LockedPackage>> {
      CAIRN_ASSIGN_OR_RETURN(auto requests, DebianRequests(packages));
      for (const auto& p : pinned) {
        solve::DebRequest r;
        r.name = p.arch == "all" || p.arch == deb_arch ? p.name : p.name + ":" + p.arch;
        r.op = deb::RelationOp::kEqual;
        r.version = p.version;
        requests.push_back(std::move(r));
      }
      CAIRN_ASSIGN_OR_RETURN(auto resolution, solve::ResolveDeb(universe, requests, opts));
      std::vector<lock::LockedPackage> out;
      for (const deb::Package* p : resolution.packages) {
        lock::LockedPackage lp;
        lp.name = p->name;
        lp.version = p->version;
        lp.arch = p->architecture;
        lp.url = pipeline::DebPackageUrl(*p);
        lp.size = p->size;
        lp.repository = p->repository;
        lp.sha256 = p->sha256;
        out.push_back(std::move(lp));
      }
      return out;
    };
    CAIRN_TRY(ResolveTarget(in, t, solver, reporter));
    step.Done();
  }
  return {};
}

// Resolve for APK: each arch's repositories, then the apk resolver, one layer
// at a time.
Status ResolveApkTargets(Inputs& in, const BuildOptions& o, fetch::Fetcher& fetcher,
                         Reporter& reporter) {
  std::map<std::string, std::vector<solve::ApkRepository>> repos_by_arch;
  for (const auto& t : in.targets) {
    Step step(reporter, fmt::format("resolving packages for {}", t.name));
    if (!repos_by_arch.count(t.arch)) {
      CAIRN_ASSIGN_OR_RETURN(repos_by_arch[t.arch],
                             pipeline::LoadRepositories(in.repos, t.arch, in.keys.keyring,
                                                        o.allow_untrusted, fetcher, reporter));
    }
    const auto& repos = repos_by_arch[t.arch];
    const std::string arch = t.arch;
    pipeline::StackSolver solver =
        [&](const std::vector<config::LString>& packages,
            const std::vector<lock::LockedPackage>& pinned)
        -> Result<std::vector<lock::LockedPackage>> {
      std::vector<std::string> sources;
      CAIRN_ASSIGN_OR_RETURN(auto world, World(packages, &sources));
      solve::ApkResolveRequest req{world, arch, {}, sources};
      for (const auto& p : pinned) req.pinned[p.name] = p.version;
      CAIRN_ASSIGN_OR_RETURN(auto resolution, solve::ResolveApk(repos, req));
      std::vector<lock::LockedPackage> out;
      for (const apk::PackageInfo* p : resolution.install_order)
        out.push_back(lock::FromPackageInfo(*p, pipeline::PackageUrl(p->repository, arch, *p)));
      return out;
    };
    CAIRN_TRY(ResolveTarget(in, t, solver, reporter));
    step.Done();
  }
  return {};
}

// Load + Resolve (or read the lock).
Result<Inputs> Prepare(const BuildOptions& o, fetch::Fetcher& fetcher, Reporter& reporter) {
  Inputs in;
  {
    Step step(reporter, fmt::format("loading {}", o.config_file.string()));
    CAIRN_ASSIGN_OR_RETURN(in.image, config::LoadImage(o.config_file));
    CAIRN_TRY(config::Validate(in.image));
    CAIRN_ASSIGN_OR_RETURN(in.archs, ChooseArchs(o, in.image));
    const bool debian = !in.image.contents.debian.empty();
    CAIRN_ASSIGN_OR_RETURN(in.targets, config::PlanTargets(in.image, debian ? "debian" : "apk",
                                                           in.image.board_defs.empty() || !o.archs.empty()
                                                               ? in.archs
                                                               : std::vector<std::string>{}));
    if (in.targets.empty())
      return UsageError(fmt::format("none of the boards of '{}' is for {}",
                                    o.config_file.string(), fmt::join(in.archs, ", ")));
    CAIRN_ASSIGN_OR_RETURN(in.targets, pipeline::SelectTargets(std::move(in.targets), o.targets,
                                                                in.image.name.value));
    step.Done();
  }
  CAIRN_ASSIGN_OR_RETURN(in.lock.config, LockConfig(in.image));
  std::vector<pipeline::DebSuiteRef> suites;
  if (!in.image.contents.debian.empty()) {
    in.lock.format = "deb";
    CAIRN_ASSIGN_OR_RETURN(suites, pipeline::PlanDebianSuites(in.image, "/etc/apt"));
    CAIRN_ASSIGN_OR_RETURN(in.lock.keyring, pipeline::LockDebianKeyrings(suites));
    for (const auto& s : suites) in.lock.repositories.push_back({s.SuiteUrl(), ""});
  } else {
    in.repos = pipeline::BuildRepositories(in.image);
    CAIRN_ASSIGN_OR_RETURN(in.keys, pipeline::LoadKeyring(in.image, fetcher));
    in.lock.keyring = in.keys.locked;
    for (const auto& r : in.repos) in.lock.repositories.push_back({r.url, r.tag});
  }

  if (!o.lockfile.empty()) {
    CAIRN_ASSIGN_OR_RETURN(lock::Lock locked, lock::ReadLock(o.lockfile));
    if (locked.format != in.lock.format)
      return ConfigError(SourceLoc{o.lockfile.string()},
                         fmt::format("the lock file holds '{}' packages but the declaration "
                                     "builds from {}",
                                     locked.format,
                                     in.lock.format == "deb" ? "Debian sources"
                                                             : "APK repositories"));
    if (locked.config.sha256 != in.lock.config.sha256)
      reporter.Warn(fmt::format("'{}' was made from a different declaration; building its packages anyway",
                                o.lockfile.string()));
    for (const auto& t : in.targets) {
      auto it = locked.archs.find(t.name);
      if (it == locked.archs.end())
        return NotFoundError(fmt::format("the lock file '{}' has no packages for '{}'",
                                         o.lockfile.string(), t.name))
            .Hint("run 'cairn lock' for every architecture and board you build");
      std::vector<std::string> want, have;
      for (const auto& l : t.layers) want.push_back(l.name);
      for (const auto& l : it->second.layers) have.push_back(l.name);
      if (Layered(t) && want != have)
        return ConfigError(SourceLoc{o.lockfile.string()},
                           fmt::format("the lock's layers for '{}' are [{}] but the declaration "
                                       "stacks [{}]",
                                       t.name, fmt::join(have, ", "), fmt::join(want, ", ")))
            .Hint("run 'cairn lock' again");
      in.lock.archs[t.name] = it->second;
    }
    return in;
  }

  if (in.lock.format == "deb") {
    CAIRN_TRY(ResolveDebian(in, suites, fetcher, reporter));
  } else {
    CAIRN_TRY(ResolveApkTargets(in, o, fetcher, reporter));
  }
  return in;
}

std::unique_ptr<fetch::CacheFetcher> MakeFetcher(const BuildOptions& o, Reporter& reporter) {
  fetch::CacheFetcherOptions fo;
  fo.cache_dir = o.cache_dir.empty() ? DefaultCacheDir() : o.cache_dir;
  fo.offline = o.offline;
  return std::make_unique<fetch::CacheFetcher>(fo, reporter);
}

Result<int64_t> EpochFromEnvironment() {
  const char* env = std::getenv("SOURCE_DATE_EPOCH");
  if (!env || !*env) return int64_t{-1};
  char* end = nullptr;
  long long v = std::strtoll(env, &end, 10);
  if (*end != '\0' || v < 0)
    return UsageError(fmt::format("SOURCE_DATE_EPOCH must be a non-negative integer, not '{}'", env));
  return static_cast<int64_t>(v);
}

}  // namespace

Result<std::vector<ResolvedArch>> ResolveImage(const BuildOptions& options, Reporter& reporter) {
  auto fetcher = MakeFetcher(options, reporter);
  CAIRN_ASSIGN_OR_RETURN(Inputs in, Prepare(options, *fetcher, reporter));
  std::vector<ResolvedArch> out;
  for (const auto& t : in.targets) {
    ResolvedArch ra{t.name, {}};
    for (const auto& p : in.lock.archs[t.name].packages)
      ra.packages.push_back({p.name, p.version, p.arch, p.url, p.checksum, p.size});
    out.push_back(std::move(ra));
  }
  return out;
}

Status LockImage(const BuildOptions& options, const fs::path& lock_path, Reporter& reporter) {
  auto fetcher = MakeFetcher(options, reporter);
  CAIRN_ASSIGN_OR_RETURN(Inputs in, Prepare(options, *fetcher, reporter));
  return WriteFileAtomic(lock_path, lock::FormatLock(in.lock));
}

Result<BuildResult> BuildImage(const BuildOptions& options, Reporter& reporter) {
  auto local_fetcher = MakeFetcher(options, reporter);
  fetch::Fetcher* fetcher = local_fetcher.get();
  std::unique_ptr<shared_cache::RegistryCache> shared;
  std::optional<shared_cache::RegistryFetcher> shared_fetcher;
  if (!options.cache_registry.empty()) {
    if (options.offline)
      return UsageError("--cache-registry needs the network, which --offline rules out");
    CAIRN_ASSIGN_OR_RETURN(shared, shared_cache::RegistryCache::Open(
                                       {.repository = options.cache_registry,
                                        .plain_http = options.cache_registry_plain_http,
                                        .push = options.cache_registry_push},
                                       reporter));
    shared_fetcher.emplace(*local_fetcher, *shared, reporter);
    fetcher = &*shared_fetcher;
  }
  CAIRN_ASSIGN_OR_RETURN(Inputs in, Prepare(options, *fetcher, reporter));

  BuildResult result;
  result.image_name = in.image.name.value;
  result.output_dir = options.output_dir.empty() ? fs::path("out") / in.image.name.value
                                                 : options.output_dir;
  fs::path parent = result.output_dir.parent_path().empty() ? fs::path(".")
                                                            : result.output_dir.parent_path();
  // Everything is written into a temporary sibling and renamed into place at
  // the end, so an interrupted or failed build leaves the old output intact.
  CAIRN_ASSIGN_OR_RETURN(TempDir staging, TempDir::Create(parent, result.output_dir.filename().string()));

  pipeline::ComposeRequest req;
  req.image = &in.image;
  req.keys = &in.keys;
  req.allow_untrusted = options.allow_untrusted;
  req.compression_level = options.compression_level;
  req.staging = staging.path();
  req.fetcher = fetcher;
  req.shared_cache = shared.get();
  req.debian = in.lock.format == "deb";
  req.disks = options.disks;
  if (options.layer_cache)
    req.layer_cache_dir =
        (options.cache_dir.empty() ? DefaultCacheDir() : options.cache_dir) / "layers";
  CAIRN_ASSIGN_OR_RETURN(int64_t env_epoch, EpochFromEnvironment());
  if (options.source_date_epoch) {
    req.epoch = *options.source_date_epoch;
  } else if (env_epoch >= 0) {
    req.epoch = env_epoch;
  }
  for (const auto& t : in.targets) {
    pipeline::TargetPackages tp{t.name, t.arch, t.board, {}};
    const lock::LockedArch& locked = in.lock.archs[t.name];
    for (size_t i = 0; i < t.layers.size(); ++i) {
      pipeline::LayerPackages lp{t.layers[i], {}};
      lp.packages = locked.layers.empty() ? locked.packages : locked.layers[i].packages;
      tp.layers.push_back(std::move(lp));
    }
    req.targets.push_back(std::move(tp));
  }

  CAIRN_ASSIGN_OR_RETURN(pipeline::ComposeResult composed, pipeline::ComposeAndEmit(req, reporter));
  if (shared) {
    if (Status pushed = shared->PushQueuedPackages(); !pushed.ok())
      reporter.Warn(fmt::format("could not store every package in the shared cache: {}",
                                pushed.error().Render()));
    shared_cache::RegistryCacheStats s = shared->stats();
    reporter.Info(fmt::format(
        "shared cache {}: {} layers and {} packages taken ({} bytes), {} layers and {} packages "
        "stored ({} bytes){}",
        shared->repository(), s.layers_pulled, s.packages_pulled, s.bytes_downloaded,
        s.layers_pushed, s.packages_pushed, s.bytes_uploaded,
        s.rejected ? fmt::format("; {} refused as unusable", s.rejected) : ""));
  }
  CAIRN_TRY(WriteFileAtomic(staging.path() / "cairn.lock", lock::FormatLock(in.lock)));
  CAIRN_TRY(CheckInterrupted());
  CAIRN_TRY(staging.CommitAs(result.output_dir));

  result.digest = composed.digest;
  for (auto& a : composed.archs) {
    a.sbom_path = (result.output_dir / "sbom" / a.sbom_path).string();
    if (!a.disk_path.empty()) {
      a.disk_path = (result.output_dir / a.disk_path).string();
      reporter.Info(fmt::format("{}: disk image {}", a.target, a.disk_path));
    }
    for (auto& f : a.files) {
      f = (result.output_dir / f).string();
      reporter.Info(fmt::format("{}: {}", a.target, f));
    }
    result.archs.push_back(a);
  }
  if (!result.digest.empty())
    reporter.Info(fmt::format("wrote {} ({} in {})", result.output_dir.string(), result.digest,
                              "oci/index.json"));
  else
    reporter.Info(fmt::format("wrote {} ({} board images in oci/index.json)",
                              result.output_dir.string(), result.archs.size()));
  return result;
}

}  // namespace cairn
