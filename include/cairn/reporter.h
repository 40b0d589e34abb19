// Reporter: the one way library code talks to the user (stderr, never stdout).
//
// Library code never prints. Stages receive a Reporter& and open Steps:
//   cairn::Step step(reporter, "resolving packages for aarch64");
//   reporter.Progress(i, n, "extracting", "musl 1.2.5-r0");   // "(3/17) extracting musl 1.2.5-r0"
//   reporter.Warn("package 'foo' has a post-install script that was not run");
// TerminalReporter prints nested step lines, overprints progress on a tty
// (plain lines otherwise) and honours -q/-v/-vv. RecordingReporter keeps
// lines for tests. All reporters are safe to call from several threads.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

enum class Verbosity { kQuiet = 0, kNormal = 1, kVerbose = 2, kDebug = 3 };

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void StepBegin(std::string_view title) = 0;
  virtual void StepEnd(std::string_view title, double seconds, bool ok) = 0;
  /// A counter line: "(i/n) action item". Shown at normal verbosity (live on a tty).
  virtual void Progress(size_t i, size_t n, std::string_view action, std::string_view item) = 0;
  virtual void Warn(std::string_view message) = 0;
  /// Default-level information.
  virtual void Info(std::string_view message) = 0;
  /// -v: one line per package, timings.
  virtual void Verbose(std::string_view message) = 0;
  /// -vv: subprocess argv, URLs, cache hits.
  virtual void Debug(std::string_view message) = 0;
};

/// RAII step: begins on construction, ends (with duration) on destruction or Done().
class Step {
 public:
  Step(Reporter& r, std::string title);
  ~Step();
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;
  /// Marks the step successful; a Step destroyed without Done() reports failure.
  void Done();

 private:
  Reporter& r_;
  std::string title_;
  std::chrono::steady_clock::time_point start_;
  bool ended_ = false;
  bool ok_ = false;
};

/// Discards everything.
class NullReporter : public Reporter {
 public:
  void StepBegin(std::string_view) override {}
  void StepEnd(std::string_view, double, bool) override {}
  void Progress(size_t, size_t, std::string_view, std::string_view) override {}
  void Warn(std::string_view) override {}
  void Info(std::string_view) override {}
  void Verbose(std::string_view) override {}
  void Debug(std::string_view) override {}
};

/// Keeps every line (at all levels) for assertions in tests.
class RecordingReporter : public Reporter {
 public:
  void StepBegin(std::string_view t) override { Add("step: " + std::string(t)); }
  void StepEnd(std::string_view, double, bool) override {}
  void Progress(size_t i, size_t n, std::string_view a, std::string_view item) override;
  void Warn(std::string_view m) override { Add("warning: " + std::string(m)); }
  void Info(std::string_view m) override { Add(std::string(m)); }
  void Verbose(std::string_view m) override { Add(std::string(m)); }
  void Debug(std::string_view m) override { Add(std::string(m)); }
  std::vector<std::string> lines() const;

 private:
  void Add(std::string line);
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

enum class ColorMode { kAuto, kAlways, kNever };

/// Writes to a FILE* (stderr in the CLI).
class TerminalReporter : public Reporter {
 public:
  TerminalReporter(std::FILE* out, Verbosity verbosity, ColorMode color = ColorMode::kAuto);
  ~TerminalReporter() override;
  void StepBegin(std::string_view title) override;
  void StepEnd(std::string_view title, double seconds, bool ok) override;
  void Progress(size_t i, size_t n, std::string_view action, std::string_view item) override;
  void Warn(std::string_view message) override;
  void Info(std::string_view message) override;
  void Verbose(std::string_view message) override;
  void Debug(std::string_view message) override;
  /// Prints an error block (already rendered) after clearing any live line.
  void PrintError(std::string_view rendered);

 private:
  void Line(std::string_view text);
  void ClearLive();
  std::mutex mu_;
  std::FILE* out_;
  Verbosity verbosity_;
  bool live_ = false;   // overprint progress lines
  bool color_ = false;
  bool live_shown_ = false;
  int depth_ = 0;
};

}  // namespace cairn
