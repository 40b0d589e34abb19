// Verbs that resolve or build: build, lock, resolve, sbom.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cairn/file_util.h"
#include "cairn/pipeline.h"
#include "cairn/publish/reference.h"
#include "cairn/run.h"
#include "cli/verbs.h"

namespace cairn::cli {
namespace fs = std::filesystem;

namespace {

Result<int64_t> ParseEpoch(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < 0)
    return UsageError(fmt::format("--source-date-epoch needs a non-negative integer, not '{}'", text));
  return static_cast<int64_t>(v);
}

Result<BuildOptions> OptionsFrom(const Invocation& inv) {
  BuildOptions o;
  o.config_file = inv.args.at(0);
  o.archs = inv.all("arch");
  o.lockfile = inv.get("lockfile");
  o.offline = inv.has("offline");
  o.layer_cache = !inv.has("no-layer-cache");
  o.disks = !inv.has("no-disk");
  o.allow_untrusted = inv.has("allow-untrusted");
  o.cache_dir = inv.get("cache-dir");
  o.cache_registry = inv.get("cache-registry");
  if (o.cache_registry.empty() && !o.offline)  // the variable, unlike the flag, yields to --offline
    if (const char* env = std::getenv("CAIRN_CACHE_REGISTRY"); env) o.cache_registry = env;
  o.cache_registry_plain_http = inv.has("plain-http");
  o.cache_registry_push = !inv.has("cache-read-only");
  if (inv.has("cache-read-only") && o.cache_registry.empty())
    return UsageError("--cache-read-only only applies with --cache-registry REPO");
  if (inv.has("source-date-epoch")) {
    CAIRN_ASSIGN_OR_RETURN(o.source_date_epoch, ParseEpoch(inv.get("source-date-epoch")));
  }
  if (inv.has("compression-level")) {
    std::string l = inv.get("compression-level");
    if (l.size() != 1 || l[0] < '1' || l[0] > '9')
      return UsageError(fmt::format("--compression-level takes 1 to 9, not '{}'", l));
    o.compression_level = l[0] - '0';
  }
  return o;
}

}  // namespace

Status RunBuild(const Invocation& inv, Reporter& reporter) {
  if (inv.has("all")) return RunBuildAll(inv, reporter);
  if (inv.has("jobs"))
    return UsageError("--jobs only applies with --all").Hint("see 'cairn build --help'");
  std::optional<PlanEntry> entry;
  Invocation one = inv;
  if (inv.has("matrix-entry")) {
    CAIRN_ASSIGN_OR_RETURN(entry, MatrixEntryOf(inv));
    one.args = {entry->declaration};
  }
  CAIRN_ASSIGN_OR_RETURN(BuildOptions o, OptionsFrom(one));
  o.output_dir = inv.get("output");
  if (entry) {
    // One target into its own directory, so entries built in parallel never
    // share an output; an explicit --output or --lockfile still wins.
    o.targets = {entry->target};
    if (o.output_dir.empty()) o.output_dir = entry->output_dir;
    if (o.lockfile.empty()) o.lockfile = entry->lockfile;
  }
  const std::string push = inv.get("push");
  if (inv.has("plain-http") && push.empty() && o.cache_registry.empty())
    return UsageError("--plain-http only applies with --push REF or --cache-registry REPO");
  if (inv.has("files") && push.empty()) return UsageError("--files only applies with --push REF");
  if (!push.empty()) CAIRN_TRY(publish::ParseReference(push));  // a typo fails before the build
  CAIRN_ASSIGN_OR_RETURN(BuildResult r, BuildImage(o, reporter));
  std::optional<publish::PublishReport> pushed;
  if (!push.empty()) {
    auto report = PublishDir(inv, r.output_dir, push, reporter);
    if (!report.ok())
      return std::move(report).error().Context(
          fmt::format("the build in '{}' is complete but pushing it failed", r.output_dir.string()));
    pushed = std::move(report).value();
  }
  if (inv.has("json")) {
    nlohmann::ordered_json j;
    j["image"] = r.image_name;
    j["digest"] = r.digest;
    j["output"] = r.output_dir.string();
    for (const auto& a : r.archs)
      j["archs"].push_back({{"arch", a.arch}, {"target", a.target},
                            {"manifest", a.manifest_digest}, {"packages", a.package_count},
                            {"sbom", a.sbom_path}, {"layers", a.layer_digests},
                            {"disk", a.disk_path}, {"files", a.files}});
    if (pushed)
      for (const auto& t : pushed->tags)
        j["pushed"].push_back({{"tag", t.tag}, {"digest", t.descriptor.digest}});
    Print(j.dump(2) + "\n");
  } else if (!r.digest.empty()) {
    Print(r.digest + "\n");
  } else {
    // Several boards: one image (manifest) per board, tagged <image>-<board>.
    for (const auto& a : r.archs) Print(a.manifest_digest + " " + r.image_name + "-" + a.target + "\n");
  }
  if (pushed && !inv.has("json")) Print(PushedLines(push, *pushed));
  return {};
}

Status RunLock(const Invocation& inv, Reporter& reporter) {
  CAIRN_ASSIGN_OR_RETURN(BuildOptions o, OptionsFrom(inv));
  fs::path out = inv.get("output");
  if (out.empty()) out = fs::path(o.config_file).replace_extension(".lock");
  CAIRN_TRY(LockImage(o, out, reporter));
  Print(out.string() + "\n");
  return {};
}

Status RunResolve(const Invocation& inv, Reporter& reporter) {
  CAIRN_ASSIGN_OR_RETURN(BuildOptions o, OptionsFrom(inv));
  CAIRN_ASSIGN_OR_RETURN(auto archs, ResolveImage(o, reporter));
  if (inv.has("json")) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& a : archs) {
      auto& list = j[a.arch] = nlohmann::ordered_json::array();
      for (const auto& p : a.packages)
        list.push_back({{"name", p.name}, {"version", p.version}, {"arch", p.arch},
                        {"url", p.url}, {"checksum", p.checksum}, {"size", p.size}});
    }
    Print(j.dump(2) + "\n");
    return {};
  }
  std::string out;
  for (const auto& a : archs) {
    if (archs.size() > 1) out += fmt::format("# {}\n", a.arch);
    for (const auto& p : a.packages) out += fmt::format("{} {}\n", p.name, p.version);
  }
  Print(out);
  return {};
}

Status RunSbom(const Invocation& inv, Reporter& reporter) {
  (void)reporter;
  fs::path target = inv.args.at(0);
  fs::path dir = target;
  if (!fs::is_directory(target)) {
    // A declaration file: its default output directory.
    dir = inv.get("output", (fs::path("out") / target.stem()).string());
  }
  fs::path sbom_dir = dir / "sbom";
  std::string arch = inv.get("arch");
  fs::path file = arch.empty() ? sbom_dir / "sbom-index.spdx.json"
                               : sbom_dir / fmt::format("sbom-{}.spdx.json", arch);
  if (arch.empty() && !fs::exists(file)) {
    // Single-arch builds have no index SBOM; show the only one there is.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(sbom_dir, ec)) file = e.path();
  }
  auto text = ReadFile(file);
  if (!text.ok())
    return NotFoundError(fmt::format("no SBOM at '{}'", file.string()))
        .Hint(fmt::format("build the image first: cairn build {}", target.string()));
  Print(*text);
  return {};
}

Status RunRun(const Invocation& inv, Reporter& reporter) {
  RunOptions o;
  o.config_file = inv.args.at(0);
  o.output_dir = inv.get("output");
  o.board = inv.get("board");
  o.check = inv.get("check");
  if (inv.has("timeout")) {
    const std::string t = inv.get("timeout");
    char* end = nullptr;
    long v = std::strtol(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || v <= 0 || v > 86400)
      return UsageError(fmt::format("--timeout takes seconds from 1 to 86400, not '{}'", t));
    o.timeout_seconds = static_cast<int>(v);
  }
  if (const char* accel = std::getenv("CAIRN_QEMU_ACCEL"); accel && *accel) o.accel = accel;
  return RunImage(o, reporter);
}

}  // namespace cairn::cli
