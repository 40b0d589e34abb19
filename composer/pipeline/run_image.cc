// RunImage: QEMU for a board's disk, and the console watcher of --check.
#include "cairn/run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cairn/config/loader.h"
#include "cairn/file_util.h"
#include "cairn/interrupt.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// Console lines that mean the boot cannot succeed: waiting on would only
// run into the timeout.
constexpr const char* kFailureLines[] = {
    "Kernel panic - not syncing",  // the kernel gave up
    "Access Denied",               // firmware refused an unsigned loader (Secure Boot)
    "No bootable option or device was found",
    "BdsDxe: No bootable option",
    "cairn-initramfs: powering off",    // the generated initramfs failed
    "cairn-initramfs: starting a shell",
};

// The firmware image for a board's `qemu.firmware`: a shipped name or a path.
std::string FirmwareCode(const std::string& firmware) {
  if (firmware == "ovmf") return "/usr/share/ovmf/OVMF.fd";
  if (firmware == "aavmf") return "/usr/share/AAVMF/AAVMF_CODE.fd";
  return firmware;
}

// A console line as text: firmware and systemd colour and redraw with ANSI
// escape sequences (CSI ... final byte), which would split a marker such as
// "Reached target multi-user.target"; carriage returns go too.
std::string PlainText(std::string_view line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\x1b') {
      if (i + 1 < line.size() && line[i + 1] == '[') {
        i += 2;
        while (i < line.size() && !(line[i] >= 0x40 && line[i] <= 0x7e)) ++i;
      } else {
        ++i;  // a two-byte escape (ESC c, ESC M, ...)
      }
      continue;
    }
    if (c != '\r') out += c;
  }
  return out;
}

// Closes a descriptor when the scope ends.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Runs argv with stdout+stderr into a pipe, copying every line to the
// reporter's console and stopping at the marker, a failure line, the
// timeout, QEMU's exit or an interrupt. QEMU's process group is always killed.
Status WatchConsole(const std::vector<std::string>& argv, const std::string& marker,
                    int timeout_seconds, Reporter& reporter) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoError("creating a pipe", errno);
  Fd read_end{pipe_fds[0]};
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoError("starting QEMU", errno);
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  ::setpgid(pid, pid);
  auto kill_all = [&]() {
    ::kill(-pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
  };
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(timeout_seconds);
  std::deque<std::string> tail;
  std::string line;
  auto tail_text = [&]() { return fmt::format("{}", fmt::join(tail, "\n")); };
  auto finish_line = [&]() -> std::optional<Status> {
    const std::string shown = PlainText(line);
    reporter.Verbose("console: " + shown);
    tail.push_back(shown);
    if (tail.size() > 40) tail.pop_front();
    line.clear();
    if (!marker.empty() && shown.find(marker) != std::string::npos) return Status();
    for (const char* bad : kFailureLines)
      if (shown.find(bad) != std::string::npos)
        return Status(Error(Code::kTool, fmt::format("the boot failed: '{}' on the console", bad))
                          .Hint("console tail:\n" + tail_text()));
    return std::nullopt;
  };
  char buf[4096];
  for (;;) {
    if (InterruptRequested()) {
      kill_all();
      return CheckInterrupted();
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      kill_all();
      return Error(Code::kTool, fmt::format("'{}' did not appear on the console within {} s",
                                            marker, timeout_seconds))
          .Hint("console tail:\n" + tail_text());
    }
    pollfd p{read_end.fd, POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
    int r = ::poll(&p, 1, std::min(left, 500));
    if (r < 0 && errno != EINTR) {
      kill_all();
      return ErrnoError("reading QEMU's console", errno);
    }
    if (r <= 0) continue;
    ssize_t n = ::read(read_end.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // QEMU exited
      int st = 0;
      ::waitpid(pid, &st, 0);
      if (!line.empty())
        if (auto done = finish_line(); done && done->ok()) return {};
      return Error(Code::kTool,
                   fmt::format("QEMU exited ({}) before '{}' appeared on the console",
                               WIFEXITED(st) ? fmt::format("status {}", WEXITSTATUS(st))
                                             : fmt::format("signal {}", WTERMSIG(st)),
                               marker))
          .Hint("console tail:\n" + tail_text() + "\ncommand: " + fmt::format("{}", fmt::join(argv, " ")));
    }
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        line += buf[i];
        if (line.size() < 4096) continue;
      }
      if (auto done = finish_line()) {
        kill_all();
        if (done->ok())
          reporter.Info(fmt::format("'{}' appeared after {:.1f} s", marker,
                                    std::chrono::duration<double>(
                                        std::chrono::steady_clock::now() - start)
                                        .count()));
        return *done;
      }
    }
  }
}

}  // namespace

Result<std::vector<std::string>> QemuCommand(const config::Board& board, const fs::path& disk,
                                             const fs::path& vars, const std::string& accel,
                                             bool headless) {
  const config::QemuSettings& q = board.qemu;
  const std::string& arch = board.arch.value;
  if (q.machine.value.empty())
    return ConfigError(board.loc, fmt::format("board '{}' has no qemu settings", board.name.value))
        .Hint("add a 'qemu:' section (machine, cpu, firmware, memory) to the board");
  if (q.machine.value.rfind("raspi", 0) == 0)
    return ConfigError(q.machine.loc,
                       fmt::format("board '{}': cairn run cannot boot QEMU's '{}' machine yet "
                                   "(it boots from an SD card with U-Boot as -kernel)",
                                   board.name.value, q.machine.value));
  std::vector<std::string> argv = {arch == "aarch64" ? "qemu-system-aarch64"
                                                     : "qemu-system-" + arch,
                                   "-accel", accel, "-M", q.machine.value};
  if (!q.cpu.value.empty()) argv.insert(argv.end(), {"-cpu", q.cpu.value});
  argv.insert(argv.end(), {"-m", q.memory.value.empty() ? "1G" : q.memory.value, "-nographic",
                           "-no-reboot", "-snapshot"});
  const std::string& fw = q.firmware.value;
  if (fw == "aavmf") {
    argv.insert(argv.end(),
                {"-drive", "if=pflash,format=raw,readonly=on,file=" + FirmwareCode(fw),
                 "-drive", "if=pflash,format=raw,file=" + vars.string()});
  } else if (!fw.empty() && fw != "none") {
    argv.insert(argv.end(), {"-bios", FirmwareCode(fw)});
  }
  argv.insert(argv.end(), {"-drive", "file=" + disk.string() + ",format=raw,if=virtio"});
  // Networking off when checking: boot tests must not depend on (or reach) a network.
  for (size_t i = 0; i < q.extra_args.size(); ++i) {
    const std::string& a = q.extra_args[i].value;
    if (headless && (a == "-nic" || a == "-netdev" || a == "-net") && i + 1 < q.extra_args.size()) {
      ++i;
      continue;
    }
    argv.push_back(a);
  }
  if (headless) argv.insert(argv.end(), {"-nic", "none"});
  return argv;
}

Status RunImage(const RunOptions& o, Reporter& reporter) {
  CAIRN_ASSIGN_OR_RETURN(config::Image image, config::LoadImage(o.config_file));
  const config::Board* board = nullptr;
  for (const auto& b : image.board_defs)
    if (o.board.empty() ? image.board_defs.size() == 1 : b.name.value == o.board) board = &b;
  if (!board) {
    std::vector<std::string> names;
    for (const auto& b : image.board_defs) names.push_back(b.name.value);
    if (names.empty())
      return UsageError(fmt::format("image '{}' declares no boards: nothing to boot",
                                    image.name.value));
    return UsageError(o.board.empty()
                          ? fmt::format("image '{}' has several boards ({}): name one with --board",
                                        image.name.value, fmt::join(names, ", "))
                          : fmt::format("image '{}' has no board '{}' (it has {})",
                                        image.name.value, o.board, fmt::join(names, ", ")));
  }
  const fs::path out = o.output_dir.empty() ? fs::path("out") / image.name.value : o.output_dir;
  const fs::path disk = out / "disk" / (board->name.value + ".img");
  if (!fs::exists(disk))
    return NotFoundError(fmt::format("'{}' does not exist", disk.string()))
        .Hint(fmt::format("build it first: cairn build {}", o.config_file.string()));

  // AAVMF keeps its variables in a second flash; each run gets a fresh copy.
  CAIRN_ASSIGN_OR_RETURN(TempDir scratch, TempDir::Create(fs::temp_directory_path(), "cairn-run"));
  fs::path vars = scratch.path() / "vars.fd";
  if (board->qemu.firmware.value == "aavmf") {
    std::error_code ec;
    fs::copy_file("/usr/share/AAVMF/AAVMF_VARS.fd", vars, ec);
    if (ec)
      return IoError(fmt::format("cannot copy the AAVMF variable store: {}", ec.message()))
          .Hint("install qemu-efi-aarch64");
  }
  const bool headless = !o.check.empty();
  CAIRN_ASSIGN_OR_RETURN(auto argv, QemuCommand(*board, disk, vars, o.accel, headless));
  reporter.Info(fmt::format("booting {} ({}) under QEMU", disk.string(), board->name.value));
  reporter.Verbose(fmt::format("{}", fmt::join(argv, " ")));
  if (!headless) {
    // Interactive: QEMU gets the terminal (Ctrl-A X quits).
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    return ErrnoError(fmt::format("cannot run '{}'", argv[0]), errno);
  }
  return WatchConsole(argv, o.check, o.timeout_seconds, reporter);
}

}  // namespace cairn
