// The build matrix on the command line (docs/build-matrix.md): `cairn plan`,
// the entry behind `cairn build --matrix-entry N`, and `cairn build --all`,
// which runs every entry as a child `cairn build --matrix-entry N`.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "cairn/interrupt.h"
#include "cairn/matrix_run.h"
#include "cairn/parallel.h"
#include "cairn/plan.h"
#include "cli/verbs.h"

namespace cairn::cli {
namespace fs = std::filesystem;

namespace {

Result<long long> ParseCount(const std::string& flag, const std::string& text, long long min) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min)
    return UsageError(
        fmt::format("--{} needs an integer of at least {}, not '{}'", flag, min, text));
  return v;
}

PlanOptions PlanOptionsFrom(const Invocation& inv) {
  PlanOptions po;
  for (const auto& a : inv.args) po.images.emplace_back(a);
  po.archs = inv.all("arch");
  po.lockfile = inv.get("lockfile");
  po.disks = !inv.has("no-disk");
  return po;
}

// Builds of one machine share its cores, and each build already uses several
// threads while it fetches, installs and compresses: half the cores keeps two
// builds busy without each slowing the other down.
size_t DefaultJobs() { return std::max<size_t>(1, DefaultWorkers() / 2); }

// The flags of `build --all` that each child build gets as they were given.
std::vector<std::string> PassedOn(const Invocation& inv) {
  std::vector<std::string> out;
  for (const char* flag : {"offline", "allow-untrusted", "no-layer-cache", "no-disk",
                           "cache-read-only", "plain-http"})
    if (inv.has(flag)) out.push_back(std::string("--") + flag);
  for (const char* opt : {"lockfile", "source-date-epoch", "compression-level", "cache-dir",
                          "cache-registry"})
    if (inv.has(opt)) {
      out.push_back(std::string("--") + opt);
      out.push_back(inv.get(opt));
    }
  for (const auto& a : inv.all("arch")) {
    out.push_back("--arch");
    out.push_back(a);
  }
  for (int i = 0; i < inv.count("verbose"); ++i) out.push_back("-v");
  if (inv.has("quiet")) out.push_back("-q");
  return out;
}

fs::path SelfExe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec || !fs::exists(p, ec) ? fs::path("/proc/self/exe") : p;
}

}  // namespace

Status RunPlan(const Invocation& inv, Reporter&) {
  CAIRN_ASSIGN_OR_RETURN(BuildPlan plan, PlanBuilds(PlanOptionsFrom(inv)));
  Print(inv.has("github-matrix") ? GithubMatrixJson(plan) : PlanJson(plan));
  return {};
}

Result<PlanEntry> MatrixEntryOf(const Invocation& inv) {
  CAIRN_ASSIGN_OR_RETURN(long long n, ParseCount("matrix-entry", inv.get("matrix-entry"), 0));
  CAIRN_ASSIGN_OR_RETURN(BuildPlan plan, PlanBuilds(PlanOptionsFrom(inv)));
  return PlanEntryAt(plan, n);
}

Status RunBuildAll(const Invocation& inv, Reporter& reporter) {
  for (const char* opt : {"matrix-entry", "output", "push", "json"})
    if (inv.has(opt))
      return UsageError(fmt::format("'cairn build --all' does not take '--{}'", opt))
          .Hint("--all writes each entry to its own out/<image>/<target>; use --matrix-entry N "
                "to build (and push) one entry");
  size_t jobs = DefaultJobs();
  if (inv.has("jobs")) {
    CAIRN_ASSIGN_OR_RETURN(long long j, ParseCount("jobs", inv.get("jobs"), 1));
    jobs = static_cast<size_t>(j);
  }
  CAIRN_ASSIGN_OR_RETURN(BuildPlan plan, PlanBuilds(PlanOptionsFrom(inv)));
  const std::string exe = SelfExe().string();
  const std::vector<std::string> passed = PassedOn(inv);
  MatrixRunOptions mo;
  mo.jobs = jobs;
  mo.argv = [&](const PlanEntry& e) {
    std::vector<std::string> argv = {exe, "--color", "never", "build", "--matrix-entry",
                                     std::to_string(e.index)};
    argv.insert(argv.end(), inv.args.begin(), inv.args.end());
    argv.insert(argv.end(), passed.begin(), passed.end());
    return argv;
  };
  reporter.Info(fmt::format("building {} entr{}, at most {} at once", plan.entries.size(),
                            plan.entries.size() == 1 ? "y" : "ies", jobs));
  MatrixRun run = RunMatrix(plan, mo, reporter);
  Print(MatrixResultLines(run));
  if (run.interrupted) CAIRN_TRY(CheckInterrupted());
  if (size_t failed = run.failed(); failed > 0)
    return ToolError(fmt::format("{} of {} builds failed", failed, run.entries.size()))
        .Hint("each build's log is <output_dir>.log; 'cairn build --matrix-entry N' builds "
              "one again");
  return {};
}

}  // namespace cairn::cli
