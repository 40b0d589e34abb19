// ChildProcess (private to base): one running child with piped stdio, the
// engine behind RunProcess (cairn/subprocess.h) and RunPipeProcess
// (cairn/pipe_process.h).
//
// Spawn() starts argv[0] in its own process group, stdout and stderr piped
// (stderr to a file with ProcessOptions::stderr_file), stdin piped or
// /dev/null. Write() feeds stdin while draining stdout and stderr with
// poll(), so neither side can block the other; Wait() closes stdin and keeps
// draining until the child exits. An interrupt (after passing the signal on
// and waiting ProcessOptions::interrupt_grace, if set) or the timeout kills
// the whole group. The destructor kills and reaps a child that
// is still running, so every error path cleans up.
//
//   CAIRN_ASSIGN_OR_RETURN(auto child, internal::ChildProcess::Spawn(opts, /*pipe_stdin=*/true));
//   CAIRN_ASSIGN_OR_RETURN(auto progress, child->Write(bytes));
//   CAIRN_ASSIGN_OR_RETURN(ProcessResult result, child->Wait());
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/result.h"
#include "cairn/subprocess.h"

namespace cairn::internal {

/// Owns one file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset();

 private:
  int fd_ = -1;
};

/// PATH for a child without one (glibc's execvp would use "/bin:/usr/bin"), in Debian's order.
inline constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

/// execvp's PATH search over `path_var`, skipping empty entries (the cwd).
std::optional<std::filesystem::path> SearchPath(std::string_view name, std::string_view path_var);
/// A regular file the caller may execute.
bool IsExecutableFile(const std::filesystem::path& p);

/// How a Write() ended.
enum class WriteProgress {
  kWritten,      ///< every byte is in the pipe
  kStdinClosed,  ///< the child closed its stdin (EPIPE) before taking everything
  kExited,       ///< the child exited (see Wait() for its status)
  kTimedOut,     ///< the timeout passed; the child was killed
};

class ChildProcess {
 public:
  /// Starts `options.argv` (options.stdin_data is ignored: stdin is a pipe
  /// when `pipe_stdin`, else /dev/null). Errors as documented for RunProcess.
  static Result<std::unique_ptr<ChildProcess>> Spawn(const ProcessOptions& options,
                                                     bool pipe_stdin);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Writes `data` to stdin, draining stdout/stderr meanwhile. kInterrupted
  /// (the child is killed first) or a poll() failure are errors.
  Result<WriteProgress> Write(std::string_view data);
  /// Closes stdin and drains until the child exits or times out.
  Result<ProcessResult> Wait();
  /// Kills the process group and reaps the child (no-op once reaped).
  void Kill();

  const std::string& name() const { return name_; }

 private:
  ChildProcess() = default;
  // The poll loop: with `until_exit` false it returns once `data` is written
  // (or the child stops taking it); with true it writes nothing and returns
  // when the child has exited or timed out.
  Result<WriteProgress> Pump(std::string_view data, bool until_exit);

  std::string name_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  UniqueFd in_fd_, out_fd_, err_fd_, pid_fd_;
  bool has_deadline_ = false;
  std::chrono::steady_clock::time_point deadline_;
  int idle_sleep_ms_ = 1;
  std::optional<std::chrono::milliseconds> interrupt_grace_;  // ProcessOptions::interrupt_grace
  bool forwarded_ = false;  // the interrupt signal was passed on to the child
  std::chrono::steady_clock::time_point kill_at_;  // then: when to give up waiting
  ProcessResult result_;
};

}  // namespace cairn::internal
