// One function per verb; RunVerb dispatches on Invocation::verb. Each verb
// prints its result on stdout and reports progress through the Reporter.
#pragma once

#include <filesystem>
#include <string>

#include "cairn/plan.h"
#include "cairn/publish/publish.h"
#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cli/options.h"

namespace cairn::cli {

Status RunVerb(const Invocation& inv, Reporter& reporter);
/// Writes a verb's result to stdout and flushes it (progress goes to stderr).
void Print(const std::string& text);

Status RunBuild(const Invocation& inv, Reporter& reporter);
Status RunLock(const Invocation& inv, Reporter& reporter);
Status RunResolve(const Invocation& inv, Reporter& reporter);
Status RunSbom(const Invocation& inv, Reporter& reporter);
Status RunShow(const Invocation& inv, Reporter& reporter);
Status RunList(const Invocation& inv, Reporter& reporter);
Status RunValidate(const Invocation& inv, Reporter& reporter);
Status RunVersion(const Invocation& inv, Reporter& reporter);
Status RunRun(const Invocation& inv, Reporter& reporter);
Status RunInspect(const Invocation& inv, Reporter& reporter);
Status RunEdit(const Invocation& inv, Reporter& reporter);
Status RunPublish(const Invocation& inv, Reporter& reporter);
Status RunHelp(const Invocation& inv, Reporter& reporter);
Status RunPlan(const Invocation& inv, Reporter& reporter);
/// `cairn build --all`: every entry of the plan as a child build (matrix_verbs.cc).
Status RunBuildAll(const Invocation& inv, Reporter& reporter);
/// The entry `build --matrix-entry N` builds: entry N of the plan of the invocation's
/// FILEs (or images/) and --arch.
Result<PlanEntry> MatrixEntryOf(const Invocation& inv);

/// Pushes the build output or OCI layout `dir` to `ref` with the invocation's
/// --plain-http and --ref (publish_verb.cc; also `build --push`).
Result<publish::PublishReport> PublishDir(const Invocation& inv, const std::filesystem::path& dir,
                                          const std::string& ref, Reporter& reporter);
/// One "<digest> <registry>/<repository>:<tag>" line per tag pushed.
std::string PushedLines(const std::string& ref, const publish::PublishReport& report);

}  // namespace cairn::cli
