#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "cairn/interrupt.h"

extern char** environ;

namespace cairn::internal {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How often the wait loop looks at InterruptRequested(): the signal may be
// delivered to another thread, so poll() is not guaranteed to return EINTR.
constexpr int kTickMs = 100;
constexpr size_t kReadChunk = 64 * 1024;

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

// Writes as much of `data` as the pipe takes without blocking. SIGPIPE is
// blocked meanwhile (a child that exits without reading its input must not
// kill cairn); a SIGPIPE raised by this write is consumed so it is not
// delivered once the mask is restored. Returns false when the reader went
// away (or another write error happened): the child will not read more.
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
      open = false;
      break;
    }
    offset += static_cast<size_t>(n);
  }
  ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return open;
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

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    Reset();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool IsExecutableFile(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// Done before spawning so a missing tool is reported by name rather than as
// a bare ENOENT. Empty PATH entries (the current directory) are skipped: a
// build must not pick up tools from wherever it runs.
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

Result<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const ProcessOptions& o,
                                                          bool pipe_stdin) {
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

  std::optional<Pipe> err_pipe, in_pipe, out_pipe;
  UniqueFd err_file;
  if (o.stderr_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(err_pipe, MakePipe());
  } else {
    err_file = UniqueFd(
        ::open(o.stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!err_file.valid())
      return ErrnoError(fmt::format("cannot create '{}' for the output of '{}'",
                                    o.stderr_file.string(), name),
                        errno);
  }
  if (pipe_stdin) {
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
  ::posix_spawn_file_actions_adddup2(fa, err_pipe ? err_pipe->write_end.get() : err_file.get(),
                                     STDERR_FILENO);
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

  // From here on the destructor kills and reaps the child on every error path.
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->name_ = name;
  child->pid_ = pid;
  // The parent keeps only its ends of the pipes.
  if (err_pipe) {
    child->err_fd_ = std::move(err_pipe->read_end);
    err_pipe->write_end.Reset();
  }
  child->interrupt_grace_ = o.interrupt_grace;
  if (in_pipe) {
    in_pipe->read_end.Reset();
    child->in_fd_ = std::move(in_pipe->write_end);
  }
  if (out_pipe) {
    out_pipe->write_end.Reset();
    child->out_fd_ = std::move(out_pipe->read_end);
  }
  for (const UniqueFd* fd : {&child->in_fd_, &child->out_fd_, &child->err_fd_}) {
    if (fd->valid()) CAIRN_TRY(SetNonBlocking(fd->get()));
  }
  // pidfd turns the child's exit into a poll() event; without it (old
  // kernels, seccomp) the loop falls back to short sleeps between waitpid()s.
  // (glibc 2.36's <sys/pidfd.h> lacks extern "C", hence the raw syscall.)
  child->pid_fd_ = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  child->has_deadline_ = o.timeout.has_value();
  if (o.timeout) child->deadline_ = Clock::now() + *o.timeout;
  return child;
}

ChildProcess::~ChildProcess() { Kill(); }

void ChildProcess::Kill() {
  if (reaped_ || pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  RecordStatus(WaitBlocking(pid_), result_);
  reaped_ = true;
}

Result<WriteProgress> ChildProcess::Write(std::string_view data) { return Pump(data, false); }

Result<ProcessResult> ChildProcess::Wait() {
  in_fd_.Reset();
  CAIRN_TRY(Pump({}, true));
  return result_;
}

Result<WriteProgress> ChildProcess::Pump(std::string_view data, bool until_exit) {
  size_t offset = 0;
  while (true) {
    // Written first: bytes the pipe took count as delivered even when the
    // child exits right after reading them.
    if (!until_exit && offset == data.size()) return WriteProgress::kWritten;
    if (reaped_ && forwarded_)  // it stopped because of the signal passed on to it
      return CheckInterrupted().error().Context(fmt::format("running '{}'", name_));
    if (reaped_) return result_.timed_out ? WriteProgress::kTimedOut : WriteProgress::kExited;
    if (!until_exit && !in_fd_.valid()) return WriteProgress::kStdinClosed;

    pollfd fds[4];
    nfds_t n = 0;
    int in_idx = -1, out_idx = -1, err_idx = -1;
    if (!until_exit) {
      in_idx = static_cast<int>(n);
      fds[n++] = {in_fd_.get(), POLLOUT, 0};
    }
    if (out_fd_.valid()) {
      out_idx = static_cast<int>(n);
      fds[n++] = {out_fd_.get(), POLLIN, 0};
    }
    if (err_fd_.valid()) {
      err_idx = static_cast<int>(n);
      fds[n++] = {err_fd_.get(), POLLIN, 0};
    }
    int wait_ms = kTickMs;
    if (pid_fd_.valid()) {
      fds[n++] = {pid_fd_.get(), POLLIN, 0};
    } else if (in_idx < 0 && out_idx < 0 && err_idx < 0) {
      wait_ms = idle_sleep_ms_;
      idle_sleep_ms_ = std::min(idle_sleep_ms_ * 2, kTickMs);
    }
    if (has_deadline_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
      wait_ms = static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, wait_ms));
    }
    if (::poll(fds, n, wait_ms) < 0 && errno != EINTR) {
      int e = errno;
      Kill();
      return ErrnoError(fmt::format("waiting for '{}'", name_), e);
    }
    if (in_idx >= 0 && fds[in_idx].revents != 0) {
      if (!WriteSome(in_fd_.get(), data, offset)) in_fd_.Reset();
    }
    if (out_idx >= 0 && fds[out_idx].revents != 0) {
      if (!ReadSome(out_fd_.get(), &result_.stdout_data)) out_fd_.Reset();
    }
    if (err_idx >= 0 && fds[err_idx].revents != 0) {
      if (!ReadSome(err_fd_.get(), &result_.stderr_data)) err_fd_.Reset();
    }

    int status = 0;
    pid_t w;
    while ((w = ::waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (w == pid_) {
      RecordStatus(status, result_);
      reaped_ = true;
      // What the child wrote is in the pipe buffers; a background process it
      // left behind may still hold the pipes open, so read only what is there.
      if (out_fd_.valid()) ReadSome(out_fd_.get(), &result_.stdout_data);
      if (err_fd_.valid()) ReadSome(err_fd_.get(), &result_.stderr_data);
      continue;
    }
    if (InterruptRequested() && interrupt_grace_ && !forwarded_) {
      // The child is in a process group of its own, so the terminal's Ctrl-C
      // never reached it: pass the signal on and let it remove what it wrote.
      ::kill(-pid_, InterruptSignal());
      forwarded_ = true;
      kill_at_ = Clock::now() + *interrupt_grace_;
    } else if (InterruptRequested() && (!forwarded_ || Clock::now() >= kill_at_)) {
      Kill();
      return CheckInterrupted().error().Context(fmt::format("running '{}'", name_));
    }
    if (has_deadline_ && Clock::now() >= deadline_) {
      Kill();
      result_.timed_out = true;
    }
  }
}

}  // namespace cairn::internal
