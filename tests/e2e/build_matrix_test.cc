// The build matrix end to end with the real binary on the demo repository:
// `cairn plan` (entries, stable indexes, an input hash checked with
// sha256sum, the GitHub matrix), `cairn build --matrix-entry N` (exactly that
// board's manifest in the layout), `cairn build --all -j 2` (the same digest
// for that entry, the other entries complete while one fails, exit 1), and
// SIGTERM passed on to the running builds (exit 130).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

// demo (boards alpha on x86_64 and beta on aarch64) and broken (its one
// board needs a package no repository has).
struct MatrixProject {
  ScratchDir scratch{"e2e-matrix"};
  fs::path root = scratch.path() / "project";

  MatrixProject() {
    DemoSpec spec;
    WriteText(root / "images/demo.yaml", DemoYaml(spec) + "boards: [beta, alpha]\n");
    WriteText(root / "boards/alpha.yaml", "description: the x86_64 board\narch: x86_64\n");
    WriteText(root / "boards/beta.yaml", "description: the aarch64 board\narch: aarch64\n");
    spec.name = "broken";
    WriteText(root / "images/broken.yaml", DemoYaml(spec) + "boards: [gamma]\n");
    WriteText(root / "boards/gamma.yaml",
              "arch: x86_64\npackages: {apk: [no-such-package]}\n");
  }

  CommandResult Run(std::vector<std::string> args) {
    for (const char* a : {"--cache-dir", "cache", "--source-date-epoch", "1700000000"})
      if (args[0] == "build") args.push_back(a);
    return Cairn(args, {}, root);
  }

  // The manifests of an OCI layout's index.json, as "<ref> <digest>" lines.
  std::vector<std::string> Manifests(const fs::path& out_dir) {
    return Lines(Jq(".manifests[] | (.annotations[\"org.opencontainers.image.ref.name\"] + \" \" "
                    "+ .digest)",
                    root / out_dir / "oci" / "index.json"));
  }
};

}  // namespace

TEST_CASE("plan, one matrix entry, and every entry with --all", "[e2e][matrix]") {
  MatrixProject p;
  auto plan = p.Run({"plan"});
  INFO(Tail(plan.err));
  REQUIRE(plan.exit_code == 0);
  const fs::path plan_json = p.scratch.path() / "plan.json";
  WriteText(plan_json, plan.out);
  CHECK(Jq(".version", plan_json) == "1");
  CHECK(Jq(".count", plan_json) == "3");
  CHECK(Jq("[.entries[] | \"\\(.index) \\(.image)-\\(.target) \\(.arch) \\(.output_dir)\"] | "
           "join(\",\")",
           plan_json) ==
        "0 broken-gamma x86_64 out/broken/gamma,1 demo-alpha x86_64 out/demo/alpha,"
        "2 demo-beta aarch64 out/demo/beta");
  CHECK(Jq(".entries[1].outputs | join(\",\")", plan_json) == "oci");
  // An input's hash as sha256sum computes it.
  CHECK(Jq(".entries[2].inputs[] | select(.path == \"boards/beta.yaml\") | .sha256", plan_json) ==
        Sh("sha256sum boards/beta.yaml", {}, p.root).out.substr(0, 64));
  CHECK(Jq(".entries[2].inputs[0].path", plan_json) == "images/demo.yaml");
  CHECK(Jq(".entries[2].inputs[0].sha256", plan_json) ==
        Sh("sha256sum images/demo.yaml", {}, p.root).out.substr(0, 64));
  // The same plan from elsewhere (-C) and again: the indexes are stable.
  CHECK(Cairn({"-C", p.root.string(), "plan"}).out == plan.out);
  auto gh = p.Run({"plan", "--github-matrix"});
  CHECK(gh.out ==
        "{\"include\":[{\"entry\":0,\"name\":\"broken-gamma\"},{\"entry\":1,\"name\":"
        "\"demo-alpha\"},{\"entry\":2,\"name\":\"demo-beta\"}]}\n");
  auto demo_only = p.Run({"plan", "images/demo.yaml", "--github-matrix"});
  CHECK(demo_only.out ==
        "{\"include\":[{\"entry\":0,\"name\":\"demo-alpha\"},{\"entry\":1,\"name\":"
        "\"demo-beta\"}]}\n");

  // Entry 1 of the demo image's plan: beta alone, in out/demo/beta.
  auto one = p.Run({"build", "images/demo.yaml", "--matrix-entry", "1"});
  INFO(Tail(one.err));
  REQUIRE(one.exit_code == 0);
  auto one_lines = Lines(one.out);
  REQUIRE(one_lines.size() == 1);
  const std::string beta_digest = one_lines[0];
  CHECK(IsDigest(beta_digest));
  CHECK(p.Manifests("out/demo/beta") == std::vector<std::string>{"demo-beta " + beta_digest});
  // skopeo reads the layout and finds an aarch64 image.
  auto skopeo = RunCommand({"skopeo", "inspect", "--raw",
                            "oci:" + (p.root / "out/demo/beta/oci").string() + ":demo-beta"});
  INFO(Tail(skopeo.err));
  CHECK(skopeo.exit_code == 0);
  CHECK(!fs::exists(p.root / "out/demo/alpha"));

  auto range = p.Run({"build", "--matrix-entry", "3"});
  CHECK(range.exit_code == 2);
  CHECK(range.err.find("matrix entry 3 does not exist: the plan has 3 entries (0 to 2)") !=
        std::string::npos);

  // Everything: broken-gamma fails, both demo boards are built.
  fs::remove_all(p.root / "out");
  auto all = p.Run({"build", "--all", "-j", "2", "--no-disk"});
  INFO(Tail(all.err));
  CHECK(all.exit_code == 1);
  auto lines = Lines(all.out);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "0 broken-gamma failed: exit status 1 (log out/broken/gamma.log)");
  CHECK(lines[2] == "2 demo-beta " + beta_digest);  // reproducible: the one-entry build's digest
  REQUIRE(lines[1].rfind("1 demo-alpha sha256:", 0) == 0);
  const std::string alpha_digest = lines[1].substr(13);
  CHECK(p.Manifests("out/demo/alpha") == std::vector<std::string>{"demo-alpha " + alpha_digest});
  CHECK(p.Manifests("out/demo/beta") == std::vector<std::string>{"demo-beta " + beta_digest});
  for (const char* f : {"out/demo/alpha/cairn.lock", "out/demo/beta/sbom"})
    CHECK(fs::exists(p.root / f));
  CHECK(!fs::exists(p.root / "out/broken/gamma"));
  // Each build's stderr is in its log; the failure's end is on --all's stderr.
  CHECK(ReadText(p.root / "out/broken/gamma.log").find("no-such-package") != std::string::npos);
  CHECK(ReadText(p.root / "out/demo/alpha.log").find("wrote out/demo/alpha") != std::string::npos);
  CHECK(all.err.find("broken-gamma failed after") != std::string::npos);
  CHECK(all.err.find("finished demo-beta in") != std::string::npos);
  CHECK(all.err.find("cairn: error: 1 of 3 builds failed") != std::string::npos);
  // Nothing half-written is left beside the outputs.
  std::set<std::string> demo_dir;
  for (const auto& e : fs::directory_iterator(p.root / "out/demo"))
    demo_dir.insert(e.path().filename().string());
  CHECK(demo_dir == std::set<std::string>{"alpha", "alpha.log", "beta", "beta.log"});
}

TEST_CASE("SIGTERM to 'cairn build --all' is passed on to the builds", "[e2e][matrix]") {
  // A repository server that accepts connections and never answers: the
  // child build waits in its download until it is told to stop.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/repo";

  ScratchDir scratch("e2e-matrix-term");
  fs::path root = scratch.path() / "project";
  DemoSpec spec;
  spec.name = "hang";
  spec.repo = url;
  spec.archs = {"x86_64"};
  WriteText(root / "images/hang.yaml", DemoYaml(spec));
  fs::create_directories(root / "layers");
  // Start, wait until the child is resolving (downloading the index), stop.
  auto r = Sh(Q(CairnBinary().string()) +
                  " build --all --cache-dir cache >stdout 2>stderr & pid=$!; "
                  "i=0; until grep -q 'resolving' out/hang/x86_64.log 2>/dev/null; do "
                  "i=$((i+1)); [ $i -gt 300 ] && break; sleep 0.1; done; sleep 0.5; "
                  "start=$(date +%s); kill -TERM $pid; wait $pid; echo \"exit=$? "
                  "took=$(( $(date +%s) - start ))\"",
              {}, root);
  ::close(fd);
  INFO(r.out << r.err << ReadText(root / "stderr"));
  CHECK(r.out.rfind("exit=130 took=", 0) == 0);
  CHECK(std::stoi(r.out.substr(r.out.find("took=") + 5)) < 10);
  CHECK(ReadText(root / "stdout") ==
        "0 hang-x86_64 failed: interrupted (log out/hang/x86_64.log)\n");
  // The child got SIGTERM itself (not a kill) and stopped through its own handler.
  CHECK(ReadText(root / "out/hang/x86_64.log").find("terminated (SIGTERM)") != std::string::npos);
  CHECK(!fs::exists(root / "out/hang/x86_64"));
}

}  // namespace cairn::e2e
