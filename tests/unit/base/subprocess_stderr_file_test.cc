// ProcessOptions::stderr_file: a child's stderr goes to a file as it runs
// (cairn build --all's per-entry logs), not into ProcessResult.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "cairn/subprocess.h"
#include "support/test_support.h"

namespace cairn {
namespace {

std::string Read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("stderr_file receives the child's stderr, stdout is still captured",
          "[base][subprocess]") {
  testing::ScratchDir scratch("unit-stderr-file");
  const auto log = scratch.path() / "child.log";
  {
    std::ofstream(log) << "old content that must go\n";
  }
  ProcessOptions o;
  o.argv = {"sh", "-c", "echo out; echo err1 >&2; echo err2 >&2; exit 4"};
  o.stderr_file = log;
  auto r = RunProcess(o);
  REQUIRE(r.ok());
  CHECK(r->exit_code == 4);
  CHECK(r->stdout_data == "out\n");
  CHECK(r->stderr_data.empty());
  CHECK(Read(log) == "err1\nerr2\n");

  o.stderr_file = scratch.path() / "missing-dir" / "child.log";
  auto bad = RunProcess(o);
  REQUIRE(!bad.ok());
  CHECK(bad.error().code() == Code::kIo);
  CHECK(bad.error().message().find("cannot create '" + o.stderr_file.string() +
                                   "' for the output of 'sh'") == 0);
}

}  // namespace cairn
