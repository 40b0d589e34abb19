// PlanBuilds and the plan's JSON forms; see cairn/plan.h and docs/build-matrix.md.
#include "cairn/plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cairn/config/arch.h"
#include "cairn/config/list.h"
#include "cairn/config/loader.h"
#include "cairn/config/stack.h"
#include "cairn/config/validate.h"
#include "cairn/digest.h"
#include "cairn/pipeline.h"

namespace cairn {
namespace fs = std::filesystem;

namespace {

// Paths in the plan are relative to the current directory when inside it, so
// the same checkout on another machine (or another CI workspace) gives the
// same plan and the same keys.
std::string Display(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec).lexically_normal();
  if (ec) return p.lexically_normal().string();
  fs::path rel = abs.lexically_relative(fs::current_path(ec));
  if (!ec && !rel.empty() && *rel.begin() != "..") return rel.string();
  return abs.string();
}

Result<std::vector<fs::path>> ImagesOf(const PlanOptions& o) {
  if (!o.images.empty()) return o.images;
  fs::path root = o.project_dir.empty() ? fs::current_path() : o.project_dir;
  std::error_code ec;
  if (!fs::is_directory(root / "images", ec))
    return NotFoundError(fmt::format("'{}' has no images/ directory to plan",
                                     Display(root)))
        .Hint("run in the project directory (see -C) or name the declarations");
  CAIRN_ASSIGN_OR_RETURN(auto decls, config::ListDeclarations(root));
  std::vector<fs::path> out;
  for (const auto& d : decls)
    if (d.kind == "images") out.push_back(d.file);
  if (out.empty())
    return NotFoundError(fmt::format("'{}' has no declarations", Display(root / "images")))
        .Hint("an image declaration is images/<name>.yaml");
  return out;
}

Result<std::vector<std::string>> ExpandArchs(const std::vector<std::string>& archs) {
  std::vector<std::string> out;
  for (const auto& a : archs) {
    auto expanded = config::ExpandArch(a);
    if (expanded.empty())
      return UsageError(fmt::format("unknown architecture '{}' given to --arch", a))
          .Hint("use an apk name (x86_64, aarch64, armv7, ...) or an OCI name (amd64, arm64, ...)");
    for (auto& e : expanded)
      if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
  }
  return out;
}

// The output kinds of one target, in the order plan.h documents.
std::vector<std::string> OutputsOf(const config::Image& image, const config::BuildTarget& t,
                                   bool disks) {
  std::vector<std::string> out = {"oci"};
  if (disks && t.board && !t.board->layout.partitions.empty()) out.push_back("disk");
  for (const auto& o : image.outputs) {
    if (o.type.value == "disk") continue;  // written with the board's disk, if at all
    if (std::find(out.begin(), out.end(), o.type.value) == out.end())
      out.push_back(o.type.value);
  }
  return out;
}

Status AddInput(const fs::path& file, std::vector<PlanInput>& inputs) {
  std::string path = Display(file);
  for (const auto& i : inputs)
    if (i.path == path) return {};
  auto hash = Sha256FileHex(file.string());
  if (!hash.ok())
    return std::move(hash).error().Context(fmt::format("hashing '{}' for the plan", path));
  inputs.push_back({path, *hash});
  return {};
}

// What the key covers, one item a line, so a change to any of them changes it.
std::string KeyOf(const PlanEntry& e) {
  std::string text = fmt::format("cairn-plan-key 1\nversion {}\nimage {}\ntarget {}\narch {}\n",
                                 Version(), e.image, e.target, e.arch);
  text += "outputs";
  for (const auto& o : e.outputs) text += " " + o;
  text += "\n";
  for (const auto& i : e.inputs) text += fmt::format("{}  {}\n", i.sha256, i.path);
  return Sha256Hex(text);
}

// The entries of one declaration, unnumbered.
Status PlanImage(const fs::path& file, const PlanOptions& o, const std::vector<std::string>& archs,
                 std::vector<PlanEntry>& entries) {
  CAIRN_ASSIGN_OR_RETURN(config::Image image, config::LoadImage(file));
  CAIRN_TRY(config::Validate(image));
  if (!image.board_defs.empty() && !archs.empty()) {
    // With boards --arch only filters; an image with no board left is not built here.
    bool any = std::any_of(image.board_defs.begin(), image.board_defs.end(), [&](const auto& b) {
      return std::find(archs.begin(), archs.end(), b.arch.value) != archs.end();
    });
    if (!any) return {};
  }
  CAIRN_ASSIGN_OR_RETURN(auto targets,
                         config::PlanTargets(image, config::PackageSourceOf(image), archs));

  std::vector<PlanInput> inputs;
  CAIRN_TRY(AddInput(file, inputs));
  for (const auto& f : image.included_files) CAIRN_TRY(AddInput(f, inputs));
  // Local keys are inputs too: a new key is a different build. (URLs and
  // repository contents are not files of the project; a lock pins those.)
  for (const auto& k : image.contents.keyring) {
    std::error_code ec;
    if (k.value.find("://") == std::string::npos && fs::is_regular_file(k.value, ec))
      CAIRN_TRY(AddInput(k.value, inputs));
  }
  fs::path lock = o.lockfile;
  if (lock.empty()) {
    fs::path beside = fs::path(file).replace_extension(".lock");
    std::error_code ec;
    if (fs::is_regular_file(beside, ec)) lock = beside;
  }
  if (!lock.empty()) CAIRN_TRY(AddInput(lock, inputs));

  for (const auto& t : targets) {
    PlanEntry e;
    e.image = image.name.value;
    e.declaration = Display(file);
    e.target = t.name;
    e.arch = t.arch;
    if (t.board) e.board = t.board->name.value;
    e.outputs = OutputsOf(image, t, o.disks);
    e.output_dir = (fs::path("out") / e.image / e.target).string();
    if (!lock.empty()) e.lockfile = Display(lock);
    e.inputs = inputs;
    e.key = KeyOf(e);
    entries.push_back(std::move(e));
  }
  return {};
}

}  // namespace

Result<BuildPlan> PlanBuilds(const PlanOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<fs::path> files, ImagesOf(options));
  if (!options.lockfile.empty() && files.size() > 1)
    return UsageError(fmt::format("--lockfile names the lock of one image, but {} are planned",
                                  files.size()))
        .Hint("keep each image's lock beside it as <declaration>.lock (what 'cairn lock' writes)");
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> archs, ExpandArchs(options.archs));

  BuildPlan plan;
  std::map<std::string, std::string> declared_by;  // image name -> declaration
  for (const auto& f : files) {
    const size_t before = plan.entries.size();
    CAIRN_TRY(PlanImage(f, options, archs, plan.entries));  // its errors name the file
    if (plan.entries.size() == before) continue;
    const std::string& name = plan.entries[before].image;
    auto [it, fresh] = declared_by.emplace(name, plan.entries[before].declaration);
    if (!fresh)
      return ConfigError(SourceLoc{plan.entries[before].declaration},
                         fmt::format("image '{}' is also declared by '{}'; their builds would "
                                     "share out/{}",
                                     name, it->second, name))
          .Hint("give one of them another 'name:'");
  }
  if (plan.entries.empty())
    return UsageError(fmt::format("no build target is for {}", fmt::join(archs, ", ")))
        .Hint("the boards' archs are in 'cairn list boards'");
  std::sort(plan.entries.begin(), plan.entries.end(), [](const PlanEntry& a, const PlanEntry& b) {
    return a.image != b.image ? a.image < b.image : a.target < b.target;
  });
  for (size_t i = 0; i < plan.entries.size(); ++i) plan.entries[i].index = i;
  return plan;
}

std::string PlanJson(const BuildPlan& plan) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const auto& e : plan.entries) {
    nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
    for (const auto& i : e.inputs) inputs.push_back({{"path", i.path}, {"sha256", i.sha256}});
    nlohmann::ordered_json j;
    j["index"] = e.index;
    j["image"] = e.image;
    j["declaration"] = e.declaration;
    j["target"] = e.target;
    j["arch"] = e.arch;
    j["board"] =
        e.board.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.board);
    j["outputs"] = e.outputs;
    j["output_dir"] = e.output_dir;
    j["lockfile"] =
        e.lockfile.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.lockfile);
    j["inputs"] = std::move(inputs);
    j["key"] = e.key;
    entries.push_back(std::move(j));
  }
  nlohmann::ordered_json top;
  top["version"] = 1;
  top["entries"] = std::move(entries);
  top["count"] = plan.entries.size();
  return top.dump(2) + "\n";
}

std::string GithubMatrixJson(const BuildPlan& plan) {
  nlohmann::ordered_json include = nlohmann::ordered_json::array();
  for (const auto& e : plan.entries)
    include.push_back({{"entry", e.index}, {"name", e.image + "-" + e.target}});
  nlohmann::ordered_json top;
  top["include"] = std::move(include);
  return top.dump() + "\n";
}

Result<PlanEntry> PlanEntryAt(const BuildPlan& plan, long long index) {
  const size_t n = plan.entries.size();
  if (n == 0) return UsageError(fmt::format("matrix entry {} does not exist: the plan is empty", index));
  if (index < 0 || static_cast<unsigned long long>(index) >= n)
    return UsageError(fmt::format(
               "matrix entry {} does not exist: the plan has {} entr{} (0 to {})", index, n,
               n == 1 ? "y" : "ies", n - 1))
        .Hint("'cairn plan' with the same declarations and --arch lists them");
  return plan.entries[static_cast<size_t>(index)];
}

}  // namespace cairn
