// cairn's command line: parse with the option table, run one verb, map the
// error code to an exit status. Results go to stdout, everything else to stderr.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cairn/interrupt.h"
#include "cairn/reporter.h"
#include "cli/options.h"
#include "cli/verbs.h"

namespace {

int ExitCodeFor(cairn::Code code) {
  switch (code) {
    case cairn::Code::kUsage:
    case cairn::Code::kConfig:
      return 2;
    case cairn::Code::kInterrupted:
      return 130;
    default:
      return 1;
  }
}

cairn::Verbosity VerbosityOf(const cairn::cli::Invocation& inv) {
  if (inv.has("quiet")) return cairn::Verbosity::kQuiet;
  int v = inv.count("verbose");
  return v >= 2 ? cairn::Verbosity::kDebug : v == 1 ? cairn::Verbosity::kVerbose : cairn::Verbosity::kNormal;
}

cairn::ColorMode ColorOf(const cairn::cli::Invocation& inv) {
  std::string c = inv.get("color", "auto");
  return c == "always" ? cairn::ColorMode::kAlways : c == "never" ? cairn::ColorMode::kNever : cairn::ColorMode::kAuto;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  cairn::InstallInterruptHandlers();
  auto inv = cairn::cli::Parse(args);
  if (!inv.ok()) {
    cairn::TerminalReporter r(stderr, cairn::Verbosity::kNormal);
    r.PrintError(inv.error().Render());
    return 2;
  }
  std::string color = inv->get("color", "auto");
  if (color != "auto" && color != "always" && color != "never") {
    cairn::TerminalReporter r(stderr, cairn::Verbosity::kNormal);
    r.PrintError(cairn::UsageError("--color takes auto, always or never, not '" + color + "'").Render());
    return 2;
  }
  cairn::TerminalReporter reporter(stderr, VerbosityOf(*inv), ColorOf(*inv));
  if (inv->has("directory") && ::chdir(inv->get("directory").c_str()) != 0) {
    reporter.PrintError(cairn::ErrnoError("cannot change to directory '" + inv->get("directory") + "'", errno).Render());
    return 2;
  }
  try {
    cairn::Status status = cairn::cli::RunVerb(*inv, reporter);
    if (!status.ok()) {
      reporter.PrintError(status.error().Render());
      return ExitCodeFor(status.error().code());
    }
  } catch (const std::exception& e) {
    reporter.PrintError(std::string("internal error: ") + e.what());
    return 1;
  }
  return 0;
}
