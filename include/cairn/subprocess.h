// Running host tools (gpgv; later mksquashfs, mke2fs, depmod, qemu) without a shell.
//
// RunProcess() starts argv[0] (PATH lookup), feeds it `stdin_data` (or /dev/null) and
// reads stdout and stderr with poll(), so full pipes never deadlock. The child gets
// its own process group, killed as a whole on timeout or when cairn is interrupted.
// A non-zero exit is not an error of RunProcess; turn it into one with FailedProcessError:
//   ProcessOptions opts{.argv = {"depmod", "-b", root.string(), kver}};
//   CAIRN_ASSIGN_OR_RETURN(auto run, RunProcess(opts));
//   if (!run.ok()) return FailedProcessError(opts, run);
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/result.h"

namespace cairn {

/// What to run and how. Only `argv` is required.
struct ProcessOptions {
  /// Program and arguments; argv[0] is looked up in the child's PATH unless it contains '/'.
  std::vector<std::string> argv;
  /// Bytes written to the child's stdin, which is then closed; without it stdin is /dev/null.
  std::optional<std::string> stdin_data;
  /// Collect stdout into ProcessResult::stdout_data; when false it goes to /dev/null
  /// (never to cairn's stdout, which carries results only).
  bool capture_stdout = true;
  /// Variables set (or replaced) in the child; the rest of cairn's environment is inherited.
  std::map<std::string, std::string> env_set;
  /// Variables removed from the child's environment (env_set wins over this).
  std::vector<std::string> env_unset;
  /// Working directory of the child; empty means cairn's own.
  std::filesystem::path cwd;
  /// Kill the child (and its process group) after this long; ProcessResult::timed_out is set.
  std::optional<std::chrono::milliseconds> timeout;
  /// Write the child's stderr to this file (created or truncated) as it comes instead of
  /// collecting it in ProcessResult::stderr_data (a long build's log).
  std::filesystem::path stderr_file;
  /// On SIGINT/SIGTERM, pass the same signal to the child's process group and wait this
  /// long for it to clean up and exit before killing it; unset: kill it at once.
  std::optional<std::chrono::milliseconds> interrupt_grace;
};

/// How a child ended and what it wrote.
struct ProcessResult {
  int exit_code = -1;   ///< exit status, or -1 when killed by a signal
  int term_signal = 0;  ///< the signal that killed it, 0 when it exited
  std::string stdout_data;
  std::string stderr_data;  ///< collected (unless stderr_file), for FailedProcessError
  bool timed_out = false;   ///< cairn killed it because `timeout` passed

  /// Exited with status 0 (and was not killed).
  bool ok() const { return exit_code == 0 && term_signal == 0 && !timed_out; }
};

/// Runs a program to completion. Errors: kTool "'gpgv' is not installed (exit 127)"
/// when argv[0] is not found, kTool when it cannot be started, kNotFound for a
/// missing `cwd`, kInterrupted when SIGINT/SIGTERM arrived (the child is killed
/// first), kInternal for an empty argv or a malformed variable name. Never throws.
Result<ProcessResult> RunProcess(const ProcessOptions& options);

/// A kTool error describing a failed run (style.md §5): the program, its exit
/// code, signal or timeout, the shell-quoted argv, and the last 20 lines of stderr.
Error FailedProcessError(const ProcessOptions& options, const ProcessResult& result);

/// Quotes one word for a POSIX shell; safe words are returned unchanged.
std::string ShellQuote(std::string_view word);
/// Shell-quotes each argument and joins them with spaces (for logs and errors).
std::string ShellJoin(const std::vector<std::string>& argv);

/// Where `name` would be found in cairn's PATH (as RunProcess looks it up), if anywhere.
std::optional<std::filesystem::path> FindProgram(std::string_view name);

}  // namespace cairn
