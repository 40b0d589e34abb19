#include "cairn/pipe_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "cairn/interrupt.h"

namespace cairn {
namespace {

using namespace std::chrono_literals;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Pushes `total` bytes of a repeating pattern in 64 KiB pieces.
StdinProducer Pattern(size_t total, size_t* pushed = nullptr) {
  return [total, pushed](const ByteSink& sink) -> Status {
    std::string block(64 * 1024, '\0');
    for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>('a' + i % 26);
    size_t done = 0;
    while (done < total) {
      size_t n = std::min(block.size(), total - done);
      CAIRN_TRY(sink(block.data(), n));
      done += n;
      if (pushed) *pushed = done;
    }
    return {};
  };
}

TEST_CASE("RunPipeProcess streams stdin while the child fills stdout", "[base][pipe_process]") {
  // cat echoes 16 MiB back: far more than a pipe buffer in each direction, so
  // this deadlocks unless stdout is drained while stdin is written.
  constexpr size_t kTotal = 16u << 20;
  ProcessOptions opts{.argv = {"cat"}};
  auto r = RunPipeProcess(opts, Pattern(kTotal));
  REQUIRE(r.ok());
  CHECK(r->ok());
  REQUIRE(r->stdout_data.size() == kTotal);
  std::string expected;
  REQUIRE(Pattern(kTotal)([&](const char* p, size_t n) {
            expected.append(p, n);
            return Status();
          }).ok());
  CHECK(r->stdout_data == expected);

  // stdout to /dev/null and a tool that only counts.
  ProcessOptions wc{.argv = {"wc", "-c"}};
  auto counted = RunPipeProcess(wc, Pattern(3 << 20));
  REQUIRE(counted.ok());
  CHECK(counted->stdout_data == "3145728\n");
}

TEST_CASE("RunPipeProcess reports a child that fails before reading everything",
          "[base][pipe_process]") {
  ProcessOptions opts{
      .argv = {"sh", "-c", "head -c 100 >/dev/null; echo 'bad input at byte 100' >&2; exit 3"}};
  size_t pushed = 0;
  auto r = RunPipeProcess(opts, Pattern(64u << 20, &pushed));
  REQUIRE(r.ok());  // the exit status is the caller's to judge
  CHECK(r->exit_code == 3);
  CHECK(pushed < (64u << 20));  // the producer was stopped, not run to the end
  CHECK(FailedProcessError(opts, *r).message() ==
        "'sh' failed with exit code 3: sh -c 'head -c 100 >/dev/null; echo '\\''bad input at "
        "byte 100'\\'' >&2; exit 3'\n"
        "  bad input at byte 100");
}

TEST_CASE("RunPipeProcess names a tool that exits 0 without reading its input",
          "[base][pipe_process]") {
  // No SIGPIPE may kill the test process here: the write gets EPIPE instead.
  ProcessOptions opts{.argv = {"true"}};
  auto r = RunPipeProcess(opts, Pattern(8u << 20));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kTool);
  CHECK(r.error().message() == "'true' exited before reading all of its input");

  // A child that closes stdin but lives on is the same case.
  ProcessOptions closer{.argv = {"sh", "-c", "exec 0<&-; sleep 0.3"}};
  auto c = RunPipeProcess(closer, Pattern(8u << 20));
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().message() == "'sh' exited before reading all of its input");
}

TEST_CASE("RunPipeProcess kills the child when the producer fails", "[base][pipe_process]") {
  ProcessOptions opts{.argv = {"sleep", "30"}};
  auto start = std::chrono::steady_clock::now();
  auto r = RunPipeProcess(opts, [](const ByteSink& sink) -> Status {
    CAIRN_TRY(sink("abc", 3));
    return IoError("cannot read the spool");
  });
  CHECK(SecondsSince(start) < 5);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kIo);
  CHECK(r.error().message() == "cannot read the spool");
}

TEST_CASE("RunPipeProcess times out a child that stops reading", "[base][pipe_process]") {
  ProcessOptions opts{.argv = {"sleep", "30"}, .timeout = 300ms};
  auto start = std::chrono::steady_clock::now();
  auto r = RunPipeProcess(opts, Pattern(64u << 20));
  CHECK(SecondsSince(start) < 5);
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->term_signal == SIGKILL);
  CHECK(FailedProcessError(opts, *r).message() ==
        "'sleep' timed out after 300ms and was killed: sleep 30");
}

TEST_CASE("RunPipeProcess rejects stdin_data and missing tools", "[base][pipe_process]") {
  ProcessOptions both{.argv = {"cat"}, .stdin_data = "x"};
  auto r = RunPipeProcess(both, Pattern(1));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Code::kInternal);

  bool called = false;
  auto missing = RunPipeProcess({.argv = {"cairn-no-such-tool"}}, [&](const ByteSink&) {
    called = true;
    return Status();
  });
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message() == "'cairn-no-such-tool' is not installed (exit 127)");
  CHECK_FALSE(called);
}

TEST_CASE("RunPipeProcess kills the child when cairn is interrupted", "[base][pipe_process]") {
  // The interrupt flag cannot be cleared, so this runs in a forked copy.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    InstallInterruptHandlers();
    auto start = std::chrono::steady_clock::now();
    // The tool interrupts cairn and never reads: the producer blocks on a
    // full pipe until the interrupt is noticed.
    auto r = RunPipeProcess({.argv = {"sh", "-c", "kill -INT $PPID; sleep 30"}},
                            Pattern(1u << 30));
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

}  // namespace
}  // namespace cairn
