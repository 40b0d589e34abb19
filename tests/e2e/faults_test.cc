// Faults during a build (issue 7): SIGTERM or Ctrl-C at any point leaves no
// output under its final name, no temporary directory beside it and no cache
// entry the next build trips over (the next build succeeds and writes the
// reference bytes); two builds at once on one empty cache both succeed
// without corrupting it; a full disk is a clear error that loses nothing.
// Faults land at many points: a sweep of delays over a build of ~200
// generated packages, checked against the phase each build had reached.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "e2e/e2e_util.h"

#ifndef CAIRN_MKREPO_BINARY
#define CAIRN_MKREPO_BINARY "cairn-mkrepo-was-not-built"
#endif

namespace cairn::e2e {
namespace {

struct Project {
  ScratchDir scratch{"faults"};
  fs::path root = scratch.path() / "project";
  fs::path yaml = root / "images" / "stack.yaml";

  Project() {
    auto mk = RunCommand({CAIRN_MKREPO_BINARY, "--quiet", "--key",
                          (SourceDir() / "tests/data/keys/cairn-demo.rsa").string(), "--generate",
                          "200", "--seed", "7", "--arch", "x86_64",
                          (scratch.path() / "repo").string()});
    INFO(Tail(mk.err));
    REQUIRE(mk.exit_code == 0);
    WriteText(root / "layers/bulk.yaml", "packages: {apk: [synth-all]}\n");
    WriteText(root / "layers/app.yaml",
              "requires: [bulk]\npackages: {apk: [hello]}\nfiles:\n"
              "  - path: /etc/app.conf\n    content: \"faults\\n\"\n");
    WriteText(yaml, "contents:\n  repositories: [" + (scratch.path() / "repo").string() + ", " +
                        DemoRepo().string() + "]\n  keyring: [" + DemoKey().string() +
                        "]\nlayers: [bulk, app]\narchs: [x86_64]\n");
  }
  std::string BuildCommand(const std::string& out, const std::string& cache) const {
    return Q(CairnBinary().string()) + " -v build " + Q(yaml.string()) + " -o " + Q(out) +
           " --cache-dir " + Q(cache) + " --source-date-epoch 1700000000";
  }
  // A complete build; its digest.
  std::string Build(const std::string& out, const std::string& cache,
                    const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"build", yaml.string(), "-o", out, "--cache-dir", cache,
                                     "--source-date-epoch", "1700000000"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = Cairn(args, {}, scratch.path());
    INFO(Tail(r.err));
    REQUIRE(r.exit_code == 0);
    return Lines(r.out).at(0);
  }
};

// What sits in `dir` besides `keep`: temporaries a build left behind.
std::set<std::string> Others(const fs::path& dir, const std::set<std::string>& keep) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (!keep.count(name)) out.insert(name);
  }
  return out;
}

}  // namespace

TEST_CASE("SIGTERM or Ctrl-C at any point leaves no partial output and a usable cache",
          "[e2e][faults]") {
  Project p;
  const fs::path work = p.scratch.path();
  // The cold build's time sets the sweep: signals from 5% to 120% of it.
  auto start = std::chrono::steady_clock::now();
  const std::string reference = p.Build((work / "reference").string(), (work / "ref-cache").string());
  const double cold_ms = std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - start).count();
  fs::create_directories(work / "runs");

  // One cache through every interrupted build, as on a developer's machine;
  // every other build without the layer cache, so late signals still land in
  // composing and compressing rather than after a restore.
  const std::string cache = (work / "cache").string();
  size_t interrupted = 0;
  std::set<std::string> phases;
  int n = 0;
  for (int step = 1; step <= 14; ++step) {
    const int delay = static_cast<int>(cold_ms * (step < 3 ? step * 0.05 : (step - 2) * 0.1));
    const std::string signal = n % 2 ? "INT" : "TERM";
    const std::string extra = n % 2 ? " --no-layer-cache" : "";
    const fs::path out = work / "runs" / ("out" + std::to_string(n++));
    auto r = Sh(p.BuildCommand(out.string(), cache) + extra + " 2>log & pid=$!; sleep " +
                    std::to_string(delay / 1000.0) + "; kill -" + signal +
                    " $pid; wait $pid; echo $?",
                {}, work);
    const int code = std::stoi(Lines(r.out).back());
    const std::string log = ReadText(work / "log");
    INFO("signal " << signal << " after " << delay << " ms, exit " << code << "\n" << log);
    if (code == 0) {  // finished first: a complete output, nothing else
      CHECK(fs::exists(out / "oci" / "index.json"));
    } else if (log.empty()) {  // the signal came before cairn's handler: killed, nothing done
      CHECK(code == (signal == "INT" ? 130 : 143));
      CHECK_FALSE(fs::exists(out));
    } else {
      CHECK(code == 130);
      CHECK_FALSE(fs::exists(out));
      // Said as an error (with the step it stopped, or the declaration line it was loading).
      CHECK(log.find(signal == "INT" ? "interrupted (SIGINT)" : "terminated (SIGTERM)") !=
            std::string::npos);
      CHECK(log.find("error: ") != std::string::npos);
      ++interrupted;
      // Which phase the build had reached (the last step it began).
      auto at = log.rfind("‣ ");
      if (at != std::string::npos) phases.insert(log.substr(at, log.find(' ', at + 4) - at));
    }
  }
  // Enough of the sweep landed inside builds, in more than one phase.
  INFO("phases interrupted: " << fmt::format("{}", fmt::join(phases, ", ")));
  CHECK(interrupted >= 4);
  CHECK(phases.size() >= 2);
  // No temporary output directory is left in runs/: only complete outputs.
  for (const auto& e : fs::directory_iterator(work / "runs")) {
    INFO(e.path());
    CHECK(e.path().filename().string().rfind("out", 0) == 0);
    CHECK(fs::exists(e.path() / "oci" / "index.json"));
  }
  // No partial entry under a final name in the cache: the next build, online
  // and then offline, writes the reference bytes.
  CHECK(p.Build((work / "after").string(), cache) == reference);
  CHECK(p.Build((work / "after-offline").string(), cache, {"--offline"}) == reference);
  auto diff = RunCommand({"diff", "-r", (work / "reference").string(), (work / "after").string()});
  INFO(diff.out);
  CHECK(diff.exit_code == 0);
}

TEST_CASE("two builds at once on one empty cache both succeed and leave it consistent",
          "[e2e][faults]") {
  Project p;
  const fs::path work = p.scratch.path();
  const std::string reference = p.Build((work / "reference").string(), (work / "ref-cache").string());
  const std::string cache = (work / "shared").string();
  auto r = Sh("(" + p.BuildCommand("a", cache) + " >a.out 2>a.log; echo $? >a.rc) & (" +
                  p.BuildCommand("b", cache) + " >b.out 2>b.log; echo $? >b.rc) & wait",
              {}, work);
  INFO(ReadText(work / "a.log") << ReadText(work / "b.log"));
  CHECK(ReadText(work / "a.rc") == "0\n");
  CHECK(ReadText(work / "b.rc") == "0\n");
  CHECK(ReadText(work / "a.out") == reference + "\n");
  CHECK(ReadText(work / "b.out") == reference + "\n");
  CHECK(p.Build((work / "c").string(), cache, {"--offline"}) == reference);
  CHECK(Others(work, {"project", "repo", "reference", "ref-cache", "shared", "a", "b", "c",
                      "a.out", "b.out", "a.log", "b.log", "a.rc", "b.rc"})
            .empty());
}

TEST_CASE("a full disk is a clear error and loses nothing", "[e2e][faults]") {
  Project p;
  const fs::path work = p.scratch.path();
  const std::string reference = p.Build((work / "reference").string(), (work / "ref-cache").string());
  // A 1 MiB tmpfs in a mount namespace of its own holds the output and the
  // cache; the build needs several. Then the same tmpfs grows and the same
  // cache must give the reference build.
  fs::create_directories(work / "small");
  const std::string small = (work / "small").string();
  auto r = Sh("unshare --mount --map-root-user sh -c '"
              "mount -t tmpfs -o size=1m none " + small + " || exit 99; " +
                  p.BuildCommand(small + "/out", small + "/cache") + " 2>full.log; echo full=$?; "
                  "ls -A " + small + " >full.ls; "
                  "mount -o remount,size=256m " + small + " && " +
                  p.BuildCommand(small + "/out", small + "/cache") + " 2>again.log; echo again=$?'",
              {}, work);
  INFO(r.out << r.err);
  REQUIRE(r.out.find("full=") != std::string::npos);  // the namespace and the mount worked
  const std::string full_log = ReadText(work / "full.log");
  INFO(full_log);
  CHECK(r.out.find("full=1\n") != std::string::npos);
  CHECK(full_log.find("No space left on device") != std::string::npos);
  CHECK(full_log.find("cairn: error: ") != std::string::npos);
  // Only the cache directory: no output, no temporary output directory.
  CHECK(ReadText(work / "full.ls") == "cache\n");
  INFO(ReadText(work / "again.log"));
  CHECK(r.out.find("again=0\n") != std::string::npos);
  CHECK(ReadText(work / "again.log").find(reference) != std::string::npos);
}

}  // namespace cairn::e2e
