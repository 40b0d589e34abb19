#include "cairn/reporter.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace cairn {

Step::Step(Reporter& r, std::string title)
    : r_(r), title_(std::move(title)), start_(std::chrono::steady_clock::now()) {
  r_.StepBegin(title_);
}

Step::~Step() {
  if (!ended_) {
    ended_ = true;
    r_.StepEnd(title_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(),
               ok_);
  }
}

void Step::Done() {
  ok_ = true;
  if (!ended_) {
    ended_ = true;
    r_.StepEnd(title_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(),
               true);
  }
}

void RecordingReporter::Progress(size_t i, size_t n, std::string_view a, std::string_view item) {
  Add(fmt::format("({}/{}) {} {}", i, n, a, item));
}
void RecordingReporter::Add(std::string line) {
  std::lock_guard lock(mu_);
  lines_.push_back(std::move(line));
}
std::vector<std::string> RecordingReporter::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

TerminalReporter::TerminalReporter(std::FILE* out, Verbosity verbosity, ColorMode color)
    : out_(out), verbosity_(verbosity) {
  bool tty = ::isatty(::fileno(out)) != 0;
  const char* term = std::getenv("TERM");
  bool smart = tty && term && std::strcmp(term, "dumb") != 0;
  live_ = smart;
  if (color == ColorMode::kAlways) {
    color_ = true;
  } else if (color == ColorMode::kAuto) {
    const char* force = std::getenv("CLICOLOR_FORCE");
    color_ = (smart && !std::getenv("NO_COLOR")) || (force && std::strcmp(force, "0") != 0);
  }
}

TerminalReporter::~TerminalReporter() {
  std::lock_guard lock(mu_);
  ClearLive();
}

void TerminalReporter::ClearLive() {
  if (live_shown_) {
    std::fputs("\r\x1b[K", out_);
    live_shown_ = false;
  }
}

void TerminalReporter::Line(std::string_view text) {
  ClearLive();
  std::string indent(depth_ * 2, ' ');
  std::fprintf(out_, "%s%.*s\n", indent.c_str(), static_cast<int>(text.size()), text.data());
  std::fflush(out_);
}

void TerminalReporter::StepBegin(std::string_view title) {
  std::lock_guard lock(mu_);
  if (verbosity_ >= Verbosity::kNormal) {
    Line(color_ ? fmt::format("\x1b[1m‣ {}\x1b[0m", title) : fmt::format("‣ {}", title));
  }
  ++depth_;
}

void TerminalReporter::StepEnd(std::string_view title, double seconds, bool ok) {
  std::lock_guard lock(mu_);
  if (depth_ > 0) --depth_;
  if (!ok && verbosity_ >= Verbosity::kNormal) {
    Line(fmt::format("({} failed after {:.2f}s)", title, seconds));
  } else if (verbosity_ >= Verbosity::kVerbose) {
    Line(fmt::format("  ({} took {:.2f}s)", title, seconds));
  }
}

void TerminalReporter::Progress(size_t i, size_t n, std::string_view action, std::string_view item) {
  std::lock_guard lock(mu_);
  if (verbosity_ < Verbosity::kNormal) return;
  std::string text = fmt::format("({}/{}) {} {}", i, n, action, item);
  if (live_ && verbosity_ < Verbosity::kVerbose) {
    std::string indent(depth_ * 2, ' ');
    std::fprintf(out_, "\r\x1b[K%s%s", indent.c_str(), text.c_str());
    live_shown_ = true;
    if (i == n) ClearLive();
    std::fflush(out_);
  } else {
    Line(text);
  }
}

void TerminalReporter::Warn(std::string_view m) {
  std::lock_guard lock(mu_);
  if (verbosity_ < Verbosity::kNormal) return;
  Line(color_ ? fmt::format("\x1b[1;33mwarning:\x1b[0m {}", m) : fmt::format("warning: {}", m));
}
void TerminalReporter::Info(std::string_view m) {
  std::lock_guard lock(mu_);
  if (verbosity_ >= Verbosity::kNormal) Line(m);
}
void TerminalReporter::Verbose(std::string_view m) {
  std::lock_guard lock(mu_);
  if (verbosity_ >= Verbosity::kVerbose) Line(m);
}
void TerminalReporter::Debug(std::string_view m) {
  std::lock_guard lock(mu_);
  if (verbosity_ >= Verbosity::kDebug) Line(m);
}

void TerminalReporter::PrintError(std::string_view rendered) {
  std::lock_guard lock(mu_);
  ClearLive();
  std::string prefix = color_ ? "\x1b[1;31mcairn: error:\x1b[0m " : "cairn: error: ";
  // Located errors already say "file:l:c: error:"; keep the "cairn:" prefix only.
  if (rendered.find(": error: ") != std::string_view::npos)
    prefix = color_ ? "\x1b[1mcairn:\x1b[0m " : "cairn: ";
  std::fprintf(out_, "%s%.*s\n", prefix.c_str(), static_cast<int>(rendered.size()), rendered.data());
  std::fflush(out_);
}

}  // namespace cairn
