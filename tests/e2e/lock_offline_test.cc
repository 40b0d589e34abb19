// Lock files, --offline and atomic output through the command line.
#include "e2e/e2e_util.h"

namespace cairn::e2e {

TEST_CASE("a lock file and the cache rebuild the same image offline", "[e2e][lock][offline]") {
  ScratchDir scratch("e2e-lock");
  fs::path dir = scratch.path();
  WriteText(dir / "demo.yaml", DemoYaml());
  const std::vector<std::string> common = {"--cache-dir", "cache", "--source-date-epoch",
                                           "1700000000"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return args;
  };

  auto lock = Cairn({"lock", "demo.yaml", "-o", "demo.lock", "--cache-dir", "cache"}, {}, dir);
  INFO(Tail(lock.err));
  REQUIRE(lock.exit_code == 0);
  CHECK(lock.out == "demo.lock\n");
  REQUIRE(fs::is_regular_file(dir / "demo.lock"));
  CHECK(Jq(".version", dir / "demo.lock") == "1");
  CHECK(Jq(".archs | keys | join(\",\")", dir / "demo.lock") == "aarch64,x86_64");

  auto online = Cairn(with({"build", "demo.yaml", "-o", "online"}), {}, dir);
  INFO(Tail(online.err));
  REQUIRE(online.exit_code == 0);
  // The lock written beside the image equals the one `cairn lock` wrote.
  CHECK(ReadText(dir / "online" / "cairn.lock") == ReadText(dir / "demo.lock"));

  auto offline = Cairn(
      with({"build", "demo.yaml", "--lockfile", "demo.lock", "--offline", "-o", "offline"}), {},
      dir);
  INFO(Tail(offline.err));
  REQUIRE(offline.exit_code == 0);
  CHECK(offline.out == online.out);
  CHECK(TreeContents(dir / "offline" / "oci") == TreeContents(dir / "online" / "oci"));

  SECTION("resolve from the lock prints the locked packages") {
    auto r = Cairn({"resolve", "demo.yaml", "--lockfile", "demo.lock", "--offline",
                    "--cache-dir", "cache"},
                   {}, dir);
    REQUIRE(r.exit_code == 0);
    auto resolved = ParseResolve(r.out, "");
    auto locked = Lines(Jq(".archs.x86_64.packages[] | \"\\(.name) \\(.version)\"",
                           dir / "demo.lock"));
    CHECK(resolved["x86_64"] == std::set<std::string>(locked.begin(), locked.end()));
  }
}

TEST_CASE("offline with an empty cache fails naming the missing URL", "[e2e][offline]") {
  ScratchDir scratch("e2e-offline");
  fs::path dir = scratch.path();
  WriteText(dir / "demo.yaml", DemoYaml());
  auto r = Cairn({"build", "demo.yaml", "--offline", "--cache-dir", "empty-cache", "-o", "out"},
                 {}, dir);
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  INFO(Tail(r.err));
  CHECK(r.err.find("error: ") != std::string::npos);
  CHECK(r.err.find("not in the cache") != std::string::npos);
  // The first thing needed is the key, then the index: the message names the URL.
  CHECK((r.err.find(DemoKey().string()) != std::string::npos ||
         r.err.find((DemoRepo() / "x86_64/APKINDEX.tar.gz").string()) != std::string::npos));
  CHECK(!fs::exists(dir / "out"));
}

TEST_CASE("a failed rebuild leaves the previous output intact", "[e2e][atomic]") {
  ScratchDir scratch("e2e-atomic");
  fs::path dir = scratch.path();
  WriteText(dir / "demo.yaml", DemoYaml());
  auto ok = Cairn({"build", "demo.yaml", "--cache-dir", "cache", "-o", "out"}, {}, dir);
  INFO(Tail(ok.err));
  REQUIRE(ok.exit_code == 0);
  auto before = TreeContents(dir / "out");
  auto before_root = TreePaths(dir);

  DemoSpec spec;
  spec.packages = {"hello", "cairn-motd", "no-such-package"};
  WriteText(dir / "demo.yaml", DemoYaml(spec));
  auto bad = Cairn({"build", "demo.yaml", "--cache-dir", "cache", "-o", "out"}, {}, dir);
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("no-such-package (no such package)") != std::string::npos);
  CHECK(TreeContents(dir / "out") == before);
  // No staging directory is left beside it.
  std::set<std::string> after_root = TreePaths(dir);
  for (const auto& p : after_root) {
    INFO(p);
    CHECK((before_root.count(p) || p.rfind("cache/", 0) == 0));
  }

  // A failure after staging began (a corrupt package in a copy of the repository).
  fs::copy(DemoRepo(), dir / "repo", fs::copy_options::recursive);
  FlipInMember(dir / "repo/x86_64/hello-2.1-r0.apk", 2);
  DemoSpec tampered;
  tampered.repo = dir / "repo";
  tampered.key = dir / "repo/cairn-demo.rsa.pub";
  WriteText(dir / "demo.yaml", DemoYaml(tampered));
  auto late = Cairn({"build", "demo.yaml", "--cache-dir", "cache2", "-o", "out"}, {}, dir);
  INFO(Tail(late.err));
  CHECK(late.exit_code == 1);
  CHECK(TreeContents(dir / "out") == before);
  for (const auto& e : fs::directory_iterator(dir)) {
    INFO(e.path());
    CHECK((e.path().filename() == "out" || e.path().filename().string().rfind("out", 0) != 0));
  }
}

}  // namespace cairn::e2e
