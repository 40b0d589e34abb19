#include "cairn/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "cairn/interrupt.h"
#include "support/test_support.h"

namespace cairn {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

ProcessResult MustRun(const ProcessOptions& opts) {
  auto r = RunProcess(opts);
  INFO(ShellJoin(opts.argv));
  if (!r.ok()) FAIL(r.error().Render());
  return std::move(r).value();
}

ProcessResult Sh(const std::string& script) { return MustRun({.argv = {"sh", "-c", script}}); }

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST_CASE("RunProcess reports exit codes", "[base][subprocess]") {
  auto ok = MustRun({.argv = {"true"}});
  CHECK(ok.ok());
  CHECK(ok.exit_code == 0);
  CHECK(ok.term_signal == 0);
  CHECK_FALSE(ok.timed_out);

  auto three = Sh("echo out; echo err >&2; exit 3");
  CHECK_FALSE(three.ok());
  CHECK(three.exit_code == 3);
  CHECK(three.term_signal == 0);
  CHECK(three.stdout_data == "out\n");
  CHECK(three.stderr_data == "err\n");
  ProcessOptions opts{.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"}};
  Error e = FailedProcessError(opts, three);
  CHECK(e.code() == Code::kTool);
  CHECK(e.message() ==
        "'sh' failed with exit code 3: sh -c 'echo out; echo err >&2; exit 3'\n"
        "  err");
}

TEST_CASE("RunProcess reports the signal that killed the child", "[base][subprocess]") {
  ProcessOptions opts{.argv = {"sh", "-c", "kill -TERM $$"}};
  auto r = MustRun(opts);
  CHECK_FALSE(r.ok());
  CHECK(r.exit_code == -1);
  CHECK(r.term_signal == SIGTERM);
  CHECK(FailedProcessError(opts, r).message() ==
        "'sh' was killed by SIGTERM: sh -c 'kill -TERM $$'");
}

TEST_CASE("RunProcess resets signals cairn ignores", "[base][subprocess]") {
  // A child must not inherit SIG_IGN for SIGPIPE: `yes | head` relies on it.
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  auto r = Sh("yes | head -n 2; exit 0");
  sigaction(SIGPIPE, &old, nullptr);
  CHECK(r.stdout_data == "y\ny\n");
  CHECK(r.stderr_data == "");
}

TEST_CASE("RunProcess reads megabytes on stdout and stderr at once", "[base][subprocess]") {
  // Both streams written concurrently, each far beyond a 64 KiB pipe buffer:
  // a reader that drains one pipe before the other would deadlock here.
  auto r = Sh("(yes out | head -c 3000000) & (yes err | head -c 2000000 >&2); wait");
  CHECK(r.ok());
  REQUIRE(r.stdout_data.size() == 3000000);
  REQUIRE(r.stderr_data.size() == 2000000);
  CHECK(r.stdout_data.substr(0, 8) == "out\nout\n");
  CHECK(r.stderr_data.substr(1999992) == "err\nerr\n");
}

TEST_CASE("RunProcess feeds stdin while reading stdout", "[base][subprocess]") {
  std::string big;
  for (int i = 0; big.size() < 5'000'000; ++i) big += std::to_string(i) + "\n";
  auto echo = MustRun({.argv = {"cat"}, .stdin_data = big});
  CHECK(echo.ok());
  CHECK(echo.stdout_data.size() == big.size());
  CHECK(echo.stdout_data == big);

  auto read = MustRun({.argv = {"sh", "-c", "read x; echo \"got $x\""}, .stdin_data = "hello\n"});
  CHECK(read.stdout_data == "got hello\n");

  // Without stdin_data the child reads /dev/null, never cairn's own stdin.
  auto none = MustRun({.argv = {"cat"}});
  CHECK(none.ok());
  CHECK(none.stdout_data == "");

  // A child that exits without reading: cairn gets EPIPE, not a fatal SIGPIPE.
  auto ignores = MustRun({.argv = {"true"}, .stdin_data = big});
  CHECK(ignores.ok());
}

TEST_CASE("RunProcess can send stdout to /dev/null", "[base][subprocess]") {
  auto r = MustRun({.argv = {"sh", "-c", "echo visible; echo diag >&2"}, .capture_stdout = false});
  CHECK(r.ok());
  CHECK(r.stdout_data == "");
  CHECK(r.stderr_data == "diag\n");
}

TEST_CASE("RunProcess reports a missing program as not installed", "[base][subprocess]") {
  auto r = RunProcess({.argv = {"cairn-no-such-tool", "--version"}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kTool);
  CHECK(r.error().message() == "'cairn-no-such-tool' is not installed (exit 127)");

  auto abs = RunProcess({.argv = {"/nonexistent/bin/gpgv"}});
  REQUIRE_FALSE(abs.ok());
  CHECK(abs.error().code() == Code::kTool);
  CHECK(abs.error().message() == "'/nonexistent/bin/gpgv' is not installed (exit 127)");

  // A program found in an emptied PATH is also missing.
  auto nopath = RunProcess({.argv = {"sh", "-c", "true"}, .env_set = {{"PATH", "/nonexistent"}}});
  REQUIRE_FALSE(nopath.ok());
  CHECK(nopath.error().message() == "'sh' is not installed (exit 127)");

  auto empty = RunProcess({});
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code() == Code::kInternal);
  CHECK(empty.error().message() == "RunProcess called without a program name");
}

TEST_CASE("RunProcess explains exit code 127 from the tool", "[base][subprocess]") {
  ProcessOptions opts{.argv = {"sh", "-c", "cairn-no-such-helper"}};
  auto r = MustRun(opts);
  CHECK(r.exit_code == 127);
  CHECK(FailedProcessError(opts, r).message() ==
        "'sh' failed with exit code 127 (a program it runs is not installed): "
        "sh -c cairn-no-such-helper\n"
        "  sh: 1: cairn-no-such-helper: not found");
}

TEST_CASE("RunProcess kills the child at the timeout", "[base][subprocess]") {
  ProcessOptions opts{.argv = {"sleep", "30"}, .timeout = 200ms};
  auto start = std::chrono::steady_clock::now();
  auto r = MustRun(opts);
  double took = SecondsSince(start);
  CHECK(took >= 0.15);
  CHECK(took < 5);
  CHECK(r.timed_out);
  CHECK(r.term_signal == SIGKILL);
  CHECK(r.exit_code == -1);
  CHECK_FALSE(r.ok());
  CHECK(FailedProcessError(opts, r).message() ==
        "'sleep' timed out after 200ms and was killed: sleep 30");

  // The whole process group goes: a grandchild holding the pipes open would
  // otherwise keep cairn waiting for EOF.
  ProcessOptions group{.argv = {"sh", "-c", "sleep 30 & sleep 30; echo never"},
                       .timeout = std::chrono::milliseconds(2000)};
  start = std::chrono::steady_clock::now();
  auto g = MustRun(group);
  took = SecondsSince(start);
  CHECK(g.timed_out);
  CHECK(took < 10);
  CHECK(g.stdout_data == "");
  CHECK(FailedProcessError(group, g).message() ==
        "'sh' timed out after 2s and was killed: sh -c 'sleep 30 & sleep 30; echo never'");

  auto fast = MustRun({.argv = {"echo", "quick"}, .timeout = 10s});
  CHECK(fast.ok());
  CHECK_FALSE(fast.timed_out);
  CHECK(fast.stdout_data == "quick\n");
}

TEST_CASE("RunProcess kills the child when cairn is interrupted", "[base][subprocess]") {
  // The interrupt flag cannot be cleared, so this runs in a forked copy of the
  // test process. The tool itself sends SIGINT to cairn, then would sleep on.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    InstallInterruptHandlers();
    auto start = std::chrono::steady_clock::now();
    auto r = RunProcess({.argv = {"sh", "-c", "kill -INT $PPID; sleep 30; echo never"}});
    int code = 0;
    if (r.ok())
      code = 1;
    else if (r.error().code() != Code::kInterrupted)
      code = 2;
    else if (r.error().Render() != "running 'sh': interrupted (SIGINT)")
      code = 3;
    else if (SecondsSince(start) > 10)
      code = 4;
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("RunProcess returns when the child exits, not when its pipes close",
          "[base][subprocess]") {
  // The background sleep inherits stdout and stderr; the child itself is done at once.
  auto start = std::chrono::steady_clock::now();
  auto r = Sh("sleep 3 & echo done");
  CHECK(SecondsSince(start) < 2.5);
  CHECK(r.ok());
  CHECK(r.stdout_data == "done\n");
}

TEST_CASE("RunProcess sets and removes environment variables", "[base][subprocess]") {
  ::setenv("CAIRN_TEST_DROPPED", "present", 1);
  ::setenv("CAIRN_TEST_REPLACED", "old", 1);
  auto r = MustRun(
      {.argv = {"sh", "-c",
                "echo \"${CAIRN_TEST_DROPPED-unset}|$CAIRN_TEST_REPLACED|$CAIRN_TEST_NEW\""},
       .env_set = {{"CAIRN_TEST_REPLACED", "new value"}, {"CAIRN_TEST_NEW", "x=y"}},
       .env_unset = {"CAIRN_TEST_DROPPED"}});
  ::unsetenv("CAIRN_TEST_DROPPED");
  ::unsetenv("CAIRN_TEST_REPLACED");
  CHECK(r.stdout_data == "unset|new value|x=y\n");

  auto inherited = MustRun({.argv = {"sh", "-c", "echo \"$CAIRN_TEST_INHERITED\""}, .env_set = {}});
  CHECK(inherited.stdout_data == "\n");

  auto bad = RunProcess({.argv = {"true"}, .env_set = {{"A=B", "c"}}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == Code::kInternal);
  CHECK(bad.error().message() == "invalid environment variable name 'A=B'");
}

TEST_CASE("RunProcess looks the program up in the child's PATH and runs in cwd",
          "[base][subprocess]") {
  testing::ScratchDir dir("subprocess-path");
  fs::path tool = dir.path() / "cairn-fake-tool";
  {
    std::ofstream out(tool);
    out << "#!/bin/sh\necho \"fake $1 in $(pwd)\"\n";
  }
  fs::permissions(tool, fs::perms::owner_all);
  CHECK_FALSE(FindProgram("cairn-fake-tool").has_value());
  CHECK(FindProgram("sh").has_value());

  std::string path = dir.path().string() + ":/usr/bin:/bin";
  auto r =
      MustRun({.argv = {"cairn-fake-tool", "arg"}, .env_set = {{"PATH", path}}, .cwd = dir.path()});
  CHECK(r.stdout_data == "fake arg in " + dir.path().string() + "\n");

  // A relative program name with a '/' is taken relative to cwd, as exec would.
  auto rel = MustRun({.argv = {"./cairn-fake-tool", "rel"}, .cwd = dir.path()});
  CHECK(rel.stdout_data == "fake rel in " + dir.path().string() + "\n");

  auto missing = RunProcess({.argv = {"true"}, .cwd = dir.path() / "absent"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Code::kNotFound);
  CHECK(missing.error().message() ==
        "working directory '" + (dir.path() / "absent").string() + "' of 'true' does not exist");
}

TEST_CASE("RunProcess does not leak cairn's file descriptors", "[base][subprocess]") {
  // Opened without O_CLOEXEC on purpose, as a careless library might.
  int fd = ::open("/dev/null", O_RDONLY);
  REQUIRE(fd > 2);
  auto r = MustRun({.argv = {"ls", "/proc/self/fd"}});
  ::close(fd);
  // 0-2 plus the directory ls itself opened to list /proc/self/fd.
  CHECK(r.stdout_data == "0\n1\n2\n3\n");
}

TEST_CASE("FailedProcessError shows the last 20 lines of stderr", "[base][subprocess]") {
  ProcessOptions opts{
      .argv = {"sh", "-c", "for i in $(seq 1 30); do echo \"line $i\" >&2; done; exit 2"}};
  auto r = MustRun(opts);
  std::string expected =
      "'sh' failed with exit code 2: sh -c 'for i in $(seq 1 30); do echo \"line $i\" >&2; done; "
      "exit 2'\n"
      "  [... 10 earlier lines of stderr omitted]";
  for (int i = 11; i <= 30; ++i) expected += "\n  line " + std::to_string(i);
  CHECK(FailedProcessError(opts, r).message() == expected);

  // One enormous line is cut to its last 4 KiB.
  ProcessOptions huge{.argv = {"sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x >&2; exit 1"}};
  auto h = MustRun(huge);
  std::string msg = FailedProcessError(huge, h).message();
  CHECK(msg ==
        "'sh' failed with exit code 1: sh -c 'head -c 100000 /dev/zero | tr '\\''\\0'\\'' x "
        ">&2; exit 1'\n"
        "  [... earlier stderr output omitted]\n  " +
            std::string(4096, 'x'));

  ProcessOptions quiet{.argv = {"false"}};
  CHECK(FailedProcessError(quiet, MustRun(quiet)).message() ==
        "'false' failed with exit code 1: false");
}

TEST_CASE("ShellQuote quotes only what a shell would split or expand", "[base][subprocess]") {
  CHECK(ShellQuote("gpgv") == "gpgv");
  CHECK(ShellQuote("--keyring=/usr/share/keyrings/a.gpg") == "--keyring=/usr/share/keyrings/a.gpg");
  CHECK(ShellQuote("") == "''");
  CHECK(ShellQuote("a b") == "'a b'");
  CHECK(ShellQuote("$HOME") == "'$HOME'");
  CHECK(ShellQuote("it's") == "'it'\\''s'");
  CHECK(ShellJoin({"mke2fs", "-L", "root fs", "-d", "/tmp/x"}) == "mke2fs -L 'root fs' -d /tmp/x");
}

}  // namespace
}  // namespace cairn
