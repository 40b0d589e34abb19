// One function per verb; RunVerb dispatches on Invocation::verb. Each verb
// prints its result on stdout and reports progress through the Reporter.
#pragma once

#include "cairn/reporter.h"
#include "cairn/result.h"
#include "cli/options.h"

namespace cairn::cli {

Status RunVerb(const Invocation& inv, Reporter& reporter);

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
Status RunHelp(const Invocation& inv, Reporter& reporter);

}  // namespace cairn::cli
