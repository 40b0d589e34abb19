// RunMatrix: a plan's entries as child processes, a few at a time; see
// cairn/matrix_run.h.
#include "cairn/matrix_run.h"

#include <signal.h>
#include <string.h>

#include <chrono>
#include <mutex>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cairn/file_util.h"
#include "cairn/interrupt.h"
#include "cairn/parallel.h"
#include "cairn/subprocess.h"

namespace cairn {
namespace fs = std::filesystem;

namespace {

constexpr size_t kLogTailLines = 15;

// The last lines of a log, indented, for the failure message.
std::string LogTail(const fs::path& log) {
  auto text = ReadFile(log);
  if (!text.ok()) return "";
  std::vector<std::string_view> lines;
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  std::string out;
  for (size_t i = lines.size() > kLogTailLines ? lines.size() - kLogTailLines : 0;
       i < lines.size(); ++i)
    out += fmt::format("\n  {}", lines[i]);
  return out;
}

std::string WhyFailed(const ProcessResult& r) {
  if (r.term_signal != 0) {
    const char* abbrev = ::sigabbrev_np(r.term_signal);
    return abbrev ? fmt::format("killed by SIG{}", abbrev)
                  : fmt::format("killed by signal {}", r.term_signal);
  }
  return fmt::format("exit status {}", r.exit_code);
}

}  // namespace

size_t MatrixRun::failed() const {
  size_t n = 0;
  for (const auto& e : entries) n += e.ok ? 0 : 1;
  return n;
}

MatrixRun RunMatrix(const BuildPlan& plan, const MatrixRunOptions& options, Reporter& reporter) {
  using Clock = std::chrono::steady_clock;
  MatrixRun run;
  const size_t n = plan.entries.size();
  run.entries.resize(n);
  std::mutex mu;  // the reporter and the counters
  size_t started = 0, finished = 0;

  // Every index returns OK: ParallelFor stops starting work after a failure,
  // and one broken entry must not keep the others from being built.
  (void)ParallelFor(n, std::max<size_t>(options.jobs, 1), [&](size_t i) -> Status {
    const PlanEntry& e = plan.entries[i];
    MatrixEntryResult& r = run.entries[i];
    r.index = e.index;
    r.name = e.image + "-" + e.target;
    r.log = e.output_dir + ".log";
    if (InterruptRequested()) {
      r.error = "not started (interrupted)";
      return {};
    }
    Status made = MakeDirs(fs::path(r.log).parent_path());
    if (!made.ok()) {
      r.error = made.error().message();
      return {};
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      ++started;
      reporter.Info(fmt::format("[{}/{}] started {} (entry {}, log {})", started, n, r.name,
                                e.index, r.log));
    }
    r.started = true;
    ProcessOptions po;
    po.argv = options.argv(e);
    po.stderr_file = r.log;
    po.interrupt_grace = options.interrupt_grace;
    const auto t0 = Clock::now();
    auto result = RunProcess(po);
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!result.ok()) {
      r.error = result.error().code() == Code::kInterrupted ? "interrupted"
                                                            : result.error().message();
    } else if (!result->ok()) {
      r.error = WhyFailed(*result);
    } else {
      r.ok = true;
      r.digest = result->stdout_data.substr(0, result->stdout_data.find('\n'));
    }
    std::lock_guard<std::mutex> lock(mu);
    ++finished;
    if (r.ok) {
      reporter.Info(fmt::format("[{}/{}] finished {} in {:.1f}s: {}", finished, n, r.name,
                                r.seconds, r.digest));
    } else {
      reporter.Warn(fmt::format("[{}/{}] {} failed after {:.1f}s ({}); the end of {}:{}", finished,
                                n, r.name, r.seconds, r.error, r.log, LogTail(r.log)));
    }
    return {};
  });
  run.interrupted = InterruptRequested();
  return run;
}

std::string MatrixResultLines(const MatrixRun& run) {
  std::string out;
  for (const auto& r : run.entries) {
    if (r.ok)
      out += fmt::format("{} {} {}\n", r.index, r.name, r.digest);
    else if (!r.started)
      out += fmt::format("{} {} {}\n", r.index, r.name, r.error);
    else
      out += fmt::format("{} {} failed: {} (log {})\n", r.index, r.name, r.error, r.log);
  }
  return out;
}

}  // namespace cairn
