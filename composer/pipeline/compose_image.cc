#include "pipeline/compose_image.h"

#include <elf.h>
#include <link.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cairn/digest.h"
#include "cairn/effects/busybox.h"
#include "cairn/effects/container_dirs.h"
#include "cairn/effects/ldconfig.h"
#include "cairn/file_util.h"
#include "cairn/interrupt.h"
#include "cairn/mapped_file.h"
#include "cairn/oci/layer_cache.h"
#include "cairn/oci/layout.h"
#include "cairn/oci/tar.h"
#include "cairn/parallel.h"
#include "cairn/rootfs/layer_snapshot.h"
#include "cairn/rootfs/special_files.h"
#include "cairn/rootfs/tree.h"
#include "cairn/sbom/spdx.h"
#include "compose/accounts.h"
#include "compose/apk_install.h"
#include "compose/deb_install.h"
#include "compose/dpkg_database.h"
#include "compose/paths.h"
#include "pipeline/board_disk.h"
#include "pipeline/extra_outputs.h"
#include "pipeline/deb_sources.h"
#include "pipeline/stack_state.h"

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

// One target's packages, fetched and opened, with the layer each belongs to.
struct TargetBuild {
  const TargetPackages* target = nullptr;
  std::vector<compose::OpenedApk> opened;
  std::vector<compose::OpenedDeb> debs;  ///< Debian images
  std::string deb_arch;
  std::vector<size_t> layer_end;        ///< packages of layer i are [layer_end[i-1], layer_end[i])
  std::vector<std::string> layer_of;    ///< per package, its layer's name
  std::vector<int64_t> layer_epoch;     ///< per layer: SOURCE_DATE_EPOCH, or newest package below
  std::vector<std::string> keys;        ///< per layer, its layer cache key (with a cache)
};

// The newest package build time of a Debian set: dpkg-deb stamps the ar members with it.
int64_t DebBuildTime(const compose::OpenedDeb& d) { return d.file->data_member().mtime; }

// A layer's inline files may add or replace cairn's own files, never a file a
// lower layer's package installed (that would change the lower layer).
Status CheckLayerFiles(const TargetBuild& tb, size_t li, const rootfs::Tree& tree) {
  const size_t first = li == 0 ? 0 : tb.layer_end[li - 1];
  for (const auto& f : tb.target->layers[li].spec.files) {
    auto path = rootfs::NormalizePath(f.path.value);
    if (!path.ok()) continue;  // ApplyInlineFiles reports it
    CAIRN_ASSIGN_OR_RETURN(std::string final_path, compose::FinalPath(tree, *path));
    const rootfs::Node* n = tree.Find(final_path);
    if (!n || n->owner < 0 || static_cast<size_t>(n->owner) >= first) continue;
    const size_t owner = static_cast<size_t>(n->owner);
    std::string package = owner < tb.opened.size() ? tb.opened[owner].info.name
                          : owner < tb.debs.size() ? tb.debs[owner].package.name
                                                   : "?";
    return ConfigError(f.loc, fmt::format("layer '{}' writes '/{}', which package '{}' of layer "
                                          "'{}' installed",
                                          tb.target->layers[li].spec.name, final_path, package,
                                          tb.layer_of[owner]))
        .Hint("a layer never changes what a lower layer installed: declare the file in that "
              "layer, or use a drop-in path the package reads");
  }
  return {};
}

// A scratch directory removed with everything in it when the scope ends.
struct ScratchPath {
  fs::path path;
  ~ScratchPath() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Extract + Compose one Debian layer on the tree of the layers below.
Status ComposeDebianLayer(const ComposeRequest& req, const TargetBuild& tb, size_t li,
                          rootfs::Tree& tree, StackState& state, Reporter& reporter) {
  const LayerPackages& layer = tb.target->layers[li];
  const int64_t epoch = tb.layer_epoch[li];
  const size_t first = li == 0 ? 0 : tb.layer_end[li - 1];
  // Scratch directories live in the staging directory, which becomes the
  // output: they must be gone before it is committed, error or not.
  const ScratchPath unpack{req.staging / fmt::format("unpack-{}-{}", tb.target->name, li)};
  const ScratchPath depmod{req.staging / fmt::format("depmod-{}-{}", tb.target->name, li)};
  // Indexes stay global across layers, so ownership checks see lower layers.
  compose::DebInstallOptions io{first, tb.layer_end[li], tb.layer_of};
  CAIRN_ASSIGN_OR_RETURN(auto installed,
                         compose::InstallDebPackages(tb.debs, tb.deb_arch, tree, epoch,
                                                     unpack.path, reporter, io));
  compose::DpkgDatabaseSpec spec;
  spec.first_new = state.debs.size();
  spec.stanzas = &state.stanzas;
  for (const auto& p : installed) state.debs.push_back(p.record);
  spec.architecture = tb.deb_arch;
  spec.epoch = epoch;
  CAIRN_TRY(compose::WriteDpkgDatabase(state.debs, spec, tree));
  // After the database: dpkg records conffiles as shipped, before any effect edits one.
  compose::DebEffectsSpec fx;
  fx.apk_arch = tb.target->arch;
  fx.epoch = epoch;
  fx.scratch = depmod.path;
  for (const auto& u : layer.spec.services) fx.enable_units.push_back(u.value);
  CAIRN_TRY(compose::ApplyDebianEffects(installed, fx, tree, reporter));
  CAIRN_TRY(CheckLayerFiles(tb, li, tree));
  CAIRN_TRY(compose::ApplyAccounts(layer.spec.accounts, tree, epoch));
  CAIRN_TRY(compose::ApplyInlineFiles(layer.spec.files, tree, epoch));
  CAIRN_TRY(compose::ApplyPathMutations(layer.spec.paths, tree, epoch));
  return {};
}

// Extract + Compose one APK layer on the tree of the layers below.
Status ComposeApkLayer(const ComposeRequest& req, const TargetBuild& tb, size_t li,
                       rootfs::Tree& tree, StackState& state, Reporter& reporter) {
  const config::Image& image = *req.image;
  const LayerPackages& layer = tb.target->layers[li];
  const int64_t epoch = tb.layer_epoch[li];
  const size_t first = li == 0 ? 0 : tb.layer_end[li - 1];
  if (li == 0) CAIRN_TRY(effects::EnsureContainerDirs(tree, epoch));
  // Indexes stay global across layers, so ownership checks see lower layers.
  compose::ApkInstallOptions io{first, tb.layer_end[li], tb.layer_of};
  CAIRN_ASSIGN_OR_RETURN(auto installed,
                         compose::InstallApkPackages(tb.opened, tree, reporter, io));
  for (auto& p : installed.packages) state.apks.packages.push_back(std::move(p));
  for (auto& [k, v] : installed.scripts) state.apks.scripts[k] = std::move(v);
  CAIRN_TRY(CheckLayerFiles(tb, li, tree));
  CAIRN_TRY(compose::ApplyAccounts(layer.spec.accounts, tree, epoch));
  CAIRN_TRY(compose::ApplyInlineFiles(layer.spec.files, tree, epoch));
  CAIRN_TRY(compose::ApplyPathMutations(layer.spec.paths, tree, epoch));
  std::vector<std::string> owners;
  for (size_t i = 0; i < tb.layer_end[li]; ++i) owners.push_back(tb.opened[i].info.name);
  CAIRN_TRY(effects::InstallBusyboxLinks(tree, epoch, reporter, owners));
  effects::LdSoCacheOptions ld;
  ld.arch = tb.target->arch;
  CAIRN_TRY(effects::WriteLdSoCache(tree, epoch, ld, reporter));
  compose::ApkDatabaseSpec db;
  db.arch = tb.target->arch;
  for (const auto& p : layer.spec.packages) state.world.push_back(p.value);
  db.world = state.world;
  db.repositories = RuntimeRepositories(image);
  db.keys = req.keys->pem;
  db.epoch = epoch;
  CAIRN_TRY(compose::WriteApkDatabase(state.apks, db, tree));
  return {};
}

// A board's device trees must be in an installed kernel's dtb directory
// (Debian: usr/lib/linux-image-<version>/<vendor>/<name>.dtb).
Status CheckDeviceTrees(const config::Board& board, const rootfs::Tree& tree) {
  std::vector<std::string> dirs;
  const std::string prefix = "usr/lib/linux-image-";
  for (auto it = tree.nodes().lower_bound(prefix);
       it != tree.nodes().end() && it->first.rfind(prefix, 0) == 0; ++it)
    if (it->first.find('/', prefix.size()) == std::string::npos &&
        it->second.meta.type == rootfs::FileType::kDirectory)
      dirs.push_back(it->first);
  for (const auto& dtb : board.device_trees) {
    bool found = false;
    for (const auto& d : dirs) {
      const rootfs::Node* n = tree.Find(d + "/" + dtb.value);
      found = found || (n && n->meta.type == rootfs::FileType::kRegular);
    }
    if (!found)
      return ConfigError(dtb.loc, fmt::format("board '{}' names device tree '{}', which no "
                                              "installed kernel ships{}",
                                              board.name.value, dtb.value,
                                              dirs.empty() ? " (no kernel dtb directory)"
                                                           : " (looked in /" +
                                                                 fmt::format("{}", fmt::join(dirs, ", /")) +
                                                                 ")"));
  }
  return {};
}

// Identity of the running cairn: a rebuilt cairn may compose differently, so
// its layers are not reused. The linker's build ID of the program (found
// through the loaded headers, so it is the program's even under a wrapper
// such as valgrind); without one, the executable's size and mtime.
std::string BinaryIdentity() {
  std::string id;
  ::dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) -> int {
        auto* out = static_cast<std::string*>(data);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE) continue;
          const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
          const char* end = p + ph.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const char* name = p + sizeof(ElfW(Nhdr));
            const char* desc = name + ((note->n_namesz + 3) & ~3u);
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
                std::string_view(name, 3) == "GNU" && desc + note->n_descsz <= end)
              *out = HexEncode(std::string_view(desc, note->n_descsz));
            p = desc + ((note->n_descsz + 3) & ~3u);
          }
        }
        return 1;  // the first object is the program itself
      },
      &id);
  if (!id.empty()) return "build-id:" + id;
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) return "unknown";
  return fmt::format("{}:{}:{}", st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

// What layer li of a target was made from: everything at or below it.
// Chained: the key of the layer below stands for everything under it.
std::string LayerCacheKey(const ComposeRequest& req, const TargetBuild& tb, size_t li,
                          const std::string& binary, const std::string& below) {
  nlohmann::json j;
  j["v"] = 2;
  j["below"] = below;
  j["cairn"] = {Version(), binary};
  // The epoch when it is given; else it follows from the packages below
  // (their build times), which the key holds already.
  j["target"] = {req.debian, tb.target->arch, tb.deb_arch, req.compression_level,
                 req.epoch ? nlohmann::json(*req.epoch) : nlohmann::json()};
  if (!req.debian) {
    j["repositories"] = RuntimeRepositories(*req.image);
    j["keys"] = req.keys->pem;
  }
  {
    const LayerPackages& l = tb.target->layers[li];
    nlohmann::json layer;
    layer["name"] = {l.spec.name, l.spec.kind};
    for (const auto& p : l.packages)
      layer["packages"].push_back({p.name, p.version, p.arch, p.checksum, p.sha256, p.size});
    for (const auto& p : l.spec.packages) layer["requests"].push_back(p.value);
    for (const auto& f : l.spec.files)
      layer["files"].push_back({f.path.value, f.content, f.mode, f.uid, f.gid});
    for (const auto& g : l.spec.accounts.groups)
      layer["groups"].push_back({g.groupname.value, g.gid.value_or(-1), g.members});
    for (const auto& u : l.spec.accounts.users)
      layer["users"].push_back({u.username.value, u.uid.value_or(-1), u.gid.value_or(-1),
                                u.shell, u.homedir});
    for (const auto& m : l.spec.paths)
      layer["paths"].push_back({m.path.value, static_cast<int>(m.type), m.source.value, m.uid,
                                m.gid, m.permissions, m.recursive});
    for (const auto& u : l.spec.services) layer["services"].push_back(u.value);
    j["layer"] = std::move(layer);
  }
  return Sha256Hex(j.dump());
}

// A layer's snapshot in the layer cache: its tree nodes and content
// (rootfs/layer_snapshot.h) and the package records it added (stack_state.h).
constexpr char kSnapshotNodes[] = "nodes";
constexpr char kSnapshotContent[] = "content";
constexpr char kSnapshotState[] = "state";

// The records of a restored layer must be the lock's packages of that layer,
// in order; puts their metadata where the layers above look for it.
Status AdoptRestoredPackages(const ComposeRequest& req, TargetBuild& tb, size_t li,
                             const StackState& delta) {
  const LayerPackages& layer = tb.target->layers[li];
  const size_t count = req.debian ? delta.debs.size() : delta.apks.packages.size();
  if (count != layer.packages.size())
    return IntegrityError(fmt::format("the cached layer has {} packages, the lock {}", count,
                                      layer.packages.size()));
  for (size_t k = 0; k < count; ++k) {
    const lock::LockedPackage& want = layer.packages[k];
    if (req.debian) {
      const std::string origin = fmt::format("cached record of '{}'", want.name);
      CAIRN_ASSIGN_OR_RETURN(auto paragraphs,
                             deb::ParseControlFile(delta.debs[k].control_text, origin));
      if (paragraphs.size() != 1) return IntegrityError(origin + " is not one paragraph");
      CAIRN_ASSIGN_OR_RETURN(auto pkg, deb::PackageFromParagraph(paragraphs[0], origin));
      if (pkg.name != want.name || pkg.version != want.version)
        return IntegrityError(fmt::format("the cached layer has '{} {}' where the lock has '{} {}'",
                                          pkg.name, pkg.version, want.name, want.version));
      tb.debs.push_back({std::move(pkg), std::nullopt});
    } else {
      const apk::PackageInfo& info = delta.apks.packages[k].info;
      if (info.name != want.name || info.version != want.version || info.checksum != want.checksum)
        return IntegrityError(fmt::format("the cached layer has '{}-{}' where the lock has '{}-{}'",
                                          info.name, info.version, want.name, want.version));
      tb.opened.push_back({info, std::nullopt});
    }
  }
  return {};
}

// Takes layer li from the layer cache when it holds the layer whole: its blob
// goes into `layout`, its nodes onto `tree`, its records into `state`. Returns
// the layer and the newest package build time at or below it, or nullopt on a
// miss; a damaged entry is said and treated as a miss, with `tree`, `state`
// and `tb` unchanged.
Result<std::optional<std::pair<oci::LayerResult, int64_t>>> RestoreLayer(
    const ComposeRequest& req, TargetBuild& tb, size_t li, const oci::LayerCache& cache,
    const oci::OciLayoutWriter& layout, rootfs::Tree& tree, StackState& state,
    Reporter& reporter) {
  using Restored = std::optional<std::pair<oci::LayerResult, int64_t>>;
  const std::string& key = tb.keys[li];
  CAIRN_ASSIGN_OR_RETURN(auto hit, cache.Find(key));
  if (!hit) return Restored();
  CAIRN_ASSIGN_OR_RETURN(auto dir, cache.FindSnapshot(key));
  if (!dir) return Restored();
  const size_t opened_before = tb.opened.size(), debs_before = tb.debs.size();
  StackState delta;
  auto restored = [&]() -> Result<std::pair<oci::LayerResult, int64_t>> {
    const fs::path state_file = *dir / kSnapshotState;
    CAIRN_ASSIGN_OR_RETURN(MappedFile text, MappedFile::Open(state_file));
    CAIRN_ASSIGN_OR_RETURN(int64_t newest,
                           DecodeLayerState(text.data(), state_file.string(), delta));
    CAIRN_TRY(AdoptRestoredPackages(req, tb, li, delta));
    CAIRN_ASSIGN_OR_RETURN(auto placed, cache.AddTo(layout, *hit));
    tree.BeginLayer(static_cast<int>(li));
    // Last: it changes the tree only once every check has passed.
    CAIRN_TRY(rootfs::ReadLayerSnapshot(*dir / kSnapshotNodes, *dir / kSnapshotContent, tree));
    return std::make_pair(std::move(placed), newest);
  }();
  if (!restored.ok()) {
    tb.opened.resize(opened_before);
    tb.debs.erase(tb.debs.begin() + static_cast<std::ptrdiff_t>(debs_before), tb.debs.end());
    reporter.Warn(fmt::format("layer cache entry for '{}' is unusable, building it again: {}",
                              tb.target->layers[li].spec.name, restored.error().Render()));
    return Restored();
  }
  for (auto& p : delta.apks.packages) state.apks.packages.push_back(std::move(p));
  for (auto& [k, v] : delta.apks.scripts) state.apks.scripts[k] = std::move(v);
  for (auto& d : delta.debs) state.debs.push_back(std::move(d));
  for (auto& [k, v] : delta.stanzas) state.stanzas[k] = std::move(v);
  if (!req.debian)
    for (const auto& p : tb.target->layers[li].spec.packages) state.world.push_back(p.value);
  return Restored(std::move(*restored));
}

// Stores a layer just composed and compressed in the layer cache: its
// snapshot first, then the record that makes it findable.
Status SaveLayer(const TargetBuild& tb, size_t li, const oci::LayerResult& layer,
                 const oci::OciLayoutWriter& layout, const oci::LayerCache& cache,
                 const rootfs::Tree& tree, const StackState& state,
                 const StackState::Mark& before, int64_t newest) {
  CAIRN_ASSIGN_OR_RETURN(fs::path dir, cache.NewSnapshotDir());
  Status saved = [&]() -> Status {
    CAIRN_TRY(rootfs::WriteLayerSnapshot(tree, static_cast<int>(li), dir / kSnapshotNodes,
                                         dir / kSnapshotContent));
    CAIRN_TRY(WriteFileAtomic(dir / kSnapshotState, EncodeLayerState(state, before, newest)));
    CAIRN_TRY(cache.StoreSnapshot(tb.keys[li], dir));
    return cache.Store(tb.keys[li], layer, layout.BlobPath(layer.digest));
  }();
  std::error_code ec;
  fs::remove_all(dir, ec);  // gone already when StoreSnapshot renamed it
  return saved;
}
}  // namespace

Result<ComposeResult> ComposeAndEmit(const ComposeRequest& req, Reporter& reporter) {
  const config::Image& image = *req.image;
  ComposeResult result;

  fs::path oci_dir = req.staging / "oci";
  fs::path sbom_dir = req.staging / "sbom";
  CAIRN_TRY(MakeDirs(sbom_dir));
  CAIRN_ASSIGN_OR_RETURN(auto layout, oci::OciLayoutWriter::Open(oci_dir));
  std::optional<oci::LayerCache> cache;
  if (!req.layer_cache_dir.empty()) {
    auto opened = oci::LayerCache::Open(req.layer_cache_dir);
    if (opened.ok())
      cache.emplace(std::move(*opened));
    else
      reporter.Warn(fmt::format("building without a layer cache: {}", opened.error().Render()));
  }
  const std::string binary = BinaryIdentity();
  // Targets one after the other: a board's lower layers are often another
  // board's, and the first one stores them in the layer cache for the next.
  std::vector<oci::ImageResult> images;
  for (const auto& target : req.targets) {
    TargetBuild tb;
    tb.target = &target;
    size_t count = 0;
    for (const auto& layer : target.layers) {
      for (size_t k = 0; k < layer.packages.size(); ++k) tb.layer_of.push_back(layer.spec.name);
      count += layer.packages.size();
      tb.layer_end.push_back(count);
    }
    if (req.debian) {
      CAIRN_ASSIGN_OR_RETURN(tb.deb_arch, DebianArch(target.arch));
    }
    if (cache)
      for (size_t li = 0; li < target.layers.size(); ++li)
        tb.keys.push_back(LayerCacheKey(req, tb, li, binary, li == 0 ? "" : tb.keys.back()));

    CAIRN_ASSIGN_OR_RETURN(auto store, rootfs::ContentStore::Create(req.staging));
    rootfs::Tree tree(*store);
    StackState state;
    std::vector<oci::LayerResult> layers;
    int64_t newest = 0;  // package build time, at or below the current layer

    // The bottom layers the cache holds whole are restored, not built.
    size_t restored = 0;
    if (cache) {
      for (; restored < target.layers.size(); ++restored) {
        const std::string& name = target.layers[restored].spec.name;
        CAIRN_ASSIGN_OR_RETURN(auto hit, RestoreLayer(req, tb, restored, *cache, layout, tree,
                                                      state, reporter));
        bool shared = false;
        if (!hit && req.shared_cache && req.shared_cache->PullLayer(tb.keys[restored], *cache)) {
          CAIRN_ASSIGN_OR_RETURN(hit, RestoreLayer(req, tb, restored, *cache, layout, tree, state,
                                                   reporter));
          shared = hit.has_value();
        }
        if (!hit) break;
        if (shared) {
          reporter.Info(fmt::format("{}: layer '{}' from the shared cache ({})", target.name, name,
                                    hit->first.digest));
        } else if (req.shared_cache) {
          // Made before this builder used the shared cache: share it now.
          Status pushed = req.shared_cache->PushLayer(tb.keys[restored], *cache,
                                                      /*skip_existing=*/true);
          if (!pushed.ok())
            reporter.Warn(fmt::format("could not store layer '{}' in the shared cache: {}", name,
                                      pushed.error().Render()));
        }
        reporter.Verbose(fmt::format("layer '{}' from the layer cache ({})", name,
                                     hit->first.digest));
        newest = hit->second;
        tb.layer_epoch.push_back(req.epoch ? *req.epoch : newest);
        layers.push_back(std::move(hit->first));
      }
    }

    // Fetch and verify the packages of the layers to build.
    {
      Step step(reporter, fmt::format("fetching packages for {}", target.name));
      ArchPackages todo{target.arch, {}};
      for (size_t li = restored; li < target.layers.size(); ++li)
        for (const auto& p : target.layers[li].packages) todo.packages.push_back(p);
      if (req.debian) {
        CAIRN_ASSIGN_OR_RETURN(
            auto debs, FetchAll<compose::OpenedDeb>(todo, reporter, [&](const auto& p) {
              return FetchDeb(req, p);
            }));
        for (auto& d : debs) tb.debs.push_back(std::move(d));
      } else {
        CAIRN_ASSIGN_OR_RETURN(
            auto opened, FetchAll<compose::OpenedApk>(todo, reporter, [&](const auto& p) {
              return FetchPackage(req, todo, p);
            }));
        for (auto& o : opened) tb.opened.push_back(std::move(o));
      }
      step.Done();
    }

    Step step(reporter, fmt::format("composing {} for {}", image.name.value, target.name));
    const bool layered = target.layers.size() > 1;
    for (size_t li = restored; li < target.layers.size(); ++li) {
      const std::string& name = target.layers[li].spec.name;
      // Each layer's epoch depends only on the packages at or below it, so a
      // layer shared by two images is the same bytes in both.
      for (size_t i = li == 0 ? 0 : tb.layer_end[li - 1]; i < tb.layer_end[li]; ++i)
        newest = std::max(newest, req.debian ? DebBuildTime(tb.debs[i])
                                             : tb.opened[i].info.build_time);
      tb.layer_epoch.push_back(req.epoch ? *req.epoch : newest);
      const StackState::Mark before = state.MarkNow();
      tree.BeginLayer(static_cast<int>(li));
      auto compose_start = std::chrono::steady_clock::now();
      Status composed = req.debian ? ComposeDebianLayer(req, tb, li, tree, state, reporter)
                                   : ComposeApkLayer(req, tb, li, tree, state, reporter);
      if (!composed.ok())
        return std::move(composed).error().Context(
            fmt::format("composing layer '{}' for {}", name, target.name));
      tree.ClampMtimes(tb.layer_epoch[li], static_cast<int>(li));
      std::chrono::duration<double> compose_seconds =
          std::chrono::steady_clock::now() - compose_start;

      oci::LayerOptions lo;
      lo.gzip_level = req.compression_level;
      lo.layer = layered ? static_cast<int>(li) : -1;
      CAIRN_ASSIGN_OR_RETURN(auto layer, layout.AddLayer(tree, lo));
      if (cache) {
        Status saved = SaveLayer(tb, li, layer, layout, *cache, tree, state, before, newest);
        if (!saved.ok()) {  // a cache is an optimisation: say so and go on
          reporter.Warn(fmt::format("could not store layer '{}' in the layer cache: {}", name,
                                    saved.error().Render()));
        } else if (req.shared_cache) {
          Status pushed = req.shared_cache->PushLayer(tb.keys[li], *cache);
          if (!pushed.ok())
            reporter.Warn(fmt::format("could not store layer '{}' in the shared cache: {}", name,
                                      pushed.error().Render()));
          else if (req.shared_cache->push_enabled() && req.shared_cache->available())
            reporter.Verbose(fmt::format("layer '{}' stored in the shared cache", name));
        }
      }
      // One line for bench/run.sh: extraction+compose, then where the layer's time went.
      reporter.Verbose(fmt::format(
          "layer {} ({} bytes, {} uncompressed; {:.3f}s extracting and composing, {:.3f}s layer: "
          "{:.3f}s compressing, {:.3f}s hashing, {:.3f}s writing)",
          layer.digest, layer.size, layer.uncompressed_size, compose_seconds.count(),
          layer.timings.total_seconds, layer.timings.compress_seconds, layer.timings.hash_seconds,
          layer.timings.write_seconds));
      layers.push_back(std::move(layer));
    }
    // After the layers, restored or built: the check is not part of a layer's key.
    if (target.board) CAIRN_TRY(CheckDeviceTrees(*target.board, tree));
    if (layered)
      for (size_t li = 0; li < target.layers.size(); ++li)
        reporter.Info(fmt::format("{}: layer '{}' {} ({} packages)", target.name,
                                  target.layers[li].spec.name, layers[li].digest,
                                  target.layers[li].packages.size()));
    const int64_t epoch = tb.layer_epoch.empty() ? (req.epoch ? *req.epoch : 0)
                                                 : tb.layer_epoch.back();
    CAIRN_ASSIGN_OR_RETURN(auto img, layout.AddImage(ConfigSpec(image, target.arch, epoch), layers));

    sbom::ImageSbomInput si;
    si.image_name = image.name.value;
    si.arch = target.arch;
    si.epoch = epoch;
    si.manifest_digest = img.manifest.digest;
    si.config_digest = img.config.digest;
    for (const auto& l : layers) si.layer_digests.push_back(l.digest);
    si.os = OsReleaseOf(tree);
    si.tool_version = Version();
    for (const auto& o : tb.opened) si.packages.push_back({o.info, "", ""});
    // FetchAll opened the locked packages in order, so the lock entry of
    // debs[i] is the i-th package of the layers' concatenation.
    std::vector<const lock::LockedPackage*> locked;
    for (const auto& l : target.layers)
      for (const auto& p : l.packages) locked.push_back(&p);
    for (size_t i = 0; i < tb.debs.size(); ++i) {
      const compose::OpenedDeb& d = tb.debs[i];
      apk::PackageInfo info;
      info.name = d.package.name;
      info.version = d.package.version;
      info.arch = d.package.architecture;
      info.description = d.package.description;
      info.url = d.package.homepage;
      info.maintainer = d.package.maintainer;
      info.origin = d.package.source;
      info.datahash = locked[i]->sha256;  // the .deb's SHA256, reported as the SBOM checksum
      si.packages.push_back(
          {info, "", sbom::DebPurl(info.name, info.version, info.arch, si.os)});
    }
    // Allowed, but recorded: device nodes and setuid/setgid files (log and SBOM).
    for (const auto& f : rootfs::FindSpecialFiles(tree)) {
      size_t k = static_cast<size_t>(f.owner) + (tb.debs.empty() ? 0 : tb.opened.size());
      bool packaged = f.owner >= 0 && k < si.packages.size();
      reporter.Info(fmt::format("{}: {} installs {}", target.name,
                                packaged ? "'" + si.packages[k].info.name + "'" : "cairn",
                                rootfs::DescribeSpecialFile(f)));
      if (packaged) si.packages[k].special_files.push_back(rootfs::DescribeSpecialFile(f));
    }
    std::string sbom_name = target.board ? fmt::format("sbom-{}.spdx.json", target.name)
                                         : fmt::format("sbom-{}.spdx.json", target.arch);
    CAIRN_TRY(WriteFileAtomic(sbom_dir / sbom_name, sbom::WriteSpdxImage(si)));
    ArchOutput out{target.arch, img.manifest.digest, sbom_name, tb.opened.size() + tb.debs.size()};
    out.target = target.name;
    if (req.disks && target.board && !target.board->layout.partitions.empty()) {
      Step disk_step(reporter, fmt::format("writing the disk image of {}", target.name));
      const ScratchPath work{req.staging / fmt::format("disk-work-{}", target.name)};
      BoardDiskRequest dr;
      dr.board = target.board;
      dr.root = &tree;
      for (const auto& l : target.layers)
        for (const auto& w : l.spec.kernel_cmdline) dr.extra_cmdline.push_back(w.value);
      dr.epoch = epoch;
      dr.seed = img.manifest.digest;  // the lock and the epoch, in one value
      dr.work_dir = work.path;
      const config::Output* disk_output = nullptr;
      for (const auto& o : image.outputs)
        if (o.type.value == "disk") disk_output = &o;
      dr.qcow2 = disk_output && disk_output->format.value == "qcow2";
      out.disk_path = fmt::format("disk/{}.{}", target.name, dr.qcow2 ? "qcow2" : "img");
      dr.out = req.staging / out.disk_path;
      dr.reporter = &reporter;
      CAIRN_TRY(MakeDirs(dr.out.parent_path()));
      CAIRN_ASSIGN_OR_RETURN(BoardDisk disk, WriteBoardDisk(dr));
      out.kernel_cmdline = disk.cmdline;
      disk_step.Done();
    }
    if (!image.outputs.empty()) {
      const ScratchPath work{req.staging / fmt::format("outputs-work-{}", target.name)};
      ExtraOutputsRequest er;
      er.outputs = &image.outputs;
      er.target = target.name;
      for (const auto& l : target.layers) er.layer_names.push_back(l.spec.name);
      er.tree = &tree;
      er.epoch = epoch;
      er.seed = img.manifest.digest;
      er.staging = req.staging;
      er.work_dir = work.path;
      if (target.board) {
        er.board.board = target.board;
        er.board.root = &tree;
        er.board.epoch = epoch;
        er.board.work_dir = work.path;
        er.board.reporter = &reporter;
      }
      er.reporter = &reporter;
      CAIRN_ASSIGN_OR_RETURN(out.files, WriteExtraOutputs(er));
    }
    for (const auto& l : layers) out.layer_digests.push_back(l.digest);
    result.archs.push_back(std::move(out));
    if (images.empty()) result.epoch = epoch;
    images.push_back(std::move(img));
    step.Done();
  }

  const bool boards = !req.targets.empty() && req.targets.front().board != nullptr;
  if (boards) {
    // One ref per board; several boards may share a platform, so no index.
    for (size_t i = 0; i < images.size(); ++i) {
      std::string ref = fmt::format("{}-{}", image.name.value, req.targets[i].name);
      CAIRN_TRY(layout.Tag(ref, images[i].manifest));
    }
    CAIRN_TRY(layout.Commit());
    result.digest = images.size() == 1 ? images[0].manifest.digest : "";
    return result;
  }
  oci::TagOptions to;
  to.index_annotations = image.annotations;
  CAIRN_ASSIGN_OR_RETURN(oci::Descriptor tagged, layout.TagImages(image.name.value, images, to));
  CAIRN_TRY(layout.Commit());
  result.digest = tagged.digest;
  if (images.size() > 1) {
    sbom::IndexSbomInput ii;
    ii.image_name = image.name.value;
    ii.epoch = result.epoch;
    ii.index_digest = tagged.digest;
    ii.tool_version = Version();
    for (const auto& img : images) ii.images.push_back({img.apk_arch, img.manifest.digest});
    CAIRN_TRY(WriteFileAtomic(sbom_dir / "sbom-index.spdx.json", sbom::WriteSpdxIndex(ii)));
  }
  return result;
}

}  // namespace cairn::pipeline
