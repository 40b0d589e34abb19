// Reproducibility: the same declaration gives the same bytes whatever the
// directory, time zone, umask and cache; and the build time comes from
// --source-date-epoch, else SOURCE_DATE_EPOCH, else the newest package.
#include "e2e/e2e_util.h"

// cairn-mkrepo comes from composer/cli/CMakeLists.txt (only when the testrepo module is built).
#ifndef CAIRN_MKREPO_BINARY
#define CAIRN_MKREPO_BINARY "cairn-mkrepo-was-not-built"
#endif

namespace cairn::e2e {
namespace {

// RFC 3339 UTC rendering of `epoch` by date(1), independently of cairn.
std::string Rfc3339(int64_t epoch) {
  auto r = RunCommand({"date", "-u", "-d", "@" + std::to_string(epoch), "+%Y-%m-%dT%H:%M:%SZ"});
  REQUIRE(r.exit_code == 0);
  return Lines(r.out).at(0);
}

// config.created of the (single) image tagged `ref`, and the SBOM's created.
std::string CreatedOf(const fs::path& out, const std::string& ref) {
  fs::path oci = out / "oci";
  std::string manifest =
      Jq(".manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"" + ref +
             "\") | .digest",
         oci / "index.json");
  return Jq(".created", Blob(oci, Jq(".config.digest", Blob(oci, manifest))));
}

}  // namespace

TEST_CASE("builds in different places, zones, umasks and caches are identical",
          "[e2e][repro]") {
  ScratchDir scratch("e2e-repro");
  fs::path a = scratch.path() / "a";
  fs::path b = scratch.path() / "other" / "b";
  WriteText(a / "demo.yaml", DemoYaml());
  WriteText(b / "images" / "demo.yaml", DemoYaml());
  fs::create_directories(scratch.path() / "tmp-b");

  auto first = Sh("umask 022; exec " + Q(CairnBinary().string()) +
                      " build demo.yaml --cache-dir cache-a -o out --source-date-epoch 1234567890",
                  {"TZ=UTC"}, a);
  auto second = Sh("umask 077; exec " + Q(CairnBinary().string()) + " -C " + Q(b.string()) +
                       " build images/demo.yaml --cache-dir " +
                       Q((scratch.path() / "cache-b").string()) +
                       " -o elsewhere/result --source-date-epoch 1234567890",
                   {"TZ=Pacific/Chatham", "TMPDIR=" + (scratch.path() / "tmp-b").string(),
                    "LC_ALL=C"},
                   scratch.path());
  INFO(Tail(first.err) << Tail(second.err));
  REQUIRE(first.exit_code == 0);
  REQUIRE(second.exit_code == 0);
  REQUIRE(IsDigest(Lines(first.out).at(0)));
  CHECK(first.out == second.out);

  auto oci_a = TreeContents(a / "out" / "oci");
  auto oci_b = TreeContents(b / "elsewhere" / "result" / "oci");
  REQUIRE(oci_a.size() > 5);
  CHECK(oci_a.size() == oci_b.size());
  for (const auto& [path, content] : oci_a) {
    INFO("blob " << path);
    CHECK((oci_b.count(path) && oci_b[path] == content));
  }
  for (const char* sbom : {"sbom-x86_64.spdx.json", "sbom-aarch64.spdx.json",
                           "sbom-index.spdx.json"}) {
    INFO(sbom);
    CHECK(ReadText(a / "out" / "sbom" / sbom) ==
          ReadText(b / "elsewhere" / "result" / "sbom" / sbom));
  }
  CHECK(CreatedOf(a / "out", "demo-amd64") == Rfc3339(1234567890));
}

TEST_CASE("the build time defaults to the newest package and SOURCE_DATE_EPOCH is honoured",
          "[e2e][repro][epoch]") {
  ScratchDir scratch("e2e-epoch");
  // Two repositories with different build dates (mkrepo stamps every package with --epoch).
  fs::path src1 = scratch.path() / "src1", src2 = scratch.path() / "src2";
  fs::create_directories(src1);
  fs::create_directories(src2);
  for (const char* p : {"hello", "cairn-baselayout"})
    fs::copy(SourceDir() / "images/demo-repo" / p, src1 / p, fs::copy_options::recursive);
  fs::copy(SourceDir() / "images/demo-repo/motd", src2 / "motd", fs::copy_options::recursive);
  fs::path key = SourceDir() / "tests/data/keys/cairn-demo.rsa";
  for (auto [src, epoch] : {std::pair{src1, "1650000000"}, std::pair{src2, "1660000000"}}) {
    auto mk = RunCommand({CAIRN_MKREPO_BINARY, "--quiet", "--key", key.string(), "--epoch", epoch,
                          "--arch", "x86_64", src.string(),
                          (scratch.path() / ("repo-" + src.filename().string())).string()});
    INFO(Tail(mk.err));
    REQUIRE(mk.exit_code == 0);
  }
  // The newest t: in the indexes, read with tar.
  int64_t newest = 0;
  for (const char* r : {"repo-src1", "repo-src2"}) {
    auto idx = RunCommand({"tar", "-xzOf", (scratch.path() / r / "x86_64/APKINDEX.tar.gz").string(),
                           "APKINDEX"});
    REQUIRE(idx.exit_code == 0);
    for (const auto& l : Lines(idx.out))
      if (l.rfind("t:", 0) == 0) newest = std::max<int64_t>(newest, std::stoll(l.substr(2)));
  }
  REQUIRE(newest == 1660000000);

  fs::path yaml = scratch.path() / "epoch.yaml";
  WriteText(yaml, "name: epoch\ncontents:\n  repositories:\n    - " +
                      (scratch.path() / "repo-src1").string() + "\n    - " +
                      (scratch.path() / "repo-src2").string() + "\n  keyring:\n    - " +
                      (scratch.path() / "repo-src1" / "cairn-demo.rsa.pub").string() +
                      "\n  packages: [hello, motd]\narchs: [x86_64]\n");
  auto build = [&](const std::string& out, const std::string& env_prefix,
                   const std::string& flags) {
    auto r = Sh(env_prefix + " " + Q(CairnBinary().string()) + " build " + Q(yaml.string()) +
                " --cache-dir " + Q((scratch.path() / "cache").string()) + " -o " +
                Q((scratch.path() / out).string()) + " " + flags);
    INFO(Tail(r.err));
    REQUIRE(r.exit_code == 0);
    return CreatedOf(scratch.path() / out, "epoch");
  };

  SECTION("neither flag nor environment: the newest package build time") {
    CHECK(build("o1", "env -u SOURCE_DATE_EPOCH", "") == Rfc3339(newest));
    // The SBOM records the same time.
    CHECK(Jq(".creationInfo.created", scratch.path() / "o1/sbom/sbom-x86_64.spdx.json") ==
          Rfc3339(newest));
  }
  SECTION("SOURCE_DATE_EPOCH is honoured") {
    CHECK(build("o2", "env SOURCE_DATE_EPOCH=1500000000", "") == Rfc3339(1500000000));
  }
  SECTION("--source-date-epoch beats SOURCE_DATE_EPOCH") {
    CHECK(build("o3", "env SOURCE_DATE_EPOCH=1500000000", "--source-date-epoch 1400000000") ==
          Rfc3339(1400000000));
  }
}

}  // namespace cairn::e2e
