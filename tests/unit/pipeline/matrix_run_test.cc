// RunMatrix (cairn/matrix_run.h) with shell scripts standing in for the
// child builds: every entry runs even when one fails, each one's stderr ends
// up in <output_dir>.log, the digest is the first stdout line, a failure is
// reported with the end of its log, the result lines are in index order, and
// no more than `jobs` children run at once.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cairn/matrix_run.h"
#include "support/test_support.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

BuildPlan FakePlan(const fs::path& out, size_t n) {
  BuildPlan plan;
  for (size_t i = 0; i < n; ++i) {
    PlanEntry e;
    e.index = i;
    e.image = "img";
    e.target = "t" + std::to_string(i);
    e.output_dir = (out / "img" / e.target).string();
    plan.entries.push_back(e);
  }
  return plan;
}

}  // namespace

TEST_CASE("RunMatrix runs every entry, logs each one and reports failures", "[pipeline][matrix]") {
  testing::ScratchDir scratch("unit-matrix-run");
  const fs::path out = scratch.path() / "out";
  const fs::path running = scratch.path() / "running";
  fs::create_directories(running);
  BuildPlan plan = FakePlan(out, 5);
  MatrixRunOptions mo;
  mo.jobs = 2;
  // Each child counts the children running beside it (a file each in
  // `running`), writes lines to stderr, and entry 1 fails.
  mo.argv = [&](const PlanEntry& e) {
    const std::string i = std::to_string(e.index);
    const std::string r = running.string();
    std::string script = "touch " + r + "/" + i + "; ls " + r + " | wc -l > " + r + "/../seen." +
                         i + "; echo building " + e.target + " >&2; echo step two >&2; ";
    script += e.index == 1 ? "sleep 0.2; rm " + r + "/" + i + "; echo no such package >&2; exit 3"
                           : "sleep 0.2; rm " + r + "/" + i + "; echo sha256:" + i + "; echo x";
    return std::vector<std::string>{"/bin/sh", "-c", script};
  };
  RecordingReporter reporter;
  MatrixRun run = RunMatrix(plan, mo, reporter);

  REQUIRE(run.entries.size() == 5);
  CHECK(!run.interrupted);
  CHECK(run.failed() == 1);
  for (size_t i = 0; i < 5; ++i) {
    INFO("entry " << i);
    const auto& r = run.entries[i];
    CHECK(r.index == i);
    CHECK(r.started);
    CHECK(r.name == "img-t" + std::to_string(i));
    CHECK(r.log == (out / "img" / ("t" + std::to_string(i) + ".log")).string());
    CHECK(r.ok == (i != 1));
    std::string log = Read(r.log);
    CHECK(log.rfind("building t" + std::to_string(i) + "\nstep two\n", 0) == 0);
    if (i != 1) CHECK(r.digest == "sha256:" + std::to_string(i));
    // Never more than two at once.
    std::string seen = Read(scratch.path() / ("seen." + std::to_string(i)));
    int count = std::stoi(seen);
    CHECK(count >= 1);
    CHECK(count <= 2);
  }
  CHECK(run.entries[1].error == "exit status 3");
  CHECK(Read(run.entries[1].log) == "building t1\nstep two\nno such package\n");

  const std::string log1 = run.entries[1].log;
  CHECK(MatrixResultLines(run) == "0 img-t0 sha256:0\n"
                                  "1 img-t1 failed: exit status 3 (log " + log1 + ")\n"
                                  "2 img-t2 sha256:2\n"
                                  "3 img-t3 sha256:3\n"
                                  "4 img-t4 sha256:4\n");

  // Progress: a start line and an end line per entry; the failure quotes its log.
  auto lines = reporter.lines();
  size_t starts = 0, finishes = 0;
  bool failure_shown = false;
  for (const auto& l : lines) {
    if (l.find("] started img-t") != std::string::npos) ++starts;
    if (l.find("] finished img-t") != std::string::npos) ++finishes;
    if (l.rfind("warning: [", 0) == 0 &&
        l.find("img-t1 failed after") != std::string::npos &&
        l.find("(exit status 3); the end of " + log1 + ":\n  building t1\n  step two\n  no such "
               "package") != std::string::npos)
      failure_shown = true;
  }
  CHECK(starts == 5);
  CHECK(finishes == 4);
  CHECK(failure_shown);
}

TEST_CASE("RunMatrix with one job runs the entries one after another", "[pipeline][matrix]") {
  testing::ScratchDir scratch("unit-matrix-serial");
  BuildPlan plan = FakePlan(scratch.path() / "out", 3);
  const fs::path order = scratch.path() / "order";
  MatrixRunOptions mo;
  mo.jobs = 1;
  mo.argv = [&](const PlanEntry& e) {
    return std::vector<std::string>{
        "/bin/sh", "-c",
        "echo start " + e.target + " >> " + order.string() + "; sleep 0.05; echo end " +
            e.target + " >> " + order.string() + "; echo d" + e.target};
  };
  NullReporter reporter;
  MatrixRun run = RunMatrix(plan, mo, reporter);
  CHECK(run.failed() == 0);
  CHECK(Read(order) == "start t0\nend t0\nstart t1\nend t1\nstart t2\nend t2\n");
  CHECK(run.entries[2].digest == "dt2");
}

}  // namespace cairn
