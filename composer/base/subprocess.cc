#include "cairn/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "cairn/interrupt.h"

extern char** environ;

namespace cairn {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How often the wait loop looks at InterruptRequested(): the signal may be
// delivered to another thread, so poll() is not guaranteed to return EINTR.
constexpr int kTickMs = 100;
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kStderrTailLines = 20;
// One stderr line can be a megabyte of progress output; the error shows its end.
constexpr size_t kStderrTailBytes = 4096;
// For a child without PATH (glibc's execvp would use "/bin:/usr/bin"), in Debian's order.
constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// Owns one file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

// Both ends close-on-exec: posix_spawn's dup2 onto 0/1/2 clears the flag on
// the copies the child keeps, and no other child started meanwhile inherits them.
Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("cannot create a pipe", errno);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    return ErrnoError("cannot make a pipe non-blocking", errno);
  return {};
}

// RAII for the posix_spawn attribute objects (they may allocate).
struct FileActions {
  posix_spawn_file_actions_t fa;
  FileActions() { ::posix_spawn_file_actions_init(&fa); }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&fa); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { ::posix_spawnattr_init(&attr); }
  ~SpawnAttr() { ::posix_spawnattr_destroy(&attr); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
};

// cairn's environment with `env_unset` removed and `env_set` applied; the
// inherited variables keep their order so the child sees a stable list.
Result<std::vector<std::string>> BuildEnvironment(const ProcessOptions& o) {
  for (const auto& [name, value] : o.env_set) {
    if (name.empty() || name.find('=') != std::string::npos)
      return InternalError(fmt::format("invalid environment variable name '{}'", name));
  }
  std::set<std::string_view> drop(o.env_unset.begin(), o.env_unset.end());
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    std::string_view name = kv.substr(0, kv.find('='));
    if (drop.count(name) || o.env_set.count(std::string(name))) continue;
    env.emplace_back(kv);
  }
  for (const auto& [name, value] : o.env_set) env.push_back(name + "=" + value);
  return env;
}

std::optional<std::string> LookupEnv(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& kv : env) {
    if (kv.size() > name.size() && kv.compare(0, name.size(), name) == 0 && kv[name.size()] == '=')
      return kv.substr(name.size() + 1);
  }
  return std::nullopt;
}

bool IsExecutableFile(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// execvp's search, done before spawning so a missing tool is reported by
// name rather than as a bare ENOENT. Empty PATH entries (the current
// directory) are skipped: a build must not pick up tools from wherever it runs.
std::optional<fs::path> SearchPath(std::string_view name, std::string_view path_var) {
  while (true) {
    size_t colon = path_var.find(':');
    std::string_view dir = path_var.substr(0, colon);
    if (!dir.empty()) {
      fs::path candidate = fs::path(std::string(dir)) / std::string(name);
      if (IsExecutableFile(candidate)) return candidate;
    }
    if (colon == std::string_view::npos) return std::nullopt;
    path_var.remove_prefix(colon + 1);
  }
}

// Writes as much of `data` as the pipe takes without blocking. SIGPIPE is
// blocked meanwhile (a child that exits without reading its input must not
// kill cairn); a SIGPIPE raised by this write is consumed so it is not
// delivered once the mask is restored. Returns false when the pipe is done
// (all written, or the reader went away).
bool WriteSome(int fd, std::string_view data, size_t& offset) {
  sigset_t pipe_set, old_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigemptyset(&pending);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  ::sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  bool open = true;
  while (offset < data.size()) {
    ssize_t n = ::write(fd, data.data() + offset, std::min(data.size() - offset, kReadChunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      if (errno == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (::sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
      open = false;  // EPIPE or another error: the child will not read more
      break;
    }
    offset += static_cast<size_t>(n);
  }
  ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return open && offset < data.size();
}

// Reads what is available; returns false at EOF (or on a read error).
bool ReadSome(int fd, std::string* out) {
  char buf[kReadChunk];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      if (out) out->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    return false;
  }
}

int WaitBlocking(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void RecordStatus(int status, ProcessResult& r) {
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    r.term_signal = 0;
  } else if (WIFSIGNALED(status)) {
    r.exit_code = -1;
    r.term_signal = WTERMSIG(status);
  }
}

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
    if (IsExecutableFile(p)) return p;
    return std::nullopt;
  }
  const char* path_var = std::getenv("PATH");
  return SearchPath(name, path_var ? path_var : kDefaultPath);
}

Result<ProcessResult> RunProcess(const ProcessOptions& o) {
  if (o.argv.empty() || o.argv[0].empty())
    return InternalError("RunProcess called without a program name");
  CAIRN_TRY(CheckInterrupted());
  const std::string& name = o.argv[0];
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> env, BuildEnvironment(o));

  if (!o.cwd.empty()) {
    struct stat st;
    if (::stat(o.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return NotFoundError(
          fmt::format("working directory '{}' of '{}' does not exist", o.cwd.string(), name));
  }

  // Resolve the program as the child would: its PATH, relative names from its cwd.
  std::optional<fs::path> program;
  if (name.find('/') != std::string::npos) {
    fs::path p(name);
    if (p.is_relative() && !o.cwd.empty()) p = o.cwd / p;
    if (IsExecutableFile(p)) program = p;
  } else {
    program = SearchPath(name, LookupEnv(env, "PATH").value_or(kDefaultPath));
  }
  if (!program) return ToolError(fmt::format("'{}' is not installed (exit 127)", name));

  CAIRN_ASSIGN_OR_RETURN(Pipe err_pipe, MakePipe());
  std::optional<Pipe> in_pipe, out_pipe;
  if (o.stdin_data) {
    CAIRN_ASSIGN_OR_RETURN(in_pipe, MakePipe());
  }
  if (o.capture_stdout) {
    CAIRN_ASSIGN_OR_RETURN(out_pipe, MakePipe());
  }

  FileActions actions;
  posix_spawn_file_actions_t* fa = &actions.fa;
  if (in_pipe)
    ::posix_spawn_file_actions_adddup2(fa, in_pipe->read_end.get(), STDIN_FILENO);
  else
    ::posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (out_pipe)
    ::posix_spawn_file_actions_adddup2(fa, out_pipe->write_end.get(), STDOUT_FILENO);
  else
    ::posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_adddup2(fa, err_pipe.write_end.get(), STDERR_FILENO);
  if (!o.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(fa, o.cwd.c_str());
  // Descriptors some library opened without O_CLOEXEC must not leak into tools.
  ::posix_spawn_file_actions_addclosefrom_np(fa, STDERR_FILENO + 1);

  // Own process group, so a timeout or Ctrl-C kills helpers the tool started
  // too; default dispositions and an empty mask, whatever cairn ignores or blocks.
  SpawnAttr attr;
  sigset_t all_signals, no_signals;
  sigfillset(&all_signals);
  sigdelset(&all_signals, SIGKILL);
  sigdelset(&all_signals, SIGSTOP);
  sigemptyset(&no_signals);
  ::posix_spawnattr_setflags(
      &attr.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  ::posix_spawnattr_setpgroup(&attr.attr, 0);
  ::posix_spawnattr_setsigdefault(&attr.attr, &all_signals);
  ::posix_spawnattr_setsigmask(&attr.attr, &no_signals);

  std::vector<std::string> args = o.argv;
  std::vector<char*> argv_ptrs, env_ptrs;
  for (auto& a : args) argv_ptrs.push_back(a.data());
  argv_ptrs.push_back(nullptr);
  for (auto& e : env) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, program->c_str(), fa, &attr.attr, argv_ptrs.data(), env_ptrs.data());
  if (rc != 0) {
    if (rc == ENOENT) return ToolError(fmt::format("'{}' is not installed (exit 127)", name));
    return ToolError(
        fmt::format("cannot run '{}' ('{}'): {}", name, program->string(), std::strerror(rc)));
  }

  // The parent keeps only its ends of the pipes.
  UniqueFd in_fd, out_fd, err_fd = std::move(err_pipe.read_end);
  err_pipe.write_end.Reset();
  if (in_pipe) {
    in_pipe->read_end.Reset();
    in_fd = std::move(in_pipe->write_end);
  }
  if (out_pipe) {
    out_pipe->write_end.Reset();
    out_fd = std::move(out_pipe->read_end);
  }
  // Once the child runs, every error path below must kill and reap it.
  ProcessResult result;
  bool reaped = false;
  auto kill_and_reap = [&]() {
    if (!reaped) {
      ::kill(-pid, SIGKILL);
      RecordStatus(WaitBlocking(pid), result);
      reaped = true;
    }
  };
  for (const UniqueFd* fd : {&in_fd, &out_fd, &err_fd}) {
    if (!fd->valid()) continue;
    Status st = SetNonBlocking(fd->get());
    if (!st.ok()) {
      kill_and_reap();
      return std::move(st).error();
    }
  }
  // pidfd turns the child's exit into a poll() event; without it (old
  // kernels, seccomp) the loop falls back to short sleeps between waitpid()s.
  // (glibc 2.36's <sys/pidfd.h> lacks extern "C", hence the raw syscall.)
  UniqueFd pid_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  std::string_view stdin_view = o.stdin_data ? std::string_view(*o.stdin_data) : "";
  size_t stdin_offset = 0;
  if (in_fd.valid() && stdin_view.empty()) in_fd.Reset();
  // A plain time_point, not std::optional: g++ 12 -O2 misreports the latter as uninitialized.
  const bool has_deadline = o.timeout.has_value();
  const Clock::time_point deadline = has_deadline ? Clock::now() + *o.timeout : Clock::time_point();
  int idle_sleep_ms = 1;

  while (true) {
    pollfd fds[4];
    nfds_t n = 0;
    int in_idx = -1, out_idx = -1, err_idx = -1;
    if (in_fd.valid()) {
      in_idx = static_cast<int>(n);
      fds[n++] = {in_fd.get(), POLLOUT, 0};
    }
    if (out_fd.valid()) {
      out_idx = static_cast<int>(n);
      fds[n++] = {out_fd.get(), POLLIN, 0};
    }
    if (err_fd.valid()) {
      err_idx = static_cast<int>(n);
      fds[n++] = {err_fd.get(), POLLIN, 0};
    }
    int wait_ms = kTickMs;
    if (pid_fd.valid()) {
      fds[n++] = {pid_fd.get(), POLLIN, 0};
    } else if (!in_fd.valid() && !out_fd.valid() && !err_fd.valid()) {
      wait_ms = idle_sleep_ms;
      idle_sleep_ms = std::min(idle_sleep_ms * 2, kTickMs);
    }
    if (has_deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      wait_ms = static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, wait_ms));
    }
    if (::poll(fds, n, wait_ms) < 0 && errno != EINTR) {
      int e = errno;
      kill_and_reap();
      return ErrnoError(fmt::format("waiting for '{}'", name), e);
    }
    if (in_idx >= 0 && fds[in_idx].revents != 0) {
      if (!WriteSome(in_fd.get(), stdin_view, stdin_offset)) in_fd.Reset();
    }
    if (out_idx >= 0 && fds[out_idx].revents != 0) {
      if (!ReadSome(out_fd.get(), &result.stdout_data)) out_fd.Reset();
    }
    if (err_idx >= 0 && fds[err_idx].revents != 0) {
      if (!ReadSome(err_fd.get(), &result.stderr_data)) err_fd.Reset();
    }

    int status = 0;
    pid_t w;
    while ((w = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (w == pid) {
      RecordStatus(status, result);
      reaped = true;
      // What the child wrote is in the pipe buffers; a background process it
      // left behind may still hold the pipes open, so read only what is there.
      if (out_fd.valid()) ReadSome(out_fd.get(), &result.stdout_data);
      if (err_fd.valid()) ReadSome(err_fd.get(), &result.stderr_data);
      break;
    }
    if (InterruptRequested()) {
      kill_and_reap();
      return CheckInterrupted().error().Context(fmt::format("running '{}'", name));
    }
    if (has_deadline && Clock::now() >= deadline) {
      kill_and_reap();
      result.timed_out = true;
      break;
    }
  }
  return result;
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
