// RunProcess and FailedProcessError; the spawning and the poll loop are in
// child_process.cc, shared with RunPipeProcess (pipe_process.cc).
#include "cairn/subprocess.h"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "child_process.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

constexpr size_t kStderrTailLines = 20;
// One stderr line can be a megabyte of progress output; the error shows its end.
constexpr size_t kStderrTailBytes = 4096;

std::string FormatDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

std::string SignalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", sig);
}

// The last kStderrTailLines lines of stderr (at most kStderrTailBytes),
// each indented, with a note on how much was left out.
std::string StderrTail(std::string_view err) {
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.remove_suffix(1);
  if (err.empty()) return "";
  size_t start = 0;
  size_t pos = err.size();
  for (size_t lines = 0; lines < kStderrTailLines; ++lines) {
    size_t nl = pos == 0 ? std::string_view::npos : err.rfind('\n', pos - 1);
    if (nl == std::string_view::npos) {
      start = 0;
      break;
    }
    start = nl + 1;
    pos = nl;
  }
  bool cut_bytes = err.size() - start > kStderrTailBytes;
  if (cut_bytes) start = err.size() - kStderrTailBytes;
  size_t omitted = static_cast<size_t>(std::count(err.begin(), err.begin() + start, '\n'));
  std::string out;
  if (start > 0)
    out += cut_bytes ? "\n  [... earlier stderr output omitted]"
                     : fmt::format("\n  [... {} earlier lines of stderr omitted]", omitted);
  std::string_view tail = err.substr(start);
  while (true) {
    size_t nl = tail.find('\n');
    out += "\n  ";
    out += tail.substr(0, nl);
    if (nl == std::string_view::npos) break;
    tail.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

std::string ShellQuote(std::string_view word) {
  if (word.empty()) return "''";
  bool safe = std::all_of(word.begin(), word.end(), [](unsigned char c) {
    return std::isalnum(c) || std::strchr("@%+=:,./_-", c) != nullptr;
  });
  if (safe) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

std::string ShellJoin(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += ShellQuote(a);
  }
  return out;
}

std::optional<fs::path> FindProgram(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    fs::path p{std::string(name)};
    if (internal::IsExecutableFile(p)) return p;
    return std::nullopt;
  }
  const char* path_var = std::getenv("PATH");
  return internal::SearchPath(name, path_var ? path_var : internal::kDefaultPath);
}

Result<ProcessResult> RunProcess(const ProcessOptions& o) {
  CAIRN_ASSIGN_OR_RETURN(auto child, internal::ChildProcess::Spawn(o, o.stdin_data.has_value()));
  // However the write ends (all taken, stdin closed, exited, timed out),
  // Wait() reports how the child finished.
  if (o.stdin_data) CAIRN_TRY(child->Write(*o.stdin_data));
  return child->Wait();
}

Error FailedProcessError(const ProcessOptions& o, const ProcessResult& r) {
  std::string name = o.argv.empty() ? std::string() : o.argv[0];
  std::string what;
  if (r.timed_out) {
    what = fmt::format("'{}' timed out after {} and was killed", name,
                       FormatDuration(o.timeout.value_or(std::chrono::milliseconds(0))));
  } else if (r.term_signal != 0) {
    what = fmt::format("'{}' was killed by {}", name, SignalName(r.term_signal));
  } else if (r.exit_code == 127) {
    // The shell convention: the tool ran but something it needed to run was missing.
    what = fmt::format("'{}' failed with exit code 127 (a program it runs is not installed)", name);
  } else if (r.exit_code != 0) {
    what = fmt::format("'{}' failed with exit code {}", name, r.exit_code);
  } else {
    return InternalError(fmt::format("'{}' succeeded but was reported as failed", name));
  }
  return ToolError(fmt::format("{}: {}{}", what, ShellJoin(o.argv), StderrTail(r.stderr_data)));
}

}  // namespace cairn
