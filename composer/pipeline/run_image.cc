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
#include <nlohmann/json.hpp>

#include "cairn/config/loader.h"
#include "cairn/file_util.h"
#include "cairn/interrupt.h"
#include "cairn/subprocess.h"

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

bool IsRaspi(const std::string& machine) { return machine.rfind("raspi", 0) == 0; }

// The smallest power of two >= n: QEMU's SD card model refuses other sizes.
uint64_t PowerOfTwoAtLeast(uint64_t n) {
  uint64_t p = 1;
  while (p < n) p <<= 1;
  return p;
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

Result<std::vector<std::string>> QemuCommand(const config::Board& board, const QemuInputs& in,
                                             const std::string& accel, bool headless) {
  const config::QemuSettings& q = board.qemu;
  const std::string& arch = board.arch.value;
  if (q.machine.value.empty())
    return ConfigError(board.loc, fmt::format("board '{}' has no qemu settings", board.name.value))
        .Hint("add a 'qemu:' section (machine, cpu, firmware, memory) to the board");
  const bool raspi = IsRaspi(q.machine.value);
  const std::string& fw = q.firmware.value;
  if (raspi && fw != "u-boot")
    return ConfigError(q.firmware.loc.known() ? q.firmware.loc : q.loc,
                       fmt::format("board '{}': QEMU's '{}' cannot run the Raspberry Pi GPU "
                                   "firmware, so it boots U-Boot directly",
                                   board.name.value, q.machine.value))
        .Hint("use 'firmware: u-boot' with the u-boot-extlinux bootloader");
  std::vector<std::string> argv = {arch == "aarch64" ? "qemu-system-aarch64"
                                                     : "qemu-system-" + arch,
                                   "-accel", accel, "-M", q.machine.value};
  if (!q.cpu.value.empty()) argv.insert(argv.end(), {"-cpu", q.cpu.value});
  argv.insert(argv.end(), {"-m", q.memory.value.empty() ? "1G" : q.memory.value, "-nographic",
                           "-no-reboot", "-snapshot"});
  if (fw == "aavmf") {
    argv.insert(argv.end(),
                {"-drive", "if=pflash,format=raw,readonly=on,file=" + FirmwareCode(fw),
                 "-drive", "if=pflash,format=raw,file=" + in.vars.string()});
  } else if (fw == "u-boot" && raspi) {
    argv.insert(argv.end(), {"-kernel", in.uboot.string()});
    if (!in.dtb.empty()) argv.insert(argv.end(), {"-dtb", in.dtb.string()});
  } else if (fw == "u-boot") {
    argv.insert(argv.end(), {"-bios", in.uboot.string()});
  } else if (!fw.empty() && fw != "none") {
    argv.insert(argv.end(), {"-bios", FirmwareCode(fw)});
  }
  argv.insert(argv.end(), {"-drive", fmt::format("file={},format={},if={}", in.disk.string(),
                                                 in.disk_format, raspi ? "sd" : "virtio")});
  // Networking off when checking: boot tests must not depend on (or reach) a network.
  bool own_serial = false;
  for (size_t i = 0; i < q.extra_args.size(); ++i) {
    const std::string& a = q.extra_args[i].value;
    if (headless && (a == "-nic" || a == "-netdev" || a == "-net") && i + 1 < q.extra_args.size()) {
      ++i;
      continue;
    }
    own_serial = own_serial || a == "-serial";
    argv.push_back(a);
  }
  // A board that routes serial ports itself (rpi3: the first UART to null)
  // gets the console on the next one; -nographic only fills the first.
  if (own_serial) argv.insert(argv.end(), {"-serial", "mon:stdio"});
  if (headless) argv.insert(argv.end(), {"-nic", "none"});
  return argv;
}

Status CopyFromBootPartition(const fs::path& disk, const std::string& name, const fs::path& dest) {
  ProcessOptions table{.argv = {"sfdisk", "--json", disk.string()}};
  CAIRN_ASSIGN_OR_RETURN(auto listed, RunProcess(table));
  if (!listed.ok()) return FailedProcessError(table, listed).Context("reading the partition table");
  nlohmann::json j = nlohmann::json::parse(listed.stdout_data, nullptr, false);
  if (j.is_discarded() || !j.contains("partitiontable"))
    return ToolError(fmt::format("sfdisk printed no partition table for '{}'", disk.string()));
  const auto& t = j["partitiontable"];
  const uint64_t sector = t.value("sectorsize", 512);
  for (const auto& p : t.value("partitions", nlohmann::json::array())) {
    const uint64_t offset = p.value("start", uint64_t{0}) * sector;
    ProcessOptions copy{.argv = {"mcopy", "-n", "-o", "-i",
                                 fmt::format("{}@@{}", disk.string(), offset), "::/" + name,
                                 dest.string()}};
    CAIRN_ASSIGN_OR_RETURN(auto copied, RunProcess(copy));
    if (copied.ok()) return {};
  }
  return NotFoundError(fmt::format("no FAT partition of '{}' holds '/{}'", disk.string(), name))
      .Hint("the board's bootloader (u-boot-extlinux) puts it on the boot partition; rebuild the "
            "disk");
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
  // A raw image, or the qcow2 an `outputs: [{type: disk, format: qcow2}]` asks for.
  fs::path disk = out / "disk" / (board->name.value + ".img");
  std::string disk_format = "raw";
  if (!fs::exists(disk) && fs::exists(fs::path(disk).replace_extension(".qcow2"))) {
    disk.replace_extension(".qcow2");
    disk_format = "qcow2";
  }
  if (!fs::exists(disk))
    return NotFoundError(fmt::format("'{}' does not exist", disk.string()))
        .Hint(fmt::format("build it first: cairn build {}", o.config_file.string()));

  CAIRN_ASSIGN_OR_RETURN(TempDir scratch, TempDir::Create(fs::temp_directory_path(), "cairn-run"));
  QemuInputs in{.disk = disk, .disk_format = disk_format};
  const config::QemuSettings& q = board->qemu;
  // AAVMF keeps its variables in a second flash; each run gets a fresh copy.
  if (q.firmware.value == "aavmf") {
    in.vars = scratch.path() / "vars.fd";
    std::error_code ec;
    fs::copy_file("/usr/share/AAVMF/AAVMF_VARS.fd", in.vars, ec);
    if (ec)
      return IoError(fmt::format("cannot copy the AAVMF variable store: {}", ec.message()))
          .Hint("install qemu-efi-aarch64");
  }
  if (q.firmware.value == "u-boot") {
    in.uboot = scratch.path() / "u-boot.bin";
    CAIRN_TRY(CopyFromBootPartition(disk, "u-boot.bin", in.uboot));
  }
  if (IsRaspi(q.machine.value)) {
    if (!board->device_trees.empty()) {
      const std::string& dt = board->device_trees.front().value;
      in.dtb = scratch.path() / dt.substr(dt.rfind('/') + 1);
      CAIRN_TRY(CopyFromBootPartition(disk, in.dtb.filename().string(), in.dtb));
    }
    // The SD card: an overlay (reads fall through to the disk, writes stay in
    // scratch) whose size is the next power of two.
    ProcessOptions info{.argv = {"qemu-img", "info", "--output=json", "-f", disk_format,
                                 disk.string()}};
    CAIRN_ASSIGN_OR_RETURN(auto described, RunProcess(info));
    if (!described.ok()) return FailedProcessError(info, described);
    nlohmann::json j = nlohmann::json::parse(described.stdout_data, nullptr, false);
    const uint64_t size = j.is_object() ? j.value("virtual-size", uint64_t{0}) : 0;
    if (size == 0) return ToolError(fmt::format("qemu-img gave no size for '{}'", disk.string()));
    in.disk = scratch.path() / "sd.qcow2";
    in.disk_format = "qcow2";
    ProcessOptions overlay{.argv = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", disk_format, "-b",
                                    fs::absolute(disk).string(), in.disk.string(),
                                    std::to_string(PowerOfTwoAtLeast(size))}};
    CAIRN_ASSIGN_OR_RETURN(auto made, RunProcess(overlay));
    if (!made.ok()) return FailedProcessError(overlay, made).Context("making the SD card overlay");
  }
  const bool headless = !o.check.empty();
  CAIRN_ASSIGN_OR_RETURN(auto argv, QemuCommand(*board, in, o.accel, headless));
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
