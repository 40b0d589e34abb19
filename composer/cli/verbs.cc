#include "cli/verbs.h"

#include <cstdio>

namespace cairn::cli {

void Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

Status RunVerb(const Invocation& inv, Reporter& reporter) {
  const std::string& v = inv.verb;
  if (v == "build") return RunBuild(inv, reporter);
  if (v == "lock") return RunLock(inv, reporter);
  if (v == "resolve") return RunResolve(inv, reporter);
  if (v == "sbom") return RunSbom(inv, reporter);
  if (v == "show") return RunShow(inv, reporter);
  if (v == "list") return RunList(inv, reporter);
  if (v == "validate") return RunValidate(inv, reporter);
  if (v == "version") return RunVersion(inv, reporter);
  if (v == "run") return RunRun(inv, reporter);
  if (v == "inspect") return RunInspect(inv, reporter);
  if (v == "edit") return RunEdit(inv, reporter);
  if (v == "publish") return RunPublish(inv, reporter);
  if (v == "plan") return RunPlan(inv, reporter);
  return RunHelp(inv, reporter);
}

}  // namespace cairn::cli
