// Golden files: the OCI metadata and SBOMs of the demo image at a fixed epoch,
// byte for byte. Regenerate with tests/tools/update-golden.sh after an
// intended change and review the diff.
#include "e2e/e2e_util.h"

namespace cairn::e2e {
namespace {

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string RefDigest(const fs::path& oci, const std::string& ref) {
  return Jq(".manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"" +
                ref + "\") | .digest",
            oci / "index.json");
}

}  // namespace

TEST_CASE("the demo image's metadata and SBOMs equal tests/golden/demo", "[e2e][golden]") {
  ScratchDir scratch("e2e-golden");
  std::string yaml = Replace(ReadText(SourceDir() / "tests/golden/demo.yaml.in"), "@DEMO_REPO@",
                             DemoRepo().string());
  WriteText(scratch.path() / "demo.yaml", yaml);
  fs::path out = scratch.path() / "out";
  auto build = Sh("env -u SOURCE_DATE_EPOCH " + Q(CairnBinary().string()) +
                  " -q build demo.yaml --cache-dir cache -o out --source-date-epoch 1700000000",
                  {}, scratch.path());
  INFO(Tail(build.err));
  REQUIRE(build.exit_code == 0);
  std::string version = Lines(Cairn({"version"}).out).at(0).substr(6);

  fs::path oci = out / "oci";
  std::map<std::string, fs::path> actual = {
      {"index.json", oci / "index.json"},
      {"image-index.json", Blob(oci, RefDigest(oci, "demo"))},
      {"sbom-x86_64.spdx.json", out / "sbom/sbom-x86_64.spdx.json"},
      {"sbom-aarch64.spdx.json", out / "sbom/sbom-aarch64.spdx.json"},
      {"sbom-index.spdx.json", out / "sbom/sbom-index.spdx.json"},
  };
  for (const std::string arch : {"amd64", "arm64"}) {
    fs::path manifest = Blob(oci, RefDigest(oci, "demo-" + arch));
    actual["manifest-" + arch + ".json"] = manifest;
    actual["config-" + arch + ".json"] = Blob(oci, Jq(".config.digest", manifest));
  }

  fs::path golden = SourceDir() / "tests/golden/demo";
  // Exactly these files are golden (a stale extra file means the script changed).
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(golden)) names.insert(e.path().filename().string());
  std::set<std::string> expected_names;
  for (const auto& [name, path] : actual) expected_names.insert(name);
  CHECK(names == expected_names);

  for (const auto& [name, path] : actual) {
    INFO(name << " (regenerate with tests/tools/update-golden.sh and review the diff)");
    std::string got = ReadText(path);
    if (name.rfind("sbom-", 0) == 0)
      got = Replace(got, "\"Tool: cairn-" + version + "\"", "\"Tool: cairn-VERSION\"");
    std::string want = ReadText(golden / name);
    REQUIRE(!want.empty());
    CHECK(got == want);
  }
  // The printed digest is the golden index's.
  CHECK(build.out == RefDigest(oci, "demo") + "\n");
}

TEST_CASE("update-golden.sh reproduces the checked-in golden files", "[e2e][golden][tools]") {
  // The script writes into the source tree; run it on a copy of the parts it uses.
  ScratchDir scratch("e2e-golden-script");
  fs::path src = scratch.path() / "src";
  fs::create_directories(src / "tests/tools");
  fs::create_directories(src / "tests/golden");
  fs::copy_file(SourceDir() / "tests/tools/update-golden.sh", src / "tests/tools/update-golden.sh");
  fs::copy_file(SourceDir() / "tests/golden/demo.yaml.in", src / "tests/golden/demo.yaml.in");
  auto r = RunCommand({(src / "tests/tools/update-golden.sh").string(), CAIRN_BINARY_DIR});
  INFO(Tail(r.err));
  REQUIRE(r.exit_code == 0);
  CHECK(TreeContents(src / "tests/golden/demo") ==
        TreeContents(SourceDir() / "tests/golden/demo"));
}

}  // namespace cairn::e2e
