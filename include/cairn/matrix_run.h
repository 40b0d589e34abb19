// Running every entry of a build plan on this machine (`cairn build --all`):
// each entry is a child process (the CLI runs its own binary with
// `build --matrix-entry N`), at most `jobs` at once, its stderr written to
// <output_dir>.log as it runs. A failed entry does not stop the others. On
// SIGINT/SIGTERM the signal is passed on to the running children, which
// remove their unfinished output, and no further entry starts.
//
//   MatrixRunOptions mo;
//   mo.argv = [&](const PlanEntry& e) { return std::vector<std::string>{exe, "build", ...}; };
//   mo.jobs = 2;
//   MatrixRun run = RunMatrix(plan, mo, reporter);   // one line per start/finish on reporter
//   for (const auto& r : run.entries) ... r.ok, r.digest, r.log ...
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "cairn/plan.h"
#include "cairn/reporter.h"

namespace cairn {

struct MatrixRunOptions {
  /// The command that builds one entry, program first (run without a shell).
  std::function<std::vector<std::string>(const PlanEntry&)> argv;
  /// At most this many entries at once (at least 1).
  size_t jobs = 1;
  /// How long a child may take to stop after the signal is passed on before it is killed.
  std::chrono::milliseconds interrupt_grace{30000};
};

/// How one entry went.
struct MatrixEntryResult {
  size_t index = 0;
  std::string name;     ///< <image>-<target>
  bool started = false; ///< false: an interrupt came first
  bool ok = false;
  std::string digest;   ///< the first line the child printed on stdout
  std::string error;    ///< why it failed, one line ("exit status 1", "killed by SIGKILL", ...)
  std::string log;      ///< <output_dir>.log
  double seconds = 0;
};

struct MatrixRun {
  std::vector<MatrixEntryResult> entries;  ///< in index order
  bool interrupted = false;                ///< SIGINT/SIGTERM arrived
  size_t failed() const;                   ///< entries not ok (not started ones included)
};

/// Runs every entry of `plan` (see above). Progress goes to `reporter`: a line when an
/// entry starts, when it finishes (with its time) and when it fails (with the last
/// lines of its log).
MatrixRun RunMatrix(const BuildPlan& plan, const MatrixRunOptions& options, Reporter& reporter);

/// One stdout line per entry: "<index> <name> <digest>", or "<index> <name> failed: <why>
/// (log <file>)", or "<index> <name> not started (interrupted)"; each ends in a newline.
std::string MatrixResultLines(const MatrixRun& run);

}  // namespace cairn
